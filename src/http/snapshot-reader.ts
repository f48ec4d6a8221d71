/**
 * The read side of the public status snapshot: which snapshot a public request is
 * answered from. At most one KV read of the pointer per second and isolate
 * (answer-memo.ts), then the Cache API; the snapshot itself is read only on a cache miss
 * and kept parsed in the isolate by its id (a snapshot never changes once written). No
 * Durable Object is touched here. Before the first snapshot the answer is the empty
 * "starting" snapshot, told by the sweeps' heartbeat whether sweeps already ran.
 */
import {
  createSnapshotStore,
  SnapshotStoreError,
  type SnapshotPointer,
  type SnapshotStore,
} from '../adapters/snapshot-store';
import { parseMonitorConfig } from '../core/config';
import type { MonitorEnv } from '../env';
import { HttpProblem } from './problem';
import type { SweepHeartbeat } from './snapshot-health';
import { emptySnapshot, type PublicSnapshot } from './snapshot-model';

/** Parsed snapshots kept per isolate: the current one and the one before. */
const MEMO_SIZE = 2;
const memo = new Map<string, PublicSnapshot>();

export function snapshotStoreOf(env: Pick<MonitorEnv, 'STATUS_SNAPSHOTS'>): SnapshotStore {
  return createSnapshotStore(env.STATUS_SNAPSHOTS);
}

/** `PUBLIC_READ_PATH`: only the exact word `live` puts the Durable Objects on the read path. */
export function readsLive(env: Pick<MonitorEnv, 'PUBLIC_READ_PATH'>): boolean {
  return env.PUBLIC_READ_PATH?.trim() === 'live';
}

function unavailable(detail: string): HttpProblem {
  return new HttpProblem('status-unavailable', detail, { 'retry-after': '5' });
}

/** The current pointer, `undefined` before the first snapshot; KV failing is a 503. */
export async function readPointer(store: SnapshotStore): Promise<SnapshotPointer | undefined> {
  try {
    return await store.readPointer();
  } catch (error) {
    if (!(error instanceof SnapshotStoreError)) throw error;
    console.error(`status snapshot pointer unreadable: ${error.message}`);
    throw unavailable('The public status could not be read just now. Try again shortly.');
  }
}

/** The snapshot a pointer names (from the isolate's memo when it has it). */
export async function loadSnapshot(
  store: SnapshotStore,
  pointer: SnapshotPointer,
): Promise<PublicSnapshot> {
  const known = memo.get(pointer.id);
  if (known !== undefined) return known;
  let snapshot: PublicSnapshot | undefined;
  try {
    snapshot = await store.readSnapshot(pointer);
  } catch (error) {
    if (!(error instanceof SnapshotStoreError)) throw error;
    console.error(`status snapshot ${pointer.version} unreadable: ${error.message}`);
    throw unavailable('The public status could not be read just now. Try again shortly.');
  }
  if (snapshot === undefined) {
    throw unavailable('The public status is being replaced. Try again shortly.');
  }
  memo.set(pointer.id, snapshot);
  for (const id of memo.keys()) if (memo.size > MEMO_SIZE) memo.delete(id);
  return snapshot;
}

/** The watched base URL for the "starting" page (the default when the vars do not parse). */
function baseUrlOf(env: MonitorEnv): string {
  const parsed = parseMonitorConfig(env as unknown as Record<string, unknown>);
  return parsed.ok ? parsed.value.DIST_BASE_URL : 'https://nodejs.org/dist';
}

/** What the public sees before the first snapshot: starting, or behind if sweeps ran. */
export async function snapshotBeforeFirst(
  env: MonitorEnv,
  store: SnapshotStore,
  now: Date,
): Promise<PublicSnapshot> {
  let heartbeat: SweepHeartbeat | undefined;
  try {
    heartbeat = await store.readHeartbeat();
  } catch {
    heartbeat = undefined;
  }
  return emptySnapshot(baseUrlOf(env), now, heartbeat);
}
