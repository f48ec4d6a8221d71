/**
 * Re-verification after containment: does the URL now serve what the finding expected?
 * The default HEADs the URL and, when `finding.expected` is a SHA-256 hex digest, GETs it
 * and streams the body through `crypto.DigestStream` (constant memory whatever the size).
 */
import type { Finding } from '../core/findings';
import { isSha256Hex } from '../core/playbooks';
import { startDeadline } from './deadline';

export interface ReverifyResult {
  readonly url: string;
  /**
   * `match`: the expected hash was served. `mismatch`: other bytes were served.
   * `unreachable`: no 2xx answer. `unchecked`: answered, with nothing to compare.
   */
  readonly verdict: 'match' | 'mismatch' | 'unreachable' | 'unchecked';
  readonly status?: number;
  readonly observed?: string;
  readonly detail: string;
}

export type ReverifyFunction = (url: string, finding: Finding) => Promise<ReverifyResult>;

export interface ReverifyOptions {
  readonly fetch?: typeof fetch;
  readonly headTimeoutMs?: number;
  /** Covers the whole body: a large artifact takes a while to hash. */
  readonly bodyTimeoutMs?: number;
}

export function createReverify(options: ReverifyOptions = {}): ReverifyFunction {
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  return async (url, finding) => {
    const head = await within(options.headTimeoutMs ?? 15_000, async (signal) => {
      const response = await fetchFn(url, { method: 'HEAD', signal });
      return response.status;
    });
    if (head.kind !== 'value')
      return { url, verdict: 'unreachable', detail: `HEAD failed: ${head.reason}` };
    if (head.value < 200 || head.value > 299) {
      return {
        url,
        verdict: 'unreachable',
        status: head.value,
        detail: `HEAD answered ${head.value}`,
      };
    }
    if (!isSha256Hex(finding.expected)) {
      return {
        url,
        verdict: 'unchecked',
        status: head.value,
        detail: `HEAD answered ${head.value}; no hash to compare`,
      };
    }
    const expected = finding.expected.toLowerCase();
    const got = await within(options.bodyTimeoutMs ?? 300_000, async (signal) => {
      const response = await fetchFn(url, { signal });
      if (!response.ok || response.body === null) {
        await response.body?.cancel();
        return { status: response.status, observed: undefined };
      }
      const digest = new crypto.DigestStream('SHA-256');
      await response.body.pipeTo(digest);
      return { status: response.status, observed: toHex(await digest.digest) };
    });
    if (got.kind !== 'value')
      return { url, verdict: 'unreachable', detail: `GET failed: ${got.reason}` };
    const { status, observed } = got.value;
    if (observed === undefined)
      return { url, verdict: 'unreachable', status, detail: `GET answered ${status}` };
    return observed === expected
      ? {
          url,
          verdict: 'match',
          status,
          observed,
          detail: 'served bytes match the expected SHA-256',
        }
      : {
          url,
          verdict: 'mismatch',
          status,
          observed,
          detail: `served SHA-256 ${observed}, expected ${expected}`,
        };
  };
}

/** Runs `work` under a deadline we clear ourselves (a pending timer keeps the object alive). */
async function within<T>(
  timeoutMs: number,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<{ kind: 'value'; value: T } | { kind: 'failed'; reason: string }> {
  const deadline = startDeadline(timeoutMs);
  try {
    const settled = await deadline.race(work(deadline.signal));
    if (settled.kind === 'value') return settled;
    return {
      kind: 'failed',
      reason:
        settled.kind === 'timeout' ? `timed out after ${timeoutMs} ms` : String(settled.error),
    };
  } finally {
    deadline.clear();
  }
}

function toHex(buffer: ArrayBuffer): string {
  return [...new Uint8Array(buffer)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
