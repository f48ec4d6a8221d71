import { env, evictDurableObject, runDurableObjectAlarm } from 'cloudflare:test';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { sha256Hex } from '../src/core/digest';
import type { Finding } from '../src/core/findings';
import { groupFinding } from '../src/core/incident-grouping';
import {
  installIncidentDependencies,
  makeFinding,
  MINUTE,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  stubOf,
  TestClock,
  uniqueUrl,
} from './incident-helpers';

afterEach(() => {
  vi.restoreAllMocks();
  resetIncidentDependencies();
});

const ZONE = '0123456789abcdef0123456789abcdef';
const ENFORCE = {
  CONTAINMENT_MODE: 'enforce',
  CLOUDFLARE_API_TOKEN: 'test-token',
  CLOUDFLARE_ZONE_ID: ZONE,
};
const GOOD_BYTES = 'the signed bytes';

function setup(vars: Record<string, string> = {}) {
  const clock = new TestClock();
  const slack = new RecordingChannel('slack');
  installIncidentDependencies({ clock, channels: [slack], vars });
  return { clock, slack };
}

async function steps(stub: ReturnType<typeof stubOf>) {
  const result = await stub.get();
  if (!result.ok) throw new Error('no incident');
  return result.value;
}

/** A fake Cloudflare API plus a dist site that now serves the good bytes. */
function mockWorld(
  purge: (files: string[], call: number) => Response = () =>
    Response.json({ success: true, errors: [], result: {} }),
) {
  const purges: { files: string[]; authorization: string | null }[] = [];
  const reverified: string[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    if (request.url.startsWith('https://api.cloudflare.com/')) {
      const { files } = (await request.json()) as { files: string[] };
      purges.push({ files, authorization: request.headers.get('authorization') });
      return purge(files, purges.length);
    }
    if (request.url.startsWith('https://dist.test/')) {
      reverified.push(`${request.method} ${request.url}`);
      return new Response(request.method === 'HEAD' ? null : GOOD_BYTES);
    }
    return new Response('unexpected', { status: 599 });
  });
  return { spy, purges, reverified };
}

