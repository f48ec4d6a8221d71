/**
 * One incident per cause, without silencing anything (docs/reliability.md, "Mutation
 * testing"). Grouping decides which incident a finding reaches and at what severity, and
 * the alert cap decides which incidents page first, so a slip there hides a P0 behind a
 * P3. test/incident-grouping.test.ts drives these through the incident objects in workerd;
 * these pure cases run in plain Node too, where the mutation run sees them.
 */
import { describe, expect, it } from 'vitest';
import {
  createFinding,
  fingerprintOf,
  type Finding,
  type FindingInput,
} from '../src/core/findings';
import {
  AlertAllowance,
  describeHeldAlerts,
  orderForAlerting,
  sortHeld,
  type HeldAlert,
} from '../src/core/incident-alert-cap';
import {
  causeOf,
  dedupeByFingerprint,
  groupFingerprintOf,
  groupFinding,
  groupSubjectOf,
  isGroupSubject,
  MAX_CAUSE_LENGTH,
  planIncidentReports,
} from '../src/core/incident-grouping';

const NOW = new Date('2026-11-20T10:00:00Z');
const BASE = 'https://dist.test/dist';
const urlOf = (i: number) => `${BASE}/v24.11.1/file-${i}.tar.gz`;

function make(input: Partial<FindingInput> & Pick<FindingInput, 'kind'>, at = NOW): Finding {
  return createFinding({ subject: urlOf(0), summary: `${input.kind} seen`, ...input }, at);
}

const cachePolicy = (
  i: number,
  observed = 'public, max-age=60',
  status = 200,
  policy = 'success',
) =>
  make({
    kind: 'cache-policy-violation',
    subject: urlOf(i),
    observed,
    evidence: { url: urlOf(i), status, policy },
  });

