/**
 * Runs `dist-verify <version> …` and assembles its result object.
 */
import type { CliCommand } from './options';
import { exitCodeOf, outcomeOf, type Problem } from './problems';
import { createProgress } from './progress';
import type { VerifyResult } from './report';
import { distClientOf, resultHead, trustSetOf, witnessVerified } from './run-shared';
import type { RunEnvironment } from './run-shared';
import { checkRelease, releaseDateOf, trustReport } from './verify';

export type { RunEnvironment } from './run-shared';

export async function runVerify(
  command: Extract<CliCommand, { kind: 'verify' }>,
  env: RunEnvironment,
): Promise<VerifyResult> {
  const { common } = command;
  const base = resultHead('verify', { release: command.release }, env, common);
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

  const trust = await trustSetOf(common, env.now);
  if (!trust.ok) return finish({ problems: [trust.error] });

  const client = distClientOf(common);
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

  const witnessed = await witnessVerified(common, env, checked.problems, checked.verifiedHashes);
  const problems: Problem[] = [...checked.problems, ...witnessed.problems];
  const log = witnessed.report;

  return finish({
    trust: trustReport(trust.value),
    manifest: checked.manifest,
    files: checked.files,
    ...(log !== undefined && { log }),
    problems,
  });
}
