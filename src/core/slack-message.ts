/**
 * The Slack message of an alert: Block Kit blocks for an incoming webhook, with
 * Acknowledge and Resolve buttons, plus the fallback `text` notifications show.
 *
 * Contract: pure. Every value that can come from the watched site (URLs, file names,
 * summaries, hashes) goes through the one sanitiser (untrusted-text.ts): control
 * characters, noncharacters, lone surrogates and bidi overrides removed, flattened to one
 * line, cut by code point *before* `&`, `<` and `>` are escaped (so an entity is never cut
 * in half and a hostile name cannot link, mention `<!channel>` or break lines). Block Kit
 * limits hold for any input, counted in UTF-16 units (never fewer than Slack's characters):
 * header ≤ 150, section text ≤ 3,000 with the runbook and incident links line always kept,
 * ≤ 10 fields of ≤ 2,000, button values ≤ 2,000. The shapes are checked against
 * `@slack/types` in the tests. Buttons carry the incident id as `value` with action ids
 * `incident_acknowledge`, `incident_resolve` and `incident_disclose`;
 * `POST /slack/interactions` receives the clicks and decides who may do what
 * (slack-interaction.ts). A grouped incident's subjects are listed in a field.
 */
import type { AlertEvent, AlertMessage } from './alerts';
import { cleanUntrustedText, ELLIPSIS, escapeMrkdwn } from './untrusted-text';

export const SLACK_ACTION_ACKNOWLEDGE = 'incident_acknowledge';
export const SLACK_ACTION_RESOLVE = 'incident_resolve';
/** Offered on private (security, undisclosed) incidents; only SLACK_OPERATORS may use it. */
export const SLACK_ACTION_DISCLOSE = 'incident_disclose';
export type SlackActionId =
  typeof SLACK_ACTION_ACKNOWLEDGE | typeof SLACK_ACTION_RESOLVE | typeof SLACK_ACTION_DISCLOSE;

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

const MRKDWN_ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/**
 * Cleans, flattens and escapes for mrkdwn, cut so that the *escaped* text is at most
 * `max` UTF-16 units: the cut is chosen on the clean text, by code point, before escaping.
 */
export function escapeSlackText(value: string, max = 500): string {
  const clean = cleanUntrustedText(value, { singleLine: true });
  const escaped = escapeMrkdwn(clean);
  if (escaped.length <= max) return escaped;
  let out = '';
  for (const char of clean) {
    const piece = MRKDWN_ESCAPES[char] ?? char;
    if (out.length + piece.length + ELLIPSIS.length > max) break;
    out += piece;
  }
  return `${out}${ELLIPSIS}`;
}

/** Plain text (header, fallback): cleaned, one line, at most `max` UTF-16 units. */
function plainText(value: string, max: number): string {
  const clean = cleanUntrustedText(value, { singleLine: true });
  if (clean.length <= max) return clean;
  let out = '';
  for (const char of clean) {
    if (out.length + char.length + ELLIPSIS.length > max) break;
    out += char;
  }
  return `${out}${ELLIPSIS}`;
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

const SHA256_PATTERN = /^[0-9a-f]{64}$/i;

export function renderSlackMessage(message: AlertMessage): SlackMessage {
  const event = EVENT_LABELS[message.event];
  const headline = `[${message.severity}] ${message.kind}: ${event}${
    message.event === 'escalated' && message.escalationLevel !== undefined
      ? ` (level ${message.escalationLevel})`
      : ''
  }`;
  // The links line is written first and always kept; summary and detail share what is left.
  const title = `*${escapeSlackText(message.title, 200)}*`;
  const links = `${slackLink(message.runbookUrl, 'Runbook')} · ${slackLink(message.incidentUrl, 'Incident')}`;
  let room = SLACK_LIMITS.sectionText - title.length - links.length - 3;
  const summary = escapeSlackText(message.summary, Math.max(1, Math.min(1000, room)));
  room -= summary.length + 1;
  const detail =
    message.detail !== undefined && room > 10
      ? `_${escapeSlackText(message.detail, Math.min(1000, room - 2))}_`
      : undefined;
  const lines = [title, summary, ...(detail !== undefined ? [detail] : []), links];
  const hashLabel = (name: string, value: string) =>
    SHA256_PATTERN.test(value) ? `${name} SHA-256` : name;
  const fields = [
    field('Severity', message.severity),
    field('State', message.state),
    field('URL', message.subject),
    ...subjectsField(message),
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
      text: {
        type: 'plain_text',
        text: plainText(headline, SLACK_LIMITS.headerText),
        emoji: false,
      },
    },
    {
      type: 'section',
      text: { type: 'mrkdwn', text: lines.join('\n') },
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
    text: `[${message.severity}] ${escapeSlackText(message.title, 200)} (${event}): ${escapeSlackText(message.summary, 500)}`,
    blocks,
  };
}

/** How many subjects a grouped incident's field names before "and N more". */
const LISTED_SLACK_SUBJECTS = 5;

/** A grouped incident lists its subjects (the first few, then how many more). */
function subjectsField(message: AlertMessage): SlackMrkdwn[] {
  const subjects = message.subjects ?? [];
  const count = Math.max(message.subjectCount ?? subjects.length, subjects.length);
  if (count < 2) return [];
  const named = subjects.slice(0, LISTED_SLACK_SUBJECTS);
  const more = count - named.length;
  return [
    field(`Subjects (${count})`, `${named.join(', ')}${more > 0 ? ` and ${more} more` : ''}`),
  ];
}

/**
 * Acknowledge while open; Resolve until resolved; Disclose while a security incident is
 * private, whatever its state (disclosure often follows the fix).
 */
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
  if (message.security && !message.disclosed) {
    buttons.push({
      type: 'button',
      text: { type: 'plain_text', text: 'Disclose' },
      action_id: SLACK_ACTION_DISCLOSE,
      value,
      confirm: {
        title: { type: 'plain_text', text: 'Disclose this incident?' },
        text: {
          type: 'plain_text',
          text: 'Its details become public on the status page and the feed. This cannot be undone.',
        },
        confirm: { type: 'plain_text', text: 'Disclose' },
        deny: { type: 'plain_text', text: 'Cancel' },
      },
    });
  }
  return buttons;
}
