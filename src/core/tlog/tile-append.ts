/**
 * Appending leaves to a tiled tree: which tiles change, and their new contents. A level-0
 * tile takes leaf hashes; when a tile at any level fills (256 hashes), its Merkle tree hash
 * becomes the next hash of the tile above. Only the rightmost tile of each level ever
 * changes, and only by growing: earlier hashes are never rewritten.
 *
 * Contract: pure. The caller supplies the current rightmost tile of a level when asked
 * (its width is implied by the tree size) and stores the returned tiles.
 */
import { concatBytes } from './encoding.ts';
import { HASH_SIZE, nodeHash } from './hash.ts';
import { hashesAtLevel, TILE_WIDTH } from './tile-path.ts';

/** A tile's hashes, concatenated (width × 32 bytes); 256 hashes make it full. */
export interface TileContents {
  readonly level: number;
  readonly index: number;
  readonly hashes: Uint8Array;
}

export interface AppendPlan {
  readonly size: number;
  /** Every tile that changed, with its whole new contents. */
  readonly tiles: readonly TileContents[];
}

/**
 * @param size the tree size before the append
 * @param edgeTile the current contents of the rightmost tile of `level` (asked only for
 *   levels whose rightmost tile is partial), e.g. read from storage
 */
export async function appendLeafHashes(
  size: number,
  leafHashes: readonly Uint8Array[],
  edgeTile: (level: number, index: number) => Promise<Uint8Array | undefined>,
): Promise<AppendPlan> {
  const edges = new Map<number, Uint8Array[]>();
  const counts = new Map<number, number>();
  // Each changed tile points at its (growing) edge array; bytes are made once at the end.
  const changed = new Map<string, { level: number; index: number; hashes: Uint8Array[] }>();

  async function edgeOf(level: number): Promise<Uint8Array[]> {
    let edge = edges.get(level);
    if (edge) return edge;
    const count = hashesAtLevel(level, size);
    const width = count % TILE_WIDTH;
    const index = Math.floor(count / TILE_WIDTH);
    edge = [];
    if (width > 0) {
      const bytes = await edgeTile(level, index);
      if (!bytes || bytes.length !== width * HASH_SIZE) {
        throw new Error(`tile ${level}/${index} should hold ${width} hashes`);
      }
      for (let position = 0; position < width; position += 1) {
        edge.push(bytes.slice(position * HASH_SIZE, (position + 1) * HASH_SIZE));
      }
    }
    edges.set(level, edge);
    counts.set(level, count);
    return edge;
  }

  async function push(level: number, hash: Uint8Array): Promise<void> {
    const edge = await edgeOf(level);
    edge.push(hash);
    const count = (counts.get(level) ?? 0) + 1;
    counts.set(level, count);
    const index = Math.floor((count - 1) / TILE_WIDTH);
    changed.set(`${level}/${index}`, { level, index, hashes: edge });
    if (edge.length === TILE_WIDTH) {
      const full = await foldFullTile(edge);
      edges.set(level, []);
      await push(level + 1, full);
    }
  }

  for (const leaf of leafHashes) {
    if (leaf.length !== HASH_SIZE) throw new RangeError('a leaf hash is 32 bytes');
    await push(0, leaf);
  }
  return {
    size: size + leafHashes.length,
    tiles: [...changed.values()].map(({ level, index, hashes }) => ({
      level,
      index,
      hashes: concatBytes(...hashes),
    })),
  };
}

async function foldFullTile(hashes: readonly Uint8Array[]): Promise<Uint8Array> {
  let level = [...hashes];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let position = 0; position < level.length; position += 2) {
      next.push(await nodeHash(level[position] as Uint8Array, level[position + 1] as Uint8Array));
    }
    level = next;
  }
  return level[0] as Uint8Array;
}
