import { describe, expect, it } from 'vitest';
import {
  compareManifests,
  manifestEntriesEqual,
  parseManifest,
  type ManifestError,
} from '../src/core/manifest';

const OPTIONS = { maxBytes: 1024 * 1024 };
const H1 = '1140709298833d74fad652fd4f7e3e76eff0ce496756df2acf7b9872c9d0b7e7';
const H2 = '7fe00e1e5949c9b99d0b888b9d32b8b2f35a117cd3a94a16c0a2524cb71e3c59';
const H3 = 'fd261ab13e8f72ba11afeae713a9e40b1e2318012db3170abc69ecfddef4fe89';

function lines(...rows: string[]): string {
  return `${rows.join('\n')}\n`;
}

function errorsOf(text: string, maxBytes = OPTIONS.maxBytes): ManifestError[] {
  const result = parseManifest(text, { maxBytes });
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.error;
}

describe('parseManifest: valid manifests', () => {
  it('parses entries in order with 1-based lines and the binary marker', () => {
    const result = parseManifest(
      lines(
        `${H1}  node-v14.20.1-aix-ppc64.tar.gz`,
        `${H2}  win-x64/node.exe`,
        `${H3} *node-v14.20.1.tar.gz`,
      ),
      OPTIONS,
    );
    expect(result.ok && result.value.entries).toEqual([
      { name: 'node-v14.20.1-aix-ppc64.tar.gz', sha256: H1, binaryMode: false, line: 1 },
      { name: 'win-x64/node.exe', sha256: H2, binaryMode: false, line: 2 },
      { name: 'node-v14.20.1.tar.gz', sha256: H3, binaryMode: true, line: 3 },
    ]);
  });

  it('indexes entries by name', () => {
    const result = parseManifest(lines(`${H1}  a.tar.gz`, `${H2}  b.tar.gz`), OPTIONS);
    expect(result.ok && result.value.byName.get('b.tar.gz')).toMatchObject({ sha256: H2, line: 2 });
  });

  it('lowercases an uppercase digest', () => {
    const result = parseManifest(lines(`${H1.toUpperCase()}  a.tar.gz`), OPTIONS);
    expect(result.ok && result.value.entries[0]?.sha256).toBe(H1);
  });

  it('accepts a manifest without a final newline', () => {
    const result = parseManifest(`${H1}  a.tar.gz\n${H2}  b.tar.gz`, OPTIONS);
    expect(result.ok && result.value.entries.length).toBe(2);
  });

  it('tolerates CRLF line ends', () => {
    const result = parseManifest(`${H1}  a.tar.gz\r\n${H2}  b.tar.gz\r\n`, OPTIONS);
    expect(result.ok && result.value.entries.map((entry) => entry.name)).toEqual([
      'a.tar.gz',
      'b.tar.gz',
    ]);
  });
});

