/**
 * The dist HTTP client: every request the monitor makes to the dist site goes through it.
 *
 * Contract: methods never throw for network problems; they return an `HttpResult`.
 * Redirects are followed by hand, each hop checked by `isAllowedRedirect` (the requested
 * URL's host is always allowed). One deadline per attempt covers the redirect chain, the
 * headers and the body. Timeouts, network errors, truncated bodies, 5xx and 429 are retried
 * with exponential backoff and jitter (429/503 honour Retry-After up to a cap); 4xx, foreign
 * redirects, loops, oversize and undecodable bodies are not. Every fetch (each attempt,
 * each redirect hop) spends one unit of the shared subrequest budget; at zero nothing is
 * fetched. A non-2xx final answer is a `status` error that still carries its `ResponseMeta`,
 * so header checks can judge error responses too.
 */
import { isAllowedRedirect } from '../core/header-policy';
import { err, ok } from '../core/result';
import { startDeadline } from './deadline';
import { describeError, discardBody } from './dist-body';
import {
  readBytes,
  readDigest,
  readNothing,
  readText,
  type BodyReader,
  type ReadFailureKind,
} from './dist-readers';
import type {
  DistClient,
  DistClientOptions,
  HttpError,
  HttpErrorFields,
  HttpResult,
  RedirectHop,
  ResponseMeta,
} from './dist-client-types';

export type * from './dist-client-types';

export const DEFAULT_MAX_REDIRECTS = 5;
export const DEFAULT_RETRY_AFTER_CAP_MS = 10_000;

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);

/** Body failures worth another attempt: the next one may well get the whole body. */
const RETRYABLE_READ_FAILURES = new Set<ReadFailureKind>(['timeout', 'network', 'truncated']);

/** One attempt's end: a value, or an error that says whether another attempt may help. */
type AttemptOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: HttpError; readonly retry: RetryAdvice };

type RetryAdvice =
  { readonly retryable: false } | { readonly retryable: true; readonly afterMs?: number };

const NO_RETRY: RetryAdvice = { retryable: false };

interface Call<T> {
  readonly url: string;
  readonly method: 'GET' | 'HEAD';
  readonly timeoutMs: number | undefined;
  readonly read: BodyReader<T>;
}

