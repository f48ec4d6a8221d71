/**
 * Hash work for the queue: jobs the sweep decided on (new releases, changed metadata) plus
 * the rotation that proves the whole archive's bytes within ROTATION_DAYS.
 *
 * The rotation: every release listed in index.json gets its signed entries into
 * MonitorState's manifest cache over time (a few per sweep, rotation-manifests.ts); the pure
 * planner (core/rotation-plan.ts) then picks this sweep's share, oldest-hashed first, paced
 * by bytes over the period with HASH_BYTES_PER_SWEEP_MIN as a floor. Planning runs inside
 * MonitorState, next to the data, so only the chosen jobs cross the RPC boundary.
 */
import type { HashJob } from '../core/hash-jobs';
import type { IndexEntry } from '../core/index-json';
import { artifactUrl } from '../core/manifest-urls';
import { defaultRotationPolicy, SEND_BATCH_SIZE } from '../core/rotation-plan';
import { compareVersions, parseVersion } from '../core/versions';
import { monitorStateStub } from '../durable/monitor-state';
import type { MonitorEnv } from '../env';
import { loadRotationManifests } from './rotation-manifests';
import type { SweepContext } from './sweep-context';
import type { TrustedKeys } from './sweep-release';

/**
 * Sends the jobs, deduplicated by URL (the first job for a URL wins, so a new release's
 * own job keeps its reason); returns how many were queued.
 */
export async function enqueueHashJobs(queue: Queue, jobs: readonly HashJob[]): Promise<number> {
  const unique = new Map<string, HashJob>();
  for (const job of jobs) if (!unique.has(job.url)) unique.set(job.url, job);
  const all = [...unique.values()];
  for (let start = 0; start < all.length; start += SEND_BATCH_SIZE) {
    await queue.sendBatch(all.slice(start, start + SEND_BATCH_SIZE).map((body) => ({ body })));
  }
  return all.length;
}

/**
 * The rotation's share of this sweep. `entries` is index.json as parsed this sweep
 * (undefined when it could not be had: the releases already cached are planned, none is
 * added). `trust` lets the rotation verify and pin manifests of releases never pinned;
 * without it only pinned releases join the rotation.
 */
export async function planRotationJobs(
  env: MonitorEnv,
  ctx: SweepContext,
  entries: readonly Pick<IndexEntry, 'version'>[] | undefined,
  trust?: TrustedKeys,
): Promise<HashJob[]> {
  const state = monitorStateStub(env);
  const versions =
    entries === undefined ? undefined : newestFirst(entries.map((entry) => entry.version));
  if (versions !== undefined) await loadRotationManifests(state, ctx, versions, trust);
  const plan = await state.planRotation({
    ...(versions !== undefined && { versions }),
    now: ctx.now.toISOString(),
    policy: defaultRotationPolicy(ctx.config.ROTATION_DAYS, ctx.config.HASH_BYTES_PER_SWEEP_MIN),
    // The sweep's own jobs are in flight too: a large new release is not planned again.
    queuedBySweep: ctx.hashJobs.map((job) => ({ version: job.version, name: job.name })),
  });
  const jobs: HashJob[] = [];
  for (const planned of plan.jobs) {
    const url = safeArtifactUrl(ctx.config.DIST_BASE_URL, planned.version, planned.name);
    if (url === undefined) continue;
    jobs.push({
      type: 'hash',
      version: planned.version,
      name: planned.name,
      url,
      expectedSha256: planned.sha256,
      ...(!planned.sizeEstimated && { expectedBytes: planned.bytes }),
      reason: 'rotation',
      sweepId: ctx.sweepId,
    });
  }
  return jobs;
}

function newestFirst(versions: readonly string[]): string[] {
  const parsed = versions.flatMap((version) => {
    const result = parseVersion(version);
    return result.ok ? [{ version, parsed: result.value }] : [];
  });
  return parsed.sort((a, b) => compareVersions(b.parsed, a.parsed)).map((entry) => entry.version);
}

/** Entry names come from verified manifests, which reject unsafe paths; this is belt and braces. */
function safeArtifactUrl(baseUrl: string, version: string, name: string): string | undefined {
  try {
    return artifactUrl(baseUrl, version, name);
  } catch {
    return undefined;
  }
}
