/**
 * Strict parsing of a release manifest (`SHASUMS256.txt`) and comparison with its pin.
 *
 * Contract: `parseManifest` never throws. It returns the manifest only when every line is
 * `<64 hex><two spaces | space and asterisk><relative path>`; otherwise it returns one
 * typed error per bad line (1-based line numbers), all of them, so a report shows the whole
 * damage at once. A single trailing newline is allowed. CRLF line endings are tolerated
 * (the `\r` is dropped): the detached signature still covers the exact bytes, so a converted
 * file fails there, and mirrors that serve clearsigned text only are not punished twice.
 * Names are kept exactly as written (no normalisation), so a name that could mean a
 * different file than it says (`..`, `./`, `//`, `\`, percent-encoded traversal, control
 * characters, surrounding whitespace) is rejected instead of being cleaned up.
 */
import { err, ok, type Result } from './result';

/** One `<hash> <name>` line of a manifest. */
export interface ManifestEntry {
  /** Relative path under the release directory, exactly as written (e.g. `win-x64/node.exe`). */
  readonly name: string;
  /** SHA-256 of the file, lowercase hex. */
  readonly sha256: string;
  /** The `*` marker of `sha256sum --binary`; it does not change what the hash covers. */
  readonly binaryMode: boolean;
  /** 1-based line number in the manifest text. */
  readonly line: number;
}

/** A parsed manifest: entries in file order, and the same entries by name. */
export interface Manifest {
  readonly entries: readonly ManifestEntry[];
  readonly byName: ReadonlyMap<string, ManifestEntry>;
}

/** Why a manifest was rejected. Line numbers are 1-based. */
export type ManifestError =
  | { readonly kind: 'malformed-line'; readonly line: number }
  | { readonly kind: 'non-hex-digest'; readonly line: number }
  | { readonly kind: 'path-traversal'; readonly line: number; readonly name: string }
  | { readonly kind: 'absolute-path'; readonly line: number; readonly name: string }
  | {
      readonly kind: 'duplicate-name';
      readonly line: number;
      readonly name: string;
      readonly firstLine: number;
    }
  | { readonly kind: 'too-large'; readonly bytes: number; readonly maxBytes: number }
  | { readonly kind: 'empty' };

export interface ParseManifestOptions {
  /** Manifests larger than this many UTF-8 bytes are rejected unread (MAX_MANIFEST_BYTES). */
  readonly maxBytes: number;
}

const DIGEST_LENGTH = 64;
const HEX_DIGEST = /^[0-9a-fA-F]{64}$/;
// C0 and C1 controls, DEL, and the Unicode line and paragraph separators: anything that
// could end a line or hide a character in a log, a URL or a file system.
const CONTROL_OR_LINE_BREAK = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/;
const DRIVE_LETTER = /^[A-Za-z]:/;
const PERCENT_ESCAPE = /%([0-9a-fA-F]{2})/g;
// `%252e%252e` needs two rounds; more rounds than this is itself suspicious.
const MAX_PERCENT_DECODE_ROUNDS = 3;

export function parseManifest(
  text: string,
  options: ParseManifestOptions,
): Result<Manifest, ManifestError[]> {
  const bytes = new TextEncoder().encode(text).byteLength;
  if (bytes > options.maxBytes) {
    return err([{ kind: 'too-large', bytes, maxBytes: options.maxBytes }]);
  }
  if (text.trim() === '') return err([{ kind: 'empty' }]);

  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();

  const entries: ManifestEntry[] = [];
  const byName = new Map<string, ManifestEntry>();
  const errors: ManifestError[] = [];
  lines.forEach((raw, index) => {
    const line = index + 1;
    const parsed = parseLine(raw.endsWith('\r') ? raw.slice(0, -1) : raw, line);
    if (!parsed.ok) {
      errors.push(parsed.error);
      return;
    }
    const first = byName.get(parsed.value.name);
    if (first !== undefined) {
      errors.push({ kind: 'duplicate-name', line, name: first.name, firstLine: first.line });
      return;
    }
    entries.push(parsed.value);
    byName.set(parsed.value.name, parsed.value);
  });
  return errors.length > 0 ? err(errors) : ok({ entries, byName });
}

