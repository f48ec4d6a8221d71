/**
 * Reads a tiled log (C2SP tlog-tiles) from its tiles alone: roots at any size up to the
 * checkpoint's, inclusion and consistency proofs, and entries checked against the tree.
 * A client (dist-verify, a witness, a test) gives it the verified checkpoint's size and root
 * and a way to fetch `tile/…` resources, and needs to trust nothing else the log says.
 *
 * Contract: pure (I/O only through `fetchTile`). Tiles are fetched at the widths the
 * checkpoint's size implies (a partial tile that is gone is read as the prefix of its full
 * tile, as the spec allows), each at most once per reader. With `rootHash`, every level-0
 * tile that entries are read from is proven to be part of that tree before its entries are
 * returned, so a forged bundle or tile is refused. Failures are Results, never throws.
 */
import { err, ok, type Result } from '../result.ts';
import { bytesEqual } from './encoding.ts';
import { parseEntryBundle } from './entry-bundle.ts';
import { HASH_SIZE, leafHash, nodeHash } from './hash.ts';
import {
  createMemoryProofBuilder,
  createProofBuilder,
  verifyInclusion,
  type ProofBuilder,
} from './merkle.ts';
import { formatTilePath, TILE_HEIGHT, TILE_WIDTH, tileWidthAt } from './tile-path.ts';

export interface TileReaderOptions {
  /** The size of the verified checkpoint: no tile beyond it is read. */
  readonly treeSize: number;
  /** The verified checkpoint's root: when given, entries are proven against it. */
  readonly rootHash?: Uint8Array;
  /** The bytes of `tile/…` (a path without a leading slash), or undefined when not served. */
  readonly fetchTile: (path: string) => Promise<Uint8Array | undefined>;
}

export type TileReadError = {
  readonly kind: 'missing' | 'malformed' | 'mismatch' | 'out-of-range';
  readonly detail: string;
  readonly path?: string;
};

export interface TileReader {
  readonly treeSize: number;
  /** Root hash of the tree of `size` (default: the checkpoint's) computed from the tiles. */
  rootAt(size?: number): Promise<Result<Uint8Array, TileReadError>>;
  leafHashAt(index: number): Promise<Result<Uint8Array, TileReadError>>;
  inclusionProof(index: number, size?: number): Promise<Result<Uint8Array[], TileReadError>>;
  consistencyProof(oldSize: number, newSize?: number): Promise<Result<Uint8Array[], TileReadError>>;
  /** Entries [start, end), each checked against its leaf hash (and the root, when given). */
  readEntries(start: number, end: number): Promise<Result<Uint8Array[], TileReadError>>;
}

class TileReadFailure extends Error {
  override readonly name = 'TileReadFailure';
  readonly failure: TileReadError;
  constructor(failure: TileReadError) {
    super(failure.detail);
    this.failure = failure;
  }
}

