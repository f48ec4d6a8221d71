/**
 * The public status snapshot in KV (binding STATUS_SNAPSHOTS), laid out so that a reader
 * never sees half of one or a mix of two: each snapshot is one immutable value under its
 * own versioned key, written whole, and only then is the pointer `status-snapshot/current`
 * moved to it. A writer that fails part-way leaves the pointer where it was, so the
 * previous snapshot is still what everyone reads. Superseded versions are deleted once no
 * reader can still hold a pointer to them (KV caches reads at the edge for up to a minute).
 * The sweep's heartbeat, read by /healthz, lives beside it. Layout: docs/storage.md.
 */
import type { SweepHeartbeat } from '../http/snapshot-health';
import type { PublicSnapshot, SnapshotHealth } from '../http/snapshot-model';
import { SNAPSHOT_FORMAT } from '../http/snapshot-model';

export const SNAPSHOT_POINTER_KEY = 'status-snapshot/current';
export const HEARTBEAT_KEY = 'monitor/heartbeat';

export function snapshotKeyOf(version: number): string {
  return `status-snapshot/v/${String(version).padStart(12, '0')}`;
}

/** What the pointer holds: enough for /healthz without reading the snapshot itself. */
export interface SnapshotPointer {
  readonly format: typeof SNAPSHOT_FORMAT;
  readonly id: string;
  readonly version: number;
  readonly takenAt: string;
  readonly key: string;
  readonly health: SnapshotHealth;
}

/** KV failed, or holds something this code did not write. */
export class SnapshotStoreError extends Error {
  override readonly name = 'SnapshotStoreError';
}

/** The part of a KV namespace the store uses (tests wrap it to fail on purpose). */
export type SnapshotKv = Pick<KVNamespace, 'get' | 'put' | 'delete'>;

export interface SnapshotStore {
  /** The current pointer, or `undefined` before the first snapshot. */
  readPointer(): Promise<SnapshotPointer | undefined>;
  /** The snapshot a pointer names, or `undefined` if it is gone. */
  readSnapshot(pointer: SnapshotPointer): Promise<PublicSnapshot | undefined>;
  /** Writes the snapshot (`serialized`: its JSON, when already made), then moves the pointer. */
  publish(snapshot: PublicSnapshot, serialized?: string): Promise<SnapshotPointer>;
  deleteVersion(version: number): Promise<void>;
  readHeartbeat(): Promise<SweepHeartbeat | undefined>;
  writeHeartbeat(heartbeat: SweepHeartbeat): Promise<void>;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function isTime(value: unknown): value is string {
  return typeof value === 'string' && !Number.isNaN(Date.parse(value));
}

function parsePointer(value: unknown): SnapshotPointer {
  if (
    !isRecord(value) ||
    value['format'] !== SNAPSHOT_FORMAT ||
    typeof value['id'] !== 'string' ||
    !Number.isSafeInteger(value['version']) ||
    !isTime(value['takenAt']) ||
    value['key'] !== snapshotKeyOf(value['version'] as number) ||
    !isRecord(value['health']) ||
    !Number.isSafeInteger(value['health']['sweeps'])
  ) {
    throw new SnapshotStoreError('the status snapshot pointer is not in the expected format');
  }
  return value as unknown as SnapshotPointer;
}

function parseSnapshot(value: unknown, pointer: SnapshotPointer): PublicSnapshot {
  if (
    !isRecord(value) ||
    value['format'] !== SNAPSHOT_FORMAT ||
    value['id'] !== pointer.id ||
    value['version'] !== pointer.version ||
    !isRecord(value['report']) ||
    !Array.isArray(value['incidents']) ||
    !Array.isArray(value['histories']) ||
    !isRecord(value['details']) ||
    typeof value['metrics'] !== 'string'
  ) {
    throw new SnapshotStoreError(
      `status snapshot ${pointer.version} is not the one its pointer names`,
    );
  }
  return value as unknown as PublicSnapshot;
}

function parseHeartbeat(value: unknown): SweepHeartbeat | undefined {
  if (
    !isRecord(value) ||
    !Number.isSafeInteger(value['sweeps']) ||
    !isTime(value['lastFinishedAt']) ||
    (value['lastSuccessAt'] !== undefined && !isTime(value['lastSuccessAt']))
  ) {
    return undefined;
  }
  return value as unknown as SweepHeartbeat;
}

/**
 * Seconds an edge location may keep a read (KV's minimum is 30): the pointer moves with
 * every snapshot; a versioned snapshot never changes once written.
 */
const POINTER_CACHE_TTL_S = 30;
const SNAPSHOT_CACHE_TTL_S = 3600;

async function kvJson(kv: SnapshotKv, key: string, cacheTtl?: number): Promise<unknown> {
  let text: string | null;
  try {
    text = await kv.get(key, { type: 'text', ...(cacheTtl !== undefined && { cacheTtl }) });
  } catch (error) {
    throw new SnapshotStoreError(`reading ${key} failed`, { cause: error });
  }
  if (text === null) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SnapshotStoreError(`${key} is not JSON`, { cause: error });
  }
}

export function pointerOf(snapshot: PublicSnapshot): SnapshotPointer {
  return {
    format: SNAPSHOT_FORMAT,
    id: snapshot.id,
    version: snapshot.version,
    takenAt: snapshot.takenAt,
    key: snapshotKeyOf(snapshot.version),
    health: snapshot.health,
  };
}

export function createSnapshotStore(kv: SnapshotKv): SnapshotStore {
  return {
    async readPointer() {
      const value = await kvJson(kv, SNAPSHOT_POINTER_KEY, POINTER_CACHE_TTL_S);
      return value === undefined ? undefined : parsePointer(value);
    },
    async readSnapshot(pointer) {
      const value = await kvJson(kv, pointer.key, SNAPSHOT_CACHE_TTL_S);
      return value === undefined ? undefined : parseSnapshot(value, pointer);
    },
    async publish(snapshot, serialized = JSON.stringify(snapshot)) {
      const pointer = pointerOf(snapshot);
      try {
        await kv.put(pointer.key, serialized);
        // Last, and only once the snapshot is stored whole: readers follow the pointer.
        await kv.put(SNAPSHOT_POINTER_KEY, JSON.stringify(pointer));
      } catch (error) {
        throw new SnapshotStoreError(`publishing status snapshot ${snapshot.version} failed`, {
          cause: error,
        });
      }
      return pointer;
    },
    async deleteVersion(version) {
      try {
        await kv.delete(snapshotKeyOf(version));
      } catch (error) {
        throw new SnapshotStoreError(`deleting status snapshot ${version} failed`, {
          cause: error,
        });
      }
    },
    async readHeartbeat() {
      return parseHeartbeat(await kvJson(kv, HEARTBEAT_KEY));
    },
    async writeHeartbeat(heartbeat) {
      try {
        await kv.put(HEARTBEAT_KEY, JSON.stringify(heartbeat));
      } catch (error) {
        throw new SnapshotStoreError('writing the sweep heartbeat failed', { cause: error });
      }
    },
  };
}
