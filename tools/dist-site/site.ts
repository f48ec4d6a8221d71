/**
 * A fixture dist site: a fully local imitation of https://nodejs.org/dist/ for tests and demos.
 *
 * Contract: `createDistSite()` returns a site whose `handle(request)` answers like the real
 * release worker (index.json, signed SHASUMS256.txt in both signature forms, artifacts, the
 * release worker's cache headers), and whose attack methods make it misbehave the way a
 * compromised or broken site would, until `reset()`. Artifact bytes are generated lazily and
 * deterministically from (version, file), streamed in chunks, so multi-GiB files cost no
 * memory. The module uses only web-standard APIs and openpgp, so the same code runs inside
 * workerd (vitest) and in Node (tools/dist-site/server.ts); it deliberately has no relative
 * imports, which would need `.ts` extensions in Node.
 */
import * as openpgp from 'openpgp';

/** The release worker's Cache-Control for successful responses (src/constants/cache.ts). */
export const SUCCESS_CACHE_CONTROL = 'public, max-age=3600, s-maxage=14400';
/** The release worker's Cache-Control for every error response. */
export const ERROR_CACHE_CONTROL = 'private, no-cache, no-store, max-age=0, must-revalidate';
/** Oldest entries of the request log are dropped beyond this many. */
export const REQUEST_LOG_LIMIT = 10_000;
/**
 * The request header that simulates where a request comes from (the monitor's regional
 * probes send it in local runs, where Durable Object location hints are ignored).
 */
export const REGION_HEADER = 'x-monitor-region';
/** The data centre that answers each simulated region, as the `cf-ray` suffix shows it. */
export const DEFAULT_REGION_COLOS: Readonly<Record<string, string>> = {
  wnam: 'SJC',
  enam: 'IAD',
  sam: 'GRU',
  weur: 'FRA',
  eeur: 'WAW',
  apac: 'BOM',
  'apac-ne': 'NRT',
  'apac-se': 'SIN',
  oc: 'SYD',
  afr: 'JNB',
  me: 'DXB',
};

/** Artifacts are generated, hashed and streamed in chunks of this many bytes. */
const CHUNK_SIZE = 64 * 1024;
/** The default hasher buffers when the runtime has no `crypto.DigestStream`; not beyond this. */
const MAX_BUFFERED_HASH_BYTES = 128 * 1024 * 1024;
const DAY_MS = 86_400_000;
const DEMO_USER_ID = { name: 'Demo Releaser', email: 'demo@example.invalid' };
const OTHER_USER_ID = { name: 'Untrusted Signer', email: 'untrusted@example.invalid' };

/** One release the site publishes. Version metadata not given is filled per major line. */
export interface ReleaseSpec {
  /** With the leading `v`, e.g. `v24.11.1`. */
  readonly version: string;
  /** Release day in UTC, `YYYY-MM-DD`; files are Last-Modified at noon that day. */
  readonly date: string;
  /** LTS codename, or false for a Current release. */
  readonly lts: string | false;
  readonly security: boolean;
  /** Artifact paths inside the release directory; default: the catalogue's first N. */
  readonly files?: readonly string[];
  readonly npm?: string;
  readonly v8?: string;
  readonly uv?: string;
  readonly zlib?: string;
  readonly openssl?: string;
  readonly modules?: string;
}

/** The two forms in which the release team signs SHASUMS256.txt. */
export type SignatureForm = 'sig' | 'asc';

/** Armored key pair that signs the manifests; its public half is the trust anchor. */
export interface DistSiteKey {
  readonly privateKeyArmored: string;
  readonly publicKeyArmored: string;
}

/** Hex SHA-256 of a stream, consuming it. */
export type HashStream = (stream: ReadableStream<Uint8Array>) => Promise<string>;

export interface DistSiteOptions {
  /** The site's clock: default release dates and changed metadata derive from it. */
  readonly now?: Date;
  readonly releases?: readonly ReleaseSpec[];
  /** How many catalogue artifacts a release without `files` publishes (default 8). */
  readonly artifactsPerRelease?: number;
  /** Bytes of each artifact (default 2–32 KiB, deterministic per file). */
  readonly artifactSize?: (version: string, file: string) => number;
  /** Hashes artifacts for the manifests; default `crypto.DigestStream`, else buffering. */
  readonly hashStream?: HashStream;
  /** Default: a fresh ed25519 key for 'Demo Releaser <demo@example.invalid>'. */
  readonly key?: DistSiteKey;
  /** Which signature files are published (default both). */
  readonly signatureForms?: readonly SignatureForm[];
  /** Hosts that reach the origin, bypassing the cache (besides any `origin.` host). */
  readonly originHosts?: readonly string[];
  /**
   * Colo per simulated region, over DEFAULT_REGION_COLOS (e.g. `{ wnam: 'FRA' }`: a probe
   * hinted to wnam that runs in Frankfurt). A request with `x-monitor-region` gets a
   * `cf-ray` ending in its region's colo (`unknown` regions: none).
   */
  readonly regionColos?: Readonly<Record<string, string>>;
}

