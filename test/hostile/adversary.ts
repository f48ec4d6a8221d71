/**
 * The adversary tests' harness: the fixture site (whose attacker modes — `cloak`,
 * `answerByQuery`, `substituteManifest`, `pruneIndex`, `rewriteIndex` — play most lies)
 * reached through a fetch that carries `cf-worker` as every Worker subrequest does, so the
 * site can tell the monitor apart. A few lies the site has no mode for (a request that never
 * answers, a release it does not publish) are played here, in front of it.
 *
 * Also: an env with the site's key, a queue that keeps what is sent, sweeps at the test's
 * own clock, the hash workers and the incident list.
 */
import { createMessageBatch, env } from 'cloudflare:test';
import { expect } from 'vitest';
import type { Finding } from '../../src/core/findings';
import type { HashJob } from '../../src/core/hash-jobs';
import { releasePinKey, type ReleasePin } from '../../src/adapters/pin-store';
import { incidentIndexStub } from '../../src/durable/incident-stubs';
import type { MonitorEnv } from '../../src/env';
import { handleHashBatch } from '../../src/jobs/hash-consumer';
import { runSweep } from '../../src/jobs/sweep';
import {
  createDistSite,
  MONITOR_HEADER,
  SUCCESS_CACHE_CONTROL,
  type DistSite,
} from '../../tools/dist-site/site';

export const BASE = 'https://dist.test/dist';
export const INDEX_URL = `${BASE}/index.json`;
export const MINUTE = 60_000;

export const manifestUrl = (version: string) => `${BASE}/${version}/SHASUMS256.txt`;
export const sigUrl = (version: string) => `${manifestUrl(version)}.sig`;
export const ascUrl = (version: string) => `${manifestUrl(version)}.asc`;

/** How the proxy answers one request it lies about; undefined = pass it to the site. */
export type Lie = (request: Request) => Response | Promise<Response> | undefined;

/** Index entries as the fixture renders them (only the fields tests touch are typed). */
export interface RawIndexEntry {
  version: string;
  date: string;
  lts: string | false;
  security: boolean;
  files: string[];
  [field: string]: unknown;
}

export interface AdversarySite {
  /** The monitor's fetch: `cf-worker` set (as the platform sets it), then the lies. */
  readonly monitorFetch: typeof fetch;
  /** Lie about `url` (any query string) to requests that carry `cf-worker`. */
  cloak(url: string, lie: Lie): void;
  /** Lie about `url` to everyone, whatever the query string. */
  everywhere(url: string, lie: Lie): void;
  /** Serve index.json rewritten by `edit` (to everyone). */
  rewriteIndex(edit: (entries: RawIndexEntry[]) => RawIndexEntry[]): void;
}

export function createAdversarySite(site: DistSite): AdversarySite {
  const cloaked = new Map<string, Lie>();
  const always = new Map<string, Lie>();
  let indexEdit: ((entries: RawIndexEntry[]) => RawIndexEntry[]) | undefined;

  const serve = async (request: Request): Promise<Response> => {
    const url = new URL(request.url);
    const key = url.origin + url.pathname;
    const lies = [site.isMonitorRequest(request) ? cloaked.get(key) : undefined, always.get(key)];
    for (const lie of lies) {
      const answer = lie && (await lie(request));
      if (answer) return answer;
    }
    if (key === INDEX_URL && indexEdit) {
      const response = await site.fetcher(request);
      const entries = JSON.parse(await response.text()) as RawIndexEntry[];
      const headers = new Headers(response.headers);
      headers.delete('content-length');
      headers.delete('etag');
      return new Response(`${JSON.stringify(indexEdit(entries))}\n`, {
        status: response.status,
        headers,
      });
    }
    return site.fetcher(request);
  };

  return {
    monitorFetch: async (input, init) => {
      const request = new Request(input, init);
      const headers = new Headers(request.headers);
      headers.set(MONITOR_HEADER, 'dist-integrity-monitor.example.com');
      return serve(new Request(request, { headers }));
    },
    cloak: (url, lie) => void cloaked.set(url, lie),
    everywhere: (url, lie) => void always.set(url, lie),
    rewriteIndex: (edit) => {
      indexEdit = edit;
    },
  };
}

