/**
 * The transparency log, read-only and public (docs/transparency-log.md): the checkpoint
 * (C2SP tlog-checkpoint), tiles and entry bundles (C2SP tlog-tiles), and lookups with
 * inclusion proofs. Everything is served from the LogSequencer as last published: no tile
 * beyond the checkpoint's tree. Full tiles and bundles never change (cached for a year,
 * immutable); partial ones are cached briefly, the checkpoint for a few seconds.
 * Without LOG_SIGNING_KEY the log is off: every route answers 503 `log-unavailable`.
 */
import type { Context, Hono } from 'hono';
import { resolveLogSettings } from '../core/log-settings';
import { isSha256Hex, normaliseDistPath } from '../core/tlog/entries';
import { parsePrivateKey } from '../core/tlog/note';
import { logSequencerStub } from '../durable/log-sequencer';
import type { AppBindings } from './app-env';
import { HttpProblem } from './problem';
import { readOnlyCors } from './security-headers';

export const CHECKPOINT_CACHE_CONTROL = 'public, max-age=5';
export const FULL_TILE_CACHE_CONTROL = 'public, max-age=31536000, immutable';
export const PARTIAL_TILE_CACHE_CONTROL = 'public, max-age=60';
/** Entries a lookup answers at most (the newest); `truncated` says when there were more. */
export const LOOKUP_LIMIT = 100;

export function registerLogRoutes(app: Hono<AppBindings>): void {
  app.get('/log/checkpoint', readOnlyCors(), async (c) => {
    await requireLog(c);
    const latest = await logSequencerStub(c.env).latest();
    if (!latest) throw new HttpProblem('log-unavailable', 'No checkpoint is published yet.');
    return new Response(latest.note, {
      headers: {
        'content-type': 'text/plain; charset=utf-8',
        'cache-control': CHECKPOINT_CACHE_CONTROL,
      },
    });
  });

  app.get('/log/tile/*', readOnlyCors(), async (c) => {
    await requireLog(c);
    const path = c.req.path.slice('/log/'.length);
    const tile = await logSequencerStub(c.env).readTile(path);
    if (!tile) {
      throw new HttpProblem('not-found', 'No such tile or entry bundle in the published tree.');
    }
    return new Response(tile.bytes, {
      headers: {
        'content-type': 'application/octet-stream',
        'cache-control': tile.full ? FULL_TILE_CACHE_CONTROL : PARTIAL_TILE_CACHE_CONTROL,
      },
    });
  });

  app.get('/api/log/lookup', readOnlyCors(), async (c) => {
    await requireLog(c);
    const query = lookupQuery(c.req.query('sha256'), c.req.query('path'), c.env.DIST_BASE_URL);
    const answer = await logSequencerStub(c.env).lookup(query.key, LOOKUP_LIMIT);
    if (!answer) throw new HttpProblem('log-unavailable', 'No checkpoint is published yet.');
    c.header('cache-control', 'no-store');
    return c.json({
      [query.field]: query.value,
      checkpoint: answer.checkpoint,
      treeSize: answer.treeSize,
      rootHash: answer.rootHash,
      entries: answer.entries.map(({ index, entry, inclusionProof }) => ({
        index,
        entry: JSON.parse(entry) as unknown,
        inclusionProof,
      })),
      truncated: answer.truncated,
    });
  });
}

/** 503 unless the log is on and its key parses (the key itself never appears). */
async function requireLog(c: Context<AppBindings>): Promise<void> {
  const settings = resolveLogSettings(c.env);
  if (!settings.enabled) {
    throw new HttpProblem(
      'log-unavailable',
      settings.reason === 'no-key'
        ? 'The transparency log is off: LOG_SIGNING_KEY is not set.'
        : `The transparency log is off: ${settings.detail}.`,
    );
  }
  if (!(await parsePrivateKey(settings.privateKey)).ok) {
    throw new HttpProblem(
      'log-unavailable',
      'The transparency log is off: LOG_SIGNING_KEY does not parse.',
    );
  }
}

function lookupQuery(
  sha256: string | undefined,
  path: string | undefined,
  distBaseUrl: string,
): { readonly field: 'sha256' | 'path'; readonly value: string; readonly key: string } {
  if ((sha256 === undefined) === (path === undefined)) {
    throw new HttpProblem(
      'invalid-request',
      'Give exactly one of ?sha256=<64 hex> or ?path=<dist path>.',
    );
  }
  if (sha256 !== undefined) {
    const hash = sha256.toLowerCase();
    if (!isSha256Hex(hash))
      throw new HttpProblem('invalid-request', 'sha256 must be 64 hex digits.');
    return { field: 'sha256', value: hash, key: `sha256:${hash}` };
  }
  let basePath = '/dist';
  try {
    basePath = new URL(distBaseUrl).pathname;
  } catch {
    // The default base path stays.
  }
  const normalised = normaliseDistPath(path ?? '', basePath);
  if (!normalised.ok) {
    throw new HttpProblem('invalid-request', `path is not a dist path (${normalised.error}).`);
  }
  return { field: 'path', value: normalised.value, key: `path:${normalised.value}` };
}