/** A misbehaviour, in a form that survives JSON (CLI flags, the control endpoint). */
export type AttackCommand =
  | {
      readonly attack: 'tamper-artifact';
      readonly version: string;
      readonly file: string;
      readonly offset?: number;
    }
  | { readonly attack: 'alter-manifest'; readonly version: string }
  | { readonly attack: 'resign-manifest'; readonly version: string }
  | { readonly attack: 'sign-with-other-key'; readonly version: string }
  | {
      readonly attack: 'poison-cache';
      readonly path: string;
      /** Only cached requests from these simulated regions; absent = every cached request. */
      readonly regions?: readonly string[];
    }
  | { readonly attack: 'drop-file'; readonly path: string }
  | {
      readonly attack: 'set-header';
      readonly path: string;
      readonly name: string;
      readonly value: string;
    }
  | { readonly attack: 'redirect'; readonly path: string; readonly to: string }
  | { readonly attack: 'rollback-index' }
  /** Only requests from these simulated regions when `regions` is given; else every request. */
  | { readonly attack: 'down'; readonly regions?: readonly string[] }
  | { readonly attack: 'slow'; readonly ms: number }
  | { readonly attack: 'change-metadata'; readonly path: string }
  | { readonly attack: 'reset' };

export type AttackName = AttackCommand['attack'];

export interface RequestLogEntry {
  readonly method: string;
  readonly url: string;
}

/** What the site currently does, for the control endpoint. */
export interface DistSiteState {
  readonly releases: readonly string[];
  /** Attacks applied since the last reset, in order. */
  readonly attacks: readonly AttackCommand[];
  readonly requests: number;
}

export interface DistSite {
  readonly publicKeyArmored: string;
  /** Every published version, newest first (including one hidden by `rollbackIndex`). */
  readonly releases: readonly string[];
  /** The last REQUEST_LOG_LIMIT requests, oldest first. */
  readonly requestLog: readonly RequestLogEntry[];
  /** A `fetch` that answers from this site, for `vi.spyOn(globalThis, 'fetch')`. */
  readonly fetcher: typeof fetch;
  handle(request: Request): Promise<Response>;
  /** Artifact paths of a release, as SHASUMS256.txt names them. */
  files(version: string): readonly string[];
  /** The SHA-256 of the untampered artifact, as the signed manifest lists it. */
  expectedSha256(version: string, file: string): Promise<string>;
  /** Hashes and signs every manifest now rather than on first request. */
  warm(): Promise<void>;
  state(): DistSiteState;
  clearRequestLog(): void;
  apply(command: AttackCommand): Promise<void>;
  /** Flips one byte (default: the middle one); size, ETag and Last-Modified stay. */
  tamperArtifact(version: string, file: string, offset?: number): void;
  /** Changes one hash in SHASUMS256.txt and keeps the old signatures. */
  alterManifest(version: string): Promise<void>;
  /** Changes one hash and signs again, validly, with the trusted key. */
  resignManifest(version: string): Promise<void>;
  /** Signs the unchanged manifest with an untrusted key. */
  signWithOtherKey(version: string): Promise<void>;
  /**
   * Requests through the cache get different bytes; origin requests stay clean. With
   * `regions`, only requests carrying `x-monitor-region` of one of them.
   */
  poisonCache(path: string, regions?: readonly string[]): void;
  dropFile(path: string): void;
  /** Adds a header to responses for `path`, or to every response with `'*'`. */
  setHeader(path: string, name: string, value: string): void;
  /** Answers `path` with a 302 to `toUrl`. */
  redirect(path: string, toUrl: string): void;
  /** Serves index.json without the newest release. */
  rollbackIndex(): void;
  /** Every request gets a 503; with `regions`, only requests from those simulated regions. */
  down(regions?: readonly string[]): void;
  /** Delays every response by `ms` before its headers. */
  slow(ms: number): void;
  /** New ETag and Last-Modified for `path`, same bytes. */
  changeMetadata(path: string): void;
  reset(): void;
}

/** Misuse of the fixture (unknown version, malformed command): a bug in the caller. */
export class DistSiteError extends Error {
  override readonly name = 'DistSiteError';
}

// ---------------------------------------------------------------------------------------
// Releases and artifacts

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

