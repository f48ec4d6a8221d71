/**
 * Faults in the monitor's own parts: KV, R2, Durable Object eviction, queue redelivery, alert
 * endpoints that are down for an hour, Sentry unreachable, and the Cloudflare purge API
 * answering 429 and 5xx. For each the promise is the same: nothing lost (every finding
 * reaches its incident, every step and alert is done or marked failed and escalated),
 * nothing doubled (one incident, one delivery, one evidence object), and every failure
 * visible in the incident timeline, the sweep summary or the metrics.
 *
 * Faults already proven elsewhere are not repeated here; docs/reliability.md lists them.
 */
import {
  createExecutionContext,
  createMessageBatch,
  createScheduledController,
  env,
  evictDurableObject,
  getQueueResult,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
  type MessageBatchMessage,
} from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import worker from '../src/index';
import { createAlertChannels } from '../src/adapters/alert-channels';
import { releasePinKey, type ReleasePin } from '../src/adapters/pin-store';
import { sha256Hex } from '../src/core/digest';
import type { Finding } from '../src/core/findings';
import type { HashJob } from '../src/core/hash-jobs';
import { ROTATION_IN_FLIGHT_MS } from '../src/core/rotation-plan';
import type { IncidentDetail, TimelineEntry } from '../src/core/incident';
import type { IncidentObject } from '../src/durable/incident-object';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import { monitorStateStub } from '../src/durable/monitor-state';
import type { MonitorEnv } from '../src/env';
import { handleHashBatch } from '../src/jobs/hash-consumer';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { ALICE_TOKEN, call } from './http-helpers';
import {
  failingFirst,
  installIncidentDependencies,
  makeFinding,
  MINUTE,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
  uniqueUrl,
  type IncidentStub,
} from './incident-helpers';

const BASE = 'https://dist.test/dist';
const NEWEST = 'v25.2.0';
const OLDER = 'v24.11.1';
const SLACK = 'https://hooks.slack.com/services/T000/B000/faultsSecretPath';
const RECEIVER = 'https://receiver.test/hooks/faults-secret';
const WEBHOOK = 'webhook:receiver.test';
const WEBHOOK_SECRET = `whsec_${btoa('f'.repeat(32))}`;
const SENTRY_DSN = 'https://publickey123@sentry.test/42';
const ZONE = '0123456789abcdef0123456789abcdef';
const ENFORCE = {
  CONTAINMENT_MODE: 'enforce',
  CLOUDFLARE_API_TOKEN: 'test-token',
  CLOUDFLARE_ZONE_ID: ZONE,
};
const GOOD_BYTES = 'the signed bytes';
const noWait = async () => {};

let site: DistSite;
let siteEnv: MonitorEnv;

beforeEach(async () => {
  site = await createDistSite({ artifactsPerRelease: 4 });
  await site.warm();
  siteEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '1',
    PROBE_REGIONS: '',
  } as MonitorEnv;
});

afterEach(() => {
  vi.restoreAllMocks();
  resetIncidentDependencies();
});

// ---------------------------------------------------------------------------------------
// Fault injection

