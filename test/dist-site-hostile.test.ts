// The fixture site as an adversary (issue 13): it recognises the monitor and answers it
// differently from users (cloak), answers per request form (answer-by-query), serves another
// release's signed manifest (substitute-manifest), and prunes or rewrites index.json.
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDistSite,
  ERROR_CACHE_CONTROL,
  parseAttackCommand,
  type DistSite,
} from '../tools/dist-site/site';
import {
  answer,
  AS_MONITOR,
  bytesOf,
  detachedVerifies,
  get,
  indexEntries,
  NOW,
  ORIGIN,
  parseManifest,
} from './dist-site-helpers';

const V = 'v24.11.1';
const ARTIFACT = `node-${V}-linux-x64.tar.xz`;
const MANIFEST = `${V}/SHASUMS256.txt`;
const monitor = { headers: AS_MONITOR };

let site: DistSite;
let cleanHash: string;

beforeAll(async () => {
  site = await createDistSite({ now: NOW });
  cleanHash = await site.expectedSha256(V, ARTIFACT);
});

afterEach(() => {
  site.reset();
});

describe('dist site: cloak by client', () => {
  it('recognises the monitor by cf-worker, and nobody else', () => {
    const request = (headers: Record<string, string>) =>
      new Request('https://dist.test/dist/index.json', { headers });
    expect(site.isMonitorRequest(request(AS_MONITOR))).toBe(true);
    expect(site.isMonitorRequest(request({ 'cf-worker': '' }))).toBe(true);
    expect(site.isMonitorRequest(request({ 'user-agent': 'curl/8.0' }))).toBe(false);
  });

  it.each([403, 451, 404, 500])(
    'answers the monitor %i for a manifest while users get the signed file',
    async (status) => {
      const clean = await answer(site, MANIFEST);
      site.cloak(MANIFEST, { monitor: status });
      const cloaked = await get(site, MANIFEST, monitor);
      expect(cloaked.status).toBe(status);
      expect(cloaked.headers.get('Cache-Control')).toBe(ERROR_CACHE_CONTROL);
      expect(await answer(site, MANIFEST)).toEqual(clean);
    },
  );

  it('answers the monitor 304 with the file’s headers though it sent no conditional request', async () => {
    const etag = (await get(site, MANIFEST)).headers.get('ETag');
    site.cloak(MANIFEST, { monitor: 304 });
    const cloaked = await get(site, MANIFEST, monitor);
    expect(cloaked.status).toBe(304);
    expect(cloaked.headers.get('ETag')).toBe(etag);
    expect(await bytesOf(cloaked)).toHaveLength(0);
    expect((await get(site, MANIFEST)).status).toBe(200);
  });

  it('serves the monitor the clean artifact while users get the tampered one', async () => {
    site.tamperArtifact(V, ARTIFACT);
    site.cloak(`${V}/${ARTIFACT}`, { monitor: 'clean' });
    expect(await answer(site, `${V}/${ARTIFACT}`, monitor)).toEqual({
      status: 200,
      sha256: cleanHash,
    });
    expect((await answer(site, `${V}/${ARTIFACT}`)).sha256).not.toBe(cleanHash);
  });

  it('serves users tampered bytes and the monitor the clean ones with no other attack', async () => {
    site.cloak(`${V}/${ARTIFACT}`, { monitor: 'clean', others: 'tampered' });
    expect((await answer(site, `${V}/${ARTIFACT}`, monitor)).sha256).toBe(cleanHash);
    const users = await get(site, `${V}/${ARTIFACT}`);
    const monitors = await get(site, `${V}/${ARTIFACT}`, monitor);
    expect((await answer(site, `${V}/${ARTIFACT}`)).sha256).not.toBe(cleanHash);
    expect(users.headers.get('Content-Length')).toBe(monitors.headers.get('Content-Length'));
  });

  it('and the reverse: the monitor gets tampered bytes, users the clean ones', async () => {
    site.cloak(`${V}/${ARTIFACT}`, { monitor: 'tampered' });
    expect((await answer(site, `${V}/${ARTIFACT}`, monitor)).sha256).not.toBe(cleanHash);
    expect((await answer(site, `${V}/${ARTIFACT}`)).sha256).toBe(cleanHash);
  });

  it('forges the answer of a latest path as the release it stands for', async () => {
    site.tamperArtifact(V, ARTIFACT);
    site.cloak(`latest-v24.x/*`, { monitor: 'clean' });
    expect(await answer(site, `latest-v24.x/${ARTIFACT}`, monitor)).toEqual({
      status: 200,
      sha256: cleanHash,
    });
    expect((await answer(site, `latest-v24.x/${ARTIFACT}`)).sha256).not.toBe(cleanHash);
  });

  it('cloaks every file under a prefix pattern, and nothing outside it', async () => {
    site.cloak(`${V}/*`, { monitor: 403 });
    for (const path of [MANIFEST, `${MANIFEST}.sig`, `${V}/${ARTIFACT}`, `${V}/win-x64/node.exe`]) {
      expect((await get(site, path, monitor)).status, path).toBe(403);
    }
    expect((await get(site, 'v24.11.0/SHASUMS256.txt', monitor)).status).toBe(200);
    expect((await get(site, 'index.json', monitor)).status).toBe(200);
  });

  it('cloaks one file name in every release with a glob', async () => {
    site.cloak('*/SHASUMS256.txt', { monitor: 451 });
    for (const version of site.releases) {
      expect((await get(site, `${version}/SHASUMS256.txt`, monitor)).status, version).toBe(451);
      expect((await get(site, `${version}/SHASUMS256.txt.sig`, monitor)).status).toBe(200);
    }
  });

  it('recognises the monitor by a header pattern given with the command', async () => {
    site.cloak(MANIFEST, { monitor: 403 }, { header: 'User-Agent', pattern: '^dist-integrity' });
    const as = (ua: string) => ({ headers: { 'user-agent': ua } });
    expect((await get(site, MANIFEST, as('dist-integrity-monitor/1'))).status).toBe(403);
    expect((await get(site, MANIFEST, as('curl/8.0'))).status).toBe(200);
    expect((await get(site, MANIFEST, monitor)).status).toBe(200);
  });

  it('recognises the monitor by the rule the site was built with', async () => {
    const picky = await createDistSite({
      now: NOW,
      releases: [{ version: 'v24.0.0', date: '2026-05-06', lts: false, security: false }],
      monitorAudience: { header: 'x-probe', pattern: '^monitor$' },
    });
    picky.cloak('v24.0.0/SHASUMS256.txt', { monitor: 403 });
    const status = async (headers: Record<string, string>) =>
      (await get(picky, 'v24.0.0/SHASUMS256.txt', { headers })).status;
    expect(await status({ 'x-probe': 'monitor' })).toBe(403);
    expect(await status({ 'x-probe': 'someone' })).toBe(200);
    expect(await status(AS_MONITOR)).toBe(200);
  });

  it('lets the last matching rule with an answer win', async () => {
    site.cloak(`${V}/*`, { monitor: 403 });
    site.cloak(MANIFEST, { monitor: 451 });
    site.cloak(MANIFEST, { others: 500 });
    expect((await get(site, MANIFEST, monitor)).status).toBe(451);
    expect((await get(site, MANIFEST)).status).toBe(500);
    expect((await get(site, `${V}/${ARTIFACT}`, monitor)).status).toBe(403);
  });

  it('is undone by reset', async () => {
    site.cloak('*', { monitor: 403 });
    expect((await get(site, 'index.json', monitor)).status).toBe(403);
    site.reset();
    expect((await get(site, 'index.json', monitor)).status).toBe(200);
  });
});

