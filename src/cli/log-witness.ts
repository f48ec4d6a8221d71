/**
 * `--log` + `--log-key`: every verified hash must be in the monitor's transparency log, and
 * the log must be consistent with what this machine saw before — checked from the log's
 * signed checkpoint and its tiles alone, with the core's tlog code (src/core/tlog).
 *
 * Contract:
 * - The lookup API (`/api/log/lookup`) is only asked *where* a hash is. Its proofs are not
 *   used: each entry it names is read from the entry tiles, proven against the root of the
 *   checkpoint signed by `--log-key` (tile reader), and must say what was verified — a
 *   `manifest` entry of the release with the manifest's SHA-256; for an artifact, an
 *   `artifact` entry with its path and SHA-256, or the release's `manifest` entry listing it.
 *   A hash the lookup does not place is `absent-from-log` (exit 1).
 * - Lookups come before the checkpoint: the log only grows, so every index they name is
 *   inside the tree the later checkpoint signs.
 * - The checkpoint must extend the one saved for this log origin (checkpoint-cache.ts), by
 *   a consistency proof computed from the tiles; otherwise `log-inconsistent` (exit 1) and
 *   the new checkpoint is kept beside the old one as evidence. A consistent checkpoint
 *   replaces the saved one.
 * - A log that does not answer is `unreachable` (exit 2); one that answers with a bad
 *   signature, forged tiles or entries that do not hash into its tree is `log-invalid`.
 */
import { z } from 'zod';
import type { DistClient } from '../adapters/dist-client';
import {
  base64Encode,
  createTileReader,
  parseCheckpoint,
  parseLogEntry,
  parseVerifierKey,
  verifyCheckpoint,
  verifyCheckpointAdvance,
  type Checkpoint,
  type LogEntry,
  type TileReadError,
  type TileReader,
  type VerifierKey,
} from '../core/tlog';
import {
  checkpointFile,
  readSavedCheckpoint,
  saveCheckpoint,
  saveConflict,
} from './checkpoint-cache';
import { classifyRequestError, createCliDistClient } from './http';
import type { LogTarget } from './options';
import type { Problem } from './problems';
import type { LogReport } from './report';
import { recordsHash, type VerifiedHash } from './log-records';

export interface WitnessOptions {
  readonly target: LogTarget;
  readonly hashes: readonly VerifiedHash[];
  readonly cacheDir: string;
  readonly timeoutMs: number;
  readonly userAgent?: string;
  readonly now: Date;
}

export interface WitnessOutcome {
  readonly report?: LogReport;
  readonly problems: Problem[];
}

const MAX_CHECKPOINT_BYTES = 64 * 1024;
const MAX_LOOKUP_BYTES = 4 * 1024 * 1024;
/** 256 entries of at most 65,535 bytes each, with their length prefixes. */
const MAX_TILE_BYTES = 256 * (65_535 + 2);
/** Entries a lookup may name for one hash that are read and checked (the lookup's own cap). */
const MAX_CANDIDATES = 100;

const LOOKUP_SCHEMA = z.looseObject({
  entries: z.array(
    z.looseObject({
      index: z
        .number()
        .int()
        .nonnegative()
        .max(2 ** 53 - 1),
    }),
  ),
});

/** A request to the log that got no usable answer. */
class LogUnreachable extends Error {
  override readonly name = 'LogUnreachable';
}

export async function witnessLog(options: WitnessOptions): Promise<WitnessOutcome> {
  const { target } = options;
  const key = await parseVerifierKey(target.verifierKey);
  if (!key.ok) {
    return problemOnly(
      'usage',
      '--log-key',
      `--log-key is not a verifier key: ${key.error.detail}.`,
    );
  }
  const client = createCliDistClient({
    timeoutMs: options.timeoutMs,
    allowedRedirectHosts: [],
    ...(options.userAgent !== undefined && { userAgent: options.userAgent }),
  });
  try {
    return await witness(options, client, key.value);
  } catch (error) {
    if (error instanceof LogUnreachable) {
      return problemOnly(
        'unreachable',
        target.prefixUrl,
        `The transparency log at ${target.prefixUrl} did not answer: ${error.message}. The hashes verified, but their presence in the log was not checked.`,
      );
    }
    throw error;
  }
}

