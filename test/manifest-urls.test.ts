import { describe, expect, it } from 'vitest';
import {
  UnsafeDistPathError,
  artifactUrl,
  indexJsonUrl,
  manifestUrls,
  releaseDirectoryUrl,
} from '../src/core/manifest-urls';

const BASE = 'https://nodejs.org/dist';

describe('dist URLs', () => {
  it('names the manifest, its detached signature and its clearsigned copy', () => {
    expect(manifestUrls(BASE, 'v24.11.1')).toEqual({
      shasums: 'https://nodejs.org/dist/v24.11.1/SHASUMS256.txt',
      signature: 'https://nodejs.org/dist/v24.11.1/SHASUMS256.txt.sig',
      clearsigned: 'https://nodejs.org/dist/v24.11.1/SHASUMS256.txt.asc',
    });
  });

  it.each(['https://nodejs.org/dist/', 'https://nodejs.org/dist//'])(
    'drops trailing slashes from the base %s',
    (base) => {
      expect(indexJsonUrl(base)).toBe('https://nodejs.org/dist/index.json');
      expect(releaseDirectoryUrl(base, 'v24.11.1')).toBe('https://nodejs.org/dist/v24.11.1/');
    },
  );

  it.each([
    ['node-v24.11.1-linux-x64.tar.xz', `${BASE}/v24.11.1/node-v24.11.1-linux-x64.tar.xz`],
    ['win-x64/node.exe', `${BASE}/v24.11.1/win-x64/node.exe`],
    ['docs/api/a b#c?d%e.html', `${BASE}/v24.11.1/docs/api/a%20b%23c%3Fd%25e.html`],
  ])('builds the artifact URL of %s', (name, expected) => {
    expect(artifactUrl(BASE, 'v24.11.1', name)).toBe(expected);
  });

  it.each([
    ['parent segment', '../v22.0.0/node.exe'],
    ['inner parent segment', 'win-x64/../../secret'],
    ['dot segment', './node.exe'],
    ['absolute path', '/etc/passwd'],
    ['empty segment', 'win-x64//node.exe'],
    ['trailing slash', 'win-x64/'],
    ['empty name', ''],
    ['backslash', 'win-x64\\..\\node.exe'],
    ['lone surrogate', 'node\uD800.exe'],
  ])('refuses an entry name with a %s', (_name, entryName) => {
    expect(() => artifactUrl(BASE, 'v24.11.1', entryName)).toThrow(UnsafeDistPathError);
  });

  it.each(['../v1.0.0', 'v24.11', 'latest', 'v24.11.1/..'])('refuses the version %s', (v) => {
    expect(() => manifestUrls(BASE, v)).toThrow(UnsafeDistPathError);
  });

  it('names its error for logs', () => {
    expect(() => releaseDirectoryUrl(BASE, 'latest')).toThrow(
      expect.objectContaining({ name: 'UnsafeDistPathError' }),
    );
  });
});
