/**
 * index.json parsing and rollback detection: cases StrykerJS showed no test looked at
 * (docs/reliability.md, "Mutation testing"). The byte cap must count UTF-8 exactly (a
 * miscount lets a body past the cap), rollback must be seen without any other symptom,
 * and the finding must stay bounded and say what happened whatever the history holds.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseIndexJson } from '../src/core/index-json';
import { compareIndexWithHistory } from '../src/core/index-rollback';

const BASE = 'https://dist.test/dist';
const NOW = new Date('2025-11-20T12:00:00Z');

const listed = (...versions: string[]) => versions.map((version) => ({ version }));

describe('parseIndexJson: the byte cap counts UTF-8 as TextEncoder writes it', () => {
  it('for any text, including astral characters and lone surrogates', () => {
    const units = fc.oneof(
      fc.string({ unit: 'grapheme' }),
      fc.string({ unit: 'binary' }),
      fc.string({
        unit: fc.integer({ min: 0xd700, max: 0xe000 }).map((c) => String.fromCharCode(c)),
      }),
    );
    fc.assert(
      fc.property(units, (text) => {
        const bytes = new TextEncoder().encode(text).byteLength;
        fc.pre(bytes > 0);
        expect(parseIndexJson(text, { maxBytes: bytes - 1 })).toEqual({
          ok: false,
          error: { kind: 'too-large', bytes, maxBytes: bytes - 1 },
        });
        const atCap = parseIndexJson(text, { maxBytes: bytes });
        expect(atCap.ok || atCap.error.kind !== 'too-large').toBe(true);
      }),
      { numRuns: 200 },
    );
  });

  it('at the edges of each UTF-8 length class', () => {
    for (const [text, bytes] of [
      ['\u007f', 1],
      ['\u0080', 2],
      ['\u07ff', 2],
      ['\u0800', 3],
      ['\ud7ff', 3],
      ['\ud800\udc00', 4],
      ['\udbff\udfff', 4],
      ['\ud800', 3],
      ['\udc00', 3],
      ['\ud800\ue000', 6],
      ['\ud800\udbff', 6],
      ['\uffff', 3],
    ] as const) {
      expect(parseIndexJson(text, { maxBytes: 0 }), JSON.stringify(text)).toMatchObject({
        ok: false,
        error: { kind: 'too-large', bytes },
      });
    }
  });
});

describe('parseIndexJson: schema errors stay short', () => {
  const valid = {
    version: 'v1.0.0',
    date: '2025-01-01',
    files: ['src'],
    v8: '1.0',
    lts: false,
    security: false,
  };
  const without = (...fields: string[]) =>
    JSON.stringify([
      Object.fromEntries(Object.entries(valid).filter(([key]) => !fields.includes(key))),
    ]);
  const detailOf = (text: string) => {
    const result = parseIndexJson(text, { maxBytes: 1 << 20 });
    return !result.ok && result.error.kind === 'schema' ? result.error.detail : '';
  };

  it('names three issues and counts the rest', () => {
    const three = detailOf(without('v8', 'lts', 'security'));
    expect(three.split('; ')).toHaveLength(3);
    expect(three).not.toContain('more');
    const four = detailOf(without('date', 'v8', 'lts', 'security'));
    expect(four.split('; ')).toHaveLength(4);
    expect(four).toMatch(/^\[0\]\.date: .*; and 1 more$/);
  });
});

describe('compareIndexWithHistory: rollback on its own', () => {
  it('reports an index that lists nothing the monitor knows as going back to no release', () => {
    const { findings, nextHistory } = compareIndexWithHistory(
      { highestVersion: 'v25.2.1', watched: [] },
      [],
      BASE,
      NOW,
      [],
    );
    expect(findings).toHaveLength(1);
    expect(findings[0]).toMatchObject({
      kind: 'index-rollback',
      expected: 'v25.2.1',
      observed: 'no release',
      evidence: { wentBack: true, newestVersionListed: null },
    });
    expect(findings[0]?.summary).toBe('index.json went back from v25.2.1 to no release');
    expect(nextHistory.highestVersion).toBe('v25.2.1');
  });

  it('says only what is missing when the newest version did not go back', () => {
    const { findings } = compareIndexWithHistory(
      { highestVersion: 'v25.2.1', watched: ['v24.11.1'] },
      listed('v25.2.1'),
      BASE,
      NOW,
      ['v25.2.1'],
    );
    expect(findings[0]).toMatchObject({
      expected: 'every watched and pinned release listed',
      observed: 'missing v24.11.1',
      evidence: { wentBack: false },
    });
    expect(findings[0]?.summary).toBe('index.json no longer lists watched release v24.11.1');
  });

  it('starts from nothing on a first sweep that names no watched set', () => {
    expect(compareIndexWithHistory(undefined, listed('v1.0.0'), BASE, NOW)).toEqual({
      findings: [],
      nextHistory: { highestVersion: 'v1.0.0', watched: [] },
    });
  });
});

describe('compareIndexWithHistory: a long or damaged history stays readable and bounded', () => {
  const dropped = Array.from({ length: 150 }, (_, i) => `v1.${i}.0`);

  it('names ten releases, counts the rest, and keeps at most 100 in evidence', () => {
    const { findings } = compareIndexWithHistory(
      { highestVersion: 'v2.0.0', watched: dropped },
      listed('v2.0.0'),
      BASE,
      NOW,
      ['v2.0.0'],
    );
    const finding = findings[0];
    expect(finding?.summary).toBe(
      `index.json no longer lists watched releases ${dropped
        .slice(-10)
        .reverse()
        .join(', ')} and 140 more`,
    );
    expect(finding?.observed).toBe(`missing ${dropped.slice(-10).reverse().join(', ')}`);
    expect(finding?.evidence['missingWatched']).toHaveLength(100);
    expect(finding?.evidence['missingWatchedCount']).toBe(150);
  });

  it('lists missing releases newest first and what does not parse last, in text order', () => {
    const { findings, nextHistory } = compareIndexWithHistory(
      { highestVersion: 'v2.0.0', watched: ['zz', 'v1.2.0', 'garbage', 'v1.10.0', 'v1.9.0'] },
      listed('v2.0.0'),
      BASE,
      NOW,
      ['v2.0.0'],
    );
    const order = ['v1.10.0', 'v1.9.0', 'v1.2.0', 'garbage', 'zz'];
    expect(findings[0]?.evidence['missingWatched']).toEqual(order);
    expect(nextHistory.watched).toEqual(['v2.0.0', ...order]);
  });
});