/** A binding whose `put` throws for the first `failures` calls (all of them by default). */
function failingPuts<T extends object>(binding: T, failures = Infinity, error = 'PUT failed: 503') {
  const state = { attempts: 0 };
  const wrapped = new Proxy(binding, {
    get(target, prop) {
      const value = (target as Record<PropertyKey, unknown>)[prop];
      if (prop !== 'put' || typeof value !== 'function') {
        return typeof value === 'function' ? value.bind(target) : value;
      }
      return (...args: unknown[]) => {
        state.attempts += 1;
        if (state.attempts <= failures) return Promise.reject(new Error(error));
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { binding: wrapped, state };
}

async function sweepWith(vars: Partial<MonitorEnv> = {}, at?: Date) {
  const run = await runSweep({ ...siteEnv, ...vars } as MonitorEnv, {
    trigger: 'test',
    fetch: site.fetcher,
    sleep: noWait,
    ...(at !== undefined && { now: () => at }),
  });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return run;
}

async function pinKeys(): Promise<string[]> {
  return (await env.PINS.list({ prefix: 'pin:release:' })).keys.map((key) => key.name).sort();
}

async function detailOf(stub: IncidentStub): Promise<IncidentDetail> {
  const detail = await stub.get();
  if (!detail.ok) throw new Error('no incident');
  return detail.value;
}

const messages = (timeline: readonly TimelineEntry[]) => timeline.map((entry) => entry.message);

async function outboxRows(stub: IncidentStub) {
  return runInDurableObject(stub as DurableObjectStub<IncidentObject>, (_i, state) =>
    state.storage.sql
      .exec<{ channel: string; event: string; status: string; attempts: number }>(
        'SELECT channel, event, status, attempts FROM outbox ORDER BY id',
      )
      .toArray(),
  );
}

// ---------------------------------------------------------------------------------------

describe('KV write failures', () => {
  it('a sweep whose pin writes fail still finishes, reports its findings, and the next sweep pins', async () => {
    const missing = site.files(NEWEST)[1] as string;
    site.dropFile(`${NEWEST}/${missing}`);
    const pins = failingPuts(env.PINS);

    const faulty = await sweepWith({ PINS: pins.binding as KVNamespace });

    expect(faulty.summary.outcome).toBe('findings');
    expect(faulty.summary.error).toBeUndefined();
    expect((await monitorStateStub(env).latestSweep())?.id).toBe(faulty.summary.id);
    expect(faulty.summary.skipped).toEqual(
      expect.arrayContaining([
        { what: `pin ${NEWEST}`, reason: 'pin-store-unavailable', count: 1 },
        { what: `pin ${OLDER}`, reason: 'pin-store-unavailable', count: 1 },
      ]),
    );
    expect(faulty.findings.map((finding) => finding.kind)).toEqual(['artifact-missing']);
    expect(faulty.summary.hashJobsQueued).toBeGreaterThan(0);
    expect(pins.state.attempts).toBeGreaterThan(0);
    expect(await pinKeys()).toEqual([]);
    const [incident] = await incidentIndexStub(env).list({});
    expect(incident).toMatchObject({ kind: 'artifact-missing' });
    expect((await detailOf(stubOf(incident!))).incident.count).toBe(1);

    const healed = await sweepWith();
    expect(healed.summary.skipped.filter((s) => s.reason === 'pin-store-unavailable')).toEqual([]);
    expect(await pinKeys()).toEqual(
      expect.arrayContaining([releasePinKey(NEWEST), releasePinKey(OLDER)]),
    );
    const pin = await env.PINS.get<ReleasePin>(releasePinKey(NEWEST), 'json');
    expect(Object.keys(pin?.artifacts ?? {}).sort()).toEqual(
      site
        .files(NEWEST)
        .filter((file) => file !== missing)
        .sort(),
    );
    const incidents = await incidentIndexStub(env).list({});
    expect(incidents.map((i) => i.id)).toEqual([incident!.id]);
    expect((await detailOf(stubOf(incident!))).incident.count).toBe(2);

    await sweepWith();
    expect((await env.PINS.get<ReleasePin>(releasePinKey(NEWEST), 'json'))?.pinnedAt).toBe(
      pin?.pinnedAt,
    );
  });

  it('a quarantine flag that KV refuses twice is retried, then written once', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    const quarantine = failingPuts(env.QUARANTINE, 2, 'KV PUT failed: 503');
    installIncidentDependencies({
      clock,
      channels: [slack],
      vars: ENFORCE,
      deps: {
        env: (base) => ({ ...base, ...ENFORCE, QUARANTINE: quarantine.binding as KVNamespace }),
      },
    });
    mockCloudflareAndSite();
    const subject = uniqueUrl();
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      subject,
      expected: await sha256Hex(GOOD_BYTES),
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    for (let i = 0; i < 6; i += 1) {
      await runAlarms(stub);
      clock.advance(5 * MINUTE);
    }

    const detail = await detailOf(stub);
    expect(detail.playbook.find((s) => s.step === 'quarantine')).toMatchObject({
      status: 'done',
      attempts: 3,
    });
    const retries = messages(detail.timeline).filter((m) => m.startsWith('quarantine attempt'));
    expect(retries).toHaveLength(2);
    expect(retries[0]).toMatch(/retry in \d+ s: quarantine threw: QuarantineStoreError/);
    expect(await env.QUARANTINE.get(`quarantine:${new URL(subject).pathname}`, 'json')).toEqual(
      expect.objectContaining({ incidentId: detail.incident.id }),
    );
    expect(quarantine.state.attempts).toBe(3);
    expect(detail.incident.state).toBe('contained');
  });
});

describe('queue send failures', () => {
  it('a sweep whose hash jobs cannot be queued still reports its findings, and the jobs are planned again within the hour', async () => {
    const missing = site.files(NEWEST)[1] as string;
    site.dropFile(`${NEWEST}/${missing}`);
    const refused = (): Promise<never> => Promise.reject(new Error('Queue send failed: 500'));
    const queue = { send: refused, sendBatch: refused } as unknown as Queue;

    const faulty = await sweepWith({ HASH_QUEUE: queue });

    expect(faulty.summary.outcome).toBe('findings');
    expect(faulty.summary.hashJobsQueued).toBe(0);
    expect(faulty.summary.skipped).toContainEqual(
      expect.objectContaining({ what: 'hash jobs', reason: 'queue-unavailable' }),
    );
    const [incident] = await incidentIndexStub(env).list({});
    expect(incident).toMatchObject({ kind: 'artifact-missing' });

    // Planned jobs count as in flight for an hour (ROTATION_IN_FLIGHT_MS), queued or not.
    const skippedJobs = faulty.summary.skipped.find((s) => s.reason === 'queue-unavailable');
    const healed = await sweepWith({}, new Date(Date.now() + ROTATION_IN_FLIGHT_MS + MINUTE));
    expect(healed.summary.hashJobsQueued).toBeGreaterThanOrEqual(skippedJobs!.count);
    expect(healed.summary.skipped.filter((s) => s.reason === 'queue-unavailable')).toEqual([]);
  });
});

describe('R2 write failures', () => {
  it('evidence that R2 refuses is retried, then marked failed and escalated, and the playbook goes on', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    const evidence = failingPuts(env.EVIDENCE, Infinity, 'R2 PUT failed: 500 InternalError');
    installIncidentDependencies({
      clock,
      channels: [slack],
      deps: { env: (base) => ({ ...base, EVIDENCE: evidence.binding as R2Bucket }) },
    });
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      expected: 'a'.repeat(64),
      observed: 'b'.repeat(64),
      evidence: { bodyBase64: btoa('tampered bytes') },
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    for (let i = 0; i < 8; i += 1) {
      await runAlarms(stub);
      clock.advance(20 * MINUTE);
    }

    const detail = await detailOf(stub);
    expect(detail.playbook.map((s) => [s.step, s.status, s.attempts])).toEqual([
      ['capture-evidence', 'failed', 5],
      ['quarantine', 'done', 1],
      ['purge-cache', 'done', 1],
      ['reverify', 'done', 1],
      ['post-status', 'done', 1],
    ]);
    const lines = messages(detail.timeline);
    expect(lines.filter((m) => m.startsWith('capture-evidence attempt'))).toHaveLength(4);
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^capture-evidence failed: gave up after 5 attempts: .*EvidenceStoreError/,
      ),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(/^Escalation level 1: containment step capture-evidence failed/),
    );
    const escalated = slack.delivered.filter((d) => d.message.event === 'escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]?.message.detail).toContain('capture-evidence failed');
    expect((await env.EVIDENCE.list({ prefix: 'evidence/' })).objects).toEqual([]);
  });
});

describe('Durable Object eviction', () => {
  it('evicted after every alarm run, an incident runs each step and delivers each alert once', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack', failingFirst(1, 'HTTP 503'));
    const evidence = failingPuts(env.EVIDENCE, 2, 'R2 PUT failed: 500 InternalError');
    installIncidentDependencies({
      clock,
      channels: [slack],
      deps: { env: (base) => ({ ...base, EVIDENCE: evidence.binding as R2Bucket }) },
    });
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      expected: 'a'.repeat(64),
      observed: 'b'.repeat(64),
      evidence: { bodyBase64: btoa('tampered bytes') },
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await evictDurableObject(stub);

    let runs = 0;
    for (let i = 0; i < 30; i += 1) {
      if (await runDurableObjectAlarm(stub)) runs += 1;
      await evictDurableObject(stub);
      clock.advance(MINUTE);
    }

    expect(runs).toBeGreaterThan(2);
    const detail = await detailOf(stub);
    expect(detail.playbook.map((s) => [s.step, s.status, s.attempts])).toEqual([
      ['capture-evidence', 'done', 3],
      ['quarantine', 'done', 1],
      ['purge-cache', 'done', 1],
      ['reverify', 'done', 1],
      ['post-status', 'done', 1],
    ]);
    const lines = messages(detail.timeline);
    for (const step of ['quarantine', 'purge-cache', 'reverify', 'post-status']) {
      expect(lines.filter((m) => m.startsWith(`Running ${step} `))).toHaveLength(1);
    }
    expect(slack.delivered.filter((d) => d.message.event === 'opened')).toHaveLength(1);
    expect(
      slack.attempts.filter((a) => a.message.event === 'opened').map((a) => a.ctx.attempt),
    ).toEqual([1, 2]);
    const stored = (await env.EVIDENCE.list({ prefix: 'evidence/' })).objects.map((o) => o.key);
    expect(stored.sort()).toEqual([...detail.evidenceKeys].sort());
    expect(stored).toHaveLength(2);
  });
});

