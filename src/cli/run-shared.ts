/**
 * What `dist-verify <version>` and `dist-verify watch` do the same way: the head of their
 * result object, the trust set and HTTP client from the common options, and the log
 * witness, which runs only once every check passed and something was verified.
 */
import { createCliDistClient } from './http';
import { witnessLog, type WitnessOutcome } from './log-witness';
import type { CommonOptions } from './options';
import { isFailure, type Problem } from './problems';
import type { ProgressStream } from './progress';
import { RESULT_SCHEMA } from './report';
import { loadTrustSet } from './trust';
import type { VerifiedHash } from './verify';

/** What a run needs from the process: the clock, stderr for progress, the tool's version. */
export interface RunEnvironment {
  readonly now: Date;
  readonly clock: () => number;
  readonly stderr: ProgressStream;
  /** Progress may be drawn (stdout and stderr are terminals). */
  readonly interactive: boolean;
  readonly toolVersion: string;
  /** Where the log witness keeps checkpoints ($XDG_CACHE_HOME or ~/.cache). */
  readonly cacheDir: string;
  /** The environment (watch reads its alert settings and CI identity from it). */
  readonly vars: Readonly<Record<string, string | undefined>>;
}

/** The fields every result starts with, `subject` (e.g. the release) after the command. */
export function resultHead<const C extends string, const S extends object>(
  command: C,
  subject: S,
  env: RunEnvironment,
  common: CommonOptions,
) {
  return {
    schema: RESULT_SCHEMA,
    tool: { name: 'dist-verify', version: env.toolVersion },
    command,
    ...subject,
    distUrl: common.distUrl,
    checkedAt: env.now.toISOString(),
  } as const;
}

export function trustSetOf(common: CommonOptions, now: Date) {
  return loadTrustSet({
    ...(common.keysFile !== undefined && { keysFile: common.keysFile }),
    keysUrlTemplate: common.keysUrlTemplate,
    ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
    now,
  });
}

export function distClientOf(common: CommonOptions) {
  return createCliDistClient({
    timeoutMs: common.timeoutMs,
    allowedRedirectHosts: common.allowedRedirectHosts,
    ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
  });
}

/**
 * Witnesses the log (`--log`) for what was verified, when nothing failed: its report and
 * the problems it found, or nothing at all.
 */
export async function witnessVerified(
  common: CommonOptions,
  env: RunEnvironment,
  problems: readonly Problem[],
  hashes: readonly VerifiedHash[],
): Promise<WitnessOutcome> {
  if (common.log === undefined || problems.some(isFailure) || hashes.length === 0)
    return { problems: [] };
  const witnessed = await witnessLog({
    target: common.log,
    hashes,
    cacheDir: env.cacheDir,
    timeoutMs: common.timeoutMs,
    now: env.now,
    ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
  });
  return witnessed;
}