export function createTileReader(options: TileReaderOptions): TileReader {
  const { treeSize, rootHash } = options;
  if (!Number.isSafeInteger(treeSize) || treeSize < 0) throw new RangeError('bad tree size');
  const fetched = new Map<string, Promise<Uint8Array | undefined>>();
  const subtrees = new Map<string, Promise<Uint8Array>>();
  const provenTiles = new Map<number, Promise<void>>();

  const fetchOnce = (path: string): Promise<Uint8Array | undefined> => {
    let bytes = fetched.get(path);
    if (!bytes) {
      bytes = options.fetchTile(path);
      fetched.set(path, bytes);
    }
    return bytes;
  };

  /** The resource at the checkpoint's width, or the prefix of the full one if it is gone. */
  async function fetchAtWidth(
    level: number | 'entries',
    index: number,
  ): Promise<{
    bytes: Uint8Array;
    path: string;
    width: number;
  }> {
    const width = tileWidthAt(level, index, treeSize);
    if (width === 0) {
      throw new TileReadFailure({
        kind: 'out-of-range',
        detail: `tile ${level}/${index} is beyond the tree of size ${treeSize}`,
      });
    }
    const path = formatTilePath({ level, index, width });
    const bytes = await fetchOnce(path);
    if (bytes) return { bytes, path, width };
    if (width < TILE_WIDTH) {
      const fullPath = formatTilePath({ level, index, width: TILE_WIDTH });
      const full = await fetchOnce(fullPath);
      if (full) return { bytes: full, path: fullPath, width };
    }
    throw new TileReadFailure({ kind: 'missing', path, detail: `${path} is not served` });
  }

  async function tileHashes(level: number, index: number): Promise<Uint8Array[]> {
    const { bytes, path, width } = await fetchAtWidth(level, index);
    const expected = path.includes('.p/') ? width * HASH_SIZE : TILE_WIDTH * HASH_SIZE;
    if (bytes.length !== expected) {
      throw new TileReadFailure({
        kind: 'malformed',
        path,
        detail: `${path} has ${bytes.length} bytes, not ${expected}`,
      });
    }
    const hashes: Uint8Array[] = [];
    for (let position = 0; position < width; position += 1) {
      hashes.push(bytes.slice(position * HASH_SIZE, (position + 1) * HASH_SIZE));
    }
    return hashes;
  }

  function subtree(level: number, index: number): Promise<Uint8Array> {
    const key = `${level}/${index}`;
    let hash = subtrees.get(key);
    if (!hash) {
      hash = computeSubtree(level, index);
      subtrees.set(key, hash);
    }
    return hash;
  }

  async function computeSubtree(level: number, index: number): Promise<Uint8Array> {
    const tileLevel = Math.floor(level / TILE_HEIGHT);
    const count = 2 ** (level % TILE_HEIGHT);
    const first = index * count;
    const tileIndex = Math.floor(first / TILE_WIDTH);
    const offset = first % TILE_WIDTH;
    const hashes = await tileHashes(tileLevel, tileIndex);
    if (offset + count > hashes.length) {
      throw new TileReadFailure({
        kind: 'out-of-range',
        detail: `subtree ${level}/${index} is not complete in a tree of size ${treeSize}`,
      });
    }
    return foldComplete(hashes.slice(offset, offset + count));
  }

  const builder: ProofBuilder = createProofBuilder(subtree);

  /** Proves that level-0 tile `index` belongs to the tree whose root is `rootHash`. */
  function proveLeafTile(index: number, hashes: readonly Uint8Array[]): Promise<void> {
    let proven = provenTiles.get(index);
    if (!proven) {
      proven = (async () => {
        if (!rootHash) return;
        // The tile's own hashes, not the level-1 copy: that is what must be bound to the root.
        const tileHash = await createMemoryProofBuilder(hashes).rootAt(hashes.length);
        const blocks = Math.ceil(treeSize / TILE_WIDTH);
        const proof = await blockInclusionProof(builder, index, TILE_HEIGHT, treeSize);
        if (!(await verifyInclusion(tileHash, index, blocks, proof, rootHash))) {
          throw new TileReadFailure({
            kind: 'mismatch',
            path: formatTilePath({ level: 0, index, width: hashes.length }),
            detail: `level-0 tile ${index} is not part of the tree with the checkpoint's root`,
          });
        }
      })();
      provenTiles.set(index, proven);
    }
    return proven;
  }

  async function readEntries(start: number, end: number): Promise<Uint8Array[]> {
    if (!Number.isSafeInteger(start) || !Number.isSafeInteger(end) || start < 0 || end < start) {
      throw new TileReadFailure({ kind: 'out-of-range', detail: `bad range ${start}..${end}` });
    }
    if (end > treeSize) {
      throw new TileReadFailure({
        kind: 'out-of-range',
        detail: `entries up to ${end} are beyond the tree of size ${treeSize}`,
      });
    }
    const out: Uint8Array[] = [];
    for (let bundle = Math.floor(start / TILE_WIDTH); bundle * TILE_WIDTH < end; bundle += 1) {
      const { bytes, path, width } = await fetchAtWidth('entries', bundle);
      const parsed = parseEntryBundle(bytes);
      if (!parsed.ok || parsed.value.length < width) {
        throw new TileReadFailure({
          kind: 'malformed',
          path,
          detail: `${path}: ${parsed.ok ? `${parsed.value.length} entries, not ${width}` : parsed.error}`,
        });
      }
      const hashes = await tileHashes(0, bundle);
      await proveLeafTile(bundle, hashes);
      for (let position = 0; position < width; position += 1) {
        const index = bundle * TILE_WIDTH + position;
        if (index < start || index >= end) continue;
        const entry = parsed.value[position] as Uint8Array;
        if (!bytesEqual(await leafHash(entry), hashes[position] as Uint8Array)) {
          throw new TileReadFailure({
            kind: 'mismatch',
            path,
            detail: `entry ${index} does not hash to its leaf in the level-0 tile`,
          });
        }
        out.push(entry);
      }
    }
    return out;
  }

  return {
    treeSize,
    rootAt: (size = treeSize) => attempt(() => checkSize(size, () => builder.rootAt(size))),
    leafHashAt: (index) => attempt(() => checkSize(index + 1, () => subtree(0, index))),
    inclusionProof: (index, size = treeSize) =>
      attempt(() => checkSize(size, () => builder.inclusionProof(index, size))),
    consistencyProof: (oldSize, newSize = treeSize) =>
      attempt(() => checkSize(newSize, () => builder.consistencyProof(oldSize, newSize))),
    readEntries: (start, end) => attempt(() => readEntries(start, end)),
  };

  function checkSize<T>(size: number, run: () => Promise<T>): Promise<T> {
    if (!Number.isSafeInteger(size) || size > treeSize) {
      throw new TileReadFailure({
        kind: 'out-of-range',
        detail: `size ${size} is beyond the checkpoint's ${treeSize}`,
      });
    }
    return run();
  }
}

