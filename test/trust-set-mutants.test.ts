/**
 * RELEASE_KEYS as configured (docs/reliability.md, "Mutation testing"): a private key in
 * the trust set is a secret pasted where it does not belong, so the whole text is refused,
 * even when a public block stands beside it; a broken block is named by its position.
 */
import { generateKey } from 'openpgp';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseArmoredKeys } from '../src/core/trust-set';

const BROKEN_BLOCK =
  '-----BEGIN PGP PUBLIC KEY BLOCK-----\n\nAAAA\n-----END PGP PUBLIC KEY BLOCK-----';

let key: { publicKey: string; privateKey: string };

beforeAll(async () => {
  key = await generateKey({ userIDs: [{ name: 'Trust' }], type: 'curve25519', format: 'armored' });
});

describe('parseArmoredKeys', () => {
  it('refuses a private key block next to a public one, saying why', async () => {
    expect(await parseArmoredKeys(`${key.publicKey}\n${key.privateKey}`)).toEqual({
      ok: false,
      error: 'the text holds a private key block; only public keys are accepted',
    });
  });

  it('names the broken block by its place among the blocks', async () => {
    const parsed = await parseArmoredKeys(`${key.publicKey}\n${BROKEN_BLOCK}`);
    expect(parsed.ok).toBe(false);
    expect(!parsed.ok && parsed.error).toMatch(/^public key block 2 of 2 does not parse: \S/);
  });
});
