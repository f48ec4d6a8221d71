/**
 * How a public route answers from the status snapshot, cheapest first: the isolate's
 * one-second memory (answer-memo.ts), the Cache API keyed by snapshot (snapshot-cache.ts),
 * and only then KV and a render (snapshot-reader.ts). Before the first snapshot the answer
 * is the "starting" one, never cached. No Durable Object is reached on any of these paths.
 * A request with credentials on a route with an operator view, or any request while
 * `PUBLIC_READ_PATH = "live"`, goes on to the live handlers registered after.
 */
import type { Context, Hono, Next } from 'hono';
import type { AppBindings, AppDependencies } from './app-env';
import type { AnswerMemo } from './answer-memo';
import { readOnlyCors } from './security-headers';
import {
  cachedAnswer,
  cacheKeyOf,
  PUBLIC_CACHE_CONTROL,
  snapshotHeaders,
  storeAnswer,
} from './snapshot-cache';
import type { PublicSnapshot, SnapshotStamp } from './snapshot-model';
import {
  loadSnapshot,
  readPointer,
  readsLive,
  snapshotBeforeFirst,
  snapshotStoreOf,
} from './snapshot-reader';

type Ctx = Context<AppBindings>;

/** One public answer: how it is rendered from a snapshot, and how it may be cached. */
export interface PublicAnswer {
  /** Query parameters the answer depends on (validated), part of its cache key. */
  readonly query?: Readonly<Record<string, string>>;
  /** False: read KV on every request (`/metrics` says `no-store`). */
  readonly cacheable: boolean;
  render(snapshot: PublicSnapshot, now: Date): Response | Promise<Response>;
}

async function answerFromSnapshot(
  c: Ctx,
  deps: AppDependencies,
  memo: AnswerMemo,
  answer: PublicAnswer,
): Promise<Response> {
  const now = deps.now();
  const store = snapshotStoreOf(c.env);
  let pointer = memo.pointer();
  if (pointer === undefined) {
    pointer = await readPointer(store);
    if (pointer !== undefined) memo.rememberPointer(pointer);
  }
  if (pointer === undefined) {
    const response = await answer.render(await snapshotBeforeFirst(c.env, store, now), now);
    for (const [name, value] of Object.entries(snapshotHeaders(undefined)))
      response.headers.set(name, value);
    response.headers.set('cache-control', 'no-store');
    return response;
  }
  if (!answer.cacheable)
    return stamped(await answer.render(await loadSnapshot(store, pointer), now), pointer, false);
  // The isolate's memory first, by a key that costs no parsing: most views end here.
  const memoKey = memoKeyOf(c.req.url, answer.query);
  const remembered = memo.answer(memoKey, pointer.id);
  if (remembered !== undefined) return remembered;
  const key = cacheKeyOf(c.req.url, pointer.id, answer.query);
  const cache = deps.publicCache();
  const hit = await cachedAnswer(cache, key);
  if (hit !== undefined) return memo.remember(memoKey, pointer.id, hit);
  const response = stamped(
    await answer.render(await loadSnapshot(store, pointer), now),
    pointer,
    true,
  );
  await storeAnswer(cache, key, response);
  return memo.remember(memoKey, pointer.id, response);
}

/**
 * The request URL up to its query, then only the (validated) query the answer reads:
 * finer than the cache key (two spellings of one path are two entries, never one answer
 * for two pages), and built without parsing a URL on every view.
 */
export function memoKeyOf(
  requestUrl: string,
  query: Readonly<Record<string, string>> = {},
): string {
  const end = requestUrl.search(/[?#]/);
  const base = end === -1 ? requestUrl : requestUrl.slice(0, end);
  const names = Object.keys(query).sort();
  if (names.length === 0) return base;
  return `${base}?${names.map((name) => `${encodeURIComponent(name)}=${encodeURIComponent(query[name] ?? '')}`).join('&')}`;
}

function stamped(response: Response, stamp: SnapshotStamp, cacheable: boolean): Response {
  for (const [name, value] of Object.entries(snapshotHeaders(stamp)))
    response.headers.set(name, value);
  if (cacheable) response.headers.set('cache-control', PUBLIC_CACHE_CONTROL);
  return response;
}

/** Registers `path` for the public; `operatorView`: a request with credentials goes on. */
export function publicRoute(
  app: Hono<AppBindings>,
  path: string,
  options: { readonly operatorView: boolean; readonly cors?: boolean },
  answer: (c: Ctx) => PublicAnswer,
  deps: AppDependencies,
  memo: AnswerMemo,
): void {
  const handler = async (c: Ctx, next: Next) => {
    if (readsLive(c.env) || (options.operatorView && c.req.header('authorization') !== undefined)) {
      await next();
      return;
    }
    return answerFromSnapshot(c, deps, memo, answer(c));
  };
  // CORS as on the live JSON routes: on every answer, errors included.
  if (options.cors) app.get(path, readOnlyCors(), handler);
  else app.get(path, handler);
}

export function json(body: unknown): Response {
  return new Response(JSON.stringify(body), {
    headers: { 'content-type': 'application/json' },
  });
}
