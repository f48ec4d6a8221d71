import {
  createExecutionContext,
  createMessageBatch,
  env,
  getQueueResult,
  type MessageBatchMessage,
} from 'cloudflare:test';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { HashJob } from '../src/core/hash-jobs';
import { incidentIndexStub, incidentStubFor } from '../src/durable/incident-stubs';
import { monitorStateStub } from '../src/durable/monitor-state';
import {
  handleDeadLetterBatch,
  handleHashBatch,
  handleQueueBatch,
  HASH_DEAD_LETTER_QUEUE,
} from '../src/jobs/hash-consumer';
import { createDistSite, type DistSite } from '../tools/dist-site/site';

const NOW = new Date('2026-11-20T10:00:00Z');
const BASE = 'https://dist.test/dist';
const VERSION = 'v24.11.1';
const MIB = 1024 * 1024;
const BIG = `node-${VERSION}-linux-x64.tar.xz`;
const BIG_SIZE = 32 * MIB;
const HASH_QUEUE = 'dist-monitor-hash';
const noWait = async () => {};

let site: DistSite;
let sequence = 0;

beforeAll(async () => {
  site = await createDistSite({
    now: NOW,
    releases: [{ version: VERSION, date: '2026-11-08', lts: 'Krypton', security: false }],
    artifactsPerRelease: 20,
    artifactSize: (_version, file) => (file === BIG ? BIG_SIZE : 8 * 1024 + file.length),
  });
  await site.warm();
});

afterEach(() => {
  site.reset();
  vi.restoreAllMocks();
});

/** A job for the n-th artifact of the release, as the sweep would queue it. */
async function jobFor(file: string, overrides: Partial<HashJob> = {}): Promise<HashJob> {
  return {
    type: 'hash',
    version: VERSION,
    name: file,
    url: `${BASE}/${VERSION}/${file}`,
    expectedSha256: await site.expectedSha256(VERSION, file),
    expectedBytes: file === BIG ? BIG_SIZE : 8 * 1024 + file.length,
    reason: 'rotation',
    sweepId: 'test-sweep-1',
    ...overrides,
  };
}

function fileNumber(n: number): string {
  const file = site.files(VERSION)[n];
  if (file === undefined) throw new Error(`no file ${n}`);
  return file;
}

function batchOf(bodies: readonly unknown[], options: { queue?: string; attempts?: number } = {}) {
  const messages: MessageBatchMessage[] = bodies.map((body) => ({
    id: `message-${(sequence += 1)}`,
    timestamp: NOW,
    attempts: options.attempts ?? 1,
    body,
  }));
  return {
    batch: createMessageBatch(options.queue ?? HASH_QUEUE, messages),
    ids: messages.map((m) => m.id),
  };
}

/**
 * The delays the handler asked for: the pool's getQueueResult records retries but not their
 * delaySeconds, so retry() is observed on each message.
 */
function retryDelays(batch: MessageBatch): (number | undefined)[] {
  const delays: (number | undefined)[] = [];
  for (const message of batch.messages) {
    const retry = message.retry.bind(message);
    vi.spyOn(message, 'retry').mockImplementation((options?: QueueRetryOptions) => {
      delays.push(options?.delaySeconds);
      retry(options);
    });
  }
  return delays;
}

async function incidentsFor(kind: string, url: string) {
  const all = await incidentIndexStub(env).list({ limit: 500 });
  return all.filter((incident) => incident.fingerprint === `${kind} ${url}`);
}

/** A fetch that cuts the body of `url` short (after 1 KiB) the first `times` times. */
function truncating(url: string, times: number): typeof fetch {
  let left = times;
  return async (input, init) => {
    const response = await site.fetcher(input, init);
    const requested = input instanceof Request ? input.url : String(input);
    if (requested !== url || left <= 0 || response.body === null) return response;
    left -= 1;
    const reader = response.body.getReader();
    const first = await reader.read();
    void reader.cancel();
    const cut = new ReadableStream<Uint8Array>({
      start(controller) {
        if (!first.done) controller.enqueue(first.value.subarray(0, 1024));
        controller.close();
      },
    });
    return new Response(cut, { status: response.status, headers: response.headers });
  };
}

