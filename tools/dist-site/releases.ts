/**
 * The release catalogue: the default releases, artifact names in the real scheme, index.json
 * file ids, per-line version metadata, and index.json rendered the way the real site lays it out.
 */
import type { ReleaseSpec } from './types.ts';
import { DAY_MS } from './constants.ts';

/** A release as the site holds it: its spec, artifact paths (sorted) and publication time. */
export interface Release {
  readonly spec: ReleaseSpec;
  readonly files: readonly string[];
  readonly published: Date;
}

/** The default releases, dated relative to `now` the way the real index looks. */
export function defaultReleases(now: Date): ReleaseSpec[] {
  const day = (daysAgo: number) =>
    new Date(now.getTime() - daysAgo * DAY_MS).toISOString().slice(0, 10);
  return [
    { version: 'v25.2.0', date: day(6), lts: false, security: false },
    { version: 'v25.1.0', date: day(27), lts: false, security: false },
    { version: 'v24.11.1', date: day(12), lts: 'Krypton', security: false },
    { version: 'v24.11.0', date: day(28), lts: 'Krypton', security: false },
    { version: 'v22.21.0', date: day(33), lts: 'Jod', security: false },
    { version: 'v20.19.5', date: day(75), lts: 'Iron', security: true },
    { version: 'v18.20.8', date: day(240), lts: 'Hydrogen', security: true },
  ];
}

/** Artifact names in the real scheme; the default set is the first eight. */
export function artifactCatalogue(version: string): string[] {
  const base = `node-${version}`;
  return [
    `${base}-linux-x64.tar.xz`,
    `${base}-linux-arm64.tar.gz`,
    `${base}-darwin-arm64.tar.gz`,
    `${base}-win-x64.zip`,
    `${base}-x64.msi`,
    `${base}.tar.gz`,
    `${base}-headers.tar.gz`,
    'win-x64/node.exe',
    'win-x64/node.lib',
    `${base}-linux-x64.tar.gz`,
    `${base}-darwin-x64.tar.gz`,
    `${base}.pkg`,
    `${base}-win-x64.7z`,
    `${base}.tar.xz`,
    `${base}-headers.tar.xz`,
    `${base}-linux-s390x.tar.xz`,
    `${base}-linux-ppc64le.tar.xz`,
    `${base}-linux-armv7l.tar.xz`,
    `${base}-aix-ppc64.tar.gz`,
    `${base}-win-arm64.zip`,
    `${base}-arm64.msi`,
    'win-arm64/node.exe',
  ];
}

/** The index.json `files` id an artifact stands for, if any. */
export function indexFileId(version: string, file: string): string | undefined {
  const winExe = /^win-(x64|x86|arm64)\/node\.exe$/.exec(file);
  if (winExe) return `win-${winExe[1]}-exe`;
  const base = `node-${version}`;
  if (!file.startsWith(base)) return undefined;
  const rest = file.slice(base.length);
  if (/^\.tar\.(gz|xz)$/.test(rest)) return 'src';
  if (/^-headers\.tar\.(gz|xz)$/.test(rest)) return 'headers';
  if (rest === '.pkg') return 'osx-x64-pkg';
  const msi = /^-(x64|x86|arm64)\.msi$/.exec(rest);
  if (msi) return `win-${msi[1]}-msi`;
  const win = /^-win-(x64|x86|arm64)\.(zip|7z)$/.exec(rest);
  if (win) return `win-${win[1]}-${win[2]}`;
  const darwin = /^-darwin-(x64|arm64)\.tar\.(gz|xz)$/.exec(rest);
  if (darwin) return `osx-${darwin[1]}-tar`;
  const unix = /^-((linux|aix)-[a-z0-9]+)\.tar\.(gz|xz)$/.exec(rest);
  if (unix) return unix[1];
  return undefined;
}

interface VersionMetadata {
  readonly npm: string;
  readonly v8: string;
  readonly uv: string;
  readonly zlib: string;
  readonly openssl: string;
  readonly modules: string;
}

