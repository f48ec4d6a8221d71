/**
 * What one sweep of a larger archive costs (7 releases × 20 artifacts × 1 MiB): the first
 * sweep pins everything and queues the hashing, the second is the routine one; then how
 * fast the hash workers verify what was queued (`dist_monitor_verified_bytes` from the
 * operator's live `/metrics`, so the number is not a snapshot's).
 */
import type { SweepSummary } from '../demo/monitor-client.ts';
import type { ArchiveSweep } from './report.ts';
import type { Monitor } from './stacks.ts';

const MIB = 1024 * 1024;

export const ARCHIVE_SITE_ARGS = [
  '--releases',
  '7',
  '--artifacts',
  '20',
  '--artifact-size',
  String(MIB),
] as const;

export interface HashProgress {
  readonly bytes: number;
  readonly ms: number;
}

export interface ArchiveResult {
  readonly sweeps: ArchiveSweep[];
  readonly hashing: HashProgress;
}

async function verifiedBytes(monitor: Monitor): Promise<number> {
  const response = await fetch(`${monitor.origin}/metrics`, {
    headers: { authorization: `Bearer ${monitor.token}` },
    signal: AbortSignal.timeout(15_000),
  });
  const text = await response.text();
  const line = text.split('\n').find((l) => l.startsWith('dist_monitor_verified_bytes '));
  return line === undefined ? 0 : Number(line.split(' ')[1]);
}

/** Watches the hash workers until `expected` bytes are verified or the wait ends. */
async function watchHashing(
  monitor: Monitor,
  expected: number,
  waitMs: number,
): Promise<HashProgress> {
  const started = Date.now();
  let last = { bytes: await verifiedBytes(monitor), ms: 0 };
  while (Date.now() - started < waitMs && last.bytes < expected) {
    await new Promise((done) => setTimeout(done, 500));
    const bytes = await verifiedBytes(monitor);
    if (bytes !== last.bytes) last = { bytes, ms: Date.now() - started };
  }
  return last;
}

export async function measureArchive(
  monitor: Monitor,
  options: { readonly sweepTimeoutMs: number; readonly hashWaitMs: number },
): Promise<ArchiveResult> {
  const pinning = await monitor.client.sweep(options.sweepTimeoutMs);
  const hashing = await watchHashing(
    monitor,
    (pinning.hashJobsQueued + (pinning.hashedInline ?? 0)) * MIB,
    options.hashWaitMs,
  );
  const routine = await monitor.client.sweep(options.sweepTimeoutMs);
  return {
    sweeps: [
      { label: 'first (pins, queues hashing)', summary: pinning },
      { label: 'second (routine)', summary: routine },
    ],
    hashing,
  };
}

/**
 * The hash workers start while the sweep is still queueing, so the time is counted from
 * the sweep's start: the rate is a lower bound.
 */
export function hashLine(hashing: HashProgress, sweep: SweepSummary, waitMs: number): string {
  const total = sweep.hashJobsQueued + (sweep.hashedInline ?? 0);
  const done = `${(hashing.bytes / MIB).toFixed(0)} of ${total} MiB verified (hashed in the sweep or queued)`;
  if (hashing.bytes === 0) return `Hash workers: none verified within ${waitMs / 1000} s`;
  const seconds = (sweep.durationMs + hashing.ms) / 1000;
  return `Hash workers: ${done} within ${seconds.toFixed(1)} s of the sweep's start (at least ${(hashing.bytes / MIB / seconds).toFixed(0)} MiB/s)`;
}
