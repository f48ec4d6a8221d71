/**
 * An edge cache in front of the site, like Cloudflare's in front of the release worker: it
 * keeps an answer for `s-maxage` (else `max-age`) seconds of the site's clock when its
 * Cache-Control lets a shared cache keep it, serves it to later requests for the same path
 * (`cf-cache-status: HIT` and an `Age`), and forgets it when purged or expired. Requests that
 * bypass the cache (a query string, an origin host) never reach it. A file is kept as the
 * resource the worker read, so a file tampered after it was cached still comes out clean,
 * and a release promoted after index.json was cached is not listed until a purge.
 */
import { serveFile, type FileServeOptions } from './file-responses.ts';
import type { Resource } from './responses.ts';

/** What the worker answered, in a form the cache can keep and replay. */
export type CachedAnswer =
  | {
      readonly kind: 'file';
      readonly resource: Resource;
      readonly options: FileServeOptions;
    }
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly headers: readonly (readonly [string, string])[];
      readonly body: Uint8Array | null;
    };

interface Entry {
  readonly answer: CachedAnswer;
  readonly storedAt: number;
  readonly ttlMs: number;
}

/** Statuses a Cloudflare edge keeps when Cache-Control allows. */
const CACHEABLE_STATUSES = new Set([200, 301, 404, 410]);

/**
 * How long a shared cache may keep an answer with this Cache-Control, in ms; undefined when
 * it may not (private, no-store, no-cache, or no lifetime given).
 */
export function sharedLifetimeMs(cacheControl: string | null): number | undefined {
  if (cacheControl === null) return undefined;
  const directives = new Map(
    cacheControl.split(',').map((part) => {
      const [name = '', value = ''] = part.trim().toLowerCase().split('=');
      return [name.trim(), value.trim()] as const;
    }),
  );
  if (['private', 'no-store', 'no-cache'].some((name) => directives.has(name))) return undefined;
  const seconds = Number(directives.get('s-maxage') ?? directives.get('max-age'));
  return Number.isFinite(seconds) && seconds > 0 ? seconds * 1000 : undefined;
}

/** Whether the edge keeps a plain response (a listing, a 404, a redirect), and how long. */
export function responseLifetimeMs(response: Response): number | undefined {
  if (!CACHEABLE_STATUSES.has(response.status)) return undefined;
  return sharedLifetimeMs(response.headers.get('Cache-Control'));
}

export class EdgeCache {
  readonly #entries = new Map<string, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  /** The entry for a key, fresh at `now` or not; undefined when never stored or purged. */
  lookup(
    key: string,
    now: Date,
  ): { answer: CachedAnswer; ageMs: number; fresh: boolean } | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    const ageMs = Math.max(0, now.getTime() - entry.storedAt);
    return { answer: entry.answer, ageMs, fresh: ageMs < entry.ttlMs };
  }

  store(key: string, answer: CachedAnswer, ttlMs: number, now: Date): void {
    this.#entries.set(key, { answer, storedAt: now.getTime(), ttlMs });
  }

  /** Forgets every entry, or those whose key `matches`. Returns how many went. */
  purge(matches?: (key: string) => boolean): number {
    let purged = 0;
    for (const key of [...this.#entries.keys()]) {
      if (matches === undefined || matches(key)) {
        this.#entries.delete(key);
        purged += 1;
      }
    }
    return purged;
  }
}

/** A cached answer as a response to this request, marked the way Cloudflare marks it. */
export function replay(
  request: Request,
  answer: CachedAnswer,
  status: 'HIT' | 'MISS' | 'EXPIRED',
  ageMs: number,
): Response {
  const response =
    answer.kind === 'file'
      ? serveFile(request, answer.resource, answer.options)
      : new Response(
          request.method === 'HEAD' || answer.body === null ? null : answer.body.slice(),
          {
            status: answer.status,
            headers: answer.headers.map(([name, value]) => [name, value]),
          },
        );
  response.headers.set('cf-cache-status', status);
  if (status === 'HIT') response.headers.set('Age', String(Math.floor(ageMs / 1000)));
  return response;
}
