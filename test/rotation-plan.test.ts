import { describe, expect, it } from 'vitest';
import {
  affordableManifestLoads,
  defaultRotationPolicy,
  MANIFEST_LOAD_COST,
  MANIFEST_LOADS_PER_SWEEP,
  MAX_ROTATION_JOBS_PER_SWEEP,
  planRotation,
  ROTATION_BUDGET_RESERVE,
  ROTATION_IN_FLIGHT_MS,
  sendBatchCalls,
  SWEEP_INTERVAL_MS,
  sweepsPerPeriod,
  type RotationArtifact,
  type RotationPolicy,
} from '../src/core/rotation-plan';

const MB = 1_000_000;
const MIB = 1024 * 1024;
const DAY_MS = 24 * 60 * 60 * 1000;
const T0 = Date.parse('2026-01-05T00:00:00Z');
/** SUBREQUEST_BUDGET (900) minus the sweep's reporting reserve (100): what the rotation may see. */
const SWEEP_BUDGET = 800;
/** Calls to MonitorState the rotation makes per sweep (due releases, plan) besides loads. */
const STATE_CALLS_PER_SWEEP = 2;
const WORKERS_SUBREQUEST_LIMIT = 1000;
/** A Queues sendBatch carries at most 256 KB. */
const SEND_BATCH_MAX_BYTES = 256 * 1024;

const policy = (overrides: Partial<RotationPolicy> = {}): RotationPolicy => ({
  ...defaultRotationPolicy(7, 256 * MIB),
  ...overrides,
});

function artifact(name: string, fields: Partial<RotationArtifact> = {}): RotationArtifact {
  return { version: 'v1.0.0', name, sha256: 'a'.repeat(64), size: 10 * MB, ...fields };
}

/** A deterministic PRNG (mulberry32): the same archive every run. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface SimArtifact {
  version: string;
  name: string;
  sha256: string;
  size: number | undefined;
  lastHashedAt: number | undefined;
  queuedAt: number | undefined;
  trueSize: number;
}

/** 800 releases × 40 artifacts of 1–120 MB; one release in three pinned with sizes. */
function syntheticArchive(
  releases = 800,
  perRelease = 40,
): { versions: string[]; byVersion: Map<string, SimArtifact[]> } {
  const next = random(20261117);
  const versions: string[] = [];
  const byVersion = new Map<string, SimArtifact[]>();
  for (let r = 0; r < releases; r += 1) {
    const version = `v${Math.floor(r / 40)}.${r % 40}.0`;
    versions.push(version);
    const pinnedSizes = r % 3 === 0;
    const artifacts: SimArtifact[] = [];
    for (let a = 0; a < perRelease; a += 1) {
      const trueSize = Math.round(1 * MB + next() * 119 * MB);
      // Every field present from the start: one object shape, as MonitorState builds rows.
      artifacts.push({
        version,
        name: `node-${version}-platform-${a}.tar.xz`,
        sha256: (r * 100 + a).toString(16).padStart(64, '0'),
        size: pinnedSizes ? trueSize : undefined,
        lastHashedAt: undefined,
        queuedAt: undefined,
        trueSize,
      });
    }
    byVersion.set(version, artifacts);
  }
  versions.reverse(); // newest first, as the planner loads them
  return { versions, byVersion };
}

