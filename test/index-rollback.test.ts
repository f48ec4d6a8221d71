import { describe, expect, it } from 'vitest';
import {
  indexErrorSummary,
  parseIndexJson,
  type IndexEntry,
  type IndexError,
} from '../src/core/index-json';
import {
  compareIndexWithHistory,
  indexInvalidFinding,
  type IndexHistory,
} from '../src/core/index-rollback';

const BASE = 'https://dist.test/dist';
const INDEX_URL = 'https://dist.test/dist/index.json';
const NOW = new Date('2025-11-20T12:00:00Z');

function indexOf(...versions: string[]): IndexEntry[] {
  const text = JSON.stringify(
    versions.map((version) => ({
      version,
      date: '2025-11-11',
      files: ['src'],
      v8: '13.6.233.10',
      lts: false,
      security: false,
    })),
  );
  const parsed = parseIndexJson(text, { maxBytes: 1024 * 1024 });
  if (!parsed.ok) throw new Error(`test setup: ${indexErrorSummary(parsed.error)}`);
  return parsed.value;
}

const FULL = indexOf('v25.2.1', 'v25.2.0', 'v24.11.1', 'v22.21.1', 'v20.19.5');
const WATCHED = ['v25.2.1', 'v24.11.1', 'v22.21.1'];
const SEEN: IndexHistory = { highestVersion: 'v25.2.1', watched: WATCHED };

