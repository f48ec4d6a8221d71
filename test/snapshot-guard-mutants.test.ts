/**
 * The snapshot's second disclosure line (docs/reliability.md, "Mutation testing"): the
 * writer refuses a public snapshot whose JSON names an undisclosed incident. It must find
 * every identifying value, and only those: a false find blocks every later snapshot, so the
 * public page would freeze while an incident is private.
 */
import { describe, expect, it } from 'vitest';
import type { IncidentRecord, IncidentSummary } from '../src/core/incident';
import { findDisclosedSecrets } from '../src/http/snapshot-guard';
import type { SnapshotInput } from '../src/http/snapshot-model';

const AT = '2030-06-15T12:00:00.000Z';
const URL = 'https://nodejs.org/dist/v24.11.1/node-v24.11.1-linux-x64.tar.xz';
const HASH = '5e2c9d1f'.repeat(8);

function summary(overrides: Partial<IncidentSummary> = {}): IncidentSummary {
  return {
    id: 'a'.repeat(32),
    fingerprint: `artifact-hash-mismatch ${URL}`,
    kind: 'artifact-hash-mismatch',
    severity: 'P0',
    state: 'open',
    subject: URL,
    title: 'An artifact does not match its signed hash',
    openedAt: AT,
    lastSeen: AT,
    security: true,
    disclosed: false,
    publicSummary: 'Investigating an issue affecting release downloads.',
    version: 1,
    ...overrides,
  };
}

function record(of: IncidentSummary, overrides: Partial<IncidentRecord> = {}): IncidentRecord {
  return {
    id: of.id,
    fingerprint: of.fingerprint,
    kind: of.kind,
    subject: of.subject,
    severity: of.severity,
    state: of.state,
    title: of.title,
    summary: 's',
    firstSeen: AT,
    lastSeen: AT,
    count: 1,
    openedAt: AT,
    reopenCount: 0,
    security: of.security,
    disclosed: of.disclosed,
    escalationLevel: 0,
    cleanStreak: 0,
    ...overrides,
  };
}

function sources(
  incidents: IncidentSummary[],
  records: IncidentRecord[],
): Pick<SnapshotInput, 'sources' | 'records'> {
  // The guard reads only the incidents of the sources.
  return { sources: { incidents } as unknown as SnapshotInput['sources'], records };
}

describe('findDisclosedSecrets', () => {
  it('allows a value the record of a public incident shows, not only its summary', () => {
    const hidden = summary();
    const shown = summary({
      id: 'b'.repeat(32),
      kind: 'artifact-missing',
      fingerprint: 'artifact-missing elsewhere',
      subject: `${URL}.asc`,
      security: false,
    });
    const input = sources(
      [hidden, shown],
      [record(hidden, { expected: HASH }), record(shown, { expected: HASH })],
    );
    expect(findDisclosedSecrets(JSON.stringify({ shown: HASH }), input)).toEqual([]);
    // Without the public record, the same hash is the hidden incident's secret.
    const alone = sources([hidden, shown], [record(hidden, { expected: HASH })]);
    expect(findDisclosedSecrets(JSON.stringify({ shown: HASH }), alone)).toEqual([HASH]);
  });

  it('finds values of six characters or more, and leaves shorter ones (status codes, words) alone', () => {
    const hidden = summary();
    const input = sources([hidden], [record(hidden, { expected: 'abcdef', observed: '404' })]);
    expect(findDisclosedSecrets(JSON.stringify({ a: 'abcdef' }), input)).toEqual(['abcdef']);
    expect(findDisclosedSecrets(JSON.stringify({ status: 404, text: 'HTTP 404' }), input)).toEqual(
      [],
    );
  });

  it('reads an undisclosed incident whose record is missing by its summary alone', () => {
    const hidden = summary();
    const input = sources([hidden], []);
    expect(findDisclosedSecrets(JSON.stringify({ url: URL }), input)).toEqual([URL]);
    // Nothing it lacks is searched for: not even as the word "undefined".
    expect(findDisclosedSecrets(JSON.stringify({ note: 'undefined' }), input)).toEqual([]);
  });
});