describe('the cause of a finding', () => {
  it('names the Cache-Control, the policy and the response class, lowercased', () => {
    expect(causeOf(cachePolicy(1, 'Public, MAX-AGE=60'))).toBe(
      'Cache-Control public, max-age=60 on success 2xx',
    );
    expect(causeOf(cachePolicy(1, 'x', 304))).toBe('Cache-Control x on success 304');
    expect(causeOf(cachePolicy(1, 'x', 206))).toBe('Cache-Control x on success 206');
    expect(causeOf(cachePolicy(1, 'x', 404, 'error'))).toBe('Cache-Control x on error 4xx');
    expect(causeOf(cachePolicy(1, 'x', 503, 'error'))).toBe('Cache-Control x on error 5xx');
    const bare = make({ kind: 'cache-policy-violation', subject: urlOf(1), evidence: {} });
    expect(causeOf(bare)).toBe('Cache-Control (missing) on responses');
    const oddStatus = make({
      kind: 'cache-policy-violation',
      observed: 'x',
      evidence: { status: 200.5, policy: 7 },
    });
    expect(causeOf(oddStatus)).toBe('Cache-Control x on responses');
  });

  it('names leaked headers and changed fields as a sorted set, else what was observed', () => {
    const leak = (headers: unknown, observed?: string) =>
      causeOf(
        make({ kind: 'header-disclosure', evidence: { headers }, ...(observed && { observed }) }),
      );
    expect(leak(['x-b', 'set-cookie', 'x-b'])).toBe('headers set-cookie, x-b');
    expect(leak([], 'server')).toBe('observed server');
    expect(leak(['set-cookie', 1], 'server')).toBe('observed server');
    expect(leak('set-cookie', '  ')).toBeUndefined();
    const meta = (changed: unknown) =>
      causeOf(make({ kind: 'artifact-metadata-changed', observed: 'o', evidence: { changed } }));
    expect(meta(['Last-Modified', 'ETag'])).toBe('changed ETag, Last-Modified');
    expect(meta(undefined)).toBe('observed o');
  });

  it('groups poisoned caches by their differences, or by regions only for a regional finding', () => {
    const poisoned = (evidence: Record<string, unknown>, regions?: string[]) =>
      causeOf(make({ kind: 'cache-poisoned', evidence, ...(regions && { regions }) }));
    expect(poisoned({ differences: ['etag', 'bytes'] })).toBe('differences bytes, etag');
    expect(poisoned({ regional: true }, ['weur', 'apac'])).toBe('regions apac, weur');
    expect(poisoned({ regional: 'yes' }, ['weur'])).toBeUndefined();
    expect(poisoned({ regional: true })).toBeUndefined();
    expect(poisoned({})).toBeUndefined();
  });

  it('groups bytes by release, a missing file by release and what was served, a redirect by host', () => {
    for (const kind of ['artifact-hash-mismatch', 'artifact-unverifiable'] as const) {
      expect(causeOf(make({ kind, release: 'v1.0.0' }))).toBe('release v1.0.0');
      expect(causeOf(make({ kind }))).toBeUndefined();
    }
    expect(
      causeOf(make({ kind: 'artifact-missing', release: 'v1.0.0', observed: 'HTTP 404' })),
    ).toBe('release v1.0.0 HTTP 404');
    expect(causeOf(make({ kind: 'artifact-missing', release: 'v1.0.0' }))).toBe(
      'release v1.0.0 not served',
    );
    expect(causeOf(make({ kind: 'artifact-missing' }))).toBeUndefined();
    expect(causeOf(make({ kind: 'foreign-redirect', observed: 'https://evil.test:8443/x' }))).toBe(
      'redirects to evil.test:8443',
    );
    expect(causeOf(make({ kind: 'foreign-redirect', observed: 'not a url' }))).toBeUndefined();
    expect(causeOf(make({ kind: 'foreign-redirect' }))).toBeUndefined();
  });

  it('leaves site-wide kinds alone, and groups other kinds by what was observed', () => {
    for (const kind of [
      'origin-unavailable',
      'latency-degraded',
      'index-invalid',
      'index-rollback',
      'release-keys-unavailable',
    ] as const) {
      expect(causeOf(make({ kind, observed: 'same everywhere' }))).toBeUndefined();
    }
    expect(causeOf(make({ kind: 'manifest-changed', observed: 'x' }))).toBe('observed x');
    expect(causeOf(make({ kind: 'manifest-changed' }))).toBeUndefined();
  });

  it('takes the cause the check named, flattened; a blank one is no cause', () => {
    expect(causeOf(make({ kind: 'manifest-changed', cause: '  a\u0000\u2028b \t\n c  ' }))).toBe(
      'a b c',
    );
    expect(
      causeOf(make({ kind: 'manifest-changed', observed: 'x', cause: ' \r\n ' })),
    ).toBeUndefined();
    expect(causeOf(make({ kind: 'manifest-changed', cause: 'y'.repeat(500) }))).toHaveLength(
      MAX_CAUSE_LENGTH,
    );
  });

  it('is none for a group’s own finding, so a group never nests', () => {
    const group = make({
      kind: 'manifest-changed',
      subject: groupSubjectOf('observed x'),
      observed: 'x',
    });
    expect(isGroupSubject(group.subject)).toBe(true);
    expect(isGroupSubject(urlOf(1))).toBe(false);
    expect(isGroupSubject(`x${groupSubjectOf('y')}`)).toBe(false);
    expect(causeOf(group)).toBeUndefined();
    expect(groupFingerprintOf(group)).toBeUndefined();
    expect(groupFingerprintOf(cachePolicy(1))).toBe(
      fingerprintOf('cache-policy-violation', groupSubjectOf(causeOf(cachePolicy(1)) ?? '')),
    );
  });
});

