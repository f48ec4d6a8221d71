/**
 * The hashing rotation: which artifacts of the whole archive one sweep hashes, so that every
 * artifact's bytes are proven at least once per rotation period (ROTATION_DAYS).
 *
 * Contract: `planRotation` is pure and bounded. It takes every artifact whose signed hash is
 * known, with when its bytes were last hashed, and returns this sweep's share, oldest first:
 * the shortest oldest-first run whose bytes reach the sweep's target, never more than
 * `maxJobs`. The target is the archive's bytes spread evenly over the sweeps of one period
 * (with headroom, so the cycle finishes early), plus a catch-up share when some artifact is
 * overdue, and never less than `minBytesPerSweep`, so a small archive is re-hashed whole
 * every sweep. Unknown sizes are estimated from the median of the known ones. One pass over
 * the input with a heap of the selection: O(n log k) time, O(k) memory beyond the sizes.
 */

/** The cron runs every five minutes (wrangler.toml `crons`); the rotation paces itself on it. */
export const SWEEP_INTERVAL_MS = 5 * 60 * 1000;
/** Jobs one sweep may queue for the rotation: 50 sendBatch calls at most. */
export const MAX_ROTATION_JOBS_PER_SWEEP = 5000;
/** Queues take at most 100 messages per sendBatch. */
export const SEND_BATCH_SIZE = 100;
/** The cycle is planned to finish in 1/1.1 of the period: slack for failures and new releases. */
export const ROTATION_HEADROOM = 1.1;
/** A queued artifact is not planned again for this long unless its result came back. */
export const ROTATION_IN_FLIGHT_MS = 60 * 60 * 1000;
/** Size assumed for an artifact of unknown size when no size at all is known. */
export const DEFAULT_ARTIFACT_BYTES = 32 * 1024 * 1024;
/** Releases whose manifest one sweep may load into the rotation's cache, at most. */
export const MANIFEST_LOADS_PER_SWEEP = 10;
/** Worst case of one load: a KV read, three fetches (manifest, .sig, .asc), a KV write. */
export const MANIFEST_LOAD_COST = 5;
/** Subrequests the rotation always leaves unspent. */
export const ROTATION_BUDGET_RESERVE = 20;
/** Known sizes sampled for the median estimate of unknown ones. */
const MEDIAN_SAMPLE = 1024;
/** Overdue bytes are caught up over about a day, never faster than double pace. */
const CATCH_UP_MS = 24 * 60 * 60 * 1000;

/** What the planner knows of one artifact. Times are ms since the epoch. */
export interface RotationArtifact {
  readonly version: string;
  /** Manifest entry name, e.g. `win-x64/node.exe`. */
  readonly name: string;
  /** Lowercase hex SHA-256 from the verified (pinned) manifest. */
  readonly sha256: string;
  /** Bytes, when known (pinned Content-Length or a verified hash); otherwise estimated. */
  readonly size?: number;
  /** When its bytes were last hashed, whatever the result; undefined when never. */
  readonly lastHashedAt?: number;
  /** When the rotation last queued it. */
  readonly queuedAt?: number;
}

export interface RotationPolicy {
  /** Every artifact is hashed at least once within this period (ROTATION_DAYS). */
  readonly periodMs: number;
  readonly sweepIntervalMs: number;
  /** HASH_BYTES_PER_SWEEP_MIN: a floor, so small archives are hashed whole every sweep. */
  readonly minBytesPerSweep: number;
  readonly maxJobs: number;
  readonly inFlightMs: number;
}

/** One artifact to hash this sweep. */
export interface PlannedHash {
  readonly version: string;
  readonly name: string;
  readonly sha256: string;
  /** Known size, or the estimate used for pacing when `sizeEstimated`. */
  readonly bytes: number;
  readonly sizeEstimated: boolean;
}

export interface RotationPlan {
  /** Oldest-hashed first (never hashed before anything else). */
  readonly jobs: readonly PlannedHash[];
  readonly plannedBytes: number;
  readonly targetBytes: number;
  /** Bytes of every artifact known, estimates included. */
  readonly archiveBytes: number;
  readonly artifacts: number;
  readonly estimatedSizes: number;
  /** Artifacts last hashed more than a period ago. */
  readonly overdue: number;
  /** Artifacts skipped because a job for them is still under way. */
  readonly inFlight: number;
}

