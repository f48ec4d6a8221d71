/**
 * Bytes decide integrity (issue 14.1, 13.5, 13 (c) and (d)): a changed ETag or Last-Modified
 * makes the monitor hash the artifact now; the same signed bytes re-baseline the pin with an
 * audit record and raise one public, low-severity notice per cause that closes itself;
 * tampered bytes are `artifact-hash-mismatch` (P0) wherever they come from. Through the real
 * sweep, hash consumer and incident engine, against the fixture site seen through a small
 * fetch wrapper that plays the release worker's routine behaviours (its origin fallback).
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { createMessageBatch } from 'cloudflare:test';
import { releasePinKey, type ReleasePin } from '../src/adapters/pin-store';
import type { HashJob } from '../src/core/hash-jobs';
import type { IncidentSummary } from '../src/core/incident';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { sha256Hex } from '../src/core/digest';
import { handleHashBatch } from '../src/jobs/hash-consumer';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, defaultHashStream, type DistSite } from '../tools/dist-site/site';
import { ALICE_TOKEN, call } from './http-helpers';

const BASE = 'https://dist.test/dist';
const SITE_CLOCK = new Date('2026-11-20T09:00:00Z');
const SWEEP_CLOCK = new Date('2026-11-20T10:00:00Z');
const MINUTE = 60_000;
const NEWEST = 'v25.2.0';
const noWait = async () => {};

let site: DistSite;
let queued: HashJob[];
let testEnv: MonitorEnv;
let sweeps = 0;

beforeEach(async () => {
  site = await createDistSite({ now: SITE_CLOCK, artifactsPerRelease: 4 });
  queued = [];
  sweeps = 0;
  testEnv = envWith({ INLINE_HASH_BYTES: String(64 * 1024 * 1024) });
});

function envWith(vars: Record<string, string>): MonitorEnv {
  const queue = {
    send: async (body: HashJob) => void queued.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<HashJob>>) => {
      for (const message of messages) queued.push(message.body);
    },
  } as unknown as Queue;
  return {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '0',
    // Three releases of four artifacts: every changed artifact fits the sweep's inline hashing.
    WATCH_NEWEST: '3',
    WATCH_LINES: '25',
    HASH_QUEUE: queue,
    ...vars,
  } as MonitorEnv;
}

/** One sweep, five minutes after the last, through `fetcher` (default: the site as it is). */
async function sweep(fetcher: typeof fetch = site.fetcher) {
  const at = new Date(SWEEP_CLOCK.getTime() + sweeps * 5 * MINUTE);
  sweeps += 1;
  const run = await runSweep(testEnv, {
    trigger: 'test',
    fetch: fetcher,
    sleep: noWait,
    now: () => at,
  });
  if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
  return run;
}

/** The site, with every response to `matches` passed through `rewrite`. */
function rewriting(
  matches: (request: Request) => boolean,
  rewrite: (response: Response, request: Request) => Response,
): typeof fetch {
  return async (input, init) => {
    const request = new Request(input, init);
    const response = await site.fetcher(request);
    return matches(request) ? rewrite(response, request) : response;
  };
}

function withHeaders(response: Response, headers: Record<string, string>): Response {
  const next = new Headers(response.headers);
  for (const [name, value] of Object.entries(headers)) next.set(name, value);
  return new Response(response.body, { status: response.status, headers: next });
}

const artifactPath = (version: string, name: string) => `/dist/${version}/${name}`;
const isPath = (path: string) => (request: Request) => new URL(request.url).pathname === path;
/** Artifacts only, not manifests, index.json or anything with a query string. */
const isArtifact = (request: Request) => {
  const url = new URL(request.url);
  return /\/dist\/v[^/]+\/node-/.test(url.pathname) && !url.pathname.includes('SHASUMS');
};

