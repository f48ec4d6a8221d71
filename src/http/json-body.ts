/**
 * Reading a JSON request body safely: capped in size while it streams (a lying or absent
 * Content-Length does not get past the cap), parsed, and validated with a zod schema.
 * Every failure is an `HttpProblem`: 413 over the cap, 415 when it is not JSON, 400 when
 * it does not parse or does not match the schema.
 */
import type { z } from 'zod';
import { readCapped } from '../adapters/read-capped';
import { HttpProblem } from './problem';

/** Operator request bodies are small; anything bigger is refused unread. */
export const MAX_BODY_BYTES = 16 * 1024;

function tooLarge(): HttpProblem {
  return new HttpProblem(
    'payload-too-large',
    `Request bodies are limited to ${MAX_BODY_BYTES} bytes.`,
  );
}

/** The body as UTF-8 text; throws 413 over the cap, and a TypeError when it is not UTF-8. */
async function readCappedText(request: Request, maxBytes: number): Promise<string> {
  const body = await readCapped(request, maxBytes);
  if (!body.ok) throw tooLarge();
  return new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(body.value);
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
    text = await readCappedText(request, maxBytes);
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
