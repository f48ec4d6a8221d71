/**
 * The Slack message of an alert: Block Kit blocks for an incoming webhook, with
 * Acknowledge and Resolve buttons, plus the fallback `text` notifications show.
 *
 * Contract: pure. Every value that can come from the watched site (URLs, file names,
 * summaries, hashes) is escaped for mrkdwn (`&`, `<`, `>`) and flattened to one line, so a
 * hostile file name cannot inject links, markup or `<!channel>` mentions. Block Kit limits
 * hold for any input: header ≤ 150 characters, ≤ 10 fields of ≤ 2,000, button values ≤
 * 2,000. Buttons carry the incident id as `value` with action ids `incident_acknowledge`
 * and `incident_resolve`; `POST /slack/interactions` receives the clicks.
 */
import type { AlertEvent, AlertMessage } from './alerts';

export const SLACK_ACTION_ACKNOWLEDGE = 'incident_acknowledge';
export const SLACK_ACTION_RESOLVE = 'incident_resolve';
export type SlackActionId = typeof SLACK_ACTION_ACKNOWLEDGE | typeof SLACK_ACTION_RESOLVE;

/** Block Kit limits we render within. */
export const SLACK_LIMITS = {
  headerText: 150,
  sectionText: 3000,
  fieldText: 2000,
  fields: 10,
  buttonText: 75,
  buttonValue: 2000,
  contextElements: 10,
} as const;

export interface SlackPlainText {
  readonly type: 'plain_text';
  readonly text: string;
  readonly emoji?: boolean;
}

export interface SlackMrkdwn {
  readonly type: 'mrkdwn';
  readonly text: string;
}

export interface SlackButton {
  readonly type: 'button';
  readonly text: SlackPlainText;
  readonly action_id: SlackActionId;
  readonly value: string;
  readonly style?: 'primary' | 'danger';
  readonly confirm?: {
    readonly title: SlackPlainText;
    readonly text: SlackPlainText;
    readonly confirm: SlackPlainText;
    readonly deny: SlackPlainText;
  };
}

export type SlackBlock =
  | { readonly type: 'header'; readonly text: SlackPlainText }
  | { readonly type: 'section'; readonly text?: SlackMrkdwn; readonly fields?: SlackMrkdwn[] }
  | { readonly type: 'context'; readonly elements: SlackMrkdwn[] }
  | { readonly type: 'actions'; readonly block_id: string; readonly elements: SlackButton[] };

/** The body posted to an incoming webhook (or to a `response_url`). */
export interface SlackMessage {
  /** Fallback for notifications and clients that cannot show blocks. */
  readonly text: string;
  readonly blocks: SlackBlock[];
}

const EVENT_LABELS: Record<AlertEvent, string> = {
  opened: 'Opened',
  reopened: 'Reopened',
  escalated: 'Escalated',
  'severity-changed': 'Severity changed',
  acknowledged: 'Acknowledged',
  contained: 'Contained',
  resolved: 'Resolved',
  'delivery-failed': 'Alert delivery failed',
  'alerts-held': 'Alert cap reached',
};

/**
 * Escapes mrkdwn control characters and flattens line breaks, then cuts to `max`
 * characters (before escaping, so an entity is never cut in half).
 */
export function escapeSlackText(value: string, max = 500): string {
  const flat = value.replace(/[\r\n\u2028\u2029\u0085\v\f]+/g, ' ');
  const cut = flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
  return cut.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `<url|label>` for an absolute http(s) URL; the escaped label alone otherwise. */
function slackLink(url: string, label: string): string {
  if (!/^https?:\/\/[^\s]+$/.test(url)) return escapeSlackText(label);
  const safeUrl = escapeSlackText(url, 1000).replace(/\|/g, '%7C');
  return `<${safeUrl}|${escapeSlackText(label)}>`;
}

function field(label: string, value: string): SlackMrkdwn {
  return { type: 'mrkdwn', text: `*${label}*\n${escapeSlackText(value, 300)}` };
}

function cut(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

const SHA256_PATTERN = /^[0-9a-f]{64}$/i;

export function renderSlackMessage(message: AlertMessage): SlackMessage {
  const event = EVENT_LABELS[message.event];
  const headline = `[${message.severity}] ${message.kind}: ${event}${
    message.event === 'escalated' && message.escalationLevel !== undefined
      ? ` (level ${message.escalationLevel})`
      : ''
  }`;
  const lines = [
    `*${escapeSlackText(message.title, 200)}*`,
    escapeSlackText(message.summary, 1000),
    ...(message.detail !== undefined ? [`_${escapeSlackText(message.detail, 1000)}_`] : []),
    `${slackLink(message.runbookUrl, 'Runbook')} · ${slackLink(message.incidentUrl, 'Incident')}`,
  ];
  const hashLabel = (name: string, value: string) =>
    SHA256_PATTERN.test(value) ? `${name} SHA-256` : name;
  const fields = [
    field('Severity', message.severity),
    field('State', message.state),
    field('URL', message.subject),
    ...(message.release !== undefined ? [field('Release', message.release)] : []),
    ...(message.regions !== undefined && message.regions.length > 0
      ? [field('Regions', message.regions.join(', '))]
      : []),
    ...(message.expected !== undefined
      ? [field(hashLabel('Expected', message.expected), message.expected)]
      : []),
    ...(message.observed !== undefined
      ? [field(hashLabel('Observed', message.observed), message.observed)]
      : []),
    field('First seen', message.firstSeen),
    field('Last seen', `${message.lastSeen} (${message.count}×)`),
  ].slice(0, SLACK_LIMITS.fields);

  const blocks: SlackBlock[] = [
    {
      type: 'header',
      text: { type: 'plain_text', text: cut(headline, SLACK_LIMITS.headerText), emoji: false },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: cut(lines.join('\n'), SLACK_LIMITS.sectionText) },
    },
    { type: 'section', fields },
    {
      type: 'context',
      elements: [
        {
          type: 'mrkdwn',
          text: `Incident ${escapeSlackText(message.incidentId, 64)} · ${escapeSlackText(message.event, 40)}${
            message.security && !message.disclosed ? ' · private until disclosed' : ''
          }`,
        },
      ],
    },
  ];
  const buttons = buttonsFor(message);
  if (buttons.length > 0) {
    blocks.push({ type: 'actions', block_id: `incident_actions`, elements: buttons });
  }
  return {
    text: cut(
      `[${message.severity}] ${escapeSlackText(message.title, 200)} (${event}): ${escapeSlackText(message.summary, 500)}`,
      SLACK_LIMITS.sectionText,
    ),
    blocks,
  };
}

/** Acknowledge while open; Resolve until resolved; none once resolved. */
function buttonsFor(message: AlertMessage): SlackButton[] {
  const buttons: SlackButton[] = [];
  const value = message.incidentId.slice(0, SLACK_LIMITS.buttonValue);
  if (message.state === 'open') {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Acknowledge' },
      action_id: SLACK_ACTION_ACKNOWLEDGE,
      value,
      style: 'primary',
    });
  }
  if (message.state !== 'resolved') {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Resolve' },
      action_id: SLACK_ACTION_RESOLVE,
      value,
      style: 'danger',
      confirm: {
        title: { type: 'plain_text', text: 'Resolve this incident?' },
        text: {
          type: 'plain_text',
          text: 'Resolve only when the cause is fixed and verified. A new sighting reopens it.',
        },
        confirm: { type: 'plain_text', text: 'Resolve' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
  }
  return buttons;
}
