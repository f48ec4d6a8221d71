/**
 * Every output read by its real consumer, end to end (issue 15): the monitor started the way
 * a newcomer starts it (`npm start`'s tools/start.ts, which must sweep by itself) against
 * the fixture dist site, with a tampered artifact and hostile text in index.json, and its
 * outputs handed to tools nobody here wrote:
 *
 * - `promtool check metrics` (Prometheus) on the public and the operator `/metrics`;
 * - `xmllint --noout` (libxml2, strict XML 1.0) on `/incidents.atom`;
 * - parse5 (the WHATWG HTML5 parser) on the status page;
 * - the reference `standardwebhooks` package on every signed webhook received over HTTP;
 * - Slack's documented Block Kit limits on every Slack message received.
 *
 * Needs `promtool` and `xmllint` on PATH (tools/consumers.sh installs Debian's `prometheus`
 * and `libxml2-utils`). Every process is stopped by its own PID, also on failure.
 *
 *   node tools/consumers/run.ts        (or: bash tools/consumers.sh)
 */
import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'parse5';
import { Webhook } from 'standardwebhooks';
import {
  cleanUpEverything,
  freePort,
  makeTempDir,
  startProcess,
  waitForOutput,
  type ManagedProcess,
} from '../demo/processes.ts';
import { REPO_ROOT, startDistSite, type DistSite } from '../demo/stack.ts';
import { waitUntil } from '../demo/waiting.ts';

const HOST = '127.0.0.1';
const START_MS = 300_000;
const INCIDENT_MS = 180_000;
const TOKEN = randomBytes(24).toString('hex');
const WEBHOOK_SECRET = `whsec_${randomBytes(32).toString('base64')}`;
/** Hostile text the site puts into index.json, as a release's version string. */
const HOSTILE = 'v99.0.0\u0001\u000b\uFFFE\u202e<b>&amp;';

interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

let site: DistSite | undefined;
let monitor: ManagedProcess | undefined;
let origin = '';
let inbox: Server | undefined;
const received: Received[] = [];

function requireTool(name: string): void {
  const found = spawnSync('sh', ['-c', `command -v ${name}`]).status === 0;
  assert.ok(found, `${name} is not installed: run bash tools/consumers.sh (installs it)`);
}

async function startInbox(): Promise<string> {
  inbox = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      received.push({
        path: request.url ?? '',
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    });
  });
  await new Promise<void>((done) => inbox?.listen(0, HOST, done));
  return `http://${HOST}:${(inbox.address() as AddressInfo).port}`;
}

