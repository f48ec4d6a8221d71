/**
 * Deterministic bytes: artifacts generated lazily from a seed and streamed chunk by chunk
 * (multi-GiB files cost no memory), content fingerprints for ETags, and the default SHA-256
 * stream hasher.
 */
import { CHUNK_SIZE, MAX_BUFFERED_HASH_BYTES } from './constants.ts';
import { DistSiteError } from './errors.ts';
import type { HashStream } from './types.ts';
/** FNV-1a over UTF-8 text or bytes, 32 bits, from a chosen basis. */
export function fnv1a(data: string | Uint8Array, basis = 0x811c9dc5): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let hash = basis;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** 128 bits of FNV-1a as hex: a stable content fingerprint for ETags (not security). */
export function fingerprint(data: string | Uint8Array): string {
  return [0x811c9dc5, 0x050c5d1f, 0x2b9f1a6d, 0x6b8b4567]
    .map((basis) => fnv1a(data, basis).toString(16).padStart(8, '0'))
    .join('');
}

/** Fills `out` (length a multiple of 4) with xorshift32 output seeded per chunk. */
function fillChunk(seed: number, chunkIndex: number, out: Uint8Array): void {
  let x = (Math.imul(seed ^ Math.imul(chunkIndex + 1, 0x9e3779b9), 0x85ebca6b) ^ 0x5bd1e995) | 0;
  if (x === 0) x = 1;
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

/** What to generate: a seeded byte stream of `size` bytes with some bytes flipped. */
export interface ArtifactSource {
  readonly seed: number;
  readonly size: number;
  readonly flips: readonly number[];
}

/** Streams bytes [start, end) of an artifact, one chunk per pull: memory stays flat. */
export function artifactStream(
  source: ArtifactSource,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let position = start;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (position >= end) {
        controller.close();
        return;
      }
      const chunkIndex = Math.floor(position / CHUNK_SIZE);
      const chunkStart = chunkIndex * CHUNK_SIZE;
      const chunk = new Uint8Array(CHUNK_SIZE);
      fillChunk(source.seed, chunkIndex, chunk);
      for (const offset of source.flips) {
        const at = offset - chunkStart;
        if (at >= 0 && at < CHUNK_SIZE) chunk[at] = (chunk[at] ?? 0) ^ 0xff;
      }
      const to = Math.min(CHUNK_SIZE, end - chunkStart);
      controller.enqueue(chunk.subarray(position - chunkStart, to));
      position = chunkStart + to;
    },
  });
}

export function bytesStream(
  bytes: Uint8Array,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (end > start) controller.enqueue(bytes.slice(start, end));
      controller.close();
    },
  });
}

export function defaultArtifactSize(version: string, file: string): number {
  return 2048 + (fnv1a(`${version}/${file}#size`) % (30 * 1024 + 1));
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamConstructor = new (algorithm: string) => DigestStreamLike;

/** workerd's `crypto.DigestStream` when present; otherwise buffers (small files only). */
export const defaultHashStream: HashStream = async (stream) => {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamConstructor })
    .DigestStream;
  if (DigestStream) {
    const digest = new DigestStream('SHA-256');
    await stream.pipeTo(digest);
    return toHex(await digest.digest);
  }
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
    length += part.length;
    if (length > MAX_BUFFERED_HASH_BYTES) {
      throw new DistSiteError('artifact too large to hash by buffering: pass a hashStream option');
    }
    parts.push(part);
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return toHex(await crypto.subtle.digest('SHA-256', all));
};

/** A copy of `bytes` with its middle byte inverted. */
export function flipMiddleByte(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const middle = Math.floor(copy.length / 2);
  copy[middle] = (copy[middle] ?? 0) ^ 0xff;
  return copy;
}
