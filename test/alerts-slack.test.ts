import type {
  ActionsBlock,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  SectionBlock,
} from '@slack/types';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createAlertChannels } from '../src/adapters/alert-channels';
import type { AlertEvent } from '../src/core/alerts';
import { escapeSlackText, renderSlackMessage } from '../src/core/slack-message';
import { alertMessage, captureFetch, SHA_A, SHA_B } from './alert-fixtures';

/** The Block Kit blocks we use, with Slack's documented limits. */
const PlainText = z.object({
  type: z.literal('plain_text'),
  text: z.string().min(1),
  emoji: z.boolean().optional(),
});
const Mrkdwn = z.object({ type: z.literal('mrkdwn'), text: z.string().min(1).max(3000) });
const Button = z
  .object({
    type: z.literal('button'),
    text: PlainText.extend({ text: z.string().min(1).max(75) }),
    action_id: z.enum(['incident_acknowledge', 'incident_resolve', 'incident_disclose']),
    value: z.string().min(1).max(2000),
    style: z.enum(['primary', 'danger']).optional(),
    confirm: z
      .object({ title: PlainText, text: PlainText, confirm: PlainText, deny: PlainText })
      .strict()
      .optional(),
  })
  .strict();
const Block = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('header'),
      text: PlainText.extend({ text: z.string().min(1).max(150) }),
    })
    .strict(),
  z
    .object({
      type: z.literal('section'),
      text: Mrkdwn.optional(),
      fields: z
        .array(Mrkdwn.extend({ text: z.string().min(1).max(2000) }))
        .min(1)
        .max(10)
        .optional(),
    })
    .strict()
    .refine((block) => block.text !== undefined || block.fields !== undefined),
  z.object({ type: z.literal('context'), elements: z.array(Mrkdwn).min(1).max(10) }).strict(),
  z
    .object({
      type: z.literal('actions'),
      block_id: z.string().max(255),
      elements: z.array(Button).min(1).max(25),
    })
    .strict(),
]);
const WebhookBody = z
  .object({ text: z.string().min(1), blocks: z.array(Block).min(1).max(50) })
  .strict();

/**
 * The real payload type-checks against Slack's own Block Kit types (@slack/types): if a
 * block we render stops being assignable, `npm run typecheck` fails here.
 */
function asSlackBlocks(message: ReturnType<typeof renderSlackMessage>): KnownBlock[] {
  const blocks: (HeaderBlock | SectionBlock | ContextBlock | ActionsBlock)[] = message.blocks;
  return blocks;
}

/** Every string in the payload (texts, values, labels). */
function stringsOf(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.flatMap(stringsOf);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(stringsOf);
  return [];
}

/** The section text's lines: title, summary, [detail], links. */
function sectionLines(message: ReturnType<typeof renderSlackMessage>): string[] {
  const section = message.blocks[1];
  if (section?.type !== 'section' || section.text === undefined) throw new Error('no section');
  return section.text.text.split('\n');
}

const WEBHOOK = 'https://hooks.slack.com/services/T000/B000/s3cr3tW3bh00kT0ken';
const ctx = { idempotencyKey: '0123456789abcdef0123456789abcdef:1', attempt: 1 };

function slackChannel() {
  const [channel] = createAlertChannels(
    { SLACK_WEBHOOK_URL: WEBHOOK },
    { transport: { timeoutMs: 100 } },
  );
  if (channel === undefined) throw new Error('no slack channel');
  return channel;
}

