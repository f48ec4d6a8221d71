/**
 * The sequencer across tile boundaries, read back through the routes only: checkpoints
 * published at 1, 255, 256, 257 and 65,536 + 1 entries each verify, the served tiles give
 * their roots (also for a client that still holds an old checkpoint, whose partial tiles
 * are now full), every checkpoint is consistent with every earlier one, and the tree
 * rebuilt from all entry bundles has the latest root. Appends keep the order given.
 */
import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  createMemoryProofBuilder,
  createTileReader,
  generateNoteKey,
  hexEncode,
  leafHash,
  parseLogEntry,
  verifyCheckpoint,
  verifyConsistency,
  type ArtifactEntry,
  type Checkpoint,
} from '../src/core/tlog';
import { logSequencerStub } from '../src/durable/log-sequencer';
import type { MonitorEnv } from '../src/env';
import { call } from './http-helpers';

const ORIGIN = 'dist.test/dist/integrity-log';

function entry(index: number): ArtifactEntry {
  const hex = index.toString(16).padStart(8, '0');
  return {
    type: 'artifact',
    release: 'v1.0.0',
    path: `v1.0.0/file-${index}.tar.gz`,
    sha256: hex.repeat(8),
    size: index,
    observedAt: '2026-01-01T00:00:00.000Z',
    vantage: 'worker',
  };
}

describe('the sequencer across tile boundaries', () => {
  it(
    'publishes checkpoints at 1, 255, 256, 257 and 65,537 entries that all verify and agree, from the served tiles',
    { timeout: 600_000 },
    async () => {
      const key = await generateNoteKey(ORIGIN);
      const logEnv = {
        ...env,
        LOG_SIGNING_KEY: key.privateKey,
        DIST_BASE_URL: 'https://dist.test/dist',
      } as MonitorEnv;
      const settings = { origin: ORIGIN, privateKey: key.privateKey };
      const sequencer = logSequencerStub(env);
      const get = (path: string) => call(path, { env: logEnv });
      const fetchTile = async (path: string) => {
        const response = await get(`/log/${path}`);
        return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
      };

      const heads: Checkpoint[] = [];
      let next = 0;
      for (const target of [1, 255, 256, 257, 65_537]) {
        while (next < target) {
          const count = Math.min(8192, target - next);
          const batch = Array.from({ length: count }, (_, offset) => entry(next + offset));
          const outcome = await sequencer.append(batch, settings, '2026-01-01T00:00:00.000Z');
          expect(outcome.ok).toBe(true);
          next += count;
        }
        const verified = await verifyCheckpoint(
          await (await get('/log/checkpoint')).text(),
          key.verifierKey,
          {
            origin: ORIGIN,
          },
        );
        if (!verified.ok) throw new Error(verified.error.detail);
        expect(verified.value.size).toBe(target);
        heads.push(verified.value);
      }

      const latest = heads.at(-1) as Checkpoint;
      const reader = createTileReader({
        treeSize: latest.size,
        rootHash: latest.rootHash,
        fetchTile,
      });
      const entries = await reader.readEntries(0, latest.size);
      if (!entries.ok) throw new Error(entries.error.detail);
      // In the order appended, and rebuilt into the same root.
      for (const index of [0, 254, 255, 256, 65_535, 65_536]) {
        const parsed = parseLogEntry(entries.value[index] as Uint8Array);
        expect(parsed.ok && parsed.value.type === 'artifact' && parsed.value.size).toBe(index);
      }
      const leaves = await Promise.all(entries.value.map((bytes) => leafHash(bytes)));
      expect(hexEncode(await createMemoryProofBuilder(leaves).rootAt(latest.size))).toBe(
        hexEncode(latest.rootHash),
      );

      for (const [position, head] of heads.entries()) {
        // A client holding an older checkpoint reads its tree from today's tiles.
        const old = createTileReader({ treeSize: head.size, rootHash: head.rootHash, fetchTile });
        const root = await old.rootAt();
        expect(root.ok && hexEncode(root.value), `root at ${head.size}`).toBe(
          hexEncode(head.rootHash),
        );
        for (const earlier of heads.slice(0, position)) {
          const proof = await old.consistencyProof(earlier.size);
          if (!proof.ok) throw new Error(proof.error.detail);
          expect(
            await verifyConsistency(
              earlier.size,
              head.size,
              earlier.rootHash,
              head.rootHash,
              proof.value,
            ),
            `${earlier.size} → ${head.size}`,
          ).toBe(true);
        }
      }
    },
  );
});