describe('dist site: per-query answers', () => {
  const WITH_QUERY = `${V}/${ARTIFACT}?cache-bypass=7f3a`;

  it('serves the tampered file to plain requests and the clean one to any query string', async () => {
    site.tamperArtifact(V, ARTIFACT);
    site.answerByQuery(`${V}/${ARTIFACT}`, { query: 'clean' });
    expect((await answer(site, `${V}/${ARTIFACT}`)).sha256).not.toBe(cleanHash);
    expect((await answer(site, WITH_QUERY)).sha256).toBe(cleanHash);
    expect((await answer(site, `${V}/${ARTIFACT}?`)).sha256).not.toBe(cleanHash);
  });

  it('and the reverse: plain requests clean, query strings tampered', async () => {
    site.answerByQuery(`${V}/${ARTIFACT}`, { plain: 'clean', query: 'tampered' });
    expect((await answer(site, `${V}/${ARTIFACT}`)).sha256).toBe(cleanHash);
    expect((await answer(site, WITH_QUERY)).sha256).not.toBe(cleanHash);
  });

  it('goes by the query string only: an origin host without one is a plain request', async () => {
    site.answerByQuery(`${V}/${ARTIFACT}`, { plain: 'tampered' });
    expect((await answer(site, ARTIFACT.replace(/^/, `${V}/`), undefined, ORIGIN)).sha256).not.toBe(
      cleanHash,
    );
    expect((await answer(site, WITH_QUERY, undefined, ORIGIN)).sha256).toBe(cleanHash);
  });

  it('can answer a status per request form', async () => {
    site.answerByQuery(MANIFEST, { query: 404 });
    expect((await get(site, `${MANIFEST}?x=1`)).status).toBe(404);
    expect((await get(site, MANIFEST)).status).toBe(200);
  });
});

