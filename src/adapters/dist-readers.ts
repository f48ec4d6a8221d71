/**
 * What each dist client method makes of a 2xx response: nothing (HEAD), the bytes, the
 * text (strict UTF-8), or a streaming SHA-256. A declared size over the cap is refused
 * before a byte is read. Failures are plain data; the client decides which to retry.
 */
import { err, ok, type Result } from '../core/result';
import type { Deadline } from './deadline';
import {
  createCollector,
  createHasher,
  describeError,
  discardBody,
  pumpBody,
  type BodyFailureKind,
  type BodySink,
} from './dist-body';
import type {
  BytesResponse,
  HashedResponse,
  ResponseMeta,
  TextResponse,
} from './dist-client-types';

export type ReadFailureKind = BodyFailureKind | 'invalid-utf8';

export type ReadOutcome<T> = Result<T, { readonly kind: ReadFailureKind; readonly detail: string }>;

export type BodyReader<T> = (
  response: Response,
  meta: ResponseMeta,
  deadline: Deadline,
  countBytes: (n: number) => void,
) => Promise<ReadOutcome<T>>;

export function readNothing(): BodyReader<ResponseMeta> {
  return async (response, meta) => {
    discardBody(response);
    return ok(meta);
  };
}

export function readBytes(maxBytes: number): BodyReader<BytesResponse> {
  return async (response, meta, deadline, countBytes) => {
    const collector = createCollector();
    const read = await readInto(response, meta, deadline, countBytes, collector.sink, maxBytes);
    if (!read.ok) return read;
    return ok({ ...meta, bytes: collector.bytes() });
  };
}

export function readText(maxBytes: number): BodyReader<TextResponse> {
  const bytesReader = readBytes(maxBytes);
  return async (response, meta, deadline, countBytes) => {
    const read = await bytesReader(response, meta, deadline, countBytes);
    if (!read.ok) return read;
    try {
      const text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(
        read.value.bytes,
      );
      return ok({ ...meta, text, bytes: read.value.bytes.byteLength });
    } catch {
      return err({ kind: 'invalid-utf8', detail: 'body is not valid UTF-8' });
    }
  };
}

/**
 * Streams the body through DigestStream: memory stays one chunk whatever the size. With
 * `copy`, each chunk also goes to a fresh sink of this attempt (after it is hashed).
 */
export function readDigest(
  expectedBytes: number | undefined,
  copy?: () => BodySink,
): BodyReader<HashedResponse> {
  return async (response, meta, deadline, countBytes) => {
    const hasher = createHasher();
    const copySink = copy?.();
    const sink: BodySink =
      copySink === undefined
        ? hasher.sink
        : async (chunk) => {
            await hasher.sink(chunk);
            await copySink(chunk);
          };
    const read = await readInto(response, meta, deadline, countBytes, sink, expectedBytes);
    if (!read.ok) {
      hasher.abort();
      return read;
    }
    const digest = await deadline.race(hasher.finish());
    if (digest.kind === 'timeout') {
      return err({ kind: 'timeout', detail: 'the digest did not finish in time' });
    }
    if (digest.kind === 'error')
      return err({ kind: 'network', detail: describeError(digest.error) });
    return ok({ ...meta, sha256: digest.value, bytes: read.value });
  };
}

async function readInto(
  response: Response,
  meta: ResponseMeta,
  deadline: Deadline,
  countBytes: (n: number) => void,
  sink: BodySink,
  maxBytes: number | undefined,
): Promise<ReadOutcome<number>> {
  const contentLength = declaredLength(meta);
  if (contentLength !== undefined && maxBytes !== undefined && contentLength > maxBytes) {
    discardBody(response);
    return err({
      kind: 'too-large',
      detail: `Content-Length ${contentLength} exceeds the limit of ${maxBytes} bytes`,
    });
  }
  const outcome = await pumpBody(
    response.body,
    sink,
    {
      ...(maxBytes !== undefined && { maxBytes }),
      ...(contentLength !== undefined && { contentLength }),
    },
    deadline,
    countBytes,
  );
  return outcome.ok ? ok(outcome.bytes) : err({ kind: outcome.kind, detail: outcome.detail });
}

/**
 * Content-Length counts the bytes on the wire; when the runtime decodes a Content-Encoding
 * for us it no longer describes what we read, so it is then ignored.
 */
function declaredLength(meta: ResponseMeta): number | undefined {
  const encoding = meta.headers['content-encoding']?.trim().toLowerCase();
  if (encoding && encoding !== 'identity') return undefined;
  const value = meta.headers['content-length']?.trim();
  return value !== undefined && /^\d+$/.test(value) ? Number(value) : undefined;
}