describe('handleHashBatch', () => {
  it('records a clean artifact as verified and acks it', async () => {
    const job = await jobFor(fileNumber(1));
    const { batch, ids } = batchOf([job]);
    const report = await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
    const result = await getQueueResult(batch, createExecutionContext());

    expect(report.verified).toBe(1);
    expect(result.explicitAcks).toEqual(ids);
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toMatchObject({
      result: 'verified',
      bytes: job.expectedBytes,
    });
  });

  it('reports one flipped byte in a 32 MiB artifact as a P0 artifact-hash-mismatch with both hashes and sizes', async () => {
    site.tamperArtifact(VERSION, BIG);
    const job = await jobFor(BIG);
    const { batch, ids } = batchOf([job]);
    const report = await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
    const result = await getQueueResult(batch, createExecutionContext());

    expect(report.mismatched).toBe(1);
    expect(result.explicitAcks).toEqual(ids);
    const [incident] = await incidentsFor('artifact-hash-mismatch', job.url);
    expect(incident).toMatchObject({ kind: 'artifact-hash-mismatch', severity: 'P0' });
    const state = monitorStateStub(env);
    expect(await state.artifactResult(VERSION, BIG)).toMatchObject({
      result: 'mismatch',
      bytes: BIG_SIZE,
    });
    const detail = await incidentStubFor(env, `artifact-hash-mismatch ${job.url}`).get();
    if (!detail.ok) throw new Error('incident not found');
    expect(detail.value.incident.expected).toBe(`sha256 ${job.expectedSha256}, ${BIG_SIZE} bytes`);
    expect(detail.value.incident.observed).toMatch(
      new RegExp(`^sha256 [0-9a-f]{64}, ${BIG_SIZE} bytes$`),
    );
    expect(detail.value.incident.observed).not.toContain(job.expectedSha256);
  });

  it('keeps a mismatch that only the cache serves a P0 artifact-hash-mismatch (users get those bytes) and adds cache-poisoned', async () => {
    const job = await jobFor(fileNumber(3));
    site.poisonCache(`/dist/${VERSION}/${job.name}`);
    const { batch } = batchOf([job]);
    await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });

    const [mismatch] = await incidentsFor('artifact-hash-mismatch', job.url);
    expect(mismatch).toMatchObject({ kind: 'artifact-hash-mismatch', severity: 'P0' });
    const [incident] = await incidentsFor('cache-poisoned', job.url);
    expect(incident).toMatchObject({ kind: 'cache-poisoned', severity: 'P1' });
    const detail = await incidentStubFor(env, `artifact-hash-mismatch ${job.url}`).get();
    if (!detail.ok) throw new Error('incident not found');
    expect(detail.value.incident.summary).toContain('purging the cache');
  });

  it('hashes the plain URL users download, not the cache-bypassing one', async () => {
    const job = await jobFor(fileNumber(4));
    site.clearRequestLog();
    const { batch } = batchOf([job]);
    await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
    expect(site.requestLog.map((entry) => `${entry.method} ${entry.url}`)).toEqual([
      `GET ${job.url}`,
    ]);
  });

  it('retries a body cut short once and verifies it without a finding', async () => {
    const job = await jobFor(fileNumber(2));
    const fetcher = vi.fn(truncating(job.url, 1));
    const { batch, ids } = batchOf([job]);
    await handleHashBatch(batch, env, { fetch: fetcher, sleep: noWait });
    const result = await getQueueResult(batch, createExecutionContext());

    expect(fetcher).toHaveBeenCalledTimes(2);
    expect(result.explicitAcks).toEqual(ids);
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toMatchObject({
      result: 'verified',
    });
    expect(await incidentsFor('artifact-hash-mismatch', job.url)).toEqual([]);
  });

  it('hands a delivery whose every attempt is cut short back to the queue with a delay, then verifies the redelivery', async () => {
    const job = await jobFor(fileNumber(3));
    const first = batchOf([job]);
    const delays = retryDelays(first.batch);
    await handleHashBatch(first.batch, env, { fetch: truncating(job.url, 2), sleep: noWait });
    const firstResult = await getQueueResult(first.batch, createExecutionContext());
    expect(firstResult.explicitAcks).toEqual([]);
    expect(firstResult.retryMessages).toEqual([{ msgId: first.ids[0] }]);
    expect(delays).toEqual([30]);
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toBeUndefined();

    const second = batchOf([job], { attempts: 2 });
    await handleHashBatch(second.batch, env, { fetch: site.fetcher, sleep: noWait });
    expect((await getQueueResult(second.batch, createExecutionContext())).explicitAcks).toEqual(
      second.ids,
    );
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toMatchObject({
      result: 'verified',
    });
    expect(await incidentsFor('artifact-hash-mismatch', job.url)).toEqual([]);
  });

  it('retries a job that keeps failing with growing delays, and the dead-letter queue makes it artifact-unverifiable', async () => {
    site.down();
    const job = await jobFor(fileNumber(4));
    const delays: (number | undefined)[] = [];
    for (const attempts of [1, 2, 3, 4, 5, 6]) {
      const { batch, ids } = batchOf([job], { attempts });
      const asked = retryDelays(batch);
      await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
      const result = await getQueueResult(batch, createExecutionContext());
      expect(result.explicitAcks).toEqual([]);
      expect(result.retryMessages).toEqual([{ msgId: ids[0] }]);
      delays.push(...asked);
    }
    expect(delays).toEqual([60, 60, 120, 240, 480, 600]);
    expect(await incidentsFor('artifact-hash-mismatch', job.url)).toEqual([]);

    const dead = batchOf([job], { queue: HASH_DEAD_LETTER_QUEUE });
    const ctx = createExecutionContext();
    await handleQueueBatch(dead.batch, env, ctx);
    expect((await getQueueResult(dead.batch, ctx)).explicitAcks).toEqual(dead.ids);
    const [incident] = await incidentsFor('artifact-unverifiable', job.url);
    expect(incident).toMatchObject({ kind: 'artifact-unverifiable', severity: 'P2' });
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toMatchObject({
      result: 'unverifiable',
    });
  });

  it('opens one incident for a mismatch delivered twice', async () => {
    site.tamperArtifact(VERSION, fileNumber(5), 100);
    const job = await jobFor(fileNumber(5));
    for (const attempts of [1, 1]) {
      const { batch, ids } = batchOf([job], { attempts });
      await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
      expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(ids);
    }
    const incidents = await incidentsFor('artifact-hash-mismatch', job.url);
    expect(incidents).toHaveLength(1);
  });

  it('acks malformed messages and messages for other hosts without fetching, and still hashes the good one', async () => {
    const good = await jobFor(fileNumber(6));
    const foreign = { ...good, url: 'https://evil.example/dist/v24.11.1/x' };
    const fetcher = vi.fn(site.fetcher);
    const { batch, ids } = batchOf([
      'hello',
      null,
      42,
      { type: 'hash' },
      { ...good, expectedSha256: 'XYZ' },
      foreign,
      good,
    ]);
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const report = await handleHashBatch(batch, env, { fetch: fetcher, sleep: noWait });
    const result = await getQueueResult(batch, createExecutionContext());

    expect(report).toMatchObject({ malformed: 6, verified: 1 });
    expect(result.explicitAcks.sort()).toEqual([...ids].sort());
    expect(fetcher).toHaveBeenCalledTimes(1);
  });

  it('acks a job whose artifact is gone (404) and records nothing', async () => {
    const job = await jobFor(fileNumber(7));
    site.dropFile(`${VERSION}/${job.name}`);
    const { batch, ids } = batchOf([job]);
    const report = await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });

    expect(report.gone).toBe(1);
    expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toEqual(ids);
    expect(await monitorStateStub(env).artifactResult(VERSION, job.name)).toBeUndefined();
  });
});

