/**
 * A retired release key at the edge of its retirement (docs/reliability.md, "Mutation
 * testing"): the pinned list was taken on RELEASE_KEYS_LISTED_AT, and a retired key's
 * signature made at that instant or later is refused; one made a second before is history.
 */
import { describe, expect, it } from 'vitest';
import { bindManifest, type ManifestBindingInput } from '../src/core/manifest-binding';
import { RELEASE_KEYS, RELEASE_KEYS_LISTED_AT } from '../src/core/release-keys';

const RETIRED = RELEASE_KEYS.find((key) => key.status === 'retired')?.fingerprint ?? '';
const V = 'v0.12.0';
const LISTED_AT = new Date(`${RELEASE_KEYS_LISTED_AT}T00:00:00Z`);

function input(signedAt: Date): ManifestBindingInput {
  return {
    version: V,
    names: [`node-${V}.tar.gz`, `node-${V}-linux-x64.tar.xz`],
    signature: { signer: RETIRED, signedAt },
    releaseDate: '2015-02-06',
    novelty: { kind: 'baseline' },
  };
}

describe('bindManifest and a retired key', () => {
  it('refuses a signature made at the very instant the list was taken', () => {
    expect(RETIRED).toMatch(/^[0-9A-F]{40}$/);
    expect(bindManifest(input(LISTED_AT))).toMatchObject({
      ok: false,
      error: { reason: 'retired-key' },
    });
  });

  it('takes one made a second before, for a release the monitor has known all along', () => {
    expect(bindManifest(input(new Date(LISTED_AT.getTime() - 1000)))).toMatchObject({ ok: true });
  });
});
