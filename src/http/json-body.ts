/**
 * Reading a JSON request body safely: capped in size while it streams (a lying or absent
 * Content-Length does not get past the cap), parsed, and validated with a zod schema.
 * Every failure is an `HttpProblem`: 413 over the cap, 415 when it is not JSON, 400 when
 * it does not parse or does not match the schema.
 */
import type { z } from 'zod';
import { HttpProblem } from './problem';

/** Operator request bodies are small; anything bigger is refused unread. */
export const MAX_BODY_BYTES = 16 * 1024;

function tooLarge(): HttpProblem {
  return new HttpProblem(
    'payload-too-large',
    `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`,
  );
}

async function readCapped(request: Request, maxBytes: number): Promise<string> {
  const declared = request.headers.get('content-length');
  if (declared !== null && Number(declared) > maxBytes) throw tooLarge();
  if (request.body === null) return '';
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > maxBytes) {
      await reader.cancel();
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
}

/** Human-readable zod issues: `text: Too big: expected string to have <=4096 characters`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ` : '') + issue.message)
    .join('; ');
}

/**
 * The request's JSON body, validated. An empty body reads as `{}` so actions whose body
 * is optional (acknowledge, disclose, resolve) accept none.
 */
export async function readJsonBody<S extends z.ZodType>(
  request: Request,
  schema: S,
  maxBytes = MAX_BODY_BYTES,
): Promise<z.output<S>> {
  let text: string;
  try {
    text = await readCapped(request, maxBytes);
  } catch (error) {
    if (error instanceof HttpProblem) throw error;
    throw new HttpProblem('malformed-json', 'The request body is not valid UTF-8.');
  }
  let value: unknown = {};
  if (text.trim() !== '') {
    const mediaType = request.headers.get('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (mediaType !== 'application/json') {
      throw new HttpProblem('unsupported-media-type', 'Send the body as application/json.');
    }
    try {
      value = JSON.parse(text);
    } catch {
      throw new HttpProblem('malformed-json', 'The request body is not valid JSON.');
    }
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new HttpProblem('invalid-request', describeIssues(parsed.error));
  return parsed.data;
}
