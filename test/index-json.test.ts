import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  INDEX_MAX_DEPTH,
  indexErrorSummary,
  parseIndexJson,
  type IndexError,
} from '../src/core/index-json';

const OPTIONS = { maxBytes: 8 * 1024 * 1024 };

// Three entries copied from the real https://nodejs.org/dist/index.json (v14.1.0 Current,
// v12.16.3 LTS "Erbium", v0.12.17 security release), values unchanged, one entry a line.
const REAL_SAMPLE = `[
  {"version":"v14.1.0","date":"2020-04-29","files":["aix-ppc64","headers","linux-arm64","linux-armv7l","linux-ppc64le","linux-s390x","linux-x64","osx-x64-pkg","osx-x64-tar","src","win-x64-7z","win-x64-exe","win-x64-msi","win-x64-zip","win-x86-7z","win-x86-exe","win-x86-msi","win-x86-zip"],"npm":"6.14.4","v8":"8.1.307.31","uv":"1.37.0","zlib":"1.2.11","openssl":"1.1.1g","modules":"83","lts":false,"security":false},
  {"version":"v12.16.3","date":"2020-04-28","files":["aix-ppc64","headers","linux-arm64","linux-armv7l","linux-ppc64le","linux-s390x","linux-x64","osx-x64-pkg","osx-x64-tar","src","sunos-x64","win-x64-7z","win-x64-exe","win-x64-msi","win-x64-zip","win-x86-7z","win-x86-exe","win-x86-msi","win-x86-zip"],"npm":"6.14.4","v8":"7.8.279.23","uv":"1.34.2","zlib":"1.2.11","openssl":"1.1.1g","modules":"72","lts":"Erbium","security":false},
  {"version":"v0.12.17","date":"2016-10-18","files":["headers","linux-x64","linux-x86","osx-x64-pkg","osx-x64-tar","osx-x86-tar","src","sunos-x64","sunos-x86","win-x64-exe","win-x86-exe","win-x86-msi"],"npm":"2.15.1","v8":"3.28.71.19","uv":"1.6.1","zlib":"1.2.8","openssl":"1.0.1u","modules":"14","lts":false,"security":true}
]`;

interface EntryFields {
  [field: string]: unknown;
}

function entry(overrides: EntryFields = {}): EntryFields {
  return {
    version: 'v24.11.1',
    date: '2025-11-11',
    files: ['linux-x64', 'src'],
    npm: '11.6.2',
    v8: '13.6.233.10',
    uv: '1.51.0',
    zlib: '1.3.1-470d3a2',
    openssl: '3.5.4',
    modules: '137',
    lts: 'Krypton',
    security: false,
    ...overrides,
  };
}

function indexOf(...entries: EntryFields[]): string {
  return JSON.stringify(entries);
}

function errorOf(text: string, options = OPTIONS): IndexError {
  const parsed = parseIndexJson(text, options);
  if (parsed.ok) throw new Error('expected the index to be rejected');
  return parsed.error;
}

