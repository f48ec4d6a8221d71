// Helpers for the fixture site's own tests (test/dist-site-*.test.ts): requests against a
// site, hashes of what it serves, and signature checks against its key.
import * as openpgp from 'openpgp';
import type { DistSite } from '../tools/dist-site/site';

export const NOW = new Date('2026-11-20T10:00:00Z');
export const BASE = 'https://dist.test/dist';
export const ORIGIN = 'https://origin.dist.test/dist';
/** What a Worker's subrequest carries, in production and under `wrangler dev`. */
export const AS_MONITOR = { 'cf-worker': 'dist-integrity-monitor.example.com' };

export function get(
  site: DistSite,
  path: string,
  init?: RequestInit,
  base = BASE,
): Promise<Response> {
  return site.handle(new Request(`${base}/${path}`, init));
}

export async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

export async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

/** Status and SHA-256 of the body, for comparing answers. */
export async function answer(
  site: DistSite,
  path: string,
  init?: RequestInit,
  base = BASE,
): Promise<{ status: number; sha256: string }> {
  const response = await get(site, path, init, base);
  return { status: response.status, sha256: await sha256(await bytesOf(response)) };
}

/** File name → hash, from SHASUMS256.txt text. */
export function parseManifest(text: string): Map<string, string> {
  return new Map(
    text
      .trim()
      .split('\n')
      .map((line) => {
        const [hash = '', file = ''] = line.split(/ +/);
        return [file, hash];
      }),
  );
}

/** Whether `sig` is a valid detached signature over `text` by the site's key. */
export async function detachedVerifies(
  site: DistSite,
  text: Uint8Array,
  sig: Uint8Array,
): Promise<boolean> {
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: text }),
    signature: await openpgp.readSignature({ binarySignature: sig }),
    verificationKeys: await openpgp.readKey({ armoredKey: site.publicKeyArmored }),
    format: 'binary',
  });
  return result.signatures[0]!.verified.then(
    () => true,
    () => false,
  );
}

/** index.json's entries as the site serves them now. */
export async function indexEntries(
  site: DistSite,
  init?: RequestInit,
): Promise<Record<string, unknown>[]> {
  return (await (await get(site, 'index.json', init)).json()) as Record<string, unknown>[];
}
