/**
 * The public status snapshot as plain data (src/http/snapshot-model.ts): the disclosure
 * rule applied when it is built (no undisclosed incident's id, URL, hash or lifecycle in it,
 * metrics included), the check that refuses a snapshot that would leak anyway, and the
 * health a reader is told at read time (a stale snapshot says so).
 */
import { describe, expect, it } from 'vitest';
import type { IncidentRecord, IncidentSummary } from '../src/core/incident';
import type { LineCoverage } from '../src/core/rotation-coverage';
import { findDisclosedSecrets } from '../src/http/snapshot-guard';
import { nextHeartbeat, servedHealth } from '../src/http/snapshot-health';
import {
  buildPublicSnapshot,
  emptySnapshot,
  reportAt,
  type SnapshotInput,
} from '../src/http/snapshot-model';
import type { StatusSources } from '../src/http/status-report';

const NOW = new Date('2030-06-15T12:00:00.000Z');
const at = (hoursAgo: number) => new Date(NOW.getTime() - hoursAgo * 3_600_000).toISOString();

const SECRET = {
  id: 'a'.repeat(32),
  url: 'https://nodejs.org/dist/v24.11.1/node-v24.11.1-linux-x64.tar.xz',
  expected: '5e2c9d1f0a4b7c8e3d6f9a2b5c8e1d4f7a0b3c6e9d2f5a8b1c4e7d0a3b6c9e2f',
  observed: 'a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90',
};

function summary(overrides: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    id: SECRET.id,
    fingerprint: `artifact-hash-mismatch ${SECRET.url}`,
    kind: 'artifact-hash-mismatch',
    severity: 'P0',
    state: 'open',
    subject: SECRET.url,
    title: 'An artifact does not match its signed hash',
    openedAt: at(2),
    lastSeen: at(0.1),
    security: true,
    disclosed: false,
    publicSummary: 'Investigating an issue affecting release downloads.',
    version: 3,
    ...overrides,
  };
}

function record(overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  const row = summary();
  return {
    id: row.id,
    fingerprint: row.fingerprint,
    kind: row.kind,
    subject: row.subject,
    severity: row.severity,
    state: row.state,
    title: row.title,
    summary: `node-v24.11.1-linux-x64.tar.xz hashes to ${SECRET.observed}`,
    expected: SECRET.expected,
    observed: SECRET.observed,
    release: 'v24.11.1',
    firstSeen: at(2),
    lastSeen: at(0.1),
    count: 4,
    openedAt: at(2),
    reopenCount: 0,
    security: true,
    disclosed: false,
    escalationLevel: 0,
    cleanStreak: 0,
    ...overrides,
  };
}

const MISMATCHED_LINE: LineCoverage = {
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
  summary: 'v24.x: 40 of 41 files verified (1 mismatched)',
};

function input(incident: Partial<IncidentSummary> = {}, full: Partial<IncidentRecord> = {}) {
  const sources: StatusSources = {
    sweepCount: 12,
    lastSuccessAt: at(0.05),
    sweepDays: [{ day: '2030-06-15', sweeps: 12, failed: 0 }],
    coverage: [MISMATCHED_LINE],
    incidents: [summary(incident)],
    sweepRunning: false,
    channels: { slack: true, sentry: false, webhooks: true },
    baseUrl: 'https://nodejs.org/dist',
    regions: [],
  };
  const value: SnapshotInput = {
    sources,
    totals: { sweeps: 12, failed: 0, bytes: 1000 },
    verifiedBytes: 500,
    deliveries: [],
    records: [record({ ...incident, ...full } as Partial<IncidentRecord>)],
  };
  return value;
}

const STAMP = { id: 'snap-1', version: 7, takenAt: NOW.toISOString(), trigger: 'test' } as const;

describe('buildPublicSnapshot', () => {
  it.each(['open', 'acknowledged', 'contained', 'resolved'] as const)(
    'keeps every detail of an undisclosed %s incident out, metrics included',
    (state) => {
      const times = {
        acknowledgedAt: at(1.5),
        ...(state !== 'open' && state !== 'acknowledged' && { containedAt: at(1) }),
        ...(state === 'resolved' && { resolvedAt: at(0.5) }),
      };
      const source = input({ state, ...times });
      const snapshot = buildPublicSnapshot(source, STAMP);
      const text = JSON.stringify(snapshot);
      for (const secret of [...Object.values(SECRET), 'artifact-hash-mismatch', at(1.5)])
        expect(text).not.toContain(secret);
      expect(findDisclosedSecrets(text, source)).toEqual([]);
      expect(snapshot.details).toEqual({});
      expect(snapshot.incidents).toHaveLength(1);
      expect(snapshot.incidents[0]).toMatchObject({ redacted: true, area: 'artifacts' });
      // The page shows only investigating or resolved, and so do the public metrics.
      for (const hidden of ['acknowledged', 'contained'])
        expect(snapshot.metrics).not.toContain(`state="${hidden}",severity="P0"} 1`);
      expect(snapshot.metrics).not.toMatch(
        /dist_monitor_time_to_(acknowledge|contain)_seconds_count\{severity="P0"\} 1/,
      );
    },
  );

  it('withholds per-line coverage from the public metrics while an incident is undisclosed', () => {
    const snapshot = buildPublicSnapshot(input(), STAMP);
    expect(snapshot.report.coverageWithheld).toBe(true);
    expect(snapshot.metrics).not.toContain('v24.x');
    const clean = buildPublicSnapshot(input({ security: false, kind: 'artifact-missing' }), STAMP);
    expect(clean.metrics).toContain(
      'dist_monitor_coverage_files{line="v24.x",result="mismatched"} 1',
    );
  });

  it('holds the full public detail of a disclosed incident, with its stamp', () => {
    const snapshot = buildPublicSnapshot(input({ disclosed: true }, { disclosed: true }), STAMP);
    expect(snapshot.details[SECRET.id]).toMatchObject({
      id: SECRET.id,
      subject: SECRET.url,
      observed: SECRET.observed,
      sightings: 4,
    });
    expect(snapshot.incidents[0]).toMatchObject({ redacted: false, id: SECRET.id });
    expect(snapshot).toMatchObject({ id: 'snap-1', version: 7, takenAt: NOW.toISOString() });
    expect(snapshot.report.generatedAt).toBe(NOW.toISOString());
  });

  it('gives no detail when the listing and the record disagree about disclosure', () => {
    const snapshot = buildPublicSnapshot(input({ disclosed: true }, { disclosed: false }), STAMP);
    expect(snapshot.details).toEqual({});
  });
});

