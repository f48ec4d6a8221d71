/**
 * What the public may see of an incident (src/http/incident-views.ts, src/core/incident.ts),
 * checked in every lifecycle state and for every finding kind: issue 13's survivor (b) was
 * a private incident shown in full once acknowledged, contained or resolved, because the
 * tests looked only at open ones. Also the parts of an incident record that decide its
 * identity and who acted (docs/reliability.md, "Mutation testing").
 */
import { describe, expect, it } from 'vitest';
import {
  FINDING_KIND_NAMES,
  fingerprintOf,
  kindSpec,
  type FindingKind,
} from '../src/core/findings';
import {
  incidentIdOf,
  invalidFindingReason,
  isHumanActor,
  parseActor,
  publicStatusOf,
  summarizeIncident,
  INCIDENT_STATES,
  type IncidentRecord,
  type IncidentState,
} from '../src/core/incident';
import {
  isRedacted,
  publicIncidentDetailOf,
  publicIncidentOf,
  REDACTED_RESOLVED_TITLE,
  REDACTED_TITLE,
} from '../src/http/incident-views';

const SUBJECT = 'https://dist.test/dist/v25.2.0/node-v25.2.0-linux-x64.tar.xz';
const SECRET_SUMMARY = 'node-v25.2.0-linux-x64.tar.xz hashes to deadbeefcafe, signed 0badf00d';
const ID = '0123456789abcdef0123456789abcdef';
const T = (minute: number) => new Date(Date.UTC(2026, 0, 1, 0, minute)).toISOString();

function record(kind: FindingKind, state: IncidentState, disclosed = false): IncidentRecord {
  const spec = kindSpec(kind);
  return {
    id: ID,
    fingerprint: fingerprintOf(kind, SUBJECT),
    kind,
    subject: SUBJECT,
    severity: 'P0',
    state,
    title: spec.title,
    summary: SECRET_SUMMARY,
    expected: 'sha256 0badf00d',
    observed: 'sha256 deadbeefcafe',
    release: 'v25.2.0',
    firstSeen: T(0),
    lastSeen: T(9),
    count: 3,
    openedAt: T(0),
    ...(state !== 'open' && { acknowledgedAt: T(1), acknowledgedBy: 'operator:alice' as const }),
    ...((state === 'contained' || state === 'resolved') && { containedAt: T(2) }),
    ...(state === 'resolved' && { resolvedAt: T(3), resolvedBy: 'operator:alice' as const }),
    reopenCount: 0,
    security: spec.security,
    disclosed,
    escalationLevel: 0,
    cleanStreak: 0,
    statusPostedAt: T(1),
  };
}

const PRIVATE_KINDS = FINDING_KIND_NAMES.filter((kind) => kindSpec(kind).security);
const PUBLIC_KINDS = FINDING_KIND_NAMES.filter((kind) => !kindSpec(kind).security);
const TELLTALES = [SUBJECT, 'v25.2.0', 'deadbeef', '0badf00d', ID, 'P0', 'alice'];

describe('a private incident nobody disclosed', () => {
  it('has private kinds to test (the vocabulary marks some kinds security-sensitive)', () => {
    expect(PRIVATE_KINDS.length).toBeGreaterThan(0);
    expect(PRIVATE_KINDS).toContain('artifact-hash-mismatch');
  });

  for (const state of INCIDENT_STATES) {
    it(`shows nothing identifying while ${state}, for every private kind`, () => {
      for (const kind of PRIVATE_KINDS) {
        const summary = summarizeIncident(record(kind, state), 1);
        expect(isRedacted(summary), kind).toBe(true);
        const view = publicIncidentOf(summary);
        const text = JSON.stringify(view);
        for (const telltale of [...TELLTALES, kind])
          expect(text, `${kind} ${state}`).not.toContain(telltale);
        expect(view).toMatchObject({
          redacted: true,
          area: kindSpec(kind).area,
          status: state === 'resolved' ? 'resolved' : 'investigating',
          title: state === 'resolved' ? REDACTED_RESOLVED_TITLE : REDACTED_TITLE,
          openedAt: T(0),
        });
        expect(Object.keys(view).sort()).toEqual(
          state === 'resolved'
            ? ['area', 'openedAt', 'redacted', 'resolvedAt', 'status', 'summary', 'title']
            : ['area', 'openedAt', 'redacted', 'status', 'summary', 'title'],
        );
      }
    });
  }

  it('says which area is affected, in words, and nothing else', () => {
    const open = publicIncidentOf(summarizeIncident(record('artifact-hash-mismatch', 'open'), 1));
    expect(open.summary).toBe('Investigating an issue affecting release downloads.');
    const resolved = publicIncidentOf(summarizeIncident(record('manifest-changed', 'resolved'), 1));
    expect(resolved.summary).toBe(
      'An issue affecting release manifests was resolved. Details follow once they can be disclosed.',
    );
  });
});

