/**
 * LogSequencer: the one writer of the transparency log (a singleton, `idFromName('log')`).
 * It takes a batch of entries (a sweep's, or a hash batch's), assigns them the next indexes
 * in the order given, extends the tiles, proves that the new tree extends the last
 * checkpoint it published, signs the new checkpoint and stores it all in one transaction.
 * It never reorders, rewrites or deletes. Before every append it re-checks what it stored:
 * the last checkpoint's signature, and that the stored tiles still hash to its root. A
 * failed check publishes nothing and is answered as a failure (the caller makes it a
 * `transparency-log-inconsistent` finding). Reads (tiles, bundles, checkpoint, lookups)
 * are served from the same tables. Tables: docs/storage.md.
 */
import { DurableObject } from 'cloudflare:workers';
import type { MonitorEnv } from '../env';
import { parseCheckpoint, signCheckpoint, verifyCheckpoint } from '../core/tlog/checkpoint';
import { verifyCheckpointAdvance } from '../core/tlog/checkpoint-consistency';
import { base64Encode, bytesEqual } from '../core/tlog/encoding';
import { serialiseEntryBundle } from '../core/tlog/entry-bundle';
import { encodeLogEntry, entryLookupKeys, type LogEntry } from '../core/tlog/entries';
import { EMPTY_ROOT, leafHash } from '../core/tlog/hash';
import { parsePrivateKey, type VerifierKey } from '../core/tlog/note';
import { appendLeafHashes } from '../core/tlog/tile-append';
import { createTileReader } from '../core/tlog/tile-reader';
import { parseTilePath, tileWidthAt, TILE_WIDTH } from '../core/tlog/tile-path';
import {
  createLogTables,
  latestCheckpoint,
  lookupIndexes,
  readEntry,
  readEntryRange,
  readTileHashes,
  storedEntryCount,
  writeAppend,
  type EntryWrite,
  type StoredCheckpoint,
} from './log-store';

/** What the sequencer needs from the configuration (src/core/log-settings.ts). */
export interface SequencerSettings {
  readonly origin: string;
  readonly privateKey: string;
}

export type SequencerFailureKind =
  | 'key-invalid'
  | 'origin-changed'
  | 'state-mismatch'
  | 'checkpoint-invalid'
  | 'tiles-rewritten'
  | 'inconsistent'
  | 'storage-error';

export type AppendOutcome =
  | {
      readonly ok: true;
      readonly checkpoint: string;
      readonly size: number;
      readonly appended: number;
      /** Entries refused because they cannot be encoded (over 65,535 bytes). */
      readonly refused: number;
    }
  | { readonly ok: false; readonly kind: SequencerFailureKind; readonly detail: string };

export interface ServedTile {
  readonly bytes: Uint8Array;
  readonly full: boolean;
}

export interface LookupAnswer {
  readonly checkpoint: string;
  readonly treeSize: number;
  readonly rootHash: string;
  readonly entries: readonly {
    readonly index: number;
    /** The entry's bytes as text: canonical JSON (RFC 8785). */
    readonly entry: string;
    readonly inclusionProof: readonly string[];
  }[];
  readonly truncated: boolean;
}

class SequencerFailure extends Error {
  override readonly name = 'SequencerFailure';
  constructor(
    readonly kind: SequencerFailureKind,
    detail: string,
  ) {
    super(detail);
  }
}