describe('findDisclosedSecrets', () => {
  it('finds the id, fingerprint, URL and hashes of an undisclosed incident', () => {
    const source = input();
    const leaked = JSON.stringify({ oops: record() });
    expect(findDisclosedSecrets(leaked, source).sort()).toEqual(
      [
        SECRET.id,
        `artifact-hash-mismatch ${SECRET.url}`,
        SECRET.url,
        SECRET.expected,
        SECRET.observed,
      ].sort(),
    );
  });

  it('allows a URL that another, public incident shows', () => {
    const source = input();
    const missing = summary({
      id: 'b'.repeat(32),
      kind: 'artifact-missing',
      fingerprint: `artifact-missing ${SECRET.url}`,
      security: false,
      severity: 'P2',
    });
    const both = { ...source, sources: { ...source.sources, incidents: [summary(), missing] } };
    expect(findDisclosedSecrets(JSON.stringify({ shown: SECRET.url }), both)).toEqual([]);
    expect(findDisclosedSecrets(JSON.stringify({ shown: SECRET.id }), both)).toEqual([SECRET.id]);
  });

  it('has nothing to find without undisclosed incidents', () => {
    const source = input({ disclosed: true });
    expect(findDisclosedSecrets(JSON.stringify(record()), source)).toEqual([]);
  });
});

describe('health at read time', () => {
  const snapshot = buildPublicSnapshot(input({ security: false, kind: 'artifact-missing' }), STAMP);

  it('is the snapshot’s while it is fresh', () => {
    const report = reportAt(snapshot, new Date(NOW.getTime() + 60_000));
    expect(report.monitor).toMatchObject({ status: 'ok', phase: 'running', sweeps: 12 });
    expect(report.snapshot).toEqual({ id: 'snap-1', version: 7, takenAt: NOW.toISOString() });
  });

  it('says the monitor is behind once the snapshot is older than two sweep intervals', () => {
    const report = reportAt(snapshot, new Date(NOW.getTime() + 23 * 60_000));
    expect(report.monitor).toMatchObject({
      status: 'degraded',
      reason:
        'the public status snapshot was taken 23 min ago; a new one follows every sweep (every 5 min)',
    });
  });

  it('names stale sweeps first when it knows them (the heartbeat on /healthz)', () => {
    const later = new Date(NOW.getTime() + 23 * 60_000);
    const health = servedHealth({ sweeps: 12, lastSuccessAt: at(0.05) }, NOW.toISOString(), later, {
      sweepsFirst: true,
    });
    expect(health).toMatchObject({ status: 'degraded' });
    expect(health.status === 'degraded' && health.reason).toMatch(
      /last successful sweep finished 26 min ago/,
    );
  });

  it('says the writer is what broke when sweeps are fresh and the snapshot is not', () => {
    const later = new Date(NOW.getTime() + 23 * 60_000);
    const health = servedHealth(
      { sweeps: 13, lastSuccessAt: at(-0.37) },
      NOW.toISOString(),
      later,
      {
        sweepsFirst: true,
      },
    );
    expect(health).toMatchObject({
      status: 'degraded',
      reason: expect.stringContaining('public status snapshot was taken 23 min ago'),
    });
    expect(
      servedHealth({ sweeps: 13, lastSuccessAt: at(-0.37) }, undefined, later, {
        sweepsFirst: true,
      }),
    ).toMatchObject({
      status: 'degraded',
      reason: 'sweeps ran but no public status snapshot was published',
    });
  });

  it('is starting before any sweep and any snapshot', () => {
    const report = reportAt(emptySnapshot('https://nodejs.org/dist', NOW), NOW);
    expect(report.monitor).toEqual({
      status: 'ok',
      sweeps: 0,
      phase: 'starting',
      sweepRunning: false,
    });
    expect(report.snapshot).toBeNull();
  });

  it('counts sweeps and keeps the last success through a failed one (the heartbeat)', () => {
    const first = nextHeartbeat(undefined, { finishedAt: at(1), outcome: 'clean' });
    const second = nextHeartbeat(first, { finishedAt: at(0.5), outcome: 'failed' });
    expect(second).toEqual({
      sweeps: 2,
      lastFinishedAt: at(0.5),
      lastOutcome: 'failed',
      lastSuccessAt: at(1),
    });
  });
});