describe('planRotation', () => {
  it('plans never-hashed artifacts first, then the oldest-hashed', () => {
    const plan = planRotation(
      [
        artifact('recent', { lastHashedAt: T0 - 1000 }),
        artifact('old', { lastHashedAt: T0 - 5 * DAY_MS }),
        artifact('never'),
        artifact('older', { lastHashedAt: T0 - 6 * DAY_MS }),
      ],
      T0,
      policy({ minBytesPerSweep: 25 * MB }),
    );
    expect(plan.jobs.map((job) => job.name)).toEqual(['never', 'older', 'old']);
  });

  it('plans a whole archive smaller than the per-sweep floor every sweep', () => {
    const recent = Array.from({ length: 56 }, (_, i) =>
      artifact(`file-${i}`, { size: 2 * MB, lastHashedAt: T0 - SWEEP_INTERVAL_MS }),
    );
    const plan = planRotation(recent, T0, policy({ minBytesPerSweep: 256 * MIB }));
    expect(plan.jobs).toHaveLength(56);
  });

  it('skips an artifact queued recently whose result has not come back', () => {
    const plan = planRotation(
      [
        artifact('in-flight', { queuedAt: T0 - 60_000, lastHashedAt: T0 - DAY_MS }),
        artifact('came-back', { queuedAt: T0 - 60_000, lastHashedAt: T0 - 30_000 }),
        artifact('lost', { queuedAt: T0 - ROTATION_IN_FLIGHT_MS, lastHashedAt: T0 - DAY_MS }),
      ],
      T0,
      policy(),
    );
    expect(plan.jobs.map((job) => job.name).sort()).toEqual(['came-back', 'lost']);
    expect(plan.inFlight).toBe(1);
  });

  it('estimates unknown sizes from the median of the known ones', () => {
    const plan = planRotation(
      [
        artifact('a', { size: 1 * MB }),
        artifact('b', { size: 7 * MB }),
        artifact('c', { size: 90 * MB }),
        artifact('unknown', { size: undefined }),
      ],
      T0,
      policy(),
    );
    expect(plan.jobs.find((job) => job.name === 'unknown')).toMatchObject({
      bytes: 7 * MB,
      sizeEstimated: true,
    });
    expect(plan.estimatedSizes).toBe(1);
  });

  it('never plans more than the job cap, whatever the target', () => {
    const many = Array.from({ length: 12_000 }, (_, i) => artifact(`f${i}`, { size: 1 }));
    const plan = planRotation(many, T0, policy({ minBytesPerSweep: Number.MAX_SAFE_INTEGER }));
    expect(plan.jobs).toHaveLength(MAX_ROTATION_JOBS_PER_SWEEP);
  });

  it('plans nothing for an empty archive', () => {
    expect(planRotation([], T0, policy()).jobs).toEqual([]);
  });

  it('adds a catch-up share, at most doubling the pace, when artifacts are overdue', () => {
    const fresh = Array.from({ length: 2000 }, (_, i) =>
      artifact(`f${i}`, { size: 100 * MB, lastHashedAt: T0 - DAY_MS }),
    );
    const overdue = fresh.map((item) => ({ ...item, lastHashedAt: T0 - 8 * DAY_MS }));
    const calm = planRotation(fresh, T0, policy({ minBytesPerSweep: 0 }));
    const behind = planRotation(overdue, T0, policy({ minBytesPerSweep: 0 }));
    expect(behind.overdue).toBe(2000);
    expect(behind.targetBytes).toBeGreaterThan(calm.targetBytes);
    expect(behind.targetBytes).toBeLessThanOrEqual(2 * calm.targetBytes + 1);
  });
});

describe('affordableManifestLoads', () => {
  it.each([
    { remaining: 800, expected: MANIFEST_LOADS_PER_SWEEP },
    { remaining: ROTATION_BUDGET_RESERVE + 2 * MANIFEST_LOAD_COST, expected: 2 },
    { remaining: ROTATION_BUDGET_RESERVE + MANIFEST_LOAD_COST - 1, expected: 0 },
    { remaining: 0, expected: 0 },
  ])('affords $expected loads with $remaining subrequests left', ({ remaining, expected }) => {
    expect(
      affordableManifestLoads(remaining, {
        maxLoads: MANIFEST_LOADS_PER_SWEEP,
        costPerLoad: MANIFEST_LOAD_COST,
        reserve: ROTATION_BUDGET_RESERVE,
      }),
    ).toBe(expected);
  });
});