describe('planning one sweep', () => {
  it('keeps two causes of one kind apart, and one cause of two kinds apart', () => {
    const reports = planIncidentReports(
      [
        cachePolicy(1),
        cachePolicy(2),
        cachePolicy(3, 'no-store'),
        cachePolicy(4, 'no-store'),
        make({ kind: 'header-disclosure', subject: urlOf(5), observed: 'public, max-age=60' }),
      ],
      new Set(),
    );
    expect(reports.map((report) => [report.finding.subject, report.members?.length])).toEqual([
      ['cause: Cache-Control public, max-age=60 on success 2xx', 2],
      ['cause: Cache-Control no-store on success 2xx', 2],
      [urlOf(5), undefined],
    ]);
  });

  it('never groups findings that have no cause, even of one kind', () => {
    const lone = [
      make({ kind: 'origin-unavailable', subject: `${BASE}/index.json` }),
      make({ kind: 'origin-unavailable', subject: `${BASE}/index.tab` }),
      make({ kind: 'manifest-changed', subject: urlOf(1) }),
      make({ kind: 'manifest-changed', subject: urlOf(2) }),
    ];
    expect(planIncidentReports(lone, new Set())).toEqual(lone.map((finding) => ({ finding })));
  });

  it('sends a finding with its own open incident there, even when its group is open too', () => {
    const [a, b, c] = [cachePolicy(1), cachePolicy(2), cachePolicy(3)];
    const group = groupFingerprintOf(a) as string;
    const reports = planIncidentReports([a, b, c], new Set([a.fingerprint, group]));
    expect(reports[0]).toEqual({ finding: a });
    expect(reports[1]?.finding.fingerprint).toBe(group);
    expect(reports[1]?.members).toEqual([b, c]);
    // A lone finding whose group is open joins it as a group of one.
    const [alone] = planIncidentReports([b], new Set([group]));
    expect(alone?.finding.fingerprint).toBe(group);
    expect(alone?.members).toEqual([b]);
  });

  it('counts a fingerprint seen twice once, keeping the more severe sighting', () => {
    const low = cachePolicy(1);
    const high = { ...low, severity: 'P1' as const, summary: 'worse' };
    expect(dedupeByFingerprint([low, high])).toEqual([high]);
    expect(dedupeByFingerprint([high, low])).toEqual([high]);
    expect(dedupeByFingerprint([low, { ...low, summary: 'same severity' }])).toEqual([low]);
    expect(planIncidentReports([low, high], new Set())).toEqual([{ finding: high }]);
  });
});

describe('a group’s finding', () => {
  const member = (i: number, fields: Partial<FindingInput> = {}, at = NOW) =>
    make({ kind: 'artifact-missing', subject: urlOf(i), release: 'v24.11.1', ...fields }, at);

  it('is as severe as its most severe member, wherever that member stands', () => {
    for (const order of [
      ['P3', 'P2', 'P0'],
      ['P0', 'P3', 'P2'],
      ['P2', 'P0', 'P3'],
    ] as const) {
      const members = order.map((severity, i) => member(i, { severity }));
      expect(groupFinding('c', members).severity).toBe('P0');
    }
    expect(groupFinding('c', [member(1, { severity: 'P3' })]).severity).toBe('P3');
    expect(() => groupFinding('c', [])).toThrow(RangeError);
  });

  it('lists every subject, most severe first then by name, and keeps every member', () => {
    const members = Array.from({ length: 1001 }, (_, i) =>
      member(1000 - i, { severity: i === 500 ? 'P1' : 'P2' }),
    );
    const group = groupFinding('release v24.11.1 not served', members);
    const subjects = group.evidence['subjects'] as string[];
    expect(subjects).toHaveLength(1001);
    expect(subjects[0]).toBe(urlOf(500));
    expect(subjects[1]).toBe(urlOf(0));
    expect(group.evidence['urls']).toEqual(subjects);
    expect((group.evidence['members'] as unknown[]).length).toBe(1000);
    expect(group.summary).toMatch(
      /^1001 subject\(s\) share one cause \(release v24\.11\.1 not served\): \S+, \S+, \S+ and 998 more\. artifact-missing seen$/,
    );
    expect(group).toMatchObject({
      kind: 'artifact-missing',
      subject: 'cause: release v24.11.1 not served',
      fingerprint: fingerprintOf('artifact-missing', 'cause: release v24.11.1 not served'),
      cause: 'release v24.11.1 not served',
      release: 'v24.11.1',
    });
  });

  it('keeps only the values every member shares, the union of regions, and the latest sighting', () => {
    const later = new Date(NOW.getTime() + 60_000);
    const group = groupFinding('c', [
      member(1, { expected: 'e', observed: 'o1', regions: ['weur'] }),
      member(2, { expected: 'e', observed: 'o2', regions: ['apac', 'weur'] }, later),
      member(3, { expected: 'e', observed: 'o1' }),
    ]);
    expect(group.expected).toBe('e');
    expect(group.observed).toBeUndefined();
    expect(group.regions).toEqual(['apac', 'weur']);
    expect(group.observedAt).toBe(later.toISOString());
    const plain = groupFinding('c', [member(1), member(2, { release: 'v1.0.0' })]);
    expect(plain.release).toBeUndefined();
    expect(plain.regions).toBeUndefined();
    expect('expected' in plain).toBe(false);
    const three = groupFinding('c', [member(1), member(2), member(3)]);
    expect(three.summary).not.toContain('more');
    expect((three.evidence['members'] as unknown[])[0]).toEqual({
      subject: urlOf(1),
      severity: 'P2',
      summary: 'artifact-missing seen',
      release: 'v24.11.1',
    });
  });
});

