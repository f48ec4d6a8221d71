/**
 * A local inbox for the monitor's alerts: `POST /webhook` takes signed webhooks, `POST
 * /slack` takes what would go to a Slack incoming webhook. It records every delivery and
 * verifies each webhook signature on its own, with node:crypto rather than the monitor's
 * code, the way a real receiver would (Standard Webhooks: HMAC-SHA256 of
 * `{webhook-id}.{webhook-timestamp}.{body}` keyed with the base64 part of the `whsec_`
 * secret, timestamps within five minutes, each id processed once).
 *
 * Used in-process by the demo and the end-to-end tests, or on its own:
 *
 *   node tools/demo/receiver.ts [--port 9000] [--secret whsec_…]
 *
 * Listens on loopback only. A bad signature is answered 401, as a receiver should.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseArgs } from 'node:util';

const MAX_BODY_BYTES = 1024 * 1024;
const TOLERANCE_SECONDS = 5 * 60;
const SECRET_PREFIX = 'whsec_';

/** A fresh signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 bytes. */
export function generateWebhookSecret(): string {
  return `${SECRET_PREFIX}${randomBytes(32).toString('base64')}`;
}

export type SignatureCheck =
  { readonly ok: true } | { readonly ok: false; readonly problem: string };

export interface SignedDelivery {
  readonly secret: string;
  readonly id: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly body: string;
  readonly now: Date;
}

