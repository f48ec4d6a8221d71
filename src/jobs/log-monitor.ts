/**
 * Monitoring the transparency log from outside the sequencer, as rekor-monitor does for
 * Rekor: read the published checkpoint and the served tiles (nothing else the sequencer
 * says), check the checkpoint's signature and origin, that the tiles hash to its root, that
 * it extends the last checkpoint this monitor accepted (kept in KV, apart from the
 * sequencer's storage) with a consistency proof computed from the tiles, and that every
 * entry appended since is well formed and part of the tree. Then remember it.
 *
 * Contract: a failure is returned (the sweep makes it a `transparency-log-inconsistent`
 * finding) and the remembered checkpoint is kept, so the next sweep fails too until a
 * person looks. At most AUDIT_ENTRIES_PER_SWEEP entries are read per sweep: new ones first,
 * then older ones from a cursor that goes round the whole log, so a rewritten old entry is
 * found too (at 1.7 M entries, within about 35 hours of five-minute sweeps).
 */
import { err, ok, type Result } from '../core/result';
import type { LogSettings } from '../core/log-settings';
import { parseCheckpoint, verifyCheckpoint } from '../core/tlog/checkpoint';
import { verifyCheckpointAdvance } from '../core/tlog/checkpoint-consistency';
import { bytesEqual } from '../core/tlog/encoding';
import { parseLogEntry } from '../core/tlog/entries';
import { parsePrivateKey } from '../core/tlog/note';
import { createTileReader, type TileReader } from '../core/tlog/tile-reader';
import { logSequencerStub } from '../durable/log-sequencer';
import type { MonitorEnv } from '../env';

/** KV key (PINS) of the last checkpoint the monitor accepted (docs/storage.md). */
export const LOG_MONITOR_KEY = 'log:monitor';
export const AUDIT_ENTRIES_PER_SWEEP = 4096;

interface MonitorMemory {
  /** The last accepted checkpoint, as served. */
  readonly checkpoint: string;
  /** Entries below this index were audited. */
  readonly auditedSize: number;
  /** Where the next re-audit of older entries starts. */
  readonly recheckFrom?: number;
  readonly checkedAt: string;
}

export type LogMonitorError = {
  readonly kind:
    | 'checkpoint-missing'
    | 'checkpoint-invalid'
    | 'tiles-inconsistent'
    | 'origin-changed'
    | 'smaller-tree'
    | 'fork'
    | 'inconsistent'
    | 'entry-invalid';
  readonly detail: string;
};

export async function monitorLog(
  env: MonitorEnv,
  settings: Extract<LogSettings, { enabled: true }>,
  now: Date,
): Promise<Result<{ readonly size: number; readonly audited: number }, LogMonitorError>> {
  const key = await parsePrivateKey(settings.privateKey);
  if (!key.ok) return err({ kind: 'checkpoint-invalid', detail: 'LOG_SIGNING_KEY does not parse' });
  // Remembered first, published second: what was remembered was published earlier, so an
  // honest log's current checkpoint is never smaller than it.
  const memory = await env.PINS.get<MonitorMemory>(LOG_MONITOR_KEY, 'json');
  const sequencer = logSequencerStub(env);
  const published = await sequencer.latest();
  if (!published) return err({ kind: 'checkpoint-missing', detail: 'no checkpoint is published' });

  const verified = await verifyCheckpoint(published.note, key.value.verifier, {
    origin: settings.origin,
  });
  if (!verified.ok) {
    return err({
      kind: 'checkpoint-invalid',
      detail: `the published checkpoint is not valid: ${verified.error.detail}`,
    });
  }
  const current = verified.value;
  const reader = createTileReader({
    treeSize: current.size,
    rootHash: current.rootHash,
    fetchTile: async (path) => (await sequencer.readTile(path))?.bytes,
  });
  const root = await reader.rootAt();
  if (!root.ok || !bytesEqual(root.value, current.rootHash)) {
    return err({
      kind: 'tiles-inconsistent',
      detail: `the served tiles do not hash to the checkpoint's root (${root.ok ? 'another root' : root.error.detail})`,
    });
  }

  let auditedSize = 0;
  let recheckFrom = 0;
  if (memory) {
    const previous = parseCheckpoint(memory.checkpoint);
    if (previous.ok) {
      const proof = await reader.consistencyProof(Math.min(previous.value.size, current.size));
      const advance = await verifyCheckpointAdvance(
        previous.value,
        current,
        proof.ok ? proof.value : [],
      );
      if (!advance.ok) return err({ kind: advance.error.kind, detail: advance.error.detail });
      auditedSize = Math.min(memory.auditedSize, current.size);
      recheckFrom = memory.recheckFrom ?? 0;
    }
  }

  // New entries first, then older ones from the cursor, within one budget.
  const newEnd = Math.min(current.size, auditedSize + AUDIT_ENTRIES_PER_SWEEP);
  const ranges: [number, number][] = [[auditedSize, newEnd]];
  const left = AUDIT_ENTRIES_PER_SWEEP - (newEnd - auditedSize);
  let nextRecheck = recheckFrom;
  if (left > 0 && current.size > 0) {
    const start = recheckFrom < current.size ? recheckFrom : 0;
    const end = Math.min(current.size, start + left);
    ranges.push([start, end]);
    nextRecheck = end >= current.size ? 0 : end;
  }
  for (const [start, end] of ranges) {
    const audited = await auditEntries(reader, start, end);
    if (!audited.ok) return audited;
  }
  await env.PINS.put(
    LOG_MONITOR_KEY,
    JSON.stringify({
      checkpoint: published.note,
      auditedSize: newEnd,
      recheckFrom: nextRecheck,
      checkedAt: now.toISOString(),
    } satisfies MonitorMemory),
  );
  return ok({ size: current.size, audited: newEnd - auditedSize });
}

/** Entries [start, end) are part of the tree (read through the tile reader) and well formed. */
async function auditEntries(
  reader: TileReader,
  start: number,
  end: number,
): Promise<Result<void, LogMonitorError>> {
  if (end <= start) return ok(undefined);
  const entries = await reader.readEntries(start, end);
  if (!entries.ok) {
    return err({
      kind: 'entry-invalid',
      detail: `entries ${start}–${end}: ${entries.error.detail}`,
    });
  }
  for (const [offset, bytes] of entries.value.entries()) {
    const entry = parseLogEntry(bytes);
    if (!entry.ok) {
      return err({
        kind: 'entry-invalid',
        detail: `entry ${start + offset} is not a valid entry: ${entry.error.detail}`,
      });
    }
  }
  return ok(undefined);
}