describe('the alert cap', () => {
  const report = (severity: 'P0' | 'P1' | 'P2' | 'P3', i: number) => ({
    finding: make({ kind: 'manifest-changed', subject: urlOf(i), severity }),
  });

  it('puts what will alert first, most severe first, in sweep order otherwise', () => {
    const reports = [
      report('P3', 1),
      report('P2', 2),
      report('P0', 3),
      report('P2', 4),
      report('P1', 5),
    ];
    const fp = (i: number) => reports[i - 1]?.finding.fingerprint as string;
    // 3 (P0) and 5 (P1) already have open incidents at the same severity: they will not alert.
    const open = new Map([
      [fp(3), 'P0' as const],
      [fp(5), 'P2' as const],
      [fp(4), undefined],
    ]);
    const order = orderForAlerting(reports, open).map((r) => r.finding.subject);
    // 5 rises from P2 to P1 and alerts; 4's incident is open with no severity known: no alert.
    expect(order).toEqual([urlOf(5), urlOf(2), urlOf(1), urlOf(3), urlOf(4)]);
    expect(orderForAlerting(reports, new Map()).map((r) => r.finding.subject)).toEqual([
      urlOf(3),
      urlOf(5),
      urlOf(2),
      urlOf(4),
      urlOf(1),
    ]);
  });

  it('counts what it spent and never goes below nothing left', () => {
    const allowance = new AlertAllowance(3);
    expect([allowance.alerted, allowance.remaining]).toEqual([0, 3]);
    allowance.spend(2);
    expect([allowance.alerted, allowance.remaining]).toEqual([2, 1]);
    allowance.spend(5);
    expect([allowance.alerted, allowance.remaining]).toEqual([7, 0]);
  });

  it('carries the cap alert on the most severe held incident and lists 20 of them by severity', () => {
    const held: HeldAlert[] = Array.from({ length: 23 }, (_, i) => ({
      incidentId: `inc-${String(i).padStart(2, '0')}`,
      fingerprint: `fp-${i}`,
      kind: 'manifest-changed',
      severity: i === 7 ? 'P0' : i % 2 === 0 ? 'P2' : 'P3',
      events: ['opened'],
    }));
    expect(
      sortHeld(held)
        .map((entry) => entry.incidentId)
        .slice(0, 3),
    ).toEqual(['inc-07', 'inc-00', 'inc-02']);
    const text = describeHeldAlerts({ cap: 5, alerted: 5 }, held);
    expect(text).toMatch(
      /^5 incident\(s\) alerted in this sweep \(ALERT_CAP_PER_SWEEP=5\); the alerts of 23 more were held back \(1 P0, 12 P2, 10 P3\)\./,
    );
    expect(text).toContain(
      ': P0 manifest-changed inc-07 (opened); P2 manifest-changed inc-00 (opened);',
    );
    expect(text).toMatch(/; and 3 more\.$/);
    expect(describeHeldAlerts({ cap: 5, alerted: 5 }, held.slice(0, 20))).not.toContain('more.');
  });
});