export function defaultRotationPolicy(
  rotationDays: number,
  minBytesPerSweep: number,
): RotationPolicy {
  return {
    periodMs: rotationDays * 24 * 60 * 60 * 1000,
    sweepIntervalMs: SWEEP_INTERVAL_MS,
    minBytesPerSweep,
    maxJobs: MAX_ROTATION_JOBS_PER_SWEEP,
    inFlightMs: ROTATION_IN_FLIGHT_MS,
  };
}

export function sweepsPerPeriod(
  policy: Pick<RotationPolicy, 'periodMs' | 'sweepIntervalMs'>,
): number {
  return Math.max(1, Math.floor(policy.periodMs / Math.max(1, policy.sweepIntervalMs)));
}

interface Candidate {
  readonly artifact: RotationArtifact;
  readonly bytes: number;
  /** -Infinity when never hashed: those come first. */
  readonly age: number;
}

export function planRotation(
  artifacts: readonly RotationArtifact[],
  now: number,
  policy: RotationPolicy,
): RotationPlan {
  const estimate = estimateUnknownSize(artifacts);
  const count = artifacts.length;
  // One read of each artifact's fields into flat arrays: the selection pass then touches
  // plain numbers, which keeps a plan over tens of thousands of artifacts to about a ms.
  const sizes = new Float64Array(count);
  const ages = new Float64Array(count);
  let archiveBytes = 0;
  let overdueBytes = 0;
  let overdue = 0;
  let estimatedSizes = 0;
  let inFlight = 0;
  for (let i = 0; i < count; i += 1) {
    const artifact = artifacts[i] as RotationArtifact;
    const size = artifact.size;
    const known = isKnownSize(size);
    const bytes = known ? size : estimate;
    if (!known) estimatedSizes += 1;
    sizes[i] = bytes;
    archiveBytes += bytes;
    const last = artifact.lastHashedAt;
    if (last !== undefined && now - last >= policy.periodMs) {
      overdue += 1;
      overdueBytes += bytes;
    }
    if (isInFlight(artifact.queuedAt, last, now, policy.inFlightMs)) {
      inFlight += 1;
      ages[i] = Number.NaN;
    } else {
      ages[i] = last ?? Number.NEGATIVE_INFINITY;
    }
  }

  const sweeps = sweepsPerPeriod(policy);
  const pace = (archiveBytes * ROTATION_HEADROOM) / sweeps;
  const catchUpSweeps = Math.max(1, Math.round(CATCH_UP_MS / Math.max(1, policy.sweepIntervalMs)));
  const catchUp = Math.min(pace, overdueBytes / catchUpSweeps);
  const targetBytes = Math.max(policy.minBytesPerSweep, Math.ceil(pace + catchUp), 1);

  const selection = createSelection(targetBytes, Math.max(0, policy.maxJobs));
  for (let i = 0; i < count; i += 1) {
    const age = ages[i] as number;
    if (!Number.isNaN(age))
      selection.offer(artifacts[i] as RotationArtifact, sizes[i] as number, age);
  }

  let plannedBytes = 0;
  const jobs = selection.oldestFirst().map((candidate): PlannedHash => {
    plannedBytes += candidate.bytes;
    return {
      version: candidate.artifact.version,
      name: candidate.artifact.name,
      sha256: candidate.artifact.sha256,
      bytes: candidate.bytes,
      sizeEstimated: !isKnownSize(candidate.artifact.size),
    };
  });
  return {
    jobs,
    plannedBytes,
    targetBytes,
    archiveBytes,
    artifacts: artifacts.length,
    estimatedSizes,
    overdue,
    inFlight,
  };
}

/** Subrequests the queueing of `jobs` messages costs. */
export function sendBatchCalls(jobs: number): number {
  return Math.ceil(jobs / SEND_BATCH_SIZE);
}

/**
 * Releases whose manifests one sweep may load into the rotation's cache: at most
 * `maxLoads`, each priced at its worst case (`costPerLoad` subrequests), always leaving
 * `reserve` of the budget untouched.
 */
export function affordableManifestLoads(
  budgetRemaining: number,
  options: { readonly maxLoads: number; readonly costPerLoad: number; readonly reserve: number },
): number {
  const spare = budgetRemaining - options.reserve;
  if (spare <= 0 || options.costPerLoad <= 0) return 0;
  return Math.max(0, Math.min(options.maxLoads, Math.floor(spare / options.costPerLoad)));
}

