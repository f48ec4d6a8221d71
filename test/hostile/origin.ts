/**
 * A hostile origin for tests: a `fetch` that answers like the fixture dist site except for
 * the URLs a test overrides, where it plays whatever a broken or malicious origin would do
 * (bodies that never end or stall, lengths that lie, redirect loops, a slowloris drip,
 * gigabyte Content-Lengths, bytes that are not UTF-8). Bodies are generated lazily, one
 * chunk per pull, and every body keeps a probe that counts what the monitor actually pulled,
 * so a test can prove a cap held without the bytes ever existing in memory.
 */
import { ERROR_CACHE_CONTROL, SUCCESS_CACHE_CONTROL } from '../../tools/dist-site/site';

/** Answers one overridden request; `upstream` is the honest site (for pass-through). */
export type HostileHandler = (
  request: Request,
  upstream: (request: Request) => Promise<Response>,
) => Response | Promise<Response>;

/** What the monitor did with one hostile body. */
export interface BodyProbe {
  /** Times the monitor asked for more (one chunk each). */
  pulls: number;
  /** Bytes handed to the monitor. */
  bytes: number;
  /** True once the monitor gave up on the body (cancelled its reader). */
  cancelled: boolean;
}

export interface HostileOrigin {
  /** The fetch to hand to `runSweep`. */
  readonly fetch: typeof fetch;
  /** Requests that reached an override, in order (method and full URL). */
  readonly hits: { readonly method: string; readonly url: string }[];
  /**
   * Answers every request for `url` (any query string, so cache-bypass fetches too) with
   * `handler`; `method` narrows it to GET or HEAD.
   */
  on(url: string, handler: HostileHandler, method?: 'GET' | 'HEAD'): void;
  /** Every probe of every body served so far. */
  probes(): readonly BodyProbe[];
  /** Registers a body's probe so that `probes()` sees it, and returns its stream. */
  track(body: HostileBody): ReadableStream<Uint8Array>;
}

export function createHostileOrigin(upstream: typeof fetch): HostileOrigin {
  const overrides = new Map<string, { handler: HostileHandler; method?: string }[]>();
  const hits: HostileOrigin['hits'] = [];
  const probes: BodyProbe[] = [];
  const honest = (request: Request) => upstream(request);
  const hostileFetch: typeof fetch = async (input, init) => {
    const request = new Request(input, init);
    const url = new URL(request.url);
    const candidates = overrides.get(url.origin + url.pathname) ?? [];
    const match = candidates.find(
      (candidate) => candidate.method === undefined || candidate.method === request.method,
    );
    if (!match) return upstream(request);
    hits.push({ method: request.method, url: request.url });
    return match.handler(request, honest);
  };
  return {
    fetch: hostileFetch,
    hits,
    on(url, handler, method) {
      const parsed = new URL(url);
      const key = parsed.origin + parsed.pathname;
      overrides.set(key, [
        ...(method === undefined ? [] : (overrides.get(key) ?? [])),
        { handler, ...(method !== undefined && { method }) },
      ]);
    },
    probes: () => probes,
    track(body) {
      probes.push(body.probe);
      return body.stream;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Bodies. `highWaterMark: 0` so that nothing is pulled until the monitor reads.

export interface HostileBody {
  readonly stream: ReadableStream<Uint8Array>;
  readonly probe: BodyProbe;
}

/** What a body's pull step may do: hand over a chunk, or end the body. */
interface Emitter {
  enqueue(chunk: Uint8Array): void;
  close(): void;
}

function probed(pull: (emit: Emitter, probe: BodyProbe) => unknown): HostileBody {
  const probe: BodyProbe = { pulls: 0, bytes: 0, cancelled: false };
  const stream = new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        probe.pulls += 1;
        await pull(
          {
            enqueue(chunk) {
              probe.bytes += chunk.byteLength;
              controller.enqueue(chunk);
            },
            close: () => controller.close(),
          },
          probe,
        );
      },
      cancel() {
        probe.cancelled = true;
      },
    },
    { highWaterMark: 0 },
  );
  return { stream, probe };
}