async function witness(
  options: WitnessOptions,
  client: DistClient,
  key: VerifierKey,
): Promise<WitnessOutcome> {
  const { target } = options;
  const unique = [...new Map(options.hashes.map((hash) => [hash.sha256, hash])).values()];
  const placed = new Map<string, number[]>();
  for (const hash of unique) {
    const indexes = await lookup(client, target.lookupUrl, hash.sha256);
    if (!indexes.ok) return problemOnly('log-invalid', target.lookupUrl, indexes.error);
    placed.set(hash.sha256, indexes.value);
  }

  const checkpointUrl = `${target.prefixUrl}/checkpoint`;
  const text = await getText(client, checkpointUrl, MAX_CHECKPOINT_BYTES);
  const verified = await verifyCheckpoint(text, key);
  if (!verified.ok) {
    return {
      problems: [
        {
          code: 'log-invalid',
          kind: 'transparency-log-inconsistent',
          subject: checkpointUrl,
          message: `The log's checkpoint is not validly signed by --log-key (${verified.error.kind}: ${verified.error.detail}). Do not rely on this log.`,
        },
      ],
    };
  }
  const checkpoint = verified.value;
  const reader = createTileReader({
    treeSize: checkpoint.size,
    rootHash: checkpoint.rootHash,
    fetchTile: (path) => getTile(client, `${target.prefixUrl}/${path}`),
  });

  const problems: Problem[] = [];
  const file = checkpointFile(options.cacheDir, checkpoint.origin);
  const saved = await readSavedCheckpoint(file);
  const previous = saved === undefined ? undefined : parseCheckpoint(saved.checkpoint);
  const previousHead = previous?.ok ? previous.value : undefined;
  let consistent = true;
  // Only a checkpoint proven to extend the saved one replaces it.
  let advanced = true;
  if (previousHead !== undefined) {
    const advance = await checkAdvance(reader, previousHead, checkpoint);
    if (!advance.ok) {
      if (advance.error.code === 'unreachable') throw new LogUnreachable(advance.error.detail);
      consistent = advance.error.code !== 'log-inconsistent';
      advanced = false;
      problems.push({
        code: advance.error.code,
        kind: 'transparency-log-inconsistent',
        subject: checkpoint.origin,
        message:
          advance.error.code === 'log-inconsistent'
            ? `The log ${checkpoint.origin} is not consistent with the checkpoint this machine saw on ${saved?.seenAt ?? 'an earlier run'} (${advance.error.detail}). The log has shown different histories: keep both checkpoints (${file} and the .conflict file beside it) and report it.`
            : `The log's tiles could not prove its history (${advance.error.detail}).`,
      });
    }
  }

  const hashes: { sha256: string; found: boolean; index?: number; type?: string }[] = [];
  for (const hash of unique) {
    const found = await findEntry(reader, hash, placed.get(hash.sha256) ?? [], checkpoint.size);
    if (!found.ok) {
      if (found.error.kind === 'missing') throw new LogUnreachable(found.error.detail);
      problems.push({
        code: 'log-invalid',
        kind: 'transparency-log-inconsistent',
        subject: found.error.path ?? checkpoint.origin,
        message: `The log's tiles do not hold up (${found.error.kind}: ${found.error.detail}). Do not rely on this log.`,
      });
      hashes.push({ sha256: hash.sha256, found: false });
      continue;
    }
    if (found.value === undefined) {
      hashes.push({ sha256: hash.sha256, found: false });
      problems.push({
        code: 'absent-from-log',
        subject: hash.path ?? `${hash.release}/SHASUMS256.txt`,
        release: hash.release,
        observed: hash.sha256,
        message: `${describe(hash)} verified, but its SHA-256 ${hash.sha256} is not in the transparency log ${checkpoint.origin} (tree size ${checkpoint.size}). The monitor has not recorded seeing it: wait for its next sweep, or treat this copy as one nobody else has checked.`,
      });
      continue;
    }
    hashes.push({
      sha256: hash.sha256,
      found: true,
      index: found.value.index,
      type: found.value.entry.type,
    });
  }

  const seen = { checkpoint: text, seenAt: options.now.toISOString() };
  const cacheError = advanced
    ? await saveCheckpoint(file, seen)
    : consistent
      ? undefined
      : await saveConflict(file, seen);
  return {
    report: {
      origin: checkpoint.origin,
      treeSize: checkpoint.size,
      rootHash: base64Encode(checkpoint.rootHash),
      checkpoint: text,
      ...(previousHead !== undefined && {
        previous: {
          treeSize: previousHead.size,
          rootHash: base64Encode(previousHead.rootHash),
          seenAt: saved?.seenAt ?? '',
        },
      }),
      consistent,
      hashes,
      cache: {
        file,
        saved: advanced && cacheError === undefined,
        ...(cacheError && { error: cacheError }),
      },
    },
    problems,
  };
}

