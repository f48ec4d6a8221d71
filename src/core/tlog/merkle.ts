/**
 * Merkle tree proofs of RFC 6962 §2.1 as RFC 9162 §2.1 states them: verification of
 * inclusion and consistency proofs (§2.1.3.2, §2.1.4.2), and their construction from any
 * source of complete-subtree hashes (an array of leaves, or a log's tiles).
 *
 * Contract: pure. Sizes and indexes are plain numbers up to 2^53 (arithmetic, never 32-bit
 * bitwise operators). Verifiers return false for anything malformed (wrong hash length,
 * index out of range, a proof too short or too long), never throw.
 */
import { bytesEqual } from './encoding.ts';
import { EMPTY_ROOT, HASH_SIZE, nodeHash } from './hash.ts';

const isOdd = (value: number): boolean => value % 2 === 1;
const half = (value: number): number => Math.floor(value / 2);

function isHash(value: unknown): value is Uint8Array {
  return value instanceof Uint8Array && value.length === HASH_SIZE;
}

function isSize(value: number): boolean {
  return Number.isSafeInteger(value) && value >= 0;
}

/** Largest power of two strictly smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

function isPowerOfTwo(n: number): boolean {
  return n >= 1 && Number.isInteger(Math.log2(n)) && 2 ** Math.log2(n) === n;
}

/** RFC 9162 §2.1.3.2: does `proof` prove that `leaf` is entry `index` of the tree `root`? */
export async function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): Promise<boolean> {
  if (!isHash(leaf) || !isHash(root) || !Array.isArray(proof) || !proof.every(isHash)) {
    return false;
  }
  if (!isSize(index) || !isSize(treeSize) || index >= treeSize) return false;
  let fn = index;
  let sn = treeSize - 1;
  let hash = leaf;
  for (const sibling of proof) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      hash = await nodeHash(sibling, hash);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      hash = await nodeHash(hash, sibling);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(hash, root);
}

/**
 * RFC 9162 §2.1.4.2: does `proof` prove that the tree of `oldSize` with `oldRoot` is a
 * prefix of the tree of `newSize` with `newRoot`? Equal sizes need an empty proof and equal
 * roots; from the empty tree (whose root is SHA-256 of nothing) an empty proof.
 */
export async function verifyConsistency(
  oldSize: number,
  newSize: number,
  oldRoot: Uint8Array,
  newRoot: Uint8Array,
  proof: readonly Uint8Array[],
): Promise<boolean> {
  if (!isHash(oldRoot) || !isHash(newRoot) || !Array.isArray(proof) || !proof.every(isHash)) {
    return false;
  }
  if (!isSize(oldSize) || !isSize(newSize) || oldSize > newSize) return false;
  if (oldSize === newSize) return proof.length === 0 && bytesEqual(oldRoot, newRoot);
  if (oldSize === 0) return proof.length === 0 && bytesEqual(oldRoot, EMPTY_ROOT);
  if (proof.length === 0) return false;

  const path = isPowerOfTwo(oldSize) ? [oldRoot, ...proof] : [...proof];
  let fn = oldSize - 1;
  let sn = newSize - 1;
  while (isOdd(fn)) {
    fn = half(fn);
    sn = half(sn);
  }
  const [first, ...rest] = path;
  if (first === undefined) return false;
  let oldHash = first;
  let newHash = first;
  for (const node of rest) {
    if (sn === 0) return false;
    if (isOdd(fn) || fn === sn) {
      oldHash = await nodeHash(node, oldHash);
      newHash = await nodeHash(node, newHash);
      while (!isOdd(fn) && fn !== 0) {
        fn = half(fn);
        sn = half(sn);
      }
    } else {
      newHash = await nodeHash(newHash, node);
    }
    fn = half(fn);
    sn = half(sn);
  }
  return sn === 0 && bytesEqual(oldHash, oldRoot) && bytesEqual(newHash, newRoot);
}