function metadataFor(release: ReleaseSpec): VersionMetadata {
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

function compareVersionsDescending(a: string, b: string): number {
  const parts = (v: string) => v.replace(/^v/, '').split('.').map(Number);
  const [x, y] = [parts(a), parts(b)];
  for (let i = 0; i < Math.max(x.length, y.length); i += 1) {
    const difference = (y[i] ?? 0) - (x[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

/** index.json as the real site lays it out: one release per line, newest first. */
function renderIndex(
  releases: readonly ReleaseSpec[],
  filesOf: (version: string) => readonly string[],
): string {
  const lines = releases.map((release) => {
    const ids = new Set<string>();
    for (const file of filesOf(release.version)) {
      const id = indexFileId(release.version, file);
      if (id !== undefined) ids.add(id);
    }
    return JSON.stringify({
      version: release.version,
      date: release.date,
      files: [...ids].sort(),
      ...metadataFor(release),
      lts: release.lts,
      security: release.security,
    });
  });
  return `[\n${lines.join(',\n')}\n]\n`;
}

// ---------------------------------------------------------------------------------------
// Deterministic bytes

/** FNV-1a over UTF-8 text or bytes, 32 bits, from a chosen basis. */
function fnv1a(data: string | Uint8Array, basis = 0x811c9dc5): number {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  let hash = basis;
  for (const byte of bytes) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash;
}

/** 128 bits of FNV-1a as hex: a stable content fingerprint for ETags (not security). */
function fingerprint(data: string | Uint8Array): string {
  return [0x811c9dc5, 0x050c5d1f, 0x2b9f1a6d, 0x6b8b4567]
    .map((basis) => fnv1a(data, basis).toString(16).padStart(8, '0'))
    .join('');
}

/** Fills `out` (length a multiple of 4) with xorshift32 output seeded per chunk. */
function fillChunk(seed: number, chunkIndex: number, out: Uint8Array): void {
  let x = (Math.imul(seed ^ Math.imul(chunkIndex + 1, 0x9e3779b9), 0x85ebca6b) ^ 0x5bd1e995) | 0;
  if (x === 0) x = 1;
  const words = new Uint32Array(out.buffer, out.byteOffset, out.length >>> 2);
  for (let i = 0; i < words.length; i += 1) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
}

/** What to generate: a seeded byte stream of `size` bytes with some bytes flipped. */
interface ArtifactSource {
  readonly seed: number;
  readonly size: number;
  readonly flips: readonly number[];
}

/** Streams bytes [start, end) of an artifact, one chunk per pull: memory stays flat. */
function artifactStream(
  source: ArtifactSource,
  start: number,
  end: number,
): ReadableStream<Uint8Array> {
  let position = start;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (position >= end) {
        controller.close();
        return;
      }
      const chunkIndex = Math.floor(position / CHUNK_SIZE);
      const chunkStart = chunkIndex * CHUNK_SIZE;
      const chunk = new Uint8Array(CHUNK_SIZE);
      fillChunk(source.seed, chunkIndex, chunk);
      for (const offset of source.flips) {
        const at = offset - chunkStart;
        if (at >= 0 && at < CHUNK_SIZE) chunk[at] = (chunk[at] ?? 0) ^ 0xff;
      }
      const to = Math.min(CHUNK_SIZE, end - chunkStart);
      controller.enqueue(chunk.subarray(position - chunkStart, to));
      position = chunkStart + to;
    },
  });
}

function bytesStream(bytes: Uint8Array, start: number, end: number): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (end > start) controller.enqueue(bytes.slice(start, end));
      controller.close();
    },
  });
}

function defaultArtifactSize(version: string, file: string): number {
  return 2048 + (fnv1a(`${version}/${file}#size`) % (30 * 1024 + 1));
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}

interface DigestStreamLike extends WritableStream<Uint8Array> {
  readonly digest: Promise<ArrayBuffer>;
}
type DigestStreamConstructor = new (algorithm: string) => DigestStreamLike;

/** workerd's `crypto.DigestStream` when present; otherwise buffers (small files only). */
export const defaultHashStream: HashStream = async (stream) => {
  const DigestStream = (crypto as unknown as { DigestStream?: DigestStreamConstructor })
    .DigestStream;
  if (DigestStream) {
    const digest = new DigestStream('SHA-256');
    await stream.pipeTo(digest);
    return toHex(await digest.digest);
  }
  const parts: Uint8Array[] = [];
  let length = 0;
  for await (const part of stream as unknown as AsyncIterable<Uint8Array>) {
    length += part.length;
    if (length > MAX_BUFFERED_HASH_BYTES) {
      throw new DistSiteError('artifact too large to hash by buffering: pass a hashStream option');
    }
    parts.push(part);
  }
  const all = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    all.set(part, at);
    at += part.length;
  }
  return toHex(await crypto.subtle.digest('SHA-256', all));
};

// ---------------------------------------------------------------------------------------
// Manifests and signatures

/** SHASUMS256.txt with both signature forms; `asc` carries its own copy of the text. */
interface SignedManifest {
  readonly text: string;
  readonly sig: Uint8Array;
  readonly asc: string;
}

interface CleanManifest extends SignedManifest {
  readonly hashes: ReadonlyMap<string, string>;
}

function renderManifest(hashes: ReadonlyMap<string, string>): string {
  const files = [...hashes.keys()].sort();
  return files.map((file) => `${hashes.get(file)}  ${file}\n`).join('');
}

/** Replaces the first SHA-256 in `text` by another (each hex digit moved on by one). */
function alterFirstHash(text: string): string {
  return text.replace(/[0-9a-f]{64}/, (hash) =>
    [...hash].map((digit) => ((parseInt(digit, 16) + 1) % 16).toString(16)).join(''),
  );
}

/**
 * Signs like the release team's gpg: a binary detached signature over the file's bytes,
 * and a clearsigned copy whose signed text is the file without its final newline.
 */
