// The fixture site behaves like the real release worker (issue 14): origin fallback, the
// worker's per-status cache policies for 304/206/412/416, OPTIONS and 405, directory
// listings, trailing-slash redirects, `latest*` paths, and index.tab.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDistSite,
  ERROR_CACHE_CONTROL,
  parseAttackCommand,
  SUCCESS_CACHE_CONTROL,
  type DistSite,
} from '../tools/dist-site/site';
import { readableBytes } from '../tools/dist-site/directory-listing';
import { answer, BASE, bytesOf, get, indexEntries, NOW, ORIGIN } from './dist-site-helpers';

const V = 'v24.11.1';
const ARTIFACT = `node-${V}-linux-x64.tar.xz`;
const FILE = `${V}/${ARTIFACT}`;

let site: DistSite;
let tagged: DistSite;

beforeAll(async () => {
  site = await createDistSite({ now: NOW });
  tagged = await createDistSite({
    now: NOW,
    cacheTags: true,
    releases: [{ version: V, date: '2026-11-08', lts: 'Krypton', security: false }],
  });
});

afterEach(() => {
  site.reset();
  tagged.reset();
});

/** nginx's ETag: hex seconds of the mtime, hex size. */
function nginxEtag(lastModified: string, size: number): string {
  return `"${(Date.parse(lastModified) / 1000).toString(16)}-${size.toString(16)}"`;
}

