/**
 * No silence on manifests (src/core/manifest-silence.ts): how each answer counts and how a
 * silence's severity climbs with its length.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyManifestAnswer,
  observationsToRecord,
  silenceFinding,
  silenceSeverity,
  SILENCE_GRACE_MS,
  type FailedRequest,
  type ManifestObservation,
} from '../src/core/manifest-silence';

const MIN = 60_000;
const URL = 'https://dist.test/dist/v24.11.1/SHASUMS256.txt';
const NOW = new Date('2026-11-20T10:00:00Z');

describe('classifyManifestAnswer', () => {
  it.each<[string, FailedRequest, string | undefined]>([
    ['404', { kind: 'status', status: 404 }, 'gone'],
    ['410', { kind: 'status', status: 410 }, 'gone'],
    ['a redirect loop', { kind: 'redirect-loop', redirects: [1, 2] }, 'gone'],
    ['403 (cloaking)', { kind: 'status', status: 403 }, 'refused'],
    ['304 to an unconditional request', { kind: 'status', status: 304 }, 'refused'],
    ['451', { kind: 'status', status: 451 }, 'refused'],
    ['a foreign redirect', { kind: 'foreign-redirect' }, 'refused'],
    ['503', { kind: 'status', status: 503 }, 'failed'],
    ['a timeout', { kind: 'timeout' }, 'failed'],
    ['a reset', { kind: 'network' }, 'failed'],
    ['a body cut short', { kind: 'truncated' }, 'failed'],
    ['the monitor’s own budget', { kind: 'budget-exhausted' }, undefined],
  ])('%s is %s', (_label, error, kind) => {
    expect(classifyManifestAnswer(error)?.kind).toBe(kind);
  });
});

describe('silenceSeverity', () => {
  it.each<[string, 'gone' | 'refused' | 'failed', number, boolean, string | undefined]>([
    ['a refusal, first sweep', 'refused', 0, true, 'P2'],
    ['a refusal after 30 min', 'refused', 30 * MIN, true, 'P1'],
    ['a refusal after 2 h', 'refused', 120 * MIN, true, 'P0'],
    ['a missing file of a pinned release after 2 h', 'gone', 120 * MIN, true, 'P0'],
    ['a refusal after a day, release not pinned', 'refused', 24 * 60 * MIN, false, 'P1'],
    ['a timeout within the grace', 'failed', SILENCE_GRACE_MS - 1, true, undefined],
    ['a timeout past the grace', 'failed', SILENCE_GRACE_MS, true, 'P2'],
    ['a timeout lasting 2 h', 'failed', 120 * MIN, true, 'P0'],
  ])('%s → %s', (_label, kind, elapsed, pinned, severity) => {
    expect(silenceSeverity(kind, elapsed, pinned)).toBe(severity);
  });
});

describe('silenceFinding', () => {
  const observation = (
    answer: ManifestObservation['answer'],
    pinned = true,
  ): ManifestObservation => ({
    url: URL,
    release: 'v24.11.1',
    pinned,
    answer,
  });

  it('a 403 on a pinned release’s manifest is manifest-unavailable, escalating with time', () => {
    const answer = { kind: 'refused', detail: 'HTTP 403' } as const;
    const at = (minutes: number) =>
      silenceFinding(observation(answer), new Date(NOW.getTime() - minutes * MIN), NOW);
    expect(at(0)).toMatchObject({ kind: 'manifest-unavailable', severity: 'P2', subject: URL });
    expect(at(45)).toMatchObject({ severity: 'P1' });
    expect(at(180)).toMatchObject({ severity: 'P0', observed: 'HTTP 403' });
    expect(at(180)?.summary).toContain('3 h');
    expect(at(0)?.evidence).toMatchObject({ escalatesTo: 'P1' });
  });

  it('a 404 is manifest-missing', () => {
    const finding = silenceFinding(
      observation({ kind: 'gone', detail: 'HTTP 404' }, false),
      NOW,
      NOW,
    );
    expect(finding).toMatchObject({ kind: 'manifest-missing', severity: 'P2' });
  });

  it('a served file is no finding', () => {
    expect(silenceFinding(observation({ kind: 'file' }), NOW, NOW)).toBeUndefined();
  });
});

describe('observationsToRecord', () => {
  const failed: ManifestObservation = {
    url: URL,
    release: 'v24.11.1',
    pinned: true,
    answer: { kind: 'failed', detail: 'timeout' },
  };
  const refused: ManifestObservation = {
    ...failed,
    url: `${URL}.sig`,
    answer: { kind: 'refused', detail: 'HTTP 403' },
  };

  it('drops failures while the site as a whole does not answer, keeps refusals', () => {
    expect(observationsToRecord([failed, refused], false)).toEqual([refused]);
    expect(observationsToRecord([failed, refused], true)).toEqual([failed, refused]);
  });
});
