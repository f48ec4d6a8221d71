import * as openpgp from 'openpgp';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createDistSite,
  ERROR_CACHE_CONTROL,
  parseAttackCommand,
  REGION_HEADER,
  SUCCESS_CACHE_CONTROL,
  type DistSite,
} from '../tools/dist-site/site';

const NOW = new Date('2026-11-20T10:00:00Z');
const BASE = 'https://dist.test/dist';
const ORIGIN = 'https://origin.dist.test/dist';
const V = 'v24.11.1';
const ARTIFACT = `node-${V}-linux-x64.tar.xz`;

let site: DistSite;

beforeAll(async () => {
  site = await createDistSite({ now: NOW });
});

afterEach(() => {
  site.reset();
  vi.restoreAllMocks();
});

async function get(path: string, init?: RequestInit, base = BASE): Promise<Response> {
  return site.handle(new Request(`${base}/${path}`, init));
}

async function bytesOf(response: Response): Promise<Uint8Array> {
  return new Uint8Array(await response.arrayBuffer());
}

async function sha256(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('');
}

async function fetchHash(path: string, base = BASE): Promise<string> {
  return sha256(await bytesOf(await get(path, undefined, base)));
}

function parseManifest(text: string): Map<string, string> {
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

async function trustedKey(): Promise<openpgp.PublicKey> {
  return openpgp.readKey({ armoredKey: site.publicKeyArmored });
}

/** True when SHASUMS256.txt.sig is a valid signature over SHASUMS256.txt by the site's key. */
async function detachedVerifies(version: string, base = BASE): Promise<boolean> {
  const text = await bytesOf(await get(`${version}/SHASUMS256.txt`, undefined, base));
  const sig = await bytesOf(await get(`${version}/SHASUMS256.txt.sig`, undefined, base));
  const result = await openpgp.verify({
    message: await openpgp.createMessage({ binary: text }),
    signature: await openpgp.readSignature({ binarySignature: sig }),
    verificationKeys: await trustedKey(),
    format: 'binary',
  });
  return result.signatures[0]!.verified.then(
    () => true,
    () => false,
  );
}

/** The clearsigned text when SHASUMS256.txt.asc verifies against the site's key, else undefined. */
async function clearsignedText(version: string): Promise<string | undefined> {
  const armored = await (await get(`${version}/SHASUMS256.txt.asc`)).text();
  const result = await openpgp.verify({
    message: await openpgp.readCleartextMessage({ cleartextMessage: armored }),
    verificationKeys: await trustedKey(),
  });
  return result.signatures[0]!.verified.then(
    () => result.data,
    () => undefined,
  );
}

/** What a client could compare between two fetches of the same file. */
async function snapshot(path: string, base = BASE) {
  const response = await get(path, undefined, base);
  return {
    status: response.status,
    etag: response.headers.get('ETag'),
    lastModified: response.headers.get('Last-Modified'),
    length: response.headers.get('Content-Length'),
    sha256: await sha256(await bytesOf(response)),
  };
}

describe('dist site: signed manifests', () => {
  it('publishes every default release, newest first', () => {
    expect(site.releases).toEqual([
      'v25.2.0',
      'v25.1.0',
      'v24.11.1',
      'v24.11.0',
      'v22.21.0',
      'v20.19.5',
      'v18.20.8',
    ]);
  });

  it('names artifacts in the real scheme', () => {
    expect(site.files(V)).toEqual([
      `node-${V}-darwin-arm64.tar.gz`,
      `node-${V}-headers.tar.gz`,
      `node-${V}-linux-arm64.tar.gz`,
      `node-${V}-linux-x64.tar.xz`,
      `node-${V}-win-x64.zip`,
      `node-${V}-x64.msi`,
      `node-${V}.tar.gz`,
      'win-x64/node.exe',
    ]);
  });

  it.each(['v25.2.0', 'v24.11.1', 'v18.20.8'])(
    'signs %s/SHASUMS256.txt with a detached signature that verifies',
    async (version) => {
      expect(await detachedVerifies(version)).toBe(true);
    },
  );

  it('clearsigns the same text as SHASUMS256.txt', async () => {
    const text = await (await get(`${V}/SHASUMS256.txt`)).text();
    expect(await clearsignedText(V)).toBe(text.trimEnd());
  });

  it('lists in each manifest the SHA-256 of the bytes served', async () => {
    for (const version of site.releases) {
      const manifest = parseManifest(await (await get(`${version}/SHASUMS256.txt`)).text());
      expect([...manifest.keys()]).toEqual(site.files(version));
      for (const [file, hash] of manifest) {
        expect(await fetchHash(`${version}/${file}`), `${version}/${file}`).toBe(hash);
        expect(await site.expectedSha256(version, file)).toBe(hash);
      }
    }
  });

  it('writes the clearsigned file with LF line endings, as gpg does', async () => {
    expect(await (await get(`${V}/SHASUMS256.txt.asc`)).text()).not.toContain('\r');
  });

  it('omits a signature form that is not asked for', async () => {
    const sigOnly = await createDistSite({
      now: NOW,
      signatureForms: ['sig'],
      releases: [{ version: 'v24.0.0', date: '2026-05-06', lts: false, security: false }],
    });
    const asc = await sigOnly.handle(new Request(`${BASE}/v24.0.0/SHASUMS256.txt.asc`));
    const sig = await sigOnly.handle(new Request(`${BASE}/v24.0.0/SHASUMS256.txt.sig`));
    expect([asc.status, sig.status]).toEqual([404, 200]);
  });
});

describe('dist site: index.json', () => {
  it('describes each release like the real index', async () => {
    const index = (await (await get('index.json')).json()) as Record<string, unknown>[];
    expect(index.map((entry) => entry.version)).toEqual(site.releases);
    expect(index[2]).toEqual({
      version: V,
      date: '2026-11-08',
      files: [
        'headers',
        'linux-arm64',
        'linux-x64',
        'osx-arm64-tar',
        'src',
        'win-x64-exe',
        'win-x64-msi',
        'win-x64-zip',
      ],
      npm: '11.6.2',
      v8: '13.6.233.10',
      uv: '1.51.0',
      zlib: '1.3.1-470d3a2',
      openssl: '3.5.4',
      modules: '137',
      lts: 'Krypton',
      security: false,
    });
  });

  it('marks Current releases lts false and some releases security', async () => {
    const index = (await (await get('index.json')).json()) as { lts: unknown; security: unknown }[];
    expect(index[0]?.lts).toBe(false);
    expect(index.some((entry) => entry.security === true)).toBe(true);
  });
});

describe('dist site: headers', () => {
  it.each([
    ['index.json', 'application/json; charset=utf-8'],
    [`${V}/SHASUMS256.txt`, 'text/plain; charset=utf-8'],
    [`${V}/SHASUMS256.txt.sig`, 'application/pgp-signature'],
    [`${V}/${ARTIFACT}`, 'application/x-xz'],
    [`${V}/win-x64/node.exe`, 'application/x-msdownload'],
  ])('serves %s with the release worker’s success headers', async (path, contentType) => {
    const response = await get(path);
    const body = await bytesOf(response);
    expect(response.status).toBe(200);
    expect(response.headers.get('Cache-Control')).toBe(SUCCESS_CACHE_CONTROL);
    expect(response.headers.get('Content-Type')).toBe(contentType);
    expect(response.headers.get('Accept-Ranges')).toBe('bytes');
    expect(response.headers.get('ETag')).toMatch(/^"[0-9a-f]{32}"$/);
    expect(response.headers.get('Content-Length')).toBe(String(body.length));
    expect(new Date(response.headers.get('Last-Modified')!).toUTCString()).toBe(
      response.headers.get('Last-Modified'),
    );
  });

  it('dates a release’s files at its release day', async () => {
    const response = await get(`${V}/${ARTIFACT}`);
    expect(response.headers.get('Last-Modified')).toBe('Sun, 08 Nov 2026 12:00:00 GMT');
  });

  it('keeps ETags stable between fetches', async () => {
    const [a, b] = [await snapshot(`${V}/${ARTIFACT}`), await snapshot(`${V}/${ARTIFACT}`)];
    expect(a).toEqual(b);
  });

  // `/dist/` and `/dist/v24.11.1/` are directory listings, as on the release worker.
  it.each(['nope.txt', `${V}/nope.tar.gz`, 'v99.0.0/SHASUMS256.txt', 'v99.0.0/', `${V}/nope/`])(
    'answers the unknown path "%s" with 404 and the error cache policy',
    async (path) => {
      const response = await get(path);
      expect(response.status).toBe(404);
      expect(response.headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
    },
  );

  it('answers HEAD with the GET headers and no body', async () => {
    const [head, full] = [
      await get(`${V}/${ARTIFACT}`, { method: 'HEAD' }),
      await get(`${V}/${ARTIFACT}`),
    ];
    expect(head.body).toBeNull();
    expect(Object.fromEntries(head.headers)).toEqual(Object.fromEntries(full.headers));
  });

  it('serves a byte range', async () => {
    const full = await bytesOf(await get(`${V}/${ARTIFACT}`));
    const partial = await get(`${V}/${ARTIFACT}`, { headers: { Range: 'bytes=100-199' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('Content-Range')).toBe(`bytes 100-199/${full.length}`);
    expect(await bytesOf(partial)).toEqual(full.slice(100, 200));
  });

  it('answers a matching If-None-Match with 304', async () => {
    const etag = (await get(`${V}/${ARTIFACT}`)).headers.get('ETag')!;
    const response = await get(`${V}/${ARTIFACT}`, { headers: { 'If-None-Match': etag } });
    expect(response.status).toBe(304);
  });
});

describe('dist site: attacks', () => {
  it('tamperArtifact changes the bytes but no header, and reset restores them', async () => {
    const clean = await snapshot(`${V}/${ARTIFACT}`);
    site.tamperArtifact(V, ARTIFACT);
    const tampered = await snapshot(`${V}/${ARTIFACT}`);
    expect(tampered.sha256).not.toBe(clean.sha256);
    expect({ ...tampered, sha256: clean.sha256 }).toEqual(clean);
    site.reset();
    expect(await snapshot(`${V}/${ARTIFACT}`)).toEqual(clean);
  });

  it('tamperArtifact flips exactly the byte at the given offset', async () => {
    const clean = await bytesOf(await get(`${V}/${ARTIFACT}`));
    site.tamperArtifact(V, ARTIFACT, 7);
    const tampered = await bytesOf(await get(`${V}/${ARTIFACT}`));
    const differing = [...clean.keys()].filter((i) => clean[i] !== tampered[i]);
    expect(differing).toEqual([7]);
  });

  it('alterManifest changes one hash and keeps the old signatures, which no longer verify', async () => {
    const clean = parseManifest(await (await get(`${V}/SHASUMS256.txt`)).text());
    await site.alterManifest(V);
    const altered = parseManifest(await (await get(`${V}/SHASUMS256.txt`)).text());
    const changed = [...clean.keys()].filter((file) => clean.get(file) !== altered.get(file));
    expect(changed).toHaveLength(1);
    expect(await detachedVerifies(V)).toBe(false);
    expect(await clearsignedText(V)).toBeUndefined();
    site.reset();
    expect(await detachedVerifies(V)).toBe(true);
  });

  it('resignManifest changes one hash under a valid signature of the trusted key', async () => {
    const clean = await (await get(`${V}/SHASUMS256.txt`)).text();
    await site.resignManifest(V);
    const resigned = await (await get(`${V}/SHASUMS256.txt`)).text();
    expect(resigned).not.toBe(clean);
    expect(await detachedVerifies(V)).toBe(true);
    expect(await clearsignedText(V)).toBe(resigned.trimEnd());
  });

  it('signWithOtherKey keeps the manifest but signs it with an untrusted key', async () => {
    const clean = await (await get(`${V}/SHASUMS256.txt`)).text();
    await site.signWithOtherKey(V);
    expect(await (await get(`${V}/SHASUMS256.txt`)).text()).toBe(clean);
    expect(await detachedVerifies(V)).toBe(false);
    expect(await clearsignedText(V)).toBeUndefined();
    site.reset();
    expect(await clearsignedText(V)).toBe(clean.trimEnd());
  });

  it.each([`${V}/${ARTIFACT}`, `${V}/SHASUMS256.txt`, 'index.json'])(
    'poisonCache serves other bytes for %s through the cache only',
    async (path) => {
      const clean = await fetchHash(path);
      site.poisonCache(`/dist/${path}`);
      expect(await fetchHash(path)).not.toBe(clean);
      expect(await fetchHash(path, ORIGIN)).toBe(clean);
      expect(await fetchHash(`${path}?cache-bypass=1`)).toBe(clean);
      site.reset();
      expect(await fetchHash(path)).toBe(clean);
    },
  );

  it('poisonCache lets listed origin hosts bypass the cache', async () => {
    const withOrigin = await createDistSite({
      now: NOW,
      originHosts: ['r2.test'],
      releases: [{ version: 'v24.0.0', date: '2026-05-06', lts: false, security: false }],
    });
    const url = 'https://r2.test/dist/v24.0.0/SHASUMS256.txt';
    const clean = await (await withOrigin.handle(new Request(url))).text();
    withOrigin.poisonCache('v24.0.0/SHASUMS256.txt');
    expect(await (await withOrigin.handle(new Request(url))).text()).toBe(clean);
  });

  it('dropFile answers 404 with the error cache policy until reset', async () => {
    site.dropFile(`${V}/${ARTIFACT}`);
    const dropped = await get(`${V}/${ARTIFACT}`);
    expect([dropped.status, dropped.headers.get('Cache-Control')]).toEqual([
      404,
      ERROR_CACHE_CONTROL,
    ]);
    site.reset();
    expect((await get(`${V}/${ARTIFACT}`)).status).toBe(200);
  });

  it('setHeader adds a header to one path or, with *, to every response', async () => {
    site.setHeader(`${V}/SHASUMS256.txt`, 'Set-Cookie', 'session=leak');
    site.setHeader('*', 'X-Powered-By', 'internal-proxy');
    const one = await get(`${V}/SHASUMS256.txt`);
    const other = await get('index.json');
    const missing = await get('nope');
    expect(one.headers.get('Set-Cookie')).toBe('session=leak');
    expect(other.headers.get('Set-Cookie')).toBeNull();
    expect([one, other, missing].map((r) => r.headers.get('X-Powered-By'))).toEqual([
      'internal-proxy',
      'internal-proxy',
      'internal-proxy',
    ]);
    site.reset();
    expect((await get(`${V}/SHASUMS256.txt`)).headers.get('Set-Cookie')).toBeNull();
  });

  it('setHeader can override the cache policy', async () => {
    site.setHeader(`${V}/${ARTIFACT}`, 'Cache-Control', 'no-cache');
    expect((await get(`${V}/${ARTIFACT}`)).headers.get('Cache-Control')).toBe('no-cache');
  });

  it('redirect answers 302 to a foreign host', async () => {
    site.redirect(`${V}/${ARTIFACT}`, 'https://evil.example/node.tar.xz');
    const response = await get(`${V}/${ARTIFACT}`);
    expect([response.status, response.headers.get('Location')]).toEqual([
      302,
      'https://evil.example/node.tar.xz',
    ]);
  });

  it('rollbackIndex drops the newest release from index.json until reset', async () => {
    site.rollbackIndex();
    const index = (await (await get('index.json')).json()) as { version: string }[];
    expect(index.map((entry) => entry.version)).toEqual(site.releases.slice(1));
    site.reset();
    expect(((await (await get('index.json')).json()) as unknown[]).length).toBe(
      site.releases.length,
    );
  });

  it('down answers every request with 503 and the error cache policy', async () => {
    site.down();
    for (const path of ['index.json', `${V}/${ARTIFACT}`]) {
      const response = await get(path);
      expect([response.status, response.headers.get('Cache-Control')]).toEqual([
        503,
        ERROR_CACHE_CONTROL,
      ]);
    }
    site.reset();
    expect((await get('index.json')).status).toBe(200);
  });

  it('slow holds every answer until its delay has passed', async () => {
    // The wait is observed, not timed: the answer must not come before the sleep ends.
    const waits: { ms: number; end: () => void }[] = [];
    const slowSite = await createDistSite({
      now: NOW,
      sleep: (ms) => new Promise<void>((resolve) => waits.push({ ms, end: resolve })),
    });
    slowSite.slow(150);
    let answered = false;
    const answer = slowSite
      .fetcher(`${BASE}/index.json`)
      .then((response) => ((answered = true), response));
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(waits.map((wait) => wait.ms)).toEqual([150]);
    expect(answered).toBe(false);
    waits[0]!.end();
    expect((await answer).status).toBe(200);
    slowSite.reset();
    expect((await slowSite.fetcher(`${BASE}/index.json`)).status).toBe(200);
    expect(waits).toHaveLength(1);
  });

  it('changeMetadata gives new ETag and Last-Modified for the same bytes', async () => {
    const clean = await snapshot(`${V}/${ARTIFACT}`);
    site.changeMetadata(`${V}/${ARTIFACT}`);
    const changed = await snapshot(`${V}/${ARTIFACT}`);
    expect(changed.sha256).toBe(clean.sha256);
    expect(changed.etag).not.toBe(clean.etag);
    expect(changed.lastModified).not.toBe(clean.lastModified);
    site.reset();
    expect(await snapshot(`${V}/${ARTIFACT}`)).toEqual(clean);
  });

  it('apply runs a JSON command like the method, and state lists it', async () => {
    const clean = await fetchHash(`${V}/${ARTIFACT}`);
    const command = parseAttackCommand(
      JSON.parse(`{"attack":"tamper-artifact","version":"${V}","file":"${ARTIFACT}","offset":3}`),
    );
    await site.apply(command);
    expect(await fetchHash(`${V}/${ARTIFACT}`)).not.toBe(clean);
    expect(site.state().attacks).toEqual([command]);
    await site.apply({ attack: 'reset' });
    expect(site.state().attacks).toEqual([]);
  });

  it.each<[unknown, RegExp]>([
    [{ attack: 'melt' }, /unknown attack/],
    [{ attack: 'slow' }, /'ms'/],
    [{ attack: 'drop-file' }, /'path'/],
    [{ attack: 'tamper-artifact', version: V, file: ARTIFACT, offset: -1 }, /'offset'/],
    ['down', /object/],
  ])('parseAttackCommand rejects %j', (value, message) => {
    expect(() => parseAttackCommand(value)).toThrow(message);
  });

  it('rejects an attack on a file the release does not publish', () => {
    expect(() => site.tamperArtifact(V, 'node-v0.0.0.tar.gz')).toThrow(/publishes no/);
  });
});

describe('dist site: simulated regions', () => {
  const from = (region: string) => ({ headers: { [REGION_HEADER]: region } });
  const hashFrom = async (path: string, region?: string, base = BASE) =>
    sha256(await bytesOf(await get(path, region === undefined ? undefined : from(region), base)));
  const MANIFEST = `${V}/SHASUMS256.txt`;

  it('answers a request from a region with a cf-ray naming its colo, and others without one', async () => {
    expect((await get('index.json', from('weur'))).headers.get('cf-ray')).toMatch(
      /^[0-9a-f]{16}-FRA$/,
    );
    expect((await get('index.json', from('wnam'))).headers.get('cf-ray')).toMatch(/-SJC$/);
    expect((await get('index.json')).headers.get('cf-ray')).toBeNull();
  });

  it('answers a region from the colo the site was told to use for it', async () => {
    const misplaced = await createDistSite({ now: NOW, regionColos: { wnam: 'FRA' } });
    const response = await misplaced.handle(new Request(`${BASE}/index.json`, from('wnam')));
    expect(response.headers.get('cf-ray')).toMatch(/-FRA$/);
  });

  it('poisonCache with regions poisons the cache of those regions only', async () => {
    const clean = await hashFrom(MANIFEST);
    site.poisonCache(MANIFEST, ['weur']);
    expect(await hashFrom(MANIFEST, 'weur')).not.toBe(clean);
    expect(await hashFrom(MANIFEST, 'wnam')).toBe(clean);
    expect(await hashFrom(MANIFEST)).toBe(clean);
    expect(await hashFrom(MANIFEST, 'weur', ORIGIN)).toBe(clean);
  });

  it('poisonCache without regions still poisons every cached request, with or without a region', async () => {
    const clean = await hashFrom(MANIFEST);
    site.poisonCache(MANIFEST);
    expect(await hashFrom(MANIFEST)).not.toBe(clean);
    expect(await hashFrom(MANIFEST, 'apac')).not.toBe(clean);
  });

  it('down with regions answers 503 in those regions and 200 elsewhere', async () => {
    site.down(['sam', 'afr']);
    const statuses = await Promise.all(
      ['sam', 'afr', 'weur', undefined].map(
        async (region) =>
          (await get('index.json', region === undefined ? undefined : from(region))).status,
      ),
    );
    expect(statuses).toEqual([503, 503, 200, 200]);
  });

  it('down without regions answers 503 to every region', async () => {
    site.down();
    expect((await get('index.json', from('weur'))).status).toBe(503);
  });

  it('apply takes regions in JSON commands, and state lists them', async () => {
    const command = parseAttackCommand({ attack: 'down', regions: ['oc'] });
    await site.apply(command);
    expect((await get('index.json', from('oc'))).status).toBe(503);
    expect(site.state().attacks).toEqual([{ attack: 'down', regions: ['oc'] }]);
  });

  it.each<[unknown]>([
    [{ attack: 'down', regions: [] }],
    [{ attack: 'down', regions: 'weur' }],
    [{ attack: 'poison-cache', path: 'index.json', regions: [''] }],
  ])('parseAttackCommand rejects bad regions in %j', (value) => {
    expect(() => parseAttackCommand(value)).toThrow(/'regions'/);
  });
});

describe('dist site: as fetch', () => {
  it('answers fetch through the fetcher and logs each request', async () => {
    site.clearRequestLog();
    vi.spyOn(globalThis, 'fetch').mockImplementation(site.fetcher);
    const response = await fetch(`${BASE}/index.json`, { method: 'HEAD' });
    expect(response.status).toBe(200);
    expect(site.requestLog).toEqual([{ method: 'HEAD', url: `${BASE}/index.json` }]);
  });
});

describe('dist site: large artifacts', () => {
  it('streams a lazily generated 64 MiB artifact in small chunks matching its manifest', async () => {
    const size = 64 * 1024 * 1024;
    const big = await createDistSite({
      now: NOW,
      releases: [{ version: 'v24.0.0', date: '2026-05-06', lts: false, security: false }],
      artifactsPerRelease: 1,
      artifactSize: () => size,
    });
    const [file] = big.files('v24.0.0');
    const manifest = parseManifest(
      await (await big.handle(new Request(`${BASE}/v24.0.0/SHASUMS256.txt`))).text(),
    );
    const response = await big.handle(new Request(`${BASE}/v24.0.0/${file}`));
    expect(response.headers.get('Content-Length')).toBe(String(size));
    const digest = new crypto.DigestStream('SHA-256');
    let largestChunk = 0;
    const measure = new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        largestChunk = Math.max(largestChunk, chunk.length);
        controller.enqueue(chunk);
      },
    });
    await response.body!.pipeThrough(measure).pipeTo(digest);
    const hex = [...new Uint8Array(await digest.digest)]
      .map((b) => b.toString(16).padStart(2, '0'))
      .join('');
    expect(digest.bytesWritten).toBe(BigInt(size));
    expect(largestChunk).toBeLessThanOrEqual(64 * 1024);
    expect(hex).toBe(manifest.get(file!));
  });
});
