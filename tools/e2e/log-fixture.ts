/**
 * A transparency log for the dist-verify end-to-end tests, built with the project's own
 * tlog core (src/core/tlog) and served over HTTP exactly where the monitor serves its log:
 * `GET /log/checkpoint`, `GET /log/tile/…` (C2SP tlog-tiles), `GET /api/log/lookup`.
 * It can also misbehave: `fork()` replaces its history with another one of a larger size
 * (a log showing two histories), and the lookup can be told to hide entries.
 *
 * Loopback only.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  appendLeafHashes,
  base64Encode,
  canonicalEntryBytes,
  createMemoryProofBuilder,
  entryLookupKeys,
  generateNoteKey,
  leafHash,
  parsePrivateKey,
  parseTilePath,
  serialiseEntryBundle,
  signCheckpoint,
  TILE_WIDTH,
  type LogEntry,
} from '../../src/core/tlog/index.ts';

export type LookupMode = 'honest' | 'hide' | 'everything';

export interface LogFixture {
  /** `http://127.0.0.1:<port>`: what `--log` is given. */
  readonly url: string;
  /** What `--log-key` is given. */
  readonly verifierKey: string;
  /** Appends entries to the current history. */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Replaces the whole history with `entries` (a different tree under the same origin). */
  fork(entries: readonly LogEntry[]): Promise<void>;
  /** Re-signs the checkpoint with a key that is not `verifierKey`. */
  signWithOtherKey(): Promise<void>;
  /**
   * How the lookup answers: `honest`; `hide` (no entries for anything, though the tiles
   * hold them); `everything` (every entry for any hash: a lookup pointing at entries that
   * do not record it).
   */
  setLookup(mode: LookupMode): void;
  close(): Promise<void>;
}

interface State {
  entries: Uint8Array[];
  parsed: LogEntry[];
  tiles: Map<string, Uint8Array>;
  checkpoint: string;
  rootHash: Uint8Array;
}

export async function startLogFixture(name = 'log.dist-verify.test'): Promise<LogFixture> {
  const keys = await generateNoteKey(name);
  const signing = await parsePrivateKey(keys.privateKey);
  if (!signing.ok) throw new Error(`fixture key: ${signing.error.detail}`);
  let signingKey = signing.value;
  let lookupMode: LookupMode = 'honest';
  const state: State = {
    entries: [],
    parsed: [],
    tiles: new Map(),
    checkpoint: '',
    rootHash: new Uint8Array(32),
  };

  async function rebuild(parsed: readonly LogEntry[]): Promise<void> {
    const entries = parsed.map((entry) => canonicalEntryBytes(entry));
    const leaves = await Promise.all(entries.map((entry) => leafHash(entry)));
    const plan = await appendLeafHashes(0, leaves, async () => undefined);
    state.tiles = new Map(plan.tiles.map((tile) => [`${tile.level}/${tile.index}`, tile.hashes]));
    state.entries = entries;
    state.parsed = [...parsed];
    state.rootHash = await createMemoryProofBuilder(leaves).rootAt(leaves.length);
    state.checkpoint = await signCheckpoint(
      { origin: name, size: entries.length, rootHash: state.rootHash },
      signingKey,
    );
  }
  await rebuild([]);

  function tile(path: string): Uint8Array | undefined {
    const parsed = parseTilePath(path);
    if (!parsed.ok) return undefined;
    const { level, index, width } = parsed.value;
    if (level === 'entries') {
      const start = index * TILE_WIDTH;
      if (start + width > state.entries.length) return undefined;
      return serialiseEntryBundle(state.entries.slice(start, start + width));
    }
    const hashes = state.tiles.get(`${level}/${index}`);
    if (hashes === undefined || hashes.length < width * 32) return undefined;
    return hashes.slice(0, width * 32);
  }

  async function lookup(sha256: string): Promise<unknown> {
    const builder = createMemoryProofBuilder(
      await Promise.all(state.entries.map((entry) => leafHash(entry))),
    );
    const matches = state.parsed.flatMap((entry, index) =>
      lookupMode === 'everything' ||
      (lookupMode === 'honest' && entryLookupKeys(entry).includes(`sha256:${sha256}`))
        ? [{ entry, index }]
        : [],
    );
    return {
      checkpoint: state.checkpoint,
      treeSize: state.entries.length,
      rootHash: base64Encode(state.rootHash),
      entries: await Promise.all(
        matches.map(async ({ entry, index }) => ({
          index,
          entry,
          inclusionProof: (await builder.inclusionProof(index, state.entries.length)).map(
            base64Encode,
          ),
        })),
      ),
    };
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fixture');
    const send = (status: number, body: string | Uint8Array, type = 'text/plain') => {
      const bytes = typeof body === 'string' ? Buffer.from(body, 'utf8') : Buffer.from(body);
      res.writeHead(status, { 'content-type': type, 'content-length': String(bytes.length) });
      res.end(bytes);
    };
    void (async () => {
      if (url.pathname === '/log/checkpoint') return send(200, state.checkpoint);
      if (url.pathname.startsWith('/log/tile/')) {
        const bytes = tile(url.pathname.slice('/log/'.length));
        return bytes === undefined
          ? send(404, 'not found')
          : send(200, bytes, 'application/octet-stream');
      }
      if (url.pathname === '/api/log/lookup') {
        const sha256 = url.searchParams.get('sha256') ?? '';
        if (!/^[0-9a-f]{64}$/.test(sha256)) return send(400, 'bad query');
        return send(200, JSON.stringify(await lookup(sha256)), 'application/json');
      }
      return send(404, 'not found');
    })().catch(() => send(500, 'fixture error'));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    verifierKey: keys.verifierKey,
    append: (entries) => rebuild([...state.parsed, ...entries]),
    fork: (entries) => rebuild(entries),
    async signWithOtherKey() {
      const other = await parsePrivateKey((await generateNoteKey(name)).privateKey);
      if (!other.ok) throw new Error('other key');
      signingKey = other.value;
      await rebuild(state.parsed);
    },
    setLookup(mode) {
      lookupMode = mode;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
