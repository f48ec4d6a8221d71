/**
 * What can go wrong in a dist-verify run, and the exit code it earns.
 *
 * Contract: pure. Every problem has a `code` from a closed list; the code alone decides
 * whether it is a verification failure (exit 1: the site served something that is not
 * what the release team signed, or the log contradicts itself) or a run that could not
 * decide (exit 2: a usage mistake, an unreachable site, key material or log). A run with
 * any failure exits 1 even when something was also unreachable: a proven failure is the
 * more important news. No problem, exit 0.
 */
import type { FindingKind } from '../core/findings';

/** Problems that prove the release (or the log) is not what it should be: exit 1. */
export const FAILURE_CODES = [
  'unsigned',
  'unknown-key',
  'signature-invalid',
  'manifest-missing',
  'manifest-invalid',
  'manifest-binding',
  'hash-mismatch',
  'not-in-manifest',
  'artifact-missing',
  'foreign-redirect',
  'index-invalid',
  'absent-from-log',
  'log-inconsistent',
  'log-invalid',
] as const;

/** Problems that leave the question open: exit 2. */
export const ERROR_CODES = [
  'usage',
  'unreachable',
  'keys-unavailable',
  'file-unreadable',
  'alert-failed',
  'internal',
] as const;

export type FailureCode = (typeof FAILURE_CODES)[number];
export type ErrorCode = (typeof ERROR_CODES)[number];
export type ProblemCode = FailureCode | ErrorCode;

export type ExitCode = 0 | 1 | 2;

export const EXIT_VERIFIED: ExitCode = 0;
export const EXIT_FAILED: ExitCode = 1;
export const EXIT_ERROR: ExitCode = 2;

/** One thing that went wrong, as the report and `--json` show it. */
export interface Problem {
  readonly code: ProblemCode;
  /** What it is about: a URL, a local path, a log origin. */
  readonly subject: string;
  /** One or two sentences a person can act on. Site text in it is not yet escaped. */
  readonly message: string;
  /** The release it belongs to, when there is one. */
  readonly release?: string;
  /** The finer reason, e.g. the signature verdict's `bad-signature`. */
  readonly reason?: string;
  /** The monitor's finding kind for the same observation (what `watch` alerts with). */
  readonly kind?: FindingKind;
  /** What was expected and what was seen, e.g. two SHA-256 digests. */
  readonly expected?: string;
  readonly observed?: string;
}

const FAILURES: ReadonlySet<string> = new Set(FAILURE_CODES);

export function isFailure(problem: Pick<Problem, 'code'>): boolean {
  return FAILURES.has(problem.code);
}

export function exitCodeOf(problems: readonly Pick<Problem, 'code'>[]): ExitCode {
  if (problems.some(isFailure)) return EXIT_FAILED;
  return problems.length > 0 ? EXIT_ERROR : EXIT_VERIFIED;
}

export type Outcome = 'verified' | 'failed' | 'undecided';

export function outcomeOf(code: ExitCode): Outcome {
  if (code === EXIT_VERIFIED) return 'verified';
  return code === EXIT_FAILED ? 'failed' : 'undecided';
}