describe('queue redelivery', () => {
  const jobFor = async (file: string): Promise<HashJob> => ({
    type: 'hash',
    version: OLDER,
    name: file,
    url: `${BASE}/${OLDER}/${file}`,
    expectedSha256: await site.expectedSha256(OLDER, file),
    reason: 'rotation',
    sweepId: 'sweep-redelivery',
  });

  let sequence = 0;
  function deliver(job: HashJob, attempts: number, id?: string) {
    const message: MessageBatchMessage = {
      id: id ?? `redelivery-${(sequence += 1)}`,
      timestamp: new Date(),
      attempts,
      body: job,
    };
    return createMessageBatch('dist-monitor-hash', [message]);
  }

  it('the same job delivered again gives the same result, one incident, one alert', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack] });
    const [clean, tampered] = site.files(OLDER) as [string, string];
    site.tamperArtifact(OLDER, tampered);
    const jobs = [await jobFor(clean), await jobFor(tampered)];
    const state = monitorStateStub(env);

    const first = [deliver(jobs[0]!, 1, 'clean-1'), deliver(jobs[1]!, 1, 'tampered-1')];
    for (const batch of first) await handleHashBatch(batch, siteEnv, { fetch: site.fetcher });
    const verifiedBytes = await state.verifiedBytes();
    const results = [
      await state.artifactResult(OLDER, clean),
      await state.artifactResult(OLDER, tampered),
    ];

    // The acks were lost: the queue delivers both messages again.
    const again = [deliver(jobs[0]!, 2, 'clean-1'), deliver(jobs[1]!, 2, 'tampered-1')];
    for (const batch of again) {
      await handleHashBatch(batch, siteEnv, { fetch: site.fetcher });
      expect((await getQueueResult(batch, createExecutionContext())).explicitAcks).toHaveLength(1);
    }

    expect(await state.verifiedBytes()).toBe(verifiedBytes);
    expect(results.map((r) => r?.result)).toEqual(['verified', 'mismatch']);
    expect((await state.artifactResult(OLDER, tampered))?.result).toBe('mismatch');
    const incidents = await incidentIndexStub(env).list({});
    expect(incidents).toEqual([expect.objectContaining({ kind: 'artifact-hash-mismatch' })]);
    const stub = stubOf(incidents[0]!);
    expect((await detailOf(stub)).incident.count).toBe(1);
    await runAlarms(stub);
    expect(slack.events().filter((event) => event === 'opened')).toHaveLength(1);
  });

  it('a result that could not be recorded is retried, not acked, and recorded by the redelivery', async () => {
    const [, tampered] = site.files(OLDER) as [string, string];
    site.tamperArtifact(OLDER, tampered);
    const job = await jobFor(tampered);
    const broken = {
      ...siteEnv,
      MONITOR_STATE: {
        idFromName: (name: string) => env.MONITOR_STATE.idFromName(name),
        get: () => ({
          recordArtifactResults: () => Promise.reject(new Error('Durable Object is overloaded')),
        }),
      },
    } as unknown as MonitorEnv;
    vi.spyOn(console, 'error').mockImplementation(() => {});

    const lost = deliver(job, 1, 'tampered-lost');
    await handleHashBatch(lost, broken, { fetch: site.fetcher, sleep: noWait });
    const first = await getQueueResult(lost, createExecutionContext());
    expect(first.explicitAcks).toEqual([]);
    expect(first.retryMessages).toEqual([expect.objectContaining({ msgId: 'tampered-lost' })]);
    expect(await incidentIndexStub(env).list({})).toEqual([]);

    const redelivered = deliver(job, 2, 'tampered-lost');
    await handleHashBatch(redelivered, siteEnv, { fetch: site.fetcher, sleep: noWait });
    expect((await getQueueResult(redelivered, createExecutionContext())).explicitAcks).toEqual([
      'tampered-lost',
    ]);
    expect((await monitorStateStub(env).artifactResult(OLDER, tampered))?.result).toBe('mismatch');
    const incidents = await incidentIndexStub(env).list({});
    expect(incidents).toEqual([expect.objectContaining({ kind: 'artifact-hash-mismatch' })]);
    expect((await detailOf(stubOf(incidents[0]!))).incident.count).toBe(1);
  });
});