describe('handleDeadLetterBatch', () => {
  it('names the last failure in the unverifiable finding', async () => {
    site.down();
    const job = await jobFor(fileNumber(8));
    const { batch } = batchOf([job], { attempts: 6 });
    await handleHashBatch(batch, env, { fetch: site.fetcher, sleep: noWait });
    expect(await monitorStateStub(env).lastHashFailure(VERSION, job.name)).toMatchObject({
      error: expect.stringContaining('HTTP 503'),
    });

    const dead = batchOf([job], { queue: HASH_DEAD_LETTER_QUEUE });
    const outcome = await handleDeadLetterBatch(dead.batch, env);
    expect(outcome).toEqual({ unverifiable: 1, malformed: 0 });
    const detail = await incidentStubFor(env, `artifact-unverifiable ${job.url}`).get();
    if (!detail.ok) throw new Error('incident not found');
    expect(detail.value.incident.summary).toContain('HTTP 503');
  });

  it('acks a malformed dead letter without a finding', async () => {
    vi.spyOn(console, 'warn').mockImplementation(() => {});
    const dead = batchOf([{ nonsense: true }], { queue: HASH_DEAD_LETTER_QUEUE });
    const outcome = await handleDeadLetterBatch(dead.batch, env);
    expect(outcome).toEqual({ unverifiable: 0, malformed: 1 });
    expect((await getQueueResult(dead.batch, createExecutionContext())).explicitAcks).toEqual(
      dead.ids,
    );
  });
});