export function createDistClient(options: DistClientOptions): DistClient {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = options.now ?? (() => Date.now());
  const random = options.random ?? Math.random;
  const maxRedirects = options.maxRedirects ?? DEFAULT_MAX_REDIRECTS;
  const retryAfterCapMs = options.retryAfterCapMs ?? DEFAULT_RETRY_AFTER_CAP_MS;
  // Detached from `options`: workerd's fetch throws "Illegal invocation" when called as a
  // method of another object. Async, so that a fetch that throws at once is a rejection.
  const platformFetch = options.fetch;
  const callFetch = async (url: string, init: RequestInit) => platformFetch(url, init);
  const counters = { requests: 0, bytes: 0, retries: 0 };
  const countBytes = (n: number) => {
    counters.bytes += n;
  };

  async function run<T>(call: Call<T>): Promise<HttpResult<T>> {
    const attempts = Math.max(0, options.retries) + 1;
    for (let attempt = 1; ; attempt += 1) {
      const outcome = await attemptOnce(call, attempt);
      if (outcome.ok) return ok(outcome.value);
      if (!outcome.retry.retryable || attempt >= attempts) return err(outcome.error);
      counters.retries += 1;
      await sleep(backoffDelay(attempt, outcome.retry.afterMs));
    }
  }

  function backoffDelay(attempt: number, retryAfterMs: number | undefined): number {
    const exponential = options.backoffMs * 2 ** (attempt - 1);
    // Equal jitter: between half and all of the exponential step, so probes spread out.
    const jittered = Math.round(exponential * (0.5 + random() * 0.5));
    if (retryAfterMs === undefined) return jittered;
    return Math.max(jittered, Math.min(retryAfterMs, retryAfterCapMs));
  }

  async function attemptOnce<T>(call: Call<T>, attempt: number): Promise<AttemptOutcome<T>> {
    const redirects: RedirectHop[] = [];
    const fail = (fields: HttpErrorFields, retry: RetryAdvice): AttemptOutcome<T> => ({
      ok: false,
      error: { ...fields, url: call.url, redirects: [...redirects], attempts: attempt },
      retry,
    });

    const start = parseUrl(call.url);
    if (!start) return fail({ kind: 'network', detail: 'not a valid URL' }, NO_RETRY);
    let current = start.href;
    // The requested host is always allowed: a dist URL may redirect within the dist site.
    const allowedHosts = [...options.allowedRedirectHosts, start.host];
    const visited = new Set([current]);
    const timeoutMs = call.timeoutMs ?? options.timeoutMs;
    const deadline = startDeadline(timeoutMs);
    const started = now();
    try {
      for (;;) {
        if (options.subrequestBudget.remaining <= 0) {
          return fail(
            { kind: 'budget-exhausted', detail: 'the subrequest budget of this run is spent' },
            NO_RETRY,
          );
        }
        options.subrequestBudget.remaining -= 1;
        counters.requests += 1;

        const pending = callFetch(current, {
          method: call.method,
          redirect: 'manual',
          signal: deadline.signal,
          ...(options.headers && { headers: options.headers }),
        });
        const settled = await deadline.race(pending);
        if (settled.kind === 'timeout') {
          // A response that still arrives later must not hold a connection open.
          pending.then(discardBody, () => {});
          return fail(
            { kind: 'timeout', detail: `no response within ${timeoutMs} ms` },
            { retryable: true },
          );
        }
        if (settled.kind === 'error') {
          return fail(
            { kind: 'network', detail: describeError(settled.error) },
            { retryable: true },
          );
        }
        const response = settled.value;
        const meta: ResponseMeta = {
          url: current,
          status: response.status,
          headers: headerRecord(response.headers),
          redirects: [...redirects],
          latencyMs: Math.max(0, now() - started),
          attempts: attempt,
        };

        const location = response.headers.get('location');
        if (REDIRECT_STATUSES.has(response.status) && location !== null) {
          discardBody(response);
          const to = resolveLocation(location, current);
          redirects.push({ from: current, to, status: response.status });
          const hop = { status: response.status, meta, from: current, to };
          if (!isAllowedRedirect(current, to, allowedHosts)) {
            return fail(
              { kind: 'foreign-redirect', detail: `redirect to ${to} is not allowed`, ...hop },
              NO_RETRY,
            );
          }
          if (visited.has(to)) {
            return fail(
              { kind: 'redirect-loop', detail: `redirect back to ${to}`, ...hop },
              NO_RETRY,
            );
          }
          if (redirects.length > maxRedirects) {
            return fail(
              { kind: 'too-many-redirects', detail: `more than ${maxRedirects} redirects`, ...hop },
              NO_RETRY,
            );
          }
          visited.add(to);
          current = to;
          continue;
        }

        if (response.status < 200 || response.status >= 300) {
          discardBody(response);
          const retry: RetryAdvice =
            response.status >= 500 || response.status === 429
              ? { retryable: true, afterMs: parseRetryAfter(meta.headers['retry-after'], now()) }
              : NO_RETRY;
          return fail(
            { kind: 'status', detail: `HTTP ${response.status}`, status: response.status, meta },
            retry,
          );
        }

        const read = await call.read(response, meta, deadline, countBytes);
        if (read.ok) return { ok: true, value: read.value };
        return fail(
          { ...read.error, status: response.status, meta },
          RETRYABLE_READ_FAILURES.has(read.error.kind) ? { retryable: true } : NO_RETRY,
        );
      }
    } finally {
      deadline.clear();
    }
  }

  return {
    head: (url) => run({ url, method: 'HEAD', timeoutMs: undefined, read: readNothing() }),
    getBytes: (url, { maxBytes, timeoutMs }) =>
      run({ url, method: 'GET', timeoutMs, read: readBytes(maxBytes) }),
    getText: (url, { maxBytes, timeoutMs }) =>
      run({ url, method: 'GET', timeoutMs, read: readText(maxBytes) }),
    hashBody: (url, { expectedBytes, timeoutMs, copy } = {}) =>
      run({ url, method: 'GET', timeoutMs, read: readDigest(expectedBytes, copy) }),
    stats: () => ({ ...counters }),
  };
}

/** Retry-After as delay-seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | undefined, nowMs: number): number | undefined {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const date = Date.parse(trimmed);
  return Number.isNaN(date) ? undefined : Math.max(0, date - nowMs);
}

function headerRecord(headers: Headers): Record<string, string> {
  const record: Record<string, string> = {};
  for (const [name, value] of headers) {
    const key = name.toLowerCase();
    const previous = record[key];
    record[key] = previous === undefined ? value : `${previous}, ${value}`;
  }
  return record;
}

/** The Location target as an absolute URL; an unparsable one is kept as-is (and refused). */
function resolveLocation(location: string, base: string): string {
  try {
    return new URL(location, base).href;
  } catch {
    return location;
  }
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