describe('dist site: origin fallback (an R2 outage)', () => {
  it('serves the same bytes and Last-Modified with nginx’s ETag and the success policy', async () => {
    const r2 = await get(site, FILE);
    const r2Bytes = await bytesOf(r2);
    site.originFallback();
    const origin = await get(site, FILE);
    expect(await bytesOf(origin)).toEqual(r2Bytes);
    expect(origin.headers.get('Last-Modified')).toBe(r2.headers.get('Last-Modified'));
    expect(origin.headers.get('ETag')).toBe(
      nginxEtag(r2.headers.get('Last-Modified')!, r2Bytes.length),
    );
    expect(r2.headers.get('ETag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(origin.headers.get('Cache-Control')).toBe(SUCCESS_CACHE_CONTROL);
  });

  it('tags fallback answers release-worker:origin where the worker’s cache-tag shows', async () => {
    const path = `${V}/SHASUMS256.txt`;
    expect((await get(tagged, path)).headers.get('Cache-Tag')).toBe(
      'release-worker,release-worker:file',
    );
    tagged.originFallback();
    expect((await get(tagged, path)).headers.get('Cache-Tag')).toBe(
      'release-worker,release-worker:origin',
    );
    expect((await get(site, path)).headers.get('Cache-Tag')).toBeNull();
  });

  it('falls back only for the paths matching its pattern', async () => {
    const etag = (path: string) => get(site, path).then((r) => r.headers.get('ETag'));
    const before = await etag('v24.11.0/SHASUMS256.txt');
    site.originFallback(`${V}/*`);
    expect(await etag(FILE)).toMatch(/^"[0-9a-f]+-[0-9a-f]+"$/);
    expect(await etag('v24.11.0/SHASUMS256.txt')).toBe(before);
  });

  it('answers a conditional request with nginx’s ETag by a 304 with the success policy', async () => {
    site.originFallback();
    const etag = (await get(site, FILE)).headers.get('ETag')!;
    const response = await get(site, FILE, { headers: { 'If-None-Match': etag } });
    expect([response.status, response.headers.get('Cache-Control')]).toEqual([
      304,
      SUCCESS_CACHE_CONTROL,
    ]);
  });

  it('keeps the error policy on a 404 unless cacheable-404 is on', async () => {
    site.originFallback();
    const missing = `${V}/node-${V}-sunos-x64.tar.xz`;
    expect((await get(site, missing)).headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
    site.cacheable404();
    const cached = await get(site, missing);
    expect([cached.status, cached.headers.get('Cache-Control')]).toEqual([
      404,
      SUCCESS_CACHE_CONTROL,
    ]);
  });

  it('is undone by reset', async () => {
    const etag = (await get(site, FILE)).headers.get('ETag');
    site.originFallback();
    site.reset();
    expect((await get(site, FILE)).headers.get('ETag')).toBe(etag);
  });
});

describe('dist site: conditional and partial requests, OPTIONS, other methods', () => {
  it('answers a matching If-None-Match with 304, the error policy and no body', async () => {
    const etag = (await get(site, FILE)).headers.get('ETag')!;
    const response = await get(site, FILE, { headers: { 'If-None-Match': etag } });
    expect([response.status, response.headers.get('Cache-Control')]).toEqual([
      304,
      ERROR_CACHE_CONTROL,
    ]);
    expect(response.headers.get('ETag')).toBe(etag);
    expect(await bytesOf(response)).toHaveLength(0);
  });

  it('answers If-Modified-Since at or after Last-Modified with 304, before it with 200', async () => {
    const lastModified = (await get(site, FILE)).headers.get('Last-Modified')!;
    const later = new Date(Date.parse(lastModified) + 60_000).toUTCString();
    const since = async (date: string) =>
      (await get(site, FILE, { headers: { 'If-Modified-Since': date } })).status;
    expect(await since(later)).toBe(304);
    expect(await since(lastModified)).toBe(304);
    expect(await since(new Date(0).toUTCString())).toBe(200);
  });

  it('answers a failed If-Unmodified-Since with 412 and the error policy', async () => {
    const response = await get(site, FILE, {
      headers: { 'If-Unmodified-Since': new Date(0).toUTCString() },
    });
    expect([response.status, response.headers.get('Cache-Control')]).toEqual([
      412,
      ERROR_CACHE_CONTROL,
    ]);
  });

  it('answers a failed If-Match with 304, as R2 does, and a matching one with 200', async () => {
    const etag = (await get(site, FILE)).headers.get('ETag')!;
    const ifMatch = async (tag: string) =>
      (await get(site, FILE, { headers: { 'If-Match': tag } })).status;
    expect(await ifMatch('"0123456789abcdef"')).toBe(304);
    expect(await ifMatch(etag)).toBe(200);
  });

  it('answers a range with 206 and the error policy', async () => {
    const full = await bytesOf(await get(site, FILE));
    const partial = await get(site, FILE, { headers: { Range: 'bytes=0-7' } });
    expect([partial.status, partial.headers.get('Cache-Control')]).toEqual([
      206,
      ERROR_CACHE_CONTROL,
    ]);
    expect(await bytesOf(partial)).toEqual(full.slice(0, 8));
  });

  it('answers an unsatisfiable range with a bare 416', async () => {
    const response = await get(site, FILE, { headers: { Range: 'bytes=99999999-' } });
    expect(response.status).toBe(416);
    expect(response.headers.get('Cache-Control')).toBeNull();
  });

  it('answers HEAD with 200 and the success policy whatever its conditions or range', async () => {
    const etag = (await get(site, FILE)).headers.get('ETag')!;
    const head = await get(site, FILE, {
      method: 'HEAD',
      headers: { 'If-None-Match': etag, Range: 'bytes=0-7' },
    });
    expect([head.status, head.headers.get('Cache-Control')]).toEqual([200, SUCCESS_CACHE_CONTROL]);
  });

  it.each(['index.json', FILE, 'nope/', ''])(
    'answers OPTIONS on "%s" with the methods and the error policy',
    async (path) => {
      const response = await get(site, path, { method: 'OPTIONS' });
      expect(response.status).toBe(200);
      expect(response.headers.get('Allow')).toBe('GET, HEAD, POST, OPTIONS');
      expect(response.headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
      expect(await bytesOf(response)).toHaveLength(0);
    },
  );

  it.each(['POST', 'PUT', 'DELETE', 'PATCH', 'PROPFIND'])(
    'answers %s with a bare 405',
    async (method) => {
      const response = await get(site, 'index.json', { method });
      expect(response.status).toBe(405);
      expect([...response.headers.keys()].filter((name) => name !== 'content-length')).toEqual([]);
      expect(await bytesOf(response)).toHaveLength(0);
    },
  );

  it('sends the CORS header on JSON files, as R2 objects ending in .json carry it', async () => {
    expect((await get(site, 'index.json')).headers.get('Access-Control-Allow-Origin')).toBe('*');
    expect((await get(site, FILE)).headers.get('Access-Control-Allow-Origin')).toBeNull();
  });

  it('answers a missing file with 404 File not found and the error policy', async () => {
    const response = await get(site, `${V}/nope.tar.gz`);
    expect([response.status, await response.text()]).toEqual([404, 'File not found']);
    expect(response.headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
  });
});

describe('dist site: directory listings and redirects', () => {
  it('lists /dist/ with every release, every latest directory, index.json and index.tab', async () => {
    const response = await get(site, '');
    const html = await response.text();
    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/html');
    expect(response.headers.get('Cache-Control')).toBe(SUCCESS_CACHE_CONTROL);
    expect(html).toContain('<title>Index of /dist/</title>');
    for (const dir of [...site.releases, 'latest', 'latest-v24.x', 'latest-krypton']) {
      expect(html).toContain(`<a href="${dir}/">${dir}/</a>`);
    }
    expect(html).toMatch(
      /<a href="\/dist\/index\.json">index\.json<\/a> +\d\d-\w{3}-\d{4} \d\d:\d\d +\d/,
    );
    expect(html).toContain('<a href="/dist/index.tab">index.tab</a>');
  });

  it('lists a release with sub-directories first, then files by name, with sizes and dates', async () => {
    const response = await get(site, `${V}/`);
    const lines = (await response.text()).split('\n').filter((line) => line.startsWith('<a '));
    const names = lines.map((line) => />([^<]+)<\/a>/.exec(line)![1]);
    expect(names).toEqual([
      '../',
      'win-x64/',
      'SHASUMS256.txt',
      'SHASUMS256.txt.asc',
      'SHASUMS256.txt.sig',
      ...site.files(V).filter((file) => !file.includes('/')),
    ]);
    const size = (await bytesOf(await get(site, FILE))).length;
    const line = lines.find((l) => l.includes(`>${ARTIFACT}<`))!;
    expect(line).toBe(
      `<a href="/dist/${V}/${ARTIFACT}">${ARTIFACT}</a>${' '.repeat(50 - ARTIFACT.length)} ` +
        `08-Nov-2026 12:00 ${readableBytes(size).padStart(20)}`,
    );
    expect(response.headers.get('Last-Modified')).toBe('Sun, 08 Nov 2026 12:00:00 GMT');
  });

  it('lists a sub-directory of a release', async () => {
    const html = await (await get(site, `${V}/win-x64/`)).text();
    expect(html).toContain(`<a href="/dist/${V}/win-x64/node.exe">node.exe</a>`);
  });

  it('answers HEAD on a listing with its headers and no body', async () => {
    const head = await get(site, `${V}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('Content-Type')).toBe('text/html');
    expect(await bytesOf(head)).toHaveLength(0);
  });

  it.each([
    [V, `${BASE}/${V}/`],
    ['latest', `${BASE}/latest/`],
    [`${V}/win-x64`, `${BASE}/${V}/win-x64/`],
  ])('redirects the directory "%s" without its slash to %s with a 301', async (path, location) => {
    const response = await get(site, path);
    expect([response.status, response.headers.get('Location')]).toEqual([301, location]);
  });

  it('redirects /dist to /dist/', async () => {
    const response = await site.handle(new Request('https://dist.test/dist'));
    expect([response.status, response.headers.get('Location')]).toEqual([
      301,
      'https://dist.test/dist/',
    ]);
  });

  it('answers a missing directory with 404 Directory not found and the error policy', async () => {
    const response = await get(site, 'v99.0.0/');
    expect([response.status, await response.text()]).toEqual([404, 'Directory not found']);
    expect(response.headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
  });

  it('writes sizes in 1000-based units, one decimal below ten', () => {
    expect([512, 2048, 20_480, 4_500_000, 21_000_000].map(readableBytes)).toEqual([
      '512 B',
      '2.0 KB',
      '20 KB',
      '4.5 MB',
      '21 MB',
    ]);
  });
});

describe('dist site: latest paths', () => {
  it.each([
    ['latest-v24.x', V],
    ['latest-krypton', V],
    ['latest-v25.x', 'v25.2.0'],
    ['latest', 'v25.2.0'],
    ['latest-v18.x', 'v18.20.8'],
    ['latest-hydrogen', 'v18.20.8'],
  ])('serves %s/SHASUMS256.txt in place as %s’s, with its ETag', async (alias, version) => {
    const [viaAlias, direct] = [
      await get(site, `${alias}/SHASUMS256.txt`),
      await get(site, `${version}/SHASUMS256.txt`),
    ];
    expect(viaAlias.status).toBe(200);
    expect(viaAlias.headers.get('ETag')).toBe(direct.headers.get('ETag'));
    expect(await bytesOf(viaAlias)).toEqual(await bytesOf(direct));
  });

  it('serves node-latest.tar.gz as the newest release’s source tarball', async () => {
    expect(await answer(site, 'node-latest.tar.gz')).toEqual(
      await answer(site, 'v25.2.0/node-v25.2.0.tar.gz'),
    );
  });

  it('lists latest-v24.x/ under its own path', async () => {
    const html = await (await get(site, 'latest-v24.x/')).text();
    expect(html).toContain('<title>Index of /dist/latest-v24.x/</title>');
    expect(html).toContain(`<a href="/dist/latest-v24.x/${ARTIFACT}">`);
  });

  it('carries attacks on the release into its latest path', async () => {
    const clean = await answer(site, `latest-v24.x/${ARTIFACT}`);
    site.tamperArtifact(V, ARTIFACT);
    expect(await answer(site, `latest-v24.x/${ARTIFACT}`)).not.toEqual(clean);
  });
});

describe('dist site: index.tab', () => {
  it('lists every index.json entry as a tab-separated line, newest first', async () => {
    const response = await get(site, 'index.tab');
    expect(response.headers.get('Content-Type')).toBe('text/plain');
    const [header, ...rows] = (await response.text()).trimEnd().split('\n');
    expect(header).toBe('version\tdate\tfiles\tnpm\tv8\tuv\tzlib\topenssl\tmodules\tlts\tsecurity');
    const entries = await indexEntries(site);
    expect(rows.map((row) => row.split('\t')[0])).toEqual(entries.map((e) => e.version));
    const v20 = rows.find((row) => row.startsWith('v20.19.5\t'))!.split('\t');
    const v25 = rows.find((row) => row.startsWith('v25.2.0\t'))!.split('\t');
    expect([v20[2], v20[9], v20[10]]).toEqual([
      (entries.find((e) => e.version === 'v20.19.5')!.files as string[]).join(','),
      'Iron',
      'true',
    ]);
    expect([v25[9], v25[10]]).toEqual(['-', '-']);
  });

  it('follows index.json’s pruning and rewriting', async () => {
    site.pruneIndex(['v24.11.0']);
    site.rewriteIndex('v22.21.0', { lts: false });
    const text = await (await get(site, 'index.tab')).text();
    expect(text).not.toContain('v24.11.0\t');
    expect(
      text
        .split('\n')
        .find((row) => row.startsWith('v22.21.0\t'))!
        .split('\t')[9],
    ).toBe('-');
  });
});

describe('dist site: production commands as JSON', () => {
  it.each([
    { attack: 'origin-fallback' },
    { attack: 'origin-fallback', path: `${V}/*` },
    { attack: 'cacheable-404' },
    { attack: 'edge-cache' },
  ])('applies the mode %j and lists it in the state', async (json) => {
    const command = parseAttackCommand(JSON.parse(JSON.stringify(json)));
    expect(command).toEqual(json);
    await site.apply(command);
    expect(site.state().attacks).toEqual([json]);
  });

  it('applies origin-fallback from JSON', async () => {
    await site.apply(parseAttackCommand({ attack: 'origin-fallback' }));
    expect((await get(site, FILE)).headers.get('ETag')).toMatch(/-/);
    expect((await get(site, FILE, undefined, ORIGIN)).headers.get('ETag')).toMatch(/-/);
  });
});