describe('an alert endpoint down for an hour', () => {
  /** Slack and one webhook receiver; each answers 503 until its `downUntil`, then 200. */
  function endpoints(clock: TestClock, downUntil: { slack: number; webhook: number }) {
    const seen: Record<'slack' | 'webhook', { at: number; status: number; body: string }[]> = {
      slack: [],
      webhook: [],
    };
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      const which = request.url === SLACK ? 'slack' : request.url === RECEIVER ? 'webhook' : null;
      if (which === null) return new Response('unexpected', { status: 599 });
      const status = clock.now < downUntil[which] ? 503 : 200;
      seen[which].push({ at: clock.now, status, body: await request.text() });
      return new Response(status === 200 ? 'ok' : 'upstream connect error', { status });
    });
    return seen;
  }

  function install(clock: TestClock) {
    installIncidentDependencies({
      clock,
      channels: [],
      vars: {
        SLACK_WEBHOOK_URL: SLACK,
        ALERT_WEBHOOK_URLS: RECEIVER,
        ALERT_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
      deps: { channels: (base) => createAlertChannels(base, { transport: { timeoutMs: 50 } }) },
    });
  }

  /** Runs the alarms minute by minute, as the platform would fire them. */
  async function live(stub: IncidentStub, clock: TestClock, minutes: number) {
    for (let minute = 0; minute < minutes; minute += 1) {
      await runAlarms(stub);
      clock.advance(MINUTE);
    }
  }

  it('Slack down for an hour: retried to the budget of 8, then delivery-failed on the webhook', async () => {
    const clock = new TestClock();
    const start = clock.now;
    const seen = endpoints(clock, { slack: start + 60 * MINUTE, webhook: 0 });
    install(clock);
    // P2: no escalation within the hour, so the only alerts are the opening and its failure.
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await live(stub, clock, 70);

    expect(seen.slack).toHaveLength(8);
    expect(seen.slack.every((attempt) => attempt.status === 503)).toBe(true);
    const gaps = seen.slack.slice(1).map((attempt, i) => attempt.at - seen.slack[i]!.at);
    expect(gaps).toEqual([...gaps].sort((a, b) => a - b));
    expect(await outboxRows(stub)).toEqual([
      { channel: 'slack', event: 'opened', status: 'failed', attempts: 8 },
      { channel: WEBHOOK, event: 'opened', status: 'delivered', attempts: 1 },
      { channel: WEBHOOK, event: 'delivery-failed', status: 'delivered', attempts: 1 },
    ]);
    const failure = JSON.parse(seen.webhook[1]!.body) as {
      type: string;
      data: { detail: string };
    };
    expect(failure.type).toBe('incident.delivery-failed');
    expect(failure.data.detail).toContain('could not be delivered to slack');

    const lines = messages((await detailOf(stub)).timeline);
    expect(
      lines.filter((m) => /^Attempt \d of opened alert failed; retry in/.test(m)),
    ).toHaveLength(7);
    expect(lines).toContainEqual(
      expect.stringMatching(/^opened alert failed: retry budget of 8 attempts exhausted: HTTP 503/),
    );
    expect(lines.join('\n')).not.toContain('faultsSecretPath');

    const metrics = await (await call('/metrics', { token: ALICE_TOKEN })).text();
    expect(metrics).toContain('dist_monitor_alert_messages{channel="slack",status="failed"} 1');
  });

  it('a webhook back within the budget gets each alert exactly once, and nothing is reported failed', async () => {
    const clock = new TestClock();
    const seen = endpoints(clock, { slack: 0, webhook: clock.now + 10 * MINUTE });
    install(clock);
    const finding = makeFinding({ kind: 'latency-degraded' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await live(stub, clock, 60);

    const delivered = seen.webhook.filter((attempt) => attempt.status === 200);
    expect(delivered).toHaveLength(1);
    expect(seen.webhook.length).toBeGreaterThan(2);
    const rows = await outboxRows(stub);
    expect(rows).toEqual([
      { channel: 'slack', event: 'opened', status: 'delivered', attempts: 1 },
      { channel: WEBHOOK, event: 'opened', status: 'delivered', attempts: seen.webhook.length },
    ]);
    const lines = messages((await detailOf(stub)).timeline);
    expect(lines).toContain(`Delivered opened alert (attempt ${seen.webhook.length})`);
  });
});

describe('Sentry unreachable', () => {
  it('the cron sweep still finishes and opens its incident, and nothing is thrown out of a handler', async () => {
    const clock = new TestClock();
    installIncidentDependencies({
      clock,
      channels: [],
      vars: { SENTRY_DSN },
      deps: { channels: (base) => createAlertChannels(base, { transport: { timeoutMs: 50 } }) },
    });
    const missing = site.files(NEWEST)[2] as string;
    site.dropFile(`${NEWEST}/${missing}`);
    const toSentry: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith('https://sentry.test/')) {
        toSentry.push(request.url);
        throw new TypeError('Network connection lost.');
      }
      if (request.url.startsWith(`${BASE}/`)) return site.fetcher(request);
      return new Response('unexpected', { status: 599 });
    });
    const workerEnv = { ...siteEnv, SENTRY_DSN } as MonitorEnv;
    const handler = worker as unknown as Required<
      Pick<ExportedHandler<MonitorEnv>, 'fetch' | 'scheduled'>
    >;

    const ctx = createExecutionContext();
    await expect(
      handler.scheduled(createScheduledController({ cron: '*/5 * * * *' }), workerEnv, ctx),
    ).resolves.toBeUndefined();
    await waitOnExecutionContext(ctx);

    const latest = await monitorStateStub(env).latestSweep();
    expect(latest).toMatchObject({ outcome: 'findings', findingKinds: ['artifact-missing'] });
    const [incident] = await incidentIndexStub(env).list({});
    expect(incident).toMatchObject({ kind: 'artifact-missing' });
    expect(toSentry.length).toBeGreaterThan(0);

    const stub = stubOf(incident!);
    await runAlarms(stub);
    expect(await outboxRows(stub)).toEqual([
      { channel: 'sentry', event: 'opened', status: 'pending', attempts: 1 },
    ]);
    expect(messages((await detailOf(stub)).timeline)).toContainEqual(
      expect.stringMatching(
        /^Attempt 1 of opened alert failed; retry in \d+ s: network error: TypeError: Network connection lost\./,
      ),
    );

    for (const path of ['/', '/api/status', '/healthz']) {
      const context = createExecutionContext();
      const response = await handler.fetch(
        new Request(`https://monitor.test${path}`) as Request<unknown, IncomingRequestCfProperties>,
        workerEnv,
        context,
      );
      await waitOnExecutionContext(context);
      expect(response.status, path).toBe(200);
    }
  });
});

