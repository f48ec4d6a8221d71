/**
 * `dist-verify watch`: the monitor's watched-release checks from outside the platform.
 * index.json parsed by the core's parser, the releases chosen by the core's watch policy
 * (src/core/watch-policy.ts, the same defaults as WATCH_NEWEST / WATCH_LINES), each one's
 * signed manifest judged as `dist-verify <version>` judges it, the artifacts selected with
 * `--download --only` hashed, the log witnessed; on a verification failure, alerts.
 */
import { parseIndexJson, indexErrorSummary } from '../core/index-json';
import { indexJsonUrl } from '../core/manifest-urls';
import { selectWatchedReleases } from '../core/watch-policy';
import { classifyRequestError } from './http';
import { foreignRedirect, unreachable } from './manifest-check';
import type { CliCommand } from './options';
import { EXIT_FAILED, exitCodeOf, isFailure, outcomeOf, type Problem } from './problems';
import { createProgress } from './progress';
import type { ReleaseReport, WatchResult } from './report';
import { distClientOf, resultHead, trustSetOf, witnessVerified } from './run-shared';
import type { RunEnvironment } from './run-shared';
import { selectEntries } from './select-entries';
import { checkRelease, trustReport, type VerifiedHash } from './verify';
import { parseAlertConfig, sendFailureAlerts } from './watch-alerts';

export async function runWatch(
  command: Extract<CliCommand, { kind: 'watch' }>,
  env: RunEnvironment,
): Promise<WatchResult> {
  const { common } = command;
  const base = resultHead('watch', {}, env, common);
  const finish = (
    fields: Omit<WatchResult, keyof typeof base | 'outcome' | 'exitCode' | 'releases'> & {
      releases?: WatchResult['releases'];
    },
  ): WatchResult => {
    const exitCode = exitCodeOf(fields.problems);
    const { trust, index, releases = [], log, alerts, problems } = fields;
    return {
      ...base,
      outcome: outcomeOf(exitCode),
      exitCode,
      ...(trust !== undefined && { trust }),
      ...(index !== undefined && { index }),
      releases,
      ...(log !== undefined && { log }),
      ...(alerts !== undefined && { alerts }),
      problems,
    };
  };

  // A broken alert setup is found before the checks, not when a failure needs it.
  const alerts = parseAlertConfig(env.vars);
  if (!alerts.ok) {
    return finish({
      problems: [{ code: 'usage', subject: 'ALERT_WEBHOOK_URLS', message: alerts.error }],
    });
  }

  const trust = await trustSetOf(common, env.now);
  if (!trust.ok) return finish({ problems: [trust.error] });

  const client = distClientOf(common);
  const url = indexJsonUrl(common.distUrl);
  const fetched = await client.getText(url, { maxBytes: common.maxIndexBytes });
  if (!fetched.ok) {
    const verdict = classifyRequestError(fetched.error);
    const problem: Problem =
      verdict.kind === 'unreachable'
        ? unreachable(url, undefined, verdict.detail)
        : verdict.kind === 'foreign-redirect'
          ? foreignRedirect(url, undefined, verdict.detail)
          : {
              code: 'index-invalid',
              kind: 'index-invalid',
              subject: url,
              message: `index.json cannot be read: ${verdict.detail}.`,
            };
    return finish({ trust: trustReport(trust.value), problems: [problem] });
  }
  const index = parseIndexJson(fetched.value.text, { maxBytes: common.maxIndexBytes });
  if (!index.ok) {
    return finish({
      trust: trustReport(trust.value),
      problems: [
        {
          code: 'index-invalid',
          kind: 'index-invalid',
          subject: url,
          message: `${indexErrorSummary(index.error)}: the watched releases cannot be chosen.`,
        },
      ],
    });
  }

  const watched = selectWatchedReleases(
    index.value,
    { newest: command.newest, lines: command.lines },
    env.now,
  );
  const progress = createProgress(env.stderr, env.interactive, env.clock);
  const releases: ReleaseReport[] = [];
  const problems: Problem[] = [];
  const hashes: VerifiedHash[] = [];
  const globMatched = new Set<string>();
  for (const release of watched) {
    const checked = await checkRelease(
      { client, trust: trust.value, common, progress, now: env.now },
      release.version,
      [],
      { ...command.download, lenientGlobs: true },
      release.entry.date,
    );
    releases.push({
      release: release.version,
      watchReasons: release.reasons,
      manifest: checked.manifest,
      files: checked.files,
    });
    problems.push(...checked.problems);
    hashes.push(...checked.verifiedHashes);
    if (checked.parsed !== undefined) {
      const selection = selectEntries(checked.parsed, command.download.only);
      for (const glob of command.download.only) {
        if (!selection.unmatched.includes(glob)) globMatched.add(glob);
      }
    }
  }
  const unmatched = command.download.only.filter((glob) => !globMatched.has(glob));
  if (command.download.enabled && unmatched.length > 0 && !problems.some(isFailure)) {
    problems.push({
      code: 'usage',
      subject: unmatched.join(' '),
      message: `--only ${unmatched.map((glob) => JSON.stringify(glob)).join(', ')} matches no file of any watched release.`,
    });
  }

  const witnessed = await witnessVerified(common, env, problems, hashes);
  problems.push(...witnessed.problems);
  const log = witnessed.report;

  let alertsSent: WatchResult['alerts'];
  if (alerts.value !== undefined && exitCodeOf(problems) === EXIT_FAILED) {
    const outcome = await sendFailureAlerts(alerts.value, problems, {
      now: env.now,
      runbookBaseUrl: common.runbookBaseUrl,
      ...runIdentity(env),
    });
    alertsSent = { sent: outcome.sent, failed: outcome.failed };
    for (const failure of outcome.failures) {
      problems.push({
        code: 'alert-failed',
        subject: failure.split(':')[0] ?? 'webhook',
        message: `An alert could not be delivered (${failure}).`,
      });
    }
  }

  return finish({
    trust: trustReport(trust.value),
    index: { url, releases: index.value.length },
    releases,
    ...(log !== undefined && { log }),
    ...(alertsSent !== undefined && { alerts: alertsSent }),
    problems,
  });
}

/** The CI run this is, for links and delivery ids (GitHub Actions' own variables). */
function runIdentity(env: RunEnvironment): { runUrl?: string; runId: string } {
  const vars = env.vars;
  const server = vars['GITHUB_SERVER_URL'];
  const repository = vars['GITHUB_REPOSITORY'];
  const run = vars['GITHUB_RUN_ID'];
  const runUrl =
    server && repository && run && /^\d+$/.test(run)
      ? `${server}/${repository}/actions/runs/${run}`
      : undefined;
  const runId =
    run && /^\d+$/.test(run)
      ? `gha-${run}-${vars['GITHUB_RUN_ATTEMPT'] ?? '1'}`
      : `run-${env.now.getTime()}`;
  return { ...(runUrl !== undefined && { runUrl }), runId };
}
