/**
 * Re-verification after containment: does the URL now serve what was signed?
 *
 * When the finding names the content the URL must serve (the signed SHA-256 of an artifact,
 * the pinned SHA-256 of a manifest; see `expectedContentOf`), the body is fetched and
 * streamed through SHA-256 (`crypto.DigestStream` in the dist client: constant memory
 * whatever the size) and the full digest compared; one byte more than the signed size is a
 * mismatch. Without a hash, the URL is only asked for its headers. Every request goes
 * through the dist client, under its redirect rules: only the URL's own host and the
 * allowed hosts, a hop limit, loops cut. A redirect elsewhere is never followed.
 */
import type { Finding } from '../core/findings';
import { expectedContentOf, type ExpectedContent } from '../core/playbooks';
import { createDistClient, type DistClient, type HttpError } from './dist-client';

export interface ReverifyResult {
  readonly url: string;
  /**
   * `match`: the expected hash was served. `mismatch`: other bytes were served.
   * `unreachable`: no 2xx answer (or a redirect the dist client refuses). `unchecked`:
   * answered, with nothing to compare.
   */
  readonly verdict: 'match' | 'mismatch' | 'unreachable' | 'unchecked';
  readonly status?: number;
  readonly observed?: string;
  readonly detail: string;
}

/** The dist client's rules for one re-verification, from the monitor's configuration. */
export interface ReverifyPolicy {
  /** Hosts a redirect may lead to besides the URL's own (the dist host, ALLOWED_REDIRECT_HOSTS). */
  readonly allowedRedirectHosts: readonly string[];
  /** Per attempt: redirects, headers and the whole body. */
  readonly timeoutMs?: number;
  /** Attempts after the first. */
  readonly retries?: number;
}

export type ReverifyFunction = (
  url: string,
  finding: Finding,
  policy?: ReverifyPolicy,
) => Promise<ReverifyResult>;

export interface ReverifyOptions {
  readonly fetch?: typeof fetch;
  /** Backoff between attempts (tests pass one that does not wait). */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Default per-attempt deadline: a large artifact takes a while to hash. */
  readonly timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 300_000;
/** Requests one re-verification may make: attempts times redirect hops. */
const REQUEST_BUDGET = 20;

export function createReverify(options: ReverifyOptions = {}): ReverifyFunction {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  return async (url, finding, policy = { allowedRedirectHosts: [] }) => {
    const client = createDistClient({
      fetch: fetchFn,
      timeoutMs: policy.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
      retries: policy.retries ?? 1,
      backoffMs: 1_000,
      allowedRedirectHosts: policy.allowedRedirectHosts,
      subrequestBudget: { remaining: REQUEST_BUDGET },
      ...(options.sleep && { sleep: options.sleep }),
    });
    const expected = expectedContentOf(finding);
    return expected === undefined ? headOnly(client, url) : hashAndCompare(client, url, expected);
  };
}

async function headOnly(client: DistClient, url: string): Promise<ReverifyResult> {
  const head = await client.head(url);
  if (!head.ok) return failed(url, 'HEAD', head.error);
  return {
    url,
    verdict: 'unchecked',
    status: head.value.status,
    detail: `HEAD answered ${head.value.status}; no hash to compare`,
  };
}

async function hashAndCompare(
  client: DistClient,
  url: string,
  expected: ExpectedContent,
): Promise<ReverifyResult> {
  const hashed = await client.hashBody(url, {
    ...(expected.bytes !== undefined && { expectedBytes: expected.bytes }),
  });
  if (!hashed.ok) {
    if (hashed.error.kind === 'too-large') {
      return {
        url,
        verdict: 'mismatch',
        ...(hashed.error.status !== undefined && { status: hashed.error.status }),
        detail: `served more than the ${expected.bytes ?? '?'} signed bytes: ${hashed.error.detail}`,
      };
    }
    return failed(url, 'GET', hashed.error);
  }
  const { sha256, bytes, status } = hashed.value;
  const size = expected.bytes === undefined ? '' : ` (${bytes} of ${expected.bytes} bytes)`;
  return sha256 === expected.sha256
    ? {
        url,
        verdict: 'match',
        status,
        observed: sha256,
        detail: `served bytes match SHA-256 ${sha256}${size}`,
      }
    : {
        url,
        verdict: 'mismatch',
        status,
        observed: sha256,
        detail: `served SHA-256 ${sha256}${size}, expected ${expected.sha256}`,
      };
}

function failed(url: string, method: 'HEAD' | 'GET', error: HttpError): ReverifyResult {
  return {
    url,
    verdict: 'unreachable',
    ...(error.status !== undefined && { status: error.status }),
    detail:
      error.kind === 'status'
        ? `${method} answered ${error.status}`
        : `${method} failed (${error.kind}): ${error.detail}`,
  };
}