describe('parseManifest: rejected lines', () => {
  // [what is wrong, the offending line (placed on line 2), the error expected]
  const corpus: [string, string, ManifestError][] = [
    ['one space between digest and name', `${H1} a.tar.gz`, { kind: 'malformed-line', line: 2 }],
    ['a tab between digest and name', `${H1}\ta.tar.gz`, { kind: 'malformed-line', line: 2 }],
    [
      'three spaces (name starts with a space)',
      `${H1}   a.tar.gz`,
      { kind: 'malformed-line', line: 2 },
    ],
    ['a digest one digit short', `${H1.slice(1)}  a.tar.gz`, { kind: 'malformed-line', line: 2 }],
    ['a digest one digit long', `${H1}0  a.tar.gz`, { kind: 'malformed-line', line: 2 }],
    ['a SHA-1 digest', `${H1.slice(0, 40)}  a.tar.gz`, { kind: 'malformed-line', line: 2 }],
    ['no name', `${H1}  `, { kind: 'malformed-line', line: 2 }],
    ['a digest alone', H1, { kind: 'malformed-line', line: 2 }],
    ['a blank line', '', { kind: 'malformed-line', line: 2 }],
    ['a GNU escaped line', `\\${H1}  a\\nb`, { kind: 'malformed-line', line: 2 }],
    ['a trailing space after the name', `${H1}  a.tar.gz `, { kind: 'malformed-line', line: 2 }],
    ['a ./ segment', `${H1}  ./a.tar.gz`, { kind: 'malformed-line', line: 2 }],
    ['an empty segment', `${H1}  win-x64//node.exe`, { kind: 'malformed-line', line: 2 }],
    ['a trailing slash', `${H1}  win-x64/`, { kind: 'malformed-line', line: 2 }],
    ['a non-hex digest', `${'g'.repeat(64)}  a.tar.gz`, { kind: 'non-hex-digest', line: 2 }],
    ['a digest with a dash', `${H1.slice(0, 63)}-  a.tar.gz`, { kind: 'non-hex-digest', line: 2 }],
    [
      'a leading ..',
      `${H1}  ../etc/passwd`,
      { kind: 'path-traversal', line: 2, name: '../etc/passwd' },
    ],
    [
      'a .. in the middle',
      `${H1}  a/../../b`,
      { kind: 'path-traversal', line: 2, name: 'a/../../b' },
    ],
    ['a bare ..', `${H1}  ..`, { kind: 'path-traversal', line: 2, name: '..' }],
    [
      'a backslash',
      `${H1}  win\\node.exe`,
      { kind: 'path-traversal', line: 2, name: 'win\\node.exe' },
    ],
    ['a NUL', `${H1}  a\u0000.tar.gz`, { kind: 'path-traversal', line: 2, name: 'a\u0000.tar.gz' }],
    ['a lone CR', `${H1}  a\rb.tar.gz`, { kind: 'path-traversal', line: 2, name: 'a\rb.tar.gz' }],
    ['a vertical tab', `${H1}  a\u000bb`, { kind: 'path-traversal', line: 2, name: 'a\u000bb' }],
    ['a NEL', `${H1}  a\u0085b`, { kind: 'path-traversal', line: 2, name: 'a\u0085b' }],
    ['a line separator', `${H1}  a\u2028b`, { kind: 'path-traversal', line: 2, name: 'a\u2028b' }],
    ['a DEL', `${H1}  a\u007fb`, { kind: 'path-traversal', line: 2, name: 'a\u007fb' }],
    [
      'percent-encoded ..',
      `${H1}  %2e%2e/etc`,
      { kind: 'path-traversal', line: 2, name: '%2e%2e/etc' },
    ],
    [
      'percent-encoded ../',
      `${H1}  a/..%2Fb`,
      { kind: 'path-traversal', line: 2, name: 'a/..%2Fb' },
    ],
    [
      'double-encoded ..',
      `${H1}  %252e%252e/x`,
      { kind: 'path-traversal', line: 2, name: '%252e%252e/x' },
    ],
    ['an encoded backslash', `${H1}  a%5cb`, { kind: 'path-traversal', line: 2, name: 'a%5cb' }],
    ['an encoded NUL', `${H1}  a%00b`, { kind: 'path-traversal', line: 2, name: 'a%00b' }],
    [
      'an encoded leading slash',
      `${H1}  %2fetc`,
      { kind: 'path-traversal', line: 2, name: '%2fetc' },
    ],
    [
      'a leading slash',
      `${H1}  /etc/passwd`,
      { kind: 'absolute-path', line: 2, name: '/etc/passwd' },
    ],
    [
      'a drive letter',
      `${H1}  C:/Windows/node.exe`,
      { kind: 'absolute-path', line: 2, name: 'C:/Windows/node.exe' },
    ],
    [
      'a drive-relative path',
      `${H1}  c:node.exe`,
      { kind: 'absolute-path', line: 2, name: 'c:node.exe' },
    ],
  ];

  it.each(corpus)('rejects %s', (_label, line, expected) => {
    expect(errorsOf(lines(`${H2}  ok.tar.gz`, line, `${H3}  last.tar.gz`))).toEqual([expected]);
  });

  it('rejects a duplicate name, naming both lines', () => {
    expect(errorsOf(lines(`${H1}  a.tar.gz`, `${H2}  b.tar.gz`, `${H3} *a.tar.gz`))).toEqual([
      { kind: 'duplicate-name', line: 3, name: 'a.tar.gz', firstLine: 1 },
    ]);
  });

  it('returns every bad line, in line order', () => {
    expect(
      errorsOf(lines(`${H1}  ../x`, `${H2}  fine.tar.gz`, 'garbage', `${'z'.repeat(64)}  y`)),
    ).toEqual([
      { kind: 'path-traversal', line: 1, name: '../x' },
      { kind: 'malformed-line', line: 3 },
      { kind: 'non-hex-digest', line: 4 },
    ]);
  });

  it('rejects a byte-order mark as a malformed first line', () => {
    expect(errorsOf(`\ufeff${H1}  a.tar.gz\n`)).toEqual([{ kind: 'malformed-line', line: 1 }]);
  });

  it('allows one final newline, not a blank line after it', () => {
    expect(errorsOf(`${H1}  a.tar.gz\n\n`)).toEqual([{ kind: 'malformed-line', line: 2 }]);
  });
});

describe('parseManifest: whole-file limits', () => {
  it('rejects a manifest over the byte limit without reading its lines', () => {
    const text = lines(`${H1}  a.tar.gz`, `${H2}  b.tar.gz`);
    expect(errorsOf(text, 100)).toEqual([{ kind: 'too-large', bytes: text.length, maxBytes: 100 }]);
  });

  it('counts the limit in UTF-8 bytes, not characters', () => {
    const text = `${H1}  ${'é'.repeat(20)}\n`;
    expect(errorsOf(text, text.length)).toEqual([
      { kind: 'too-large', bytes: text.length + 20, maxBytes: text.length },
    ]);
  });

  it.each([
    ['no text', ''],
    ['only a newline', '\n'],
    ['only whitespace', '  \n\t\n'],
  ])('rejects %s as empty', (_label, text) => {
    expect(errorsOf(text)).toEqual([{ kind: 'empty' }]);
  });
});

describe('compareManifests', () => {
  const pinned = [
    { name: 'a.tar.gz', sha256: H1 },
    { name: 'b.tar.gz', sha256: H2 },
    { name: 'c.tar.gz', sha256: H3 },
  ];

  it('reports added, removed and changed names', () => {
    const current = [
      { name: 'a.tar.gz', sha256: H1 },
      { name: 'c.tar.gz', sha256: H1 },
      { name: 'd.tar.gz', sha256: H2 },
    ];
    expect(compareManifests(pinned, current)).toEqual({
      added: ['d.tar.gz'],
      removed: ['b.tar.gz'],
      changed: [{ name: 'c.tar.gz', pinned: H3, current: H1 }],
    });
  });

  it('finds no difference between equal entries in another order and case', () => {
    const current = [...pinned]
      .reverse()
      .map((entry) => ({ ...entry, sha256: entry.sha256.toUpperCase() }));
    expect(compareManifests(pinned, current)).toEqual({ added: [], removed: [], changed: [] });
    expect(manifestEntriesEqual(pinned, current)).toBe(true);
  });

  it('says entries differ when one hash changed', () => {
    const current = pinned.map((entry, index) => (index === 1 ? { ...entry, sha256: H3 } : entry));
    expect(manifestEntriesEqual(pinned, current)).toBe(false);
  });
});