/** The same chunk, forever: a body that never ends and never slows down. */
export function endlessBody(chunk: Uint8Array): HostileBody {
  return probed((controller) => controller.enqueue(chunk));
}

/** `prefix`, then silence: the connection stays open and nothing more ever arrives. */
export function stalledBody(prefix: Uint8Array): HostileBody {
  return probed((controller, probe) => {
    if (probe.pulls === 1 && prefix.byteLength > 0) {
      controller.enqueue(prefix);
      return undefined;
    }
    return new Promise<never>(() => {});
  });
}

/** A slowloris drip: one byte of `bytes` every `intervalMs`, then the end. */
export function slowlorisBody(bytes: Uint8Array, intervalMs: number): HostileBody {
  let at = 0;
  return probed(async (controller) => {
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
    if (at >= bytes.byteLength) {
      controller.close();
      return;
    }
    controller.enqueue(bytes.subarray(at, at + 1));
    at += 1;
  });
}

/**
 * `totalBytes` made of `chunk` repeated (the last copy cut short): a huge body that costs
 * one chunk of memory, generated only as far as it is read.
 */
export function lazyBody(chunk: Uint8Array, totalBytes: number): HostileBody {
  let sent = 0;
  return probed((controller) => {
    if (sent >= totalBytes) {
      controller.close();
      return;
    }
    const part = chunk.subarray(0, Math.min(chunk.byteLength, totalBytes - sent));
    controller.enqueue(part);
    sent += part.byteLength;
  });
}

/** Exactly `bytes`, in one chunk. */
export function fixedBody(bytes: Uint8Array): HostileBody {
  let done = false;
  return probed((controller) => {
    if (done) {
      controller.close();
      return;
    }
    done = true;
    controller.enqueue(bytes);
  });
}

// ---------------------------------------------------------------------------------------
// Responses

export interface HostileResponseInit {
  readonly status?: number;
  /** Added to the release worker's Cache-Control for the status, so only the lie shows. */
  readonly headers?: Readonly<Record<string, string>>;
}

/** A response with `body` (or none), carrying the cache policy the monitor expects. */
export function hostileResponse(
  body: ReadableStream<Uint8Array> | null,
  init: HostileResponseInit = {},
): Response {
  const status = init.status ?? 200;
  const headers = new Headers({
    'cache-control': status >= 400 ? ERROR_CACHE_CONTROL : SUCCESS_CACHE_CONTROL,
  });
  for (const [name, value] of Object.entries(init.headers ?? {})) headers.set(name, value);
  return new Response(body, { status, headers });
}

/** A redirect to `to` (relative to the request when not absolute). */
export function redirectResponse(to: string, status = 302): Response {
  return hostileResponse(null, { status, headers: { location: to } });
}

/**
 * A handler that redirects through `hops` URLs on the same host (`?hop=1`, `?hop=2`, …)
 * and then serves the honest answer for the original path: a chain of any length.
 */
export function redirectChain(hops: number): HostileHandler {
  return (request, upstream) => {
    const url = new URL(request.url);
    const hop = Number(url.searchParams.get('hop') ?? '0');
    if (hop < hops) {
      const next = new URL(url.origin + url.pathname);
      next.searchParams.set('hop', String(hop + 1));
      return redirectResponse(next.href);
    }
    return upstream(new Request(url.origin + url.pathname, { method: request.method }));
  };
}

/** A handler that bounces between the URL and `?loop=1` for ever. */
export function redirectLoop(): HostileHandler {
  return (request) => {
    const url = new URL(request.url);
    const other = new URL(url.origin + url.pathname);
    if (!url.searchParams.has('loop')) other.searchParams.set('loop', '1');
    return redirectResponse(other.href);
  };
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