async function poisoned(urlCount: number): Promise<Finding> {
  const subject = uniqueUrl();
  const urls = Array.from(
    { length: urlCount - 1 },
    (_, i) => `${subject.replace(/[^/]+$/, '')}file-${i}.tar.gz`,
  );
  return makeFinding({
    kind: 'cache-poisoned',
    subject,
    expected: await sha256Hex(GOOD_BYTES),
    evidence: { urls },
  });
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

describe('containment in dry-run', () => {
  it('records every step of the playbook and calls nothing outside', async () => {
    setup();
    const spy = vi.spyOn(globalThis, 'fetch');
    const subject = uniqueUrl();
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      subject,
      expected: 'a'.repeat(64),
      observed: 'b'.repeat(64),
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const detail = await steps(stub);
    expect(detail.playbook.map((s) => [s.step, s.status])).toEqual([
      ['capture-evidence', 'done'],
      ['quarantine', 'done'],
      ['purge-cache', 'done'],
      ['reverify', 'done'],
      ['post-status', 'done'],
    ]);
    expect(detail.playbook.find((s) => s.step === 'purge-cache')?.result).toMatchObject({
      dryRun: true,
      batches: [[subject]],
    });
    expect(detail.playbook.find((s) => s.step === 'quarantine')?.result).toMatchObject({
      dryRun: true,
      wouldWrite: [{ key: `quarantine:${new URL(subject).pathname}` }],
    });
    expect(spy).not.toHaveBeenCalled();
    expect(await env.QUARANTINE.get(`quarantine:${new URL(subject).pathname}`)).toBeNull();
    expect(detail.incident.state).toBe('open');
    expect(detail.incident.statusPostedAt).toBeDefined();
  });

  it('captures evidence content-addressed in R2, body cut to the first MiB, never overwritten', async () => {
    setup();
    const body = new Uint8Array(1024 * 1024 + 10).fill(7);
    const manifest = 'abc  node-v24.11.1.tar.gz\n';
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      evidence: { headers: { etag: '"x"' }, bodyBase64: toBase64(body), manifest },
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const { evidenceKeys, playbook } = await steps(stub);
    const manifestKey = `evidence/sha256/${await sha256Hex(manifest)}`;
    const bodyKey = `evidence/sha256/${await sha256Hex(body.subarray(0, 1024 * 1024))}`;
    expect(evidenceKeys).toEqual(expect.arrayContaining([manifestKey, bodyKey]));
    expect(await (await env.EVIDENCE.get(manifestKey))?.text()).toBe(manifest);
    const findingKey = evidenceKeys[0]!;
    const stored = (await (await env.EVIDENCE.get(findingKey))!.json()) as {
      finding: Finding;
      objects: Record<string, string>;
    };
    expect(findingKey).toBe(`evidence/sha256/${await sha256Hex(JSON.stringify(stored, null, 2))}`);
    expect(stored.finding.evidence).toEqual({ headers: { etag: '"x"' } });
    expect(stored.objects).toEqual({ body: bodyKey, manifest: manifestKey });
    expect(playbook[0]?.result?.['objects']).toEqual(
      expect.arrayContaining([expect.objectContaining({ label: 'manifest', created: true })]),
    );
  });
});

describe('containment in enforce mode', () => {
  it('purges the URLs in batches of at most 100 with the API token, re-verifies them, and marks the incident contained', async () => {
    setup(ENFORCE);
    const world = mockWorld();
    const finding = await poisoned(150);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    expect(world.purges.map((p) => p.files.length)).toEqual([100, 50]);
    expect(world.purges.flatMap((p) => p.files)).toEqual([
      finding.subject,
      ...(finding.evidence['urls'] as string[]),
    ]);
    expect(world.purges.every((p) => p.authorization === 'Bearer test-token')).toBe(true);
    expect(
      world.spy.mock.calls.some(
        ([url]) => String(url) === `https://api.cloudflare.com/client/v4/zones/${ZONE}/purge_cache`,
      ),
    ).toBe(true);
    expect(world.reverified.filter((r) => r.startsWith('GET'))).toHaveLength(150);
    const detail = await steps(stub);
    expect(detail.playbook.map((s) => s.status)).toEqual(['done', 'done', 'done', 'done']);
    expect(detail.incident.state).toBe('contained');
  });

  it('honours a 429 Retry-After and resumes after the last purged batch, across an eviction', async () => {
    const { clock } = setup(ENFORCE);
    const world = mockWorld((_files, call) =>
      call === 2
        ? new Response('{"success":false}', { status: 429, headers: { 'retry-after': '120' } })
        : Response.json({ success: true }),
    );
    const finding = await poisoned(150);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    expect(world.purges.map((p) => p.files.length)).toEqual([100, 50]);
    await evictDurableObject(stub);
    clock.advance(119_000);
    await runAlarms(stub);
    expect(world.purges).toHaveLength(2);
    clock.advance(1_000);
    await runAlarms(stub);
    expect(world.purges.map((p) => p.files.length)).toEqual([100, 50, 50]);
    expect((await steps(stub)).incident.state).toBe('contained');
  });

  it('fails the purge clearly without credentials, escalates, and still runs the later steps', async () => {
    const { slack } = setup({ CONTAINMENT_MODE: 'enforce' });
    const world = mockWorld();
    const finding = await poisoned(1);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const detail = await steps(stub);
    expect(detail.playbook.map((s) => [s.step, s.status])).toEqual([
      ['capture-evidence', 'done'],
      ['purge-cache', 'failed'],
      ['reverify', 'done'],
      ['post-status', 'done'],
    ]);
    expect(world.purges).toHaveLength(0);
    const escalation = slack.delivered.find((d) => d.message.event === 'escalated');
    expect(escalation?.message.detail).toContain('CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID');
    expect(detail.incident.state).toBe('open');
  });

  it('retries a re-verification that still sees other bytes, then marks it failed and escalates', async () => {
    const { clock, slack } = setup(ENFORCE);
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith('https://api.cloudflare.com/'))
        return Response.json({ success: true });
      return new Response(request.method === 'HEAD' ? null : 'tampered bytes');
    });
    const finding = await poisoned(1);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await stub.acknowledge('operator:alice');
    for (let i = 0; i < 6; i += 1) {
      await runAlarms(stub);
      clock.advance(20 * MINUTE);
    }
    const reverify = (await steps(stub)).playbook.find((s) => s.step === 'reverify');
    expect(reverify).toMatchObject({ status: 'failed', attempts: 5 });
    expect(slack.delivered.find((d) => d.message.event === 'escalated')?.message.detail).toContain(
      'reverify failed',
    );
  });

  it('sets the quarantine flag for the path and clears it on resolve', async () => {
    setup(ENFORCE);
    mockWorld();
    const subject = uniqueUrl();
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      subject,
      expected: await sha256Hex(GOOD_BYTES),
    });
    const stub = stubOf(finding);
    const opened = await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const key = `quarantine:${new URL(subject).pathname}`;
    expect(await env.QUARANTINE.get(key, 'json')).toEqual({
      incidentId: opened.ok && opened.value.incidentId,
      reason: 'artifact-hash-mismatch',
      since: new Date(Date.parse(finding.observedAt)).toISOString(),
    });
    await stub.resolve('operator:alice', 'origin restored');
    await runAlarms(stub);
    expect(await env.QUARANTINE.get(key)).toBeNull();
  });

  it('leaves a quarantine flag set by another incident in place on resolve', async () => {
    setup(ENFORCE);
    mockWorld();
    const subject = uniqueUrl();
    const finding = makeFinding({
      kind: 'artifact-hash-mismatch',
      subject,
      expected: await sha256Hex(GOOD_BYTES),
    });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    const key = `quarantine:${new URL(subject).pathname}`;
    const other = JSON.stringify({
      incidentId: 'f'.repeat(32),
      reason: 'manifest-changed',
      since: 'x',
    });
    await env.QUARANTINE.put(key, other);
    await stub.resolve('operator:alice');
    await runAlarms(stub);
    expect(await env.QUARANTINE.get(key)).toBe(other);
  });

  it('treats any mode other than exactly "enforce" as dry-run', async () => {
    setup({ ...ENFORCE, CONTAINMENT_MODE: 'Enforce' });
    const spy = vi.spyOn(globalThis, 'fetch');
    const finding = await poisoned(1);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runAlarms(stub);
    expect(spy).not.toHaveBeenCalled();
    expect((await steps(stub)).containmentMode).toBe('dry-run');
  });
});

