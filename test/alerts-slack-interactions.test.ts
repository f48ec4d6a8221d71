import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createFinding } from '../src/core/findings';
import { incidentIdOf } from '../src/core/incident';
import { incidentStubFor } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { createApp } from '../src/http/app';
import { reportSweepFindings } from '../src/jobs/report-findings';
import { captureFetch } from './alert-fixtures';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const OLD_SECRET = 'a0f2cc31c7d54f40bd9e0f5d5a1e7c11';
const RESPONSE_URL = 'https://hooks.slack.com/actions/T000/1234/abcdEFGH';
/** jane.doe (U024BE7LH) is no operator; U0OPS1234 is, as "oscar". */
const OPERATORS = 'U0OPS1234:oscar, W0ADMIN99:wendy';
const testEnv = (secrets = SECRET, operators = OPERATORS): MonitorEnv => ({
  ...env,
  SLACK_SIGNING_SECRET: secrets,
  SLACK_OPERATORS: operators,
});
const OSCAR = { id: 'U0OPS1234', username: 'oscar.o' };

/** Slack's signing scheme, written here from Slack's documentation (no shared code). */
async function slackSignature(secret: string, timestamp: string, body: string): Promise<string> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = new Uint8Array(
    await crypto.subtle.sign('HMAC', key, new TextEncoder().encode(`v0:${timestamp}:${body}`)),
  );
  return `v0=${[...mac].map((b) => b.toString(16).padStart(2, '0')).join('')}`;
}

function clickBody(
  incidentId: string,
  actionId = 'incident_acknowledge',
  user: Record<string, string> = { id: 'U024BE7LH', username: 'jane.doe' },
): string {
  const payload = {
    type: 'block_actions',
    user: { ...user, team_id: 'T000' },
    api_app_id: 'A000',
    response_url: RESPONSE_URL,
    actions: [
      {
        type: 'button',
        action_id: actionId,
        block_id: 'incident_actions',
        value: incidentId,
        action_ts: '1',
      },
    ],
  };
  return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
}

async function signedRequest(
  body: string,
  options: { secret?: string; ageSeconds?: number; signature?: string } = {},
) {
  const timestamp = String(Math.floor(Date.now() / 1000) - (options.ageSeconds ?? 0));
  return new Request('https://monitor.test/slack/interactions', {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature':
        options.signature ?? (await slackSignature(options.secret ?? SECRET, timestamp, body)),
    },
    body,
  });
}

/** Sends through the app and waits for its waitUntil work, as the runtime would. */
async function send(request: Request, environment = testEnv()) {
  const context = createExecutionContext();
  const response = await createApp().fetch(request, environment, context);
  await waitOnExecutionContext(context);
  return response;
}

let counter = 0;
async function openIncident(
  kind: 'artifact-hash-mismatch' | 'artifact-missing' = 'artifact-hash-mismatch',
) {
  counter += 1;
  const finding = createFinding(
    {
      kind,
      subject: `https://dist.test/dist/v24.11.1/node-v24.11.1-${counter}.tar.gz`,
      summary: 'bytes differ',
    },
    new Date(),
  );
  await reportSweepFindings(env, {
    sweepId: `sweep-${counter}`,
    findings: [finding],
    now: new Date(),
  });
  const stub = incidentStubFor(env, finding.fingerprint);
  return { id: await incidentIdOf(finding.fingerprint), stub };
}

async function detailOf(stub: Awaited<ReturnType<typeof openIncident>>['stub']) {
  const detail = await stub.get();
  if (!detail.ok) throw new Error('incident missing');
  return detail.value;
}

