/**
 * Hashing inside the sweep, before the queue: the sweep's most urgent jobs (new releases,
 * changed metadata, then the rotation), up to INLINE_HASH_BYTES and a few subrequests, are
 * verified in the sweep's own invocation by the same code as the queue consumer. So a small
 * archive (a mirror, the demo, a test site) has its bytes proven by the time the sweep
 * returns, and a tampered artifact is an incident at once; everything else, and anything
 * that needs a retry, goes to the queue as before. The queue stays the way to scale.
 */
import type { Finding } from '../core/findings';
import type { HashJob } from '../core/hash-jobs';
import type { MonitorEnv } from '../env';
import { handleHashBatch, type HashConsumerOptions } from './hash-consumer';
import type { SweepContext } from './sweep-context';

/** At most this many jobs inline; each costs one or two subrequests (two when confirmed at the origin). */
const INLINE_JOBS_MAX = 24;
const SUBREQUESTS_PER_JOB = 2;

const PRIORITY: Readonly<Record<HashJob['reason'], number>> = {
  'metadata-changed': 0,
  'new-release': 1,
  rotation: 2,
};

/** The jobs, most urgent first (changed metadata, new releases, the rotation), stably. */
export function byUrgency(jobs: readonly HashJob[]): HashJob[] {
  return [...jobs].sort((a, b) => PRIORITY[a.reason] - PRIORITY[b.reason]);
}

/** Splits the jobs into those hashed now and those left for the queue (most urgent first). */
export function chooseInlineJobs(
  jobs: readonly HashJob[],
  options: { readonly maxBytes: number; readonly maxJobs: number },
): { readonly inline: HashJob[]; readonly queued: HashJob[] } {
  const ordered = byUrgency(jobs);
  const inline: HashJob[] = [];
  const queued: HashJob[] = [];
  let bytes = 0;
  for (const job of ordered) {
    const size = job.expectedBytes;
    const fits =
      size !== undefined && inline.length < options.maxJobs && bytes + size <= options.maxBytes;
    if (fits) {
      inline.push(job);
      bytes += size;
    } else {
      queued.push(job);
    }
  }
  return { inline, queued };
}

/** What hashing inside the sweep did. */
export interface InlineHashReport {
  readonly hashed: number;
  readonly mismatched: number;
  /** Most urgent first: a changed artifact's job is the first in the queue. */
  readonly toQueue: HashJob[];
  /** Findings the inline jobs reported, for the sweep's own report. */
  readonly findings: readonly Finding[];
}

/**
 * Hashes the chosen jobs now and returns the jobs still to queue: those not chosen, and
 * those whose hashing wants a retry (a timeout, a cut body), which the queue then owns.
 */
export async function hashInline(
  env: MonitorEnv,
  ctx: SweepContext,
  jobs: readonly HashJob[],
  options: Pick<HashConsumerOptions, 'fetch' | 'sleep'>,
): Promise<InlineHashReport> {
  const maxJobs = Math.min(
    INLINE_JOBS_MAX,
    Math.floor(Math.max(0, ctx.budget.remaining) / SUBREQUESTS_PER_JOB),
  );
  const { inline, queued } = chooseInlineJobs(jobs, {
    maxBytes: ctx.config.INLINE_HASH_BYTES,
    maxJobs,
  });
  if (inline.length === 0 || Date.now() >= ctx.deadlineAt) {
    return { hashed: 0, mismatched: 0, toQueue: byUrgency(jobs), findings: [] };
  }
  ctx.budget.remaining -= inline.length * SUBREQUESTS_PER_JOB;

  const retried = new Set<string>();
  const messages = inline.map((job, index) => ({
    id: `inline-${ctx.sweepId}-${index}`,
    timestamp: ctx.now,
    attempts: 1,
    body: job as unknown,
    ack() {},
    retry() {
      retried.add(job.url);
    },
  }));
  const batch = {
    queue: 'inline',
    messages,
    ackAll() {},
    retryAll() {
      for (const job of inline) retried.add(job.url);
    },
  } as unknown as MessageBatch<unknown>;
  const report = await handleHashBatch(batch, env, {
    // Inside the sweep, on the sweep's clock: its findings and audit records are the sweep's.
    now: () => ctx.now,
    ...(options.fetch && { fetch: options.fetch }),
    ...(options.sleep && { sleep: options.sleep }),
  });
  const again = inline.filter((job) => retried.has(job.url));
  return {
    hashed: inline.length - again.length,
    mismatched: report.mismatched,
    toQueue: byUrgency([...queued, ...again]),
    findings: report.findings,
  };
}
