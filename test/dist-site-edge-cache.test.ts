// The fixture site's edge cache (issue 14): it honours s-maxage on the site's own clock,
// bypasses on query strings and origin hosts, is emptied by a purge, and a release promoted
// without a purge leaves the previous index.json, index.tab and latest answers in it.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createDistSite,
  parseAttackCommand,
  SUCCESS_CACHE_CONTROL,
  type DistSite,
} from '../tools/dist-site/site';
import {
  answer,
  bytesOf,
  detachedVerifies,
  get,
  indexEntries,
  NOW,
  ORIGIN,
} from './dist-site-helpers';

const V = 'v24.11.1';
const FILE = `${V}/node-${V}-linux-x64.tar.xz`;
const S_MAXAGE_MS = 14_400_000;
const NEW = 'v25.3.0';

let site: DistSite;

beforeEach(async () => {
  site = await createDistSite({ now: NOW });
});

afterEach(() => {
  site.reset();
});

const cacheStatus = async (path: string, init?: RequestInit) =>
  (await get(site, path, init)).headers.get('cf-cache-status');
const versions = async (init?: RequestInit, base?: string) =>
  base === undefined
    ? (await indexEntries(site, init)).map((entry) => entry.version)
    : ((await (await get(site, 'index.json', init, base)).json()) as { version: string }[]).map(
        (entry) => entry.version,
      );

describe('dist site: edge cache', () => {
  it('is off by default: no cf-cache-status, attacks show at once', async () => {
    expect(await cacheStatus(FILE)).toBeNull();
    const clean = await answer(site, FILE);
    site.tamperArtifact(V, FILE.split('/')[1]!);
    expect(await answer(site, FILE)).not.toEqual(clean);
  });

  it('keeps an answer for s-maxage of the site’s clock, then fetches it again', async () => {
    site.enableEdgeCache();
    expect(await cacheStatus(FILE)).toBe('MISS');
    site.advance(60_000);
    const hit = await get(site, FILE);
    expect([hit.headers.get('cf-cache-status'), hit.headers.get('Age')]).toEqual(['HIT', '60']);
    expect(hit.headers.get('Cache-Control')).toBe(SUCCESS_CACHE_CONTROL);
    site.advance(S_MAXAGE_MS - 60_001);
    expect(await cacheStatus(FILE)).toBe('HIT');
    site.advance(1);
    expect(await cacheStatus(FILE)).toBe('EXPIRED');
    expect(await cacheStatus(FILE)).toBe('HIT');
  });

  it('serves the cached clean file after tampering until a purge; bypasses see it at once', async () => {
    site.enableEdgeCache();
    const clean = await answer(site, FILE);
    site.tamperArtifact(V, FILE.split('/')[1]!);
    expect(await answer(site, FILE)).toEqual(clean);
    expect(await answer(site, `${FILE}?cache-bypass=1`)).not.toEqual(clean);
    expect(await answer(site, FILE, undefined, ORIGIN)).not.toEqual(clean);
    site.purge();
    expect(await answer(site, FILE)).not.toEqual(clean);
  });

  it('purges only the paths matching its patterns', async () => {
    site.enableEdgeCache();
    await get(site, FILE);
    await get(site, 'index.json');
    site.purge(['index.*']);
    expect(await cacheStatus('index.json')).toBe('MISS');
    expect(await cacheStatus(FILE)).toBe('HIT');
  });

  it('answers HEAD, ranges and conditional requests from a cached file', async () => {
    site.enableEdgeCache();
    const full = await bytesOf(await get(site, FILE));
    const head = await get(site, FILE, { method: 'HEAD' });
    expect([head.status, head.headers.get('cf-cache-status')]).toEqual([200, 'HIT']);
    expect(await bytesOf(head)).toHaveLength(0);
    const partial = await get(site, FILE, { headers: { Range: 'bytes=2-5' } });
    expect([partial.status, partial.headers.get('cf-cache-status')]).toEqual([206, 'HIT']);
    expect(await bytesOf(partial)).toEqual(full.slice(2, 6));
    const etag = head.headers.get('ETag')!;
    expect((await get(site, FILE, { headers: { 'If-None-Match': etag } })).status).toBe(304);
  });

  it('does not keep an answer with the error policy', async () => {
    site.enableEdgeCache();
    expect(await cacheStatus(`${V}/nope.tar.gz`)).toBe('BYPASS');
    expect(await cacheStatus(`${V}/nope.tar.gz`)).toBe('BYPASS');
    expect(site.state().edgeCache).toEqual({ enabled: true, entries: 0 });
  });

  it('keeps a cacheable 404 for hours: a release published after it stays missing until a purge', async () => {
    site.enableEdgeCache();
    site.cacheable404();
    expect((await get(site, `${NEW}/SHASUMS256.txt`)).status).toBe(404);
    await site.promoteRelease({ version: NEW });
    const stale = await get(site, `${NEW}/SHASUMS256.txt`);
    expect([stale.status, stale.headers.get('cf-cache-status')]).toEqual([404, 'HIT']);
    site.purge([`${NEW}/*`]);
    expect((await get(site, `${NEW}/SHASUMS256.txt`)).status).toBe(200);
  });

  it('is undone by reset, which also empties it; the edgeCache option keeps it on', async () => {
    site.enableEdgeCache();
    await get(site, FILE);
    site.reset();
    expect(site.state().edgeCache).toEqual({ enabled: false, entries: 0 });
    const always = await createDistSite({ now: NOW, edgeCache: true });
    await get(always, 'index.json');
    always.reset();
    expect(always.state().edgeCache).toEqual({ enabled: true, entries: 0 });
  });
});

