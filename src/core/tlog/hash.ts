/**
 * RFC 6962 §2.1 hashing, as C2SP tlog-tiles requires: SHA-256, a leaf is
 * SHA-256(0x00 ‖ entry bytes), an interior node is SHA-256(0x01 ‖ left ‖ right), and the
 * empty tree's root is SHA-256 of nothing. WebCrypto only, so the same code runs in workerd
 * and in Node.
 */
import { concatBytes, hexDecode } from './encoding.ts';

export const HASH_SIZE = 32;

const LEAF_PREFIX = new Uint8Array([0x00]);
const NODE_PREFIX = new Uint8Array([0x01]);

/** SHA-256 of the empty string: the root of a tree of size 0. */
export const EMPTY_ROOT: Uint8Array = hexDecode(
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
) as Uint8Array;

export async function sha256(bytes: Uint8Array): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
}

export function leafHash(entry: Uint8Array): Promise<Uint8Array> {
  return sha256(concatBytes(LEAF_PREFIX, entry));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Promise<Uint8Array> {
  if (left.length !== HASH_SIZE || right.length !== HASH_SIZE) {
    throw new RangeError('a Merkle node joins two 32-byte hashes');
  }
  return sha256(concatBytes(NODE_PREFIX, left, right));
}
