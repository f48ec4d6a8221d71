/**
 * Issue 14 item 5, every signed manifest of the archive re-checked: a release nobody watches
 * any more (only the newest is watched here) has its SHASUMS256.txt edited and its `.sig`
 * and `.asc` deleted; the manifest rotation finds it within the day, sweep by sweep.
 * (The 800-release pacing is shown in test/manifest-recheck-plan.test.ts.)
 */
import { describe, expect, it } from 'vitest';
import { createDistSite } from '../tools/dist-site/site';
import {
  at,
  createAdversarySite,
  createHarness,
  findingsOf,
  manifestUrl,
  pinOf,
  sigUrl,
} from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');
const OLD = 'v18.20.8';

describe('an old release’s manifest edited and its signatures deleted', () => {
  it('is found by the manifest rotation within a day, though the release is not watched', async () => {
    const site = await createDistSite({ now: T0, artifactsPerRelease: 2 });
    const adversary = createAdversarySite(site);
    const harness = createHarness(site, adversary.monitorFetch, {
      WATCH_NEWEST: '1',
      WATCH_LINES: '25',
    });
    // The first sweeps pin the archive through the hashing rotation (not watched).
    await harness.sweep(T0);
    await harness.sweep(at(T0, 5));
    expect(await pinOf(OLD)).toBeDefined();

    await site.alterManifest(OLD);
    site.dropFile(`${OLD}/SHASUMS256.txt.sig`);
    site.dropFile(`${OLD}/SHASUMS256.txt.asc`);
    expect((await site.fetcher(sigUrl(OLD))).status).toBe(404);

    const sweepsPerDay = (24 * 60) / 5; // the cron runs every five minutes
    let foundAfter: number | undefined;
    for (let sweep = 2; sweep < sweepsPerDay && foundAfter === undefined; sweep += 1) {
      const findings = await harness.sweep(at(T0, sweep * 5));
      const changed = findingsOf(findings, 'manifest-changed', manifestUrl(OLD));
      if (changed.length > 0) {
        foundAfter = sweep;
        expect(changed[0]?.severity).toBe('P0');
        expect(findingsOf(findings, 'manifest-signature-invalid', manifestUrl(OLD))).toHaveLength(
          1,
        );
      }
    }
    expect(foundAfter).toBeDefined();
    // Seven releases in the archive: the rotation reaches each within a few sweeps.
    expect(foundAfter).toBeLessThanOrEqual(10);
  });
});
