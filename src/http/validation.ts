/**
 * zod schemas for every input the API takes: path ids, query parameters and bodies.
 * Failures become 400 problems naming the field, never a stack trace.
 */
import { z } from 'zod';
import { INCIDENT_ID_PATTERN } from '../core/incident';
import { describeIssues } from './json-body';
import { HttpProblem } from './problem';

/** Notes, resolution notes and severity reasons: at most 4 KiB of UTF-8. */
export const MAX_NOTE_BYTES = 4096;

const utf8Bytes = (text: string) => new TextEncoder().encode(text).byteLength;

const noteText = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .refine((text) => utf8Bytes(text) <= MAX_NOTE_BYTES, `must be at most ${MAX_NOTE_BYTES} bytes`);

export const IncidentIdSchema = z
  .string()
  .regex(INCIDENT_ID_PATTERN, 'an incident id is 32 lowercase hexadecimal digits');

export const ListIncidentsQuerySchema = z
  .object({
    state: z.enum(['open', 'resolved', 'all']).default('all'),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).max(100_000).default(0),
  })
  .strict();

export const EmptyBodySchema = z.object({}).strict();

export const NoteBodySchema = z.object({ text: noteText }).strict();

export const OptionalNoteBodySchema = z.object({ note: noteText.optional() }).strict();

export const SeverityBodySchema = z
  .object({ severity: z.enum(['P0', 'P1', 'P2', 'P3']), reason: noteText })
  .strict();

/** Parses a path or query input, or throws a 400 problem. */
export function parseInput<S extends z.ZodType>(
  schema: S,
  value: unknown,
  what: string,
): z.output<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new HttpProblem('invalid-request', `Invalid ${what}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}