/** The release worker's origin fallback: nginx ETags `"<hex mtime>-<hex size>"`, cache-tag origin. */
function originFallback(response: Response): Response {
  if (response.status !== 200) return response;
  const size = Number(response.headers.get('content-length'));
  const mtime = Date.parse(response.headers.get('last-modified') ?? '') / 1000;
  return withHeaders(response, {
    etag: `"${mtime.toString(16)}-${size.toString(16)}"`,
    'cache-tag': 'release-worker,release-worker:origin',
  });
}

async function pinOf(version: string): Promise<ReleasePin> {
  const pin = await env.PINS.get<ReleasePin>(releasePinKey(version), 'json');
  if (pin === null) throw new Error(`${version} is not pinned`);
  return pin;
}

async function incidents(): Promise<IncidentSummary[]> {
  return incidentIndexStub(env).list({ limit: 500 });
}

const severe = (list: readonly IncidentSummary[]) =>
  list.filter((incident) => incident.severity === 'P0' || incident.severity === 'P1');

const firstFile = () => site.files(NEWEST)[0] as string;

describe('a clean site', () => {
  it('raises no notice, no stale cache and no incident over repeated sweeps, its bytes hashed inline', async () => {
    for (let i = 0; i < 3; i += 1) {
      const run = await sweep();
      expect(run.findings).toEqual([]);
      expect(run.summary.hashedInline).toBeGreaterThan(0);
    }
    expect(await incidents()).toEqual([]);
    const pins = await Promise.all(['v25.2.0', 'v25.1.0'].map((version) => pinOf(version)));
    for (const pin of pins) {
      for (const artifact of Object.values(pin.artifacts))
        expect(artifact.rebaselines).toBeUndefined();
    }
  });
});

describe('a changed ETag or Last-Modified with the same bytes', () => {
  it.each([
    ['an ETag alone', { etag: '"re-uploaded-etag"' }, ['ETag']],
    [
      'a Last-Modified alone',
      { 'last-modified': 'Sat, 21 Nov 2026 08:00:00 GMT' },
      ['Last-Modified'],
    ],
  ])(
    '%s: hashed now, the pin re-baselined with an audit record, one public P3 notice, no P0/P1',
    async (_name, headers, changed) => {
      await sweep();
      const name = firstFile();
      const path = artifactPath(NEWEST, name);
      const before = (await pinOf(NEWEST)).artifacts[name];
      const changedSite = rewriting(isPath(path), (response) => withHeaders(response, headers));

      const run = await sweep(changedSite);
      expect(run.findings).toEqual([]);
      const after = (await pinOf(NEWEST)).artifacts[name];
      expect(after?.rebaselines).toHaveLength(1);
      expect(after?.rebaselines?.[0]).toMatchObject({
        cause: 'republished',
        changed,
        from: { size: before?.size, etag: before?.etag, lastModified: before?.lastModified },
        sha256: await site.expectedSha256(NEWEST, name),
        bytes: before?.size,
      });
      expect(after?.pinnedAt).toBe(before?.pinnedAt);
      const list = await incidents();
      expect(severe(list)).toEqual([]);
      expect(list).toEqual([
        expect.objectContaining({
          kind: 'artifact-rebaselined',
          severity: 'P3',
          security: false,
          state: 'open',
          subject: `${BASE}#republished`,
        }),
      ]);
    },
  );

  it('a HEAD without Content-Length is no size change: a new ETag over it is still the bytes’ call', async () => {
    await sweep();
    const name = firstFile();
    const noLength = rewriting(
      (request) => request.method === 'HEAD' && isPath(artifactPath(NEWEST, name))(request),
      (response) => {
        const headers = new Headers(response.headers);
        headers.delete('content-length');
        headers.set('etag', '"re-uploaded-etag"');
        return new Response(null, { status: response.status, headers });
      },
    );
    const withEtag = rewriting(isPath(artifactPath(NEWEST, name)), (response) =>
      withHeaders(response, { etag: '"re-uploaded-etag"' }),
    );
    const run = await sweep(async (input, init) => {
      const request = new Request(input, init);
      return request.method === 'HEAD' ? noLength(request) : withEtag(request);
    });
    expect(run.findings).toEqual([]);
    expect((await pinOf(NEWEST)).artifacts[name]).toMatchObject({
      etag: '"re-uploaded-etag"',
      size: (await pinOf(NEWEST)).artifacts[name]?.rebaselines?.[0]?.from.size,
    });
    expect(severe(await incidents())).toEqual([]);
  });

  it('the notice closes itself after clean sweeps, and the re-baselined pin stays quiet', async () => {
    await sweep();
    const changedSite = rewriting(isPath(artifactPath(NEWEST, firstFile())), (response) =>
      withHeaders(response, { etag: '"re-uploaded-etag"' }),
    );
    await sweep(changedSite);
    for (let i = 0; i < 3; i += 1) expect((await sweep(changedSite)).findings).toEqual([]);
    expect((await incidents()).map((incident) => incident.state)).toEqual(['resolved']);
    expect((await pinOf(NEWEST)).artifacts[firstFile()]?.rebaselines).toHaveLength(1);
  });
});

