/**
 * Reading a Slack button click (`block_actions` interaction payload, form-encoded as
 * `payload=<json>`) into the incident action it asks for.
 *
 * Contract: pure. Call only after the request's signature verified. Anything but one
 * click on our Acknowledge or Resolve button, carrying a well-formed incident id, is a
 * `malformed` result. The actor is `slack:<username>` (or `slack:<user id>` when the name
 * does not fit the actor alphabet), so a timeline line cannot be forged through a display
 * name. A `response_url` is kept only when it points at hooks.slack.com.
 */
import { z } from 'zod';
import { isIncidentId, parseActor, type Actor } from './incident';
import { err, ok, type Result } from './result';
import { SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_RESOLVE } from './slack-message';

export interface SlackIncidentAction {
  readonly action: 'acknowledge' | 'resolve';
  readonly incidentId: string;
  readonly actor: Actor;
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

const ACTIONS: Record<string, SlackIncidentAction['action']> = {
  [SLACK_ACTION_ACKNOWLEDGE]: 'acknowledge',
  [SLACK_ACTION_RESOLVE]: 'resolve',
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
  const action = click === undefined ? undefined : ACTIONS[click.action_id];
  if (click === undefined || action === undefined) return malformed('unknown action');
  if (!isIncidentId(click.value)) return malformed('the button value is not an incident id');
  const actor =
    parseActor(`slack:${user.username ?? user.name ?? ''}`) ?? parseActor(`slack:${user.id}`);
  if (actor === undefined) return malformed('the Slack user cannot be named');
  return ok({
    action,
    incidentId: click.value,
    actor,
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
