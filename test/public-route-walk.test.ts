/**
 * The disclosure rule on every unauthenticated route, through a private incident's whole
 * life (issue 13): a P0 tampered artifact found by the real sweep and hash worker is open,
 * then acknowledged, contained and resolved, and at each step every GET route the app has
 * — taken from its route table, so a route added later is walked too — answers without an
 * id, URL, file name, release, hash or kind of it, in body or headers. Each step is checked
 * on a new snapshot that does list the incident (redacted), so the walk never passes by
 * reading stale pages. Disclosed, it is on the public pages in the very next snapshot.
 */
import { createMessageBatch, env } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import type { HashJob } from '../src/core/hash-jobs';
import type { IncidentDetail } from '../src/core/incident';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { createApp } from '../src/http/app';
import { handleHashBatch } from '../src/jobs/hash-consumer';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite } from '../tools/dist-site/site';
import { ALICE_TOKEN, call, json, testEnv } from './http-helpers';
import { resetIncidentDependencies } from './incident-helpers';

afterEach(() => resetIncidentDependencies());

const BASE = 'https://dist.test/dist';
const VERSION = 'v24.11.1';

/** Every GET path of the app, `:id` filled in, plus what a stranger might add. */
function publicPaths(id: string): string[] {
  const paths = new Set(
    createApp()
      .routes.filter((route) => route.method === 'GET' || route.method === 'ALL')
      .map((route) => route.path)
      .filter((path) => !path.includes('*'))
      .map((path) => path.replace(':id', id)),
  );
  for (const extra of [
    '/api/incidents?state=open',
    '/api/incidents?state=resolved',
    '/api/incidents?limit=1&offset=0',
    `/api/incidents/${id}?x=1`,
    '/?nocache=1',
    '/no-such-page',
  ])
    paths.add(extra);
  return [...paths];
}

interface Walk {
  readonly version: number;
  readonly status: { status: string; incidents: unknown[]; recentlyResolved: unknown[] };
}

async function walk(paths: readonly string[], secrets: readonly string[]): Promise<Walk> {
  for (const path of paths) {
    const response = await call(path);
    // A documented 503 (the transparency log is off here: no LOG_SIGNING_KEY; its own
    // disclosure tests are tlog-disclosure.test.ts), never an internal error.
    expect(response.status, path).not.toBe(500);
    if (response.status >= 500) expect(response.status, path).toBe(503);
    const body = await response.text();
    const headers = [...response.headers].map(([name, value]) => `${name}: ${value}`).join('\n');
    for (const secret of secrets) {
      expect(body, `${path} body`).not.toContain(secret);
      expect(headers, `${path} headers`).not.toContain(secret);
    }
  }
  const status = await call('/api/status');
  return {
    version: Number(status.headers.get('x-snapshot-version')),
    status: await json(status),
  };
}

async function act(id: string, action: string, body?: unknown): Promise<void> {
  const response = await call(`/api/incidents/${id}/${action}`, {
    method: 'POST',
    token: ALICE_TOKEN,
    ...(body !== undefined && { body }),
  });
  expect(response.status, action).toBe(200);
}

describe('every public route, through a private incident’s life', () => {
  it('shows an undisclosed P0 only as "an issue" while open, acknowledged, contained and resolved', async () => {
    const now = new Date();
    const site = await createDistSite({ artifactsPerRelease: 4, now });
    await site.warm();
    const file = site.files(VERSION)[1] as string;
    site.tamperArtifact(VERSION, file);
    const jobs: HashJob[] = [];
    const sweepEnv = {
      ...testEnv,
      DIST_BASE_URL: BASE,
      ORIGIN_BASE_URL: '',
      RELEASE_KEYS: site.publicKeyArmored,
      PROBE_REGIONS: '',
      HASH_QUEUE: {
        send: async (job: HashJob) => void jobs.push(job),
        sendBatch: async (messages: { body: HashJob }[]) =>
          void jobs.push(...messages.map((message) => message.body)),
      },
    } as unknown as MonitorEnv;
    const run = await runSweep(sweepEnv, {
      trigger: 'test',
      fetch: site.fetcher,
      now: () => now,
      sleep: async () => {},
    });
    expect(run.status).toBe('completed');
    const job = jobs.find((j) => j.version === VERSION && j.name === file);
    const batch = createMessageBatch('dist-monitor-hash', [
      { id: 'tamper-1', timestamp: now, attempts: 1, body: job },
    ]);
    await handleHashBatch(batch, sweepEnv, { fetch: site.fetcher, sleep: async () => {} });
    const [incident] = await incidentIndexStub(env).list({});
    expect(incident).toMatchObject({ kind: 'artifact-hash-mismatch', severity: 'P0' });
    const id = incident!.id;
    const detail = await json<IncidentDetail>(
      await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }),
    );
    const hashes = `${detail.incident.expected} ${detail.incident.observed}`.match(/[0-9a-f]{64}/g);
    expect(hashes).toHaveLength(2);
    const secrets = [
      id,
      incident!.fingerprint,
      detail.incident.subject,
      file,
      encodeURIComponent(file),
      VERSION,
      ...hashes!,
      'artifact-hash-mismatch',
    ];
    const paths = publicPaths(id);
    for (const route of [
      '/',
      '/api/status',
      '/badge.svg',
      '/incidents.atom',
      '/healthz',
      '/metrics',
    ])
      expect(paths).toContain(route);

    // Open: found by the hash worker, which publishes a snapshot as it records the finding.
    let previous = await walk(paths, secrets);
    expect(previous.status.status).toBe('critical');
    expect(previous.status.incidents).toEqual([expect.objectContaining({ redacted: true })]);

    const steps: [string, unknown?][] = [
      ['acknowledge'],
      ['contain', { note: 'purged' }],
      ['resolve', { note: 'bytes verified again' }],
    ];
    for (const [action, body] of steps) {
      await act(id, action, body);
      const next = await walk(paths, secrets);
      expect(next.version, action).toBeGreaterThan(previous.version);
      const shown = action === 'resolve' ? next.status.recentlyResolved : next.status.incidents;
      expect(shown, action).toEqual([
        expect.objectContaining({
          redacted: true,
          status: action === 'resolve' ? 'resolved' : 'investigating',
        }),
      ]);
      previous = next;
    }

    // Disclosed: in the very next snapshot, on every page that lists incidents.
    await act(id, 'disclose');
    const disclosed = await call('/api/status');
    expect(Number(disclosed.headers.get('x-snapshot-version'))).toBe(previous.version + 1);
    for (const path of [
      '/api/status',
      '/api/incidents',
      `/api/incidents/${id}`,
      '/incidents.atom',
    ]) {
      const text = await (await call(path)).text();
      expect(text, path).toContain(detail.incident.subject);
      expect(text, path).toContain(id);
    }
    // The page lists a resolved incident by its title and summary (which names the file).
    expect(await (await call('/')).text()).toContain(file);
  });
});