describe('dist site: manifest substitution', () => {
  const X = 'v25.2.0';
  const Y = 'v25.1.0';
  const files = ['SHASUMS256.txt', 'SHASUMS256.txt.sig', 'SHASUMS256.txt.asc'];

  it('serves byte copies of another release’s signed manifest files', async () => {
    const own = await answer(site, `${X}/SHASUMS256.txt`);
    site.substituteManifest(X, Y);
    for (const file of files) {
      expect(await answer(site, `${X}/${file}`), file).toEqual(await answer(site, `${Y}/${file}`));
    }
    expect(await answer(site, `${X}/SHASUMS256.txt`)).not.toEqual(own);
  });

  it('keeps the copy validly signed, with the other release’s file names', async () => {
    site.substituteManifest(X, Y);
    const text = await bytesOf(await get(site, `${X}/SHASUMS256.txt`));
    const sig = await bytesOf(await get(site, `${X}/SHASUMS256.txt.sig`));
    expect(await detachedVerifies(site, text, sig)).toBe(true);
    const names = [...parseManifest(new TextDecoder().decode(text)).keys()];
    expect(names.some((name) => name.includes(Y))).toBe(true);
    expect(names.some((name) => name.includes(X))).toBe(false);
  });

  it('leaves the release’s own artifacts served, tampered when told', async () => {
    const file = `node-${X}-linux-x64.tar.xz`;
    site.substituteManifest(X, Y);
    site.tamperArtifact(X, file);
    const served = await answer(site, `${X}/${file}`);
    expect(served.status).toBe(200);
    expect(served.sha256).not.toBe(await site.expectedSha256(X, file));
  });

  it('refuses an unknown release or a release standing in for itself', () => {
    expect(() => site.substituteManifest(X, 'v1.0.0')).toThrow(/unknown release/);
    expect(() => site.substituteManifest(X, X)).toThrow(/itself/);
  });
});

