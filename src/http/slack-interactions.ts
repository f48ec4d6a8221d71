/**
 * `POST /slack/interactions`: the Acknowledge, Resolve (and Disclose) buttons of Slack alerts.
 *
 * Slack signs each request (SLACK_SIGNING_SECRET, two space-separated while rotating) and
 * wants an answer within 3 seconds. So the route verifies the signature and the timestamp
 * (±5 minutes), refuses a signature it has already seen (the IncidentIndex remembers
 * them until they expire), reads the click, answers 200 at once, and does the work in
 * `waitUntil`: the incident records the clicking user as `slack:<name>`, then the clicked
 * message is replaced by its new state (or the user is told why not) via `response_url`.
 * Bad signature, stale timestamp and replay answer 401; a malformed payload 400; nothing
 * changes in any of those cases. Without SLACK_SIGNING_SECRET the route does not exist.
 * Anyone may acknowledge; resolving or disclosing a private (security) incident is for the
 * users SLACK_OPERATORS names (core/slack-interaction.ts). Anyone else gets an ephemeral
 * reply saying so, and the refusal is written in the incident's timeline.
 */
import type { Hono } from 'hono';
import { createAlertMessage } from '../core/alerts';
import type { IncidentRecord } from '../core/incident';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import { DEFAULT_INCIDENT_CONFIG, parseIncidentConfig } from '../core/incident-config';
import type { Result } from '../core/result';
import {
  decideSlackAction,
  parseSlackInteraction,
  parseSlackOperators,
  type SlackIncidentAction,
} from '../core/slack-interaction';
import { renderSlackMessage } from '../core/slack-message';
import {
  parseSlackSigningSecrets,
  SLACK_TIMESTAMP_TOLERANCE_SECONDS,
  verifySlackSignature,
} from '../core/slack-signature';
import { readCapped } from '../adapters/read-capped';
import { incidentIndexStub, incidentStubById } from '../durable/incident-stubs';
import type { MonitorEnv } from '../env';
import type { AppBindings } from './app-env';
import { problemOfRefusal } from './incident-access';
import { HttpProblem } from './problem';

export const SLACK_INTERACTIONS_PATH = '/slack/interactions';

/** Slack's payloads carry the clicked message; a few kilobytes, rarely more. */
const MAX_BODY_BYTES = 256 * 1024;

/** How long posting to a `response_url` may take. */
const RESPONSE_URL_TIMEOUT_MS = 5_000;

/** Replaceable in tests. */
export interface SlackInteractionOptions {
  readonly now?: () => Date;
  readonly fetch?: typeof fetch;
}

export function registerSlackInteractions(
  app: Hono<AppBindings>,
  options: SlackInteractionOptions = {},
): void {
  const now = options.now ?? (() => new Date());
  const send = options.fetch ?? ((input, init) => fetch(input, init));
  app.post(SLACK_INTERACTIONS_PATH, async (c) => {
    if (parseSlackSigningSecrets(c.env.SLACK_SIGNING_SECRET).length === 0) {
      throw new HttpProblem('not-found', 'Slack interactions are not configured.');
    }
    const rawBody = await readCappedText(c.req.raw);
    const signature = c.req.header('x-slack-signature');
    const verified = await verifySlackSignature({
      secrets: c.env.SLACK_SIGNING_SECRET,
      timestamp: c.req.header('x-slack-request-timestamp'),
      signature,
      rawBody,
      now: now(),
    });
    if (!verified.ok || signature === undefined) {
      throw new HttpProblem('unauthorized', 'The request is not validly signed by Slack.');
    }
    const interaction = parseSlackInteraction(rawBody);
    if (!interaction.ok) throw new HttpProblem('invalid-request', interaction.error.detail);
    const expiresAt = (verified.value.timestamp + SLACK_TIMESTAMP_TOLERANCE_SECONDS + 60) * 1000;
    if (!(await incidentIndexStub(c.env).claimSignature(`slack:${signature}`, expiresAt))) {
      throw new HttpProblem('unauthorized', 'This request was already received.');
    }
    const publicUrl = new URL(c.req.url).origin;
    c.executionCtx.waitUntil(performAction(c.env, interaction.value, publicUrl, send));
    return c.body(null, 200);
  });
}