async function signManifest(
  text: string,
  key: openpgp.PrivateKey,
  date: Date,
): Promise<SignedManifest> {
  const signingDate = new Date(Math.max(date.getTime(), key.getCreationTime().getTime()));
  const sig = await openpgp.sign({
    message: await openpgp.createMessage({ binary: new TextEncoder().encode(text) }),
    signingKeys: key,
    detached: true,
    format: 'binary',
    date: signingDate,
  });
  const asc = await openpgp.sign({
    message: await openpgp.createCleartextMessage({ text: text.replace(/\n$/, '') }),
    signingKeys: key,
    date: signingDate,
  });
  // openpgp writes the clear text with CRLF; gpg on the release machines writes LF.
  return { text, sig, asc: asc.replace(/\r\n/g, '\n') };
}

// ---------------------------------------------------------------------------------------
// Attack commands

const VERSION_ATTACKS = ['alter-manifest', 'resign-manifest', 'sign-with-other-key'] as const;
const PATH_ATTACKS = ['drop-file', 'change-metadata'] as const;
const BARE_ATTACKS = ['rollback-index', 'reset'] as const;

/** Every attack name, for help texts and validation. */
export const ATTACK_NAMES: readonly AttackName[] = [
  'tamper-artifact',
  ...VERSION_ATTACKS,
  'poison-cache',
  ...PATH_ATTACKS,
  'set-header',
  'redirect',
  ...BARE_ATTACKS,
  'down',
  'slow',
];

/** Validates untrusted JSON (a CLI flag, a control request) into an AttackCommand. */
export function parseAttackCommand(value: unknown): AttackCommand {
  if (typeof value !== 'object' || value === null)
    throw new DistSiteError('attack command must be an object');
  const record = value as Record<string, unknown>;
  const text = (field: string): string => {
    const found = record[field];
    if (typeof found !== 'string' || found === '') {
      throw new DistSiteError(`attack '${String(record.attack)}' needs a string '${field}'`);
    }
    return found;
  };
  const regions = (): { regions?: readonly string[] } => {
    const found = record.regions;
    if (found === undefined) return {};
    if (
      !Array.isArray(found) ||
      found.length === 0 ||
      found.some((region) => typeof region !== 'string' || region === '')
    ) {
      throw new DistSiteError(
        `attack '${String(record.attack)}' needs 'regions' as a non-empty array of region names`,
      );
    }
    return { regions: found as string[] };
  };
  const attack = record.attack;
  if (attack === 'poison-cache') return { attack, path: text('path'), ...regions() };
  if (attack === 'down') return { attack, ...regions() };
  if (attack === 'tamper-artifact') {
    const offset = record.offset;
    if (
      offset !== undefined &&
      (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    ) {
      throw new DistSiteError("attack 'tamper-artifact' needs a non-negative integer 'offset'");
    }
    return {
      attack,
      version: text('version'),
      file: text('file'),
      ...(offset !== undefined && { offset }),
    };
  }
  if ((VERSION_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof VERSION_ATTACKS)[number], version: text('version') };
  }
  if ((PATH_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof PATH_ATTACKS)[number], path: text('path') };
  }
  if ((BARE_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof BARE_ATTACKS)[number] };
  }
  if (attack === 'set-header')
    return { attack, path: text('path'), name: text('name'), value: text('value') };
  if (attack === 'redirect') return { attack, path: text('path'), to: text('to') };
  if (attack === 'slow') {
    const ms = record.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new DistSiteError("attack 'slow' needs a non-negative number 'ms'");
    }
    return { attack, ms };
  }
  throw new DistSiteError(`unknown attack '${String(attack)}'; known: ${ATTACK_NAMES.join(', ')}`);
}

// ---------------------------------------------------------------------------------------
// HTTP

/** One servable file, clean or as an attack left it. */
interface Resource {
  readonly size: number;
  readonly contentType: string;
  /** Quoted. */
  readonly etag: string;
  readonly lastModified: Date;
  body(start: number, end: number): ReadableStream<Uint8Array>;
}

function contentTypeOf(path: string): string {
  const types: [RegExp, string][] = [
    [/\.json$/, 'application/json; charset=utf-8'],
    [/\.(txt|asc)$/, 'text/plain; charset=utf-8'],
    [/\.sig$/, 'application/pgp-signature'],
    [/\.(tar\.gz|tgz)$/, 'application/gzip'],
    [/\.tar\.xz$/, 'application/x-xz'],
    [/\.zip$/, 'application/zip'],
    [/\.7z$/, 'application/x-7z-compressed'],
    [/\.msi$/, 'application/x-msi'],
    [/\.exe$/, 'application/x-msdownload'],
  ];
  return types.find(([pattern]) => pattern.test(path))?.[1] ?? 'application/octet-stream';
}

function bytesResource(path: string, bytes: Uint8Array, lastModified: Date): Resource {
  return {
    size: bytes.length,
    contentType: contentTypeOf(path),
    etag: `"${fingerprint(bytes)}"`,
    lastModified,
    body: (start, end) => bytesStream(bytes, start, end),
  };
}