describe('the audit record', () => {
  it('is what GET /api/pins/:version shows an operator, and nobody else', async () => {
    await sweep();
    const name = firstFile();
    await sweep(
      rewriting(isPath(artifactPath(NEWEST, name)), (response) =>
        withHeaders(response, { etag: '"re-uploaded-etag"' }),
      ),
    );
    const response = await call(`/api/pins/${NEWEST}`, { token: ALICE_TOKEN });
    expect(response.status).toBe(200);
    const pin = (await response.json()) as ReleasePin;
    expect(pin.artifacts[name]?.rebaselines?.[0]).toMatchObject({
      changed: ['ETag'],
      to: { etag: '"re-uploaded-etag"' },
    });
    expect((await call(`/api/pins/${NEWEST}`)).status).toBe(401);
    expect((await call('/api/pins/not-a-version', { token: ALICE_TOKEN })).status).toBe(400);
    expect((await call('/api/pins/v0.0.1', { token: ALICE_TOKEN })).status).toBe(404);
  });
});

describe('what triggers the re-hash (13 (d): ETag and Last-Modified each on their own)', () => {
  beforeEach(() => {
    testEnv = envWith({ INLINE_HASH_BYTES: '0' });
  });

  const metadataJobs = () => queued.filter((job) => job.reason === 'metadata-changed');

  it.each([
    ['ETag', { etag: '"another-etag"' }],
    ['Last-Modified', { 'last-modified': 'Sat, 21 Nov 2026 08:00:00 GMT' }],
  ])(
    'a change of %s alone queues a metadata-changed hash job first, carrying the change',
    async (field, headers) => {
      await sweep();
      queued = [];
      const name = firstFile();
      const url = `${BASE}/${NEWEST}/${name}`;
      await sweep(
        rewriting(isPath(artifactPath(NEWEST, name)), (response) => withHeaders(response, headers)),
      );
      expect(metadataJobs()).toEqual([
        expect.objectContaining({
          url,
          expectedSha256: await site.expectedSha256(NEWEST, name),
          rebaseline: expect.objectContaining({ changed: [field] }),
        }),
      ]);
      expect(queued[0]?.url).toBe(url);
    },
  );

  it('unchanged metadata queues no metadata-changed job', async () => {
    await sweep();
    queued = [];
    await sweep();
    expect(metadataJobs()).toEqual([]);
  });

  it('the queued job re-baselines the pin when its bytes verify, and is P0 when they do not (the pin stays)', async () => {
    await sweep();
    const name = firstFile();
    const changed = rewriting(isPath(artifactPath(NEWEST, name)), (response) =>
      withHeaders(response, { etag: '"another-etag"' }),
    );
    queued = [];
    await sweep(changed);
    const job = metadataJobs()[0];
    if (job === undefined) throw new Error('no metadata-changed job');

    site.tamperArtifact(NEWEST, name);
    const tampered = await handleHashBatch(batchOf([job]), testEnv, {
      fetch: changed,
      sleep: noWait,
    });
    expect(tampered.mismatched).toBe(1);
    expect((await pinOf(NEWEST)).artifacts[name]?.etag).not.toBe('"another-etag"');
    const mismatch = (await incidents()).find(
      (incident) => incident.kind === 'artifact-hash-mismatch',
    );
    expect(mismatch).toMatchObject({ severity: 'P0', subject: job.url });

    site.reset();
    const clean = await handleHashBatch(batchOf([job]), testEnv, { fetch: changed, sleep: noWait });
    expect(clean).toMatchObject({ verified: 1, rebaselined: 1 });
    expect((await pinOf(NEWEST)).artifacts[name]?.etag).toBe('"another-etag"');
  });

  it('a job whose expected hash is not its pin’s signed entry re-baselines nothing', async () => {
    await sweep();
    const name = firstFile();
    const path = artifactPath(NEWEST, name);
    const changed = rewriting(isPath(path), (response) =>
      withHeaders(response, { etag: '"another-etag"' }),
    );
    queued = [];
    await sweep(changed);
    const job = metadataJobs()[0];
    if (job === undefined) throw new Error('no metadata-changed job');
    site.tamperArtifact(NEWEST, name);
    const served = await sha256Hex(
      await (await changed(`${BASE}/${NEWEST}/${name}`)).arrayBuffer(),
    );
    const forged = { ...job, expectedSha256: served };
    const report = await handleHashBatch(batchOf([forged]), testEnv, {
      fetch: changed,
      sleep: noWait,
    });
    expect(report.verified).toBe(1);
    expect(report.rebaselined).toBe(0);
    expect((await pinOf(NEWEST)).artifacts[name]?.rebaselines).toBeUndefined();
  });
});

