/**
 * The hash workers: consumers of the `dist-monitor-hash` queue and of its dead-letter queue.
 *
 * Contract: each message is one HashJob. Its artifact is downloaded and hashed as it streams
 * (DigestStream, constant memory); the verdict (core/hash-verdict.ts) is persisted first —
 * results to MonitorState, findings to the incident engine — and only then is the message
 * acked, so a failure to record means a redelivery, not a lost result. Transient failures
 * retry the message with backoff; a malformed body (or a URL outside the dist site) is acked
 * and logged, never crashes the batch. Jobs are idempotent: a second delivery records the
 * same result and reports the same fingerprint, which the incident engine merges. A job
 * that exhausted its retries arrives on the dead-letter queue and becomes an
 * `artifact-unverifiable` finding and an `unverifiable` result, never silence.
 *
 * What users receive decides severity: a mismatch at the plain URL is always
 * `artifact-hash-mismatch` (P0); when the cache-bypassing URL serves the signed bytes,
 * `cache-poisoned` is added (purging helps), never reported instead. A verified
 * `metadata-changed` job re-baselines its pin (hash-rebaseline.ts) and raises one notice per
 * cause.
 */
import { mapWithConcurrency } from '../core/concurrency';
import { parseMonitorConfig, type MonitorConfig } from '../core/config';
import { createFinding, type Finding, type FindingInput } from '../core/findings';
import { isHashJob, type HashJob } from '../core/hash-jobs';
import { deadJobFinding, judgeHashAttempt, type HashVerdict } from '../core/hash-verdict';
import { createDistClient, type DistClient } from '../adapters/dist-client';
import { createKvPinStore } from '../adapters/pin-store';
import { monitorStateStub, type ArtifactResult } from '../durable/monitor-state';
import type { HashFailureRecord } from '../durable/rotation-store';
import type { MonitorEnv } from '../env';
import { publishSnapshot } from './publish-snapshot';
import { reportSweepFindings } from './report-findings';
import { applyRebaselines, type VerifiedChange } from './hash-rebaseline';
import { confirmAtOrigin, hashTimeoutMs } from './hash-origin';

export { hashTimeoutMs } from './hash-origin';
import type { ArtifactEntry } from '../core/tlog/entries';
import { appendToLog, artifactLogEntry } from './log-entries';

/** The dead-letter queue's name (wrangler.toml); every other queue is the hash queue. */
export const HASH_DEAD_LETTER_QUEUE = 'dist-monitor-hash-dlq';
/** Artifacts hashed at once in one batch; each holds one chunk in memory at a time. */
const CONCURRENCY = 4;
/** Retries inside one delivery; further ones go through the queue with backoff. */
const CLIENT_RETRIES = 1;
const CONFIG_RETRY_SECONDS = 300;

export interface HashConsumerOptions {
  /** The fetch for the dist site (tests inject a fixture site). */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** The client's backoff between in-delivery retries (tests pass one that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface HashBatchReport {
  readonly verified: number;
  readonly mismatched: number;
  readonly retried: number;
  readonly gone: number;
  readonly unverifiable: number;
  readonly malformed: number;
  /** Pins re-baselined after a metadata change whose bytes verified. */
  readonly rebaselined: number;
  /** Every finding the batch reported (the sweep adds the inline ones to its own report). */
  readonly findings: readonly Finding[];
}

/** Routes a batch by queue name: the dead-letter queue, or the hash queue. */
export async function handleQueueBatch(
  batch: MessageBatch<unknown>,
  env: MonitorEnv,
  _ctx: ExecutionContext,
): Promise<void> {
  if (batch.queue === HASH_DEAD_LETTER_QUEUE) await handleDeadLetterBatch(batch, env);
  else await handleHashBatch(batch, env);
}

type Decision =
  | { readonly message: Message<unknown>; readonly kind: 'malformed' }
  | {
      readonly message: Message<unknown>;
      readonly kind: 'judged';
      readonly job: HashJob;
      readonly verdict: HashVerdict;
      /** Findings reported beside the verdict's (cache-poisoned beside a mismatch). */
      readonly also: readonly FindingInput[];
      /** A verified job whose metadata change may re-baseline its pin. */
      readonly change?: VerifiedChange;
      /** The ETag the hashed bytes came with (for the transparency log). */
      readonly etag?: string | undefined;
    }
  | { readonly message: Message<unknown>; readonly kind: 'broken'; readonly error: string };

