/**
 * Issue 13 item 3, pins outlive index.json: the set of releases checked comes from the pins,
 * never only from what index.json lists today. Full sweeps, the hash queue and coverage,
 * against a site that prunes or rewrites its index.
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DistSite } from '../tools/dist-site/site';
import { monitorStateStub } from '../src/durable/monitor-state';
import {
  at,
  BASE,
  createAdversaryRig,
  incidentsFor,
  INDEX_URL,
  manifestUrl,
  only,
  pinOf,
  type Harness,
} from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');
const WEEK_MS = 7 * 24 * 60 * 60 * 1000;
/** Not among the newest releases: watched as the newest of LTS line v20, then pruned. */
const PRUNED = 'v20.19.5';
/** The newest of LTS line v22 ("Jod"): watched only because it is LTS. */
const LTS = 'v22.21.0';

let site: DistSite;
let harness: Harness;

beforeEach(async () => {
  ({ site, harness } = await createAdversaryRig(T0));
});

describe('a pinned release removed from index.json', () => {
  it('stays in the hashing rotation: one flipped byte in it is found', async () => {
    await harness.sweep(T0);
    await harness.hashQueued(T0);
    expect(await pinOf(PRUNED)).toBeDefined();
    site.pruneIndex([PRUNED]);
    const file = site.files(PRUNED)[1] as string;
    site.tamperArtifact(PRUNED, file);

    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'index-rollback', INDEX_URL).evidence['missingPinned']).toEqual([PRUNED]);
    expect(harness.queued.map((job) => `${job.version}/${job.name}`)).toContain(
      `${PRUNED}/${file}`,
    );
    await harness.hashQueued(at(T0, 6));
    const [mismatch] = await incidentsFor('artifact-hash-mismatch', `${BASE}/${PRUNED}/${file}`);
    expect(mismatch).toMatchObject({ severity: 'P0', state: 'open' });
  });

  it('is never counted "all verified" while its bytes are wrong', async () => {
    await harness.sweep(T0);
    await harness.hashQueued(T0);
    site.pruneIndex([PRUNED]);
    site.tamperArtifact(PRUNED, site.files(PRUNED)[0] as string);
    await harness.sweep(at(T0, 5));
    await harness.hashQueued(at(T0, 6));
    const coverage = await monitorStateStub(harness.env).rotationCoverage({
      now: at(T0, 7).toISOString(),
      periodMs: WEEK_MS,
    });
    const line = coverage.find((entry) => entry.line === 'v20.x');
    expect(line).toMatchObject({ complete: false, mismatched: 1 });
    expect(line?.summary).not.toContain('all');
  });
});

describe('a pinned LTS release rewritten to "lts": false', () => {
  it('stays watched: an unsigned manifest edit is still found, and the rewrite is index-entry-rewritten', async () => {
    await harness.sweep(T0);
    expect((await pinOf(LTS))?.indexEntry?.lts).toBe('Jod');
    site.rewriteIndex(LTS, { lts: false });
    const rewritten = await harness.sweep(at(T0, 5));
    const finding = only(rewritten, 'index-entry-rewritten', INDEX_URL);
    expect(finding.severity).toBe('P1');
    expect(finding.evidence['rewritten']).toEqual([
      { version: LTS, changes: [{ field: 'lts', pinned: 'Jod', listed: false }] },
    ]);
    await harness.sweep(at(T0, 10));
    // Still watched in depth every sweep (not only reached by the daily manifest rotation).
    const watched = (await monitorStateStub(harness.env).latestSweep())?.releases;
    expect(watched).toContain(LTS);

    await site.alterManifest(LTS);
    const findings = await harness.sweep(at(T0, 15));
    expect(only(findings, 'manifest-changed', manifestUrl(LTS)).severity).toBe('P0');
    expect(only(findings, 'manifest-signature-invalid', manifestUrl(LTS)).severity).toBe('P0');
  });

  it('keeps its pinned entry: the rewrite never becomes the new truth', async () => {
    await harness.sweep(T0);
    const pinned = (await pinOf(LTS))?.indexEntry;
    expect(pinned).toMatchObject({ version: LTS, lts: 'Jod', security: false });
    site.rewriteIndex(LTS, { lts: false, date: '2020-01-01', files: [] });
    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'index-entry-rewritten', INDEX_URL).evidence['rewritten']).toMatchObject([
      { version: LTS, changes: [{ field: 'date' }, { field: 'lts' }, { field: 'files' }] },
    ]);
    await harness.sweep(at(T0, 10));
    expect((await pinOf(LTS))?.indexEntry).toEqual(pinned);
    const registry = await monitorStateStub(harness.env).releaseRegistry();
    expect(registry.releases.find((release) => release.version === LTS)?.pinned?.lts).toBe('Jod');
  });
});
