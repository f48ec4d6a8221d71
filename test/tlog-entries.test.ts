/**
 * Log entries: RFC 8785 canonical bytes anyone can re-hash, tolerant reading (unknown
 * fields and types are kept, not refused), the keys a lookup finds an entry under, and the
 * dist paths a lookup accepts.
 */
import { describe, expect, it } from 'vitest';
import {
  canonicalEntryBytes,
  encodeLogEntry,
  entryLookupKeys,
  normaliseDistPath,
  parseLogEntry,
  type ArtifactEntry,
  type ManifestEntry,
} from '../src/core/tlog';

const HASH_A = 'a'.repeat(64);
const HASH_B = 'b'.repeat(64);

const manifest: ManifestEntry = {
  type: 'manifest',
  release: 'v22.22.1',
  manifestSha256: HASH_A,
  signer: 'C0D6248439F1D5604AAFFB4021D900FFB72F1C3D',
  signedAt: '2026-01-02T03:04:05.000Z',
  files: { 'node-v22.22.1.pkg': HASH_B, 'win-x64/node.exe': HASH_A },
  observedAt: '2026-01-02T04:00:00.000Z',
  vantage: 'worker',
};

const artifact: ArtifactEntry = {
  type: 'artifact',
  release: 'v22.22.1',
  path: 'v22.22.1/node-v22.22.1.pkg',
  sha256: HASH_B,
  size: 123,
  etag: '"abc"',
  observedAt: '2026-01-02T04:00:00.000Z',
  vantage: 'worker',
};

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

describe('entries', () => {
  it('are RFC 8785 canonical JSON: sorted keys, no whitespace', () => {
    expect(text(canonicalEntryBytes(artifact))).toBe(
      `{"etag":"\\"abc\\"","observedAt":"2026-01-02T04:00:00.000Z","path":"v22.22.1/node-v22.22.1.pkg","release":"v22.22.1","sha256":"${HASH_B}","size":123,"type":"artifact","vantage":"worker"}`,
    );
    const shuffled = {
      ...manifest,
      files: { 'win-x64/node.exe': HASH_A, 'node-v22.22.1.pkg': HASH_B },
    };
    expect(text(canonicalEntryBytes(shuffled))).toBe(text(canonicalEntryBytes(manifest)));
  });

  it('read back as what was written, unknown fields kept', () => {
    expect(parseLogEntry(canonicalEntryBytes(manifest))).toEqual({ ok: true, value: manifest });
    const extended = new TextEncoder().encode(JSON.stringify({ ...artifact, colo: 'FRA' }));
    const parsed = parseLogEntry(extended);
    expect(parsed.ok && parsed.value).toMatchObject({ ...artifact, colo: 'FRA' });
  });

  it('of unknown types are kept as such, malformed known ones refused', () => {
    const future = parseLogEntry(new TextEncoder().encode('{"type":"disclosure","x":1}'));
    expect(future.ok && future.value).toMatchObject({
      type: 'unknown-type',
      declaredType: 'disclosure',
    });
    expect(parseLogEntry(new TextEncoder().encode('{"type":"artifact"}')).ok).toBe(false);
    expect(parseLogEntry(new TextEncoder().encode('[1]')).ok).toBe(false);
    expect(parseLogEntry(new Uint8Array([0xff])).ok).toBe(false);
  });

  it('over 65,535 bytes cannot go into a bundle', () => {
    const files = Object.fromEntries(
      Array.from({ length: 800 }, (_, index) => [`file-${index}.tar.gz`, HASH_A]),
    );
    const big = encodeLogEntry({ ...manifest, files });
    expect(!big.ok && big.error.kind).toBe('malformed-entry');
  });

  it('are found by their hashes and paths, a manifest by every file it signs', () => {
    expect(entryLookupKeys(artifact)).toEqual([
      `sha256:${HASH_B}`,
      'path:v22.22.1/node-v22.22.1.pkg',
    ]);
    expect(entryLookupKeys(manifest).sort()).toEqual(
      [
        `sha256:${HASH_A}`,
        'path:v22.22.1/SHASUMS256.txt',
        `sha256:${HASH_B}`,
        'path:v22.22.1/node-v22.22.1.pkg',
        'path:v22.22.1/win-x64/node.exe',
      ].sort(),
    );
  });
});

describe('dist paths', () => {
  it('accept a leading / or /dist/ and answer the relative form', () => {
    for (const input of [
      'v22.22.1/node.pkg',
      '/v22.22.1/node.pkg',
      '/dist/v22.22.1/node.pkg',
      'dist/v22.22.1/node.pkg',
    ]) {
      expect(normaliseDistPath(input)).toEqual({ ok: true, value: 'v22.22.1/node.pkg' });
    }
    expect(normaliseDistPath('/mirror/node/v1/a', '/mirror/node')).toEqual({
      ok: true,
      value: 'v1/a',
    });
  });

  it('refuse what no dist file is called', () => {
    for (const input of [
      '',
      '/',
      'v1/../etc',
      'v1//a',
      'a?b',
      'a#b',
      'a\u0000b',
      'a\\b',
      'x'.repeat(2000),
    ]) {
      expect(normaliseDistPath(input).ok, JSON.stringify(input)).toBe(false);
    }
  });
});