describe('the Cloudflare purge API failing', () => {
  function purgeApi(clock: TestClock, answers: (() => Response)[], fallback: () => Response) {
    const calls: number[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith('https://api.cloudflare.com/')) {
        calls.push(clock.now);
        return (answers.shift() ?? fallback)();
      }
      if (request.url.startsWith('https://dist.test/'))
        return new Response(request.method === 'HEAD' ? null : GOOD_BYTES);
      return new Response('unexpected', { status: 599 });
    });
    return { calls };
  }

  async function poisoned(): Promise<Finding> {
    return makeFinding({ kind: 'cache-poisoned', expected: await sha256Hex(GOOD_BYTES) });
  }

  it('waits out a 429 Retry-After, retries 500 and 503, then purges and contains', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack], vars: ENFORCE });
    const api = purgeApi(
      clock,
      [
        () => new Response('{"success":false}', { status: 429, headers: { 'retry-after': '90' } }),
        () =>
          new Response('{"success":false,"errors":[{"code":10000,"message":"oops"}]}', {
            status: 500,
          }),
        () => new Response('bad gateway', { status: 503 }),
      ],
      () => Response.json({ success: true, errors: [] }),
    );
    const finding = await poisoned();
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    const start = clock.now;
    for (let second = 0; second <= 10 * 60; second += 15) {
      await runAlarms(stub);
      clock.advance(15_000);
    }

    // Backoff after the 429 is the API's 90 s; then 45 s and 90 s (30 s base, doubling, jitter).
    expect(api.calls.map((at) => (at - start) / 1000)).toEqual([0, 90, 135, 225]);
    const detail = await detailOf(stub);
    expect(detail.playbook.find((s) => s.step === 'purge-cache')).toMatchObject({
      status: 'done',
      attempts: 4,
    });
    const retries = messages(detail.timeline).filter((m) => m.startsWith('purge-cache attempt'));
    expect(retries).toEqual([
      expect.stringMatching(
        /^purge-cache attempt 1 did not succeed; retry in 90 s: rate limited \(429\)/,
      ),
      expect.stringMatching(
        /^purge-cache attempt 2 did not succeed; retry in \d+ s: purge answered 500: 10000 oops/,
      ),
      expect.stringMatching(
        /^purge-cache attempt 3 did not succeed; retry in \d+ s: purge answered 503/,
      ),
    ]);
    expect(detail.incident.state).toBe('contained');
    expect(slack.events()).not.toContain('escalated');
  });

  it('a purge API that keeps failing is given up after 5 attempts, escalated, and the playbook goes on', async () => {
    const clock = new TestClock();
    const slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack], vars: ENFORCE });
    const api = purgeApi(clock, [], () => new Response('service unavailable', { status: 503 }));
    const finding = await poisoned();
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    for (let i = 0; i < 8; i += 1) {
      await runAlarms(stub);
      clock.advance(20 * MINUTE);
    }

    expect(api.calls).toHaveLength(5);
    const detail = await detailOf(stub);
    expect(detail.playbook.map((s) => [s.step, s.status, s.attempts])).toEqual([
      ['capture-evidence', 'done', 1],
      ['purge-cache', 'failed', 5],
      ['reverify', 'done', 1],
      ['post-status', 'done', 1],
    ]);
    expect(messages(detail.timeline)).toContainEqual(
      expect.stringMatching(/^purge-cache failed: gave up after 5 attempts: purge answered 503/),
    );
    const escalated = slack.delivered.filter((d) => d.message.event === 'escalated');
    expect(escalated).toHaveLength(1);
    expect(escalated[0]?.message.detail).toContain('containment step purge-cache failed');
    expect(detail.incident.state).toBe('acknowledged');
  });
});

/** A Cloudflare API that purges, and a dist site that now serves the good bytes. */
function mockCloudflareAndSite() {
  vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith('https://api.cloudflare.com/'))
      return Response.json({ success: true, errors: [] });
    if (request.url.startsWith('https://dist.test/'))
      return new Response(request.method === 'HEAD' ? null : GOOD_BYTES);
    return new Response('unexpected', { status: 599 });
  });
}
