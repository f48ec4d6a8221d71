/**
 * The disclosure rule holds for the transparency log: while a private incident is open
 * (a tampered download, not disclosed), nothing about it appears in any entry, tile, entry
 * bundle or lookup answer. The tampered bytes' hash is nowhere; the tampered file simply
 * stops gaining entries, and a lookup of its bad hash answers that the log never saw it.
 */
import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import {
  createTileReader,
  generateNoteKey,
  hexDecode,
  hexEncode,
  parseLogEntry,
  tilesForTreeSize,
  formatTilePath,
  verifyCheckpoint,
  type Checkpoint,
  type LogEntry,
} from '../src/core/tlog';
import { incidentIndexStub } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { call } from './http-helpers';

const BASE = 'https://dist.test/dist';
const ORIGIN = 'dist.test/dist/integrity-log';

let site: DistSite;
let logEnv: MonitorEnv;
let verifierKey: string;

beforeEach(async () => {
  site = await createDistSite({ now: new Date(), artifactsPerRelease: 3 });
  const key = await generateNoteKey(ORIGIN);
  verifierKey = key.verifierKey;
  logEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    RELEASE_KEYS: site.publicKeyArmored,
    INLINE_HASH_BYTES: String(64 * 1024 * 1024),
    HASH_QUEUE: { send: async () => {}, sendBatch: async () => {} } as unknown as Queue,
    LOG_SIGNING_KEY: key.privateKey,
  } as MonitorEnv;
});

async function sweep(): Promise<void> {
  const run = await runSweep(logEnv, {
    trigger: 'test',
    fetch: site.fetcher,
    sleep: async () => {},
  });
  if (run.status !== 'completed') throw new Error('the sweep did not run');
}

async function get(path: string): Promise<Response> {
  return call(path, { env: logEnv });
}

async function head(): Promise<Checkpoint> {
  const verified = await verifyCheckpoint(await (await get('/log/checkpoint')).text(), verifierKey);
  if (!verified.ok) throw new Error(verified.error.detail);
  return verified.value;
}

async function entriesOf(checkpoint: Checkpoint): Promise<LogEntry[]> {
  const reader = createTileReader({
    treeSize: checkpoint.size,
    rootHash: checkpoint.rootHash,
    fetchTile: async (path) => new Uint8Array(await (await get(`/log/${path}`)).arrayBuffer()),
  });
  const read = await reader.readEntries(0, checkpoint.size);
  if (!read.ok) throw new Error(read.error.detail);
  return read.value.map((bytes) => {
    const parsed = parseLogEntry(bytes);
    if (!parsed.ok || parsed.value.type === 'unknown-type') throw new Error('bad entry');
    return parsed.value;
  });
}

describe('the disclosure rule in the transparency log', () => {
  it('keeps a private incident out of every entry, tile, bundle and lookup until it is disclosed', async () => {
    await sweep();
    const version = 'v25.2.0';
    const file = site.files(version)[0] as string;
    const path = `${version}/${file}`;
    const before = (await entriesOf(await head())).filter(
      (entry) => entry.type === 'artifact' && entry.path === path,
    );
    expect(before.length).toBeGreaterThan(0);

    site.tamperArtifact(version, file);
    const served = await site.fetcher(`${BASE}/${path}`);
    const tampered = hexEncode(
      new Uint8Array(await crypto.subtle.digest('SHA-256', await served.arrayBuffer())),
    );
    await sweep();

    // The incident is open, private and not disclosed.
    const incidents = await incidentIndexStub(env).list({ limit: 100 });
    const incident = incidents.find(
      (item) => item.fingerprint === `artifact-hash-mismatch ${BASE}/${path}`,
    );
    expect(incident).toMatchObject({ state: 'open' });
    expect(incident?.security).toBe(true);
    expect(incident?.disclosed).toBe(false);

    const checkpoint = await head();
    const after = await entriesOf(checkpoint);
    expect(after.length).toBeGreaterThan(before.length);
    // The tampered file gained no entry; every entry of it names the signed hash.
    const ofFile = after.filter((entry) => entry.type === 'artifact' && entry.path === path);
    expect(ofFile).toEqual(before);

    // Walk every resource of the published tree: no trace of the tampered bytes or the incident.
    const secrets = [tampered, incident?.id ?? 'no-id', 'mismatch', 'artifact-hash-mismatch'];
    const tamperedBytes = hexDecode(tampered) as Uint8Array;
    for (const tile of tilesForTreeSize(checkpoint.size)) {
      const response = await get(`/log/${formatTilePath(tile)}`);
      expect(response.status).toBe(200);
      const bytes = new Uint8Array(await response.arrayBuffer());
      const text = new TextDecoder().decode(bytes);
      for (const secret of secrets) expect(text).not.toContain(secret);
      expect(hexEncode(bytes)).not.toContain(hexEncode(tamperedBytes));
    }
    const lookups = [
      `/api/log/lookup?sha256=${tampered}`,
      `/api/log/lookup?path=${encodeURIComponent(path)}`,
      `/api/log/lookup?sha256=${await site.expectedSha256(version, file)}`,
    ];
    for (const lookup of lookups) {
      // The answer echoes the query; everything else in it comes from the log.
      const {
        sha256: _echo,
        path: _path,
        ...answer
      } = (await (await get(lookup)).json()) as {
        sha256?: string;
        path?: string;
      };
      const text = JSON.stringify(answer);
      for (const secret of secrets) expect(text, lookup).not.toContain(secret);
    }
    const byBadHash = (await (await get(lookups[0] as string)).json()) as { entries: unknown[] };
    expect(byBadHash.entries).toEqual([]);
  });
});
