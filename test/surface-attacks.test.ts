/**
 * Attacks on the monitor's own HTTP surface: operator calls without a valid token, token
 * timing, forged Slack requests, oversized and malformed bodies, junk incident ids, hostile
 * values that reach alerts, and the disclosure rule on every unauthenticated route. Each
 * attack gets a 4xx problem (never a 500), changes nothing, and leaks nothing.
 *
 * Cases already proven elsewhere (one route's bad Authorization headers, Slack signatures,
 * a 16 KiB cap, the disclosure rule on five public routes) are not repeated here;
 * docs/reliability.md lists them.
 */
import {
  createExecutionContext,
  createMessageBatch,
  env,
  SELF,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createAlertChannels } from '../src/adapters/alert-channels';
import { createFinding } from '../src/core/findings';
import type { HashJob } from '../src/core/hash-jobs';
import { incidentIdOf, type IncidentDetail } from '../src/core/incident';
import { incidentIndexStub, incidentStubFor } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { createApp } from '../src/http/app';
import { authenticateOperator, parseOperatorTokens } from '../src/http/operator-auth';
import { handleHashBatch } from '../src/jobs/hash-consumer';
import { reportSweepFindings } from '../src/jobs/report-findings';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite } from '../tools/dist-site/site';
import {
  ALICE_TOKEN,
  BOB_TOKEN,
  call,
  json,
  openMissingFileIncident,
  testEnv,
} from './http-helpers';
import {
  installIncidentDependencies,
  resetIncidentDependencies,
  runAlarms,
  TestClock,
} from './incident-helpers';

afterEach(() => {
  vi.restoreAllMocks();
  resetIncidentDependencies();
});

const PROBLEM_JSON = 'application/problem+json; charset=utf-8';
const UNAUTHORIZED_BODY = {
  type: 'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/api.md#problem-unauthorized',
  title: 'Unauthorized',
  status: 401,
  detail: 'A valid operator bearer token is required.',
};
const MIB = 1024 * 1024;

/** Everything an operator can change, with a body that would be accepted. */
const MUTATIONS: readonly { route: string; body?: unknown }[] = [
  { route: 'acknowledge' },
  { route: 'contain', body: { note: 'contained by a stranger' } },
  { route: 'resolve', body: { note: 'resolved by a stranger' } },
  { route: 'notes', body: { text: 'a note by a stranger' } },
  { route: 'disclose' },
  { route: 'severity', body: { severity: 'P3', reason: 'downgraded by a stranger' } },
];

async function operatorView(id: string): Promise<IncidentDetail> {
  return json<IncidentDetail>(await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }));
}

/** What an attack must leave exactly as it was. */
async function snapshot(id: string) {
  const detail = await operatorView(id);
  return { incident: detail.incident, timeline: detail.timeline.length };
}

async function expectProblem(response: Response, statuses: readonly number[]): Promise<void> {
  expect(statuses).toContain(response.status);
  expect(response.headers.get('content-type')).toBe(PROBLEM_JSON);
  const body = await json(response);
  expect(body.status).toBe(response.status);
}

// ---------------------------------------------------------------------------------------

