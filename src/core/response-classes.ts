/**
 * Response classes: which Cache-Control the release worker sends for which answer, read from
 * nodejs/release-cloudflare-worker (facts learned, no code copied), and the path the monitor
 * requests each sweep that must answer 404.
 *
 * Contract: pure data and two small functions. `classifyResponse` names the class of one
 * response; `ACCEPTED_POLICIES` lists, per class, the policies the worker itself sends
 * there, the expected one first (`absent`: no Cache-Control at all). header-policy.ts judges
 * responses against it.
 */

/**
 * The path requested once per sweep that must answer 404 (it is never published): how its
 * error is cached is how a file requested before its release is published would be.
 */
export const ERROR_CANARY_PATH = 'integrity-monitor-canary-404.txt';

export function errorCanaryUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/${ERROR_CANARY_PATH}`;
}

/** The two policies the worker sends (`CACHE_CONTROL_SUCCESS`, `CACHE_CONTROL_ERROR`). */
export type PolicyName = 'success' | 'error';

/** A policy the worker sends, or no Cache-Control at all. */
export type AcceptedPolicy = PolicyName | 'absent';

/** The classes of response the release worker chooses a cache policy for. */
export type ResponseClass =
  | 'file'
  | 'directory-listing'
  | 'partial-or-conditional'
  | 'options'
  | 'not-found'
  | 'method-not-allowed'
  | 'other-error'
  | 'redirect'
  | 'other';

/**
 * What nodejs/release-cloudflare-worker sends per class (its src/constants/cache.ts, the
 * providers and middleware that pick a policy per status), first the one expected:
 * - a file (200): the success policy, from R2 and from the origin fallback alike;
 * - a directory listing (200 on `…/`): success from R2, the error policy from the fallback;
 * - 206, 304, 412: R2 sends the error policy on anything but 200, the fallback passes the
 *   status on with the success policy;
 * - OPTIONS: the error policy;
 * - 404, 410: the error policy. A cacheable 404 keeps a new file "missing" at the edge;
 * - 405: the error policy, or none (the router's last resort sends a bare 405);
 * - other 4xx and 5xx: the error policy, or none (bare 400/416 from the R2 path; the
 *   platform's own 5xx pages); never a cacheable policy.
 */
export const ACCEPTED_POLICIES: Readonly<Record<ResponseClass, readonly AcceptedPolicy[]>> = {
  file: ['success'],
  'directory-listing': ['success', 'error'],
  'partial-or-conditional': ['error', 'success'],
  options: ['error'],
  'not-found': ['error'],
  'method-not-allowed': ['error', 'absent'],
  'other-error': ['error', 'absent'],
  redirect: [],
  other: [],
};

/** The class of one response (the method matters only for OPTIONS). */
export function classifyResponse(response: {
  readonly url: string;
  readonly status: number;
  readonly method?: string;
}): ResponseClass {
  const { status } = response;
  if (response.method?.toUpperCase() === 'OPTIONS' && status >= 200 && status < 300)
    return 'options';
  if (status === 206 || status === 304 || status === 412) return 'partial-or-conditional';
  if (status >= 200 && status < 300) {
    return URL.canParse(response.url) && new URL(response.url).pathname.endsWith('/')
      ? 'directory-listing'
      : 'file';
  }
  if (status >= 300 && status < 400) return 'redirect';
  if (status === 404 || status === 410) return 'not-found';
  if (status === 405) return 'method-not-allowed';
  if (status >= 400 && status < 600) return 'other-error';
  return 'other';
}

/** A response a shared cache may store: `public`, `s-maxage` or `max-age` above 0, and no `no-store` / `private`. */
export function isCacheable(directives: readonly string[]): boolean {
  const names = directives.map((directive) => directive.split('=')[0] ?? '');
  if (names.includes('no-store') || names.includes('private')) return false;
  return directives.some((directive) => {
    const [name, value] = directive.split('=');
    if (name === 'public') return true;
    return (name === 's-maxage' || name === 'max-age') && Number(value) > 0;
  });
}
