/**
 * C2SP tlog-checkpoint: a signed note whose text is the log's origin, its tree size (ASCII
 * decimal, no leading zeroes) and its root hash (base64), then optional non-empty extension
 * lines. Signing and verification are signed-note's (note.ts).
 *
 * Contract: pure. `verifyCheckpoint` accepts a checkpoint only when it parses as written in
 * the spec and carries a valid signature by the given key; signatures by other keys (a
 * witness's cosignature, a rotated key) are ignored, as the spec requires.
 */
import { err, ok, type Result } from '../result.ts';
import { base64Decode, base64Encode } from './encoding.ts';
import { HASH_SIZE } from './hash.ts';
import {
  isValidKeyName,
  parseSignedNote,
  parseVerifierKey,
  signNote,
  verifyNote,
  type NoteError,
  type NoteSignature,
  type SigningKey,
  type VerifierKey,
} from './note.ts';

export interface CheckpointBody {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions?: readonly string[];
}

export interface Checkpoint {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
  readonly extensions: readonly string[];
  readonly signatures: readonly NoteSignature[];
  /** The note text (body) exactly as signed. */
  readonly text: string;
}

export type CheckpointError =
  | NoteError
  | { readonly kind: 'malformed-checkpoint'; readonly detail: string }
  | { readonly kind: 'malformed-key'; readonly detail: string };

/** Parses a checkpoint; signatures are read, not verified (see verifyCheckpoint). */
export function parseCheckpoint(message: string | Uint8Array): Result<Checkpoint, CheckpointError> {
  const note = parseSignedNote(message);
  if (!note.ok) return note;
  const lines = note.value.text.slice(0, -1).split('\n');
  const [origin = '', sizeLine = '', rootLine = '', ...extensions] = lines;
  if (lines.length < 3) return malformed('fewer than three lines');
  if (origin === '') return malformed('empty origin line');
  if (!/^(0|[1-9][0-9]*)$/.test(sizeLine) || !Number.isSafeInteger(Number(sizeLine))) {
    return malformed('the tree size is not a decimal without leading zeroes');
  }
  const rootHash = base64Decode(rootLine);
  if (!rootHash || rootHash.length !== HASH_SIZE) {
    return malformed('the root hash is not the base64 of 32 bytes');
  }
  if (extensions.some((line) => line === '')) return malformed('an empty extension line');
  return ok({
    origin,
    size: Number(sizeLine),
    rootHash,
    extensions,
    signatures: note.value.signatures,
    text: note.value.text,
  });
}

/** The checkpoint's note text: origin, size, root hash and extensions, each on its line. */
export function formatCheckpointBody(body: CheckpointBody): string {
  if (body.origin === '' || body.origin.includes('\n')) throw new RangeError('bad origin');
  if (!Number.isSafeInteger(body.size) || body.size < 0) throw new RangeError('bad tree size');
  if (body.rootHash.length !== HASH_SIZE) throw new RangeError('bad root hash');
  const extensions = body.extensions ?? [];
  if (extensions.some((line) => line === '' || line.includes('\n'))) {
    throw new RangeError('bad extension line');
  }
  return [body.origin, String(body.size), base64Encode(body.rootHash), ...extensions, ''].join(
    '\n',
  );
}

/** The signed checkpoint (note text, blank line, the log's signature line). */
export function signCheckpoint(body: CheckpointBody, key: SigningKey): Promise<string> {
  return signNote(formatCheckpointBody(body), key);
}

/**
 * Parses the checkpoint and checks it carries a valid signature by `verifierKey` (a parsed
 * key or its `<name>+<id>+<key>` form). With `origin`, the origin line must equal it.
 */
export async function verifyCheckpoint(
  message: string | Uint8Array,
  verifierKey: VerifierKey | string,
  options: { readonly origin?: string } = {},
): Promise<Result<Checkpoint, CheckpointError>> {
  let key: VerifierKey;
  if (typeof verifierKey === 'string') {
    const parsed = await parseVerifierKey(verifierKey);
    if (!parsed.ok) return parsed;
    key = parsed.value;
  } else {
    key = verifierKey;
  }
  const checkpoint = parseCheckpoint(message);
  if (!checkpoint.ok) return checkpoint;
  const verified = await verifyNote(message, key);
  if (!verified.ok) return verified;
  if (options.origin !== undefined && checkpoint.value.origin !== options.origin) {
    return malformed(`origin ${JSON.stringify(checkpoint.value.origin)} is not the log's`);
  }
  return checkpoint;
}

/** The origin a log serving under `url` should use: scheme removed, no trailing slash. */
export function originFromUrl(url: string): string {
  const parsed = new URL(url);
  const origin = `${parsed.host}${parsed.pathname}`.replace(/\/+$/, '');
  if (!isValidKeyName(origin)) throw new RangeError(`no valid origin from ${url}`);
  return origin;
}

function malformed(detail: string): { readonly ok: false; readonly error: CheckpointError } {
  return err({ kind: 'malformed-checkpoint', detail });
}