describe('dist site: a release promoted without a purge', () => {
  beforeEach(async () => {
    site.enableEdgeCache();
    for (const path of ['index.json', 'index.tab', 'latest/', 'latest-v25.x/SHASUMS256.txt', '']) {
      await get(site, path);
    }
    site.advance(600_000);
    await site.promoteRelease({ version: NEW });
  });

  it('publishes the release at the site’s clock, validly signed', async () => {
    const text = await bytesOf(await get(site, `${NEW}/SHASUMS256.txt`));
    const sig = await bytesOf(await get(site, `${NEW}/SHASUMS256.txt.sig`));
    expect(await detachedVerifies(site, text, sig)).toBe(true);
    const response = await get(site, `${NEW}/SHASUMS256.txt`);
    expect(response.headers.get('Last-Modified')).toBe(site.now.toUTCString());
    expect(site.releases[0]).toBe(NEW);
  });

  it('keeps serving the previous index.json and index.tab through the cache', async () => {
    expect((await versions())[0]).toBe('v25.2.0');
    expect(await versions(undefined, ORIGIN)).toEqual(site.releases);
    const tab = await (await get(site, 'index.tab')).text();
    expect(tab).not.toContain(`${NEW}\t`);
    expect(await (await get(site, 'index.tab?x=1')).text()).toContain(`${NEW}\t`);
  });

  it('keeps the previous latest answers and listings', async () => {
    const listing = await (await get(site, 'latest/')).text();
    expect(listing).toContain('node-v25.2.0');
    const manifest = await answer(site, 'latest-v25.x/SHASUMS256.txt');
    expect(manifest).toEqual(await answer(site, 'v25.2.0/SHASUMS256.txt'));
    expect(await (await get(site, '')).text()).not.toContain(`${NEW}/`);
  });

  it('converges after a purge', async () => {
    site.purge();
    expect((await versions())[0]).toBe(NEW);
    expect(await answer(site, 'latest-v25.x/SHASUMS256.txt')).toEqual(
      await answer(site, `${NEW}/SHASUMS256.txt`),
    );
  });

  it('converges when the cached answers outlive s-maxage', async () => {
    site.advance(S_MAXAGE_MS - 600_000 - 1);
    expect((await versions())[0]).toBe('v25.2.0');
    site.advance(1);
    expect((await versions())[0]).toBe(NEW);
  });

  it('keeps the release through reset, with the site clock', async () => {
    const now = site.now;
    site.reset();
    expect(site.releases[0]).toBe(NEW);
    expect(site.now).toEqual(now);
  });
});

describe('dist site: clock and release commands as JSON', () => {
  it('moves the clock forward only', () => {
    site.advance(1_000);
    expect(site.now.getTime()).toBe(NOW.getTime() + 1_000);
    expect(site.state().now).toBe(new Date(NOW.getTime() + 1_000).toISOString());
    expect(() => site.advance(-1)).toThrow(/forward/);
  });

  it('promotes, advances and purges from JSON without listing them as attacks', async () => {
    await site.apply(parseAttackCommand({ attack: 'edge-cache' }));
    await get(site, 'index.json');
    await site.apply(
      parseAttackCommand({ attack: 'promote-release', version: NEW, lts: false, security: true }),
    );
    await site.apply(parseAttackCommand({ attack: 'advance-clock', ms: 5_000 }));
    expect((await versions())[0]).toBe('v25.2.0');
    await site.apply(parseAttackCommand({ attack: 'purge', paths: ['index.json'] }));
    const [entry] = await indexEntries(site);
    expect([entry!.version, entry!.security, entry!.date]).toEqual([NEW, true, '2026-11-20']);
    expect(site.state().attacks).toEqual([{ attack: 'edge-cache' }]);
  });

  it('refuses a release it already publishes, or a malformed one', async () => {
    await expect(site.promoteRelease({ version: V })).rejects.toThrow(/duplicate/);
    await expect(site.promoteRelease({ version: 'v25' })).rejects.toThrow(/bad version/);
  });

  it.each<[unknown, RegExp]>([
    [{ attack: 'advance-clock' }, /'ms'/],
    [{ attack: 'advance-clock', ms: -5 }, /'ms'/],
    [{ attack: 'purge', paths: [] }, /'paths'/],
    [{ attack: 'promote-release' }, /'version'/],
    [{ attack: 'promote-release', version: NEW, lts: true }, /'lts'/],
    [{ attack: 'origin-fallback', path: 7 }, /'path'/],
  ])('parseAttackCommand rejects %j', (value, message) => {
    expect(() => parseAttackCommand(value)).toThrow(message);
  });
});
