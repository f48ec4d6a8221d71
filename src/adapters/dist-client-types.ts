/**
 * The dist HTTP client's vocabulary: options, what a response tells, and the ways a request
 * can fail. Callers (sweep jobs, hash workers) import these from `dist-client`.
 */
import type { HttpErrorKind, RedirectHop } from '../core/http-outcome';
import type { Result } from '../core/result';
import type { BodySink } from './dist-body';

export type { HttpErrorKind, RedirectHop } from '../core/http-outcome';

/** What is known of a response once its headers arrived. */
export interface ResponseMeta {
  /** The final URL, after redirects. */
  readonly url: string;
  readonly status: number;
  /** Lowercase names; repeated headers joined with `, `. */
  readonly headers: Readonly<Record<string, string>>;
  readonly redirects: readonly RedirectHop[];
  /** From the attempt's first request to the final response's headers. */
  readonly latencyMs: number;
  /** Attempts made, counting the one that produced this response. */
  readonly attempts: number;
}

interface HttpErrorBase {
  /** The URL the caller asked for. */
  readonly url: string;
  readonly detail: string;
  /** Redirects followed before the failure; for redirect errors the refused hop is last. */
  readonly redirects: readonly RedirectHop[];
  readonly attempts: number;
  /** For redirect errors: the hop that was refused. */
  readonly from?: string;
  readonly to?: string;
}

/**
 * Why a request did not produce what was asked for. Never contains a secret. A `status`
 * error always carries the response's meta, so the error cache policy can be checked;
 * other kinds carry it when a response arrived (a too-large or truncated body, a redirect).
 */
export type HttpError =
  | (HttpErrorBase & {
      readonly kind: 'status';
      readonly status: number;
      readonly meta: ResponseMeta;
    })
  | (HttpErrorBase & {
      readonly kind: Exclude<HttpErrorKind, 'status'>;
      readonly status?: number;
      readonly meta?: ResponseMeta;
    });

/** An HttpError without the fields every error of an attempt shares. */
export type HttpErrorFields = HttpError extends infer E
  ? E extends HttpError
    ? Omit<E, 'url' | 'redirects' | 'attempts'>
    : never
  : never;

export type HttpResult<T> = Result<T, HttpError>;

export interface DistClientOptions {
  readonly fetch: typeof fetch;
  /** Per attempt: headers, redirects and body together. */
  readonly timeoutMs: number;
  /** Retries after the first attempt. */
  readonly retries: number;
  /** Base of the exponential backoff: base, 2×base, 4×base…, each with jitter. */
  readonly backoffMs: number;
  /** Injected in tests so that backoff costs no real time. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly maxRedirects?: number;
  /** Hosts a redirect may lead to, besides the requested URL's own host. */
  readonly allowedRedirectHosts: readonly string[];
  /** Shared by every client of one invocation; each fetch spends one unit. */
  readonly subrequestBudget: { remaining: number };
  /** Clock for latency and Retry-After dates (ms since the epoch). */
  readonly now?: () => number;
  /** Jitter source in [0, 1). */
  readonly random?: () => number;
  /** Longest wait a Retry-After header may impose. */
  readonly retryAfterCapMs?: number;
  /** Sent with every request (e.g. User-Agent). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface GetOptions {
  readonly maxBytes: number;
  /** Overrides the client's timeout for this call. */
  readonly timeoutMs?: number;
}

export interface HashOptions {
  /** The pinned size: one byte more and the download stops as `too-large`. */
  readonly expectedBytes?: number;
  /** Overrides the client's timeout for this call (large artifacts need longer). */
  readonly timeoutMs?: number;
  /**
   * Also hands every chunk to a sink (dist-verify --out writes the file as it hashes).
   * Called once per attempt, so a retry starts a fresh copy; the chunk is valid only until
   * the sink's promise settles.
   */
  readonly copy?: () => BodySink;
}

export interface DistClientStats {
  /** Fetches made (attempts and redirect hops). */
  readonly requests: number;
  /** Body bytes read. */
  readonly bytes: number;
  /** Attempts after the first. */
  readonly retries: number;
}

export interface DistClient {
  head(url: string): Promise<HttpResult<ResponseMeta>>;
  getText(url: string, options: GetOptions): Promise<HttpResult<TextResponse>>;
  getBytes(url: string, options: GetOptions): Promise<HttpResult<BytesResponse>>;
  hashBody(url: string, options?: HashOptions): Promise<HttpResult<HashedResponse>>;
  stats(): DistClientStats;
}

export type TextResponse = ResponseMeta & { readonly text: string; readonly bytes: number };
/** The body itself; its length is `bytes.byteLength`. */
export type BytesResponse = ResponseMeta & { readonly bytes: Uint8Array };
export type HashedResponse = ResponseMeta & { readonly sha256: string; readonly bytes: number };
