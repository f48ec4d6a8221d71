import { createMessageBatch, env } from 'cloudflare:test';
import * as openpgp from 'openpgp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseHeaderPolicy } from '../src/core/header-policy';
import type { HashJob } from '../src/core/hash-jobs';
import { parseIndexJson, type IndexEntry } from '../src/core/index-json';
import { createDistClient } from '../src/adapters/dist-client';
import { createKvPinStore } from '../src/adapters/pin-store';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import { monitorStateStub } from '../src/durable/monitor-state';
import type { MonitorEnv } from '../src/env';
import { handleHashBatch } from '../src/jobs/hash-consumer';
import { planRotationJobs } from '../src/jobs/hash-planning';
import { configFromEnv, runSweep } from '../src/jobs/sweep';
import { createSweepContext, type SweepContext } from '../src/jobs/sweep-context';
import type { TrustedKeys } from '../src/jobs/sweep-release';
import { createDistSite, type DistSite } from '../tools/dist-site/site';

const NOW = new Date('2026-11-20T10:00:00Z');
const MINUTE = 60_000;
const WEEK_MS = 7 * 24 * 60 * MINUTE;
const BASE = 'https://dist.test/dist';

let site: DistSite;
let trust: TrustedKeys;
let messageId = 0;

beforeAll(async () => {
  site = await createDistSite({ now: NOW });
  await site.warm();
  trust = {
    keys: [await openpgp.readKey({ armoredKey: site.publicKeyArmored })],
    unavailable: false,
  };
});

afterEach(() => {
  site.reset();
  vi.restoreAllMocks();
});

/** The env with the site's key as RELEASE_KEYS and a queue that keeps what is sent. */
function sweepEnv(): { env: MonitorEnv; sent: HashJob[] } {
  const sent: HashJob[] = [];
  const queue = {
    send: async (body: HashJob) => void sent.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<HashJob>>) => {
      for (const message of messages) sent.push(message.body);
    },
  } as unknown as Queue;
  return { env: { ...env, RELEASE_KEYS: site.publicKeyArmored, HASH_QUEUE: queue }, sent };
}

/** The hash workers: every job, in batches of four, the way the queue would deliver them. */
async function hashAll(jobs: readonly HashJob[], at: Date): Promise<void> {
  for (let start = 0; start < jobs.length; start += 4) {
    const batch = createMessageBatch(
      'dist-monitor-hash',
      jobs.slice(start, start + 4).map((body) => ({
        id: `rotation-${(messageId += 1)}`,
        timestamp: at,
        attempts: 1,
        body,
      })),
    );
    await handleHashBatch(batch, env, {
      fetch: site.fetcher,
      now: () => at,
      sleep: async () => {},
    });
  }
}

async function sweepAt(at: Date): Promise<HashJob[]> {
  const { env: testEnv, sent } = sweepEnv();
  const run = await runSweep(testEnv, { trigger: 'test', fetch: site.fetcher, now: () => at });
  expect(run.status).toBe('completed');
  return sent;
}

async function indexEntries(): Promise<IndexEntry[]> {
  const text = await (await site.fetcher(`${BASE}/index.json`)).text();
  const parsed = parseIndexJson(text, { maxBytes: 1 << 20 });
  if (!parsed.ok) throw new Error('fixture index.json does not parse');
  return parsed.value;
}

function contextAt(at: Date, budget: number): SweepContext {
  const config = configFromEnv(env);
  const remaining = { remaining: budget };
  return createSweepContext({
    sweepId: `test-${at.getTime()}`,
    now: at,
    config,
    headerPolicy: parseHeaderPolicy(config),
    client: createDistClient({
      fetch: site.fetcher,
      timeoutMs: 5000,
      retries: 0,
      backoffMs: 1,
      allowedRedirectHosts: [],
      subrequestBudget: remaining,
    }),
    budget: remaining,
    pins: createKvPinStore(env.PINS),
  });
}

describe('the rotation over a sweep', () => {
  it('hashes every artifact of a new release in the first sweep that sees it', async () => {
    const newest = site.releases[0] ?? '';
    const jobs = await sweepAt(NOW);
    const ofNewest = jobs.filter((job) => job.version === newest);

    expect(ofNewest.map((job) => job.name).sort()).toEqual([...site.files(newest)].sort());
    expect(new Set(ofNewest.map((job) => job.reason))).toEqual(new Set(['new-release']));
    await hashAll(jobs, new Date(NOW.getTime() + MINUTE));
    const state = monitorStateStub(env);
    for (const name of site.files(newest)) {
      expect(await state.artifactResult(newest, name)).toMatchObject({ result: 'verified' });
    }
  });

  it('re-hashes the whole small archive the next sweep, so a tampered artifact with unchanged metadata is caught', async () => {
    const first = await sweepAt(NOW);
    await hashAll(first, new Date(NOW.getTime() + MINUTE));
    const watchedOld = site.releases[2] ?? '';
    const victim = site.files(watchedOld)[3] ?? '';
    site.tamperArtifact(watchedOld, victim);

    const second = await sweepAt(new Date(NOW.getTime() + 5 * MINUTE));
    const pinnedReleases = new Set(first.map((job) => job.version));
    expect(second.length).toBeGreaterThanOrEqual(
      [...pinnedReleases].reduce((sum, version) => sum + site.files(version).length, 0),
    );
    expect(second.find((job) => job.name === victim && job.version === watchedOld)).toMatchObject({
      reason: 'rotation',
    });
    await hashAll(second, new Date(NOW.getTime() + 6 * MINUTE));

    const url = `${BASE}/${watchedOld}/${victim}`;
    const incidents = (await incidentIndexStub(env).list({ limit: 500 })).filter(
      (incident) => incident.fingerprint === `artifact-hash-mismatch ${url}`,
    );
    expect(incidents).toHaveLength(1);
    expect(incidents[0]).toMatchObject({ severity: 'P0' });
  });
});

