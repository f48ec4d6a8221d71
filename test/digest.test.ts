import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../src/core/digest';

const EMPTY = 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855';
const ABC = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';

describe('sha256Hex', () => {
  it.each([
    ['an empty string', '', EMPTY],
    ['a string', 'abc', ABC],
    ['bytes', new Uint8Array([0x61, 0x62, 0x63]), ABC],
    ['an ArrayBuffer', new Uint8Array([0x61, 0x62, 0x63]).buffer, ABC],
  ])('hashes %s to lowercase hex', async (_label, data, expected) => {
    expect(await sha256Hex(data)).toBe(expected);
  });

  it('hashes a string as its UTF-8 bytes', async () => {
    expect(await sha256Hex('é')).toBe(await sha256Hex(new Uint8Array([0xc3, 0xa9])));
  });
});
