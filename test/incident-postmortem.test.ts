import { describe, expect, it } from 'vitest';
import type { IncidentDetail, TimelineEntry } from '../src/core/incident';
import { renderPostmortem } from '../src/core/postmortem';

const entry = (
  seq: number,
  type: TimelineEntry['type'],
  message: string,
  actor: TimelineEntry['actor'] = 'system',
): TimelineEntry => ({
  seq,
  at: `2040-01-01T00:${String(seq).padStart(2, '0')}:00.000Z`,
  actor,
  type,
  message,
});

const detail: IncidentDetail = {
  incident: {
    id: '0123456789abcdef0123456789abcdef',
    fingerprint: 'cache-poisoned https://dist.test/dist/v24.11.1/node.tar.gz',
    kind: 'cache-poisoned',
    subject: 'https://dist.test/dist/v24.11.1/node.tar.gz',
    severity: 'P1',
    state: 'resolved',
    title: 'The cached response differs from the origin',
    summary: 'cached bytes | differ *badly*',
    expected: 'a'.repeat(64),
    observed: 'b'.repeat(64),
    regions: ['fra', 'iad'],
    firstSeen: '2040-01-01T00:00:00.000Z',
    lastSeen: '2040-01-01T00:10:00.000Z',
    count: 3,
    openedAt: '2040-01-01T00:00:00.000Z',
    acknowledgedAt: '2040-01-01T00:40:00.000Z',
    acknowledgedBy: 'slack:U1',
    resolvedAt: '2040-01-01T02:00:00.000Z',
    resolvedBy: 'operator:alice',
    reopenCount: 0,
    security: true,
    disclosed: false,
    escalationLevel: 1,
    cleanStreak: 0,
  },
  timeline: [
    entry(0, 'observation', 'Seen in sweep s1'),
    entry(1, 'state-change', 'Opened as P1'),
    entry(2, 'observation', 'Seen in sweep s2'),
    entry(3, 'observation', 'Seen in sweep s3'),
    entry(4, 'observation', 'Seen in sweep s4'),
    entry(30, 'escalation', 'Escalation level 1'),
    entry(40, 'note', 'CDN case | opened\nby phone', 'operator:alice'),
  ],
  playbook: [
    {
      run: 1,
      position: 0,
      step: 'capture-evidence',
      status: 'done',
      attempts: 1,
      result: { detail: 'Stored 1 evidence object(s)' },
    },
    {
      run: 1,
      position: 1,
      step: 'purge-cache',
      status: 'failed',
      attempts: 5,
      result: { detail: 'purge answered 403' },
    },
  ],
  outbox: [{ id: 1, channel: 'webhook', event: 'opened', status: 'failed', attempts: 8 }],
  evidenceKeys: [`evidence/sha256/${'c'.repeat(64)}`],
  containmentMode: 'enforce',
};

const markdown = renderPostmortem(detail, new Date('2040-01-02T00:00:00Z'));

describe('post-incident review draft', () => {
  it('has the review template’s headings, in order', () => {
    const headings = markdown.split('\n').filter((line) => line.startsWith('#'));
    expect(headings).toEqual([
      '# Post-incident review: The cached response differs from the origin',
      '## Summary',
      '## Impact',
      '## Detection',
      '## Timeline',
      '## Containment',
      '## Root causes',
      '## Action items',
      '## Lessons learned',
      '### What went well',
      '### What went wrong',
      '### Where we got lucky',
      '## Open questions',
      '## Supporting information',
    ]);
  });

  it('collapses consecutive sightings into one timeline row', () => {
    expect(markdown).toContain(
      '| 2040-01-01T00:02:00.000Z – 2040-01-01T00:04:00.000Z | system | 3 sweeps, the latest: Seen in sweep s4 |',
    );
  });

  it('keeps finding and note text from breaking the Markdown', () => {
    expect(markdown).toContain('cached bytes \\| differ \\*badly\\*');
    expect(markdown).toContain('| operator:alice | CDN case \\| opened by phone |');
  });

  it('seeds lessons and action items from what the record shows', () => {
    expect(markdown).toContain('Not acknowledged within the P1 response time');
    expect(markdown).toContain('Find out why containment step `purge-cache` (run 1) failed.');
    expect(markdown).toContain('Fix alert channel `webhook`: opened was failed.');
    expect(markdown).toContain('Private incident not yet disclosed');
    expect(markdown).toContain(`Evidence (R2 \`EVIDENCE\`): \`evidence/sha256/${'c'.repeat(64)}\``);
  });
});
