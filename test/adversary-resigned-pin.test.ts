/**
 * Issue 13, "tests that would not notice" (a): a validly re-signed manifest must never
 * overwrite the pin. If it did, the attacker's hashes would become "expected" and no later
 * sweep, nor the hash queue, would report anything. This test fails when the pin is
 * rewritten (by a sweep, the manifest rotation or the hashing rotation).
 */
import { describe, expect, it } from 'vitest';
import { at, createAdversaryRig, findingsOf, manifestUrl, pinOf } from './hostile/adversary';

const T0 = new Date('2026-11-20T10:00:00Z');

describe('a manifest changed and validly re-signed with the release key', () => {
  it('never replaces the pin: every later sweep still reports manifest-changed (P0)', async () => {
    const { site, harness } = await createAdversaryRig(T0);
    const version = 'v24.11.1';
    await harness.sweep(T0);
    await harness.hashQueued(T0);
    const pinned = await pinOf(version);
    expect(pinned).toBeDefined();

    await site.resignManifest(version);
    for (const minutes of [5, 10, 24 * 60]) {
      const findings = await harness.sweep(at(T0, minutes));
      await harness.hashQueued(at(T0, minutes + 1));
      const changed = findingsOf(findings, 'manifest-changed', manifestUrl(version));
      expect(changed.map((f) => [f.severity, f.evidence['signedValidly']])).toEqual([['P0', true]]);
      const pin = await pinOf(version);
      expect(pin?.manifestSha256).toBe(pinned?.manifestSha256);
      expect(pin?.entries).toEqual(pinned?.entries);
    }
  });
});