function isKnownSize(size: number | undefined): size is number {
  return size !== undefined && Number.isFinite(size) && size >= 0;
}

/** Queued recently and no result since: its job is still in the queue (or retrying). */
function isInFlight(
  queuedAt: number | undefined,
  lastHashedAt: number | undefined,
  now: number,
  inFlightMs: number,
): boolean {
  if (queuedAt === undefined || now - queuedAt >= inFlightMs) return false;
  return lastHashedAt === undefined || lastHashedAt < queuedAt;
}

/**
 * The median known size, from an evenly spaced sample of at most ~2,048 sizes: exact for
 * small archives, close enough for pacing at archive scale, and never a sort of everything.
 */
function estimateUnknownSize(artifacts: readonly RotationArtifact[]): number {
  let known = 0;
  for (const artifact of artifacts) if (isKnownSize(artifact.size)) known += 1;
  if (known === 0 || known === artifacts.length) return DEFAULT_ARTIFACT_BYTES;
  const stride = Math.max(1, Math.floor(known / MEDIAN_SAMPLE));
  const sample = new Float64Array(Math.ceil(known / stride));
  let seen = 0;
  let at = 0;
  for (const artifact of artifacts) {
    if (!isKnownSize(artifact.size)) continue;
    if (seen % stride === 0 && at < sample.length) sample[at++] = artifact.size;
    seen += 1;
  }
  const sizes = sample.subarray(0, at).sort();
  return sizes[Math.floor(sizes.length / 2)] ?? DEFAULT_ARTIFACT_BYTES;
}

/** True when `a` should be hashed after `b`: more recently hashed, then by name. */
function isYounger(a: Candidate, b: Candidate): boolean {
  return isYoungerThan(a.age, a.artifact, b);
}

function isYoungerThan(age: number, artifact: RotationArtifact, b: Candidate): boolean {
  if (age !== b.age) return age > b.age;
  if (artifact.version !== b.artifact.version) return artifact.version > b.artifact.version;
  return artifact.name > b.artifact.name;
}

/**
 * The shortest oldest-first run reaching `targetBytes`, at most `maxJobs` long, over the
 * artifacts offered. A max-heap keeps the youngest selected on top: while the rest still
 * reach the target (or the run is too long) the youngest is dropped, and a dropped one can
 * never rejoin the shortest run. An artifact younger than the top of a full selection is
 * turned away before anything is allocated, which is the common case at archive scale.
 */
function createSelection(targetBytes: number, maxJobs: number) {
  const heap: Candidate[] = [];
  let bytes = 0;
  return {
    offer(artifact: RotationArtifact, size: number, age: number): void {
      const top = heap[0];
      const full = bytes >= targetBytes || heap.length >= maxJobs;
      if (top !== undefined && full && isYoungerThan(age, artifact, top)) return;
      if (maxJobs === 0) return;
      heapPush(heap, { artifact, bytes: size, age });
      bytes += size;
      for (;;) {
        const youngest = heap[0];
        if (youngest === undefined) break;
        if (heap.length <= maxJobs && bytes - youngest.bytes < targetBytes) break;
        heapPop(heap);
        bytes -= youngest.bytes;
      }
    },
    oldestFirst(): Candidate[] {
      return [...heap].sort((a, b) => (isYounger(a, b) ? 1 : isYounger(b, a) ? -1 : 0));
    },
  };
}

function heapPush(heap: Candidate[], item: Candidate): void {
  heap.push(item);
  let child = heap.length - 1;
  while (child > 0) {
    const parent = (child - 1) >> 1;
    const above = heap[parent] as Candidate;
    if (!isYounger(item, above)) break;
    heap[child] = above;
    child = parent;
  }
  heap[child] = item;
}

function heapPop(heap: Candidate[]): void {
  const last = heap.pop();
  if (last === undefined || heap.length === 0) return;
  let parent = 0;
  for (;;) {
    const left = parent * 2 + 1;
    if (left >= heap.length) break;
    const right = left + 1;
    const leftItem = heap[left] as Candidate;
    const rightItem = heap[right];
    const child = rightItem !== undefined && isYounger(rightItem, leftItem) ? right : left;
    const childItem = heap[child] as Candidate;
    if (!isYounger(childItem, last)) break;
    heap[parent] = childItem;
    parent = child;
  }
  heap[parent] = last;
}
