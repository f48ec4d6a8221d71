/**
 * The pure parts of the status face: overall and area states, the 90-day bars and uptime,
 * the monitor's health, the response KPIs, and escaping on the rendered page.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentSummary } from '../src/core/incident';
import { computeResponseKpis, type KpiIncident } from '../src/http/response-kpis';
import {
  assessMonitorHealth,
  coveredMs,
  overallStateOf,
  planAreaHistories,
  type IncidentTimes,
} from '../src/http/status-model';
import { renderStatusPage } from '../src/http/status-page';
import { buildStatusReport, type StatusSources } from '../src/http/status-report';
import { renderBadge } from '../src/http/badge';

const NOW = new Date('2030-06-15T12:00:00Z');
const HOUR = 3_600_000;
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * HOUR).toISOString();

function incident(overrides: Partial<IncidentTimes> = {}): IncidentTimes {
  return { kind: 'artifact-missing', severity: 'P2', state: 'open', openedAt: at(1), ...overrides };
}

describe('overallStateOf', () => {
  it.each([
    [[], 'operational'],
    [[incident({ severity: 'P3' })], 'minor'],
    [[incident({ severity: 'P2' }), incident({ severity: 'P1' })], 'major'],
    [[incident({ severity: 'P0' }), incident({ severity: 'P1' })], 'critical'],
    [[incident({ severity: 'P0', state: 'resolved', resolvedAt: at(0) })], 'operational'],
  ] as const)('is %# → %s', (incidents, state) => {
    expect(overallStateOf(incidents)).toBe(state);
  });
});

describe('planAreaHistories', () => {
  const sweepDays = [
    { day: '2030-06-10', sweeps: 288, failed: 0 },
    { day: '2030-06-15', sweeps: 144, failed: 0 },
  ];

  it('gives five areas of 90 days, oldest first, ending today', () => {
    const histories = planAreaHistories([], sweepDays, { now: NOW });
    expect(histories.map((h) => h.area)).toEqual([
      'index',
      'manifests',
      'artifacts',
      'availability',
      'cache',
    ]);
    for (const history of histories) {
      expect(history.days).toHaveLength(90);
      expect(history.days.at(-1)?.day).toBe('2030-06-15');
      expect(history.days[0]?.day).toBe('2030-03-18');
    }
  });

  it('marks days without sweeps as unmonitored and days with sweeps as clean', () => {
    const [index] = planAreaHistories([], sweepDays, { now: NOW });
    expect(index?.days.find((d) => d.day === '2030-06-10')).toEqual({
      day: '2030-06-10',
      monitored: true,
    });
    expect(index?.days.find((d) => d.day === '2030-06-11')).toEqual({
      day: '2030-06-11',
      monitored: false,
    });
  });

  it('marks every day an incident was open with its worst severity, in its area only', () => {
    const histories = planAreaHistories(
      [
        incident({
          kind: 'artifact-hash-mismatch',
          severity: 'P0',
          openedAt: '2030-06-12T22:00:00Z',
          resolvedAt: '2030-06-14T01:00:00Z',
          state: 'resolved',
        }),
        incident({ kind: 'artifact-missing', severity: 'P2', openedAt: '2030-06-13T10:00:00Z' }),
      ],
      sweepDays,
      { now: NOW },
    );
    const artifacts = histories.find((h) => h.area === 'artifacts');
    const worst = (day: string) => artifacts?.days.find((d) => d.day === day)?.worst;
    expect([
      worst('2030-06-11'),
      worst('2030-06-12'),
      worst('2030-06-13'),
      worst('2030-06-14'),
      worst('2030-06-15'),
    ]).toEqual([undefined, 'P0', 'P0', 'P0', 'P2']);
    expect(artifacts?.state).toBe('minor');
    expect(histories.find((h) => h.area === 'cache')?.days.some((d) => d.worst !== undefined)).toBe(
      false,
    );
  });

  it('counts only P0/P1 time against uptime, over the monitored time', () => {
    const histories = planAreaHistories(
      [
        incident({
          kind: 'cache-poisoned',
          severity: 'P1',
          openedAt: at(12),
          resolvedAt: at(0),
          state: 'resolved',
        }),
        incident({ kind: 'cache-policy-violation', severity: 'P2', openedAt: at(48) }),
      ],
      [{ day: '2030-06-10', sweeps: 1, failed: 0 }],
      { now: NOW },
    );
    const cache = histories.find((h) => h.area === 'cache');
    // Monitored since 2030-06-10T00:00Z: 5.5 days = 132 h, of which 12 h under a P1.
    expect(cache?.uptimePercent).toBe(Math.floor((1 - 12 / 132) * 10_000) / 100);
    expect(histories.find((h) => h.area === 'index')?.uptimePercent).toBe(100);
  });

  it('has no uptime before any data', () => {
    expect(planAreaHistories([], [], { now: NOW })[0]?.uptimePercent).toBeUndefined();
  });
});

describe('coveredMs', () => {
  it('merges overlapping intervals and clips them to the window', () => {
    expect(
      coveredMs(
        [
          [0, 10],
          [5, 15],
          [20, 30],
          [-5, 2],
        ],
        0,
        25,
      ),
    ).toBe(20);
  });
});

describe('assessMonitorHealth', () => {
  it.each([
    [0, undefined, 'ok'],
    [3, at(0.1), 'ok'],
    [3, at(10 / 60), 'ok'],
    [3, at(11 / 60), 'degraded'],
    [3, undefined, 'degraded'],
  ] as const)('with %i sweeps, last success %s: %s', (sweeps, lastSuccessAt, status) => {
    expect(assessMonitorHealth({ sweeps, lastSuccessAt, now: NOW }).status).toBe(status);
  });
});

describe('computeResponseKpis', () => {
  const kpi = (overrides: Partial<KpiIncident>): KpiIncident => ({
    severity: 'P0',
    state: 'open',
    openedAt: at(2),
    ...overrides,
  });

  it('measures acknowledge, contain and resolve from the opening', () => {
    const kpis = computeResponseKpis(
      [
        kpi({
          state: 'resolved',
          acknowledgedAt: at(1.9),
          containedAt: at(1.5),
          resolvedAt: at(1),
        }),
      ],
      NOW,
    );
    expect(kpis.P0.acknowledge).toMatchObject({ count: 1, sumSeconds: 360, p50Seconds: 360 });
    expect(kpis.P0.contain.sumSeconds).toBe(1800);
    expect(kpis.P0.resolve.sumSeconds).toBe(3600);
    expect(kpis.P0.slaBreaches).toBe(0);
  });

  it('counts a late acknowledgement and a waiting incident as SLA breaches', () => {
    const kpis = computeResponseKpis(
      [kpi({ acknowledgedAt: at(1.5) }), kpi({ openedAt: at(0.5) }), kpi({ openedAt: at(0.1) })],
      NOW,
    );
    expect(kpis.P0.slaBreaches).toBe(2);
    expect(kpis.P0.slaBreachesOpen).toBe(1);
  });

  it('uses each severity’s response time', () => {
    const kpis = computeResponseKpis([kpi({ severity: 'P2', openedAt: at(1.5) })], NOW);
    expect(kpis.P2).toMatchObject({ responseMinutes: 120, slaBreaches: 0 });
  });
});

function sources(overrides: Partial<StatusSources> = {}): StatusSources {
  return {
    sweepCount: 1,
    lastSuccessAt: at(0.05),
    sweepDays: [{ day: '2030-06-15', sweeps: 1, failed: 0 }],
    coverage: [],
    incidents: [],
    sweepRunning: false,
    channels: { slack: false, sentry: false, webhooks: false },
    baseUrl: 'https://nodejs.org/dist',
    ...overrides,
  };
}

function summary(overrides: Partial<IncidentSummary>): IncidentSummary {
  return {
    id: 'f'.repeat(32),
    fingerprint: 'artifact-missing https://nodejs.org/dist/x',
    kind: 'artifact-missing',
    severity: 'P2',
    state: 'open',
    subject: 'https://nodejs.org/dist/x',
    title: 'An artifact listed in a signed manifest is not served',
    openedAt: at(1),
    lastSeen: at(0.1),
    security: false,
    disclosed: false,
    publicSummary: 'x is missing',
    version: 1,
    ...overrides,
  };
}

describe('renderStatusPage', () => {
  function page(input: Partial<StatusSources>): string {
    const src = sources(input);
    const report = buildStatusReport(src, { audience: 'public', now: NOW });
    return renderStatusPage(
      report,
      planAreaHistories(src.incidents, src.sweepDays, { now: NOW }),
      NOW,
    );
  }

  it('escapes what incidents say', () => {
    const html = page({
      incidents: [summary({ publicSummary: '<script>alert(1)</script> & "x"' })],
    });
    expect(html).not.toContain('<script>alert(1)</script>');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;');
  });

  it('shows coverage per release line ("v24.x: 41/41 files verified")', () => {
    const html = page({
      coverage: [
        {
          line: 'v24.x',
          releases: 3,
          manifestsPending: 0,
          files: 41,
          verifiedWithinPeriod: 41,
          stale: 0,
          neverHashed: 0,
          mismatched: 0,
          unverifiable: 0,
          complete: true,
          oldestVerifiedAt: at(3),
          summary: 'v24.x: all 41 files verified within the last 7 days',
        },
      ],
    });
    expect(html).toMatch(/<th scope="row">v24.x<\/th>\s*<td>\s*41\/41 files verified/);
    expect(html).toContain('3 h ago');
  });

  it('withholds coverage results while a private incident is undisclosed', () => {
    const line = {
      line: 'v24.x',
      releases: 3,
      manifestsPending: 0,
      files: 41,
      verifiedWithinPeriod: 40,
      stale: 0,
      neverHashed: 0,
      mismatched: 1,
      unverifiable: 0,
      complete: false,
      summary: 'v24.x: 40 of 41 (1 mismatched)',
    };
    const html = page({
      coverage: [line],
      incidents: [summary({ kind: 'artifact-hash-mismatch', severity: 'P0', security: true })],
    });
    expect(html).toContain('results withheld');
    expect(html).not.toContain('mismatched');
    expect(html).not.toContain('40/41');
  });

  it('states each area in words, not only colour', () => {
    const html = page({
      incidents: [summary({ kind: 'cache-poisoned', severity: 'P1', security: false })],
    });
    expect(html).toMatch(
      /<h3 id="area-cache">Download cache<\/h3>\s*<p class="state">\s*<span aria-hidden="true">▲<\/span> Major issue/,
    );
    expect(html).toContain('Last 90 days:');
  });
});

describe('renderBadge', () => {
  it.each([
    ['operational', 'ok', 1, 'operational'],
    ['critical', 'ok', 1, 'critical issue'],
    ['operational', 'degraded', 1, 'monitor behind'],
    ['operational', 'ok', 0, 'starting'],
  ] as const)('%s with a %s monitor after %i sweeps says %s', (status, health, sweeps, message) => {
    const monitor =
      health === 'ok'
        ? { status: 'ok' as const, sweeps, phase: 'running' as const, sweepRunning: false }
        : { status: 'degraded' as const, reason: 'x', sweeps, sweepRunning: false };
    expect(renderBadge({ status, monitor })).toContain(`aria-label="dist integrity: ${message}"`);
  });
});
