/**
 * The transparency log end to end, read from outside through its routes only (as an
 * independent implementation would): sweeps of a fixture site append the verified manifests
 * and matched downloads, the checkpoint verifies with the log's public key, the tree is
 * rebuilt from the served tiles and bundles, lookups answer with proofs that verify, later
 * checkpoints are consistent with earlier ones, and a log whose storage was rewritten or
 * rolled back is an incident of its own. Without LOG_SIGNING_KEY the log is off.
 */
import { env, runInDurableObject } from 'cloudflare:test';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  base64Decode,
  canonicalEntryBytes,
  createTileReader,
  generateNoteKey,
  leafHash,
  parseLogEntry,
  signCheckpoint,
  parsePrivateKey,
  verifyCheckpoint,
  verifyConsistency,
  verifyInclusion,
  type Checkpoint,
  type LogEntry,
} from '../src/core/tlog';
import type { Finding } from '../src/core/findings';
import { logSequencerStub, type LogSequencer } from '../src/durable/log-sequencer';
import { defaultSnapshotWriterDependencies, SnapshotWriter } from '../src/durable/snapshot-writer';
import type { MonitorEnv } from '../src/env';
import { LOG_MONITOR_KEY } from '../src/jobs/log-monitor';
import { publishSnapshot } from '../src/jobs/publish-snapshot';
import { runSweep } from '../src/jobs/sweep';
import { createDistSite, type DistSite } from '../tools/dist-site/site';
import { call } from './http-helpers';

const BASE = 'https://dist.test/dist';
const ORIGIN = 'dist.test/dist/integrity-log';
const noWait = async () => {};

let site: DistSite;
let logEnv: MonitorEnv;
let verifierKey: string;

beforeEach(async () => {
  const now = new Date();
  site = await createDistSite({ now, artifactsPerRelease: 3 });
  const key = await generateNoteKey(ORIGIN);
  verifierKey = key.verifierKey;
  const queue = { send: async () => {}, sendBatch: async () => {} } as unknown as Queue;
  logEnv = {
    ...env,
    DIST_BASE_URL: BASE,
    RELEASE_KEYS: site.publicKeyArmored,
    INLINE_HASH_BYTES: String(64 * 1024 * 1024),
    HASH_QUEUE: queue,
    LOG_SIGNING_KEY: key.privateKey,
  } as MonitorEnv;
});

afterEach(() => {
  SnapshotWriter.dependencies = defaultSnapshotWriterDependencies();
});

async function sweep(target: MonitorEnv = logEnv): Promise<readonly Finding[]> {
  const run = await runSweep(target, { trigger: 'test', fetch: site.fetcher, sleep: noWait });
  if (run.status !== 'completed') throw new Error('the sweep did not run');
  return run.findings;
}

async function get(path: string, target: MonitorEnv = logEnv): Promise<Response> {
  return call(path, { env: target });
}

async function checkpoint(): Promise<{ note: string; value: Checkpoint }> {
  const response = await get('/log/checkpoint');
  expect(response.status).toBe(200);
  const note = await response.text();
  const verified = await verifyCheckpoint(note, verifierKey, { origin: ORIGIN });
  if (!verified.ok) throw new Error(verified.error.detail);
  return { note, value: verified.value };
}

/** A tile reader that sees only what the routes serve. */
function servedReader(head: Checkpoint) {
  return createTileReader({
    treeSize: head.size,
    rootHash: head.rootHash,
    fetchTile: async (path) => {
      const response = await get(`/log/${path}`);
      return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
    },
  });
}

async function servedEntries(head: Checkpoint): Promise<LogEntry[]> {
  const read = await servedReader(head).readEntries(0, head.size);
  if (!read.ok) throw new Error(read.error.detail);
  return read.value.map((bytes) => {
    const parsed = parseLogEntry(bytes);
    if (!parsed.ok || parsed.value.type === 'unknown-type') throw new Error('bad entry');
    return parsed.value;
  });
}