describe('planRotationJobs', () => {
  it('verifies and pins the manifests of releases never pinned, then plans their artifacts', async () => {
    const entries = await indexEntries();
    const oldest = entries.at(-1)?.version ?? '';
    expect(await createKvPinStore(env.PINS).getRelease(oldest)).toBeUndefined();

    const jobs = await planRotationJobs(env, contextAt(NOW, 800), entries, trust);

    expect(await createKvPinStore(env.PINS).getRelease(oldest)).toMatchObject({
      version: oldest,
      artifacts: {},
    });
    expect(
      jobs
        .filter((job) => job.version === oldest)
        .map((job) => job.name)
        .sort(),
    ).toEqual([...site.files(oldest)].sort());
    for (const job of jobs) {
      expect(job.expectedSha256).toBe(await site.expectedSha256(job.version, job.name));
    }
  });

  it('without key material pins nothing new and waits', async () => {
    const entries = await indexEntries();
    const ctx = contextAt(NOW, 800);
    await planRotationJobs(env, ctx, entries, { keys: [], unavailable: true });
    const statuses = await monitorStateStub(env).rotationManifests();
    const unpinned = statuses
      .filter((status) => status.status === 'unpinned')
      .map((s) => s.version);
    for (const version of unpinned) {
      expect(await createKvPinStore(env.PINS).getRelease(version)).toBeUndefined();
    }
    expect(ctx.client.stats().requests).toBe(0);
  });

  it('leaves the reserve of the subrequest budget untouched and says what it skipped', async () => {
    const ctx = contextAt(NOW, 20);
    const entries = await indexEntries();
    site.clearRequestLog();
    await planRotationJobs(env, ctx, entries, trust);
    expect(site.requestLog).toEqual([]);
    expect(ctx.budget.remaining).toBe(20);
    expect(ctx.skipped).toContainEqual({
      what: 'rotation manifests',
      reason: 'subrequest-budget',
      count: 1,
    });
  });

  it('does not plan an artifact again while its job is in flight', async () => {
    const entries = await indexEntries();
    const first = await planRotationJobs(env, contextAt(NOW, 800), entries, trust);
    const again = await planRotationJobs(
      env,
      contextAt(new Date(NOW.getTime() + 5 * MINUTE), 800),
      entries,
      trust,
    );
    const queued = new Set(first.map((job) => job.url));
    expect(again.filter((job) => queued.has(job.url))).toEqual([]);
  });

  it('leaves the artifacts the sweep queues itself out of the rotation', async () => {
    const entries = await indexEntries();
    const version = entries.at(-1)?.version ?? '';
    await planRotationJobs(env, contextAt(NOW, 800), entries, trust); // caches every manifest
    const later = new Date(NOW.getTime() + 2 * 60 * MINUTE);
    const ctx = contextAt(later, 800);
    const own = site.files(version)[0] ?? '';
    ctx.hashJobs.push({
      type: 'hash',
      version,
      name: own,
      url: `${BASE}/${version}/${own}`,
      expectedSha256: await site.expectedSha256(version, own),
      reason: 'metadata-changed',
      sweepId: ctx.sweepId,
    });
    const jobs = await planRotationJobs(env, ctx, entries, trust);
    expect(jobs.length).toBeGreaterThan(0);
    expect(jobs.find((job) => job.version === version && job.name === own)).toBeUndefined();
  });

  it('reports coverage per line once every file was verified', async () => {
    const entries = await indexEntries();
    const versions = entries.map((entry) => entry.version);
    let jobs = await planRotationJobs(env, contextAt(NOW, 800), entries, trust);
    await hashAll(jobs, new Date(NOW.getTime() + MINUTE));
    jobs = await planRotationJobs(
      env,
      contextAt(new Date(NOW.getTime() + 5 * MINUTE), 800),
      entries,
      trust,
    );
    await hashAll(jobs, new Date(NOW.getTime() + 6 * MINUTE));

    const coverage = await monitorStateStub(env).rotationCoverage({
      versions,
      now: new Date(NOW.getTime() + 7 * MINUTE).toISOString(),
      periodMs: WEEK_MS,
    });
    const v24 = coverage.find((line) => line.line === 'v24.x');
    const files = site.files('v24.11.1').length + site.files('v24.11.0').length;
    expect(v24).toMatchObject({ complete: true, files, verifiedWithinPeriod: files });
    expect(v24?.summary).toBe(`v24.x: all ${files} files verified within the last 7 days`);
  });
});
