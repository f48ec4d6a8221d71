/**
 * Property-based tests of the pure core, for what the example-based tests cannot reach:
 * the manifest parser round-trips every valid manifest and never throws, naming only lines
 * that exist; generated index.json entries always parse and a hostile field never makes
 * the parser throw; version ordering is a total order that sorting respects; a finding's
 * fingerprint depends on its kind and subject and on nothing else. (Antisymmetry,
 * transitivity and the format round trip of versions, and "arbitrary JSON never throws"
 * for index.json, live in versions.test.ts and index-json.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifest, type ManifestError } from '../src/core/manifest';
import { INDEX_MAX_DEPTH, parseIndexJson, type IndexError } from '../src/core/index-json';
import {
  compareVersions,
  formatVersion,
  MAX_VERSION_LENGTH,
  parseVersion,
  type Version,
} from '../src/core/versions';
import {
  createFinding,
  fingerprintOf,
  FINDING_KIND_NAMES,
  SEVERITIES,
  type FindingInput,
} from '../src/core/findings';

const RUNS = { numRuns: 200 };
/** Each index run parses up to ten whole entries through zod: fewer runs, same reach. */
const INDEX_RUNS = { numRuns: 100 };
const MANIFEST_OPTIONS = { maxBytes: 1024 * 1024 };
const INDEX_OPTIONS = { maxBytes: 8 * 1024 * 1024 };

// ---------------------------------------------------------------------------------------
// Manifests

const hex = (digits: string) =>
  fc.string({ unit: fc.constantFrom(...digits), minLength: 64, maxLength: 64 });

/** A path segment as release files are named: no `.`/`..`, no `%`, `\` or controls. */
const segment = fc.stringMatching(/^[A-Za-z0-9_+-][A-Za-z0-9._+-]{0,24}$/);
const safeName = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));

interface GeneratedEntry {
  readonly name: string;
  readonly sha256: string;
  readonly binaryMode: boolean;
}

const manifestEntries = fc.uniqueArray(
  fc.record({ name: safeName, sha256: hex('0123456789abcdef'), binaryMode: fc.boolean() }),
  { selector: (entry) => entry.name, minLength: 1, maxLength: 30 },
);

function serialise(entries: readonly GeneratedEntry[], lineEnd: string, final: boolean): string {
  const rows = entries.map(
    (entry) => `${entry.sha256}${entry.binaryMode ? ' *' : '  '}${entry.name}`,
  );
  return rows.join(lineEnd) + (final ? lineEnd : '');
}

/** Lines a manifest-like text is made of: valid ones, near-misses and noise. */
const manifestLine = fc.oneof(
  fc
    .tuple(hex('0123456789abcdefABCDEF'), fc.constantFrom('  ', ' *'), safeName)
    .map((parts) => parts.join('')),
  fc
    .tuple(hex('0123456789abcdef'), fc.constantFrom(' ', '   ', '\t', ' *', '  '), fc.string())
    .map((parts) => parts.join('')),
  fc
    .tuple(fc.string({ maxLength: 70 }), fc.constantFrom('  ', ' *'), fc.string())
    .map((parts) => parts.join('')),
  fc.constantFrom('', ' ', '\r', '../../etc/passwd', `${'0'.repeat(64)}  a/../b`),
  fc.string({ unit: 'binary', maxLength: 100 }),
);

const manifestLike = fc
  .tuple(fc.array(manifestLine, { maxLength: 20 }), fc.constantFrom('\n', '\r\n'), fc.boolean())
  .map(([rows, lineEnd, final]) => rows.join(lineEnd) + (final ? lineEnd : ''));

/** How many lines the parser sees: split on LF, one final empty line dropped. */
function lineCount(text: string): number {
  const rows = text.split('\n');
  if (rows.at(-1) === '') rows.pop();
  return rows.length;
}

function lineOf(error: ManifestError): number | undefined {
  return 'line' in error ? error.line : undefined;
}