describe('a disclosed private incident, or a kind that is not private', () => {
  for (const state of INCIDENT_STATES) {
    it(`shows id, kind, severity, subject and summary while ${state}`, () => {
      for (const summary of [
        summarizeIncident(record('artifact-hash-mismatch', state, true), 1),
        ...PUBLIC_KINDS.map((kind) => summarizeIncident(record(kind, state), 1)),
      ]) {
        expect(isRedacted(summary)).toBe(false);
        expect(publicIncidentOf(summary)).toMatchObject({
          redacted: false,
          id: ID,
          kind: summary.kind,
          severity: 'P0',
          subject: SUBJECT,
          summary: SECRET_SUMMARY,
          status: publicStatusOf(state),
          lastSeen: T(9),
        });
      }
    });
  }
});

describe('publicIncidentDetailOf: the public timeline', () => {
  it('is rebuilt from lifecycle times, oldest first, with the wording of the status page', () => {
    expect(publicIncidentDetailOf(record('cache-poisoned', 'resolved')).timeline).toEqual([
      { at: T(0), status: 'investigating' },
      { at: T(1), status: 'identified' },
      { at: T(2), status: 'monitoring' },
      { at: T(3), status: 'resolved' },
    ]);
  });

  it('leaves out what belongs to the cycle before a reopen', () => {
    const reopened: IncidentRecord = {
      ...record('cache-poisoned', 'open'),
      openedAt: T(5),
      acknowledgedAt: T(1),
      containedAt: T(2),
      resolvedAt: T(3),
    };
    expect(publicIncidentDetailOf(reopened).timeline).toEqual([
      { at: T(5), status: 'investigating' },
    ]);
  });

  it('carries expected, observed and release only when the record has them', () => {
    const detail = publicIncidentDetailOf(record('cache-poisoned', 'open'));
    expect(detail).toMatchObject({
      expected: 'sha256 0badf00d',
      observed: 'sha256 deadbeefcafe',
      release: 'v25.2.0',
      sightings: 3,
      firstSeen: T(0),
    });
    const { expected: _e, observed: _o, release: _r, ...bare } = record('cache-poisoned', 'open');
    const plain = publicIncidentDetailOf(bare);
    expect('expected' in plain || 'observed' in plain || 'release' in plain).toBe(false);
  });
});

describe('incident identity and actors', () => {
  it('derives the id as the first 32 hex digits of SHA-256(fingerprint)', async () => {
    // SHA-256("abc") = ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad
    expect(await incidentIdOf('abc')).toBe('ba7816bf8f01cfea414140de5dae2223');
  });

  it('refuses a finding filed under another incident, or with parts missing', () => {
    const finding = {
      kind: 'artifact-hash-mismatch',
      severity: 'P0',
      subject: SUBJECT,
      fingerprint: fingerprintOf('artifact-hash-mismatch', SUBJECT),
      summary: 's',
      observedAt: T(0),
      evidence: {},
    };
    expect(invalidFindingReason(finding)).toBeUndefined();
    for (const [change, reason] of [
      [{ fingerprint: fingerprintOf('artifact-hash-mismatch', `${SUBJECT}x`) }, 'fingerprint'],
      [{ kind: 'no-such-kind' }, 'kind'],
      [{ severity: 'P9' }, 'severity'],
      [{ subject: '' }, 'subject'],
      [{ summary: 1 }, 'summary'],
      [{ observedAt: 'yesterday' }, 'observedAt'],
      [{ evidence: null }, 'evidence'],
    ] as const) {
      expect(invalidFindingReason({ ...finding, ...change }), reason).toContain(reason);
    }
    expect(invalidFindingReason(null)).toBe('a finding must be an object');
  });

  it('counts operators and Slack users as people, the monitor and channels not', () => {
    expect(isHumanActor('operator:alice')).toBe(true);
    expect(isHumanActor('slack:U123')).toBe(true);
    expect(isHumanActor('system')).toBe(false);
    expect(isHumanActor('channel:slack')).toBe(false);
    expect(parseActor('operator:alice\nsystem')).toBeUndefined();
    expect(parseActor(`operator:${'a'.repeat(101)}`)).toBeUndefined();
  });
});