describe('a 7-day rotation over an archive of 800 releases × 40 artifacts', () => {
  it('stays within Workers limits every sweep, covers every artifact within each period and spreads bytes evenly', () => {
    const started = performance.now();
    const { versions, byVersion } = syntheticArchive();
    const rotation = policy();
    const sweeps = sweepsPerPeriod(rotation);
    expect(sweeps).toBe(2016);

    const cached: SimArtifact[] = [];
    const pending = [...versions];
    /** Longest time between two hashes of one artifact (or from the start to its first). */
    const longestGap = new Map<SimArtifact, number>();
    const bytesPerSweep: number[] = [];
    let maxSubrequests = 0;
    let maxJobs = 0;
    let maxBatchBytes = 0;
    let planMs = 0;

    for (let sweep = 0; sweep < 2 * sweeps; sweep += 1) {
      const now = T0 + sweep * SWEEP_INTERVAL_MS;
      // Manifest loads first, within the budget, newest releases first (as the job does).
      const loads = affordableManifestLoads(SWEEP_BUDGET, {
        maxLoads: MANIFEST_LOADS_PER_SWEEP,
        costPerLoad: MANIFEST_LOAD_COST,
        reserve: ROTATION_BUDGET_RESERVE,
      });
      for (const version of pending.splice(0, loads))
        cached.push(...(byVersion.get(version) ?? []));

      const planStart = performance.now();
      const plan = planRotation(cached, now, rotation);
      planMs += performance.now() - planStart;
      const jobs = plan.jobs.length;
      const subrequests = loads * MANIFEST_LOAD_COST + sendBatchCalls(jobs) + STATE_CALLS_PER_SWEEP;
      maxSubrequests = Math.max(maxSubrequests, subrequests);
      maxJobs = Math.max(maxJobs, jobs);
      const firstBatch = plan.jobs.slice(0, 100).map((job) => ({
        body: {
          type: 'hash',
          version: job.version,
          name: job.name,
          url: `https://nodejs.org/dist/${job.version}/${job.name}`,
          expectedSha256: job.sha256,
          expectedBytes: job.bytes,
          reason: 'rotation',
          sweepId: '20260105-000000-abcdef12',
        },
      }));
      maxBatchBytes = Math.max(maxBatchBytes, JSON.stringify(firstBatch).length);

      // The hash workers finish within the sweep interval; they learn the true size.
      let bytes = 0;
      const hashedAt = now + 60_000;
      for (const job of plan.jobs) {
        const item = byVersion.get(job.version)?.find((candidate) => candidate.name === job.name);
        if (!item) throw new Error(`planned an unknown artifact ${job.version}/${job.name}`);
        bytes += item.trueSize;
        item.queuedAt = now;
        const since = item.lastHashedAt ?? T0;
        longestGap.set(item, Math.max(longestGap.get(item) ?? 0, hashedAt - since));
        item.lastHashedAt = hashedAt;
        item.size = item.trueSize;
      }
      bytesPerSweep.push(bytes);
    }

    const all = [...byVersion.values()].flat();
    expect(all).toHaveLength(32_000);
    expect(pending).toEqual([]);
    // Every artifact hashed, and never more than one period between two hashes of it.
    const end = T0 + 2 * sweeps * SWEEP_INTERVAL_MS;
    for (const item of all) {
      expect(item.lastHashedAt).toBeDefined();
      const gap = Math.max(longestGap.get(item) ?? Infinity, end - (item.lastHashedAt ?? 0));
      expect(gap).toBeLessThanOrEqual(rotation.periodMs);
    }
    // Workers limits: subrequests, job cap, and Queues' 256 KB per sendBatch.
    expect(maxSubrequests).toBeLessThanOrEqual(SWEEP_BUDGET);
    expect(maxSubrequests).toBeLessThan(WORKERS_SUBREQUEST_LIMIT);
    expect(maxJobs).toBeLessThanOrEqual(MAX_ROTATION_JOBS_PER_SWEEP);
    expect(maxBatchBytes).toBeLessThan(SEND_BATCH_MAX_BYTES);
    // Spread evenly by bytes once every manifest is known.
    const steady = bytesPerSweep.slice(sweeps);
    const mean = steady.reduce((sum, value) => sum + value, 0) / steady.length;
    expect(Math.max(...steady)).toBeLessThanOrEqual(2 * mean);
    expect(Math.max(...bytesPerSweep)).toBeLessThanOrEqual(2 * mean);
    console.log(
      `rotation simulation (planner ${Math.round(planMs)} ms): ${2 * sweeps} sweeps in ${Math.round(performance.now() - started)} ms; ` +
        `mean ${(mean / 1e9).toFixed(2)} GB/sweep, max ${(Math.max(...bytesPerSweep) / 1e9).toFixed(2)} GB, ` +
        `max ${maxJobs} jobs and ${maxSubrequests} subrequests per sweep`,
    );
  }, 120_000);
});