type IncidentStub = NonNullable<Awaited<ReturnType<typeof incidentStubById>>>;

const PAST: Record<SlackIncidentAction['action'], string> = {
  acknowledge: 'Acknowledged',
  resolve: 'Resolved',
  disclose: 'Disclosed',
};

/** Acts on the incident, then answers the user in Slack. Never throws (it runs in waitUntil). */
async function performAction(
  env: MonitorEnv,
  action: SlackIncidentAction,
  requestOrigin: string,
  send: typeof fetch,
): Promise<void> {
  let reply: Record<string, unknown>;
  try {
    const stub = await incidentStubById(env, action.incidentId);
    reply =
      stub === undefined
        ? ephemeral(`Could not ${action.action}: ${problemOfRefusal({ kind: 'not-found' }).detail}`)
        : await actOn(env, stub, action, requestOrigin);
  } catch (error) {
    console.error(`slack interaction failed: ${error instanceof Error ? error.name : 'error'}`);
    reply = ephemeral(`Could not ${action.action}: the monitor failed; try again or use the API.`);
  }
  if (action.responseUrl === undefined) return;
  try {
    const response = await send(action.responseUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(reply),
      redirect: 'manual',
      signal: AbortSignal.timeout(RESPONSE_URL_TIMEOUT_MS),
    });
    await response.body?.cancel();
  } catch (error) {
    // The action itself is recorded; only the message in Slack stays as it was.
    console.warn(`slack response_url: ${error instanceof Error ? error.name : 'error'}`);
  }
}

/** Checks who may do what, does it (or records the refusal), and says how it went. */
async function actOn(
  env: MonitorEnv,
  stub: IncidentStub,
  action: SlackIncidentAction,
  requestOrigin: string,
): Promise<Record<string, unknown>> {
  const current = await stub.get();
  if (!current.ok)
    return ephemeral(`Could not ${action.action}: ${problemOfRefusal(current.error).detail}`);
  const decision = decideSlackAction(
    action,
    current.value.incident,
    parseSlackOperators(env.SLACK_OPERATORS),
  );
  if (decision.kind === 'refused') {
    await stub.recordRefusal(action.actor, action.action, decision.reason);
    return ephemeral(`Could not ${action.action}: ${decision.reason}.`);
  }
  const result: Result<IncidentRecord, IncidentRefusal> =
    action.action === 'acknowledge'
      ? await stub.acknowledge(decision.actor)
      : action.action === 'resolve'
        ? await stub.resolve(decision.actor, decision.note)
        : await stub.disclose(decision.actor);
  if (!result.ok)
    return ephemeral(`Could not ${action.action}: ${problemOfRefusal(result.error).detail}`);
  if (action.action === 'disclose')
    return ephemeral(
      `${PAST.disclose} by ${decision.actor}: the incident's details are now public.`,
    );
  return replacement(env, result.value, action, decision.actor, requestOrigin);
}

/** The clicked message, re-rendered in the incident's new state (its buttons follow it). */
function replacement(
  env: MonitorEnv,
  record: IncidentRecord,
  action: SlackIncidentAction,
  actor: string,
  requestOrigin: string,
): Record<string, unknown> {
  const config = parseIncidentConfig({ ...env });
  const links = config.ok ? config.value : DEFAULT_INCIDENT_CONFIG;
  const message = createAlertMessage(
    record,
    action.action === 'acknowledge' ? 'acknowledged' : 'resolved',
    { runbookBaseUrl: links.runbookBaseUrl, publicUrl: links.publicUrl || requestOrigin },
    { detail: `${PAST[action.action]} by ${actor}` },
  );
  return { replace_original: true, ...renderSlackMessage(message) };
}

function ephemeral(text: string): Record<string, unknown> {
  return { response_type: 'ephemeral', replace_original: false, text };
}

async function readCappedText(request: Request): Promise<string> {
  const body = await readCapped(request, MAX_BODY_BYTES);
  if (!body.ok) {
    throw new HttpProblem(
      'payload-too-large',
      `Slack payloads are limited to ${MAX_BODY_BYTES} bytes.`,
    );
  }
  return new TextDecoder().decode(body.value);
}