describe('compareIndexWithHistory', () => {
  it('finds nothing on the first sweep and remembers the index', () => {
    const { findings, nextHistory } = compareIndexWithHistory(undefined, FULL, BASE, NOW, WATCHED);
    expect(findings).toEqual([]);
    expect(nextHistory).toEqual({ highestVersion: 'v25.2.1', watched: WATCHED });
  });

  it('reports a lower top version than ever seen as index-rollback', () => {
    const rolledBack = indexOf('v25.2.0', 'v24.11.1', 'v22.21.1');
    const { findings } = compareIndexWithHistory(
      { highestVersion: 'v25.2.1', watched: [] },
      rolledBack,
      BASE,
      NOW,
      [],
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'index-rollback',
      severity: 'P1',
      subject: INDEX_URL,
      fingerprint: `index-rollback ${INDEX_URL}`,
      expected: 'v25.2.1',
      observed: 'v25.2.0',
      observedAt: NOW.toISOString(),
      evidence: { highestVersionSeen: 'v25.2.1', newestVersionListed: 'v25.2.0', wentBack: true },
    });
    expect(findings[0]?.summary).toContain('went back from v25.2.1 to v25.2.0');
  });

  it('reports a watched release that is no longer listed, naming it', () => {
    const dropped = indexOf('v25.2.1', 'v25.2.0', 'v22.21.1');
    const { findings } = compareIndexWithHistory(SEEN, dropped, BASE, NOW, WATCHED);
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'index-rollback',
      subject: INDEX_URL,
      evidence: { wentBack: false, missingWatched: ['v24.11.1'], missingWatchedCount: 1 },
    });
    expect(findings[0]?.summary).toContain('v24.11.1');
  });

  it('makes one finding when the index both went back and dropped watched releases', () => {
    const old = indexOf('v24.11.1', 'v22.21.1');
    const { findings } = compareIndexWithHistory(SEEN, old, BASE, NOW, WATCHED);
    expect(findings).toHaveLength(1);
    expect(findings[0]?.evidence).toMatchObject({
      wentBack: true,
      missingWatched: ['v25.2.1'],
    });
  });

  it('keeps the same fingerprint whichever releases are missing', () => {
    const a = compareIndexWithHistory(SEEN, indexOf('v25.2.1', 'v22.21.1'), BASE, NOW, WATCHED);
    const b = compareIndexWithHistory(SEEN, indexOf('v25.2.1', 'v24.11.1'), BASE, NOW, WATCHED);
    expect(a.findings[0]?.fingerprint).toBe(b.findings[0]?.fingerprint);
  });

  it('finds nothing over repeated clean sweeps', () => {
    let history: IndexHistory | undefined;
    for (let sweep = 0; sweep < 5; sweep += 1) {
      const result = compareIndexWithHistory(history, FULL, BASE, NOW, WATCHED);
      expect(result.findings).toEqual([]);
      history = result.nextHistory;
    }
    expect(history).toEqual({ highestVersion: 'v25.2.1', watched: WATCHED });
  });

  it('finds nothing when a new release appears and the watched set moves on', () => {
    const newer = indexOf('v25.3.0', 'v25.2.1', 'v24.11.1', 'v22.21.1');
    const watched = ['v25.3.0', 'v24.11.1', 'v22.21.1'];
    const { findings, nextHistory } = compareIndexWithHistory(SEEN, newer, BASE, NOW, watched);
    expect(findings).toEqual([]);
    expect(nextHistory).toEqual({ highestVersion: 'v25.3.0', watched });
  });

  it('never lowers the highest version seen, so a rollback is reported every sweep', () => {
    const rolledBack = indexOf('v25.2.0', 'v24.11.1', 'v22.21.1');
    const watched = ['v25.2.0', 'v24.11.1', 'v22.21.1'];
    let history: IndexHistory = SEEN;
    for (let sweep = 0; sweep < 3; sweep += 1) {
      const result = compareIndexWithHistory(history, rolledBack, BASE, NOW, watched);
      expect(result.findings.map((f) => f.kind)).toEqual(['index-rollback']);
      expect(result.nextHistory.highestVersion).toBe('v25.2.1');
      history = result.nextHistory;
    }
  });

  it('keeps reporting a dropped release until it is listed again', () => {
    const dropped = indexOf('v25.2.1', 'v22.21.1');
    const watchedNow = ['v25.2.1', 'v22.21.1'];
    const first = compareIndexWithHistory(SEEN, dropped, BASE, NOW, watchedNow);
    const second = compareIndexWithHistory(first.nextHistory, dropped, BASE, NOW, watchedNow);
    expect(second.findings[0]?.evidence['missingWatched']).toEqual(['v24.11.1']);

    const restored = compareIndexWithHistory(second.nextHistory, FULL, BASE, NOW, WATCHED);
    expect(restored.findings).toEqual([]);
    expect(restored.nextHistory.watched).toEqual(WATCHED);
  });

  it('carries the stored watched set over when no current set is given', () => {
    const { nextHistory } = compareIndexWithHistory(SEEN, FULL, BASE, NOW);
    expect(nextHistory).toEqual(SEEN);
  });

  it('compares numerically, so v10 after v9 is not a rollback', () => {
    const { findings } = compareIndexWithHistory(
      { highestVersion: 'v9.11.2', watched: [] },
      indexOf('v10.0.0', 'v9.11.2'),
      BASE,
      NOW,
      [],
    );
    expect(findings).toEqual([]);
  });

  it('ignores a stored highest version that does not parse', () => {
    const { findings, nextHistory } = compareIndexWithHistory(
      { highestVersion: 'garbage', watched: [] },
      FULL,
      BASE,
      NOW,
      WATCHED,
    );
    expect(findings).toEqual([]);
    expect(nextHistory.highestVersion).toBe('v25.2.1');
  });

  it('uses the same subject whether or not the base URL ends in a slash', () => {
    const { findings } = compareIndexWithHistory(SEEN, indexOf('v25.2.0'), `${BASE}/`, NOW, []);
    expect(findings[0]?.subject).toBe(INDEX_URL);
  });
});

describe('indexInvalidFinding', () => {
  it.each<IndexError>([
    { kind: 'not-json', detail: 'Unexpected end of JSON input' },
    { kind: 'too-large', bytes: 20_000_000, maxBytes: 8_388_608 },
    { kind: 'too-deep', depth: 10_000 },
    { kind: 'schema', detail: '[0].lts: Invalid input' },
    { kind: 'empty' },
    { kind: 'duplicate-version', version: 'v24.11.1' },
  ])('reports $kind as index-invalid with the reason', (error) => {
    const finding = indexInvalidFinding(error, BASE, NOW);
    const { kind: reason, ...details } = error;
    expect(finding).toMatchObject({
      kind: 'index-invalid',
      severity: 'P1',
      subject: INDEX_URL,
      fingerprint: `index-invalid ${INDEX_URL}`,
      summary: indexErrorSummary(error),
      observed: reason,
      evidence: { reason, ...details },
      observedAt: NOW.toISOString(),
    });
  });
});
