/**
 * From the tokens of a command line to the command dist-verify runs.
 *
 * Contract: pure (the tokenising is `node:util` parseArgs in args.ts). Every mistake is a
 * `UsageError` naming the flag and saying what would be right; nothing is guessed or
 * silently dropped. The values the monitor itself reads from vars (the dist URL, the key
 * URL template, the watch policy) are validated by the monitor's own config parser, so
 * `--dist-url`, `--newest` and `--lines` accept exactly what DIST_BASE_URL, WATCH_NEWEST
 * and WATCH_LINES accept.
 */
import { parseMonitorConfig } from '../core/config';
import { err, ok, type Result } from '../core/result';
import { parseVersion } from '../core/versions';

/** The flags as parseArgs returns them (strings and booleans, repeatable ones as lists). */
export interface RawArgs {
  readonly positionals: readonly string[];
  readonly values: {
    readonly download?: boolean;
    readonly only?: readonly string[];
    readonly out?: string;
    readonly 'dist-url'?: string;
    readonly keys?: string;
    readonly 'keys-url'?: string;
    readonly log?: string;
    readonly 'log-key'?: string;
    readonly json?: boolean;
    readonly timeout?: string;
    readonly 'user-agent'?: string;
    readonly newest?: string;
    readonly lines?: string;
    readonly help?: boolean;
    readonly version?: boolean;
  };
}

/** The monitor's transparency log, as `--log` and `--log-key` name it. */
export interface LogTarget {
  /** The tlog-tiles prefix: `<monitor>/log` (checkpoint and tiles live under it). */
  readonly prefixUrl: string;
  /** `<monitor>/api/log/lookup`. */
  readonly lookupUrl: string;
  /** The log's verifier key, signed-note form `<name>+<hash>+<base64>`. */
  readonly verifierKey: string;
}

/** What every command shares. */
export interface CommonOptions {
  readonly distUrl: string;
  /** `--keys`: a file of armored keys that replaces the trust set. */
  readonly keysFile?: string;
  /** Where pinned key material is fetched from, `{fingerprint}` replaced. */
  readonly keysUrlTemplate: string;
  readonly log?: LogTarget;
  readonly json: boolean;
  /** Per request (a download's own limit grows with its size). */
  readonly timeoutMs: number;
  readonly userAgent?: string;
  readonly sha1Cutoff: Date;
  readonly maxManifestBytes: number;
  readonly maxIndexBytes: number;
  readonly allowedRedirectHosts: readonly string[];
  readonly runbookBaseUrl: string;
}

/** Which artifacts to fetch and hash, and where to keep them. */
export interface DownloadOptions {
  readonly enabled: boolean;
  /** Globs over manifest names; empty = every artifact. */
  readonly only: readonly string[];
  /** `--out`: keep verified artifacts here; undefined = write nothing. */
  readonly outDir?: string;
}

export type CliCommand =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | {
      readonly kind: 'verify';
      readonly release: string;
      /** Local files to check against the manifest, as given. */
      readonly files: readonly string[];
      readonly download: DownloadOptions;
      readonly common: CommonOptions;
    }
  | {
      readonly kind: 'watch';
      readonly newest: number;
      /** Explicit majors; empty = every supported line (the monitor's default policy). */
      readonly lines: readonly number[];
      readonly download: DownloadOptions;
      readonly common: CommonOptions;
    };

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const DEFAULT_TIMEOUT_SECONDS = 30;
const MAX_TIMEOUT_SECONDS = 3600;

