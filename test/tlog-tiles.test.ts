/**
 * Tiles and entry bundles (C2SP tlog-tiles): the spec's own examples for paths and tile
 * counts, and a log built by the sequencer's appender and read back from its tiles alone by
 * the tile reader, at sizes that cross tile boundaries (1, 255, 256, 257, 65,536 + 1):
 * roots, inclusion and consistency proofs, every entry; a rewritten entry, a forged tile and
 * a proof to a smaller tree are refused.
 */
import { describe, expect, it } from 'vitest';
import {
  appendLeafHashes,
  createMemoryProofBuilder,
  createTileReader,
  formatTileIndex,
  formatTilePath,
  hexEncode,
  leafHash,
  parseEntryBundle,
  parseTilePath,
  serialiseEntryBundle,
  tilesForTreeSize,
  verifyConsistency,
  verifyInclusion,
  type TileContents,
} from '../src/core/tlog';

describe('tile paths (tlog-tiles examples)', () => {
  it('encodes index 1234067 as x001/x234/067', () => {
    expect(formatTileIndex(1234067)).toBe('x001/x234/067');
    expect(formatTilePath({ level: 0, index: 1234067, width: 256 })).toBe('tile/0/x001/x234/067');
    expect(formatTilePath({ level: 'entries', index: 5, width: 17 })).toBe('tile/entries/005.p/17');
  });

  it('parses canonical paths only', () => {
    expect(parseTilePath('tile/0/x001/x234/067')).toEqual({
      ok: true,
      value: { level: 0, index: 1234067, width: 256 },
    });
    expect(parseTilePath('tile/entries/000.p/1')).toEqual({
      ok: true,
      value: { level: 'entries', index: 0, width: 1 },
    });
    for (const bad of [
      'tile/0/1',
      'tile/0/x000/001',
      'tile/00/001',
      'tile/64/000',
      'tile/0/001.p/0',
      'tile/0/001.p/256',
      'tile/0/001.p/05',
      'tile/0/x1/234',
      'tile/0/001/',
      'tile/data/001',
      '/tile/0/001',
    ]) {
      expect(parseTilePath(bad).ok, bad).toBe(false);
    }
  });

  it('describes a tree of 70,000 entries as the spec does', () => {
    const tiles = tilesForTreeSize(70_000).filter((tile) => tile.level !== 'entries');
    const count = (level: number, full: boolean) =>
      tiles.filter((tile) => tile.level === level && (tile.width === 256) === full).length;
    expect(count(0, true)).toBe(273);
    expect(tiles.filter((tile) => tile.level === 0 && tile.width === 112)).toHaveLength(1);
    expect(count(1, true)).toBe(1);
    expect(tiles.filter((tile) => tile.level === 1 && tile.width === 17)).toHaveLength(1);
    expect(tiles.filter((tile) => tile.level === 2 && tile.width === 1)).toHaveLength(1);
    expect(tiles).toHaveLength(273 + 1 + 1 + 1 + 1);
  });

  it('describes a tree of 256 entries as a full level-0 tile and a level-1 tile of width 1', () => {
    expect(tilesForTreeSize(256).filter((tile) => tile.level !== 'entries')).toEqual([
      { level: 0, index: 0, width: 256 },
      { level: 1, index: 0, width: 1 },
    ]);
  });
});

describe('entry bundles', () => {
  it('round-trips entries with big-endian uint16 length prefixes', () => {
    const entries = [new Uint8Array([1, 2, 3]), new Uint8Array(0), new Uint8Array(300).fill(9)];
    const bundle = serialiseEntryBundle(entries);
    expect([...bundle.slice(0, 5)]).toEqual([0, 3, 1, 2, 3]);
    expect([...bundle.slice(5, 9)]).toEqual([0, 0, 1, 44]);
    expect(parseEntryBundle(bundle)).toEqual({ ok: true, value: entries });
  });

  it('refuses truncated bundles and oversized entries', () => {
    const bundle = serialiseEntryBundle([new Uint8Array([1, 2, 3])]);
    expect(parseEntryBundle(bundle.slice(0, 4)).ok).toBe(false);
    expect(parseEntryBundle(bundle.slice(0, 1)).ok).toBe(false);
    expect(parseEntryBundle(bundle, 2).ok).toBe(false);
    expect(() => serialiseEntryBundle([new Uint8Array(65_536)])).toThrow(RangeError);
  });
});

