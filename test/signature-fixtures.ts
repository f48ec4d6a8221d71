/**
 * What the signature tests share: the clock they verify at, the manifest they sign, and
 * keys generated here (the tests sign their own manifests at chosen dates).
 */
import { generateKey, type PartialConfig, type PrivateKey, type PublicKey } from 'openpgp';

export const NOW = new Date('2025-06-02T00:00:00Z');
export const SIGNED_AT = new Date('2025-06-01T12:00:00Z');
export const SHA1_CUTOFF = new Date('2017-01-01T00:00:00Z');
export const DAY_MS = 24 * 60 * 60 * 1000;

export interface TestKey {
  readonly privateKey: PrivateKey;
  readonly publicKey: PublicKey;
}

export function newKey(options: {
  readonly type: 'curve25519' | 'rsa';
  readonly date?: Date;
  readonly config?: PartialConfig;
  readonly signingSubkey?: boolean;
}): Promise<TestKey> {
  return generateKey({
    userIDs: [{ name: 'Test Releaser', email: 'releaser@example.test' }],
    type: options.type,
    ...(options.type === 'rsa' && { rsaBits: 2048 }),
    date: options.date ?? new Date('2024-01-01T00:00:00Z'),
    ...(options.signingSubkey && { subkeys: [{}, { sign: true }] }),
    ...(options.config && { config: options.config }),
    format: 'object',
  });
}