let messageId = 0;
function batchOf(jobs: readonly HashJob[]) {
  return createMessageBatch(
    'dist-monitor-hash',
    jobs.map((body) => ({
      id: `job-${(messageId += 1)}`,
      timestamp: SWEEP_CLOCK,
      attempts: 1,
      body,
    })),
  );
}

describe('tampered bytes users receive are P0 wherever they come from (13.5)', () => {
  it('an ETag change over tampered bytes is artifact-hash-mismatch (P0) in that sweep, and the pin is not re-baselined', async () => {
    await sweep();
    const name = firstFile();
    site.tamperArtifact(NEWEST, name);
    const run = await sweep(
      rewriting(isPath(artifactPath(NEWEST, name)), (response) =>
        withHeaders(response, { etag: '"x"' }),
      ),
    );
    expect(run.summary.inlineMismatches).toBeGreaterThan(0);
    const mismatch = (await incidents()).find(
      (incident) => incident.fingerprint === `artifact-hash-mismatch ${BASE}/${NEWEST}/${name}`,
    );
    expect(mismatch?.severity).toBe('P0');
    expect((await pinOf(NEWEST)).artifacts[name]?.rebaselines).toBeUndefined();
  });

  it('a cache that serves tampered bytes while the query-string URL serves the signed ones is P0, with cache-poisoned added', async () => {
    testEnv = envWith({ INLINE_HASH_BYTES: '0' });
    await sweep();
    // The cache differential samples the newest release's two smallest artifacts.
    const pin = await pinOf(NEWEST);
    const [smallest] = Object.entries(pin.artifacts).sort(
      ([, a], [, b]) => (a.size ?? 0) - (b.size ?? 0),
    );
    if (smallest === undefined) throw new Error('no artifact');
    const url = `${BASE}/${NEWEST}/${smallest[0]}`;
    site.poisonCache(artifactPath(NEWEST, smallest[0]));
    const run = await sweep();
    const byFingerprint = new Map(run.findings.map((finding) => [finding.fingerprint, finding]));
    expect(byFingerprint.get(`artifact-hash-mismatch ${url}`)?.severity).toBe('P0');
    expect(byFingerprint.get(`cache-poisoned ${url}`)?.severity).toBe('P1');
  });

  it('bytes that fail the signed hash only at the cache-bypassing URL are P0 too', async () => {
    testEnv = envWith({ INLINE_HASH_BYTES: '0' });
    await sweep();
    const pin = await pinOf(NEWEST);
    const [smallest] = Object.entries(pin.artifacts).sort(
      ([, a], [, b]) => (a.size ?? 0) - (b.size ?? 0),
    );
    if (smallest === undefined) throw new Error('no artifact');
    const path = artifactPath(NEWEST, smallest[0]);
    const queryOnly = async (input: RequestInfo | URL, init?: RequestInit) => {
      const request = new Request(input, init);
      const url = new URL(request.url);
      if (url.pathname !== path || url.search === '') return site.fetcher(request);
      site.tamperArtifact(NEWEST, smallest[0]);
      try {
        const response = await site.fetcher(request);
        return new Response(await response.arrayBuffer(), response);
      } finally {
        site.reset();
      }
    };
    const run = await sweep(queryOnly);
    const mismatch = run.findings.find((finding) => finding.kind === 'artifact-hash-mismatch');
    expect(mismatch).toMatchObject({ severity: 'P0', subject: `${BASE}/${NEWEST}/${smallest[0]}` });
    expect(mismatch?.summary).toContain('monitor-cache-bypass');
  });
});

