/**
 * Issue 13 item 2, no silence on manifests: a site that recognises the monitor (cf-worker)
 * and answers its manifest requests with anything but the file, while users get the file
 * (the fixture site's `cloak` mode). Each test runs the full sweep (and the incident engine)
 * against the hostile site.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DistSite } from '../tools/dist-site/site';
import {
  at,
  BASE,
  createAdversaryRig,
  createHarness,
  incidentsFor,
  manifestUrl,
  only,
  pinOf,
  findingsOf,
  type AdversarySite,
  type Harness,
} from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');
/** A watched, pinned release that is not the newest (the cache differential leaves it alone). */
const PINNED = 'v24.11.1';
const NEW = 'v25.2.0';

let site: DistSite;
let adversary: AdversarySite;
let harness: Harness;

beforeEach(async () => {
  ({ site, adversary, harness } = await createAdversaryRig(T0));
});

describe('a pinned release whose manifest is withheld from the monitor', () => {
  it('403 for cf-worker only is manifest-unavailable: P2 at once, P1 after 30 min, P0 after 2 h', async () => {
    expect(await harness.sweep(T0)).toEqual([]);
    expect(await pinOf(PINNED)).toBeDefined();
    site.cloak(`${PINNED}/SHASUMS256.txt`, { monitor: 403 });

    // Users still get the file: only the monitor is refused.
    expect((await site.fetcher(manifestUrl(PINNED))).status).toBe(200);

    const seen: string[] = [];
    for (const minutes of [5, 40, 130]) {
      const findings = await harness.sweep(at(T0, minutes));
      const finding = only(findings, 'manifest-unavailable', manifestUrl(PINNED));
      expect(finding.observed).toBe('HTTP 403');
      seen.push(finding.severity);
    }
    expect(seen).toEqual(['P2', 'P1', 'P0']);
    // The incident engine raised the one incident's severity as the silence lasted.
    const [incident, ...more] = await incidentsFor('manifest-unavailable', manifestUrl(PINNED));
    expect(more).toEqual([]);
    expect(incident).toMatchObject({ severity: 'P0', state: 'open' });
  });

  it.each([304, 451, 401])(
    'HTTP %i to an unconditional request is manifest-unavailable, not a skip',
    async (status) => {
      await harness.sweep(T0);
      site.cloak(`${PINNED}/SHASUMS256.txt`, { monitor: status });
      const findings = await harness.sweep(at(T0, 5));
      expect(only(findings, 'manifest-unavailable', manifestUrl(PINNED)).observed).toBe(
        `HTTP ${status}`,
      );
    },
  );

  it('a 404 for the monitor only is manifest-missing, P0 once it has lasted 2 h', async () => {
    await harness.sweep(T0);
    site.cloak(`${PINNED}/SHASUMS256.txt`, { monitor: 404 });
    await harness.sweep(at(T0, 5));
    const findings = await harness.sweep(at(T0, 125));
    expect(only(findings, 'manifest-missing', manifestUrl(PINNED)).severity).toBe('P0');
  });

  it('timeouts on the manifest while the rest of the site answers count after 15 minutes', async () => {
    const slow = createHarness(site, adversary.monitorFetch, { REQUEST_TIMEOUT_MS: '200' });
    await slow.sweep(T0);
    adversary.cloak(manifestUrl(PINNED), () => new Promise<Response>(() => {}));
    const early = await slow.sweep(at(T0, 5));
    expect(findingsOf(early, 'manifest-unavailable')).toEqual([]);
    const later = await slow.sweep(at(T0, 25));
    expect(only(later, 'manifest-unavailable', manifestUrl(PINNED))).toMatchObject({
      severity: 'P2',
      observed: 'timeout',
    });
  });

  it('a changed artifact of the release is still hashed and reported while its manifest is withheld', async () => {
    await harness.sweep(T0);
    const file = site.files(PINNED)[0] as string;
    const url = `${BASE}/${PINNED}/${file}`;
    site.cloak(`${PINNED}/SHASUMS256.txt`, { monitor: 403 });
    // New ETag and Last-Modified over other bytes: the metadata makes the monitor hash it
    // now (bytes decide: the same bytes under new metadata would only be re-baselined).
    site.changeMetadata(`/dist/${PINNED}/${file}`);
    site.tamperArtifact(PINNED, file);
    harness.queued.splice(0);
    await harness.sweep(at(T0, 5));
    const changed = harness.queued.filter((job) => job.reason === 'metadata-changed');
    expect(changed.map((job) => job.url)).toEqual([url]);
    await harness.hashQueued(at(T0, 6));
    const [incident] = await incidentsFor('artifact-hash-mismatch', url);
    expect(incident).toMatchObject({ severity: 'P0', state: 'open' });
  });
});

describe('a new release whose manifest is withheld from the monitor', () => {
  it('is reported as manifest-unavailable (at most P1, nothing is pinned to protect), not skipped for ever', async () => {
    site.pruneIndex([NEW]);
    await harness.sweep(T0);
    site.reset();
    site.cloak(`${NEW}/SHASUMS256.txt`, { monitor: 403 });
    const first = await harness.sweep(at(T0, 5));
    expect(only(first, 'manifest-unavailable', manifestUrl(NEW)).severity).toBe('P2');
    const day = await harness.sweep(at(T0, 24 * 60));
    expect(only(day, 'manifest-unavailable', manifestUrl(NEW)).severity).toBe('P1');
    expect(await pinOf(NEW)).toBeUndefined();
  });
});
