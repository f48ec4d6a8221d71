/**
 * Whether a log entry records a hash dist-verify verified — not merely mentions it.
 *
 * Contract: pure. A manifest's hash is recorded only by a `manifest` entry of the same
 * release with that `manifestSha256`. An artifact's hash is recorded by an `artifact` entry
 * with the same dist path and SHA-256 (the monitor downloaded those bytes), or by the
 * release's `manifest` entry listing that file with that hash (the monitor saw the same
 * signed manifest). The same digest under another release or path records nothing: a lookup
 * that points elsewhere proves nothing about this file.
 */
import type { LogEntry } from '../core/tlog';

/** A digest that verified, and what it is (for the log lookup and its report). */
export interface VerifiedHash {
  readonly sha256: string;
  readonly type: 'manifest' | 'artifact';
  readonly release: string;
  /** For artifacts: the path under the dist root, `v22.12.0/node-v22.12.0.pkg`. */
  readonly path?: string;
}

export function recordsHash(entry: LogEntry, hash: VerifiedHash): boolean {
  if (hash.type === 'manifest') {
    return (
      entry.type === 'manifest' &&
      entry.release === hash.release &&
      entry.manifestSha256 === hash.sha256
    );
  }
  if (hash.path === undefined) return false;
  if (entry.type === 'artifact') return entry.sha256 === hash.sha256 && entry.path === hash.path;
  const prefix = `${hash.release}/`;
  if (entry.release !== hash.release || !hash.path.startsWith(prefix)) return false;
  return Object.hasOwn(entry.files, hash.path.slice(prefix.length))
    ? entry.files[hash.path.slice(prefix.length)] === hash.sha256
    : false;
}
