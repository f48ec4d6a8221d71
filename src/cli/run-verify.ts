/**
 * Runs `dist-verify <version> …` and assembles its result object.
 */
import type { CliCommand } from './options';
import { createCliDistClient } from './http';
import { exitCodeOf, isFailure, outcomeOf, type Problem } from './problems';
import { createProgress, type ProgressStream } from './progress';
import { RESULT_SCHEMA, type LogReport, type VerifyResult } from './report';
import { loadTrustSet } from './trust';
import { checkRelease, releaseDateOf, trustReport } from './verify';
import { witnessLog } from './log-witness';

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

export async function runVerify(
  command: Extract<CliCommand, { kind: 'verify' }>,
  env: RunEnvironment,
): Promise<VerifyResult> {
  const { common } = command;
  const base = {
    schema: RESULT_SCHEMA,
    tool: { name: 'dist-verify', version: env.toolVersion },
    command: 'verify',
    release: command.release,
    distUrl: common.distUrl,
    checkedAt: env.now.toISOString(),
  } as const;
  const finish = (
    fields: Omit<VerifyResult, keyof typeof base | 'outcome' | 'exitCode' | 'files'> & {
      files?: VerifyResult['files'];
    },
  ): VerifyResult => {
    const exitCode = exitCodeOf(fields.problems);
    const { trust: usedTrust, manifest, files = [], log: logReport, problems: all } = fields;
    return {
      ...base,
      outcome: outcomeOf(exitCode),
      exitCode,
      ...(usedTrust !== undefined && { trust: usedTrust }),
      ...(manifest !== undefined && { manifest }),
      files,
      ...(logReport !== undefined && { log: logReport }),
      problems: all,
    };
  };

  const trust = await loadTrustSet({
    ...(common.keysFile !== undefined && { keysFile: common.keysFile }),
    keysUrlTemplate: common.keysUrlTemplate,
    ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
    now: env.now,
  });
  if (!trust.ok) return finish({ problems: [trust.error] });

  const client = createCliDistClient({
    timeoutMs: common.timeoutMs,
    allowedRedirectHosts: common.allowedRedirectHosts,
    ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
  });
  const checked = await checkRelease(
    {
      client,
      trust: trust.value,
      common,
      progress: createProgress(env.stderr, env.interactive, env.clock),
      now: env.now,
    },
    command.release,
    command.files,
    command.download,
    await releaseDateOf(client, common, command.release),
  );

  const problems: Problem[] = [...checked.problems];
  let log: LogReport | undefined;
  if (common.log !== undefined && !problems.some(isFailure) && checked.verifiedHashes.length > 0) {
    const witnessed = await witnessLog({
      target: common.log,
      hashes: checked.verifiedHashes,
      cacheDir: env.cacheDir,
      timeoutMs: common.timeoutMs,
      now: env.now,
      ...(common.userAgent !== undefined && { userAgent: common.userAgent }),
    });
    log = witnessed.report;
    problems.push(...witnessed.problems);
  }

  return finish({
    trust: trustReport(trust.value),
    manifest: checked.manifest,
    files: checked.files,
    ...(log !== undefined && { log }),
    problems,
  });
}
