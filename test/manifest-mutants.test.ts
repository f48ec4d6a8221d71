/**
 * Manifest parsing and comparison: the cases StrykerJS showed no test looked at
 * (docs/reliability.md, "Mutation testing"). Each is a behaviour the monitor relies on:
 * the size cap at its edge, percent-encoding that is harmless versus nested encoding that
 * hides a path, and a pin comparison that notices a lost or changed entry alone.
 */
import { describe, expect, it } from 'vitest';
import { manifestEntriesEqual, parseManifest, type ManifestError } from '../src/core/manifest';

const H1 = '1140709298833d74fad652fd4f7e3e76eff0ce496756df2acf7b9872c9d0b7e7';
const H2 = '7fe00e1e5949c9b99d0b888b9d32b8b2f35a117cd3a94a16c0a2524cb71e3c59';
const OPTIONS = { maxBytes: 1024 * 1024 };

function namesOf(text: string, maxBytes = OPTIONS.maxBytes): string[] {
  const result = parseManifest(text, { maxBytes });
  if (!result.ok) throw new Error(`rejected: ${JSON.stringify(result.error)}`);
  return result.value.entries.map((entry) => entry.name);
}

function errorsOf(text: string): ManifestError[] {
  const result = parseManifest(text, OPTIONS);
  if (result.ok) throw new Error('expected the manifest to be rejected');
  return result.error;
}

/** `name` percent-encoded `rounds` times (`.` → `%2e` → `%252e` → …). */
function encode(name: string, rounds: number): string {
  let encoded = name.replace(/\./g, '%2e');
  for (let round = 1; round < rounds; round += 1) encoded = encoded.replace(/%/g, '%25');
  return encoded;
}

describe('parseManifest: the size cap', () => {
  it('accepts a manifest of exactly maxBytes and refuses one byte more', () => {
    const text = `${H1}  node-v24.0.0.tar.gz\n`;
    const bytes = new TextEncoder().encode(text).byteLength;
    expect(namesOf(text, bytes)).toEqual(['node-v24.0.0.tar.gz']);
    expect(parseManifest(text, { maxBytes: bytes - 1 })).toEqual({
      ok: false,
      error: [{ kind: 'too-large', bytes, maxBytes: bytes - 1 }],
    });
  });
});

describe('parseManifest: percent-encoding', () => {
  it('keeps a name whose escapes decode to ordinary characters, as written', () => {
    expect(namesOf(`${H1}  docs/a%41b.txt\n${H2}  x%2541.txt\n`)).toEqual([
      'docs/a%41b.txt',
      'x%2541.txt',
    ]);
  });

  it('refuses `..` hidden under one, two and three rounds of encoding', () => {
    for (const rounds of [1, 2, 3]) {
      const name = `${encode('..', rounds)}/etc/passwd`;
      expect(errorsOf(`${H1}  ${name}\n`), name).toEqual([
        { kind: 'path-traversal', line: 1, name },
      ]);
    }
  });

  it('refuses a backslash, a leading slash or a control hidden by encoding', () => {
    for (const name of ['a%5cb.txt', '%2fetc/passwd', 'a%0ab.txt', '%252fetc/passwd']) {
      const errors = errorsOf(`${H1}  ${name}\n`);
      expect(errors, name).toHaveLength(1);
      expect(errors[0]?.kind, name).toBe('path-traversal');
    }
  });

  it('refuses encoding nested deeper than the rounds it decodes, even of harmless text', () => {
    for (const name of [`${encode('..', 4)}/x`, 'a%25252541.txt']) {
      expect(errorsOf(`${H1}  ${name}\n`), name).toEqual([
        { kind: 'path-traversal', line: 1, name },
      ]);
    }
  });

  it('takes a colon inside a name for a character, not a drive letter', () => {
    expect(namesOf(`${H1}  docs/note:v1.txt\n`)).toEqual(['docs/note:v1.txt']);
    expect(errorsOf(`${H1}  c:/windows/node.exe\n`)).toEqual([
      { kind: 'absolute-path', line: 1, name: 'c:/windows/node.exe' },
    ]);
  });
});

describe('manifestEntriesEqual', () => {
  const pinned = [
    { name: 'a.tar.gz', sha256: H1 },
    { name: 'b.tar.gz', sha256: H2 },
  ];

  it('is true for the same names and hashes in any order and case', () => {
    expect(
      manifestEntriesEqual(pinned, [
        { name: 'b.tar.gz', sha256: H2.toUpperCase() },
        { name: 'a.tar.gz', sha256: H1 },
      ]),
    ).toBe(true);
  });

  it('is false when an entry was only added, only removed, or only changed', () => {
    expect(manifestEntriesEqual(pinned, [...pinned, { name: 'c.tar.gz', sha256: H1 }])).toBe(false);
    expect(manifestEntriesEqual(pinned, pinned.slice(0, 1))).toBe(false);
    expect(manifestEntriesEqual(pinned, [pinned[0]!, { name: 'b.tar.gz', sha256: H1 }])).toBe(
      false,
    );
  });
});
