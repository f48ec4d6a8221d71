/**
 * Hashing inside the sweep: with INLINE_HASH_BYTES set, a small archive's bytes are proven
 * before the sweep returns, so a tampered artifact is an incident at once; what does not fit
 * goes to the queue.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import type { HashJob } from '../src/core/hash-jobs';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { chooseInlineJobs } from '../src/jobs/hash-inline';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, type DistSite } from '../tools/dist-site/site';

const BASE = 'https://dist.test/dist';
const noWait = async () => {};

let site: DistSite;
let testEnv: MonitorEnv;
let queued: HashJob[];

beforeEach(async () => {
  site = await createDistSite({ artifactsPerRelease: 4 });
  queued = [];
  const queue = {
    send: async (body: HashJob) => void queued.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<HashJob>>) => {
      for (const message of messages) queued.push(message.body);
    },
  } as unknown as Queue;
  testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    RELEASE_KEYS: site.publicKeyArmored,
    INLINE_HASH_BYTES: String(64 * 1024 * 1024),
    HASH_QUEUE: queue,
  } as MonitorEnv;
});

async function sweep() {
  const run = await runSweep(testEnv, { trigger: 'test', fetch: site.fetcher, sleep: noWait });
  if (run.status !== 'completed') throw new Error('no sweep');
  return run.summary;
}

function job(name: string, reason: HashJob['reason'], bytes?: number): HashJob {
  return {
    type: 'hash',
    version: 'v1.0.0',
    name,
    url: `${BASE}/v1.0.0/${name}`,
    expectedSha256: 'a'.repeat(64),
    ...(bytes !== undefined && { expectedBytes: bytes }),
    reason,
    sweepId: 's',
  };
}

describe('hashing inside the sweep', () => {
  it('finds a tampered artifact before the sweep returns', async () => {
    await sweep();
    const version = 'v25.2.0';
    const file = site.files(version)[0] as string;
    site.tamperArtifact(version, file);
    const summary = await sweep();

    expect(summary.inlineMismatches).toBe(1);
    expect(summary.outcome).toBe('findings');
    const incidents = await incidentIndexStub(env).list({ limit: 100 });
    expect(incidents.map((incident) => incident.fingerprint)).toContain(
      `artifact-hash-mismatch ${BASE}/${version}/${file}`,
    );
    expect(summary.hashedInline).toBeGreaterThan(0);
    expect(summary.hashedInline ?? 0).toBeLessThanOrEqual(24);
  });

  it('takes the most urgent jobs first, only those of known size, within the byte budget', () => {
    const jobs = [
      job('rotation-a', 'rotation', 10),
      job('new-b', 'new-release', 10),
      job('changed-c', 'metadata-changed', 10),
      job('unknown-size', 'new-release'),
      job('too-big', 'new-release', 1000),
    ];
    const { inline, queued: rest } = chooseInlineJobs(jobs, { maxBytes: 25, maxJobs: 10 });
    expect(inline.map((j) => j.name)).toEqual(['changed-c', 'new-b']);
    expect(rest.map((j) => j.name).sort()).toEqual(['rotation-a', 'too-big', 'unknown-size']);
  });

  it('queues everything when INLINE_HASH_BYTES is 0', async () => {
    testEnv = { ...testEnv, INLINE_HASH_BYTES: '0' } as MonitorEnv;
    const summary = await sweep();
    expect(summary.hashedInline).toBe(0);
    expect(queued.length).toBe(summary.hashJobsQueued);
    expect(queued.length).toBeGreaterThan(0);
  });
});