/** A log in memory built the way the sequencer builds it: entries, then tiles by append. */
class MemoryLog {
  readonly entries: Uint8Array[] = [];
  readonly leaves: Uint8Array[] = [];
  readonly tiles = new Map<string, Uint8Array>();

  async append(entries: readonly Uint8Array[]): Promise<void> {
    const hashes = await Promise.all(entries.map((entry) => leafHash(entry)));
    const plan = await appendLeafHashes(this.leaves.length, hashes, async (level, index) =>
      this.tiles.get(`${level}/${index}`),
    );
    for (const tile of plan.tiles) this.store(tile);
    this.entries.push(...entries);
    this.leaves.push(...hashes);
  }

  private store(tile: TileContents): void {
    this.tiles.set(`${tile.level}/${tile.index}`, tile.hashes);
  }

  /** Serves `tile/…` as a log would at its current size (partial tiles at any past width). */
  serve = async (path: string): Promise<Uint8Array | undefined> => {
    const parsed = parseTilePath(path);
    if (!parsed.ok) return undefined;
    const { level, index, width } = parsed.value;
    if (level === 'entries') {
      const slice = this.entries.slice(index * 256, index * 256 + width);
      return slice.length === width ? serialiseEntryBundle(slice) : undefined;
    }
    const stored = this.tiles.get(`${level}/${index}`);
    if (!stored || stored.length < width * 32) return undefined;
    return stored.slice(0, width * 32);
  };
}

const entry = (index: number) => new TextEncoder().encode(`{"n":${index}}`);

async function buildLog(size: number, batch = 1000): Promise<MemoryLog> {
  const log = new MemoryLog();
  for (let start = 0; start < size; start += batch) {
    const count = Math.min(batch, size - start);
    await log.append(Array.from({ length: count }, (_, offset) => entry(start + offset)));
  }
  return log;
}