describe('manifest parser properties', () => {
  it('round-trips every valid manifest: same names, hashes, markers and line numbers', () => {
    fc.assert(
      fc.property(
        manifestEntries,
        fc.constantFrom('\n', '\r\n'),
        fc.boolean(),
        (entries, end, final) => {
          const parsed = parseManifest(serialise(entries, end, final), MANIFEST_OPTIONS);
          expect(parsed.ok).toBe(true);
          if (!parsed.ok) return;
          expect(parsed.value.entries).toEqual(
            entries.map((entry, index) => ({ ...entry, line: index + 1 })),
          );
          expect([...parsed.value.byName.keys()].sort()).toEqual(
            entries.map((entry) => entry.name).sort(),
          );
        },
      ),
      RUNS,
    );
  });

  it('lowercases digests in any case and otherwise keeps the entries', () => {
    fc.assert(
      fc.property(manifestEntries, (entries) => {
        const shouted = entries.map((entry) => ({ ...entry, sha256: entry.sha256.toUpperCase() }));
        const parsed = parseManifest(serialise(shouted, '\n', true), MANIFEST_OPTIONS);
        expect(parsed.ok && parsed.value.entries.map((entry) => entry.sha256)).toEqual(
          entries.map((entry) => entry.sha256),
        );
      }),
      RUNS,
    );
  });

  it('rejects a valid manifest with one name repeated, naming both lines', () => {
    fc.assert(
      fc.property(manifestEntries, fc.nat(), hex('0123456789abcdef'), (entries, pick, sha256) => {
        const repeated = entries[pick % entries.length] as GeneratedEntry;
        const text = serialise([...entries, { ...repeated, sha256 }], '\n', true);
        const parsed = parseManifest(text, MANIFEST_OPTIONS);
        expect(parsed.ok).toBe(false);
        if (parsed.ok) return;
        expect(parsed.error).toEqual([
          {
            kind: 'duplicate-name',
            line: entries.length + 1,
            name: repeated.name,
            firstLine: entries.indexOf(repeated) + 1,
          },
        ]);
      }),
      RUNS,
    );
  });

  it.each([
    ['arbitrary strings', fc.string({ unit: 'binary', maxLength: 400 })],
    ['manifest-like text', manifestLike],
    [
      'bytes decoded leniently (U+FFFD for what is not UTF-8)',
      fc.uint8Array({ maxLength: 400 }).map((bytes) => new TextDecoder().decode(bytes)),
    ],
  ])('never throws on %s', (_name, texts) => {
    fc.assert(
      fc.property(texts, (text) => {
        expect(() => parseManifest(text, MANIFEST_OPTIONS)).not.toThrow();
      }),
      RUNS,
    );
  });

  it('names only lines that exist, each at most once, in order, and a duplicate after its first', () => {
    fc.assert(
      fc.property(manifestLike, (text) => {
        const parsed = parseManifest(text, MANIFEST_OPTIONS);
        if (parsed.ok) {
          expect(parsed.value.entries).toHaveLength(lineCount(text));
          return;
        }
        expect(parsed.error.length).toBeGreaterThan(0);
        const lines = parsed.error.map(lineOf).filter((line) => line !== undefined);
        for (const line of lines) {
          expect(line).toBeGreaterThanOrEqual(1);
          expect(line).toBeLessThanOrEqual(lineCount(text));
        }
        expect(lines).toEqual([...new Set(lines)].sort((a, b) => a - b));
        for (const error of parsed.error) {
          if (error.kind === 'duplicate-name') expect(error.firstLine).toBeLessThan(error.line);
        }
        // Only a blank text has errors without a line.
        if (lines.length < parsed.error.length) expect(parsed.error).toEqual([{ kind: 'empty' }]);
      }),
      RUNS,
    );
  });

  it('refuses anything over the byte cap by its size alone', () => {
    fc.assert(
      fc.property(manifestLike, fc.nat(200), (text, cap) => {
        const bytes = new TextEncoder().encode(text).byteLength;
        fc.pre(bytes > cap);
        expect(parseManifest(text, { maxBytes: cap })).toEqual({
          ok: false,
          error: [{ kind: 'too-large', bytes, maxBytes: cap }],
        });
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------
// index.json

const componentArb = fc.oneof(fc.nat(30), fc.nat(999_999_999));
const versionArb = fc.record({ major: componentArb, minor: componentArb, patch: componentArb });

const dateArb = fc
  .date({
    min: new Date('2009-05-27T00:00:00Z'),
    max: new Date('2099-12-31T00:00:00Z'),
    noInvalidDate: true,
  })
  .map((date) => date.toISOString().slice(0, 10));

const shortText = fc.string({ minLength: 1, maxLength: 20 });

/** A release entry as index.json lists it, with fields upstream might add some day. */
const indexEntryArb = fc
  .record(
    {
      version: versionArb.map(formatVersion),
      date: dateArb,
      files: fc.array(fc.string({ maxLength: 20 }), { maxLength: 25 }),
      npm: shortText,
      v8: fc.string({ maxLength: 20 }),
      uv: shortText,
      zlib: shortText,
      openssl: shortText,
      modules: shortText,
      lts: fc.oneof(fc.constant(false as const), shortText),
      security: fc.boolean(),
    },
    { requiredKeys: ['version', 'date', 'files', 'v8', 'lts', 'security'] },
  )
  .chain((entry) =>
    fc
      .dictionary(fc.stringMatching(/^x-[a-z]{1,8}$/), fc.jsonValue({ maxDepth: 3 }), {
        maxKeys: 3,
      })
      .map((extra) => ({ ...extra, ...entry })),
  );

const indexArb = fc.uniqueArray(indexEntryArb, {
  selector: (entry) => entry.version,
  minLength: 1,
  maxLength: 10,
});

const INDEX_ERROR_KINDS: readonly IndexError['kind'][] = [
  'too-large',
  'not-json',
  'too-deep',
  'schema',
  'empty',
  'duplicate-version',
];

describe('index.json schema properties', () => {
  it('accepts every well-formed index and keeps every entry as written, unknown fields too', () => {
    fc.assert(
      fc.property(indexArb, (entries) => {
        const text = JSON.stringify(entries);
        const parsed = parseIndexJson(text, INDEX_OPTIONS);
        expect(parsed.ok).toBe(true);
        if (!parsed.ok) return;
        expect(parsed.value).toEqual(JSON.parse(text));
      }),
      INDEX_RUNS,
    );
  });

  it('never throws when one field of a valid entry is replaced by arbitrary JSON, and says why it refuses', () => {
    const field = fc.constantFrom(
      'version',
      'date',
      'files',
      'npm',
      'v8',
      'lts',
      'security',
      '__proto__',
      'constructor',
    );
    fc.assert(
      fc.property(
        indexArb,
        fc.nat(),
        field,
        fc.jsonValue({ maxDepth: 4 }),
        (entries, at, name, value) => {
          const target = at % entries.length;
          const mutated = entries.map((entry, index) => (index === target ? { ...entry } : entry));
          Object.defineProperty(mutated[target] as object, name, { value, enumerable: true });
          const text = JSON.stringify(mutated);
          const parsed = parseIndexJson(text, INDEX_OPTIONS);
          if (!parsed.ok) expect(INDEX_ERROR_KINDS).toContain(parsed.error.kind);
        },
      ),
      INDEX_RUNS,
    );
  });

  it('refuses a duplicated version by name, whatever else the entries hold', () => {
    fc.assert(
      fc.property(indexArb, fc.nat(), indexEntryArb, (entries, pick, other) => {
        const version = (entries[pick % entries.length] as { version: string }).version;
        const text = JSON.stringify([...entries, { ...other, version }]);
        expect(parseIndexJson(text, INDEX_OPTIONS)).toEqual({
          ok: false,
          error: { kind: 'duplicate-version', version },
        });
      }),
      INDEX_RUNS,
    );
  });

  it('refuses nesting past the limit before parsing, at any depth beyond it', () => {
    fc.assert(
      fc.property(fc.integer({ min: INDEX_MAX_DEPTH + 1, max: 5000 }), (depth) => {
        const text = `${'['.repeat(depth)}${']'.repeat(depth)}`;
        expect(parseIndexJson(text, INDEX_OPTIONS)).toEqual({
          ok: false,
          error: { kind: 'too-deep', depth },
        });
      }),
      { numRuns: 100 },
    );
  });
});

// ---------------------------------------------------------------------------------------
// Versions

/** The reference order: numeric, component by component. */
function referenceOrder(a: Version, b: Version): number {
  for (const key of ['major', 'minor', 'patch'] as const) {
    if (a[key] !== b[key]) return a[key] < b[key] ? -1 : 1;
  }
  return 0;
}

describe('version ordering properties', () => {
  it('agrees with the numeric order of (major, minor, patch)', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        expect(compareVersions(a, b)).toBe(referenceOrder(a, b));
      }),
      RUNS,
    );
  });

  it('is total: two versions compare equal exactly when they are the same version', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        expect(compareVersions(a, a)).toBe(0);
        expect(compareVersions(a, b) === 0).toBe(formatVersion(a) === formatVersion(b));
        expect([-1, 0, 1]).toContain(compareVersions(a, b));
      }),
      RUNS,
    );
  });

  it('sorts consistently: any order of the same versions sorts to the same, ordered list', () => {
    fc.assert(
      fc.property(
        fc
          .array(versionArb, { maxLength: 40 })
          .chain((list) =>
            fc.tuple(fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length })),
          ),
        ([list, shuffled]) => {
          const sorted = [...list].sort(compareVersions);
          expect([...shuffled].sort(compareVersions).map(formatVersion)).toEqual(
            sorted.map(formatVersion),
          );
          for (let i = 1; i < sorted.length; i += 1) {
            expect(
              compareVersions(sorted[i - 1] as Version, sorted[i] as Version),
            ).toBeLessThanOrEqual(0);
          }
        },
      ),
      RUNS,
    );
  });

  it('orders version strings as their components, not as text (v10 after v9)', () => {
    fc.assert(
      fc.property(versionArb, versionArb, (a, b) => {
        const [textA, textB] = [formatVersion(a), formatVersion(b)];
        const parsedA = parseVersion(textA);
        const parsedB = parseVersion(textB);
        if (!parsedA.ok || !parsedB.ok) throw new Error('formatted versions must parse');
        expect(compareVersions(parsedA.value, parsedB.value)).toBe(referenceOrder(a, b));
      }),
      RUNS,
    );
  });

  it('parseVersion never throws, and what it accepts is short and formats back to itself', () => {
    const texts = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 60 }),
      versionArb.map(formatVersion),
      fc.tuple(versionArb.map(formatVersion), fc.string({ maxLength: 4 })).map(([v, s]) => v + s),
    );
    fc.assert(
      fc.property(texts, (text) => {
        const parsed = parseVersion(text);
        if (!parsed.ok) return;
        expect(text.length).toBeLessThanOrEqual(MAX_VERSION_LENGTH);
        expect(formatVersion(parsed.value)).toBe(text);
      }),
      RUNS,
    );
  });
});

