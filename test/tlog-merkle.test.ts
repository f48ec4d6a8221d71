/**
 * RFC 6962 hashing and proofs against published vectors: the Certificate Transparency
 * reference tree (sizes 0–8, two inclusion proofs), and real proofs served by Google's
 * Argon 2020 CT log (an inclusion proof in a tree of 961,984,013 entries and a consistency
 * proof from 3,654,490): a log no other implementation agrees with proves nothing.
 */
import { describe, expect, it } from 'vitest';
import {
  base64Decode,
  createMemoryProofBuilder,
  EMPTY_ROOT,
  hexDecode,
  hexEncode,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/core/tlog';
import argon from './fixtures/tlog/argon2020.json';

const unhex = (hex: string): Uint8Array => hexDecode(hex) as Uint8Array;
const unb64 = (text: string): Uint8Array => base64Decode(text) as Uint8Array;

const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map(unhex);
const CT_ROOTS = [
  'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];
const CT_INCLUSION = [
  {
    index: 0,
    proof: [
      '96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7',
      '5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e',
      '6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4',
    ],
  },
  {
    index: 5,
    proof: [
      'bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b',
      'ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0',
      'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
    ],
  },
];

async function leafHashes(entries: readonly Uint8Array[]): Promise<Uint8Array[]> {
  return Promise.all(entries.map((entry) => leafHash(entry)));
}

describe('RFC 6962 hashing', () => {
  it('gives the reference roots of the CT test tree at every size 0–8', async () => {
    const leaves = await leafHashes(CT_LEAVES);
    const builder = createMemoryProofBuilder(leaves);
    for (let size = 0; size <= 8; size += 1) {
      expect(hexEncode(await builder.rootAt(size)), `size ${size}`).toBe(CT_ROOTS[size]);
    }
    expect(hexEncode(EMPTY_ROOT)).toBe(CT_ROOTS[0]);
  });

  it('prefixes leaves with 0x00 and nodes with 0x01', async () => {
    const [a, b] = await leafHashes([unhex('00'), unhex('10')]);
    const manual = new Uint8Array(
      await crypto.subtle.digest('SHA-256', new Uint8Array([0x01, ...a!, ...b!])),
    );
    expect(hexEncode(await nodeHash(a!, b!))).toBe(hexEncode(manual));
    expect(hexEncode(await nodeHash(a!, b!))).not.toBe(hexEncode(await nodeHash(b!, a!)));
  });

  it('builds and verifies the CT reference inclusion proofs', async () => {
    const leaves = await leafHashes(CT_LEAVES);
    const builder = createMemoryProofBuilder(leaves);
    const root = unhex(CT_ROOTS[8]!);
    for (const vector of CT_INCLUSION) {
      const proof = await builder.inclusionProof(vector.index, 8);
      expect(proof.map(hexEncode)).toEqual(vector.proof);
      expect(await verifyInclusion(leaves[vector.index]!, vector.index, 8, proof, root)).toBe(true);
    }
  });
});

describe('proofs served by a real CT log (Argon 2020)', () => {
  it('verifies its inclusion proof for entry 10,000 of 961,984,013', async () => {
    const leaf = await leafHash(unb64(argon.leafInput));
    const ok = await verifyInclusion(
      leaf,
      argon.leafIndex,
      argon.sth.tree_size,
      argon.auditPath.map(unb64),
      unb64(argon.sth.sha256_root_hash),
    );
    expect(ok).toBe(true);
    expect(
      await verifyInclusion(
        leaf,
        argon.leafIndex + 1,
        argon.sth.tree_size,
        argon.auditPath.map(unb64),
        unb64(argon.sth.sha256_root_hash),
      ),
    ).toBe(false);
  });

  it('verifies its consistency proof from 3,654,490 entries', async () => {
    const args = [
      argon.consistency.first,
      argon.sth.tree_size,
      unb64(argon.consistency.firstRoot),
      unb64(argon.sth.sha256_root_hash),
    ] as const;
    expect(await verifyConsistency(...args, argon.consistency.proof.map(unb64))).toBe(true);
    const tampered = argon.consistency.proof.map(unb64);
    tampered[3] = await leafHash(new Uint8Array([1]));
    expect(await verifyConsistency(...args, tampered)).toBe(false);
  });
});

describe('proofs of every shape', () => {
  const SIZE = 40;

  it('every inclusion and consistency proof up to 40 entries verifies, and a mangled one does not', async () => {
    const leaves = await leafHashes(
      Array.from({ length: SIZE }, (_, index) => new Uint8Array([index, index * 3])),
    );
    const builder = createMemoryProofBuilder(leaves);
    const roots = await Promise.all(
      Array.from({ length: SIZE + 1 }, (_, size) => builder.rootAt(size)),
    );
    for (let size = 1; size <= SIZE; size += 1) {
      for (let index = 0; index < size; index += 1) {
        const proof = await builder.inclusionProof(index, size);
        expect(await verifyInclusion(leaves[index]!, index, size, proof, roots[size]!)).toBe(true);
        if (proof.length > 0) {
          expect(
            await verifyInclusion(leaves[index]!, index, size, proof.slice(0, -1), roots[size]!),
          ).toBe(false);
          expect(
            await verifyInclusion(leaves[index]!, index, size, [...proof, roots[0]!], roots[size]!),
          ).toBe(false);
        }
      }
      for (let old = 0; old <= size; old += 1) {
        const proof = await builder.consistencyProof(old, size);
        expect(await verifyConsistency(old, size, roots[old]!, roots[size]!, proof)).toBe(true);
        if (old > 0 && old < size) {
          expect(
            await verifyConsistency(old, size, roots[old - 1]!, roots[size]!, proof),
            `${old}→${size} with the wrong old root`,
          ).toBe(false);
          expect(await verifyConsistency(size, old, roots[size]!, roots[old]!, proof)).toBe(false);
        }
      }
    }
  });

  it('refuses malformed input instead of throwing', async () => {
    const leaf = await leafHash(new Uint8Array());
    expect(await verifyInclusion(leaf.slice(1), 0, 1, [], leaf)).toBe(false);
    expect(await verifyInclusion(leaf, 1, 1, [], leaf)).toBe(false);
    expect(await verifyInclusion(leaf, -1, 1, [], leaf)).toBe(false);
    expect(await verifyConsistency(2, 2, leaf, EMPTY_ROOT, [])).toBe(false);
    expect(await verifyConsistency(0, 5, leaf, leaf, [])).toBe(false);
    expect(await verifyConsistency(3, 5, leaf, leaf, [])).toBe(false);
  });
});
