/**
 * Which manifest entry a local file is checked against, by its name.
 *
 * Contract: pure. A path matches the entry whose whole name ends it (`dl/win-x64/node.exe`
 * is `win-x64/node.exe`); of several, the longest name wins (`x64/node.exe` over
 * `node.exe`). Otherwise the file's base name is looked up among the entries' base names:
 * one hit matches, several are `ambiguous` (the person must give the directory too), none
 * is `not-in-manifest`. Names are compared exactly: the manifest's names are already
 * plain relative paths, and a file called differently is not the file that was signed.
 */
import type { Manifest, ManifestEntry } from '../core/manifest';

export type FileMatch =
  | { readonly kind: 'entry'; readonly entry: ManifestEntry }
  | { readonly kind: 'ambiguous'; readonly candidates: readonly string[] }
  | { readonly kind: 'not-in-manifest' };

export function matchLocalFile(path: string, manifest: Manifest): FileMatch {
  const normalised = path.replaceAll('\\', '/');
  let best: ManifestEntry | undefined;
  for (const entry of manifest.entries) {
    const endsWithName = normalised === entry.name || normalised.endsWith(`/${entry.name}`);
    if (endsWithName && (best === undefined || entry.name.length > best.name.length)) best = entry;
  }
  if (best !== undefined) return { kind: 'entry', entry: best };

  const base = baseName(normalised);
  const sameBase = manifest.entries.filter((entry) => baseName(entry.name) === base);
  const [only, ...others] = sameBase;
  if (only === undefined) return { kind: 'not-in-manifest' };
  if (others.length === 0) return { kind: 'entry', entry: only };
  return { kind: 'ambiguous', candidates: sameBase.map((entry) => entry.name) };
}

/** Names of the entries with this digest (lowercase hex), for "these bytes are X" hints. */
export function entriesWithDigest(manifest: Manifest, sha256: string): string[] {
  return manifest.entries.filter((entry) => entry.sha256 === sha256).map((entry) => entry.name);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}