// ---------------------------------------------------------------------------------------
// Finding fingerprints

const kindArb = fc.constantFrom(...FINDING_KIND_NAMES);
const subjectArb = fc.oneof(
  fc.webUrl(),
  fc.string({ maxLength: 80 }),
  fc.constantFrom('https://nodejs.org/dist', 'https://nodejs.org/dist/', 'a b', 'a  b', ''),
);

/** Everything about a finding except its kind and subject. */
const otherFields = fc.record(
  {
    summary: fc.string(),
    severity: fc.constantFrom(...SEVERITIES),
    expected: fc.string(),
    observed: fc.string(),
    release: fc.string(),
    regions: fc.array(fc.string(), { maxLength: 3 }),
    evidence: fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
  },
  { requiredKeys: ['summary'] },
);

const instant = fc.date({
  min: new Date('2000-01-01T00:00:00Z'),
  max: new Date('2100-01-01T00:00:00Z'),
  noInvalidDate: true,
});

describe('finding fingerprint properties', () => {
  it('depends on kind and subject only: other fields, evidence and time do not change it', () => {
    fc.assert(
      fc.property(
        kindArb,
        subjectArb,
        otherFields,
        otherFields,
        instant,
        instant,
        (kind, subject, first, second, firstAt, secondAt) => {
          const a = createFinding({ ...first, kind, subject } as FindingInput, firstAt);
          const b = createFinding({ ...second, kind, subject } as FindingInput, secondAt);
          expect(a.fingerprint).toBe(b.fingerprint);
          expect(a.fingerprint).toBe(fingerprintOf(kind, subject));
        },
      ),
      RUNS,
    );
  });

  it('differs whenever the kind or the subject differs, however little', () => {
    // Random pairs, plus the near misses random pairs would almost never hit: the same
    // subject under two kinds, a subject and its extension, a subject moved across the
    // separator (`a` + `b c` against `a b` + `c`).
    const pairs = fc.oneof(
      fc.tuple(kindArb, subjectArb, kindArb, subjectArb),
      fc
        .tuple(kindArb, kindArb, subjectArb)
        .map(([a, b, subject]) => [a, subject, b, subject] as const),
      fc
        .tuple(kindArb, subjectArb, fc.string({ minLength: 1, maxLength: 3 }))
        .map(([kind, subject, more]) => [kind, subject, kind, subject + more] as const),
      fc
        .tuple(kindArb, kindArb, subjectArb)
        .map(([a, b, subject]) => [a, `${b} ${subject}`, b, `${a} ${subject}`] as const),
    );
    fc.assert(
      fc.property(pairs, ([kindA, subjectA, kindB, subjectB]) => {
        fc.pre(kindA !== kindB || subjectA !== subjectB);
        expect(fingerprintOf(kindA, subjectA)).not.toBe(fingerprintOf(kindB, subjectB));
      }),
      RUNS,
    );
  });
});