describe('operator routes without a valid token', () => {
  const CREDENTIALS: readonly [string, Record<string, string>][] = [
    ['no token', {}],
    ['a wrong token', { authorization: 'Bearer not-a-configured-token' }],
    [
      'the right token but its last character',
      { authorization: `Bearer ${ALICE_TOKEN.slice(0, -1)}0` },
    ],
    ['a token sent as a query string', {}],
  ];

  it.each(MUTATIONS)(
    'POST /api/incidents/:id/$route answers every stranger the one 401 and changes nothing',
    async ({ route, body }) => {
      const id = await openMissingFileIncident();
      const before = await snapshot(id);
      const unknown = 'c'.repeat(32);
      for (const [name, headers] of CREDENTIALS) {
        const query = name.includes('query') ? `?token=${ALICE_TOKEN}` : '';
        for (const target of [id, unknown]) {
          const response = await call(`/api/incidents/${target}/${route}${query}`, {
            method: 'POST',
            headers,
            ...(body !== undefined && { body }),
          });
          expect(response.status, `${name} on ${target}`).toBe(401);
          expect(response.headers.get('www-authenticate')).toBe(
            'Bearer realm="dist-integrity-monitor"',
          );
          expect(await json(response)).toEqual(UNAUTHORIZED_BODY);
        }
      }
      expect(await snapshot(id)).toEqual(before);
    },
  );

  it('POST /api/sweeps answers every stranger the one 401 and starts nothing', async () => {
    const runSweepSpy = vi.fn();
    for (const [, headers] of CREDENTIALS) {
      const response = await call('/api/sweeps', {
        method: 'POST',
        headers,
        deps: { runSweep: runSweepSpy },
      });
      expect(response.status).toBe(401);
      expect(await json(response)).toEqual(UNAUTHORIZED_BODY);
    }
    expect(runSweepSpy).not.toHaveBeenCalled();
  });

  it('GET /api/incidents/:id/postmortem.md answers a stranger the one 401, known id or not', async () => {
    const id = await openMissingFileIncident();
    for (const target of [id, 'd'.repeat(32)]) {
      const response = await call(`/api/incidents/${target}/postmortem.md`);
      expect(response.status).toBe(401);
      expect(await json(response)).toEqual(UNAUTHORIZED_BODY);
    }
  });
});

describe('token comparison', () => {
  /** Three configured tokens; the presented ones differ from Alice's at either end. */
  const configured = parseOperatorTokens(
    `alice:${ALICE_TOKEN},bob:${BOB_TOKEN},carol:carol-5d1e3b7a9f2c4e6a8b0d1f3e5c7a9b2d`,
  );
  const flip = (text: string, index: number) =>
    text.slice(0, index) + (text[index] === 'x' ? 'y' : 'x') + text.slice(index + 1);

  it.each([
    ['differs in the first byte', flip(ALICE_TOKEN, 0), undefined],
    ['differs in the last byte', flip(ALICE_TOKEN, ALICE_TOKEN.length - 1), undefined],
    ['is one byte short', ALICE_TOKEN.slice(0, -1), undefined],
    ['is 512 bytes long', 'x'.repeat(512), undefined],
    ['is the first configured token', ALICE_TOKEN, 'alice'],
    ['is the last configured token', 'carol-5d1e3b7a9f2c4e6a8b0d1f3e5c7a9b2d', 'carol'],
  ])(
    'a token that %s takes the same path: one digest each, every configured token compared',
    async (_case, presented, who) => {
      const digest = vi.spyOn(crypto.subtle, 'digest');
      const compare = vi.spyOn(crypto.subtle, 'timingSafeEqual');
      const operator = await authenticateOperator(presented, configured);
      expect(operator?.name).toBe(who);
      expect(digest).toHaveBeenCalledTimes(1 + configured.length);
      expect(compare).toHaveBeenCalledTimes(configured.length);
      // Digests, not the tokens: every comparison is 32 bytes against 32 bytes.
      for (const [a, b] of compare.mock.calls) {
        expect([(a as ArrayBuffer).byteLength, (b as ArrayBuffer).byteLength]).toEqual([32, 32]);
      }
    },
  );
});

