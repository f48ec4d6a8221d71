/**
 * One sweep, start to end: take the lock, check the index, every watched release (manifest,
 * signature, pins, artifact metadata, headers), a share of the other pinned releases'
 * manifests (the manifest rotation), the cache differential, availability and the regional
 * probes; queue the hashing work; turn signed files that were not served into findings;
 * hand the findings to the incident engine; store the summary; publish the public status
 * snapshot (src/jobs/publish-snapshot.ts).
 * Contract: a sweep always ends with a stored summary (also when it breaks), never runs
 * twice at once, and stays within its subrequest budget, recording what it skipped.
 */
import {
  classifyAvailability,
  classifyAvailabilityFindings,
  percentile,
} from '../core/availability';
import { parseMonitorConfig, type MonitorConfig } from '../core/config';
import { countBySeverity, FINDING_KIND_NAMES, type Finding } from '../core/findings';
import { parseHeaderPolicy } from '../core/header-policy';
import type { SweepSummary, SweepTrigger } from '../core/sweep-summary';
import { createDistClient } from '../adapters/dist-client';
import { createKvPinStore } from '../adapters/pin-store';
import { loadTrustedKeys } from '../adapters/release-key-store';
import { monitorStateStub } from '../durable/monitor-state';
import type { MonitorEnv } from '../env';
import { hashInline } from './hash-inline';
import { recheckPinnedManifests } from './manifest-recheck';
import { reportManifestSilences } from './sweep-silence';
import { enqueueHashJobs, planRotationJobs } from './hash-planning';
import { flushSweepLog } from './log-entries';
import { recordSweepEnd } from './publish-snapshot';
import { reportSweepFindings } from './report-findings';
import {
  reconcileRegionalStaleness,
  sweepCacheDifferential,
  sweepErrorCanary,
} from './sweep-cache';
import { createKvStalenessStore } from '../adapters/staleness-store';
import {
  addFinding,
  addFindings,
  createSweepContext,
  skip,
  tallySnapshot,
  type SweepContext,
} from './sweep-context';
import { sweepIndex } from './sweep-index';
import { sweepRegions } from './sweep-regions';
import { sweepRelease, type TrustedKeys } from './sweep-release';

/** Subrequests kept back from the HTTP checks for reporting findings and queueing jobs. */
const REPORTING_RESERVE = 100;

export class SweepConfigError extends Error {
  override readonly name = 'SweepConfigError';
}

export type SweepRun =
  | {
      readonly status: 'completed';
      readonly summary: SweepSummary;
      readonly findings: readonly Finding[];
    }
  | { readonly status: 'busy'; readonly runningSweepId: string; readonly since: string };