/**
 * The inclusion proof of block `index` (the subtree of height `height` starting at leaf
 * index * 2^height, cut at `size` for the last one) in the tree of `size`: RFC 6962's path
 * in the tree whose leaves are those blocks, which has the same interior nodes.
 */
export async function blockInclusionProof(
  builder: ProofBuilder,
  index: number,
  height: number,
  size: number,
): Promise<Uint8Array[]> {
  const unit = 2 ** height;
  const blocks = Math.ceil(size / unit);
  const range = (a: number, b: number) => builder.rangeHash(a * unit, Math.min(b * unit, size));
  const path = async (m: number, start: number, end: number): Promise<Uint8Array[]> => {
    const n = end - start;
    if (n === 1) return [];
    let k = 1;
    while (k * 2 < n) k *= 2;
    if (m < k) return [...(await path(m, start, start + k)), await range(start + k, end)];
    return [...(await path(m - k, start + k, end)), await range(start, start + k)];
  };
  return path(index, 0, blocks);
}

/** Root of a complete subtree given its 2^n leaves (hashes) in order. */
async function foldComplete(hashes: readonly Uint8Array[]): Promise<Uint8Array> {
  let level = [...hashes];
  while (level.length > 1) {
    const next: Uint8Array[] = [];
    for (let position = 0; position < level.length; position += 2) {
      next.push(await nodeHash(level[position] as Uint8Array, level[position + 1] as Uint8Array));
    }
    level = next;
  }
  const [root] = level;
  if (!root) throw new RangeError('no hashes');
  return root;
}

async function attempt<T>(run: () => Promise<T>): Promise<Result<T, TileReadError>> {
  try {
    return ok(await run());
  } catch (error) {
    if (error instanceof TileReadFailure) return err(error.failure);
    if (error instanceof RangeError) return err({ kind: 'out-of-range', detail: error.message });
    throw error;
  }
}
