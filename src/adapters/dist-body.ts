/**
 * Reading a response body within a deadline and a byte limit, chunk by chunk, into a sink
 * (a buffer for manifests and index.json, a DigestStream for artifacts). A body that
 * passes the limit is cancelled at the first byte too many; one that ends before its
 * Content-Length is `truncated`; one that stalls is cancelled when the deadline passes.
 * Nothing here throws for a network problem: every way a body can end is a `BodyOutcome`.
 */
import type { Deadline } from './deadline';

export type BodyFailureKind = 'timeout' | 'network' | 'too-large' | 'truncated';

export type BodyOutcome =
  | { readonly ok: true; readonly bytes: number }
  | {
      readonly ok: false;
      readonly kind: BodyFailureKind;
      readonly detail: string;
      readonly bytes: number;
    };

export interface BodyLimits {
  /** The caller's cap (maxBytes, or the pinned size of an artifact). */
  readonly maxBytes?: number;
  /** The declared Content-Length, when it describes the bytes we will read. */
  readonly contentLength?: number;
}

/** Receives each chunk; awaited, so a slow sink slows the read (backpressure). */
export type BodySink = (chunk: Uint8Array) => Promise<void> | void;

export async function pumpBody(
  body: ReadableStream | null,
  sink: BodySink,
  limits: BodyLimits,
  deadline: Deadline,
  countBytes: (n: number) => void,
): Promise<BodyOutcome> {
  let bytes = 0;
  if (body) {
    const reader = openReader(body);
    for (;;) {
      const read = await deadline.race(reader.read());
      if (read.kind === 'timeout') {
        reader.cancel('timed out');
        return { ok: false, kind: 'timeout', detail: `body stalled after ${bytes} bytes`, bytes };
      }
      if (read.kind === 'error') {
        reader.cancel('read failed');
        return { ok: false, kind: 'network', detail: describeError(read.error), bytes };
      }
      if (read.value === undefined) break;
      const chunk = read.value;
      bytes += chunk.byteLength;
      countBytes(chunk.byteLength);
      const over = overLimit(bytes, limits);
      if (over) {
        reader.cancel('too large');
        return { ok: false, kind: 'too-large', detail: over, bytes };
      }
      const wrote = await deadline.race(Promise.resolve(sink(chunk)));
      if (wrote.kind !== 'value') {
        reader.cancel('sink failed');
        return wrote.kind === 'timeout'
          ? { ok: false, kind: 'timeout', detail: `body stalled after ${bytes} bytes`, bytes }
          : { ok: false, kind: 'network', detail: describeError(wrote.error), bytes };
      }
    }
  }
  if (limits.contentLength !== undefined && bytes < limits.contentLength) {
    return {
      ok: false,
      kind: 'truncated',
      detail: `body ended after ${bytes} of ${limits.contentLength} bytes`,
      bytes,
    };
  }
  return { ok: true, bytes };
}

/** Bytes asked for per read of a byte stream. */
const READ_BUFFER_BYTES = 256 * 1024;

/** A body reader yielding chunks, or `undefined` at the end. */
interface ChunkReader {
  read(): Promise<Uint8Array | undefined>;
  cancel(reason: string): void;
}

/**
 * Reads a byte stream (every fetch body in workerd) into one reused 256 KiB buffer: the
 * default reader hands out 4 KiB chunks, each a new object, which costs throughput and
 * leaves the garbage collector behind (RSS grew by a third of a 1 GiB artifact; see
 * docs/benchmarks.md). A chunk is valid until the sink's promise settles: pumpBody awaits
 * the sink before the next read reuses the buffer, and sinks that keep chunks copy them.
 * Other streams (fixtures, constructed bodies) use the default reader.
 */
function openReader(body: ReadableStream): ChunkReader {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: 'byob' });
  } catch {
    byob = undefined;
  }
  if (byob) {
    const reader = byob;
    let buffer: ArrayBuffer | undefined = new ArrayBuffer(READ_BUFFER_BYTES);
    return {
      async read() {
        const result = await reader.read(
          new Uint8Array(buffer ?? new ArrayBuffer(READ_BUFFER_BYTES)),
        );
        buffer = result.value?.buffer as ArrayBuffer | undefined;
        return result.done ? undefined : result.value;
      },
      cancel: (reason) => cancel(reader, reason),
    };
  }
  const reader = body.getReader() as ReadableStreamDefaultReader<unknown>;
  return {
    async read() {
      const result = await reader.read();
      return result.done ? undefined : toBytes(result.value);
    },
    cancel: (reason) => cancel(reader, reason),
  };
}

/** Why `bytes` is already too many, or undefined while within every limit. */
function overLimit(bytes: number, limits: BodyLimits): string | undefined {
  if (limits.maxBytes !== undefined && bytes > limits.maxBytes) {
    return `body exceeds the limit of ${limits.maxBytes} bytes`;
  }
  if (limits.contentLength !== undefined && bytes > limits.contentLength) {
    return `body exceeds its Content-Length of ${limits.contentLength} bytes`;
  }
  return undefined;
}

/**
 * A sink that keeps every chunk, and joins them once the body is complete. It copies each
 * chunk: the reader reuses its buffer once the sink returns.
 */
export function createCollector(): { sink: BodySink; bytes(): Uint8Array } {
  const chunks: Uint8Array[] = [];
  let length = 0;
  return {
    sink(chunk) {
      chunks.push(chunk.slice());
      length += chunk.byteLength;
    },
    bytes() {
      const joined = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        joined.set(chunk, at);
        at += chunk.byteLength;
      }
      return joined;
    },
  };
}

/**
 * A sink that hashes with the runtime's DigestStream: only the current chunk is ever held.
 * `finish` closes the stream and yields the lowercase hex SHA-256; `abort` discards it.
 */
export function createHasher(): {
  sink: BodySink;
  finish(): Promise<string>;
  abort(): void;
} {
  const digest = new crypto.DigestStream('SHA-256');
  const writer = digest.getWriter();
  // An aborted stream rejects its digest; that is expected, not an unhandled failure.
  digest.digest.catch(() => {});
  return {
    sink: (chunk) => writer.write(chunk),
    async finish() {
      await writer.close();
      return toHex(await digest.digest);
    },
    abort() {
      writer.abort().catch(() => {});
    },
  };
}

export function toHex(buffer: ArrayBuffer): string {
  return Array.from(new Uint8Array(buffer), (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Cancels a body we will not read (redirect hops, error statuses, abandoned attempts). */
export function discardBody(response: Response): void {
  if (response.body && !response.bodyUsed) response.body.cancel().catch(() => {});
}

export function describeError(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message}`;
  return String(error);
}

// Not awaited: a stalled source may never acknowledge, and the attempt must end now.
function cancel(
  reader: ReadableStreamDefaultReader<unknown> | ReadableStreamBYOBReader,
  reason: string,
): void {
  reader.cancel(reason).catch(() => {});
}

function toBytes(chunk: unknown): Uint8Array {
  if (chunk instanceof Uint8Array) return chunk;
  if (ArrayBuffer.isView(chunk)) {
    return new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  }
  if (chunk instanceof ArrayBuffer) return new Uint8Array(chunk);
  if (typeof chunk === 'string') return new TextEncoder().encode(chunk);
  throw new TypeError('response body produced a chunk that is not bytes');
}
