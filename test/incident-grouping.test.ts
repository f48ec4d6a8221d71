/**
 * One incident per cause: findings of one kind that share a cause in one sweep are one
 * incident listing its subjects, with a fingerprint that does not depend on how many
 * subjects a sweep saw; nothing is lowered or silenced; alerts per sweep are capped and the
 * cap is itself alerted. Through the real incident objects (reportSweepFindings).
 */
import { env } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { fingerprintOf, type Finding, type FindingInput } from '../src/core/findings';
import { causeOf, groupFingerprintOf, planIncidentReports } from '../src/core/incident-grouping';
import { incidentIdOf, type IncidentDetail } from '../src/core/incident';
import { incidentStubFor } from '../src/durable/incident-stubs';
import { reportSweepFindings } from '../src/jobs/report-findings';
import {
  installIncidentDependencies,
  makeFinding,
  MINUTE,
  RecordingChannel,
  resetIncidentDependencies,
  runAlarms,
  TestClock,
} from './incident-helpers';

const BASE = 'https://dist.test/dist';
const urlOf = (i: number) => `${BASE}/v24.11.1/file-${i}.tar.gz`;

/** One wrong Cache-Control on a response of `url`, as the header policy reports it. */
function cachePolicy(url: string, observed = 'public, max-age=60', status = 200): Finding {
  return makeFinding({
    kind: 'cache-policy-violation',
    subject: url,
    expected: 'public, max-age=3600, s-maxage=14400',
    observed,
    evidence: { url, status, policy: status < 400 ? 'success' : 'error' },
  });
}

function leakedHeader(url: string, header = 'set-cookie'): Finding {
  return makeFinding({
    kind: 'header-disclosure',
    subject: url,
    observed: header,
    evidence: { url, status: 200, headers: [header] },
  });
}

function finding(input: Partial<FindingInput> & Pick<FindingInput, 'kind'>): Finding {
  return makeFinding(input);
}

describe('the cause of a finding', () => {
  it('is the observed Cache-Control and response class, not the URL', () => {
    expect(causeOf(cachePolicy(urlOf(1)))).toBe(causeOf(cachePolicy(urlOf(2))));
    expect(causeOf(cachePolicy(urlOf(1)))).not.toBe(causeOf(cachePolicy(urlOf(1), 'no-store')));
    expect(causeOf(cachePolicy(urlOf(1), 'x', 200))).not.toBe(
      causeOf(cachePolicy(urlOf(1), 'x', 503)),
    );
  });

  it('is the leaked header name for header-disclosure, the release for tampered bytes', () => {
    expect(causeOf(leakedHeader(urlOf(1)))).toBe('headers set-cookie');
    expect(causeOf(leakedHeader(urlOf(1), 'x-powered-by'))).toBe('headers x-powered-by');
    expect(
      causeOf(finding({ kind: 'artifact-hash-mismatch', release: 'v24.11.1', subject: urlOf(1) })),
    ).toBe('release v24.11.1');
  });

  it('is the one the check names, when it names one', () => {
    const fallback = finding({
      kind: 'artifact-metadata-changed',
      subject: urlOf(1),
      cause: 'served from the origin fallback',
      evidence: { changed: ['ETag'] },
    });
    expect(causeOf(fallback)).toBe('served from the origin fallback');
  });

  it('is flattened and bounded whatever the site sends', () => {
    const cause = causeOf(cachePolicy(urlOf(1), `a\u0000b\r\n${'x'.repeat(5000)}`));
    expect(cause).toBeDefined();
    expect(cause?.length).toBeLessThanOrEqual(200);
    expect(cause).not.toMatch(/[\u0000-\u001f]/);
  });

  it('does not exist for site-wide kinds, which have one subject anyway', () => {
    expect(causeOf(finding({ kind: 'origin-unavailable', subject: BASE }))).toBeUndefined();
  });
});