describe('Slack alert message', () => {
  it('posts a Block Kit body to the incoming webhook that matches the block schema', async () => {
    const { requests } = captureFetch();
    expect((await slackChannel().deliver(alertMessage(), ctx)).kind).toBe('delivered');
    expect(requests[0]?.url).toBe(WEBHOOK);
    expect(requests[0]?.headers.get('content-type')).toMatch(/^application\/json/);
    const body = WebhookBody.parse(JSON.parse(requests[0]!.body));
    expect(body.blocks.map((b) => b.type)).toEqual([
      'header',
      'section',
      'section',
      'context',
      'actions',
    ]);
  });

  it('heads the message with severity and kind, and lists the facts as fields', () => {
    const { blocks, text } = renderSlackMessage(alertMessage());
    const [header, summary, facts, context] = blocks;
    expect(header).toMatchObject({
      type: 'header',
      text: { text: '[P0] artifact-hash-mismatch: Opened' },
    });
    const fieldText = facts?.type === 'section' ? (facts.fields ?? []).map((f) => f.text) : [];
    expect(fieldText).toEqual([
      '*Severity*\nP0',
      '*State*\nopen',
      '*URL*\nhttps://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz',
      '*Release*\nv24.11.1',
      `*Expected SHA-256*\n${SHA_A}`,
      `*Observed SHA-256*\n${SHA_B}`,
      '*First seen*\n2040-01-01T00:00:00.000Z',
      '*Last seen*\n2040-01-01T00:05:00.000Z (2×)',
    ]);
    expect(summary?.type === 'section' && summary.text?.text).toContain(
      '<https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks/supply-chain-compromise.md|Runbook> · <https://monitor.test/api/incidents/0123456789abcdef0123456789abcdef|Incident>',
    );
    expect(context).toMatchObject({
      type: 'context',
      elements: [{ text: expect.stringContaining('0123456789abcdef0123456789abcdef') }],
    });
    expect(text).toContain('[P0]');
  });

  it.each([
    ['open', ['incident_acknowledge', 'incident_resolve']],
    ['acknowledged', ['incident_resolve']],
    ['contained', ['incident_resolve']],
    ['resolved', []],
  ] as const)('offers the buttons a disclosed %s incident can take', (state, actionIds) => {
    const { blocks } = renderSlackMessage(alertMessage({ state, disclosed: true }));
    const actions = blocks.find((b) => b.type === 'actions');
    const ids = actions?.type === 'actions' ? actions.elements.map((e) => e.action_id) : [];
    expect(ids).toEqual(actionIds);
    if (actions?.type === 'actions') {
      for (const button of actions.elements) expect(button.value).toBe(alertMessage().incidentId);
    }
  });

  it.each(['open', 'acknowledged', 'contained', 'resolved'] as const)(
    'offers Disclose, with a confirmation, on a private %s incident',
    (state) => {
      const { blocks } = renderSlackMessage(alertMessage({ state }));
      const actions = blocks.find((b) => b.type === 'actions');
      const disclose =
        actions?.type === 'actions'
          ? actions.elements.find((e) => e.action_id === 'incident_disclose')
          : undefined;
      expect(disclose?.value).toBe(alertMessage().incidentId);
      expect(disclose?.confirm?.text.text).toMatch(/public/);
    },
  );

  it('offers no Disclose on an incident that is not a security one, or already public', () => {
    for (const overrides of [{ security: false }, { disclosed: true }]) {
      const ids = renderSlackMessage(alertMessage(overrides))
        .blocks.flatMap((b) => (b.type === 'actions' ? b.elements : []))
        .map((e) => e.action_id);
      expect(ids).not.toContain('incident_disclose');
    }
  });

  it('lists a grouped incident’s subjects, the first five and how many more', () => {
    const subjects = Array.from(
      { length: 56 },
      (_, i) => `https://dist.test/dist/v24.11.1/file-${String(i).padStart(2, '0')}.tar.gz`,
    );
    const { blocks } = renderSlackMessage(
      alertMessage({ subjects: subjects.slice(0, 20), subjectCount: 56, cause: 'origin' }),
    );
    const facts = blocks[2];
    const fieldText = facts?.type === 'section' ? (facts.fields ?? []).map((f) => f.text) : [];
    const listed = fieldText.find((text) => text.startsWith('*Subjects (56)*'));
    expect(listed).toContain('file-00.tar.gz');
    expect(listed).toContain('file-04.tar.gz');
    expect(listed).not.toContain('file-05.tar.gz');
    expect(listed).toMatch(/and 51 more$/);
    // A single subject is the URL field already: no list.
    const single = renderSlackMessage(alertMessage({ subjects: [subjects[0]!], subjectCount: 1 }));
    expect(JSON.stringify(single.blocks)).not.toContain('Subjects');
  });

  it.each([
    'opened',
    'reopened',
    'escalated',
    'severity-changed',
    'acknowledged',
    'contained',
    'resolved',
    'delivery-failed',
  ] as AlertEvent[])('renders a valid body for the %s event', (event) => {
    WebhookBody.parse(
      renderSlackMessage(alertMessage({ event, escalationLevel: 2, detail: 'why it happened' })),
    );
  });

  it('escapes a hostile file name so it cannot mention, link or break lines', () => {
    const hostile =
      'https://dist.test/dist/v1/<!channel>&<https://evil.test|click me>\n*pwned*.tar.gz';
    const body = renderSlackMessage(
      alertMessage({ subject: hostile, summary: `bad file ${hostile}`, release: '<@U123>' }),
    );
    const json = JSON.stringify(body);
    expect(json).not.toContain('<!channel>');
    expect(json).not.toContain('<https://evil.test');
    expect(json).not.toContain('<@U123>');
    expect(json).toContain(
      '&lt;!channel&gt;&amp;&lt;https://evil.test|click me&gt; *pwned*.tar.gz',
    );
    WebhookBody.parse(body);
  });

  it('keeps every block within Block Kit limits for enormous values', () => {
    const huge = 'x'.repeat(20_000);
    const body = renderSlackMessage(
      alertMessage({
        subject: huge,
        summary: huge,
        expected: huge,
        observed: huge,
        detail: huge,
        title: huge,
      }),
    );
    WebhookBody.parse(body);
  });

  it('escapes &, < and > and flattens line breaks', () => {
    expect(escapeSlackText('a & b <c>\r\nd\u2028e')).toBe('a &amp; b &lt;c&gt; d e');
  });

  it('type-checks against @slack/types for every event', () => {
    for (const event of ['opened', 'acknowledged', 'resolved', 'escalated'] as AlertEvent[]) {
      const blocks = asSlackBlocks(renderSlackMessage(alertMessage({ event })));
      expect(blocks.map((block) => block.type)[0]).toBe('header');
    }
  });

  it('cuts before escaping: no entity is cut in half and the links line is kept', () => {
    const message = renderSlackMessage(
      alertMessage({
        summary: '<'.repeat(5000),
        detail: '&'.repeat(5000),
        title: '>'.repeat(500),
      }),
    );
    WebhookBody.parse(message);
    const lines = sectionLines(message);
    expect(lines.at(-1)).toBe(
      `<${alertMessage().runbookUrl}|Runbook> · <${alertMessage().incidentUrl}|Incident>`,
    );
    for (const text of stringsOf(message)) {
      // Every & starts a whole entity: nothing like `&l…` or a dangling `&`.
      expect(text.replace(/&(amp|lt|gt);/g, '')).not.toContain('&');
    }
    expect(lines[1]).toMatch(/^(&lt;)+…$/);
  });

  it('cuts by code point: emoji-heavy text never leaves a lone surrogate', () => {
    const emoji = '😀'.repeat(3000);
    const message = renderSlackMessage(
      alertMessage({ summary: emoji, detail: emoji, subject: emoji, title: emoji }),
    );
    WebhookBody.parse(message);
    for (const text of stringsOf(message)) expect(text.isWellFormed()).toBe(true);
    expect(sectionLines(message).at(-1)).toContain('|Runbook>');
  });

  it('drops control characters, noncharacters and bidi overrides from site text', () => {
    const message = renderSlackMessage(
      alertMessage({ subject: 'https://dist.test/a\u0001\u202e\uFFFE\uD800.tar.gz' }),
    );
    for (const text of stringsOf(message)) {
      expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u202e\uFFFE]/);
      expect(text.isWellFormed()).toBe(true);
    }
  });

  it('retries a 429 no sooner than Slack’s Retry-After', async () => {
    captureFetch([new Response('rate_limited', { status: 429, headers: { 'retry-after': '30' } })]);
    expect(await slackChannel().deliver(alertMessage(), ctx)).toMatchObject({
      kind: 'retry',
      retryAfterMs: 30_000,
    });
  });

  it.each([
    [404, 'no_service', 'disabled'],
    [410, 'channel_is_archived', 'disabled'],
    [400, 'invalid_blocks', 'failed'],
    [500, 'oops', 'retry'],
  ] as const)('treats HTTP %i %s as %s, quoting Slack’s error', async (status, error, kind) => {
    captureFetch([new Response(error, { status })]);
    expect(await slackChannel().deliver(alertMessage(), ctx)).toEqual({
      kind,
      detail: `HTTP ${status}: ${error}`,
    });
  });

  it('never puts the webhook URL’s secret path into a delivery detail', async () => {
    captureFetch([
      new Response(`invalid_token for ${WEBHOOK}`, { status: 403 }),
      () => {
        throw new TypeError(`connect failed: ${WEBHOOK}`);
      },
    ]);
    const channel = slackChannel();
    const outcomes = [
      await channel.deliver(alertMessage(), ctx),
      await channel.deliver(alertMessage(), ctx),
    ];
    expect(outcomes.map((o) => o.kind)).toEqual(['failed', 'retry']);
    expect(JSON.stringify(outcomes)).not.toContain('s3cr3tW3bh00kT0ken');
    expect(JSON.stringify(outcomes)).not.toContain('/services/T000');
  });

  it('is off without SLACK_WEBHOOK_URL, or with a URL that is not https', () => {
    expect(createAlertChannels({})).toEqual([]);
    expect(createAlertChannels({ SLACK_WEBHOOK_URL: 'http://hooks.slack.com/services/x' })).toEqual(
      [],
    );
  });
});
