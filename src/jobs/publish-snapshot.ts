/**
 * How the rest of the Worker asks for a new public status snapshot (the writer is
 * src/durable/snapshot-writer.ts). None of these throws: a snapshot that cannot be taken
 * leaves the previous one served and is logged, and must never cost a sweep its summary
 * or an operator their action.
 *
 * - `publishSnapshot`: now, and wait until it is stored (a sweep's end, an operator action).
 * - `requestSnapshot`: soon (an incident changed; many changes in a burst make one snapshot).
 * - `recordSweepEnd`: what every sweep does last: its heartbeat for /healthz, written by
 *   the sweep itself so that it moves even when the snapshot writer is broken, then a
 *   snapshot.
 */
import { createSnapshotStore } from '../adapters/snapshot-store';
import type { SweepSummary } from '../core/sweep-summary';
import { snapshotWriterStub, type PublishOutcome } from '../durable/snapshot-writer';
import type { MonitorEnv } from '../env';
import { nextHeartbeat } from '../http/snapshot-health';
import type { SnapshotTrigger } from '../http/snapshot-model';

type WriterEnv = Pick<MonitorEnv, 'SNAPSHOT_WRITER'>;

function describe(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error';
}

export async function publishSnapshot(
  env: WriterEnv,
  trigger: SnapshotTrigger,
  takenAt?: Date,
): Promise<PublishOutcome> {
  try {
    return await snapshotWriterStub(env).publish(trigger, takenAt?.toISOString());
  } catch (error) {
    console.error(`status snapshot (${trigger}) not requested: ${describe(error)}`);
    return { ok: false, error: describe(error) };
  }
}

export async function requestSnapshot(env: WriterEnv, trigger: SnapshotTrigger): Promise<void> {
  try {
    await snapshotWriterStub(env).request(trigger);
  } catch (error) {
    console.error(`status snapshot (${trigger}) not requested: ${describe(error)}`);
  }
}

export async function recordSweepEnd(
  env: Pick<MonitorEnv, 'SNAPSHOT_WRITER' | 'STATUS_SNAPSHOTS'>,
  summary: Pick<SweepSummary, 'finishedAt' | 'outcome'>,
  now: Date,
): Promise<PublishOutcome> {
  try {
    const store = createSnapshotStore(env.STATUS_SNAPSHOTS);
    // Sweeps hold the lock one at a time, so this read-modify-write does not race.
    await store.writeHeartbeat(nextHeartbeat(await store.readHeartbeat(), summary));
  } catch (error) {
    console.error(`sweep heartbeat not written: ${describe(error)}`);
  }
  return publishSnapshot(env, 'sweep', now);
}
