/**
 * Reading a Slack button click (`block_actions` interaction payload, form-encoded as
 * `payload=<json>`) into the incident action it asks for, and deciding whether that Slack
 * user may do it.
 *
 * Contract: pure. Call only after the request's signature verified. Anything but one
 * click on our Acknowledge, Resolve or Disclose button, carrying a well-formed incident id,
 * is a `malformed` result. The actor is `slack:<username>` (or `slack:<user id>` when the
 * name does not fit the actor alphabet), so a timeline line cannot be forged through a
 * display name. A `response_url` is kept only when it points at hooks.slack.com.
 *
 * Who may act: anyone in the workspace may acknowledge. Resolving or disclosing a private
 * (security) incident needs a Slack user id listed in SLACK_OPERATORS
 * (`<user id>:<operator name>`, comma- or newline-separated); that user acts as
 * `operator:<name>`. The user id is what Slack signs for; names can be changed by users.
 */
import { z } from 'zod';
import { isIncidentId, parseActor, type Actor } from './incident';
import { err, ok, type Result } from './result';
import {
  SLACK_ACTION_ACKNOWLEDGE,
  SLACK_ACTION_DISCLOSE,
  SLACK_ACTION_RESOLVE,
} from './slack-message';

export { SLACK_ACTION_DISCLOSE } from './slack-message';

export type SlackAction = 'acknowledge' | 'resolve' | 'disclose';

export interface SlackIncidentAction {
  readonly action: SlackAction;
  readonly incidentId: string;
  readonly actor: Actor;
  /** Slack's user id (`U…`/`W…`), what SLACK_OPERATORS names. */
  readonly userId: string;
  /** Where to answer the clicking user (replace the message, or say why not). */
  readonly responseUrl?: string;
}

export interface SlackInteractionError {
  readonly kind: 'malformed';
  readonly detail: string;
}

const PayloadSchema = z.object({
  type: z.literal('block_actions'),
  user: z.object({
    id: z.string().min(1).max(100),
    username: z.string().max(200).optional(),
    name: z.string().max(200).optional(),
  }),
  response_url: z.string().max(2000).optional(),
  actions: z
    .array(
      z.object({
        action_id: z.string(),
        value: z.string().max(2000).optional(),
      }),
    )
    .length(1),
});

const ACTIONS: Record<string, SlackAction> = {
  [SLACK_ACTION_ACKNOWLEDGE]: 'acknowledge',
  [SLACK_ACTION_RESOLVE]: 'resolve',
  [SLACK_ACTION_DISCLOSE]: 'disclose',
};

export function parseSlackInteraction(
  rawBody: string,
): Result<SlackIncidentAction, SlackInteractionError> {
  const malformed = (detail: string) => err({ kind: 'malformed' as const, detail });
  const payloadText = new URLSearchParams(rawBody).get('payload');
  if (payloadText === null) return malformed('the body has no payload field');
  let json: unknown;
  try {
    json = JSON.parse(payloadText);
  } catch {
    return malformed('the payload is not JSON');
  }
  const parsed = PayloadSchema.safeParse(json);
  if (!parsed.success) return malformed('the payload is not a single block_actions click');
  const { user, actions, response_url: responseUrl } = parsed.data;
  const [click] = actions;
  const action =
    click === undefined || !Object.hasOwn(ACTIONS, click.action_id)
      ? undefined
      : ACTIONS[click.action_id];
  if (click === undefined || action === undefined) return malformed('unknown action');
  if (!isIncidentId(click.value)) return malformed('the button value is not an incident id');
  const actor =
    parseActor(`slack:${user.username ?? user.name ?? ''}`) ?? parseActor(`slack:${user.id}`);
  if (actor === undefined) return malformed('the Slack user cannot be named');
  return ok({
    action,
    incidentId: click.value,
    actor,
    userId: user.id,
    ...(responseUrl !== undefined && isSlackResponseUrl(responseUrl) && { responseUrl }),
  });
}

/** Only Slack's own hooks host: the response URL must not become a way to reach elsewhere. */
export function isSlackResponseUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'https:' && url.hostname === 'hooks.slack.com' && url.port === '';
  } catch {
    return false;
  }
}

/** Slack user id → operator name, from SLACK_OPERATORS. */
export type SlackOperators = ReadonlyMap<string, string>;

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,30}$/;
const OPERATOR_NAME = /^[A-Za-z0-9._@+-]{1,100}$/;

/**
 * Parses SLACK_OPERATORS: `<Slack user id>:<operator name>` entries separated by commas
 * or newlines. Entries that do not parse are skipped (and so grant nothing).
 */
export function parseSlackOperators(raw: string | undefined): SlackOperators {
  const operators = new Map<string, string>();
  for (const entry of (raw ?? '').split(/[,\n]/)) {
    const [id = '', name = '', ...rest] = entry.split(':').map((part) => part.trim());
    if (rest.length === 0 && SLACK_USER_ID.test(id) && OPERATOR_NAME.test(name))
      operators.set(id, name);
  }
  return operators;
}

/** What the click may do: act (as whom, with what note), or be refused (and why). */
export type SlackDecision =
  | { readonly kind: 'allowed'; readonly actor: Actor; readonly note?: string }
  | { readonly kind: 'refused'; readonly reason: string };

/**
 * Whether a Slack user may do what they clicked on an incident. Anyone acknowledges;
 * resolving or disclosing a private (security) incident needs a user listed in
 * SLACK_OPERATORS, who then acts under their operator name.
 */
export function decideSlackAction(
  click: Pick<SlackIncidentAction, 'action' | 'actor' | 'userId'>,
  incident: { readonly security: boolean },
  operators: SlackOperators,
): SlackDecision {
  const name = operators.get(click.userId);
  const mapped = name === undefined ? undefined : parseActor(`operator:${name}`);
  const note = `from Slack (user ${click.userId})`;
  if (mapped !== undefined) return { kind: 'allowed', actor: mapped, note };
  if (click.action === 'acknowledge' || !incident.security)
    return { kind: 'allowed', actor: click.actor };
  return {
    kind: 'refused',
    reason: `only the Slack users listed in SLACK_OPERATORS may ${click.action} a private (security) incident from Slack; anyone may acknowledge it, and operators can ${click.action} it through the API`,
  };
}