/**
 * The hash of the complete, aligned subtree of height `level` whose leftmost leaf is
 * `index * 2^level` (level 0: a leaf hash). Whatever stores the tree provides it.
 */
export type SubtreeHashSource = (level: number, index: number) => Promise<Uint8Array>;

/** Roots and proofs of any tree size, computed from complete-subtree hashes (RFC 6962 §2.1). */
export interface ProofBuilder {
  /** MTH(D[start:end]), for the ranges RFC 6962's recursion produces. */
  rangeHash(start: number, end: number): Promise<Uint8Array>;
  rootAt(size: number): Promise<Uint8Array>;
  inclusionProof(index: number, size: number): Promise<Uint8Array[]>;
  consistencyProof(oldSize: number, newSize: number): Promise<Uint8Array[]>;
}

export function createProofBuilder(subtree: SubtreeHashSource): ProofBuilder {
  async function rangeHash(start: number, end: number): Promise<Uint8Array> {
    const n = end - start;
    if (n <= 0) throw new RangeError(`empty range ${start}..${end}`);
    if (isPowerOfTwo(n) && start % n === 0) return subtree(Math.log2(n), start / n);
    const k = splitPoint(n);
    return nodeHash(await rangeHash(start, start + k), await rangeHash(start + k, end));
  }

  // RFC 6962 §2.1.1 PATH(m, D[start:end]).
  async function path(m: number, start: number, end: number): Promise<Uint8Array[]> {
    const n = end - start;
    if (n === 1) return [];
    const k = splitPoint(n);
    if (m < k) return [...(await path(m, start, start + k)), await rangeHash(start + k, end)];
    return [...(await path(m - k, start + k, end)), await rangeHash(start, start + k)];
  }

  // RFC 6962 §2.1.2 SUBPROOF(m, D[start:end], b).
  async function subproof(
    m: number,
    start: number,
    end: number,
    complete: boolean,
  ): Promise<Uint8Array[]> {
    const n = end - start;
    if (m === n) return complete ? [] : [await rangeHash(start, end)];
    const k = splitPoint(n);
    if (m <= k) {
      return [...(await subproof(m, start, start + k, complete)), await rangeHash(start + k, end)];
    }
    return [...(await subproof(m - k, start + k, end, false)), await rangeHash(start, start + k)];
  }

  return {
    rangeHash,
    async rootAt(size) {
      if (!isSize(size)) throw new RangeError(`bad tree size ${size}`);
      return size === 0 ? EMPTY_ROOT : rangeHash(0, size);
    },
    async inclusionProof(index, size) {
      if (!isSize(index) || !isSize(size) || index >= size) {
        throw new RangeError(`no entry ${index} in a tree of size ${size}`);
      }
      return path(index, 0, size);
    },
    async consistencyProof(oldSize, newSize) {
      if (!isSize(oldSize) || !isSize(newSize) || oldSize > newSize) {
        throw new RangeError(`no consistency proof from size ${oldSize} to ${newSize}`);
      }
      if (oldSize === 0 || oldSize === newSize) return [];
      return subproof(oldSize, 0, newSize, true);
    },
  };
}

/** A proof builder over leaf hashes held in memory (tests, small trees, the appender). */
export function createMemoryProofBuilder(leaves: readonly Uint8Array[]): ProofBuilder {
  const memo = new Map<string, Promise<Uint8Array>>();
  const subtree: SubtreeHashSource = (level, index) => {
    const key = `${level}/${index}`;
    let hash = memo.get(key);
    if (!hash) {
      hash =
        level === 0
          ? Promise.resolve(leafAt(leaves, index))
          : (async () =>
              nodeHash(
                await subtree(level - 1, index * 2),
                await subtree(level - 1, index * 2 + 1),
              ))();
      memo.set(key, hash);
    }
    return hash;
  };
  return createProofBuilder(subtree);
}

function leafAt(leaves: readonly Uint8Array[], index: number): Uint8Array {
  const leaf = leaves[index];
  if (!leaf) throw new RangeError(`no leaf ${index}`);
  return leaf;
}
