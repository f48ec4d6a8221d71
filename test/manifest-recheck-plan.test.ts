/**
 * The manifest rotation's plan (src/core/manifest-recheck-plan.ts), and a day of sweeps
 * over an archive of 800 pinned releases: every manifest re-checked within the day, within
 * the subrequest budget, silent ones every sweep.
 */
import { describe, expect, it } from 'vitest';
import {
  defaultRecheckPolicy,
  MANIFEST_RECHECK_COST,
  MANIFEST_RECHECK_PERIOD_MS,
  planManifestRechecks,
  type RecheckCandidate,
} from '../src/core/manifest-recheck-plan';
import { SWEEP_INTERVAL_MS } from '../src/core/rotation-plan';

const NOW = Date.parse('2026-11-20T10:00:00Z');
const policy = defaultRecheckPolicy();

describe('planManifestRechecks', () => {
  it('puts silent releases first, then never-checked, then the oldest checked', () => {
    const candidates: RecheckCandidate[] = [
      { version: 'v1.0.0', lastCheckedAt: NOW - 1000, silent: false },
      { version: 'v2.0.0', lastCheckedAt: NOW - 5000, silent: false },
      { version: 'v3.0.0', silent: false },
      { version: 'v4.0.0', lastCheckedAt: NOW - 10, silent: true },
    ];
    // One sweep per period: all four are due at once, in this order.
    const plan = planManifestRechecks(
      candidates,
      NOW,
      { ...policy, sweepIntervalMs: policy.periodMs },
      100,
    );
    expect(plan.versions).toEqual(['v4.0.0', 'v3.0.0', 'v2.0.0', 'v1.0.0']);
    // At the real pace only the most urgent go this sweep.
    expect(planManifestRechecks(candidates, NOW, policy, 100).versions).toEqual([
      'v4.0.0',
      'v3.0.0',
      'v2.0.0',
    ]);
  });

  it('never plans more than the budget affords', () => {
    const candidates = Array.from({ length: 50 }, (_, i) => ({
      version: `v${i}.0.0`,
      silent: true,
    }));
    expect(planManifestRechecks(candidates, NOW, policy, 3.9).versions).toHaveLength(3);
    expect(planManifestRechecks(candidates, NOW, policy, -2).versions).toHaveLength(0);
  });
});

describe('a day of sweeps over 800 pinned releases', () => {
  it('re-checks every manifest within the day, a few GETs per sweep, silent ones every sweep', () => {
    const lastChecked = new Map<string, number>();
    const versions = Array.from({ length: 800 }, (_, i) => `v${Math.floor(i / 40)}.${i % 40}.0`);
    const silent = 'v3.7.0';
    const sweeps = MANIFEST_RECHECK_PERIOD_MS / SWEEP_INTERVAL_MS;
    let maxPerSweep = 0;
    let silentChecks = 0;
    // A budget of 900 with the watched releases and the rest of the sweep already spent.
    const affordable = 200 / MANIFEST_RECHECK_COST;
    for (let sweep = 0; sweep < sweeps; sweep += 1) {
      const now = NOW + sweep * SWEEP_INTERVAL_MS;
      const candidates = versions.map((version) => ({
        version,
        silent: version === silent,
        ...(lastChecked.has(version) && { lastCheckedAt: lastChecked.get(version) }),
      }));
      const plan = planManifestRechecks(candidates, now, policy, affordable);
      maxPerSweep = Math.max(maxPerSweep, plan.versions.length);
      for (const version of plan.versions) {
        lastChecked.set(version, now);
        if (version === silent) silentChecks += 1;
      }
    }
    expect(lastChecked.size).toBe(800);
    // Three GETs per release: the per-sweep cost stays small next to the 900 budget.
    expect(maxPerSweep * 3).toBeLessThanOrEqual(30);
    expect(silentChecks).toBe(sweeps);
  });
});