type AdvanceError = {
  readonly code: 'log-inconsistent' | 'log-invalid' | 'unreachable';
  readonly detail: string;
};

async function checkAdvance(
  reader: TileReader,
  previous: Checkpoint,
  next: Checkpoint,
): Promise<{ ok: true } | { ok: false; error: AdvanceError }> {
  let proof: Uint8Array[] = [];
  if (previous.size > 0 && previous.size < next.size) {
    const built = await reader.consistencyProof(previous.size, next.size);
    if (!built.ok) return { ok: false, error: tileFailure(built.error) };
    proof = built.value;
  }
  const advance = await verifyCheckpointAdvance(previous, next, proof);
  if (advance.ok) return { ok: true };
  return {
    ok: false,
    error: { code: 'log-inconsistent', detail: `${advance.error.kind}: ${advance.error.detail}` },
  };
}

function tileFailure(error: TileReadError): AdvanceError {
  return {
    code: error.kind === 'missing' ? 'unreachable' : 'log-invalid',
    detail: `${error.kind}: ${error.detail}`,
  };
}

/** The first entry among `indexes` that records `hash`, read and proven from the tiles. */
async function findEntry(
  reader: TileReader,
  hash: VerifiedHash,
  indexes: readonly number[],
  treeSize: number,
): Promise<
  | { ok: true; value: { index: number; entry: LogEntry } | undefined }
  | { ok: false; error: TileReadError }
> {
  for (const index of indexes.slice(0, MAX_CANDIDATES)) {
    if (index >= treeSize) {
      return {
        ok: false,
        error: {
          kind: 'out-of-range',
          detail: `the lookup named entry ${index}, beyond the signed tree of ${treeSize}`,
        },
      };
    }
    const read = await reader.readEntries(index, index + 1);
    if (!read.ok) return read;
    const [bytes] = read.value;
    const parsed = bytes === undefined ? undefined : parseLogEntry(bytes);
    if (parsed?.ok && parsed.value.type !== 'unknown-type' && recordsHash(parsed.value, hash)) {
      return { ok: true, value: { index, entry: parsed.value } };
    }
  }
  return { ok: true, value: undefined };
}

async function lookup(
  client: DistClient,
  lookupUrl: string,
  sha256: string,
): Promise<{ ok: true; value: number[] } | { ok: false; error: string }> {
  const text = await getText(client, `${lookupUrl}?sha256=${sha256}`, MAX_LOOKUP_BYTES);
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return { ok: false, error: 'The log lookup did not answer with JSON.' };
  }
  const parsed = LOOKUP_SCHEMA.safeParse(body);
  if (!parsed.success) {
    return { ok: false, error: 'The log lookup answered with JSON that is not a lookup result.' };
  }
  return { ok: true, value: parsed.data.entries.map((entry) => entry.index) };
}

async function getText(client: DistClient, url: string, maxBytes: number): Promise<string> {
  const result = await client.getText(url, { maxBytes });
  if (result.ok) return result.value.text;
  const verdict = classifyRequestError(result.error);
  const off = result.error.kind === 'status' && result.error.status === 503;
  throw new LogUnreachable(`${url}: ${verdict.detail}${off ? ' (is the log switched off?)' : ''}`);
}

/** A tile's bytes, undefined when not served (the reader then tries the full tile). */
async function getTile(client: DistClient, url: string): Promise<Uint8Array | undefined> {
  const result = await client.getBytes(url, { maxBytes: MAX_TILE_BYTES });
  if (result.ok) return result.value.bytes;
  const verdict = classifyRequestError(result.error);
  if (verdict.kind === 'not-served') return undefined;
  throw new LogUnreachable(`${url}: ${verdict.detail}`);
}

function describe(hash: VerifiedHash): string {
  return hash.type === 'manifest'
    ? `SHASUMS256.txt of ${hash.release}`
    : (hash.path ?? hash.sha256);
}

function problemOnly(code: Problem['code'], subject: string, message: string): WitnessOutcome {
  return { problems: [{ code, subject, message }] };
}