describe('the R2 outage: the release worker serves from its origin fallback, then R2 returns', () => {
  /** Every watched artifact's causes of re-baselining, oldest first. */
  async function causes(watched: readonly string[]): Promise<string[][]> {
    const pins = await Promise.all(watched.map((version) => pinOf(version)));
    return pins.flatMap((pin) =>
      Object.values(pin.artifacts).map((artifact) =>
        (artifact.rebaselines ?? []).map((record) => record.cause),
      ),
    );
  }

  it('gives no P0/P1, one notice per cause, and leaves nothing open (the fixture’s origin-fallback mode, no cache tags as nodejs.org shows it)', async () => {
    await sweep();
    await site.apply({ attack: 'origin-fallback' });
    const outage = await sweep();
    expect(outage.findings).toEqual([]);
    const watched = outage.summary.releases;
    expect(await causes(watched)).toEqual(Array.from({ length: 12 }, () => ['origin-fallback']));
    expect(await incidents()).toEqual([
      expect.objectContaining({
        kind: 'artifact-rebaselined',
        severity: 'P3',
        subject: `${BASE}#origin-fallback`,
      }),
    ]);

    // R2 answers again: the ETags change back, which is routine too.
    site.reset();
    expect((await sweep()).findings).toEqual([]);
    expect(await causes(watched)).toEqual(
      Array.from({ length: 12 }, () => ['origin-fallback', 'metadata-restored']),
    );
    for (let i = 0; i < 3; i += 1) expect((await sweep()).findings).toEqual([]);
    // R2's return is recorded in the audit trail only: no second notice.
    const list = await incidents();
    expect(severe(list)).toEqual([]);
    expect(list.map((incident) => `${incident.subject} ${incident.state}`)).toEqual([
      `${BASE}#origin-fallback resolved`,
    ]);
  });

  it('a release published during the outage is pinned from the fallback; R2’s return joins the fallback’s notice, no second one', async () => {
    await sweep();
    await site.apply({ attack: 'origin-fallback' });
    await site.apply({ attack: 'promote-release', version: 'v25.3.0' });
    const outage = await sweep();
    expect(outage.findings).toEqual([]);
    expect(outage.summary.releases).toContain('v25.3.0');
    const during = await pinOf('v25.3.0');
    // Its first pin holds the fallback's nginx ETags: there is no earlier baseline to go back to.
    expect(Object.values(during.artifacts).every((artifact) => /-/.test(artifact.etag ?? ''))).toBe(
      true,
    );

    site.reset(); // R2 answers again; the release stays published.
    expect((await sweep()).findings).toEqual([]);
    expect(await causes(['v25.3.0'])).toEqual(Array.from({ length: 4 }, () => ['origin-fallback']));
    for (let i = 0; i < 3; i += 1) expect((await sweep()).findings).toEqual([]);
    const list = await incidents();
    expect(severe(list)).toEqual([]);
    // Not a `#republished` notice: nobody re-uploaded anything.
    expect(list.map((incident) => `${incident.subject} ${incident.state}`)).toEqual([
      `${BASE}#origin-fallback resolved`,
    ]);
  });

  it('behind an edge cache that keeps R2’s copies until they expire: no P0/P1 at any point, nothing left open', async () => {
    site = await createDistSite({ now: SITE_CLOCK, artifactsPerRelease: 4, edgeCache: true });
    testEnv = envWith({ INLINE_HASH_BYTES: String(64 * 1024 * 1024) });
    await sweep();
    await site.apply({ attack: 'origin-fallback' });
    // The edge still serves R2's copies; only the cache-bypassing requests see the fallback.
    expect((await sweep()).findings).toEqual([]);
    site.advance(14_400 * 1000 + 1);
    expect((await sweep()).findings).toEqual([]);
    site.reset();
    for (let i = 0; i < 4; i += 1) expect((await sweep()).findings).toEqual([]);
    const list = await incidents();
    expect(severe(list)).toEqual([]);
    expect(list.filter((incident) => incident.state !== 'resolved')).toEqual([]);
    expect(list.map((incident) => incident.subject)).toEqual([`${BASE}#origin-fallback`]);
  });

  it('a wrapper playing the fallback with cache tags (as wrangler dev of the worker shows them) is read the same way', async () => {
    await sweep();
    expect((await sweep(rewriting(isArtifact, originFallback))).findings).toEqual([]);
    expect(await incidents()).toEqual([
      expect.objectContaining({ subject: `${BASE}#origin-fallback`, severity: 'P3' }),
    ]);
  });

  it('the same bytes under another ETag at the cache-bypassing URL are not cache-poisoned', async () => {
    await sweep();
    const bypassOnly = rewriting(
      (request) => isArtifact(request) && new URL(request.url).search !== '',
      originFallback,
    );
    expect((await sweep(bypassOnly)).findings).toEqual([]);
  });

  it('a size change under the fallback stays artifact-metadata-changed (P1): no signed file changes length', async () => {
    await sweep();
    const name = firstFile();
    const resized = rewriting(
      (request) => request.method === 'HEAD' && isPath(artifactPath(NEWEST, name))(request),
      (response) => withHeaders(originFallback(response), { 'content-length': '1' }),
    );
    const run = await sweep(resized);
    expect(run.findings.map((finding) => `${finding.kind} ${finding.severity}`)).toContain(
      'artifact-metadata-changed P1',
    );
    expect((await pinOf(NEWEST)).artifacts[name]?.rebaselines).toBeUndefined();
  });
});

describe('13 (c): the whole signed hash is compared, never a prefix', () => {
  it('manifests whose hashes differ from the bytes only in the last hex digit make every artifact a P0 mismatch', async () => {
    site = await createDistSite({
      now: SITE_CLOCK,
      artifactsPerRelease: 2,
      hashStream: async (stream) => {
        const hex = await defaultHashStream(stream);
        return hex.slice(0, -1) + (hex.endsWith('0') ? '1' : '0');
      },
    });
    testEnv = envWith({ INLINE_HASH_BYTES: String(64 * 1024 * 1024) });
    const run = await sweep();
    expect(run.summary.inlineMismatches).toBeGreaterThanOrEqual(2);
    // One incident per cause: a release's mismatched artifacts are one incident listing them.
    const mismatches = (await incidents()).filter(
      (incident) => incident.kind === 'artifact-hash-mismatch',
    );
    const subjects = mismatches.flatMap((incident) => incident.subjects ?? [incident.subject]);
    expect(subjects.length).toBeGreaterThanOrEqual(run.summary.inlineMismatches ?? 0);
    expect(mismatches.length).toBeGreaterThan(0);
    expect(mismatches.every((incident) => incident.severity === 'P0')).toBe(true);
  });
});