function parseLine(text: string, line: number): Result<ManifestEntry, ManifestError> {
  const digest = text.slice(0, DIGEST_LENGTH);
  const separator = text.slice(DIGEST_LENGTH, DIGEST_LENGTH + 2);
  const name = text.slice(DIGEST_LENGTH + 2);
  // A digest of the wrong length shows up as a wrong separator: the line's shape is off.
  if ((separator !== '  ' && separator !== ' *') || name === '' || digest.includes(' ')) {
    return err({ kind: 'malformed-line', line });
  }
  if (!HEX_DIGEST.test(digest)) return err({ kind: 'non-hex-digest', line });
  const nameError = checkName(name, line);
  if (nameError !== undefined) return err(nameError);
  return ok({ name, sha256: digest.toLowerCase(), binaryMode: separator === ' *', line });
}

/** The first reason a name is unsafe, or undefined when it is a plain relative path. */
function checkName(name: string, line: number): ManifestError | undefined {
  if (CONTROL_OR_LINE_BREAK.test(name) || name.includes('\\')) {
    return { kind: 'path-traversal', line, name };
  }
  if (name.startsWith('/') || DRIVE_LETTER.test(name)) return { kind: 'absolute-path', line, name };
  const segments = name.split('/');
  if (segments.includes('..')) return { kind: 'path-traversal', line, name };
  if (hidesUnsafePath(name)) return { kind: 'path-traversal', line, name };
  // `a//b`, `./a`, `a/` and padded names would let two lines name one file.
  if (segments.some((segment) => segment === '' || segment === '.') || name.trim() !== name) {
    return { kind: 'malformed-line', line };
  }
  return undefined;
}

/** True when percent-decoding (repeatedly) reveals `..`, `\`, a control or an absolute path. */
function hidesUnsafePath(name: string): boolean {
  let current = name;
  for (let round = 0; round < MAX_PERCENT_DECODE_ROUNDS; round++) {
    const decoded = current.replace(PERCENT_ESCAPE, (_, hex: string) =>
      String.fromCharCode(Number.parseInt(hex, 16)),
    );
    if (decoded === current) return false;
    if (
      CONTROL_OR_LINE_BREAK.test(decoded) ||
      decoded.includes('\\') ||
      decoded.startsWith('/') ||
      DRIVE_LETTER.test(decoded) ||
      decoded.split('/').includes('..')
    ) {
      return true;
    }
    current = decoded;
  }
  // Still changing after several rounds: nested encoding has no honest use in a manifest.
  return current.replace(PERCENT_ESCAPE, '') !== current;
}

/** The part of an entry that a pin keeps: enough to compare two manifests. */
export interface ManifestDigest {
  readonly name: string;
  readonly sha256: string;
}

/** How the current manifest differs from the pinned one, name by name. */
export interface ManifestComparison {
  /** Names in the current manifest that the pin does not have, in current order. */
  readonly added: string[];
  /** Names in the pin that the current manifest lost, in pinned order. */
  readonly removed: string[];
  /** Names in both whose hash differs, in current order. */
  readonly changed: { readonly name: string; readonly pinned: string; readonly current: string }[];
}

/** Compares entries by name and hash (case-insensitive hex); the `*` marker is not compared. */
export function compareManifests(
  pinned: readonly ManifestDigest[],
  current: readonly ManifestDigest[],
): ManifestComparison {
  const pinnedByName = new Map(pinned.map((entry) => [entry.name, entry.sha256.toLowerCase()]));
  const currentNames = new Set(current.map((entry) => entry.name));
  const added: string[] = [];
  const changed: ManifestComparison['changed'] = [];
  for (const entry of current) {
    const pinnedHash = pinnedByName.get(entry.name);
    const currentHash = entry.sha256.toLowerCase();
    if (pinnedHash === undefined) added.push(entry.name);
    else if (pinnedHash !== currentHash) {
      changed.push({ name: entry.name, pinned: pinnedHash, current: currentHash });
    }
  }
  const removed = pinned.map((entry) => entry.name).filter((name) => !currentNames.has(name));
  return { added, removed, changed };
}

/** True when both lists name the same files with the same hashes. */
export function manifestEntriesEqual(
  pinned: readonly ManifestDigest[],
  current: readonly ManifestDigest[],
): boolean {
  const { added, removed, changed } = compareManifests(pinned, current);
  return added.length === 0 && removed.length === 0 && changed.length === 0;
}