export async function handleHashBatch(
  batch: MessageBatch<unknown>,
  env: MonitorEnv,
  options: HashConsumerOptions = {},
): Promise<HashBatchReport> {
  const clock = options.now ?? (() => new Date());
  const parsed = parseMonitorConfig(env as unknown as Record<string, unknown>);
  if (!parsed.ok) {
    console.error(
      `hash queue: invalid configuration, retrying the batch: ${parsed.error.problems.join('; ')}`,
    );
    for (const message of batch.messages) message.retry({ delaySeconds: CONFIG_RETRY_SECONDS });
    return {
      verified: 0,
      mismatched: 0,
      retried: batch.messages.length,
      gone: 0,
      unverifiable: 0,
      malformed: 0,
      rebaselined: 0,
      findings: [],
    };
  }
  const config = parsed.value;
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const client = createDistClient({
    fetch: doFetch,
    timeoutMs: config.REQUEST_TIMEOUT_MS,
    retries: CLIENT_RETRIES,
    backoffMs: 250,
    allowedRedirectHosts: [
      new URL(config.DIST_BASE_URL).hostname,
      ...config.ALLOWED_REDIRECT_HOSTS,
    ],
    subrequestBudget: { remaining: config.SUBREQUEST_BUDGET },
    ...(options.sleep && { sleep: options.sleep }),
  });

  const decisions = await mapWithConcurrency(batch.messages, CONCURRENCY, (message) =>
    decide(message, client, config),
  );
  const now = clock();
  const changes = decisions.flatMap((decision) =>
    decision.kind === 'judged' && decision.change !== undefined ? [decision.change] : [],
  );
  const { notices, rebaselined } =
    changes.length === 0
      ? { notices: [], rebaselined: 0 }
      : await applyRebaselines(createKvPinStore(env.PINS), changes, config.DIST_BASE_URL, now);
  const findings = await persistOrRetry(env, decisions, notices, now);
  return { ...tallyDecisions(decisions), rebaselined, findings };
}

async function decide(
  message: Message<unknown>,
  client: DistClient,
  config: MonitorConfig,
): Promise<Decision> {
  const job = message.body;
  if (!isHashJob(job) || !isUnderDistSite(job.url, config.DIST_BASE_URL)) {
    console.warn(`hash queue: acked a malformed message ${message.id} (${describeBody(job)})`);
    return { message, kind: 'malformed' };
  }
  try {
    const attempt = await client.hashBody(job.url, {
      ...(job.expectedBytes !== undefined && { expectedBytes: job.expectedBytes }),
      timeoutMs: hashTimeoutMs(job, config),
    });
    const verdict = judgeHashAttempt(job, attempt, message.attempts);
    const etag = attempt.ok ? attempt.value.headers['etag'] : undefined;
    if (verdict.action === 'mismatch') {
      const confirmed = await confirmAtOrigin(job, verdict, client, config);
      return { message, kind: 'judged', job, etag, ...confirmed };
    }
    const { rebaseline } = job;
    const change =
      verdict.action === 'verified' && attempt.ok && rebaseline !== undefined
        ? {
            job: { ...job, rebaseline },
            sha256: attempt.value.sha256,
            bytes: attempt.value.bytes,
            headers: attempt.value.headers,
          }
        : undefined;
    return { message, kind: 'judged', job, etag, verdict, also: [], ...(change && { change }) };
  } catch (error) {
    return {
      message,
      kind: 'broken',
      error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error',
    };
  }
}

/**
 * Records results, failures and findings, then acks or retries each message. When
 * recording fails, every message that would have been acked is retried instead.
 */