async function get(path: string, token?: string): Promise<Response> {
  return fetch(`${origin}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(60_000),
  });
}

async function sweep(): Promise<void> {
  const response = await fetch(`${origin}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`, {
    signal: AbortSignal.timeout(300_000),
  });
  await response.body?.cancel();
}

/** Runs a consumer on `input` (stdin); fails with its own words. */
function consume(command: string, args: string[], input: string): void {
  try {
    execFileSync(command, args, { input, stdio: ['pipe', 'pipe', 'pipe'], timeout: 60_000 });
  } catch (error) {
    const failed = error as { stdout?: Buffer; stderr?: Buffer };
    assert.fail(
      `${command} ${args.join(' ')} refused the output:\n${failed.stdout?.toString() ?? ''}${failed.stderr?.toString() ?? ''}`,
    );
  }
}

before(
  async () => {
    requireTool('promtool');
    requireTool('xmllint');
    const dir = makeTempDir('consumers');
    site = await startDistSite({ dir, name: 'dist-site', args: ['--releases', '2'] });
    const inboxOrigin = await startInbox();
    const envFile = join(dir, 'monitor.env');
    writeFileSync(
      envFile,
      [
        `RELEASE_KEYS="${site.publicKey.trim()}"`,
        `OPERATOR_TOKENS="consumers:${TOKEN}"`,
        `ALERT_WEBHOOK_URLS="${inboxOrigin}/hook"`,
        `ALERT_WEBHOOK_SECRET="${WEBHOOK_SECRET}"`,
        `SLACK_WEBHOOK_URL="${inboxOrigin}/slack"`,
        '',
      ].join('\n'),
      { mode: 0o600 },
    );
    const [port, inspectorPort] = [await freePort(HOST), await freePort(HOST)];
    const vars = {
      DIST_BASE_URL: site.distBaseUrl,
      ORIGIN_BASE_URL: '',
      ALLOWED_REDIRECT_HOSTS: `${HOST},localhost`,
      PROBE_REGIONS: '',
      PUBLIC_URL: '',
      REQUEST_RETRIES: '1',
      REQUEST_TIMEOUT_MS: '5000',
    };
    // Exactly what `npm start` runs, with a private port, state directory and secrets.
    monitor = startProcess({
      name: 'npm start (tools/start.ts)',
      command: process.execPath,
      args: [
        join(REPO_ROOT, 'tools/start.ts'),
        '--ip',
        HOST,
        '--port',
        String(port),
        '--inspector-port',
        String(inspectorPort),
        '--persist-to',
        join(dir, 'state'),
        '--env-file',
        envFile,
        '--log-level',
        'info',
        ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
      ],
      cwd: REPO_ROOT,
      env: { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false' },
    });
    const ready = await waitForOutput(monitor, /Ready on (http:\/\/\S+)/, START_MS);
    origin = (ready[1] as string).replace(/\/+$/, '');
  },
  { timeout: START_MS + 60_000 },
);

after(async () => {
  // tools/start.ts stops wrangler's own process group on SIGTERM; this stops start.ts.
  await cleanUpEverything();
  await new Promise<void>((done) => (inbox ? inbox.close(() => done()) : done()));
});

describe('npm start', () => {
  it('sweeps by itself once the Worker answers, with no call to /__scheduled', async () => {
    const latest = await waitUntil(
      'the first sweep npm start fires',
      async () => {
        const response = await get('/api/sweeps/latest');
        if (response.status !== 200) {
          await response.body?.cancel();
          return undefined;
        }
        return (await response.json()) as { finishedAt: string };
      },
      { timeoutMs: START_MS, intervalMs: 1_000 },
    );
    assert.match(latest.finishedAt, /^\d{4}-\d\d-\d\dT/);
  });
});

describe('outputs read by their real consumers', () => {
  before(
    async () => {
      const control = `${site?.origin ?? ''}/__control/attack`;
      const index = (await (await fetch(`${site?.distBaseUrl ?? ''}/index.json`)).json()) as {
        version: string;
      }[];
      const [newest, older] = index.map((entry) => entry.version);
      assert.ok(newest !== undefined && older !== undefined);
      const shasums = await (
        await fetch(`${site?.distBaseUrl ?? ''}/${newest}/SHASUMS256.txt`)
      ).text();
      const file = shasums.split('\n')[0]?.trim().split(/\s+/)[1];
      assert.ok(file !== undefined);
      for (const attack of [
        { attack: 'tamper-artifact', version: newest, file },
        { attack: 'rewrite-index', version: older, fields: { version: HOSTILE } },
      ]) {
        const response = await fetch(control, { method: 'POST', body: JSON.stringify(attack) });
        assert.equal(response.status, 200, await response.text());
      }
      let lastSweep = 0;
      await waitUntil(
        'the tampering incident',
        async () => {
          const listing = (await (await get('/api/incidents', TOKEN)).json()) as {
            incidents: { kind: string }[];
          };
          if (listing.incidents.some((incident) => incident.kind === 'artifact-hash-mismatch'))
            return true;
          if (Date.now() - lastSweep > 20_000) {
            lastSweep = Date.now();
            await sweep();
          }
          return undefined;
        },
        { timeoutMs: INCIDENT_MS, intervalMs: 1_000 },
      );
      // Alerts leave from the incidents' alarms: give them a moment to arrive.
      await waitUntil(
        'signed webhooks and Slack messages',
        async () =>
          received.some((r) => r.path === '/hook') && received.some((r) => r.path === '/slack')
            ? true
            : undefined,
        { timeoutMs: 60_000, intervalMs: 500 },
      );
    },
    { timeout: INCIDENT_MS + 120_000 },
  );

  it('public /metrics passes promtool check metrics and names no receiver', async () => {
    const text = await (await get('/metrics')).text();
    consume('promtool', ['check', 'metrics'], text);
    const receiverPort = new URL(`http://${received[0]?.headers.host ?? 'x'}`).port;
    assert.doesNotMatch(text, new RegExp(`${HOST}:${receiverPort}`));
    assert.doesNotMatch(text, /channel="webhook:/);
  });

  it('public /metrics withholds what /api/status withholds', async () => {
    const status = (await (await get('/api/status')).json()) as { coverageWithheld: boolean };
    assert.equal(status.coverageWithheld, true);
    const text = await (await get('/metrics')).text();
    assert.match(text, /^dist_monitor_coverage_withheld 1$/m);
    assert.doesNotMatch(text, /dist_monitor_coverage_files|result="mismatched"/);
  });

  it('operator /metrics passes promtool check metrics', async () => {
    const response = await get('/metrics', TOKEN);
    assert.equal(response.status, 200);
    const text = await response.text();
    assert.match(text, /dist_monitor_last_sweep_findings_by_kind/);
    consume('promtool', ['check', 'metrics'], text);
  });

  it('/incidents.atom is well-formed XML to xmllint, with hostile index text in it', async () => {
    const feed = await (await get('/incidents.atom')).text();
    // The site's hostile version string reached the feed (cleaned), as did the tampering.
    assert.match(feed, /v99\.0\.0/);
    assert.match(feed, /<entry>/);
    consume('xmllint', ['--noout', '-'], feed);
  });

  it('the status page parses as HTML5 without a single parse error', async () => {
    const page = await (await get('/')).text();
    const errors: string[] = [];
    parse(page, { onParseError: (error) => errors.push(`${error.code} at ${error.startLine}`) });
    assert.deepEqual(errors, []);
  });

  it('every signed webhook verifies with the reference standardwebhooks package', () => {
    const hooks = received.filter((r) => r.path === '/hook');
    assert.ok(hooks.length > 0);
    for (const hook of hooks) {
      const headers = {
        'webhook-id': String(hook.headers['webhook-id']),
        'webhook-timestamp': String(hook.headers['webhook-timestamp']),
        'webhook-signature': String(hook.headers['webhook-signature']),
      };
      const payload = new Webhook(WEBHOOK_SECRET).verify(hook.body, headers) as {
        type: string;
      };
      assert.match(payload.type, /^incident\./);
    }
  });

  it('every Slack message keeps within Block Kit limits and carries well-formed text', () => {
    const messages = received.filter((r) => r.path === '/slack');
    assert.ok(messages.length > 0);
    for (const message of messages) {
      const body = JSON.parse(message.body) as {
        text: string;
        blocks: { type: string; text?: { text: string }; fields?: { text: string }[] }[];
      };
      assert.ok(body.blocks.length <= 50);
      for (const block of body.blocks) {
        if (block.type === 'header') assert.ok((block.text?.text.length ?? 0) <= 150);
        if (block.type === 'section') {
          assert.ok((block.text?.text.length ?? 0) <= 3000);
          assert.ok((block.fields?.length ?? 0) <= 10);
          for (const field of block.fields ?? []) assert.ok(field.text.length <= 2000);
        }
      }
      assert.ok(message.body.isWellFormed());
      assert.doesNotMatch(message.body, /<!channel>|<!here>/);
    }
  });
});
