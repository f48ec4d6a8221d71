/**
 * Shared fixtures for the HTTP tests: the app with a test env (operator tokens set), a
 * request helper that sends a token and a client IP, sweep summaries to seed MonitorState,
 * and a P0 tampering incident opened through the incident engine's real entry point. Each
 * seeding helper ends as a sweep ends: it publishes the public status snapshot, which is
 * what the public routes read (src/jobs/publish-snapshot.ts).
 */
import { createExecutionContext, env, waitOnExecutionContext } from 'cloudflare:test';
import { createFinding, type Finding } from '../src/core/findings';
import { incidentIdOf } from '../src/core/incident';
import type { SweepSummary } from '../src/core/sweep-summary';
import { monitorStateStub } from '../src/durable/monitor-state';
import type { MonitorEnv } from '../src/env';
import { createApp, type AppDependencies } from '../src/http/app';
import { publishSnapshot, recordSweepEnd } from '../src/jobs/publish-snapshot';
import { reportSweepFindings } from '../src/jobs/report-findings';

export const ALICE_TOKEN = 'alice-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e';
export const BOB_TOKEN = 'bob-0a2c4e6f8b1d3f5a7c9e2b4d6f8a0c1e';

export const testEnv = {
  ...env,
  OPERATOR_TOKENS: `alice:${ALICE_TOKEN},bob:${BOB_TOKEN}`,
} as MonitorEnv;

export interface CallOptions {
  readonly token?: string;
  readonly ip?: string;
  readonly method?: string;
  readonly body?: unknown;
  readonly headers?: Record<string, string>;
  readonly deps?: Partial<AppDependencies>;
  readonly env?: MonitorEnv;
}

let ipCounter = 0;
/** A client address no other test used, so rate-limit windows never collide. */
export function freshIp(): string {
  ipCounter += 1;
  return `198.51.100.${ipCounter % 250}-${Date.now()}-${ipCounter}`;
}

/** One request through the app, as the Worker would receive it. */
export async function call(path: string, options: CallOptions = {}): Promise<Response> {
  const app = createApp(options.deps);
  const headers: Record<string, string> = {
    'cf-connecting-ip': options.ip ?? freshIp(),
    ...options.headers,
  };
  if (options.token !== undefined) headers.authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['content-type'] ??= 'application/json';
  }
  const ctx = createExecutionContext();
  const response = await app.request(
    `https://monitor.test${path}`,
    { method: options.method ?? (body === undefined ? 'GET' : 'POST'), headers, body },
    options.env ?? testEnv,
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return response;
}

export function sweepSummary(overrides: Partial<SweepSummary> = {}): SweepSummary {
  const finishedAt = overrides.finishedAt ?? new Date().toISOString();
  return {
    id: `sweep-${crypto.randomUUID().slice(0, 8)}`,
    trigger: 'test',
    startedAt: new Date(Date.parse(finishedAt) - 4_000).toISOString(),
    finishedAt,
    durationMs: 4_000,
    outcome: 'clean',
    baseUrl: 'https://dist.test/dist',
    releases: ['v25.2.0', 'v24.11.1', 'v22.21.0'],
    requests: 40,
    retries: 0,
    bytes: 123_456,
    subrequestBudget: 900,
    artifactsChecked: 24,
    hashJobsQueued: 3,
    findings: 0,
    findingsBySeverity: { P0: 0, P1: 0, P2: 0, P3: 0 },
    findingKinds: [],
    availability: 'ok',
    skipped: [],
    ...overrides,
  };
}

/**
 * Stores a finished sweep in MonitorState and ends it as the sweep job does: the heartbeat,
 * then a public snapshot taken when the sweep finished.
 */
export async function seedSweep(overrides: Partial<SweepSummary> = {}): Promise<SweepSummary> {
  const summary = sweepSummary(overrides);
  const state = monitorStateStub(testEnv);
  await state.beginSweep(summary.id, summary.startedAt);
  await state.finishSweep(summary);
  await expectPublished(recordSweepEnd(testEnv, summary, new Date(summary.finishedAt)));
  return summary;
}

/** Publishes a public snapshot now (what a sweep's end or an operator action does). */
export async function publishNow(at = new Date()): Promise<void> {
  await expectPublished(publishSnapshot(testEnv, 'test', at));
}

async function expectPublished(outcome: ReturnType<typeof publishSnapshot>): Promise<void> {
  const result = await outcome;
  if (!result.ok) throw new Error(`the status snapshot was not published: ${result.error}`);
}

/** What a tampered artifact looks like; none of it may reach the public before disclosure. */
export const TAMPER = {
  file: 'node-v24.11.1-linux-x64.tar.xz',
  release: 'v24.11.1',
  url: 'https://dist.test/dist/v24.11.1/node-v24.11.1-linux-x64.tar.xz',
  expected: '5e2c9d1f0a4b7c8e3d6f9a2b5c8e1d4f7a0b3c6e9d2f5a8b1c4e7d0a3b6c9e2f',
  observed: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
} as const;

export function tamperFinding(now: Date): Finding {
  return createFinding(
    {
      kind: 'artifact-hash-mismatch',
      subject: TAMPER.url,
      summary: `${TAMPER.file} hashes to ${TAMPER.observed}, not the signed ${TAMPER.expected}`,
      expected: TAMPER.expected,
      observed: TAMPER.observed,
      release: TAMPER.release,
      evidence: { file: TAMPER.file, sha256: TAMPER.observed },
    },
    now,
  );
}

/** Opens a P0 tampering incident through the incident engine; returns its id. */
export async function openTamperIncident(now = new Date()): Promise<string> {
  const finding = tamperFinding(now);
  await reportSweepFindings(testEnv, { sweepId: 'sweep-tamper', findings: [finding], now });
  await publishNow(now);
  return incidentIdOf(finding.fingerprint);
}

/** A non-private P2 finding: a missing file. */
export function missingFileFinding(now: Date): Finding {
  return createFinding(
    {
      kind: 'artifact-missing',
      subject: 'https://dist.test/dist/v22.21.0/node-v22.21.0-win-x64.zip',
      summary: 'node-v22.21.0-win-x64.zip is listed in SHASUMS256.txt but answers 404',
      release: 'v22.21.0',
    },
    now,
  );
}

/** Opens a non-private P2 incident (a missing file); returns its id. */
export async function openMissingFileIncident(now = new Date()): Promise<string> {
  const finding = missingFileFinding(now);
  await reportSweepFindings(testEnv, { sweepId: 'sweep-missing', findings: [finding], now });
  await publishNow(now);
  return incidentIdOf(finding.fingerprint);
}

/** Every secret detail of the tampering incident that the public must not see. */
export const TAMPER_SECRETS = [
  TAMPER.file,
  TAMPER.release,
  TAMPER.url,
  TAMPER.expected,
  TAMPER.observed,
];

export async function json<T = Record<string, unknown>>(response: Response): Promise<T> {
  return (await response.json()) as T;
}