describe('dist site: index pruning and rewriting', () => {
  it('removes any release from index.json, not only the newest', async () => {
    site.pruneIndex(['v24.11.0', 'v18.20.8']);
    const versions = (await indexEntries(site)).map((entry) => entry.version);
    expect(versions).toEqual(site.releases.filter((v) => v !== 'v24.11.0' && v !== 'v18.20.8'));
    expect((await get(site, 'v24.11.0/SHASUMS256.txt')).status).toBe(200);
  });

  it('rewrites fields of one entry and leaves the rest as they were', async () => {
    const before = await indexEntries(site);
    site.rewriteIndex('v22.21.0', { lts: false });
    site.rewriteIndex('v22.21.0', { security: true, date: '2020-01-01' });
    const after = await indexEntries(site);
    const at = before.findIndex((entry) => entry.version === 'v22.21.0');
    expect(after[at]).toEqual({ ...before[at], lts: false, security: true, date: '2020-01-01' });
    expect(Object.keys(after[at]!)).toEqual(Object.keys(before[at]!));
    expect(after.filter((_, i) => i !== at)).toEqual(before.filter((_, i) => i !== at));
  });

  it('can rewrite files, the codename and even the version', async () => {
    site.rewriteIndex(V, { files: ['src'], lts: 'Jod', version: 'v24.11.9' });
    const entry = (await indexEntries(site))[2]!;
    expect([entry.version, entry.lts, entry.files]).toEqual(['v24.11.9', 'Jod', ['src']]);
  });

  it('is undone by reset', async () => {
    const clean = await indexEntries(site);
    site.pruneIndex([V]);
    site.rewriteIndex('v25.2.0', { lts: 'Krypton' });
    site.reset();
    expect(await indexEntries(site)).toEqual(clean);
  });

  it('refuses an unknown release', () => {
    expect(() => site.pruneIndex(['v1.2.3'])).toThrow(/unknown release/);
    expect(() => site.rewriteIndex('v1.2.3', { lts: false })).toThrow(/unknown release/);
  });
});

describe('dist site: hostile commands as JSON', () => {
  it.each([
    { attack: 'cloak', path: MANIFEST, monitor: 403 },
    { attack: 'cloak', path: `${V}/*`, monitor: 'clean', others: 'tampered' },
    { attack: 'cloak', path: '*', monitor: 304, detect: { header: 'user-agent', pattern: 'bot' } },
    { attack: 'answer-by-query', path: `${V}/${ARTIFACT}`, query: 'clean', plain: 'tampered' },
    { attack: 'substitute-manifest', version: 'v25.2.0', from: 'v25.1.0' },
    { attack: 'prune-index', versions: ['v24.11.0'] },
    { attack: 'rewrite-index', version: 'v22.21.0', fields: { lts: false } },
  ])('applies %j and lists it in the state', async (json) => {
    const command = parseAttackCommand(JSON.parse(JSON.stringify(json)));
    expect(command).toEqual(json);
    await site.apply(command);
    expect(site.state().attacks).toEqual([json]);
  });

  it('applies a cloak from JSON that answers the monitor only', async () => {
    await site.apply(parseAttackCommand({ attack: 'cloak', path: MANIFEST, monitor: 451 }));
    expect((await get(site, MANIFEST, monitor)).status).toBe(451);
    expect((await get(site, MANIFEST)).status).toBe(200);
  });

  it.each<[unknown, RegExp]>([
    [{ attack: 'cloak', path: MANIFEST }, /'monitor', 'others' or both/],
    [{ attack: 'cloak', path: MANIFEST, monitor: 200 }, /'monitor'/],
    [{ attack: 'cloak', path: MANIFEST, monitor: 'dirty' }, /'monitor'/],
    [{ attack: 'cloak', path: MANIFEST, monitor: 403, detect: {} }, /'detect'/],
    [
      { attack: 'cloak', path: MANIFEST, monitor: 403, detect: { header: 'a', pattern: '(' } },
      /regular/,
    ],
    [{ attack: 'answer-by-query', path: MANIFEST }, /'query', 'plain' or both/],
    [{ attack: 'substitute-manifest', version: 'v25.2.0' }, /'from'/],
    [{ attack: 'prune-index', versions: [] }, /'versions'/],
    [{ attack: 'rewrite-index', version: V, fields: [] }, /'fields'/],
  ])('parseAttackCommand rejects %j', (value, message) => {
    expect(() => parseAttackCommand(value)).toThrow(message);
  });
});