export class LogSequencer extends DurableObject<MonitorEnv> {
  private readonly sql: SqlStorage;
  /** Appends run one after another; reads go on meanwhile and see the last committed state. */
  private appending: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: MonitorEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => createLogTables(this.sql));
  }

  /** Appends `entries` in order and publishes a new checkpoint (the first call publishes size 0). */
  append(
    entries: readonly LogEntry[],
    settings: SequencerSettings,
    now: string,
  ): Promise<AppendOutcome> {
    const run = this.appending.then(() => this.appendNow(entries, settings, now));
    this.appending = run.catch(() => undefined);
    return run;
  }

  /** The last published checkpoint. */
  latest(): StoredCheckpoint | undefined {
    return latestCheckpoint(this.sql);
  }

  /** A `tile/…` resource, only within the published checkpoint's tree. */
  readTile(path: string): ServedTile | undefined {
    const checkpoint = latestCheckpoint(this.sql);
    const parsed = parseTilePath(path);
    if (!checkpoint || !parsed.ok) return undefined;
    const { level, index, width } = parsed.value;
    if (width > tileWidthAt(level, index, checkpoint.size)) return undefined;
    const bytes = this.tileBytes(path);
    return bytes ? { bytes, full: width === TILE_WIDTH } : undefined;
  }

  /** Entries filed under `key` (`sha256:<hex>` or `path:<path>`) with inclusion proofs. */
  async lookup(key: string, limit: number): Promise<LookupAnswer | undefined> {
    const checkpoint = latestCheckpoint(this.sql);
    if (!checkpoint) return undefined;
    const indexes = lookupIndexes(this.sql, key, checkpoint.size, limit + 1);
    const truncated = indexes.length > limit;
    const shown = truncated ? indexes.slice(1) : indexes;
    const reader = createTileReader({
      treeSize: checkpoint.size,
      fetchTile: async (path) => this.tileBytes(path),
    });
    const entries: LookupAnswer['entries'][number][] = [];
    for (const index of shown) {
      const bytes = readEntry(this.sql, index);
      const proof = await reader.inclusionProof(index);
      if (!bytes || !proof.ok) throw new Error(`entry ${index} cannot be proven`);
      entries.push({
        index,
        entry: new TextDecoder().decode(bytes),
        inclusionProof: proof.value.map(base64Encode),
      });
    }
    return {
      checkpoint: checkpoint.note,
      treeSize: checkpoint.size,
      rootHash: base64Encode(checkpoint.rootHash),
      entries,
      truncated,
    };
  }

  private async appendNow(
    entries: readonly LogEntry[],
    settings: SequencerSettings,
    now: string,
  ): Promise<AppendOutcome> {
    try {
      return await this.appendChecked(entries, settings, now);
    } catch (error) {
      if (error instanceof SequencerFailure) {
        return { ok: false, kind: error.kind, detail: error.message };
      }
      return {
        ok: false,
        kind: 'storage-error',
        detail: error instanceof Error ? `${error.name}: ${error.message}` : 'unknown error',
      };
    }
  }

  private async appendChecked(
    entries: readonly LogEntry[],
    settings: SequencerSettings,
    now: string,
  ): Promise<AppendOutcome> {
    const key = await parsePrivateKey(settings.privateKey);
    if (!key.ok) throw new SequencerFailure('key-invalid', 'LOG_SIGNING_KEY does not parse');
    const previous = await this.checkStoredState(settings.origin, key.value.verifier);

    const writes: EntryWrite[] = [];
    let refused = 0;
    const size = previous?.size ?? 0;
    for (const entry of entries) {
      const encoded = encodeLogEntry(entry);
      if (!encoded.ok) {
        refused += 1;
        continue;
      }
      writes.push({
        index: size + writes.length,
        bytes: encoded.value,
        keys: entryLookupKeys(entry),
      });
    }
    if (previous && writes.length === 0) {
      return { ok: true, checkpoint: previous.note, size, appended: 0, refused };
    }

    const leaves = await Promise.all(writes.map((write) => leafHash(write.bytes)));
    const plan = await appendLeafHashes(size, leaves, async (level, index) =>
      readTileHashes(this.sql, level, index),
    );
    const overlay = new Map(plan.tiles.map((tile) => [`${tile.level}/${tile.index}`, tile.hashes]));
    const reader = createTileReader({
      treeSize: plan.size,
      fetchTile: async (path) => this.tileBytes(path, overlay),
    });
    const root = await reader.rootAt(plan.size);
    const proof = await reader.consistencyProof(size, plan.size);
    if (!root.ok || !proof.ok) {
      throw new SequencerFailure(
        'tiles-rewritten',
        'the new tree cannot be read back from its tiles',
      );
    }
    const advance = await verifyCheckpointAdvance(
      { origin: settings.origin, size, rootHash: previous?.rootHash ?? EMPTY_ROOT },
      { origin: settings.origin, size: plan.size, rootHash: root.value },
      proof.value,
    );
    if (!advance.ok) throw new SequencerFailure('inconsistent', advance.error.detail);

    const note = await signCheckpoint(
      { origin: settings.origin, size: plan.size, rootHash: root.value },
      key.value,
    );
    writeAppend(this.ctx.storage, {
      entries: writes,
      tiles: plan.tiles,
      checkpoint: { size: plan.size, rootHash: root.value, note, publishedAt: now },
    });
    return { ok: true, checkpoint: note, size: plan.size, appended: writes.length, refused };
  }

  /**
   * The last checkpoint, after checking that what is stored still matches it: same origin,
   * a valid signature (when signed by the current key; an older key's is not judged), as
   * many entries as it counts, and tiles that hash to its root.
   */
  private async checkStoredState(
    origin: string,
    verifier: VerifierKey,
  ): Promise<StoredCheckpoint | undefined> {
    const previous = latestCheckpoint(this.sql);
    const stored = storedEntryCount(this.sql);
    if (!previous) {
      if (stored !== 0) {
        throw new SequencerFailure('state-mismatch', `${stored} entries but no checkpoint`);
      }
      return undefined;
    }
    if (stored !== previous.size) {
      throw new SequencerFailure(
        'state-mismatch',
        `${stored} entries stored, the last checkpoint counts ${previous.size}`,
      );
    }
    const parsed = parseCheckpoint(previous.note);
    if (!parsed.ok || !bytesEqual(parsed.value.rootHash, previous.rootHash)) {
      throw new SequencerFailure('checkpoint-invalid', 'the stored checkpoint does not parse');
    }
    if (parsed.value.origin !== origin) {
      throw new SequencerFailure(
        'origin-changed',
        `LOG_ORIGIN is ${JSON.stringify(origin)}, the log's is ${JSON.stringify(parsed.value.origin)}`,
      );
    }
    const signedByKey = parsed.value.signatures.some(
      (signature) => signature.name === verifier.name && signature.keyId === verifier.keyId,
    );
    if (signedByKey && !(await verifyCheckpoint(previous.note, verifier)).ok) {
      throw new SequencerFailure('checkpoint-invalid', 'the stored checkpoint signature fails');
    }
    const reader = createTileReader({
      treeSize: previous.size,
      fetchTile: async (path) => this.tileBytes(path),
    });
    const root = await reader.rootAt();
    if (!root.ok || !bytesEqual(root.value, previous.rootHash)) {
      throw new SequencerFailure(
        'tiles-rewritten',
        `the stored tiles no longer hash to the root of the checkpoint for ${previous.size} entries`,
      );
    }
    return previous;
  }

  /** Bytes of `tile/…` from storage (and an append's not yet stored tiles), at its width. */
  private tileBytes(
    path: string,
    overlay?: ReadonlyMap<string, Uint8Array>,
  ): Uint8Array | undefined {
    const parsed = parseTilePath(path);
    if (!parsed.ok) return undefined;
    const { level, index, width } = parsed.value;
    if (level === 'entries') {
      const entries = readEntryRange(this.sql, index * TILE_WIDTH, index * TILE_WIDTH + width);
      return entries.length === width ? serialiseEntryBundle(entries) : undefined;
    }
    const hashes = overlay?.get(`${level}/${index}`) ?? readTileHashes(this.sql, level, index);
    if (!hashes || hashes.length < width * 32) return undefined;
    return hashes.slice(0, width * 32);
  }
}

export function logSequencerStub(
  env: Pick<MonitorEnv, 'LOG_SEQUENCER'>,
): DurableObjectStub<LogSequencer> {
  return env.LOG_SEQUENCER.get(env.LOG_SEQUENCER.idFromName('log'));
}
