/**
 * What the sweep checks when index.json is rewritten (docs/reliability.md, "Mutation
 * testing"): the site may not narrow it. A pinned release keeps its pinned fields and every
 * file id it ever listed, added ones included, and a release dropped from index.json is
 * still checked with all its files.
 */
import { describe, expect, it } from 'vitest';
import { overlayPinnedEntries, type PinnedIndexEntry } from '../src/core/index-pins';

const pin = (version: string, files: string[]): PinnedIndexEntry => ({
  version,
  date: '2026-11-01',
  lts: 'Jod',
  security: true,
  files,
});

describe('overlayPinnedEntries', () => {
  it('checks the union of pinned and listed file ids under the pinned fields', () => {
    const listed = [
      {
        version: 'v2.0.0',
        date: '2026-11-20',
        lts: false as const,
        security: false,
        files: ['src', 'linux-x64'],
      },
    ];
    expect(overlayPinnedEntries(listed, [pin('v2.0.0', ['win-x64', 'src'])])).toEqual([
      {
        version: 'v2.0.0',
        date: '2026-11-01',
        lts: 'Jod',
        security: true,
        files: ['linux-x64', 'src', 'win-x64'],
      },
    ]);
  });

  it('still checks a pinned release index.json no longer lists, with all its files', () => {
    const dropped = pin('v1.0.0', ['src', 'linux-x64']);
    const entries = overlayPinnedEntries([], [dropped]);
    expect(entries).toEqual([dropped]);
    expect(entries[0]?.files).not.toBe(dropped.files);
  });

  it('leaves a release that has no pin as listed', () => {
    const fresh = {
      version: 'v3.0.0',
      date: '2026-11-21',
      lts: false as const,
      security: false,
      files: ['src'],
    };
    expect(overlayPinnedEntries([fresh], [])).toEqual([fresh]);
  });
});