/** A 200 with these bytes and the success cache policy. */
export function fileAnswer(body: string | Uint8Array): Response {
  return new Response(body, {
    status: 200,
    headers: { 'cache-control': SUCCESS_CACHE_CONTROL, 'content-type': 'text/plain' },
  });
}

export interface Harness {
  readonly env: MonitorEnv;
  /** Every hash job queued so far. */
  readonly queued: HashJob[];
  sweep(at: Date): Promise<Finding[]>;
  /** Runs the hash workers over every job queued so far (and forgets them). */
  hashQueued(at: Date): Promise<void>;
}

export function createHarness(
  site: DistSite,
  fetch: typeof globalThis.fetch,
  vars: Partial<Record<string, string>> = {},
): Harness {
  const queued: HashJob[] = [];
  const queue = {
    send: async (body: HashJob) => void queued.push(body),
    sendBatch: async (messages: Iterable<MessageSendRequest<HashJob>>) => {
      for (const message of messages) queued.push(message.body);
    },
  } as unknown as Queue;
  const testEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '0',
    PROBE_REGIONS: '',
    HASH_QUEUE: queue,
    ...vars,
  } as MonitorEnv;
  let messageId = 0;
  return {
    env: testEnv,
    queued,
    async sweep(at) {
      const run = await runSweep(testEnv, {
        trigger: 'test',
        fetch,
        now: () => at,
        sleep: async () => {},
      });
      if (run.status !== 'completed') throw new Error(`sweep did not run: ${run.status}`);
      return [...run.findings];
    },
    async hashQueued(at) {
      const jobs = queued.splice(0, queued.length);
      for (let start = 0; start < jobs.length; start += 10) {
        const batch = createMessageBatch(
          'dist-monitor-hash',
          jobs.slice(start, start + 10).map((body) => ({
            id: `adversary-${(messageId += 1)}`,
            timestamp: at,
            attempts: 1,
            body,
          })),
        );
        await handleHashBatch(batch, testEnv, { fetch, now: () => at, sleep: async () => {} });
      }
    },
  };
}

export function at(start: Date, minutes: number): Date {
  return new Date(start.getTime() + minutes * MINUTE);
}

export async function pinOf(version: string): Promise<ReleasePin | undefined> {
  return (await env.PINS.get<ReleasePin>(releasePinKey(version), 'json')) ?? undefined;
}

/** Unresolved and resolved incidents whose fingerprint is `kind url`. */
export async function incidentsFor(kind: string, url: string) {
  const all = await incidentIndexStub(env).list({ limit: 500 });
  return all.filter((incident) => incident.fingerprint === `${kind} ${url}`);
}

export function findingsOf(
  findings: readonly Finding[],
  kind: string,
  subject?: string,
): Finding[] {
  return findings.filter(
    (finding) => finding.kind === kind && (subject === undefined || finding.subject === subject),
  );
}

/** The one finding of `kind` on `subject`; fails the test when there is none. */
export function only(findings: readonly Finding[], kind: string, subject: string): Finding {
  const found = findingsOf(findings, kind, subject);
  expect(
    found,
    `${kind} ${subject} in ${findings.map((f) => f.fingerprint).join(', ')}`,
  ).toHaveLength(1);
  return found[0] as Finding;
}

/** The usual rig: a fixture site at `now`, the adversary in front of it, and the harness. */
export async function createAdversaryRig(
  now: Date,
  artifactsPerRelease = 3,
): Promise<{ site: DistSite; adversary: AdversarySite; harness: Harness }> {
  const site = await createDistSite({ now, artifactsPerRelease });
  const adversary = createAdversarySite(site);
  return { site, adversary, harness: createHarness(site, adversary.monitorFetch) };
}
