/**
 * The result of a run, as `--json` prints it (one object on stdout) and as the human
 * report is drawn from. docs/dist-verify.md documents every field.
 *
 * Contract: versioned by `schema`. Within a version fields are only added; optional fields
 * are left out rather than null. Consumers must ignore fields they do not know. Text that
 * came from the site (names, details) is kept as it was; JSON escapes it.
 */
import type { ManifestReport } from './manifest-check';
import type { ExitCode, Outcome, Problem } from './problems';

export const RESULT_SCHEMA = 1;

export type FileStatus =
  | 'verified'
  | 'mismatch'
  | 'not-in-manifest'
  | 'ambiguous'
  | 'missing'
  | 'foreign-redirect'
  | 'unreadable'
  | 'unreachable';

/** One artifact checked: a local file or a download. */
export interface FileReport {
  /** The manifest name (`win-x64/node.exe`); for an unmatched local file, its path. */
  readonly name: string;
  readonly source: 'local' | 'download';
  /** The local path as given (local files). */
  readonly path?: string;
  /** Where it was fetched from (downloads). */
  readonly url?: string;
  readonly status: FileStatus;
  /** The signed SHA-256 (lowercase hex). */
  readonly expected?: string;
  /** The SHA-256 of the bytes read. */
  readonly observed?: string;
  readonly bytes?: number;
  /** `--out`: where the verified file was written. */
  readonly savedTo?: string;
}

/** What the transparency log said (see log-witness.ts). */
export interface LogReport {
  /** The checkpoint's origin line, e.g. `monitor.example/log`. */
  readonly origin: string;
  readonly treeSize: number;
  /** Base64, as in the checkpoint. */
  readonly rootHash: string;
  /** The signed checkpoint, exactly as served (evidence). */
  readonly checkpoint: string;
  /** The checkpoint this machine had seen before, when there was one. */
  readonly previous?: {
    readonly treeSize: number;
    readonly rootHash: string;
    readonly seenAt: string;
  };
  /** False when the new checkpoint does not extend `previous`. */
  readonly consistent: boolean;
  /** Each verified hash, and the log entry that records it. */
  readonly hashes: readonly {
    readonly sha256: string;
    readonly found: boolean;
    readonly index?: number;
    /** `manifest` or `artifact`: the kind of entry that records it. */
    readonly type?: string;
  }[];
  /** Where the checkpoint was saved for the next run, and whether that worked. */
  readonly cache: { readonly file: string; readonly saved: boolean; readonly error?: string };
}

export interface TrustReport {
  readonly source: 'keys-file' | 'pinned';
  readonly keys: number;
  /** Pinned fingerprints whose key could not be loaded. */
  readonly unavailable: readonly string[];
}

/** One release's verification (the whole result of `dist-verify <version>`). */
export interface ReleaseReport {
  readonly release: string;
  /** Why `watch` chose it (the watch policy's reasons); absent for `dist-verify <version>`. */
  readonly watchReasons?: readonly string[];
  readonly manifest?: ManifestReport;
  readonly files: readonly FileReport[];
}

interface ResultBase {
  readonly schema: typeof RESULT_SCHEMA;
  readonly tool: { readonly name: 'dist-verify'; readonly version: string };
  readonly outcome: Outcome;
  readonly exitCode: ExitCode;
  readonly distUrl: string;
  /** ISO-8601 time the run started. */
  readonly checkedAt: string;
  readonly trust?: TrustReport;
  readonly log?: LogReport;
  /** Every problem of the run; empty when verified. */
  readonly problems: readonly Problem[];
}

export interface VerifyResult extends ResultBase, ReleaseReport {
  readonly command: 'verify';
}

export interface WatchResult extends ResultBase {
  readonly command: 'watch';
  readonly index?: { readonly url: string; readonly releases: number };
  readonly releases: readonly ReleaseReport[];
  /** Alerts posted because the run failed. */
  readonly alerts?: { readonly sent: number; readonly failed: number };
}

/** What a usage error prints with `--json`. */
export interface UsageResult {
  readonly schema: typeof RESULT_SCHEMA;
  readonly tool: { readonly name: 'dist-verify'; readonly version: string };
  readonly command: 'usage';
  readonly outcome: 'undecided';
  readonly exitCode: 2;
  readonly problems: readonly Problem[];
}

export type RunResult = VerifyResult | WatchResult | UsageResult;