describe('POST /slack/interactions', () => {
  it('acknowledges the incident for a validly signed click, as slack:<user>', async () => {
    const { requests } = captureFetch();
    const { id, stub } = await openIncident();
    const response = await send(await signedRequest(clickBody(id)));
    expect(response.status).toBe(200);
    const detail = await detailOf(stub);
    expect(detail.incident.state).toBe('acknowledged');
    expect(detail.incident.acknowledgedBy).toBe('slack:jane.doe');
    expect(
      detail.timeline.some(
        (entry) => entry.actor === 'slack:jane.doe' && entry.type === 'state-change',
      ),
    ).toBe(true);
    // The clicked message is replaced by the incident's new state: no Acknowledge button left
    // (Disclose stays while the incident is private).
    const reply = requests.find((r) => r.url === RESPONSE_URL);
    const body = JSON.parse(reply!.body) as {
      replace_original: boolean;
      blocks: { type: string; elements?: { action_id?: string }[] }[];
    };
    expect(body.replace_original).toBe(true);
    const actionIds = body.blocks
      .filter((b) => b.type === 'actions')
      .flatMap((b) => b.elements!.map((e) => e.action_id));
    expect(actionIds).toEqual(['incident_resolve', 'incident_disclose']);
  });

  it('resolves a private incident for a Resolve click by a user SLACK_OPERATORS names', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    const click = clickBody(id, 'incident_resolve', OSCAR);
    expect((await send(await signedRequest(click))).status).toBe(200);
    const detail = await detailOf(stub);
    expect(detail.incident).toMatchObject({ state: 'resolved', resolvedBy: 'operator:oscar' });
    expect(
      detail.timeline.some((entry) => entry.message.includes('from Slack (user U0OPS1234)')),
    ).toBe(true);
  });

  it('refuses a Resolve click on a private incident by anyone else, says why, and records it', async () => {
    const { requests } = captureFetch();
    const { id, stub } = await openIncident();
    expect((await send(await signedRequest(clickBody(id, 'incident_resolve')))).status).toBe(200);
    const detail = await detailOf(stub);
    expect(detail.incident.state).toBe('open');
    expect(detail.incident.resolvedAt).toBeUndefined();
    const refusal = detail.timeline.find((entry) => entry.type === 'refusal');
    expect(refusal).toMatchObject({ actor: 'slack:jane.doe', data: { operation: 'resolve' } });
    const reply = JSON.parse(requests.find((r) => r.url === RESPONSE_URL)!.body) as Record<
      string,
      unknown
    >;
    expect(reply).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(reply['text']).toContain('SLACK_OPERATORS');
  });

  it('decides by the Slack user id, never by a name a user can choose', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    const impostor = { id: 'U0IMPOST1', username: 'oscar' };
    await send(await signedRequest(clickBody(id, 'incident_resolve', impostor)));
    expect((await detailOf(stub)).incident.state).toBe('open');
  });

  it('refuses every resolve of a private incident when SLACK_OPERATORS is empty', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    await send(await signedRequest(clickBody(id, 'incident_resolve', OSCAR)), testEnv(SECRET, ''));
    expect((await detailOf(stub)).incident.state).toBe('open');
  });

  it('lets anyone resolve an incident that is not private', async () => {
    captureFetch();
    const { id, stub } = await openIncident('artifact-missing');
    await send(await signedRequest(clickBody(id, 'incident_resolve')));
    expect((await detailOf(stub)).incident).toMatchObject({
      state: 'resolved',
      resolvedBy: 'slack:jane.doe',
    });
  });

  it('discloses a private incident only for a user SLACK_OPERATORS names', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    await send(await signedRequest(clickBody(id, 'incident_disclose')));
    expect((await detailOf(stub)).incident.disclosed).toBe(false);
    await send(await signedRequest(clickBody(id, 'incident_disclose', OSCAR)));
    expect((await detailOf(stub)).incident.disclosed).toBe(true);
  });

  it('accepts either signing secret during a rotation', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    const response = await send(
      await signedRequest(clickBody(id), { secret: OLD_SECRET }),
      testEnv(`${SECRET} ${OLD_SECRET}`),
    );
    expect(response.status).toBe(200);
    expect((await detailOf(stub)).incident.state).toBe('acknowledged');
  });

  it('falls back to the Slack user id when the username cannot be an actor name', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    await send(
      await signedRequest(
        clickBody(id, 'incident_acknowledge', { id: 'U024BE7LH', username: 'jane <doe>' }),
      ),
    );
    expect((await detailOf(stub)).incident.acknowledgedBy).toBe('slack:U024BE7LH');
  });

  it('tells the user why when the incident refuses the action', async () => {
    const { requests } = captureFetch();
    const { id } = await openIncident();
    await send(await signedRequest(clickBody(id)));
    await send(await signedRequest(`${clickBody(id)}&again=1`));
    const replies = requests
      .filter((r) => r.url === RESPONSE_URL)
      .map((r) => JSON.parse(r.body) as Record<string, unknown>);
    expect(replies[1]).toMatchObject({
      response_type: 'ephemeral',
      replace_original: false,
      text: expect.stringMatching(/^Could not acknowledge: /),
    });
  });

  it.each([
    ['a bad signature', { signature: `v0=${'0'.repeat(64)}` }, 401],
    ['a signature made with another secret', { secret: 'not-the-secret-at-all-0000000000' }, 401],
    ['a timestamp older than five minutes', { ageSeconds: 301 }, 401],
    ['a timestamp more than five minutes ahead', { ageSeconds: -301 }, 401],
  ] as const)('refuses %s with %i and changes nothing', async (_name, options, status) => {
    const { requests } = captureFetch();
    const { id, stub } = await openIncident();
    const response = await send(await signedRequest(clickBody(id), options));
    expect(response.status).toBe(status);
    const detail = await detailOf(stub);
    expect(detail.incident.state).toBe('open');
    expect(detail.timeline.some((entry) => entry.actor.startsWith('slack:'))).toBe(false);
    expect(requests).toEqual([]);
  });

  it('refuses a replay of an accepted request with 401 and acts only once', async () => {
    captureFetch();
    const { id, stub } = await openIncident();
    const request = await signedRequest(clickBody(id, 'incident_acknowledge'));
    const replay = request.clone();
    expect((await send(request)).status).toBe(200);
    expect((await send(replay)).status).toBe(401);
    const slackLines = (await detailOf(stub)).timeline.filter(
      (entry) => entry.actor.startsWith('slack:') && entry.type === 'state-change',
    );
    expect(slackLines).toHaveLength(1);
  });

  it.each([
    ['no payload field', 'token=x'],
    ['a payload that is not JSON', 'payload=%7Bnot-json'],
    ['an unknown action', 'UNKNOWN_ACTION'],
    ['a value that is not an incident id', 'BAD_VALUE'],
  ])(
    'answers a validly signed request with %s 400 and changes nothing',
    async (_name, template) => {
      captureFetch();
      const { id, stub } = await openIncident();
      const body =
        template === 'UNKNOWN_ACTION'
          ? clickBody(id, 'incident_delete')
          : template === 'BAD_VALUE'
            ? clickBody('../../api/sweeps')
            : template;
      const response = await send(await signedRequest(body));
      expect(response.status).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect((await detailOf(stub)).incident.state).toBe('open');
    },
  );

  it('does not exist without SLACK_SIGNING_SECRET', async () => {
    const { id } = await openIncident();
    const response = await send(await signedRequest(clickBody(id)), {
      ...env,
      SLACK_SIGNING_SECRET: undefined,
    });
    expect(response.status).toBe(404);
  });
});