describe('forged Slack requests', () => {
  const SECRET = '3f9a1c7e5b2d4f6a8c0e1b3d5f7a9c2e';
  const slackEnv = { ...testEnv, SLACK_SIGNING_SECRET: SECRET } as MonitorEnv;

  async function sign(timestamp: string, body: string, secret = SECRET): Promise<string> {
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
    return `v0=${[...mac].map((byte) => byte.toString(16).padStart(2, '0')).join('')}`;
  }

  function click(id: string, action = 'incident_resolve'): string {
    const payload = {
      type: 'block_actions',
      user: { id: 'U024BE7LH', username: 'mallory', team_id: 'T000' },
      response_url: 'https://hooks.slack.com/actions/T000/1/x',
      actions: [{ type: 'button', action_id: action, block_id: 'incident_actions', value: id }],
    };
    return new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  }

  async function send(body: BodyInit, headers: Record<string, string>): Promise<Response> {
    const context = createExecutionContext();
    const response = await createApp().fetch(
      new Request('https://monitor.test/slack/interactions', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body,
      }),
      slackEnv,
      context,
    );
    await waitOnExecutionContext(context);
    return response;
  }

  const now = () => String(Math.floor(Date.now() / 1000));

  it.each([
    [
      'a body changed after signing (another incident id)',
      async (id: string, other: string) => {
        const ts = now();
        return [
          click(id),
          { 'x-slack-request-timestamp': ts, 'x-slack-signature': await sign(ts, click(other)) },
        ] as const;
      },
    ],
    [
      'a signature replayed with a fresh timestamp',
      async (id: string) => {
        const old = String(Math.floor(Date.now() / 1000) - 600);
        return [
          click(id),
          { 'x-slack-request-timestamp': now(), 'x-slack-signature': await sign(old, click(id)) },
        ] as const;
      },
    ],
    [
      'no signature header',
      async (id: string) => [click(id), { 'x-slack-request-timestamp': now() }] as const,
    ],
    [
      'no timestamp header',
      async (id: string) =>
        [click(id), { 'x-slack-signature': await sign(now(), click(id)) }] as const,
    ],
    [
      'a timestamp that is not a number',
      async (id: string) =>
        [
          click(id),
          { 'x-slack-request-timestamp': 'now', 'x-slack-signature': await sign('now', click(id)) },
        ] as const,
    ],
    [
      'a v1 signature scheme',
      async (id: string) => {
        const ts = now();
        return [
          click(id),
          {
            'x-slack-request-timestamp': ts,
            'x-slack-signature': (await sign(ts, click(id))).replace('v0=', 'v1='),
          },
        ] as const;
      },
    ],
  ])('refuses %s with 401 and changes nothing', async (_case, forge) => {
    const id = await openMissingFileIncident();
    const before = await snapshot(id);
    const [body, headers] = await forge(id, 'e'.repeat(32));
    const response = await send(body, headers);
    await expectProblem(response, [401]);
    expect(await snapshot(id)).toEqual(before);
  });

  it('refuses a 1 MiB signed payload with 413 before acting', async () => {
    const id = await openMissingFileIncident();
    const before = await snapshot(id);
    const body = `${click(id)}&padding=${'x'.repeat(MIB)}`;
    const ts = now();
    const response = await send(body, {
      'x-slack-request-timestamp': ts,
      'x-slack-signature': await sign(ts, body),
    });
    await expectProblem(response, [413]);
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('oversized and malformed bodies', () => {
  const post = (path: string, body: BodyInit, headers: Record<string, string> = {}) =>
    call(path, {
      method: 'POST',
      token: ALICE_TOKEN,
      body: body as string,
      headers: { 'content-type': 'application/json', ...headers },
    });

  it.each([...MUTATIONS.map((m) => m.route), 'sweeps'])(
    'a 1 MiB body on %s is a 413 problem and changes nothing',
    async (route) => {
      const id = await openMissingFileIncident();
      const before = await snapshot(id);
      const runSweepSpy = vi.fn();
      const big = JSON.stringify({ text: 'x'.repeat(MIB) });
      const path = route === 'sweeps' ? '/api/sweeps' : `/api/incidents/${id}/${route}`;
      const response = await call(path, {
        method: 'POST',
        token: ALICE_TOKEN,
        body: big,
        deps: { runSweep: runSweepSpy },
      });
      await expectProblem(response, [413]);
      expect(await snapshot(id)).toEqual(before);
      expect(runSweepSpy).not.toHaveBeenCalled();
    },
  );

  it.each([
    ['cut off', '{"text": "half'],
    ['trailing garbage', '{"text": "a"} {"text": "b"}'],
    ['an array', '[{"text": "a"}]'],
    ['null', 'null'],
    ['a bare string', '"a note"'],
    ['a number for the text', '{"text": 42}'],
    ['nested 15,000 deep', '['.repeat(15_000)],
    ['a __proto__ key', '{"__proto__": {"polluted": true}, "text": "a"}'],
    ['a constructor key', '{"constructor": {"prototype": {"polluted": true}}, "text": "a"}'],
    ['NaN', '{"text": NaN}'],
  ])('a body that is %s is a 400 problem and changes nothing', async (_case, body) => {
    const id = await openMissingFileIncident();
    const before = await snapshot(id);
    const response = await post(`/api/incidents/${id}/notes`, body);
    await expectProblem(response, [400]);
    expect(await snapshot(id)).toEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('a body that is not UTF-8 is a 400 problem and changes nothing', async () => {
    const id = await openMissingFileIncident();
    const before = await snapshot(id);
    const bytes = new Uint8Array([0x7b, 0x22, 0x74, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]);
    const response = await post(`/api/incidents/${id}/notes`, bytes as unknown as string);
    await expectProblem(response, [400]);
    expect(await snapshot(id)).toEqual(before);
  });
});

describe('junk in incident ids', () => {
  const JUNK: readonly [string, string][] = [
    ['a dot-dot segment', '..'],
    ['encoded dot-dots', '%2e%2e'],
    ['an encoded traversal', '..%2f..%2fapi%2fsweeps'],
    ['a double-encoded traversal', '%252e%252e%252f'],
    ['a NUL byte', `${'a'.repeat(31)}%00`],
    ['a line feed after a valid id', `${'a'.repeat(32)}%0a`],
    ['an invalid percent escape', '%ff%fe'],
    ['a lone percent sign', '%'],
    ['100,000 characters', 'a'.repeat(100_000)],
    ['uppercase hex', 'A'.repeat(32)],
    ['unicode', 'é'.repeat(32)],
    ['an emoji', '%F0%9F%92%A3'.repeat(8)],
    ['a right-to-left override', `%E2%80%AE${'a'.repeat(31)}`],
    ['a script tag', '%3Cscript%3Ealert(1)%3C%2Fscript%3E'],
  ];
  const ROUTES: readonly [string, (id: string) => string, 'GET' | 'POST'][] = [
    ['GET /api/incidents/:id', (id) => `/api/incidents/${id}`, 'GET'],
    ['GET /api/incidents/:id/postmortem.md', (id) => `/api/incidents/${id}/postmortem.md`, 'GET'],
    ...MUTATIONS.map(
      ({ route }) =>
        [`POST …/${route}`, (id: string) => `/api/incidents/${id}/${route}`, 'POST'] as [
          string,
          (id: string) => string,
          'POST',
        ],
    ),
  ];

  it.each(JUNK)(
    '%s is a 400 or 404 problem on every incident route, never a 500',
    async (_case, junk) => {
      for (const [name, path, method] of ROUTES) {
        for (const token of [ALICE_TOKEN, undefined]) {
          const response = await call(path(junk), {
            method,
            ...(token !== undefined && { token }),
          });
          const allowed =
            token === undefined && name !== 'GET /api/incidents/:id' ? [400, 401, 404] : [400, 404];
          expect(allowed, `${name} ${token ? 'operator' : 'public'}: ${response.status}`).toContain(
            response.status,
          );
          expect(response.headers.get('content-type')).toBe(PROBLEM_JSON);
          const text = await response.text();
          expect(text).not.toContain('script');
          expect(text.length).toBeLessThan(400);
        }
      }
    },
  );

  it.each(['?limit=-1', '?limit=1e309', '?offset=abc', '?state=%ff', '?limit=%00', '?unknown=1'])(
    'GET /api/incidents%s is a 400 problem',
    async (query) => {
      await expectProblem(await call(`/api/incidents${query}`), [400]);
    },
  );
});

describe('hostile values that reach alerts', () => {
  const SLACK = 'https://hooks.slack.com/services/T000/B000/surfaceSecretPath';
  const RECEIVER = 'https://receiver.test/hooks/surface-secret';
  const HOSTILE = {
    subject:
      'https://dist.test/dist/v24.11.1/node\r\nX-Injected: yes <!channel> <https://evil.test|click> *bold* `code`.tar.gz',
    summary: 'bytes differ\r\nSet-Cookie: pwned=1 <!here> <@U123> _it_ ~strike~ ```block```',
    release: 'v24.11.1\r\n<!everyone>',
    observed: '<https://evil.test|'.padEnd(64, 'a'),
  };

  it('are escaped in Slack, kept as JSON strings in webhooks, and put in no header', async () => {
    const clock = new TestClock();
    const requests: { url: string; headers: [string, string][]; body: string }[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      requests.push({
        url: request.url,
        headers: [...request.headers],
        body: await request.text(),
      });
      return new Response('ok');
    });
    installIncidentDependencies({
      clock,
      channels: [],
      vars: {
        SLACK_WEBHOOK_URL: SLACK,
        ALERT_WEBHOOK_URLS: RECEIVER,
        ALERT_WEBHOOK_SECRET: `whsec_${btoa('s'.repeat(32))}`,
      },
      deps: { channels: (base) => createAlertChannels(base, { transport: { timeoutMs: 100 } }) },
    });
    const finding = createFinding(
      { kind: 'artifact-missing', ...HOSTILE, expected: 'HTTP 200' },
      new Date(clock.now),
    );
    await reportSweepFindings(testEnv, {
      sweepId: 'sweep-hostile',
      findings: [finding],
      now: new Date(clock.now),
    });
    const stub = incidentStubFor(env, finding.fingerprint);
    await runAlarms(stub);

    const slack = requests.find((r) => r.url === SLACK);
    const webhook = requests.find((r) => r.url === RECEIVER);
    expect(slack).toBeDefined();
    expect(webhook).toBeDefined();

    const slackText = JSON.stringify(JSON.parse(slack!.body));
    for (const raw of ['<!channel>', '<!here>', '<!everyone>', '<@U123>', '<https://evil.test']) {
      expect(slackText).not.toContain(raw);
    }
    expect(slackText).toContain('&lt;!channel&gt;');
    expect(slackText).toContain('&lt;https://evil.test|click&gt;');
    // Line breaks are flattened: a value cannot start a line that looks like another field.
    expect(slackText).not.toMatch(/\\r|\\nX-Injected|\\nSet-Cookie/);

    const payload = JSON.parse(webhook!.body) as { data: Record<string, unknown> };
    expect(payload.data).toMatchObject({
      subject: HOSTILE.subject,
      summary: HOSTILE.summary,
      release: HOSTILE.release,
      observed: HOSTILE.observed,
    });

    const id = await incidentIdOf(finding.fingerprint);
    const responses = [
      await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }),
      await call(`/api/incidents/${id}/postmortem.md`, { token: ALICE_TOKEN }),
      await call('/api/incidents', { token: ALICE_TOKEN }),
      await call('/'),
      await call('/incidents.atom'),
    ];
    const page = await responses[3]!.clone().text();
    expect(page).not.toContain('<!channel>');
    expect(page).not.toContain('<https://evil.test');
    for (const headers of [
      ...requests.map((r) => r.headers),
      ...responses.map((r) => [...r.headers]),
    ]) {
      for (const [name, value] of headers) {
        expect(`${name}: ${value}`).not.toMatch(/[\r\n]|X-Injected|pwned|evil\.test|channel>/);
      }
    }
    expect(
      requests.every((r) => !r.headers.some(([name]) => /x-injected|set-cookie/i.test(name))),
    ).toBe(true);
  });
});

describe('the disclosure rule on every unauthenticated route', () => {
  const BASE = 'https://dist.test/dist';
  const VERSION = 'v24.11.1';

  it('a P0 tampered artifact found by the real sweep and hash worker leaks nothing before it is disclosed', async () => {
    // The real pipeline: a sweep of the fixture site queues the hashing, the hash worker
    // finds the tampered bytes and opens the P0 incident, its playbook runs.
    const site = await createDistSite({ artifactsPerRelease: 4 });
    await site.warm();
    const file = site.files(VERSION)[1] as string;
    site.tamperArtifact(VERSION, file);
    const jobs: HashJob[] = [];
    const queue = {
      send: async (body: HashJob) => void jobs.push(body),
      sendBatch: async (messages: { body: HashJob }[]) =>
        void jobs.push(...messages.map((m) => m.body)),
    };
    const sweepEnv = {
      ...env,
      DIST_BASE_URL: BASE,
      ORIGIN_BASE_URL: '',
      RELEASE_KEYS: site.publicKeyArmored,
      PROBE_REGIONS: '',
      HASH_QUEUE: queue,
    } as unknown as MonitorEnv;
    const run = await runSweep(sweepEnv, {
      trigger: 'test',
      fetch: site.fetcher,
      sleep: async () => {},
    });
    expect(run.status).toBe('completed');
    const job = jobs.find((j) => j.version === VERSION && j.name === file);
    expect(job).toBeDefined();
    const batch = createMessageBatch('dist-monitor-hash', [
      { id: 'tamper-1', timestamp: new Date(), attempts: 1, body: job },
    ]);
    await handleHashBatch(batch, sweepEnv, { fetch: site.fetcher, sleep: async () => {} });
    const [incident] = await incidentIndexStub(env).list({});
    expect(incident).toMatchObject({ kind: 'artifact-hash-mismatch', severity: 'P0' });
    installIncidentDependencies({ clock: new TestClock(), channels: [] });
    await runAlarms(incidentStubFor(env, incident!.fingerprint));
    const detail = await operatorView(incident!.id);
    const hashes = `${detail.incident.expected} ${detail.incident.observed}`.match(/[0-9a-f]{64}/g);
    expect(hashes).toHaveLength(2);
    const secrets = [
      detail.incident.subject,
      file,
      encodeURIComponent(file),
      VERSION,
      ...hashes!,
      incident!.id,
      'artifact-hash-mismatch',
    ];

    const ROUTES = [
      '/',
      '/api/status',
      '/api/incidents',
      '/api/incidents?state=open',
      `/api/incidents/${incident!.id}`,
      '/incidents.atom',
      '/badge.svg',
      '/metrics',
      '/api/sweeps/latest',
      '/healthz',
      `/api/incidents/${incident!.id}/postmortem.md`,
    ];
    for (const route of ROUTES) {
      const response = await SELF.fetch(`https://monitor.test${route}`);
      expect(response.status, route).toBeLessThan(500);
      const text = await response.text();
      const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
      for (const secret of secrets) {
        // The id is in the request path; it must not come back in the answer.
        expect(text, `${route} body`).not.toContain(secret);
        expect(headers, `${route} headers`).not.toContain(secret);
      }
    }

    // The hash worker published a snapshot as it recorded the finding: the walk above read
    // pages that do list the (redacted) incident.
    const listed = await json<{ incidents: { redacted: boolean }[] }>(
      await SELF.fetch('https://monitor.test/api/status'),
    );
    expect(listed.incidents).toEqual([expect.objectContaining({ redacted: true })]);

    // Disclosed: the same routes now show it (the rule is about timing, not a blind spot).
    await call(`/api/incidents/${incident!.id}/disclose`, { method: 'POST', token: ALICE_TOKEN });
    const status = await (await SELF.fetch('https://monitor.test/api/status')).text();
    expect(status).toContain(detail.incident.subject);
  });
});
