/**
 * The fixture site's public types: what a site publishes (ReleaseSpec), how it is built
 * (DistSiteOptions), the JSON commands that make it misbehave (AttackCommand) and the
 * DistSite interface every test and tool programs against.
 */
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
  /**
   * How the `cloak` attack recognises the monitor when its command gives no `detect`
   * (default `{ header: 'cf-worker' }`: every subrequest of a Worker carries it, in
   * production and under `wrangler dev`).
   */
  readonly monitorAudience?: AudienceRule;
  /**
   * Put an edge cache in front of the site from the start (it stays on through `reset`):
   * answers are kept for their `s-maxage` on the site's clock until purged. Default off:
   * every request reaches the worker, so attacks show at once.
   */
  readonly edgeCache?: boolean;
  /**
   * Send the worker's `cache-tag` headers, as it shows them without Cloudflare's edge in
   * front (`wrangler dev`). Default off: the edge removes Cache-Tag before visitors see it.
   */
  readonly cacheTags?: boolean;
  /** How the `slow` attack waits (default a real timer); tests pass their own to observe it. */
  readonly sleep?: (ms: number) => Promise<void>;
}

/** A release `promoteRelease` publishes: its version, the rest defaulted. */
export interface PromotedRelease {
  readonly version: string;
  /** Default: the site clock's day. */
  readonly date?: string;
  /** Default false. */
  readonly lts?: string | false;
  /** Default false. */
  readonly security?: boolean;
  readonly files?: readonly string[];
}

/**
 * Which requests count as the monitor's: those carrying `header` (case-insensitive), and,
 * when `pattern` is given, whose value matches that regular expression (e.g.
 * `{ header: 'user-agent', pattern: '^dist-integrity-monitor' }`).
 */
export interface AudienceRule {
  readonly header: string;
  readonly pattern?: string;
}

/**
 * What one audience gets for a path under `cloak` or `answer-by-query`: the file as the
 * release team published it (`clean`, whatever other attacks do), other bytes (`tampered`:
 * what `poison-cache` serves — other artifact bytes of the same size, a manifest with one
 * hash changed under the old signatures, index.json without its newest release), or that
 * HTTP status instead of the file (304 or 400–599).
 */
export type ForgedAnswer = 'clean' | 'tampered' | number;

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
  | { readonly attack: 'reset' }
  /**
   * Answers requests for paths matching `path` (a pattern: `*` matches any run of
   * characters, `/` included) one way when they look like the monitor's and another way
   * otherwise. An audience without an answer gets the site as the other attacks make it.
   */
  | {
      readonly attack: 'cloak';
      readonly path: string;
      readonly monitor?: ForgedAnswer;
      readonly others?: ForgedAnswer;
      /** How to recognise the monitor; default the site's `monitorAudience`. */
      readonly detect?: AudienceRule;
    }
  /** Requests with any query string get `query`, plain ones `plain` (each optional). */
  | {
      readonly attack: 'answer-by-query';
      readonly path: string;
      readonly query?: ForgedAnswer;
      readonly plain?: ForgedAnswer;
    }
  /** `version`'s SHASUMS256.txt, .sig and .asc are byte copies of release `from`'s. */
  | { readonly attack: 'substitute-manifest'; readonly version: string; readonly from: string }
  /** index.json (and index.tab) no longer list these releases. */
  | { readonly attack: 'prune-index'; readonly versions: readonly string[] }
  /** index.json's (and index.tab's) entry for `version` gets these fields instead. */
  | {
      readonly attack: 'rewrite-index';
      readonly version: string;
      readonly fields: Readonly<Record<string, unknown>>;
    }
  /**
   * An R2 outage: the worker serves files (all, or those matching `path`) from its origin
   * fallback: same bytes and Last-Modified, nginx ETags, the success policy on every status.
   */
  | { readonly attack: 'origin-fallback'; readonly path?: string }
  /** 404s for files carry the success cache policy, as the fallback once sent them. */
  | { readonly attack: 'cacheable-404' }
  /** An edge cache in front of the site that honours s-maxage, until reset. */
  | { readonly attack: 'edge-cache' }
  /** Operation: empties the edge cache, or the entries whose path matches one of `paths`. */
  | { readonly attack: 'purge'; readonly paths?: readonly string[] }
  /** Operation: moves the site's clock forward. */
  | { readonly attack: 'advance-clock'; readonly ms: number }
  /** Operation: publishes a new release now, without purging the edge cache. */
  | ({ readonly attack: 'promote-release' } & PromotedRelease);

export type AttackName = AttackCommand['attack'];

export interface RequestLogEntry {
  readonly method: string;
  readonly url: string;
}

/** What the site currently does, for the control endpoint. */
export interface DistSiteState {
  readonly releases: readonly string[];
  /** Attacks and modes applied since the last reset, in order (operations are not listed). */
  readonly attacks: readonly AttackCommand[];
  readonly requests: number;
  /** The site's clock, ISO 8601. */
  readonly now: string;
  /** Whether the edge cache is on, and how many answers it holds. */
  readonly edgeCache: { readonly enabled: boolean; readonly entries: number };
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
  /**
   * Answers `path` (a pattern, `*` = any characters) per audience: `monitor` to requests
   * that `detect` (default the site's `monitorAudience`, `cf-worker` present) recognises,
   * `others` to everyone else; an audience without an answer gets the site as it is.
   */
  cloak(
    path: string,
    answers: { readonly monitor?: ForgedAnswer; readonly others?: ForgedAnswer },
    detect?: AudienceRule,
  ): void;
  /** Answers `path` (a pattern) per request form: with any query string, or plain. */
  answerByQuery(
    path: string,
    answers: { readonly query?: ForgedAnswer; readonly plain?: ForgedAnswer },
  ): void;
  /** Serves byte copies of release `from`'s signed manifest files as `version`'s. */
  substituteManifest(version: string, from: string): void;
  /** Leaves these releases out of index.json and index.tab. */
  pruneIndex(versions: readonly string[]): void;
  /** Replaces fields of `version`'s index entry (`lts`, `date`, `security`, `files`, even `version`). */
  rewriteIndex(version: string, fields: Readonly<Record<string, unknown>>): void;
  /** Whether `request` looks like the monitor's under `detect` (default the site's rule). */
  isMonitorRequest(request: Request, detect?: AudienceRule): boolean;
  /** An R2 outage: files (all, or those matching the pattern) come from the origin fallback. */
  originFallback(path?: string): void;
  /** 404s for files carry the success cache policy (an error the edge keeps for hours). */
  cacheable404(): void;
  /** Puts an edge cache that honours s-maxage in front of the site, until reset. */
  enableEdgeCache(): void;
  /** The site's clock. */
  readonly now: Date;
  /** Moves the site's clock forward (cached answers age with it). */
  advance(ms: number): void;
  /** Empties the edge cache, or the entries whose path matches one of the patterns. */
  purge(paths?: readonly string[]): void;
  /**
   * Publishes a new release now (files signed and dated at the site's clock), without
   * purging: a cached index.json, index.tab, listing or `latest*` answer stays as it was.
   */
  promoteRelease(release: PromotedRelease): Promise<void>;
  /** Undoes every attack and mode and empties the edge cache; releases and clock stay. */
  reset(): void;
}