describe('a sweep with the log on', () => {
  it('publishes a signed checkpoint whose entries, rebuilt from the tiles, are the signed manifests and matched downloads', async () => {
    expect(await sweep()).toEqual([]);
    const { value: head } = await checkpoint();
    expect(head.origin).toBe(ORIGIN);
    const entries = await servedEntries(head);
    expect(entries).toHaveLength(head.size);

    const manifests = entries.filter((entry) => entry.type === 'manifest');
    expect(manifests.length).toBeGreaterThan(2);
    for (const manifest of manifests) {
      for (const [name, sha256] of Object.entries(manifest.files)) {
        expect(sha256).toBe(await site.expectedSha256(manifest.release, name));
      }
      expect(manifest.signer).toMatch(/^[0-9A-F]{40}$/);
      expect(manifest.vantage).toBe('worker');
    }
    const artifacts = entries.filter((entry) => entry.type === 'artifact');
    expect(artifacts.length).toBeGreaterThan(0);
    for (const artifact of artifacts) {
      const name = artifact.path.slice(artifact.release.length + 1);
      expect(artifact.sha256).toBe(await site.expectedSha256(artifact.release, name));
      expect(artifact.etag).toMatch(/^(W\/)?"/);
    }
  });

  it('answers lookups by hash and by path with proofs that verify against the checkpoint', async () => {
    await sweep();
    const { note, value: head } = await checkpoint();
    const version = 'v25.2.0';
    const file = site.files(version)[0] as string;
    const sha256 = await site.expectedSha256(version, file);

    for (const query of [`sha256=${sha256.toUpperCase()}`, `path=/dist/${version}/${file}`]) {
      const response = await get(`/api/log/lookup?${query}`);
      expect(response.status).toBe(200);
      const body = (await response.json()) as {
        sha256?: string;
        path?: string;
        checkpoint: string;
        treeSize: number;
        rootHash: string;
        entries: { index: number; entry: LogEntry; inclusionProof: string[] }[];
      };
      expect(body.checkpoint).toBe(note);
      expect(body.treeSize).toBe(head.size);
      if (query.startsWith('sha256')) expect(body.sha256).toBe(sha256);
      else expect(body.path).toBe(`${version}/${file}`);
      const types = body.entries.map((entry) => entry.entry.type).sort();
      expect(types).toContain('manifest');
      expect(types).toContain('artifact');
      for (const { index, entry, inclusionProof } of body.entries) {
        // The entry as answered, canonicalised again, is the leaf the proof is for.
        const canonical = canonicalEntryBytes(entry);
        const proof = inclusionProof.map((hash) => base64Decode(hash) as Uint8Array);
        expect(
          await verifyInclusion(await leafHash(canonical), index, head.size, proof, head.rootHash),
        ).toBe(true);
      }
    }
  });

  it('answers an empty list for what it never saw, and 400 for a bad query', async () => {
    await sweep();
    const unknown = await get(`/api/log/lookup?sha256=${'0'.repeat(64)}`);
    expect(unknown.status).toBe(200);
    expect(((await unknown.json()) as { entries: unknown[] }).entries).toEqual([]);
    for (const bad of [
      '',
      '?sha256=abc',
      '?path=../etc/passwd',
      `?sha256=${'0'.repeat(64)}&path=a`,
    ]) {
      const response = await get(`/api/log/lookup${bad}`);
      expect(response.status, bad).toBe(400);
      expect(response.headers.get('content-type')).toMatch(/problem\+json/);
    }
  });

  it('keeps every later checkpoint consistent with the earlier ones, proven from the tiles', async () => {
    await sweep();
    const first = (await checkpoint()).value;
    site.clearRequestLog();
    await sweep();
    const second = (await checkpoint()).value;
    expect(second.size).toBeGreaterThan(first.size);
    const proof = await servedReader(second).consistencyProof(first.size);
    if (!proof.ok) throw new Error(proof.error.detail);
    expect(
      await verifyConsistency(
        first.size,
        second.size,
        first.rootHash,
        second.rootHash,
        proof.value,
      ),
    ).toBe(true);
  });

  it('serves tiles as tlog-tiles says: octet-stream, immutable when full, nothing beyond the tree', async () => {
    await sweep();
    const { value: head } = await checkpoint();
    const checkpointResponse = await get('/log/checkpoint');
    expect(checkpointResponse.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    expect(checkpointResponse.headers.get('cache-control')).toBe('public, max-age=5');
    const width = head.size % 256;
    const partial = await get(`/log/tile/0/000.p/${width}`);
    expect(partial.status).toBe(200);
    expect(partial.headers.get('content-type')).toBe('application/octet-stream');
    expect(partial.headers.get('cache-control')).toBe('public, max-age=60');
    expect((await partial.arrayBuffer()).byteLength).toBe(width * 32);
    const bundle = await get(`/log/tile/entries/000.p/${width}`);
    expect(bundle.status).toBe(200);
    for (const missing of [
      `/log/tile/0/000.p/${width + 1}`,
      '/log/tile/0/000',
      '/log/tile/0/001.p/1',
      '/log/tile/entries/000',
      '/log/tile/0/x000/000.p/1',
      '/log/tile/0/000.p/abc',
      '/log/tile/1/000',
    ]) {
      expect((await get(missing)).status, missing).toBe(404);
    }
  });
});

describe('the status', () => {
  it('says whether the log is on, and its size, on /api/status and the status page', async () => {
    // Public pages come from the status snapshot, which the writer gathers with its own env.
    SnapshotWriter.dependencies = { ...defaultSnapshotWriterDependencies(), env: () => logEnv };
    await sweep();
    const { value: head } = await checkpoint();
    const status = (await (await get('/api/status')).json()) as { transparencyLog: unknown };
    expect(status.transparencyLog).toMatchObject({
      enabled: true,
      origin: ORIGIN,
      size: head.size,
    });
    const page = await (await get('/')).text();
    expect(page).toContain(`Transparency log ${ORIGIN}: ${head.size} entries.`);

    const off = { ...logEnv, LOG_SIGNING_KEY: undefined } as MonitorEnv;
    SnapshotWriter.dependencies = { ...defaultSnapshotWriterDependencies(), env: () => off };
    expect((await publishSnapshot(off, 'test')).ok).toBe(true);
    const offStatus = (await (await get('/api/status', off)).json()) as {
      transparencyLog: unknown;
    };
    expect(offStatus.transparencyLog).toEqual({
      enabled: false,
      reason: 'LOG_SIGNING_KEY is not set',
    });
    expect(await (await get('/', off)).text()).toContain(
      'Transparency log: off (LOG_SIGNING_KEY is not set).',
    );
  });
});

describe('the log off', () => {
  it('answers 503 on every log route and keeps nothing, while the sweep runs as before', async () => {
    const off = { ...logEnv, LOG_SIGNING_KEY: undefined } as MonitorEnv;
    expect(await sweep(off)).toEqual([]);
    for (const path of [
      '/log/checkpoint',
      '/log/tile/0/000.p/1',
      `/api/log/lookup?sha256=${'0'.repeat(64)}`,
    ]) {
      const response = await get(path, off);
      expect(response.status, path).toBe(503);
      const body = (await response.json()) as { detail: string };
      expect(body.detail).toMatch(/LOG_SIGNING_KEY is not set/);
    }
    expect(await logSequencerStub(env).latest()).toBeUndefined();
  });

  it('says a key that does not parse is the problem, without showing it', async () => {
    const broken = { ...logEnv, LOG_SIGNING_KEY: 'PRIVATE+KEY+x+00000000+c2VjcmV0' } as MonitorEnv;
    const response = await get('/log/checkpoint', broken);
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toMatch(/does not parse/);
    expect(text).not.toContain('c2VjcmV0');
  });
});

describe('a log that cannot prove it is append-only', () => {
  const kindsOf = (findings: readonly Finding[]) => findings.map((finding) => finding.kind);

  it('is an incident when a stored tile was rewritten, and no checkpoint is published over it', async () => {
    await sweep();
    const before = (await checkpoint()).note;
    await runInDurableObject(logSequencerStub(env), async (_instance: LogSequencer, state) => {
      state.storage.sql.exec(
        `UPDATE log_tiles SET hashes = zeroblob(length(hashes)) WHERE level = 0 AND idx = 0`,
      );
    });
    site.clearRequestLog();
    const findings = await sweep();
    expect(kindsOf(findings)).toContain('transparency-log-inconsistent');
    const finding = findings.find((item) => item.kind === 'transparency-log-inconsistent');
    expect(finding?.evidence).toMatchObject({ check: 'sequencer', failure: 'tiles-rewritten' });
    expect((await checkpoint()).note).toBe(before);
  });

  it('is an incident when an old entry was rewritten (found by the monitor reading the tiles)', async () => {
    await sweep();
    await runInDurableObject(logSequencerStub(env), async (_instance: LogSequencer, state) => {
      const forged = new TextEncoder().encode('{"type":"artifact","forged":true}');
      state.storage.sql.exec(
        `UPDATE log_entries SET entry = ? WHERE idx = 0`,
        forged.slice().buffer,
      );
    });
    const findings = await sweep();
    const finding = findings.find((item) => item.kind === 'transparency-log-inconsistent');
    expect(finding?.evidence).toMatchObject({ check: 'monitor', failure: 'entry-invalid' });
  });

  it('is an incident when the log was rolled back to a smaller tree', async () => {
    await sweep();
    const first = (await checkpoint()).value;
    await sweep();
    const second = (await checkpoint()).value;
    expect(second.size).toBeGreaterThan(first.size);
    // Storage restored from an older copy: internally consistent, but smaller than what the
    // monitor already accepted.
    await runInDurableObject(logSequencerStub(env), async (_instance: LogSequencer, state) => {
      const sql = state.storage.sql;
      sql.exec(`DELETE FROM log_entries WHERE idx >= ?`, first.size);
      sql.exec(`DELETE FROM log_lookup WHERE idx >= ?`, first.size);
      sql.exec(`DELETE FROM log_checkpoints WHERE size > ?`, first.size);
    });
    await restoreTiles(first.size);
    const findings = await sweep({ ...logEnv, INLINE_HASH_BYTES: '0' } as MonitorEnv);
    const finding = findings.find((item) => item.kind === 'transparency-log-inconsistent');
    expect(finding?.evidence).toMatchObject({ check: 'monitor', failure: 'smaller-tree' });
  });

  it('is an incident when the published checkpoint is not signed by the log key', async () => {
    await sweep();
    const other = await generateNoteKey(ORIGIN);
    const otherKey = await parsePrivateKey(other.privateKey);
    if (!otherKey.ok) throw new Error('key');
    const head = (await checkpoint()).value;
    const forged = await signCheckpoint(head, otherKey.value);
    await runInDurableObject(logSequencerStub(env), async (_instance: LogSequencer, state) => {
      state.storage.sql.exec(
        `UPDATE log_checkpoints SET note = ? WHERE size = ?`,
        forged,
        head.size,
      );
    });
    // Nothing new to log (hashing queued, not inline): the forged checkpoint stays the latest.
    const findings = await sweep({ ...logEnv, INLINE_HASH_BYTES: '0' } as MonitorEnv);
    expect(kindsOf(findings)).toContain('transparency-log-inconsistent');
  });

  it('is no incident while the log only grows', async () => {
    for (let index = 0; index < 3; index += 1) {
      expect(kindsOf(await sweep())).not.toContain('transparency-log-inconsistent');
    }
    const memory = await env.PINS.get<{ auditedSize: number }>(LOG_MONITOR_KEY, 'json');
    expect(memory?.auditedSize).toBe((await checkpoint()).value.size);
  });
});

/** Rebuilds the tiles of the first `size` entries, as an old backup would hold them. */
async function restoreTiles(size: number): Promise<void> {
  const { appendLeafHashes } = await import('../src/core/tlog');
  await runInDurableObject(logSequencerStub(env), async (_instance: LogSequencer, state) => {
    const sql = state.storage.sql;
    const entries = sql
      .exec<{ entry: ArrayBuffer }>(`SELECT entry FROM log_entries ORDER BY idx`)
      .toArray()
      .map((row) => new Uint8Array(row.entry));
    expect(entries).toHaveLength(size);
    const plan = await appendLeafHashes(
      0,
      await Promise.all(entries.map((bytes) => leafHash(bytes))),
      async () => undefined,
    );
    sql.exec(`DELETE FROM log_tiles`);
    for (const tile of plan.tiles) {
      sql.exec(
        `INSERT INTO log_tiles (level, idx, hashes) VALUES (?, ?, ?)`,
        tile.level,
        tile.index,
        tile.hashes.slice().buffer,
      );
    }
  });
}