describe('containment of tampered bytes re-verifies by hashing', () => {
  /** Like the hash consumer's finding: `expected` is `sha256 <hex>, N bytes`. */
  async function tamperedArtifact(subject = uniqueUrl()): Promise<Finding> {
    const bytes = new TextEncoder().encode(GOOD_BYTES).byteLength;
    return makeFinding({
      kind: 'artifact-hash-mismatch',
      subject,
      expected: `sha256 ${await sha256Hex(GOOD_BYTES)}, ${bytes} bytes`,
      observed: `sha256 ${'e'.repeat(64)}, ${bytes} bytes`,
    });
  }

  /** The Cloudflare API accepts purges; the dist site serves `body(url)` to every request. */
  function world(body: (url: string) => string) {
    const requests: string[] = [];
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith('https://api.cloudflare.com/'))
        return Response.json({ success: true });
      requests.push(`${request.method} ${request.url}`);
      return new Response(request.method === 'HEAD' ? null : body(request.url));
    });
    return requests;
  }

  async function runFor(stub: ReturnType<typeof stubOf>, clock: TestClock, rounds = 6) {
    for (let i = 0; i < rounds; i += 1) {
      await runAlarms(stub);
      clock.advance(20 * MINUTE);
    }
  }

  it('stays uncontained after a purge when the bytes are still tampered', async () => {
    const { clock, slack } = setup(ENFORCE);
    const requests = world(() => 'THE SIGNED BYTES');
    const finding = await tamperedArtifact();
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runFor(stub, clock);
    const detail = await steps(stub);
    expect(detail.playbook.find((s) => s.step === 'purge-cache')?.status).toBe('done');
    expect(detail.playbook.find((s) => s.step === 'reverify')).toMatchObject({
      status: 'failed',
      attempts: 5,
    });
    expect(JSON.stringify(detail.playbook.find((s) => s.step === 'reverify')?.result)).toContain(
      await sha256Hex('THE SIGNED BYTES'),
    );
    expect(detail.incident.state).toBe('open');
    expect(detail.incident.containedAt).toBeUndefined();
    expect(requests.some((line) => line.startsWith(`GET ${finding.subject}`))).toBe(true);
    const escalations = slack.delivered.filter((d) => d.message.event === 'escalated');
    expect(escalations.some((d) => d.message.detail?.includes('reverify failed'))).toBe(true);
  });

  it('is contained once the served bytes hash to the signed SHA-256 again', async () => {
    const { clock } = setup(ENFORCE);
    world(() => GOOD_BYTES);
    const finding = await tamperedArtifact();
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runFor(stub, clock, 2);
    const detail = await steps(stub);
    const reverify = detail.playbook.find((s) => s.step === 'reverify');
    expect(reverify?.status).toBe('done');
    expect(JSON.stringify(reverify?.result)).toContain('"verdict":"match"');
    expect(detail.incident.state).toBe('contained');
  });

  it('is never contained on an answer alone when it has no signed hash to compare', async () => {
    const { clock } = setup(ENFORCE);
    world(() => GOOD_BYTES);
    const finding = makeFinding({ kind: 'artifact-hash-mismatch', expected: 'unknown' });
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runFor(stub, clock);
    const detail = await steps(stub);
    expect(detail.playbook.find((s) => s.step === 'reverify')?.status).toBe('failed');
    expect(detail.incident.state).toBe('open');
  });

  it('judges each URL of a grouped incident by its own signed hash', async () => {
    const { clock } = setup(ENFORCE);
    const [a, b] = [uniqueUrl('a.tar.gz'), uniqueUrl('b.tar.gz')];
    world((url) => (url === b ? 'tampered' : GOOD_BYTES));
    const members = [await tamperedArtifact(a), await tamperedArtifact(b)];
    const group = groupFinding('release v24.11.1', members);
    const stub = stubOf(group);
    await stub.observe(group, 'sweep-1', { members });
    await runFor(stub, clock);
    const detail = await steps(stub);
    const results = (detail.playbook.find((s) => s.step === 'reverify')?.result?.['results'] ??
      []) as { url: string; verdict: string }[];
    expect(results.map((r) => [r.url, r.verdict])).toEqual([
      [a, 'match'],
      [b, 'mismatch'],
    ]);
    expect(detail.playbook.find((s) => s.step === 'quarantine')?.result?.['urls']).toEqual([a, b]);
    expect(detail.incident.state).toBe('open');
  });
});

describe('eviction', () => {
  it('resumes a playbook step after the object is evicted mid-run', async () => {
    const { clock } = setup(ENFORCE);
    let failNext = true;
    vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
      const request = new Request(input, init);
      if (request.url.startsWith('https://api.cloudflare.com/')) {
        if (failNext) {
          failNext = false;
          return new Response('bad gateway', { status: 502 });
        }
        return Response.json({ success: true });
      }
      return new Response(request.method === 'HEAD' ? null : GOOD_BYTES);
    });
    const finding = await poisoned(1);
    const stub = stubOf(finding);
    await stub.observe(finding, 'sweep-1');
    await runDurableObjectAlarm(stub);
    await evictDurableObject(stub);
    clock.advance(5 * MINUTE);
    await runAlarms(stub);
    const detail = await steps(stub);
    expect(detail.playbook.find((s) => s.step === 'purge-cache')).toMatchObject({
      status: 'done',
      attempts: 2,
    });
    expect(detail.incident.state).toBe('contained');
  });
});
