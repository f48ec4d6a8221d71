/**
 * Cloudflare cache purge by URL: `POST /client/v4/zones/{zone}/purge_cache` with
 * `{"files": [...]}`, at most 100 URLs a request. Batches go one after another; a 429 stops
 * the run and reports its Retry-After and how many batches are done, so the caller resumes
 * from there later instead of sleeping. The API token is sent only in the Authorization
 * header and never appears in a result or an error.
 */
import { PURGE_BATCH_SIZE } from '../core/playbooks';
import { startDeadline } from './deadline';
import { err, ok, type Result } from '../core/result';

export const CLOUDFLARE_API_BASE_URL = 'https://api.cloudflare.com/client/v4';

export interface CloudflarePurgeOptions {
  readonly apiToken: string | undefined;
  readonly zoneId: string | undefined;
  readonly fetch?: typeof fetch;
  /** Epoch ms; for Retry-After given as a date. */
  readonly now: () => number;
  readonly timeoutMs?: number;
}

export interface PurgeReport {
  readonly batches: number;
  readonly urls: number;
}

export type PurgeFailure =
  /** Missing or malformed CLOUDFLARE_API_TOKEN / CLOUDFLARE_ZONE_ID: retrying will not help. */
  | { readonly kind: 'not-configured'; readonly detail: string }
  | {
      readonly kind: 'rate-limited';
      readonly retryAfterMs: number;
      readonly completedBatches: number;
      readonly detail: string;
    }
  /** Network error, timeout or 5xx: worth retrying. */
  | { readonly kind: 'transient'; readonly completedBatches: number; readonly detail: string }
  /** 4xx other than 429, or `success: false`: the request itself is wrong. */
  | { readonly kind: 'rejected'; readonly completedBatches: number; readonly detail: string };

export interface CloudflarePurger {
  /** Purges `batches` from index `fromBatch` on; each batch must hold at most 100 URLs. */
  purge(
    batches: readonly (readonly string[])[],
    fromBatch?: number,
  ): Promise<Result<PurgeReport, PurgeFailure>>;
}

export function createCloudflarePurger(
  options: CloudflarePurgeOptions,
): Result<CloudflarePurger, PurgeFailure> {
  const { apiToken, zoneId } = options;
  if (!apiToken || !zoneId) {
    return err({
      kind: 'not-configured',
      detail:
        'enforce mode needs the CLOUDFLARE_API_TOKEN and CLOUDFLARE_ZONE_ID secrets to purge the cache',
    });
  }
  if (!/^[0-9a-f]{32}$/.test(zoneId)) {
    return err({
      kind: 'not-configured',
      detail: 'CLOUDFLARE_ZONE_ID is not a 32-digit hex zone id',
    });
  }
  const fetchFn = options.fetch ?? ((input, init) => fetch(input, init));
  const endpoint = `${CLOUDFLARE_API_BASE_URL}/zones/${zoneId}/purge_cache`;
  return ok({
    async purge(batches, fromBatch = 0) {
      let urls = 0;
      for (let index = fromBatch; index < batches.length; index += 1) {
        const files = batches[index]!;
        if (files.length > PURGE_BATCH_SIZE)
          throw new RangeError(`purge batch ${index} has ${files.length} URLs`);
        const failure = await purgeBatch(fetchFn, endpoint, apiToken, files, options, index);
        if (failure) return err(failure);
        urls += files.length;
      }
      return ok({ batches: batches.length - fromBatch, urls });
    },
  });
}

async function purgeBatch(
  fetchFn: typeof fetch,
  endpoint: string,
  apiToken: string,
  files: readonly string[],
  options: CloudflarePurgeOptions,
  index: number,
): Promise<PurgeFailure | undefined> {
  // A deadline we clear ourselves: a pending AbortSignal.timeout would keep the object alive.
  const deadline = startDeadline(options.timeoutMs ?? 15_000);
  let status: number;
  let retryAfter: string | null;
  let body: string;
  try {
    const sent = await deadline.race(
      fetchFn(endpoint, {
        method: 'POST',
        headers: { authorization: `Bearer ${apiToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ files }),
        signal: deadline.signal,
      }),
    );
    if (sent.kind !== 'value') {
      const reason = sent.kind === 'timeout' ? 'timed out' : String(sent.error);
      return {
        kind: 'transient',
        completedBatches: index,
        detail: `purge request failed: ${reason}`,
      };
    }
    status = sent.value.status;
    retryAfter = sent.value.headers.get('retry-after');
    const read = await deadline.race(sent.value.text());
    body = read.kind === 'value' ? read.value : '';
  } finally {
    deadline.clear();
  }
  const errors = apiErrors(body);
  if (status === 429) {
    const retryAfterMs = parseRetryAfterMs(retryAfter, options.now()) ?? 60_000;
    return {
      kind: 'rate-limited',
      retryAfterMs,
      completedBatches: index,
      detail: `rate limited (429)${errors}`,
    };
  }
  if (status >= 500) {
    return {
      kind: 'transient',
      completedBatches: index,
      detail: `purge answered ${status}${errors}`,
    };
  }
  if (status < 200 || status > 299 || !apiSucceeded(body)) {
    return {
      kind: 'rejected',
      completedBatches: index,
      detail: `purge answered ${status}${errors}`,
    };
  }
  return undefined;
}

function apiSucceeded(body: string): boolean {
  try {
    return (JSON.parse(body) as { success?: unknown }).success === true;
  } catch {
    return false;
  }
}

/** The API's own error messages (`errors[].message`), which never echo the token. */
function apiErrors(body: string): string {
  try {
    const parsed = JSON.parse(body) as { errors?: { code?: unknown; message?: unknown }[] };
    const messages = (parsed.errors ?? []).map((e) =>
      `${String(e.code)} ${String(e.message)}`.slice(0, 200),
    );
    return messages.length > 0 ? `: ${messages.join('; ')}` : '';
  } catch {
    return '';
  }
}

/** Retry-After as delta-seconds or an HTTP date; `undefined` when absent or unreadable. */
export function parseRetryAfterMs(value: string | null, now: number): number | undefined {
  if (value === null || value.trim() === '') return undefined;
  if (/^\d+$/.test(value.trim())) return Number(value.trim()) * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}