async function persistOrRetry(
  env: MonitorEnv,
  decisions: readonly Decision[],
  notices: readonly { sweepId: string; finding: FindingInput }[],
  now: Date,
): Promise<Finding[]> {
  const at = now.toISOString();
  const results: ArtifactResult[] = [];
  const failures: HashFailureRecord[] = [];
  const settled: { version: string; name: string }[] = [];
  const findings: { sweepId: string; finding: Finding }[] = [];
  const logged: ArtifactEntry[] = [];
  for (const decision of decisions) {
    if (decision.kind === 'broken') {
      console.error(
        `hash queue: message ${decision.message.id} failed unexpectedly: ${decision.error}`,
      );
      continue;
    }
    if (decision.kind !== 'judged') continue;
    const { job, verdict } = decision;
    const artifact = { version: job.version, name: job.name };
    switch (verdict.action) {
      case 'verified':
        results.push({ ...artifact, result: 'verified', bytes: verdict.bytes, at });
        settled.push(artifact);
        logged.push(artifactLogEntry(job, { bytes: verdict.bytes, etag: decision.etag }, at));
        break;
      case 'mismatch':
        results.push({ ...artifact, result: 'mismatch', bytes: verdict.bytes, at });
        settled.push(artifact);
        findings.push({ sweepId: job.sweepId, finding: createFinding(verdict.finding, now) });
        for (const also of decision.also) {
          findings.push({ sweepId: job.sweepId, finding: createFinding(also, now) });
        }
        break;
      case 'unverifiable':
        results.push({ ...artifact, result: 'unverifiable', bytes: job.expectedBytes ?? 0, at });
        findings.push({ sweepId: job.sweepId, finding: createFinding(verdict.finding, now) });
        break;
      case 'retry':
        failures.push({ ...artifact, error: verdict.reason, at });
        break;
      case 'gone':
        break;
    }
  }
  for (const notice of notices) {
    findings.push({ sweepId: notice.sweepId, finding: createFinding(notice.finding, now) });
  }

  let recorded = true;
  try {
    const state = monitorStateStub(env);
    if (results.length > 0) await state.recordArtifactResults(results);
    if (settled.length > 0) await state.clearHashFailures(settled);
    if (failures.length > 0) await state.recordHashFailures(failures);
    await reportBySweep(env, findings, now);
  } catch (error) {
    recorded = false;
    console.error(
      `hash queue: could not record results, retrying: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }

  // Only what was recorded is logged; a redelivered batch logs its matches again.
  if (recorded && logged.length > 0) await appendToLog(env, logged, now);

  for (const decision of decisions) {
    const { message } = decision;
    if (decision.kind === 'malformed') message.ack();
    else if (decision.kind === 'broken' || !recorded) message.retry({ delaySeconds: 60 });
    else if (decision.verdict.action === 'retry')
      message.retry({ delaySeconds: decision.verdict.delaySeconds });
    else message.ack();
  }
  return recorded ? findings.map(({ finding }) => finding) : [];
}

/**
 * Dead jobs: each becomes an artifact-unverifiable finding (with the last failure as
 * evidence) and an `unverifiable` result. Acked only once recorded.
 */
export async function handleDeadLetterBatch(
  batch: MessageBatch<unknown>,
  env: MonitorEnv,
  options: Pick<HashConsumerOptions, 'now'> = {},
): Promise<{ readonly unverifiable: number; readonly malformed: number }> {
  const now = (options.now ?? (() => new Date()))();
  const at = now.toISOString();
  const state = monitorStateStub(env);
  const jobs: { message: Message<unknown>; job: HashJob }[] = [];
  for (const message of batch.messages) {
    if (isHashJob(message.body)) jobs.push({ message, job: message.body });
    else {
      console.warn(
        `hash dead-letter queue: acked a malformed message ${message.id} (${describeBody(message.body)})`,
      );
      message.ack();
    }
  }
  try {
    const findings: { sweepId: string; finding: Finding }[] = [];
    for (const { job } of jobs) {
      const lastFailure = await state.lastHashFailure(job.version, job.name);
      findings.push({
        sweepId: job.sweepId,
        finding: createFinding(deadJobFinding(job, lastFailure), now),
      });
    }
    if (jobs.length > 0) {
      await state.recordArtifactResults(
        jobs.map(({ job }) => ({
          version: job.version,
          name: job.name,
          result: 'unverifiable' as const,
          bytes: job.expectedBytes ?? 0,
          at,
        })),
      );
    }
    await reportBySweep(env, findings, now);
    for (const { message } of jobs) message.ack();
  } catch (error) {
    console.error(
      `hash dead-letter queue: could not record, retrying: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
    for (const { message } of jobs) message.retry({ delaySeconds: 60 });
  }
  return { unverifiable: jobs.length, malformed: batch.messages.length - jobs.length };
}

/** Findings go to the incident engine under the sweep that queued the job. */
async function reportBySweep(
  env: MonitorEnv,
  findings: readonly { sweepId: string; finding: Finding }[],
  now: Date,
): Promise<void> {
  const bySweep = new Map<string, Finding[]>();
  for (const { sweepId, finding } of findings) {
    const list = bySweep.get(sweepId) ?? [];
    if (!list.some((seen) => seen.fingerprint === finding.fingerprint)) list.push(finding);
    bySweep.set(sweepId, list);
  }
  for (const [sweepId, list] of bySweep) {
    // No checked kinds: a hash batch proves nothing about what it did not see.
    await reportSweepFindings(env, { sweepId, findings: list, now, checkedKinds: [] });
  }
  // As a sweep's end does: the public pages show what this batch found (publish-snapshot.ts).
  if (bySweep.size > 0) await publishSnapshot(env, 'incident');
}

/** A job may only make the monitor fetch from the dist site it watches. */
function isUnderDistSite(url: string, baseUrl: string): boolean {
  return url.startsWith(`${baseUrl}/`) && URL.canParse(url);
}

function describeBody(body: unknown): string {
  if (body === null) return 'null';
  if (typeof body !== 'object') return typeof body;
  const type = (body as Record<string, unknown>)['type'];
  return `object with type ${typeof type === 'string' ? JSON.stringify(type.slice(0, 20)) : typeof type}`;
}

function tallyDecisions(
  decisions: readonly Decision[],
): Omit<HashBatchReport, 'rebaselined' | 'findings'> {
  const count = (action: HashVerdict['action']) =>
    decisions.filter((decision) => decision.kind === 'judged' && decision.verdict.action === action)
      .length;
  return {
    verified: count('verified'),
    mismatched: count('mismatch'),
    retried: count('retry') + decisions.filter((decision) => decision.kind === 'broken').length,
    gone: count('gone'),
    unverifiable: count('unverifiable'),
    malformed: decisions.filter((decision) => decision.kind === 'malformed').length,
  };
}