describe('planning one sweep', () => {
  it('makes findings of one kind and cause one group whose identity ignores the count', () => {
    const many = Array.from({ length: 40 }, (_, i) => cachePolicy(urlOf(i)));
    const [group, ...rest] = planIncidentReports(many, new Set());
    expect(rest).toEqual([]);
    expect(group?.members).toHaveLength(40);
    const few = planIncidentReports(many.slice(0, 3), new Set());
    expect(few).toHaveLength(1);
    expect(few[0]?.finding.fingerprint).toBe(group?.finding.fingerprint);
    expect(group?.finding.fingerprint).toBe(groupFingerprintOf(many[0] as Finding));
  });

  it('keeps a finding alone as its plain kind + subject', () => {
    const alone = cachePolicy(urlOf(1));
    expect(planIncidentReports([alone], new Set())).toEqual([{ finding: alone }]);
    expect(alone.fingerprint).toBe(fingerprintOf('cache-policy-violation', urlOf(1)));
  });

  it('gives a group its most severe member’s severity and every subject', () => {
    const members = [
      finding({ kind: 'artifact-missing', release: 'v24.11.1', subject: urlOf(1), severity: 'P2' }),
      finding({ kind: 'artifact-missing', release: 'v24.11.1', subject: urlOf(2), severity: 'P1' }),
      finding({ kind: 'artifact-missing', release: 'v24.11.1', subject: urlOf(3), severity: 'P3' }),
    ];
    const [group] = planIncidentReports(members, new Set());
    expect(group?.finding.severity).toBe('P1');
    expect(group?.finding.evidence['subjects']).toEqual([urlOf(2), urlOf(1), urlOf(3)]);
    expect(group?.finding.evidence['urls']).toHaveLength(3);
  });

  it('lets a lone finding join its open group, and a finding with its own open incident stay there', () => {
    const [a, b] = [cachePolicy(urlOf(1)), cachePolicy(urlOf(2))];
    const groupFp = groupFingerprintOf(a) as string;
    expect(planIncidentReports([a], new Set([groupFp]))[0]?.finding.fingerprint).toBe(groupFp);
    const reports = planIncidentReports([a, b], new Set([a.fingerprint]));
    expect(reports.map((r) => r.finding.fingerprint).sort()).toEqual(
      [a.fingerprint, b.fingerprint].sort(),
    );
  });
});

describe('grouped incidents through the incident objects', () => {
  let clock: TestClock;
  let slack: RecordingChannel;
  let sweepNumber = 0;
  const setup = (vars: Record<string, string> = {}) =>
    installIncidentDependencies({ clock, channels: [slack], vars });
  beforeEach(() => {
    clock = new TestClock();
    slack = new RecordingChannel('slack');
    setup();
  });
  afterEach(() => resetIncidentDependencies());

  async function sweep(findings: readonly Finding[], id?: string) {
    sweepNumber += 1;
    clock.advance(5 * MINUTE);
    return reportSweepFindings(env, {
      sweepId: id ?? `sweep-${sweepNumber}`,
      findings: findings.map((f) => ({ ...f, observedAt: new Date(clock.now).toISOString() })),
      now: new Date(clock.now),
    });
  }

  async function detailOf(fingerprint: string): Promise<IncidentDetail> {
    const result = await incidentStubFor(env, fingerprint).get();
    if (!result.ok) throw new Error(`no incident ${fingerprint}`);
    return result.value;
  }

  async function deliver(fingerprints: readonly string[]) {
    for (const fingerprint of fingerprints) await runAlarms(incidentStubFor(env, fingerprint));
  }

  it('opens one incident listing all 40 subjects of one Cache-Control cause, and alerts once', async () => {
    const findings = Array.from({ length: 40 }, (_, i) => cachePolicy(urlOf(i)));
    const outcome = await sweep(findings);
    expect(outcome.opened).toHaveLength(1);
    const groupFp = groupFingerprintOf(findings[0] as Finding) as string;
    const detail = await detailOf(groupFp);
    expect(detail.incident).toMatchObject({ subjectCount: 40, severity: 'P2', state: 'open' });
    expect([...(detail.incident.subjects ?? [])].sort()).toEqual(
      findings.map((f) => f.subject).sort(),
    );
    expect(detail.subjects).toHaveLength(40);
    await deliver([groupFp]);
    expect(slack.events()).toEqual(['opened']);
    expect(slack.delivered[0]?.message.subjectCount).toBe(40);
  });

  it('records a subject that joins an open group in its timeline, without a new alert', async () => {
    const first = Array.from({ length: 3 }, (_, i) => cachePolicy(urlOf(i)));
    await sweep(first);
    const groupFp = groupFingerprintOf(first[0] as Finding) as string;
    const outcome = await sweep([...first, cachePolicy(urlOf(99))]);
    expect(outcome).toMatchObject({ opened: [], updated: [await incidentIdOf(groupFp)] });
    const detail = await detailOf(groupFp);
    expect(detail.incident.subjects).toContain(urlOf(99));
    expect(
      detail.timeline.some((e) => e.message.includes(`joined`) && e.message.includes(urlOf(99))),
    ).toBe(true);
    await deliver([groupFp]);
    expect(slack.events()).toEqual(['opened']);
  });

  it('keeps every member when the hash queue reports one sweep in several batches', async () => {
    const tampered = (i: number) =>
      finding({ kind: 'artifact-hash-mismatch', release: 'v24.11.1', subject: urlOf(i) });
    const batch = (findings: Finding[]) =>
      reportSweepFindings(env, {
        sweepId: 'sweep-queued',
        findings,
        now: new Date(clock.now),
        checkedKinds: [],
      });
    await batch([tampered(1), tampered(2)]);
    await batch([tampered(3), tampered(4)]);
    const detail = await detailOf(groupFingerprintOf(tampered(1)) as string);
    expect([...(detail.incident.subjects ?? [])].sort()).toEqual([1, 2, 3, 4].map(urlOf).sort());
    expect(detail.incident.count).toBe(1);
    expect(detail.playbook.filter((step) => step.step === 'quarantine')).toHaveLength(2);
  });

  it('routes a lone later sighting to its open group rather than a new incident', async () => {
    const first = [cachePolicy(urlOf(1)), cachePolicy(urlOf(2))];
    await sweep(first);
    const outcome = await sweep([cachePolicy(urlOf(1))]);
    expect(outcome.opened).toEqual([]);
    expect(outcome.updated).toEqual([
      await incidentIdOf(groupFingerprintOf(first[0] as Finding) as string),
    ]);
  });

  it('never lowers a group’s severity, and alerts again when it rises', async () => {
    const members = (severity: 'P0' | 'P2') =>
      [1, 2].map((i) =>
        finding({ kind: 'artifact-missing', release: 'v24.11.1', subject: urlOf(i), severity }),
      );
    await sweep(members('P2'));
    const groupFp = groupFingerprintOf(members('P2')[0] as Finding) as string;
    await sweep(members('P0'));
    expect((await detailOf(groupFp)).incident.severity).toBe('P0');
    await sweep(members('P2'));
    expect((await detailOf(groupFp)).incident.severity).toBe('P0');
    await deliver([groupFp]);
    expect(slack.events()).toEqual(['opened', 'severity-changed']);
  });

  it('keeps a grouped security kind private until disclosed', async () => {
    const members = [1, 2].map((i) =>
      finding({ kind: 'artifact-hash-mismatch', release: 'v24.11.1', subject: urlOf(i) }),
    );
    await sweep(members);
    const detail = await detailOf(groupFingerprintOf(members[0] as Finding) as string);
    expect(detail.incident).toMatchObject({ security: true, disclosed: false, subjectCount: 2 });
  });

  it('auto-resolves a clean P2 group once, with one resolved alert', async () => {
    const findings = Array.from({ length: 41 }, (_, i) => leakedHeader(urlOf(i)));
    await sweep(findings);
    for (let i = 0; i < 3; i += 1) await sweep([]);
    const groupFp = groupFingerprintOf(findings[0] as Finding) as string;
    expect((await detailOf(groupFp)).incident.state).toBe('resolved');
    await deliver([groupFp]);
    expect(slack.events()).toEqual(['opened', 'resolved']);
  });
});