function errorResponse(
  status: number,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': ERROR_CACHE_CONTROL,
      ...extra,
    },
  });
}

/** A single `bytes=` range, resolved against `size`; undefined when absent or multi-range. */
function parseRange(
  header: string | null,
  size: number,
): { start: number; end: number } | 'unsatisfiable' | undefined {
  if (header === null) return undefined;
  const match = /^bytes=(\d*)-(\d*)$/.exec(header.trim());
  if (!match || (match[1] === '' && match[2] === '')) return undefined;
  const [first, last] = [match[1] ?? '', match[2] ?? ''];
  if (first === '') {
    const suffix = Math.min(Number(last), size);
    return suffix === 0 ? 'unsatisfiable' : { start: size - suffix, end: size };
  }
  const start = Number(first);
  const end = last === '' ? size : Math.min(Number(last) + 1, size);
  return start >= size || end <= start ? 'unsatisfiable' : { start, end };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** `/dist/x`, `dist/x`, `/x` and `x` all name the site path `x`. */
function normalisePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^dist\//, '');
}

// ---------------------------------------------------------------------------------------
// The site

interface Release {
  readonly spec: ReleaseSpec;
  readonly files: readonly string[];
  readonly published: Date;
}

/** Everything attacks change; `reset()` replaces it with a fresh one. */
interface AttackState {
  readonly applied: AttackCommand[];
  readonly flips: Map<string, number[]>;
  readonly manifests: Map<string, SignedManifest>;
  /** Path → the simulated regions whose cache is poisoned, or `all`. */
  readonly poisoned: Map<string, ReadonlySet<string> | 'all'>;
  readonly dropped: Set<string>;
  readonly headers: Map<string, [string, string][]>;
  readonly redirects: Map<string, string>;
  readonly metadataChanges: Map<string, number>;
  rolledBack: boolean;
  isDown: boolean;
  /** Simulated regions that get 503s (when the whole site is not down). */
  readonly downRegions: Set<string>;
  delayMs: number;
}

function freshAttackState(): AttackState {
  return {
    applied: [],
    flips: new Map(),
    manifests: new Map(),
    poisoned: new Map(),
    dropped: new Set(),
    headers: new Map(),
    redirects: new Map(),
    metadataChanges: new Map(),
    rolledBack: false,
    isDown: false,
    downRegions: new Set(),
    delayMs: 0,
  };
}

class FixtureDistSite implements DistSite {
  readonly publicKeyArmored: string;
  readonly releases: readonly string[];
  readonly fetcher: typeof fetch;
  readonly #now: Date;
  readonly #releases: ReadonlyMap<string, Release>;
  readonly #key: openpgp.PrivateKey;
  readonly #artifactSize: (version: string, file: string) => number;
  readonly #hashStream: HashStream;
  readonly #forms: ReadonlySet<SignatureForm>;
  readonly #originHosts: ReadonlySet<string>;
  readonly #regionColos: Readonly<Record<string, string>>;
  readonly #cleanManifests = new Map<string, Promise<CleanManifest>>();
  #otherKey: Promise<openpgp.PrivateKey> | undefined;
  #attacks = freshAttackState();
  #log: RequestLogEntry[] = [];
  #requests = 0;