export interface SweepOptions {
  readonly trigger: SweepTrigger;
  /** The fetch used for the dist site and key material (tests inject a fixture site). */
  readonly fetch?: typeof fetch;
  readonly now?: () => Date;
  /** Wall time after which the sweep sends nothing more (default SWEEP_DEADLINE_MS). */
  readonly deadlineMs?: number;
  /** Waits between retries (tests pass one that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A sweep honours Retry-After only up to this: it has the whole site to check. */
const RETRY_AFTER_CAP_MS = 2000;

export function newSweepId(now: Date): string {
  const stamp = now.toISOString().replace(/[-:.]/g, '').replace('T', '-').slice(0, 15);
  return `${stamp}-${crypto.randomUUID().slice(0, 8)}`;
}

export function configFromEnv(env: MonitorEnv): MonitorConfig {
  const parsed = parseMonitorConfig(env as unknown as Record<string, unknown>);
  if (!parsed.ok)
    throw new SweepConfigError(`invalid configuration: ${parsed.error.problems.join('; ')}`);
  return parsed.value;
}

export async function runSweep(env: MonitorEnv, options: SweepOptions): Promise<SweepRun> {
  const clock = options.now ?? (() => new Date());
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const startedAt = clock();
  const sweepId = newSweepId(startedAt);
  const state = monitorStateStub(env);
  const lock = await state.beginSweep(sweepId, startedAt.toISOString());
  if (!lock.ok) return { status: 'busy', runningSweepId: lock.runningSweepId, since: lock.since };

  let ctx: SweepContext | undefined;
  let config: MonitorConfig | undefined;
  try {
    config = configFromEnv(env);
    const budget = { remaining: Math.max(10, config.SUBREQUEST_BUDGET - REPORTING_RESERVE) };
    const client = createDistClient({
      fetch: doFetch,
      timeoutMs: config.REQUEST_TIMEOUT_MS,
      retries: config.REQUEST_RETRIES,
      backoffMs: 250,
      retryAfterCapMs: RETRY_AFTER_CAP_MS,
      ...(options.sleep && { sleep: options.sleep }),
      allowedRedirectHosts: [
        new URL(config.DIST_BASE_URL).hostname,
        ...config.ALLOWED_REDIRECT_HOSTS,
      ],
      subrequestBudget: budget,
    });
    ctx = createSweepContext({
      ...(options.deadlineMs !== undefined && { deadlineMs: options.deadlineMs }),
      sweepId,
      now: startedAt,
      config,
      headerPolicy: parseHeaderPolicy(config),
      client,
      budget,
      pins: createKvPinStore(env.PINS),
    });

    const history = await state.getIndexHistory();
    const registry = await state.releaseRegistry();
    const index = await sweepIndex(ctx, history, registry);
    ctx.releaseFacts = index.facts;
    if (index.sightings) {
      await state.recordReleaseSightings(index.sightings, startedAt.toISOString());
    }
    const trust = await loadTrust(env, config, doFetch, startedAt, ctx);
    for (const version of index.watched) {
      await sweepRelease(ctx, version, trust, index.facts.get(version));
    }
    // Pins outlive index.json and the watched set: every pinned manifest, within a day.
    await recheckPinnedManifests(ctx, {
      registry,
      cachedVersions: (await state.rotationManifests())
        .filter((release) => release.status === 'cached')
        .map((release) => release.version),
      watched: index.watched,
      facts: index.facts,
      trust,
    });
    const newest = index.watched[0];
    await sweepCacheDifferential(
      ctx,
      newest === undefined
        ? undefined
        : { version: newest, pin: await ctx.pins.getRelease(newest) },
      {
        ...(history?.highestVersion !== undefined && { highestSeen: history.highestVersion }),
        staleness: createKvStalenessStore(env.PINS),
      },
    );
    await sweepErrorCanary(ctx);

    const tally = tallySnapshot(ctx);
    const outcome = classifyAvailability(tally);
    const p50 = percentile(tally.latenciesMs, 50);
    const counters = await state.recordAvailability(
      outcome,
      p50 !== undefined && p50 > config.LATENCY_THRESHOLD_MS,
    );
    addFindings(
      ctx,
      classifyAvailabilityFindings(
        {
          baseUrl: config.DIST_BASE_URL,
          tally,
          consecutiveFailures: counters.consecutiveFailures,
          consecutiveSlow: counters.consecutiveSlow,
          outageThreshold: config.OUTAGE_THRESHOLD,
          latencyThresholdMs: config.LATENCY_THRESHOLD_MS,
        },
        startedAt,
      ),
    );
    // After the single-vantage availability, so regional findings merge with it by fingerprint.
    await sweepRegions(ctx, env, index.watched, options);
    reconcileRegionalStaleness(ctx);
    if (index.nextHistory) await state.setIndexHistory(index.nextHistory);

    const rotation = await planRotationJobs(env, ctx, index.entries, trust);
    // After every manifest request of the sweep (watched, re-checked, rotation loads).
    await reportManifestSilences(ctx, state, outcome !== 'down');
    await state.recordPinnedEntries(ctx.pinnedEntries);
    await state.markManifestsChecked(ctx.manifestsChecked, startedAt.toISOString());
    const inline = await hashInline(env, ctx, [...ctx.hashJobs, ...rotation], options);
    const jobs = inline.toQueue;
    let queued = 0;
    try {
      queued = await enqueueHashJobs(env.HASH_QUEUE, jobs);
    } catch {
      // Queues down must not cost the sweep its findings. The jobs are not lost: the
      // rotation marked them in flight, and plans them again when that lapses (1 h).
      skip(ctx, 'hash jobs', 'queue-unavailable', jobs.length);
    }
    await flushSweepLog(env, ctx);
    const findings = [...ctx.findings.values()];
    await reportSweepFindings(env, {
      sweepId,
      // The inline hash jobs' findings again (already reported by them): an incident seen in
      // this sweep is not counted clean by it, e.g. a notice its own hashing raised.
      findings: [...findings, ...inline.findings],
      now: startedAt,
      checkedKinds: FINDING_KIND_NAMES.filter(
        (kind) => kind !== 'artifact-hash-mismatch' && kind !== 'artifact-unverifiable',
      ),
    });
    const summary = summarise(sweepId, startedAt, ctx, config, options.trigger, clock(), {
      releases: index.watched,
      outcome: findings.length === 0 && inline.mismatched === 0 ? 'clean' : 'findings',
      availability: outcome,
      hashJobsQueued: queued,
      hashedInline: inline.hashed,
      inlineMismatches: inline.mismatched,
    });
    await state.finishSweep(summary);
    await recordSweepEnd(env, summary, clock());
    return { status: 'completed', summary, findings };
  } catch (error) {
    const summary = summarise(sweepId, startedAt, ctx, config, options.trigger, clock(), {
      releases: [],
      outcome: 'failed',
      availability: ctx ? classifyAvailability(tallySnapshot(ctx)) : 'ok',
      hashJobsQueued: 0,
      error: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error',
    });
    await state.finishSweep(summary);
    await recordSweepEnd(env, summary, clock());
    throw error;
  }
}

async function loadTrust(
  env: MonitorEnv,
  config: MonitorConfig,
  doFetch: typeof fetch,
  now: Date,
  ctx: SweepContext,
): Promise<TrustedKeys> {
  const loaded = await loadTrustedKeys({
    ...(env.RELEASE_KEYS !== undefined &&
      env.RELEASE_KEYS.trim() !== '' && { releaseKeysSecret: env.RELEASE_KEYS }),
    keyUrlTemplate: config.RELEASE_KEYS_URL,
    fetch: doFetch,
    kv: env.PINS,
    now,
  });
  if (loaded.keys.length === 0) {
    addFinding(ctx, {
      kind: 'release-keys-unavailable',
      subject: config.RELEASE_KEYS_URL,
      summary: `No release key could be loaded (${loaded.unavailable.length} pinned keys unavailable), so no signature was judged this sweep.`,
      expected: 'key material for the pinned release keys',
      observed: `${loaded.unavailable.length} unavailable`,
      evidence: { source: loaded.source, unavailable: loaded.unavailable },
    });
  }
  return { keys: loaded.keys, unavailable: loaded.keys.length === 0 };
}

function summarise(
  sweepId: string,
  startedAt: Date,
  ctx: SweepContext | undefined,
  config: MonitorConfig | undefined,
  trigger: SweepTrigger,
  finishedAt: Date,
  extra: Pick<
    SweepSummary,
    'releases' | 'outcome' | 'availability' | 'hashJobsQueued' | 'hashedInline' | 'inlineMismatches'
  > & {
    error?: string;
  },
): SweepSummary {
  const findings = ctx ? [...ctx.findings.values()] : [];
  const stats = ctx?.client.stats() ?? { requests: 0, bytes: 0, retries: 0 };
  const p50 = ctx ? percentile(ctx.tally.latenciesMs, 50) : undefined;
  const max = ctx ? percentile(ctx.tally.latenciesMs, 100) : undefined;
  return {
    id: sweepId,
    trigger,
    startedAt: startedAt.toISOString(),
    finishedAt: finishedAt.toISOString(),
    durationMs: finishedAt.getTime() - startedAt.getTime(),
    baseUrl: config?.DIST_BASE_URL ?? '',
    requests: stats.requests,
    retries: stats.retries,
    bytes: stats.bytes,
    subrequestBudget: config?.SUBREQUEST_BUDGET ?? 0,
    artifactsChecked: ctx?.artifactsChecked ?? 0,
    findings: findings.length,
    findingsBySeverity: countBySeverity(findings),
    findingKinds: [...new Set(findings.map((finding) => finding.kind))].sort(),
    ...(p50 !== undefined && { latencyMsP50: Math.round(p50) }),
    ...(max !== undefined && { latencyMsMax: Math.round(max) }),
    skipped: ctx?.skipped ?? [],
    ...extra,
  };
}
