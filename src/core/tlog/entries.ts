/**
 * What the log records: one entry per verified observation, as the UTF-8 bytes of an
 * RFC 8785 (JCS) canonical JSON object, so that anyone can recompute its leaf hash.
 *
 * - `manifest`: a release's signed SHASUMS256.txt at its first verified sighting (the
 *   release, the manifest's SHA-256, the signing key's primary fingerprint, the signature
 *   time and every file's signed hash).
 * - `artifact`: one full download whose bytes matched the signed hash (path relative to the
 *   dist root, SHA-256, bytes, ETag when one was served, time, vantage point).
 *
 * Contract: pure. Types are added, never changed; readers ignore unknown fields and unknown
 * types (`parseLogEntry` returns them as `unknown-type`). Nothing private is ever an entry:
 * mismatches and other findings are not observations of what was signed.
 */
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { err, ok, type Result } from '../result.ts';
import { utf8Encode } from './encoding.ts';
import { MAX_ENTRY_BYTES } from './entry-bundle.ts';

/** Where an observation was made: `worker` (the monitor's sweep and hash workers) or a region. */
export type Vantage = string;

export interface ManifestEntry {
  readonly type: 'manifest';
  readonly release: string;
  readonly manifestSha256: string;
  /** Primary key fingerprint of the signer, 40 hex digits, uppercase. */
  readonly signer: string;
  readonly signedAt: string;
  /** Entry name (as in SHASUMS256.txt) → lowercase hex SHA-256. */
  readonly files: Readonly<Record<string, string>>;
  readonly observedAt: string;
  readonly vantage: Vantage;
}

export interface ArtifactEntry {
  readonly type: 'artifact';
  readonly release: string;
  /** Relative to the dist root, no leading slash: `v22.22.1/node-v22.22.1.pkg`. */
  readonly path: string;
  readonly sha256: string;
  /** Bytes hashed. */
  readonly size: number;
  /** The ETag served with the bytes, when there was one. */
  readonly etag?: string;
  readonly observedAt: string;
  readonly vantage: Vantage;
}

export type LogEntry = ManifestEntry | ArtifactEntry;

/** An entry of a type this version does not know: kept, not interpreted. */
export interface UnknownEntry {
  readonly type: 'unknown-type';
  readonly declaredType: string;
  readonly value: Readonly<Record<string, unknown>>;
}

const SHA256_HEX = z.string().regex(/^[0-9a-f]{64}$/);
const ISO_TIME = z.iso.datetime({ offset: true });

const MANIFEST_SCHEMA = z.looseObject({
  type: z.literal('manifest'),
  release: z.string().min(1),
  manifestSha256: SHA256_HEX,
  signer: z.string().regex(/^[0-9A-F]{40}$/),
  signedAt: ISO_TIME,
  files: z.record(z.string().min(1), SHA256_HEX),
  observedAt: ISO_TIME,
  vantage: z.string().min(1),
});

const ARTIFACT_SCHEMA = z.looseObject({
  type: z.literal('artifact'),
  release: z.string().min(1),
  path: z.string().min(1),
  sha256: SHA256_HEX,
  size: z.number().int().nonnegative(),
  etag: z.string().optional(),
  observedAt: ISO_TIME,
  vantage: z.string().min(1),
});

export type EntryError = { readonly kind: 'malformed-entry'; readonly detail: string };

/** The entry's bytes: RFC 8785 canonical JSON, UTF-8. */
export function canonicalEntryBytes(entry: LogEntry): Uint8Array {
  const text = canonicalize(entry);
  if (text === undefined) throw new TypeError('entry is not JSON');
  return utf8Encode(text);
}

/** Canonical bytes, or an error when they cannot go into an entry bundle (over 65,535 bytes). */
export function encodeLogEntry(entry: LogEntry): Result<Uint8Array, EntryError> {
  const bytes = canonicalEntryBytes(entry);
  if (bytes.length > MAX_ENTRY_BYTES) {
    return err({ kind: 'malformed-entry', detail: `${bytes.length} bytes: over 65,535` });
  }
  return ok(bytes);
}

/** Reads an entry's bytes; unknown types are returned as such, known ones validated. */
export function parseLogEntry(bytes: Uint8Array): Result<LogEntry | UnknownEntry, EntryError> {
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes));
  } catch {
    return err({ kind: 'malformed-entry', detail: 'not UTF-8 JSON' });
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return err({ kind: 'malformed-entry', detail: 'not a JSON object' });
  }
  const type = (value as Record<string, unknown>)['type'];
  if (typeof type !== 'string') return err({ kind: 'malformed-entry', detail: 'no type' });
  const schema =
    type === 'manifest' ? MANIFEST_SCHEMA : type === 'artifact' ? ARTIFACT_SCHEMA : undefined;
  if (!schema) {
    return ok({
      type: 'unknown-type',
      declaredType: type,
      value: value as Record<string, unknown>,
    });
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return err({
      kind: 'malformed-entry',
      detail: `${type}: ${issue ? `${issue.path.join('.')} ${issue.message}` : 'invalid'}`,
    });
  }
  return ok(parsed.data as LogEntry);
}

/**
 * Keys an entry is found under: `sha256:<hex>` and `path:<dist path>`. A manifest is found by
 * its own hash and path and by every file it signs, so a lookup of any download's hash or
 * path returns what the release team signed for it as well as each matched download.
 */
export function entryLookupKeys(entry: LogEntry): string[] {
  const keys =
    entry.type === 'artifact'
      ? [`sha256:${entry.sha256}`, `path:${entry.path}`]
      : [
          `sha256:${entry.manifestSha256}`,
          `path:${entry.release}/SHASUMS256.txt`,
          ...Object.entries(entry.files).flatMap(([name, sha256]) => [
            `sha256:${sha256}`,
            `path:${entry.release}/${name}`,
          ]),
        ];
  return [...new Set(keys)];
}

const MAX_PATH_LENGTH = 1024;

/**
 * A dist path as the log writes it: relative to the dist root, without a leading `/` or
 * `/dist/` (or the dist root's own path, `basePath`). Refuses what no dist file is called.
 */
export function normaliseDistPath(input: string, basePath = '/dist'): Result<string, string> {
  let path = input.startsWith('/') ? input : `/${input}`;
  const base = basePath.replace(/\/+$/, '');
  for (const prefix of new Set([base, '/dist'])) {
    if (prefix !== '' && path.startsWith(`${prefix}/`)) {
      path = path.slice(prefix.length);
      break;
    }
  }
  path = path.slice(1);
  if (path === '' || path.length > MAX_PATH_LENGTH) return err('empty or too long');
  if (/[\u0000-\u001f\u007f?#\\]/.test(path)) return err('control characters, ?, # or \\');
  if (path.split('/').some((segment) => segment === '' || segment === '.' || segment === '..')) {
    return err('empty, . or .. segments');
  }
  return ok(path);
}

export const isSha256Hex = (value: string): boolean => /^[0-9a-f]{64}$/.test(value);