  constructor(
    options: DistSiteOptions,
    now: Date,
    releases: readonly ReleaseSpec[],
    key: openpgp.PrivateKey,
    publicKeyArmored: string,
  ) {
    this.#now = now;
    this.#key = key;
    this.publicKeyArmored = publicKeyArmored;
    this.#artifactSize = options.artifactSize ?? defaultArtifactSize;
    this.#hashStream = options.hashStream ?? defaultHashStream;
    this.#forms = new Set(options.signatureForms ?? ['sig', 'asc']);
    this.#originHosts = new Set(options.originHosts ?? []);
    this.#regionColos = { ...DEFAULT_REGION_COLOS, ...options.regionColos };
    const perRelease = options.artifactsPerRelease ?? 8;
    const sorted = [...releases].sort((a, b) => compareVersionsDescending(a.version, b.version));
    this.#releases = new Map(
      sorted.map((spec) => [
        spec.version,
        {
          spec,
          files: [...(spec.files ?? artifactCatalogue(spec.version).slice(0, perRelease))].sort(),
          published: new Date(`${spec.date}T12:00:00Z`),
        },
      ]),
    );
    this.releases = sorted.map((spec) => spec.version);
    this.fetcher = (input, init) => this.handle(new Request(input, init));
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.#log.slice(-REQUEST_LOG_LIMIT);
  }

  clearRequestLog(): void {
    this.#log = [];
  }

  files(version: string): readonly string[] {
    return this.#release(version).files;
  }

  async expectedSha256(version: string, file: string): Promise<string> {
    this.#artifact(version, file);
    const hash = (await this.#cleanManifest(version)).hashes.get(file);
    if (hash === undefined) throw new DistSiteError(`no hash for ${version}/${file}`);
    return hash;
  }

  async warm(): Promise<void> {
    for (const version of this.releases) await this.#cleanManifest(version);
  }

  state(): DistSiteState {
    return {
      releases: this.releases,
      attacks: [...this.#attacks.applied],
      requests: this.#requests,
    };
  }

  async apply(command: AttackCommand): Promise<void> {
    switch (command.attack) {
      case 'tamper-artifact':
        return this.tamperArtifact(command.version, command.file, command.offset);
      case 'alter-manifest':
        return this.alterManifest(command.version);
      case 'resign-manifest':
        return this.resignManifest(command.version);
      case 'sign-with-other-key':
        return this.signWithOtherKey(command.version);
      case 'poison-cache':
        return this.poisonCache(command.path, command.regions);
      case 'drop-file':
        return this.dropFile(command.path);
      case 'set-header':
        return this.setHeader(command.path, command.name, command.value);
      case 'redirect':
        return this.redirect(command.path, command.to);
      case 'rollback-index':
        return this.rollbackIndex();
      case 'down':
        return this.down(command.regions);
      case 'slow':
        return this.slow(command.ms);
      case 'change-metadata':
        return this.changeMetadata(command.path);
      case 'reset':
        return this.reset();
    }
  }

  tamperArtifact(version: string, file: string, offset?: number): void {
    const size = this.#artifact(version, file);
    const at = offset ?? Math.floor(size / 2);
    if (at >= size)
      throw new DistSiteError(`offset ${at} is beyond ${version}/${file} (${size} bytes)`);
    const key = `${version}/${file}`;
    this.#attacks.flips.set(key, [...(this.#attacks.flips.get(key) ?? []), at]);
    this.#record({ attack: 'tamper-artifact', version, file, offset: at });
  }

  async alterManifest(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    const text = alterFirstHash(clean.text);
    const oldHash = /[0-9a-f]{64}/.exec(clean.text)?.[0] ?? '';
    const newHash = /[0-9a-f]{64}/.exec(text)?.[0] ?? '';
    this.#attacks.manifests.set(version, {
      text,
      sig: clean.sig,
      asc: clean.asc.replace(oldHash, newHash),
    });
    this.#record({ attack: 'alter-manifest', version });
  }

  async resignManifest(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    this.#attacks.manifests.set(
      version,
      await signManifest(alterFirstHash(clean.text), this.#key, this.#now),
    );
    this.#record({ attack: 'resign-manifest', version });
  }

  async signWithOtherKey(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    this.#otherKey ??= generateKey(OTHER_USER_ID, this.#earliestPublished()).then(readPrivateKey);
    this.#attacks.manifests.set(
      version,
      await signManifest(clean.text, await this.#otherKey, this.#now),
    );
    this.#record({ attack: 'sign-with-other-key', version });
  }

  poisonCache(path: string, regions?: readonly string[]): void {
    const key = normalisePath(path);
    const before = this.#attacks.poisoned.get(key);
    this.#attacks.poisoned.set(
      key,
      regions === undefined || before === 'all' ? 'all' : new Set([...(before ?? []), ...regions]),
    );
    this.#record({ attack: 'poison-cache', path, ...(regions !== undefined && { regions }) });
  }

  dropFile(path: string): void {
    this.#attacks.dropped.add(normalisePath(path));
    this.#record({ attack: 'drop-file', path });
  }

  setHeader(path: string, name: string, value: string): void {
    const key = path === '*' ? '*' : normalisePath(path);
    this.#attacks.headers.set(key, [...(this.#attacks.headers.get(key) ?? []), [name, value]]);
    this.#record({ attack: 'set-header', path, name, value });
  }

  redirect(path: string, toUrl: string): void {
    if (!URL.canParse(toUrl)) throw new DistSiteError(`redirect target is not a URL: ${toUrl}`);
    this.#attacks.redirects.set(normalisePath(path), new URL(toUrl).href);
    this.#record({ attack: 'redirect', path, to: toUrl });
  }

  rollbackIndex(): void {
    this.#attacks.rolledBack = true;
    this.#record({ attack: 'rollback-index' });
  }

  down(regions?: readonly string[]): void {
    if (regions === undefined) this.#attacks.isDown = true;
    else for (const region of regions) this.#attacks.downRegions.add(region);
    this.#record({ attack: 'down', ...(regions !== undefined && { regions }) });
  }

  slow(ms: number): void {
    this.#attacks.delayMs = ms;
    this.#record({ attack: 'slow', ms });
  }

  changeMetadata(path: string): void {
    const key = normalisePath(path);
    this.#attacks.metadataChanges.set(key, (this.#attacks.metadataChanges.get(key) ?? 0) + 1);
    this.#record({ attack: 'change-metadata', path });
  }

  reset(): void {
    this.#attacks = freshAttackState();
  }

  async handle(request: Request): Promise<Response> {
    this.#requests += 1;
    this.#log.push({ method: request.method, url: request.url });
    if (this.#log.length > REQUEST_LOG_LIMIT * 1.2) this.#log = this.#log.slice(-REQUEST_LOG_LIMIT);
    const attacks = this.#attacks;
    if (attacks.delayMs > 0) await sleep(attacks.delayMs);
    const url = new URL(request.url);
    const path = url.pathname.startsWith('/dist/')
      ? safeDecode(url.pathname.slice('/dist/'.length))
      : undefined;
    const region = request.headers.get(REGION_HEADER) ?? undefined;
    const response = await this.#respond(request, url, path, attacks, region).catch(() =>
      errorResponse(500, 'Internal Server Error'),
    );
    const colo = region === undefined ? undefined : this.#regionColos[region];
    if (colo !== undefined) response.headers.set('cf-ray', `${rayId(this.#requests)}-${colo}`);
    for (const key of path === undefined ? ['*'] : ['*', path]) {
      for (const [name, value] of attacks.headers.get(key) ?? []) response.headers.set(name, value);
    }
    return response;
  }

  async #respond(
    request: Request,
    url: URL,
    path: string | undefined,
    attacks: AttackState,
    region: string | undefined,
  ): Promise<Response> {
    const down = attacks.isDown || (region !== undefined && attacks.downRegions.has(region));
    if (down) return errorResponse(503, 'Service Unavailable', { 'Retry-After': '60' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    }
    if (path === undefined || path === '') return errorResponse(404, 'Not Found');
    const redirect = attacks.redirects.get(path);
    if (redirect !== undefined) {
      return new Response(null, {
        status: 302,
        headers: { Location: redirect, 'Cache-Control': SUCCESS_CACHE_CONTROL },
      });
    }
    if (attacks.dropped.has(path)) return errorResponse(404, 'Not Found');
    const viaCache = !this.#bypassesCache(url);
    const poisonedFor = attacks.poisoned.get(path);
    const poisoned =
      poisonedFor === 'all' ||
      (poisonedFor !== undefined && region !== undefined && poisonedFor.has(region));
    const resource = await this.#resolve(path, viaCache && poisoned, attacks);
    if (resource === undefined) return errorResponse(404, 'Not Found');
    return serve(request, resource);
  }

  #bypassesCache(url: URL): boolean {
    return (
      url.search !== '' ||
      url.hostname.startsWith('origin.') ||
      this.#originHosts.has(url.host) ||
      this.#originHosts.has(url.hostname)
    );
  }

  async #resolve(
    path: string,
    poisoned: boolean,
    attacks: AttackState,
  ): Promise<Resource | undefined> {
    const resource = await this.#resolveContent(path, poisoned, attacks);
    const changes = attacks.metadataChanges.get(path) ?? 0;
    if (resource === undefined || changes === 0) return resource;
    return {
      ...resource,
      etag: `"${fingerprint(`${resource.etag}#metadata-change-${changes}`)}"`,
      lastModified: new Date(this.#now.getTime() + changes * 1000),
    };
  }

  async #resolveContent(
    path: string,
    poisoned: boolean,
    attacks: AttackState,
  ): Promise<Resource | undefined> {
    const encode = (text: string) => new TextEncoder().encode(text);
    if (path === 'index.json') {
      const rolledBack = attacks.rolledBack !== poisoned;
      const listed = [...this.#releases.values()].slice(rolledBack ? 1 : 0);
      const text = renderIndex(
        listed.map((release) => release.spec),
        (version) => this.files(version),
      );
      return bytesResource(path, encode(text), listed[0]?.published ?? this.#now);
    }
    const slash = path.indexOf('/');
    const release = this.#releases.get(path.slice(0, slash));
    if (slash < 0 || release === undefined) return undefined;
    const version = release.spec.version;
    const name = path.slice(slash + 1);
    if (
      name === 'SHASUMS256.txt' ||
      name === 'SHASUMS256.txt.sig' ||
      name === 'SHASUMS256.txt.asc'
    ) {
      if (name.endsWith('.sig') && !this.#forms.has('sig')) return undefined;
      if (name.endsWith('.asc') && !this.#forms.has('asc')) return undefined;
      const manifest = attacks.manifests.get(version) ?? (await this.#cleanManifest(version));
      let bytes =
        name === 'SHASUMS256.txt'
          ? encode(manifest.text)
          : name.endsWith('.asc')
            ? encode(manifest.asc)
            : manifest.sig;
      if (poisoned) {
        bytes = name.endsWith('.sig')
          ? flipMiddleByte(bytes)
          : encode(alterFirstHash(new TextDecoder().decode(bytes)));
      }
      return bytesResource(path, bytes, release.published);
    }
    if (!release.files.includes(name)) return undefined;
    const size = this.#artifactSize(version, name);
    const seed = fnv1a(path);
    const source: ArtifactSource = poisoned
      ? { seed: fnv1a(`${path}#poisoned`), size, flips: [] }
      : { seed, size, flips: attacks.flips.get(path) ?? [] };
    return {
      size,
      contentType: contentTypeOf(name),
      etag: `"${fingerprint(`${path}:${size}`)}"`,
      lastModified: release.published,
      body: (start, end) => artifactStream(source, start, end),
    };
  }

  #cleanManifest(version: string): Promise<CleanManifest> {
    const release = this.#release(version);
    let manifest = this.#cleanManifests.get(version);
    if (manifest === undefined) {
      manifest = this.#buildManifest(release);
      manifest.catch(() => this.#cleanManifests.delete(version));
      this.#cleanManifests.set(version, manifest);
    }
    return manifest;
  }

  async #buildManifest(release: Release): Promise<CleanManifest> {
    const version = release.spec.version;
    const hashes = new Map<string, string>();
    for (const file of release.files) {
      const size = this.#artifactSize(version, file);
      const source = { seed: fnv1a(`${version}/${file}`), size, flips: [] };
      hashes.set(file, await this.#hashStream(artifactStream(source, 0, size)));
    }
    const signed = await signManifest(renderManifest(hashes), this.#key, release.published);
    return { ...signed, hashes };
  }

  #release(version: string): Release {
    const release = this.#releases.get(version);
    if (release === undefined) throw new DistSiteError(`unknown release ${version}`);
    return release;
  }

  /** The artifact's size; throws when the release does not publish it. */
  #artifact(version: string, file: string): number {
    if (!this.#release(version).files.includes(file)) {
      throw new DistSiteError(`${version} publishes no ${file}`);
    }
    return this.#artifactSize(version, file);
  }

  #earliestPublished(): Date {
    const times = [...this.#releases.values()].map((release) => release.published.getTime());
    return new Date(Math.min(this.#now.getTime(), ...times) - DAY_MS);
  }

  #record(command: AttackCommand): void {
    this.#attacks.applied.push(command);
  }
}

function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** A ray id like Cloudflare's (16 hex digits), unique per request of this site. */
function rayId(request: number): string {
  return (fnv1a(`ray-${request}`).toString(16) + request.toString(16)).padStart(16, '0').slice(-16);
}

function flipMiddleByte(bytes: Uint8Array): Uint8Array {
  const copy = bytes.slice();
  const middle = Math.floor(copy.length / 2);
  copy[middle] = (copy[middle] ?? 0) ^ 0xff;
  return copy;
}

/** A 200, 206, 304 or 416 for a resource, with the release worker's headers. */
function serve(request: Request, resource: Resource): Response {
  const headers = new Headers({
    'Content-Type': resource.contentType,
    'Cache-Control': SUCCESS_CACHE_CONTROL,
    ETag: resource.etag,
    'Last-Modified': resource.lastModified.toUTCString(),
    'Accept-Ranges': 'bytes',
  });
  const ifNoneMatch = request.headers.get('If-None-Match');
  if (ifNoneMatch !== null && ifNoneMatch.split(',').some((tag) => tag.trim() === resource.etag)) {
    return new Response(null, { status: 304, headers });
  }
  const range = parseRange(request.headers.get('Range'), resource.size);
  if (range === 'unsatisfiable') {
    return errorResponse(416, 'Range Not Satisfiable', {
      'Content-Range': `bytes */${resource.size}`,
    });
  }
  const { start, end } = range ?? { start: 0, end: resource.size };
  headers.set('Content-Length', String(end - start));
  if (range !== undefined)
    headers.set('Content-Range', `bytes ${start}-${end - 1}/${resource.size}`);
  const body = request.method === 'HEAD' ? null : resource.body(start, end);
  return new Response(body, { status: range === undefined ? 200 : 206, headers });
}

// ---------------------------------------------------------------------------------------
// Construction

async function generateKey(
  userID: { name: string; email: string },
  date: Date,
): Promise<DistSiteKey> {
  const pair = await openpgp.generateKey({
    type: 'ecc',
    curve: 'curve25519Legacy',
    userIDs: [userID],
    date,
    format: 'armored',
  });
  return { privateKeyArmored: pair.privateKey, publicKeyArmored: pair.publicKey };
}

function readPrivateKey(key: DistSiteKey): Promise<openpgp.PrivateKey> {
  return openpgp.readPrivateKey({ armoredKey: key.privateKeyArmored });
}

/** Builds a site; generates its signing key unless one is given. Manifests sign lazily. */
export async function createDistSite(options: DistSiteOptions = {}): Promise<DistSite> {
  const now = options.now ?? new Date();
  const releases = options.releases ?? defaultReleases(now);
  const versions = new Set<string>();
  for (const release of releases) {
    if (!/^v\d+\.\d+\.\d+$/.test(release.version))
      throw new DistSiteError(`bad version ${release.version}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(release.date))
      throw new DistSiteError(`bad date ${release.date}`);
    if (versions.has(release.version))
      throw new DistSiteError(`duplicate release ${release.version}`);
    versions.add(release.version);
  }
  const earliest = Math.min(
    now.getTime(),
    ...releases.map((release) => Date.parse(`${release.date}T12:00:00Z`)),
  );
  const key = options.key ?? (await generateKey(DEMO_USER_ID, new Date(earliest - DAY_MS)));
  return new FixtureDistSite(
    options,
    now,
    releases,
    await readPrivateKey(key),
    key.publicKeyArmored,
  );
}
