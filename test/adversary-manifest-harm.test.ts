/**
 * Issue 13 item 5 (manifest half), severity by harm: what users receive on the plain URL
 * decides. With ORIGIN_BASE_URL empty the "origin" is the same edge with a query string, so
 * a site can serve tampered files to plain requests and the originals to any query string
 * (the fixture site's `answer-by-query` mode).
 */
import { beforeEach, describe, expect, it } from 'vitest';
import type { DistSite } from '../tools/dist-site/site';
import {
  at,
  createAdversaryRig,
  findingsOf,
  manifestUrl,
  only,
  sigUrl,
  type Harness,
} from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');
const PINNED = 'v24.11.1';

let site: DistSite;
let harness: Harness;

beforeEach(async () => {
  ({ site, harness } = await createAdversaryRig(T0));
});

describe('an unsigned manifest change served to plain requests only', () => {
  it('is the P0 kind users receive, whatever a query string shows; cache-poisoned is added, not substituted', async () => {
    await harness.sweep(T0);
    site.answerByQuery(`${PINNED}/SHASUMS256.txt`, { plain: 'tampered', query: 'clean' });

    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'manifest-changed', manifestUrl(PINNED)).severity).toBe('P0');
    expect(only(findings, 'manifest-signature-invalid', manifestUrl(PINNED)).severity).toBe('P0');
    expect(only(findings, 'cache-poisoned', manifestUrl(PINNED)).severity).toBe('P1');
  });

  it('a signature replaced for plain requests only is manifest-signature-invalid (P0)', async () => {
    await harness.sweep(T0);
    site.answerByQuery(`${PINNED}/SHASUMS256.txt.sig`, { plain: 'tampered', query: 'clean' });
    const findings = await harness.sweep(at(T0, 5));
    expect(only(findings, 'manifest-signature-invalid', manifestUrl(PINNED)).severity).toBe('P0');
    expect(findingsOf(findings, 'cache-poisoned').map((f) => f.subject)).toEqual([sigUrl(PINNED)]);
  });
});