const METADATA_BY_MAJOR: Readonly<Record<string, VersionMetadata>> = {
  '25': {
    npm: '11.6.2',
    v8: '14.1.146.11',
    uv: '1.51.0',
    zlib: '1.3.1-470d3a2',
    openssl: '3.5.4',
    modules: '141',
  },
  '24': {
    npm: '11.6.2',
    v8: '13.6.233.10',
    uv: '1.51.0',
    zlib: '1.3.1-470d3a2',
    openssl: '3.5.4',
    modules: '137',
  },
  '22': {
    npm: '10.9.4',
    v8: '12.4.254.21-node.33',
    uv: '1.51.0',
    zlib: '1.3.1-470d3a2',
    openssl: '3.5.4',
    modules: '127',
  },
  '20': {
    npm: '10.8.2',
    v8: '11.3.244.8',
    uv: '1.46.0',
    zlib: '1.3.1-470d3a2',
    openssl: '3.0.17+quic',
    modules: '115',
  },
  '18': {
    npm: '10.8.2',
    v8: '10.2.154.26',
    uv: '1.44.2',
    zlib: '1.3.0.1-motley',
    openssl: '3.0.15+quic',
    modules: '108',
  },
};

export function metadataFor(release: ReleaseSpec): VersionMetadata {
  const major = /^v(\d+)\./.exec(release.version)?.[1] ?? '0';
  const line = METADATA_BY_MAJOR[major] ?? {
    npm: '10.0.0',
    v8: '12.0.0.0',
    uv: '1.50.0',
    zlib: '1.3.1',
    openssl: '3.0.0',
    modules: String(Number(major) * 5),
  };
  return {
    npm: release.npm ?? line.npm,
    v8: release.v8 ?? line.v8,
    uv: release.uv ?? line.uv,
    zlib: release.zlib ?? line.zlib,
    openssl: release.openssl ?? line.openssl,
    modules: release.modules ?? line.modules,
  };
}

export function compareVersionsDescending(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const difference = (y[i] ?? 0) - (x[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** One entry of index.json: the release worker's fields, or what an attack rewrote them to. */
export type IndexEntry = Readonly<Record<string, unknown>>;

/** A release's index.json entry, with the real site's field order. */
export function indexEntry(release: ReleaseSpec, files: readonly string[]): IndexEntry {
  const ids = new Set<string>();
  for (const file of files) {
    const id = indexFileId(release.version, file);
    if (id !== undefined) ids.add(id);
  }
  return {
    version: release.version,
    date: release.date,
    files: [...ids].sort(),
    ...metadataFor(release),
    lts: release.lts,
    security: release.security,
  };
}

/** index.json as the real site lays it out: one release per line, newest first. */
export function renderIndexJson(entries: readonly IndexEntry[]): string {
  return `[\n${entries.map((entry) => JSON.stringify(entry)).join(',\n')}\n]\n`;
}

/** The columns of index.tab, in order (nodejs/nodejs-dist-indexer writes both indexes). */
const TAB_COLUMNS = [
  'version',
  'date',
  'files',
  'npm',
  'v8',
  'uv',
  'zlib',
  'openssl',
  'modules',
  'lts',
  'security',
] as const;

/** One index.tab cell: lists joined by commas, an absent or false value as `-`. */
function tabCell(value: unknown): string {
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.join(',');
  return value === undefined || value === null || value === false || value === ''
    ? '-'
    : String(value);
}

/**
 * index.tab: a header line, then one tab-separated line per entry of index.json, newest
 * first (`lts` is the codename or `-`, `security` is `true` or `-`).
 */
export function renderIndexTab(entries: readonly IndexEntry[]): string {
  const lines = [TAB_COLUMNS.join('\t')];
  for (const entry of entries) lines.push(TAB_COLUMNS.map((c) => tabCell(entry[c])).join('\t'));
  return `${lines.join('\n')}\n`;
}

/**
 * The `latest*` directory names and the version each stands for, as the release worker's
 * `src/constants/latestVersions.json` maps them: `latest` (the newest release),
 * `latest-v24.x` (the newest of each major line) and `latest-krypton` (the newest of each LTS
 * codename, lowercase). `releases` come newest first.
 */
export function latestAliases(releases: readonly Release[]): Map<string, string> {
  const aliases = new Map<string, string>();
  const claim = (alias: string, version: string) => {
    if (!aliases.has(alias)) aliases.set(alias, version);
  };
  for (const { spec } of releases) {
    claim('latest', spec.version);
    const major = /^v(\d+)\./.exec(spec.version)?.[1];
    if (major !== undefined) claim(`latest-v${major}.x`, spec.version);
    if (typeof spec.lts === 'string' && spec.lts !== '') {
      claim(`latest-${spec.lts.toLowerCase()}`, spec.version);
    }
  }
  return aliases;
}