describe('parseIndexJson on real data', () => {
  it('accepts real index.json entries', () => {
    const parsed = parseIndexJson(REAL_SAMPLE, OPTIONS);
    expect(parsed.ok).toBe(true);
    if (!parsed.ok) return;
    expect(parsed.value.map((e) => e.version)).toEqual(['v14.1.0', 'v12.16.3', 'v0.12.17']);
  });

  it('keeps the LTS codename, the security flag and the files', () => {
    const parsed = parseIndexJson(REAL_SAMPLE, OPTIONS);
    if (!parsed.ok) throw new Error(indexErrorSummary(parsed.error));
    const [current, lts, security] = parsed.value;
    expect(current?.lts).toBe(false);
    expect(lts?.lts).toBe('Erbium');
    expect(security?.security).toBe(true);
    expect(current?.files).toContain('win-x64-msi');
    expect(lts?.modules).toBe('72');
  });

  it('accepts an early entry without npm, uv, zlib, openssl or modules', () => {
    const early = {
      version: 'v0.1.14',
      date: '2011-08-26',
      files: ['src'],
      v8: '1.3.15.0',
      lts: false,
      security: false,
    };
    expect(parseIndexJson(JSON.stringify([early]), OPTIONS).ok).toBe(true);
  });

  it('keeps fields upstream adds later', () => {
    const parsed = parseIndexJson(indexOf(entry({ sbom: 'cyclonedx' })), OPTIONS);
    if (!parsed.ok) throw new Error(indexErrorSummary(parsed.error));
    expect(parsed.value[0]?.['sbom']).toBe('cyclonedx');
  });

  it('drops a __proto__ key instead of letting it change the prototype', () => {
    const text = indexOf(entry()).replace('"version"', '"__proto__":{"polluted":true},"version"');
    const parsed = parseIndexJson(text, OPTIONS);
    if (!parsed.ok) throw new Error(indexErrorSummary(parsed.error));
    const first = parsed.value[0];
    expect(Object.getPrototypeOf(first)).toBe(Object.prototype);
    expect((first as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('does not count brackets inside strings as nesting', () => {
    const bracketString = '[{'.repeat(INDEX_MAX_DEPTH * 2);
    expect(parseIndexJson(indexOf(entry({ note: bracketString })), OPTIONS).ok).toBe(true);
  });

  it('does not let an escaped quote end a string early', () => {
    const tricky = `\\"${'['.repeat(INDEX_MAX_DEPTH * 2)}`;
    const text = indexOf(entry()).replace('"version"', `"note":"${tricky}","version"`);
    expect(parseIndexJson(text, OPTIONS).ok).toBe(true);
  });
});

describe('parseIndexJson on malformed input', () => {
  const valid = indexOf(entry(), entry({ version: 'v22.21.1', lts: 'Jod' }));

  it.each<[string, string, IndexError['kind'], string | undefined]>([
    ['not JSON', 'hello, world', 'not-json', undefined],
    ['truncated JSON', valid.slice(0, -20), 'not-json', undefined],
    ['an object instead of an array', JSON.stringify(entry()), 'schema', '(root)'],
    ['null', 'null', 'schema', '(root)'],
    ['a missing version', indexOf(entry({ version: undefined })), 'schema', '[0].version'],
    ['a bad version string', indexOf(entry({ version: 'v24.11' })), 'schema', '[0].version'],
    ['a version with a suffix', indexOf(entry({ version: 'v25.0.0-rc.1' })), 'schema', 'version'],
    ['a date in the wrong format', indexOf(entry({ date: '11/11/2025' })), 'schema', '[0].date'],
    ['a date that does not exist', indexOf(entry({ date: '2025-02-30' })), 'schema', '[0].date'],
    ['lts as a number', indexOf(entry({ lts: 24 })), 'schema', '[0].lts'],
    ['lts as true', indexOf(entry({ lts: true })), 'schema', '[0].lts'],
    ['security as a string', indexOf(entry({ security: 'yes' })), 'schema', '[0].security'],
    ['files not an array', indexOf(entry({ files: 'linux-x64' })), 'schema', '[0].files'],
    ['a missing v8', indexOf(entry({ v8: undefined })), 'schema', '[0].v8'],
    ['a bad second entry', indexOf(entry(), entry({ version: 'latest' })), 'schema', '[1].version'],
    ['an empty array', '[]', 'empty', undefined],
  ])('rejects %s', (_name, text, kind, detail) => {
    const error = errorOf(text);
    expect(error.kind).toBe(kind);
    if (detail !== undefined && 'detail' in error) expect(error.detail).toContain(detail);
  });

  it('rejects duplicate versions, naming the version', () => {
    const text = indexOf(entry(), entry({ version: 'v22.21.1' }), entry({ date: '2025-11-12' }));
    expect(errorOf(text)).toEqual({ kind: 'duplicate-version', version: 'v24.11.1' });
  });

  it('rejects 10,000-deep nesting before JSON.parse, without crashing', () => {
    const text = `${'['.repeat(10_000)}${']'.repeat(10_000)}`;
    expect(errorOf(text)).toEqual({ kind: 'too-deep', depth: 10_000 });
  });

  it('rejects deep nesting inside an otherwise valid entry', () => {
    const deep = `${'{"a":'.repeat(100)}1${'}'.repeat(100)}`;
    const text = indexOf(entry()).replace('"version"', `"x":${deep},"version"`);
    expect(errorOf(text)).toEqual({ kind: 'too-deep', depth: 102 });
  });

  it('accepts nesting up to the limit', () => {
    const deep = `${'['.repeat(INDEX_MAX_DEPTH - 2)}${']'.repeat(INDEX_MAX_DEPTH - 2)}`;
    const text = indexOf(entry()).replace('"version"', `"x":${deep},"version"`);
    expect(parseIndexJson(text, OPTIONS).ok).toBe(true);
  });

  it('rejects unbalanced opening brackets without crashing', () => {
    expect(errorOf('['.repeat(100_000)).kind).toBe('too-deep');
  });

  it('rejects 20 MB of valid, wide JSON over the cap, reporting its size', () => {
    const wide = `[${Array.from({ length: 20 * 1024 }, () => `"${'x'.repeat(1022)}"`).join(',')}]`;
    expect(wide.length).toBeGreaterThan(20 * 1024 * 1024);
    expect(errorOf(wide)).toEqual({
      kind: 'too-large',
      bytes: wide.length,
      maxBytes: OPTIONS.maxBytes,
    });
  });

  it('counts the cap in UTF-8 bytes, not characters', () => {
    const text = indexOf(entry({ note: 'é'.repeat(600) }));
    const bytes = new TextEncoder().encode(text).length;
    expect(errorOf(text, { maxBytes: text.length })).toEqual({
      kind: 'too-large',
      bytes,
      maxBytes: text.length,
    });
  });

  it('counts astral characters as four bytes', () => {
    const text = indexOf(entry({ note: '🔐'.repeat(10) }));
    const bytes = new TextEncoder().encode(text).length;
    expect(parseIndexJson(text, { maxBytes: bytes }).ok).toBe(true);
    expect(errorOf(text, { maxBytes: bytes - 1 }).kind).toBe('too-large');
  });

  it('rejects a body that was not valid UTF-8 (decoded to replacement characters)', () => {
    const good = new TextEncoder().encode(indexOf(entry({ note: 'abc' })));
    const bad = good.slice();
    bad[good.indexOf(0x61 /* a */)] = 0xff;
    const text = new TextDecoder().decode(bad);
    const error = errorOf(text);
    expect(error.kind).toBe('not-json');
    if (error.kind === 'not-json') expect(error.detail).toContain('UTF-8');
  });

  it('names at most three schema issues and counts the rest', () => {
    const text = indexOf(...Array.from({ length: 5 }, (_, i) => entry({ version: `bad-${i}` })));
    const error = errorOf(text);
    expect(error.kind).toBe('schema');
    if (error.kind !== 'schema') return;
    expect(error.detail).toContain('[2].version');
    expect(error.detail).not.toContain('[3].version');
    expect(error.detail).toContain('and 2 more');
  });

  it('keeps error details short whatever the input', () => {
    const text = indexOf(entry({ version: `v${'9'.repeat(100_000)}.0.0` }));
    const error = errorOf(text);
    expect(error.kind).toBe('schema');
    expect(indexErrorSummary(error).length).toBeLessThan(700);
  });
});

describe('indexErrorSummary', () => {
  it.each<[IndexError, string]>([
    [{ kind: 'too-large', bytes: 20_000_000, maxBytes: 8_388_608 }, '20000000 bytes'],
    [{ kind: 'not-json', detail: 'Unexpected end of JSON input' }, 'Unexpected end'],
    [{ kind: 'too-deep', depth: 10_000 }, '10000 levels'],
    [{ kind: 'schema', detail: '[0].lts: Invalid input' }, '[0].lts'],
    [{ kind: 'empty' }, 'no releases'],
    [{ kind: 'duplicate-version', version: 'v24.11.1' }, 'v24.11.1 more than once'],
  ])('describes %o for humans', (error, expected) => {
    const summary = indexErrorSummary(error);
    expect(summary).toContain('index.json');
    expect(summary).toContain(expected);
  });
});

describe('parseIndexJson properties', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        expect(() => parseIndexJson(text, { maxBytes: 1024 })).not.toThrow();
      }),
    );
  });

  it('never throws on arbitrary JSON', () => {
    fc.assert(
      fc.property(fc.json({ maxDepth: 80 }), (text) => {
        expect(() => parseIndexJson(text, OPTIONS)).not.toThrow();
      }),
    );
  });

  it('never throws on mutated real entries', () => {
    fc.assert(
      fc.property(fc.nat(REAL_SAMPLE.length), fc.string({ maxLength: 5 }), (at, insert) => {
        const text = REAL_SAMPLE.slice(0, at) + insert + REAL_SAMPLE.slice(at + 1);
        expect(() => parseIndexJson(text, OPTIONS)).not.toThrow();
      }),
    );
  });
});
