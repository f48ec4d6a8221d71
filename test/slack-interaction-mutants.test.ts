/**
 * Slack clicks, in plain Node: parsing the click and deciding who may do what with it
 * (src/core/slack-interaction.ts). The workerd tests go through the HTTP route; these pin
 * the decisions StrykerJS mutated (docs/reliability.md, "Mutation testing"): who may resolve
 * or disclose a private incident, which users and names count, where answers may go.
 */
import { describe, expect, it } from 'vitest';
import {
  decideSlackAction,
  isSlackResponseUrl,
  parseSlackInteraction,
  parseSlackOperators,
  SLACK_ACTION_DISCLOSE,
} from '../src/core/slack-interaction';
import { SLACK_ACTION_ACKNOWLEDGE, SLACK_ACTION_RESOLVE } from '../src/core/slack-message';

const ID = '0123456789abcdef0123456789abcdef';

function click(
  overrides: {
    actionId?: string;
    value?: string;
    user?: Record<string, string>;
    responseUrl?: string;
    type?: string;
    actions?: unknown[];
  } = {},
): string {
  const payload = {
    type: overrides.type ?? 'block_actions',
    user: overrides.user ?? { id: 'U123ABC', username: 'alice' },
    ...(overrides.responseUrl !== undefined && { response_url: overrides.responseUrl }),
    actions: overrides.actions ?? [
      { action_id: overrides.actionId ?? SLACK_ACTION_ACKNOWLEDGE, value: overrides.value ?? ID },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

describe('parseSlackInteraction', () => {
  it.each([
    [SLACK_ACTION_ACKNOWLEDGE, 'acknowledge'],
    [SLACK_ACTION_RESOLVE, 'resolve'],
    [SLACK_ACTION_DISCLOSE, 'disclose'],
  ])('reads a click on %s as %s, by slack:<username>', (actionId, action) => {
    expect(parseSlackInteraction(click({ actionId }))).toEqual({
      ok: true,
      value: { action, incidentId: ID, actor: 'slack:alice', userId: 'U123ABC' },
    });
  });

  it('names the user by name when there is no username, and by id when neither fits', () => {
    const byName = parseSlackInteraction(click({ user: { id: 'U1X', name: 'bob' } }));
    expect(byName.ok && byName.value.actor).toBe('slack:bob');
    const forged = parseSlackInteraction(
      click({ user: { id: 'U1X', username: 'alice\noperator:root' } }),
    );
    expect(forged.ok && forged.value.actor).toBe('slack:U1X');
    const nameless = parseSlackInteraction(click({ user: { id: 'U1X' } }));
    expect(nameless.ok && nameless.value.actor).toBe('slack:U1X');
  });

  it.each([
    ['no payload field', 'foo=bar', 'the body has no payload field'],
    ['a payload that is not JSON', 'payload=%7Bnope', 'the payload is not JSON'],
    ['another interaction type', click({ type: 'view_submission' }), 'block_actions'],
    ['two clicks at once', click({ actions: [{ action_id: 'a' }, { action_id: 'b' }] }), 'single'],
    ['no click', click({ actions: [] }), 'single'],
    ['an unknown button', click({ actionId: 'incident_delete' }), 'unknown action'],
    ['an inherited property as button', click({ actionId: 'constructor' }), 'unknown action'],
    ['a button value that is no id', click({ value: `${ID}0` }), 'not an incident id'],
    ['a user id no actor can carry', click({ user: { id: 'U 1' } }), 'cannot be named'],
  ])('refuses %s as malformed', (_case, body, detail) => {
    const result = parseSlackInteraction(body);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.kind).toBe('malformed');
    expect(!result.ok && result.error.detail).toContain(detail);
  });

  it('keeps a response URL only on hooks.slack.com over https', () => {
    const kept = parseSlackInteraction(
      click({ responseUrl: 'https://hooks.slack.com/actions/T/1/x' }),
    );
    expect(kept.ok && kept.value.responseUrl).toBe('https://hooks.slack.com/actions/T/1/x');
    const dropped = parseSlackInteraction(click({ responseUrl: 'https://evil.test/x' }));
    expect(dropped.ok && 'responseUrl' in dropped.value).toBe(false);
  });
});

describe('isSlackResponseUrl', () => {
  it.each([
    ['https://hooks.slack.com/actions/x', true],
    ['http://hooks.slack.com/actions/x', false],
    ['https://hooks.slack.com:8443/actions/x', false],
    ['https://hooks.slack.com.evil.test/x', false],
    ['https://evil.test/hooks.slack.com', false],
    ['https://user@evil.test', false],
    ['not a url', false],
  ])('%s → %s', (url, expected) => {
    expect(isSlackResponseUrl(url)).toBe(expected);
  });
});

describe('parseSlackOperators', () => {
  it('reads id:name entries separated by commas or newlines, trimming spaces', () => {
    expect([...parseSlackOperators(' U123ABC:alice ,\nW99ZZ:bob.b\n')]).toEqual([
      ['U123ABC', 'alice'],
      ['W99ZZ', 'bob.b'],
    ]);
  });

  it('skips entries that would grant to something that is not a plain user id and name', () => {
    const operators = parseSlackOperators(
      [
        'u123abc:lower', // ids are upper case
        'X123ABC:other-prefix',
        'U1:too-short',
        'U123ABC:two:colons',
        'U123ABC:',
        ':nobody',
        'U123ABC:spa ce',
        `U123ABC:${'n'.repeat(101)}`,
        'U123ABC',
      ].join(','),
    );
    expect(operators.size).toBe(0);
    expect(parseSlackOperators(undefined).size).toBe(0);
  });
});

describe('decideSlackAction', () => {
  const operators = parseSlackOperators('U123ABC:alice');
  const by = (action: 'acknowledge' | 'resolve' | 'disclose', userId: string) => ({
    action,
    userId,
    actor: `slack:${userId.toLowerCase()}` as const,
  });

  it('lets anyone acknowledge a private incident, as themselves', () => {
    expect(decideSlackAction(by('acknowledge', 'U999'), { security: true }, operators)).toEqual({
      kind: 'allowed',
      actor: 'slack:u999',
    });
  });

  it.each(['resolve', 'disclose'] as const)(
    'refuses anyone not listed who clicks %s on a private incident',
    (action) => {
      const decision = decideSlackAction(by(action, 'U999'), { security: true }, operators);
      expect(decision.kind).toBe('refused');
      expect(decision.kind === 'refused' && decision.reason).toContain(`may ${action} a private`);
    },
  );

  it.each(['resolve', 'disclose'] as const)(
    'lets a listed user %s a private incident, as their operator name',
    (action) => {
      expect(decideSlackAction(by(action, 'U123ABC'), { security: true }, operators)).toEqual({
        kind: 'allowed',
        actor: 'operator:alice',
        note: 'from Slack (user U123ABC)',
      });
    },
  );

  it('lets anyone resolve an incident that is not private, as themselves', () => {
    expect(decideSlackAction(by('resolve', 'U999'), { security: false }, operators)).toEqual({
      kind: 'allowed',
      actor: 'slack:u999',
    });
  });

  it('does not take a user whose name merely equals a listed id', () => {
    const decision = decideSlackAction(
      { action: 'resolve', userId: 'U999', actor: 'slack:U123ABC' },
      { security: true },
      operators,
    );
    expect(decision.kind).toBe('refused');
  });
});
