/**
 * `dist-verify watch` alerts: each verification failure posted as a signed webhook, in the
 * monitor's own payload (docs/webhooks.md, version 1, `incident.opened`) and signed by the
 * monitor's own webhook channel, so every receiver of the monitor's alerts understands it.
 *
 * Contract: configured by the environment only — ALERT_WEBHOOK_URLS and
 * ALERT_WEBHOOK_SECRET, as for the monitor; never by a flag, so the secret stays out of
 * shell history and process lists, and never appears in output (only a receiver's host
 * does). Only failures with a finding kind are posted (at most MAX_ALERTS per run); a run
 * that could not decide (exit 2) posts nothing: the schedule's own failure notice covers
 * it, and a flaky CI network must not page anyone. `data.id` is derived from the finding's
 * fingerprint, so the same problem seen by every scheduled run groups as one; each
 * delivery's `webhook-id` is unique to the run.
 */
import { createWebhookChannel } from '../adapters/webhook-channel';
import { defaultDeliveryTransport } from '../adapters/alert-delivery';
import { DEFAULT_ALERT_ROUTES } from '../core/alert-routes';
import { planDelivery, runbookUrlOf, type AlertMessage } from '../core/alerts';
import { sha256Hex } from '../core/digest';
import { fingerprintOf, kindSpec, type FindingKind } from '../core/findings';
import { err, ok, type Result } from '../core/result';
import { parseWebhookSecrets } from '../core/standard-webhooks';
import { parseWebhookEndpoints, type WebhookEndpoint } from '../core/webhook-endpoints';
import type { Problem } from './problems';

export interface AlertConfig {
  readonly endpoints: readonly WebhookEndpoint[];
  readonly keys: readonly Uint8Array[];
  /** Only for redaction. */
  readonly rawSecret: string;
}

/** More failures than this in one run are summed up in the last alert's detail. */
export const MAX_ALERTS = 10;

const RETRY = { maxAttempts: 3, baseDelayMs: 2_000, maxDelayMs: 10_000 };

/** Undefined when alerts are off (no URL set); an error when set but unusable. */
export function parseAlertConfig(
  vars: Readonly<Record<string, string | undefined>>,
): Result<AlertConfig | undefined, string> {
  const urls = vars['ALERT_WEBHOOK_URLS'];
  if (urls === undefined || urls.trim() === '') return ok(undefined);
  const endpoints = parseWebhookEndpoints(urls);
  if (endpoints.problems.length > 0) return err(endpoints.problems.join('; '));
  const rawSecret = vars['ALERT_WEBHOOK_SECRET'] ?? '';
  const keys = parseWebhookSecrets(rawSecret);
  if (!keys.ok) {
    return err(`ALERT_WEBHOOK_SECRET: ${keys.error.detail} (alerts are never sent unsigned)`);
  }
  return ok({ endpoints: endpoints.endpoints, keys: keys.value, rawSecret });
}

export interface AlertContext {
  readonly now: Date;
  readonly runbookBaseUrl: string;
  /** A link to this run (the CI job), when known. */
  readonly runUrl?: string;
  /** Unique to this run: part of every `webhook-id`. */
  readonly runId: string;
  readonly sleep?: (ms: number) => Promise<void>;
}

export interface AlertOutcome {
  readonly sent: number;
  readonly failed: number;
  /** Why deliveries failed: receiver host and status, never a URL path or the secret. */
  readonly failures: readonly string[];
}

export async function sendFailureAlerts(
  config: AlertConfig,
  problems: readonly Problem[],
  ctx: AlertContext,
): Promise<AlertOutcome> {
  const alertable = problems.filter(
    (problem): problem is Problem & { kind: FindingKind } => problem.kind !== undefined,
  );
  const chosen = alertable.slice(0, MAX_ALERTS);
  const left = alertable.length - chosen.length;
  const transport = defaultDeliveryTransport();
  const sleep = ctx.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  let sent = 0;
  const failures: string[] = [];
  for (const [position, problem] of chosen.entries()) {
    const extra =
      position === chosen.length - 1 && left > 0
        ? ` ${left} more failure(s) in this run are not alerted separately.`
        : '';
    const message = await alertMessageOf(problem, ctx, extra);
    for (const endpoint of config.endpoints) {
      const channel = createWebhookChannel({
        endpoint,
        keys: config.keys,
        rawSecret: config.rawSecret,
        routes: DEFAULT_ALERT_ROUTES,
        transport,
      });
      const idempotencyKey = `${message.incidentId}:${ctx.runId}`;
      for (let attempt = 1; ; attempt += 1) {
        const outcome = await channel.deliver(message, { idempotencyKey, attempt });
        const decision = planDelivery(outcome, attempt, RETRY, Math.random);
        if (decision.status === 'delivered') {
          sent += 1;
          break;
        }
        if (decision.status === 'pending') {
          await sleep(decision.delayMs);
          continue;
        }
        failures.push(`${endpoint.name}: ${'detail' in outcome ? outcome.detail : outcome.kind}`);
        break;
      }
    }
  }
  return { sent, failed: failures.length, failures };
}

async function alertMessageOf(
  problem: Problem & { kind: FindingKind },
  ctx: AlertContext,
  extra: string,
): Promise<AlertMessage> {
  const spec = kindSpec(problem.kind);
  const fingerprint = fingerprintOf(problem.kind, problem.subject);
  const seen = ctx.now.toISOString();
  return {
    incidentId: (await sha256Hex(`dist-verify ${fingerprint}`)).slice(0, 32),
    fingerprint,
    kind: problem.kind,
    severity: spec.severity,
    state: 'open',
    event: 'opened',
    title: spec.title,
    summary: problem.message,
    subject: problem.subject,
    ...(problem.expected !== undefined && { expected: problem.expected }),
    ...(problem.observed !== undefined && { observed: problem.observed }),
    ...(problem.release !== undefined && { release: problem.release }),
    firstSeen: seen,
    lastSeen: seen,
    count: 1,
    runbookUrl: runbookUrlOf(ctx.runbookBaseUrl, problem.kind),
    incidentUrl: ctx.runUrl ?? problem.subject,
    detail: `Seen by dist-verify watch from outside Cloudflare${ctx.runUrl !== undefined ? ` (${ctx.runUrl})` : ''}; compare with the monitor's own findings.${extra}`,
    security: spec.security,
    disclosed: false,
  };
}