describe('a log read back from its tiles alone', () => {
  const SIZES = [1, 255, 256, 257, 513, 65_537];
  const SPOT = (size: number) =>
    [...new Set([0, 1, 254, 255, 256, 257, 511, 512, 65_535, 65_536, size - 1])].filter(
      (index) => index >= 0 && index < size,
    );

  it(
    'gives the same roots and valid proofs at sizes across tile boundaries, with partial tiles',
    { timeout: 240_000 },
    async () => {
      const log = await buildLog(65_537, 4096);
      const reference = createMemoryProofBuilder(log.leaves);
      const roots = new Map<number, Uint8Array>();
      for (const size of SIZES) roots.set(size, await reference.rootAt(size));

      for (const size of SIZES) {
        const root = roots.get(size) as Uint8Array;
        const reader = createTileReader({ treeSize: size, rootHash: root, fetchTile: log.serve });
        const fromTiles = await reader.rootAt();
        expect(fromTiles.ok && hexEncode(fromTiles.value), `root at ${size}`).toBe(hexEncode(root));
        for (const index of SPOT(size)) {
          const proof = await reader.inclusionProof(index);
          if (!proof.ok) throw new Error(proof.error.detail);
          expect(
            await verifyInclusion(log.leaves[index] as Uint8Array, index, size, proof.value, root),
            `entry ${index} of ${size}`,
          ).toBe(true);
        }
        for (const old of SIZES.filter((candidate) => candidate <= size)) {
          const proof = await reader.consistencyProof(old);
          if (!proof.ok) throw new Error(proof.error.detail);
          expect(
            await verifyConsistency(old, size, roots.get(old) as Uint8Array, root, proof.value),
            `${old} → ${size}`,
          ).toBe(true);
        }
      }
    },
  );

  it(
    'rebuilds the whole tree of 65,537 entries from its entry bundles',
    { timeout: 240_000 },
    async () => {
      const log = await buildLog(65_537, 10_000);
      const root = await createMemoryProofBuilder(log.leaves).rootAt(65_537);
      const reader = createTileReader({ treeSize: 65_537, rootHash: root, fetchTile: log.serve });
      const entries = await reader.readEntries(0, 65_537);
      if (!entries.ok) throw new Error(entries.error.detail);
      expect(entries.value).toHaveLength(65_537);
      const rebuilt = await Promise.all(entries.value.map((bytes) => leafHash(bytes)));
      expect(hexEncode(await createMemoryProofBuilder(rebuilt).rootAt(65_537))).toBe(
        hexEncode(root),
      );
      // Every level-1 hash is the tree hash of the full level-0 tile below it.
      const levelOne = log.tiles.get('1/0') as Uint8Array;
      const builder = createMemoryProofBuilder(rebuilt);
      for (const tile of [0, 128, 255]) {
        expect(hexEncode(levelOne.slice(tile * 32, tile * 32 + 32))).toBe(
          hexEncode(await builder.rangeHash(tile * 256, tile * 256 + 256)),
        );
      }
    },
  );

  it('refuses a rewritten entry, even with its leaf hash rewritten to match', async () => {
    const log = await buildLog(300);
    const root = await createMemoryProofBuilder(log.leaves).rootAt(300);
    log.entries[7] = entry(999_999);
    const reader = createTileReader({ treeSize: 300, rootHash: root, fetchTile: log.serve });
    const read = await reader.readEntries(0, 10);
    expect(!read.ok && read.error.kind).toBe('mismatch');

    // The forger also rewrites the level-0 tile: the tile no longer belongs to the root.
    const tile = log.tiles.get('0/0') as Uint8Array;
    tile.set(await leafHash(entry(999_999)), 7 * 32);
    const again = createTileReader({ treeSize: 300, rootHash: root, fetchTile: log.serve });
    const forged = await again.readEntries(0, 10);
    expect(!forged.ok && forged.error.kind).toBe('mismatch');
  });

  it('refuses to prove anything beyond the checkpoint, or a smaller tree as a larger one', async () => {
    const log = await buildLog(300);
    const builder = createMemoryProofBuilder(log.leaves);
    const reader = createTileReader({ treeSize: 257, fetchTile: log.serve });
    expect((await reader.rootAt(258)).ok).toBe(false);
    expect((await reader.inclusionProof(257)).ok).toBe(false);
    expect((await reader.readEntries(250, 258)).ok).toBe(false);
    const proof = await reader.consistencyProof(256, 257);
    if (!proof.ok) throw new Error(proof.error.detail);
    // The proof from 256 to 257 says nothing of 257 to 256.
    expect(
      await verifyConsistency(
        257,
        256,
        await builder.rootAt(257),
        await builder.rootAt(256),
        proof.value,
      ),
    ).toBe(false);
  });

  it('reports a missing or truncated tile as such', async () => {
    const log = await buildLog(300);
    const missing = createTileReader({ treeSize: 300, fetchTile: async () => undefined });
    const root = await missing.rootAt();
    expect(!root.ok && root.error.kind).toBe('missing');
    const truncated = createTileReader({
      treeSize: 300,
      fetchTile: async (path) => (await log.serve(path))?.slice(1),
    });
    const cut = await truncated.rootAt();
    expect(!cut.ok && cut.error.kind).toBe('malformed');
  });

  it('reads a partial tile that is gone as the prefix of its full tile', async () => {
    const log = await buildLog(512);
    const reader = createTileReader({
      treeSize: 300,
      fetchTile: async (path) => (path.includes('.p/') ? undefined : log.serve(path)),
    });
    const entries = await reader.readEntries(256, 300);
    expect(entries.ok && entries.value.length).toBe(44);
  });
});
