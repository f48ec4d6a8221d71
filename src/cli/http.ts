/**
 * The Worker's dist client (src/adapters/dist-client.ts) on Node's fetch: the same
 * redirect rules (each hop checked against the allowed hosts), retries with backoff, size
 * caps and streaming reads, from a machine that is not a Worker. Requests carry no
 * `cf-worker` header and nothing that names this tool, unless `--user-agent` says so.
 */
import { createDistClient, type DistClient, type HttpError } from '../adapters/dist-client';
import { installDigestStream } from './node-digest-stream';

export interface CliHttpOptions {
  readonly timeoutMs: number;
  readonly allowedRedirectHosts: readonly string[];
  readonly userAgent?: string;
  /** Retries after the first attempt (default 2, as the monitor's REQUEST_RETRIES). */
  readonly retries?: number;
}

export function createCliDistClient(options: CliHttpOptions): DistClient {
  installDigestStream();
  return createDistClient({
    fetch: (input, init) => fetch(input, init),
    timeoutMs: options.timeoutMs,
    retries: options.retries ?? 2,
    backoffMs: 500,
    allowedRedirectHosts: options.allowedRedirectHosts,
    // No platform limit outside Workers.
    subrequestBudget: { remaining: Number.POSITIVE_INFINITY },
    ...(options.userAgent !== undefined && { headers: { 'user-agent': options.userAgent } }),
  });
}

/** How a failed request bears on verification. */
export type RequestVerdict =
  /** The site answered that it does not serve this (404, 410, a redirect loop). */
  | { readonly kind: 'not-served'; readonly detail: string }
  /** A redirect to a host that is not allowed: what the monitor calls foreign-redirect. */
  | { readonly kind: 'foreign-redirect'; readonly detail: string }
  /** The body is not acceptable as it is (too large, not UTF-8). */
  | { readonly kind: 'unacceptable'; readonly detail: string }
  /** No answer to judge: timeouts, resets, 5xx, 429, other statuses. */
  | { readonly kind: 'unreachable'; readonly detail: string };

export function classifyRequestError(error: HttpError): RequestVerdict {
  switch (error.kind) {
    case 'status':
      return error.status === 404 || error.status === 410
        ? { kind: 'not-served', detail: `HTTP ${error.status}` }
        : { kind: 'unreachable', detail: `HTTP ${error.status}${attempts(error)}` };
    case 'redirect-loop':
    case 'too-many-redirects':
      return { kind: 'not-served', detail: `${error.kind}: ${error.detail}` };
    case 'foreign-redirect':
      return { kind: 'foreign-redirect', detail: `redirected to ${error.to ?? 'another host'}` };
    case 'too-large':
    case 'invalid-utf8':
      return { kind: 'unacceptable', detail: error.detail };
    default:
      return { kind: 'unreachable', detail: `${error.kind}: ${error.detail}${attempts(error)}` };
  }
}

function attempts(error: HttpError): string {
  return error.attempts > 1 ? ` (after ${error.attempts} attempts)` : '';
}