describe('the alert cap', () => {
  let clock: TestClock;
  let slack: RecordingChannel;
  beforeEach(() => {
    clock = new TestClock();
    slack = new RecordingChannel('slack');
    installIncidentDependencies({ clock, channels: [slack] });
  });
  afterEach(() => resetIncidentDependencies());

  /** Five causes that cannot be grouped: different kinds, one finding each. */
  const fiveCauses = () => [
    finding({ kind: 'latency-degraded', subject: BASE }),
    finding({ kind: 'manifest-missing', subject: `${BASE}/v1/SHASUMS256.txt` }),
    finding({ kind: 'artifact-hash-mismatch', subject: urlOf(1), release: 'v24.11.1' }),
    finding({ kind: 'index-invalid', subject: `${BASE}/index.json` }),
    finding({ kind: 'header-disclosure', subject: urlOf(2), observed: 'x-powered-by' }),
  ];

  async function report(findings: readonly Finding[], sweepId = 'sweep-cap') {
    clock.advance(5 * MINUTE);
    return reportSweepFindings(
      { ...env, ALERT_CAP_PER_SWEEP: '2' },
      { sweepId, findings, now: new Date(clock.now) },
    );
  }

  it('lets the most severe alert, holds the rest in their timelines, and alerts the cap once', async () => {
    const findings = fiveCauses();
    const outcome = await report(findings);
    expect(outcome.opened).toHaveLength(5);
    for (const f of findings) await runAlarms(incidentStubFor(env, f.fingerprint));
    const opened = slack.delivered.filter((d) => d.message.event === 'opened');
    expect(opened).toHaveLength(2);
    expect(opened.map((d) => d.message.severity)).toContain('P0');
    const cap = slack.delivered.filter((d) => d.message.event === 'alerts-held');
    expect(cap).toHaveLength(1);
    expect(cap[0]?.message.detail).toContain('3 more were held back');
    let heldLines = 0;
    for (const f of findings) {
      const result = await incidentStubFor(env, f.fingerprint).get();
      if (!result.ok) throw new Error('every incident exists');
      heldLines += result.value.timeline.filter((e) => e.data?.['held'] === true).length;
    }
    expect(heldLines).toBe(3);
  });

  it('sends the cap alert once when the sweep is reported twice', async () => {
    const findings = fiveCauses();
    await report(findings, 'sweep-twice');
    await report(findings, 'sweep-twice');
    for (const f of findings) await runAlarms(incidentStubFor(env, f.fingerprint));
    expect(slack.delivered.filter((d) => d.message.event === 'alerts-held')).toHaveLength(1);
    expect(slack.delivered.filter((d) => d.message.event === 'opened')).toHaveLength(2);
  });
});