export function interpretArgs(args: RawArgs): Result<CliCommand, UsageError> {
  const { values, positionals } = args;
  if (values.help) return ok({ kind: 'help' });
  if (values.version) return ok({ kind: 'version' });
  const [first, ...rest] = positionals;
  if (first === undefined) {
    return usage('give a release version, e.g. `dist-verify v22.12.0`, or `dist-verify watch`');
  }

  const isWatch = first === 'watch';
  if (!isWatch && (values.newest !== undefined || values.lines !== undefined)) {
    return usage('--newest and --lines belong to `dist-verify watch`');
  }
  const config = parseMonitorConfig({
    DIST_BASE_URL: values['dist-url'],
    RELEASE_KEYS_URL: values['keys-url'],
    WATCH_NEWEST: values.newest,
    WATCH_LINES: values.lines,
  });
  if (!config.ok) return usage(config.error.problems.map(flagNameOfProblem).join('; '));
  if (
    values['keys-url'] !== undefined &&
    (!/^https?:\/\//i.test(values['keys-url']) || !values['keys-url'].includes('{fingerprint}'))
  ) {
    return usage('--keys-url must be an http(s) URL with {fingerprint} where the key goes');
  }
  if (values.keys !== undefined && values['keys-url'] !== undefined) {
    return usage('--keys replaces the trust set; --keys-url only matters without it');
  }

  const timeout = parseTimeout(values.timeout);
  if (!timeout.ok) return timeout;
  const log = parseLogTarget(values.log, values['log-key']);
  if (!log.ok) return log;
  const download = parseDownload(values);
  if (!download.ok) return download;

  const c = config.value;
  const common: CommonOptions = {
    distUrl: c.DIST_BASE_URL,
    ...(values.keys !== undefined && { keysFile: values.keys }),
    keysUrlTemplate: c.RELEASE_KEYS_URL,
    ...(log.value !== undefined && { log: log.value }),
    json: values.json === true,
    timeoutMs: timeout.value,
    ...(values['user-agent'] !== undefined && { userAgent: values['user-agent'] }),
    sha1Cutoff: c.SHA1_SIGNATURE_CUTOFF,
    maxManifestBytes: c.MAX_MANIFEST_BYTES,
    maxIndexBytes: c.MAX_INDEX_BYTES,
    allowedRedirectHosts: c.ALLOWED_REDIRECT_HOSTS,
    runbookBaseUrl: c.RUNBOOK_BASE_URL,
  };

  if (isWatch) {
    if (rest.length > 0) {
      return usage(
        `\`dist-verify watch\` takes no file arguments (got ${JSON.stringify(rest[0])})`,
      );
    }
    if (download.value.outDir !== undefined) {
      return usage('--out is for one release: `dist-verify <version> --download --out DIR`');
    }
    return ok({
      kind: 'watch',
      newest: c.WATCH_NEWEST,
      lines: c.WATCH_LINES,
      download: download.value,
      common,
    });
  }

  const release = normaliseVersion(first);
  if (!release.ok) return release;
  return ok({
    kind: 'verify',
    release: release.value,
    files: rest,
    download: download.value,
    common,
  });
}

/** `v22.12.0`, or `22.12.0` (the `v` is added): what index.json and the dist paths use. */
export function normaliseVersion(text: string): Result<string, UsageError> {
  const candidate = /^\d/.test(text) ? `v${text}` : text;
  const parsed = parseVersion(candidate);
  if (parsed.ok) return ok(candidate);
  return usage(
    `${JSON.stringify(text.slice(0, 40))} is not a release version; expected e.g. v22.12.0`,
  );
}

function parseTimeout(text: string | undefined): Result<number, UsageError> {
  if (text === undefined) return ok(DEFAULT_TIMEOUT_SECONDS * 1000);
  const seconds = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || seconds < 1 || seconds > MAX_TIMEOUT_SECONDS) {
    return usage(`--timeout takes seconds from 1 to ${MAX_TIMEOUT_SECONDS}, got '${text}'`);
  }
  return ok(Math.round(seconds * 1000));
}

/**
 * `--log` is the monitor's URL (`https://monitor.example`); the log lives under `/log`
 * there. A URL that already ends in `/log` is taken as that prefix.
 */
function parseLogTarget(
  url: string | undefined,
  key: string | undefined,
): Result<LogTarget | undefined, UsageError> {
  if (url === undefined && key === undefined) return ok(undefined);
  if (url === undefined) return usage('--log-key needs --log <monitor URL>');
  if (key === undefined || key.trim() === '') {
    return usage('--log needs --log-key <verifier key>: a log is only as good as its signature');
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return usage(`--log must be the monitor's URL, e.g. https://monitor.example (got '${url}')`);
  }
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:') {
    return usage('--log must be an http(s) URL');
  }
  if (parsed.search !== '' || parsed.hash !== '') {
    return usage('--log takes the monitor URL without a query or fragment');
  }
  const base = parsed.href.replace(/\/+$/, '');
  const monitor = base.endsWith('/log') ? base.slice(0, -'/log'.length) : base;
  return ok({
    prefixUrl: `${monitor}/log`,
    lookupUrl: `${monitor}/api/log/lookup`,
    verifierKey: key.trim(),
  });
}

function parseDownload(values: RawArgs['values']): Result<DownloadOptions, UsageError> {
  const enabled = values.download === true;
  const only = values.only ?? [];
  if (!enabled && only.length > 0) return usage('--only selects what --download fetches');
  if (!enabled && values.out !== undefined) return usage('--out keeps what --download fetches');
  if (only.some((glob) => glob.trim() === '')) return usage('--only needs a glob, e.g. "*.msi"');
  if (values.out !== undefined && values.out.trim() === '') {
    return usage('--out needs a directory');
  }
  return ok({ enabled, only, ...(values.out !== undefined && { outDir: values.out }) });
}

/** The config parser names vars; the command line knows them as flags. */
function flagNameOfProblem(problem: string): string {
  return problem
    .replace(/^DIST_BASE_URL:/, '--dist-url:')
    .replace(/^RELEASE_KEYS_URL:/, '--keys-url:')
    .replace(/^WATCH_NEWEST:/, '--newest:')
    .replace(/^WATCH_LINES:/, '--lines:');
}

function usage(message: string): { readonly ok: false; readonly error: UsageError } {
  return err(new UsageError(message));
}