/** Verifies one delivery against one `whsec_` secret. Never echoes the secret. */
export function verifyWebhookSignature(delivery: SignedDelivery): SignatureCheck {
  const { id, timestamp, signature } = delivery;
  if (!id || !timestamp || !signature) {
    return { ok: false, problem: 'missing webhook-id, webhook-timestamp or webhook-signature' };
  }
  if (!/^\d{1,12}$/.test(timestamp)) return { ok: false, problem: 'malformed webhook-timestamp' };
  const age = Math.floor(delivery.now.getTime() / 1000) - Number(timestamp);
  if (Math.abs(age) > TOLERANCE_SECONDS) {
    return { ok: false, problem: `timestamp ${age} s away from now` };
  }
  const key = Buffer.from(delivery.secret.slice(SECRET_PREFIX.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${delivery.body}`).digest();
  const matches = signature
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => Buffer.from(entry.slice(3), 'base64'))
    .some(
      (presented) => presented.length === expected.length && timingSafeEqual(presented, expected),
    );
  return matches ? { ok: true } : { ok: false, problem: 'no v1 signature matches the secret' };
}

/** One delivery the inbox got. */
export interface ReceivedAlert {
  /** 1, 2, 3, … in arrival order. */
  readonly seq: number;
  readonly channel: 'webhook' | 'slack';
  readonly receivedAt: string;
  /** Webhooks: the signature verified. Slack incoming webhooks carry no signature: false. */
  readonly verified: boolean;
  /** Why verification failed, when it did. */
  readonly problem?: string;
  /** A `webhook-id` seen before (a retry): recorded, not processed twice. */
  readonly duplicate: boolean;
  readonly webhookId?: string;
  /** Webhooks: `incident.opened`, `incident.escalated`, … */
  readonly type?: string;
  readonly incidentId?: string;
  readonly kind?: string;
  readonly severity?: string;
  readonly state?: string;
  /** One line for people. */
  readonly text: string;
}

export interface AlertReceiver {
  /** Where to send signed webhooks (`ALERT_WEBHOOK_URLS`). */
  readonly webhookUrl: string;
  /** Where to send Slack messages (`SLACK_WEBHOOK_URL`). */
  readonly slackUrl: string;
  readonly alerts: readonly ReceivedAlert[];
  onAlert(listener: (alert: ReceivedAlert) => void): () => void;
  close(): Promise<void>;
}

export interface ReceiverOptions {
  readonly secret: string;
  readonly host?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
}

export async function startAlertReceiver(options: ReceiverOptions): Promise<AlertReceiver> {
  const alerts: ReceivedAlert[] = [];
  const listeners = new Set<(alert: ReceivedAlert) => void>();
  const seenIds = new Set<string>();
  const host = options.host ?? '127.0.0.1';

  const record = (alert: Omit<ReceivedAlert, 'seq' | 'receivedAt'>) => {
    const full: ReceivedAlert = {
      seq: alerts.length + 1,
      receivedAt: new Date().toISOString(),
      ...alert,
    };
    alerts.push(full);
    for (const listener of listeners) listener(full);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch(() => answer(res, 500));
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = new URL(req.url ?? '/', 'http://inbox').pathname;
    if (req.method !== 'POST' || (path !== '/webhook' && path !== '/slack')) {
      answer(res, 404);
      return;
    }
    const body = await readBody(req);
    if (body === undefined) {
      answer(res, 413);
      return;
    }
    if (path === '/slack') {
      record({ channel: 'slack', verified: false, duplicate: false, ...describeSlack(body) });
      answer(res, 200, 'ok');
      return;
    }
    const id = header(req, 'webhook-id');
    const check = verifyWebhookSignature({
      secret: options.secret,
      id,
      timestamp: header(req, 'webhook-timestamp'),
      signature: header(req, 'webhook-signature'),
      body,
      now: new Date(),
    });
    const duplicate = check.ok && id !== undefined && seenIds.has(id);
    if (check.ok && id !== undefined) seenIds.add(id);
    record({
      channel: 'webhook',
      verified: check.ok,
      ...(!check.ok && { problem: check.problem }),
      duplicate,
      ...(id !== undefined && { webhookId: id }),
      ...describeWebhook(body),
    });
    answer(res, check.ok ? 204 : 401);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  const origin = `http://${host}:${port}`;

  return {
    webhookUrl: `${origin}/webhook`,
    slackUrl: `${origin}/slack`,
    alerts,
    onAlert(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function answer(res: ServerResponse, status: number, text = ''): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(text);
}

async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    length += part.length;
    if (length > MAX_BODY_BYTES) return undefined;
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

type Described = Pick<
  ReceivedAlert,
  'type' | 'incidentId' | 'kind' | 'severity' | 'state' | 'text'
>;

/** The webhook payload, version 1 (docs/webhooks.md); anything else is shown as unknown. */
function describeWebhook(body: string): Described {
  const payload = parseJson(body);
  const data = payload?.['data'];
  if (payload === undefined || typeof data !== 'object' || data === null) {
    return { text: 'a body that is not a version 1 payload' };
  }
  const d = data as Record<string, unknown>;
  const text = (key: string) => (typeof d[key] === 'string' ? (d[key] as string) : undefined);
  const type = typeof payload['type'] === 'string' ? payload['type'] : undefined;
  return {
    ...(type !== undefined && { type }),
    ...(text('id') !== undefined && { incidentId: text('id') }),
    ...(text('kind') !== undefined && { kind: text('kind') }),
    ...(text('severity') !== undefined && { severity: text('severity') }),
    ...(text('state') !== undefined && { state: text('state') }),
    text: `${type ?? 'incident.?'} ${text('severity') ?? '?'} ${text('kind') ?? '?'} (${text('state') ?? '?'})`,
  };
}

/**
 * A Slack message's fallback `text` (what a phone notification would show), and the
 * incident id its context line names.
 */
function describeSlack(body: string): Described {
  const message = parseJson(body);
  const text = typeof message?.['text'] === 'string' ? message['text'] : 'a message without text';
  const incidentId = /Incident ([0-9a-f]{32})\b/.exec(body)?.[1];
  return {
    ...(incidentId !== undefined && { incidentId }),
    text: text.replace(/\s+/g, ' ').slice(0, 160),
  };
}

function parseJson(body: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** Prints one alert on one line, for the demo and the standalone inbox. */
export function formatAlert(alert: ReceivedAlert): string {
  if (alert.channel === 'slack') return `slack    ${alert.text}`;
  const verdict = alert.verified
    ? `signature verified${alert.duplicate ? ', duplicate id' : ''}`
    : `REJECTED: ${alert.problem ?? 'unverified'}`;
  return `webhook  ${alert.text} · ${verdict}`;
}

async function main(argv: readonly string[]): Promise<void> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '9000' },
      host: { type: 'string', default: '127.0.0.1' },
      secret: { type: 'string' },
    },
    strict: true,
  });
  const secret = values.secret ?? generateWebhookSecret();
  if (!secret.startsWith(SECRET_PREFIX)) throw new Error('--secret must start with whsec_');
  const receiver = await startAlertReceiver({
    secret,
    host: values.host,
    port: Number(values.port),
  });
  process.stdout.write(
    `alert inbox: webhooks to ${receiver.webhookUrl}, Slack to ${receiver.slackUrl}\n` +
      (values.secret === undefined ? `ALERT_WEBHOOK_SECRET=${secret}\n` : ''),
  );
  receiver.onAlert((alert) => process.stdout.write(`${formatAlert(alert)}\n`));
  const stop = () => void receiver.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (import.meta.main) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`receiver: ${(error as Error).message}\n`);
    process.exit(2);
  });
}
