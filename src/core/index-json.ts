/**
 * index.json: the list of every release the dist site publishes.
 *
 * Contract: `parseIndexJson` takes the body as text and returns either every entry,
 * validated, or one typed `IndexError`; it never throws, whatever the input. The body is
 * hostile until proven otherwise, so the checks run cheapest first: the byte size is
 * capped, then a linear scan rejects nesting deeper than 64 (and U+FFFD, the mark left
 * by decoding invalid UTF-8) before `JSON.parse` can recurse, then the schema runs.
 * Unknown fields are kept, not rejected: upstream may add fields without it being an
 * incident. Versions must be unique. Order is not checked here (see versions.ts).
 */
import { z } from 'zod';
import { err, ok, type Result } from './result';
import { parseVersion } from './versions';

/** A suggested body cap: the real index is a few hundred KB, so this leaves decades of room. */
export const INDEX_MAX_BYTES = 8 * 1024 * 1024;

/** A real entry nests three deep (array, object, files); anything past this is not an index. */
export const INDEX_MAX_DEPTH = 64;

/** How many schema issues a `schema` error names; the rest are counted. */
const MAX_REPORTED_ISSUES = 3;

/** Details are for humans and logs, so they stay short whatever the input. */
const MAX_DETAIL_LENGTH = 500;

const versionSchema = z.string().superRefine((value, ctx) => {
  const parsed = parseVersion(value);
  if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
});

/** One release as https://nodejs.org/dist/index.json lists it. */
export const indexEntrySchema = z.looseObject({
  version: versionSchema,
  /** Release day, `YYYY-MM-DD` (a real calendar date). */
  date: z.iso.date(),
  /** Platform/package identifiers, e.g. `linux-x64`, `win-x64-msi`, `src`. */
  files: z.array(z.string()),
  npm: z.string().optional(),
  v8: z.string(),
  uv: z.string().optional(),
  zlib: z.string().optional(),
  openssl: z.string().optional(),
  modules: z.string().optional(),
  /** `false`, or the LTS codename (e.g. `Jod`) once the line is LTS. */
  lts: z.union([z.literal(false), z.string().min(1)]),
  security: z.boolean(),
});

/** One validated release entry; unknown upstream fields are carried along untyped. */
export type IndexEntry = z.infer<typeof indexEntrySchema>;

const indexSchema = z.array(indexEntrySchema);

/** Why an index.json body was rejected. Each kind is a distinct reason in the finding. */
export type IndexError =
  | { readonly kind: 'too-large'; readonly bytes: number; readonly maxBytes: number }
  | { readonly kind: 'not-json'; readonly detail: string }
  | { readonly kind: 'too-deep'; readonly depth: number }
  | { readonly kind: 'schema'; readonly detail: string }
  | { readonly kind: 'empty' }
  | { readonly kind: 'duplicate-version'; readonly version: string };

export interface ParseIndexOptions {
  /** Largest accepted body, in UTF-8 bytes. */
  readonly maxBytes: number;
}

export function parseIndexJson(
  text: string,
  options: ParseIndexOptions,
): Result<IndexEntry[], IndexError> {
  const bytes = utf8ByteLength(text);
  if (bytes > options.maxBytes) {
    return err({ kind: 'too-large', bytes, maxBytes: options.maxBytes });
  }

  const scan = scanStructure(text);
  if (scan.replacementAt !== undefined) {
    return err({
      kind: 'not-json',
      detail: `contains U+FFFD at offset ${scan.replacementAt} (the body was not valid UTF-8)`,
    });
  }
  if (scan.maxDepth > INDEX_MAX_DEPTH) return err({ kind: 'too-deep', depth: scan.maxDepth });

  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return err({ kind: 'not-json', detail: shorten(messageOf(error)) });
  }

  if (Array.isArray(data) && data.length === 0) return err({ kind: 'empty' });

  let parsed: ReturnType<typeof indexSchema.safeParse>;
  try {
    parsed = indexSchema.safeParse(data);
  } catch (error) {
    // Not expected for JSON data of bounded depth; kept so the contract "never throws" holds.
    return err({ kind: 'schema', detail: shorten(messageOf(error)) });
  }
  if (!parsed.success) {
    return err({ kind: 'schema', detail: describeIssues(parsed.error.issues) });
  }

  const seen = new Set<string>();
  for (const entry of parsed.data) {
    if (seen.has(entry.version)) return err({ kind: 'duplicate-version', version: entry.version });
    seen.add(entry.version);
  }
  return ok(parsed.data);
}

/** One line for humans: alerts, the status page, logs. */
export function indexErrorSummary(error: IndexError): string {
  switch (error.kind) {
    case 'too-large':
      return `index.json is ${error.bytes} bytes, over the limit of ${error.maxBytes}`;
    case 'not-json':
      return `index.json is not valid JSON: ${error.detail}`;
    case 'too-deep':
      return `index.json nests ${error.depth} levels deep, over the limit of ${INDEX_MAX_DEPTH}`;
    case 'schema':
      return `index.json does not match the release schema: ${error.detail}`;
    case 'empty':
      return 'index.json lists no releases';
    case 'duplicate-version':
      return `index.json lists ${error.version} more than once`;
  }
}

interface StructureScan {
  /** Deepest nesting of arrays and objects outside strings. */
  readonly maxDepth: number;
  /** Offset of the first U+FFFD, if any. */
  readonly replacementAt: number | undefined;
}

/**
 * One pass over the text, no allocation: tracks string state so brackets inside strings
 * do not count. Malformed text may produce a meaningless depth; JSON.parse rejects it next.
 */
function scanStructure(text: string): StructureScan {
  let depth = 0;
  let maxDepth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code === 0xfffd) return { maxDepth, replacementAt: i };
    if (inString) {
      if (code === 0x5c /* \ */) i += 1;
      else if (code === 0x22 /* " */) inString = false;
    } else if (code === 0x22) {
      inString = true;
    } else if (code === 0x5b /* [ */ || code === 0x7b /* { */) {
      depth += 1;
      if (depth > maxDepth) maxDepth = depth;
    } else if ((code === 0x5d || code === 0x7d) /* ] } */ && depth > 0) {
      depth -= 1;
    }
  }
  return { maxDepth, replacementAt: undefined };
}

/** Bytes of the text as UTF-8 (lone surrogates count as U+FFFD, as TextEncoder writes them). */
function utf8ByteLength(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}

function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const described = issues
    .slice(0, MAX_REPORTED_ISSUES)
    .map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
  const more = issues.length - MAX_REPORTED_ISSUES;
  if (more > 0) described.push(`and ${more} more`);
  return shorten(described.join('; '));
}

/** `[3].lts`, or `(root)` for the top level. */
function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(root)';
  return path
    .map((key) => (typeof key === 'number' ? `[${key}]` : `.${String(key)}`))
    .join('')
    .replace(/^\./, '');
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function shorten(text: string): string {
  return text.length <= MAX_DETAIL_LENGTH ? text : `${text.slice(0, MAX_DETAIL_LENGTH - 1)}…`;
}
