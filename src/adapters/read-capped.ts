/**
 * Reading a request or response body with a byte cap enforced while it streams, so a lying
 * or absent Content-Length does not get past it. Over the cap the caller gets `too-large`,
 * never a partial body, and the rest of the stream is cancelled unread.
 */
import { err, ok } from '../core/result';
import type { Result } from '../core/result';

/** Why a capped body was not read: it declared, or streamed, more than the cap. */
export type CappedBodyError = 'too-large';

/** The whole body as bytes (empty when there is none), or `too-large`. */
export async function readCapped(
  message: Request | Response,
  maxBytes: number,
): Promise<Result<Uint8Array, CappedBodyError>> {
  // An absent or unparsable Content-Length is NaN, which passes here; the stream count decides.
  const declared = Number(message.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await message.body?.cancel();
    return err('too-large');
  }
  if (message.body === null) return ok(new Uint8Array());
  const reader = message.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      return err('too-large');
    }
    chunks.push(value);
  }
  const body = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    body.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return ok(body);
}
