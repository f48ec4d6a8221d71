/**
 * What the incident store takes from RPC and from Slack (docs/reliability.md, "Mutation
 * testing"): a finding must be whole and filed under its own fingerprint, an actor and an
 * incident id must be strings of their exact shape, not values that only print like one.
 */
import { describe, expect, it } from 'vitest';
import { createFinding } from '../src/core/findings';
import { invalidFindingReason, isIncidentId, parseActor } from '../src/core/incident';

const NOW = new Date('2026-11-20T10:00:00Z');
const finding = createFinding(
  {
    kind: 'artifact-hash-mismatch',
    subject: 'https://dist.test/dist/v1.0.0/a.tar.gz',
    summary: 's',
  },
  NOW,
);

describe('invalidFindingReason', () => {
  it('takes a finding as createFinding makes it', () => {
    expect(invalidFindingReason(finding)).toBeUndefined();
    expect(invalidFindingReason(JSON.parse(JSON.stringify(finding)))).toBeUndefined();
  });

  it.each([
    ['null', null, 'a finding must be an object'],
    ['a string', 'finding', 'a finding must be an object'],
    ['an unknown kind', { ...finding, kind: 'all-clear' }, 'unknown finding kind'],
    ['a kind that is not a string', { ...finding, kind: 7 }, 'unknown finding kind'],
    ['an unknown severity', { ...finding, severity: 'P9' }, 'unknown severity'],
    ['a severity that is not a string', { ...finding, severity: 0 }, 'unknown severity'],
    ['an empty subject', { ...finding, subject: '' }, 'a finding needs a subject'],
    ['a subject that is not a string', { ...finding, subject: ['x'] }, 'a finding needs a subject'],
    [
      'another incident’s fingerprint',
      { ...finding, fingerprint: `artifact-missing ${finding.subject}` },
      'the fingerprint is not kind + subject',
    ],
    ['no summary', { ...finding, summary: undefined }, 'a finding needs a summary'],
    [
      'a time that does not parse',
      { ...finding, observedAt: 'yesterday' },
      'observedAt must be an ISO time',
    ],
    [
      'a time that is not a string',
      { ...finding, observedAt: NOW.getTime() },
      'observedAt must be an ISO time',
    ],
    ['evidence that is null', { ...finding, evidence: null }, 'evidence must be an object'],
    ['evidence that is a string', { ...finding, evidence: 'x' }, 'evidence must be an object'],
  ])('refuses %s', (_label, value, reason) => {
    expect(invalidFindingReason(value)).toBe(reason);
  });
});

describe('actors and incident ids', () => {
  it('takes only strings of their exact shape', () => {
    expect(parseActor('slack:alice')).toBe('slack:alice');
    expect(parseActor(['slack:alice'])).toBeUndefined();
    expect(parseActor('slack:alice\nsystem')).toBeUndefined();
    const id = 'a'.repeat(32);
    expect(isIncidentId(id)).toBe(true);
    expect(isIncidentId([id])).toBe(false);
    expect(isIncidentId({ toString: () => id })).toBe(false);
  });
});
