/**
 * `--only <glob>`: which manifest entries `--download` fetches.
 *
 * Contract: pure. Globs are minimatch globs over the manifest's names; a glob without a
 * slash matches the base name anywhere (`*.msi` picks `win-x64/…msi` too). No glob = every
 * entry, in the manifest's order. `unmatched` lists the globs that matched nothing, so the
 * caller can refuse a typo that would silently verify nothing (a usage error).
 */
import { minimatch } from 'minimatch';
import type { Manifest, ManifestEntry } from '../core/manifest';

export interface EntrySelection {
  readonly entries: readonly ManifestEntry[];
  readonly unmatched: readonly string[];
}

const GLOB_OPTIONS = { matchBase: true, dot: true, nonegate: true, nocomment: true } as const;

export function selectEntries(manifest: Manifest, globs: readonly string[]): EntrySelection {
  if (globs.length === 0) return { entries: [...manifest.entries], unmatched: [] };
  const matches = (name: string, glob: string) => minimatch(name, glob, GLOB_OPTIONS);
  return {
    entries: manifest.entries.filter((entry) => globs.some((glob) => matches(entry.name, glob))),
    unmatched: globs.filter((glob) => !manifest.entries.some((entry) => matches(entry.name, glob))),
  };
}
