/**
 * Header policy: what every response of the dist site must (and must not) carry.
 *
 * Contract: pure. `checkResponseHeaders` takes one observed response (URL, status, headers)
 * and returns at most one `cache-policy-violation` and one `header-disclosure` finding for
 * it. Cache-Control is compared as a multiset of directives (order, case and spacing do not
 * matter) against the policies the release worker itself sends for the response's class
 * (core/response-classes.ts): the success policy on a 200, the error policy on
 * a 404 (a 404 with the success policy is an error cached at the edge for `s-maxage`: the
 * classic way a new release's files stay "missing" after publication), either on what the
 * worker's R2 path and its origin fallback answer differently (206/304/412, directory
 * listings). Redirects are not judged on cache.
 * Evidence names the offending headers and carries values only redacted and truncated: a
 * cookie's value never leaves this module. `isAllowedRedirect` decides whether a redirect
 * hop may be followed: https only, and the target host must equal the hop's own host or one
 * of the allowed hosts exactly.
 */
import { createFinding, type Finding } from './findings';
import {
  ACCEPTED_POLICIES,
  classifyResponse,
  isCacheable,
  type PolicyName,
} from './response-classes';

export {
  ACCEPTED_POLICIES,
  classifyResponse,
  ERROR_CANARY_PATH,
  errorCanaryUrl,
  type AcceptedPolicy,
  type ResponseClass,
} from './response-classes';

/** The release worker's header policy, as configured in wrangler.toml vars. */
export interface HeaderPolicy {
  /** Cache-Control that every 2xx/304 response must carry. */
  readonly cacheControlSuccess: string;
  /** Cache-Control that every 4xx/5xx response must carry. */
  readonly cacheControlError: string;
  /** Lowercase names of headers that must never be sent (Set-Cookie is always forbidden). */
  readonly disclosureDenylist: readonly string[];
}

/**
 * The vars the policy is read from: a subset of `Env`, so `env` itself fits; the denylist
 * may also come already split (as the parsed config has it).
 */
export interface HeaderPolicyVars {
  readonly CACHE_CONTROL_SUCCESS: string;
  readonly CACHE_CONTROL_ERROR: string;
  readonly DISCLOSURE_HEADER_DENYLIST: string | readonly string[];
}

/** One response as the checks need it: `headers` may be real `Headers` or a plain record. */
export interface ObservedResponse {
  readonly url: string;
  readonly status: number;
  readonly headers: Headers | Readonly<Record<string, string>>;
  /** The request's method, when not GET or HEAD (OPTIONS has its own policy). */
  readonly method?: string;
}

/** Longest header value kept in evidence. */
export const MAX_EVIDENCE_VALUE_CHARS = 200;

const REDACTED = '[redacted]';

export function parseHeaderPolicy(vars: HeaderPolicyVars): HeaderPolicy {
  return {
    cacheControlSuccess: vars.CACHE_CONTROL_SUCCESS.trim(),
    cacheControlError: vars.CACHE_CONTROL_ERROR.trim(),
    disclosureDenylist: listOf(vars.DISCLOSURE_HEADER_DENYLIST).map((name) => name.toLowerCase()),
  };
}

/**
 * Cache-Control as a sorted list of directives: `Max-Age = 3600` and `max-age=3600` are
 * the same directive, and `public, max-age=1` equals `max-age=1,public`. Duplicates are
 * kept, so a repeated directive still differs from the policy.
 */
export function normaliseCacheControl(value: string): string[] {
  return splitList(value)
    .map((directive) => directive.toLowerCase().replace(/\s*=\s*/, '='))
    .sort();
}

export function checkResponseHeaders(
  response: ObservedResponse,
  policy: HeaderPolicy,
  now: Date,
  release?: string,
): Finding[] {
  const headers = lowercaseHeaders(response.headers);
  const findings: Finding[] = [];
  const cache = checkCachePolicy(response, headers, policy, now, release);
  if (cache) findings.push(cache);
  const disclosure = checkDisclosure(response, headers, policy, now, release);
  if (disclosure) findings.push(disclosure);
  return findings;
}

/**
 * May a redirect from `fromUrl` lead to `toUrl`? Compares `URL.host` (hostname and any
 * non-default port), so `nodejs.org.evil.com`, `nodejs.org@evil.com` and `nodejs.org:8443`
 * are all foreign to `nodejs.org`. A target with credentials in it is never allowed.
 */
export function isAllowedRedirect(
  fromUrl: string,
  toUrl: string,
  allowedHosts: readonly string[],
): boolean {
  const from = parseUrl(fromUrl);
  const to = parseUrl(toUrl);
  if (!from || !to) return false;
  // Never a downgrade: from https only to https. A plain-http site (a local fixture) may
  // redirect over http, but the host rules below still apply.
  const protocolOk =
    to.protocol === 'https:' || (to.protocol === 'http:' && from.protocol === 'http:');
  if (!protocolOk) return false;
  if (to.username !== '' || to.password !== '') return false;
  if (to.host === from.host) return true;
  return allowedHosts.some((host) => host.trim().toLowerCase() === to.host);
}

function checkCachePolicy(
  response: ObservedResponse,
  headers: Map<string, string>,
  policy: HeaderPolicy,
  now: Date,
  release: string | undefined,
): Finding | undefined {
  const responseClass = classifyResponse(response);
  const accepted = ACCEPTED_POLICIES[responseClass];
  const first = accepted.find((name): name is PolicyName => name !== 'absent');
  if (first === undefined) return undefined;
  const observed = headers.get('cache-control');
  const observedDirectives = observed === undefined ? [] : normaliseCacheControl(observed);
  const policyText = (name: PolicyName) =>
    name === 'success' ? policy.cacheControlSuccess : policy.cacheControlError;
  const matches = accepted.some((name) =>
    name === 'absent'
      ? observed === undefined
      : observed !== undefined &&
        sameList(normaliseCacheControl(policyText(name)), observedDirectives),
  );
  if (matches) return undefined;

  const expected = policyText(first);
  const expectedDirectives = normaliseCacheControl(expected);
  const subject = subjectOf(response.url);
  const isError = response.status >= 400;
  const cacheableError = isError && observed !== undefined && isCacheable(observedDirectives);
  return createFinding(
    {
      kind: 'cache-policy-violation',
      subject,
      summary:
        observed === undefined
          ? `${subject} (HTTP ${response.status}) has no Cache-Control header.`
          : cacheableError
            ? `${subject} (HTTP ${response.status}) is an error the edge may cache: its Cache-Control lets it be stored, so the error would be served for that long even after the file exists.`
            : `${subject} (HTTP ${response.status}) has a Cache-Control that differs from the ${first} policy.`,
      expected,
      observed: observed === undefined ? '(missing)' : truncate(observed),
      ...(release !== undefined && { release }),
      evidence: {
        url: response.url,
        status: response.status,
        ...(response.method !== undefined && { method: response.method }),
        responseClass,
        policy: first,
        accepted,
        cacheControl: observed === undefined ? null : truncate(observed),
        cacheableError,
        missingDirectives: difference(expectedDirectives, observedDirectives),
        unexpectedDirectives: difference(observedDirectives, expectedDirectives).map(truncate),
      },
    },
    now,
  );
}

function checkDisclosure(
  response: ObservedResponse,
  headers: Map<string, string>,
  policy: HeaderPolicy,
  now: Date,
  release: string | undefined,
): Finding | undefined {
  const offending = [...headers.keys()]
    .filter((name) => isForbiddenHeader(name, policy.disclosureDenylist))
    .sort();
  if (offending.length === 0) return undefined;

  const values: Record<string, string> = {};
  for (const name of offending) {
    const value = headers.get(name) ?? '';
    values[name] = name === 'set-cookie' ? redactSetCookie(value) : truncate(value);
  }
  const subject = subjectOf(response.url);
  return createFinding(
    {
      kind: 'header-disclosure',
      subject,
      summary: `${subject} (HTTP ${response.status}) sends forbidden headers: ${offending.join(', ')}.`,
      expected: 'no Set-Cookie and no denylisted headers',
      observed: offending.join(', '),
      ...(release !== undefined && { release }),
      evidence: { url: response.url, status: response.status, headers: offending, values },
    },
    now,
  );
}

/**
 * Set-Cookie always; otherwise a denylist entry names a header exactly, or ends in `*` to
 * name every header with that prefix (`x-amz-*` covers `x-amz-request-id`, `x-amz-meta-…`).
 */
export function isForbiddenHeader(name: string, denylist: readonly string[]): boolean {
  if (name === 'set-cookie') return true;
  return denylist.some((entry) =>
    entry.endsWith('*') ? name.startsWith(entry.slice(0, -1)) : name === entry,
  );
}

/**
 * Keeps each cookie's name and attributes (Path, Domain, HttpOnly...) for the post-mortem
 * and replaces its value. Several cookies may arrive joined by commas or newlines.
 */
export function redactSetCookie(value: string): string {
  const cookies = value
    .split(/\n|,(?=\s*[^;=,\s]+=)/)
    .map((cookie) => cookie.trim())
    .filter((cookie) => cookie !== '');
  const redacted = cookies.map((cookie) => {
    const [pair = '', ...attributes] = cookie.split(';');
    const eq = pair.indexOf('=');
    const name = eq === -1 ? '' : pair.slice(0, eq).trim();
    return [`${name}=${REDACTED}`, ...attributes.map((a) => a.trim())].join('; ');
  });
  return truncate(redacted.join(', '));
}

/**
 * The finding's subject is the URL without query or fragment: a cache-busting query string
 * must not turn one problem into a new incident every sweep. The full URL stays in evidence.
 */
function subjectOf(url: string): string {
  const parsed = parseUrl(url);
  if (!parsed) return url;
  parsed.search = '';
  parsed.hash = '';
  return parsed.href;
}

function lowercaseHeaders(headers: ObservedResponse['headers']): Map<string, string> {
  const map = new Map<string, string>();
  const entries: Iterable<[string, string]> =
    headers instanceof Headers ? headers.entries() : Object.entries(headers);
  for (const [name, value] of entries) {
    const key = name.toLowerCase();
    const previous = map.get(key);
    // Headers iterates each Set-Cookie separately; keep them all for redaction.
    map.set(key, previous === undefined ? value : `${previous}\n${value}`);
  }
  return map;
}

function listOf(value: string | readonly string[]): string[] {
  return typeof value === 'string'
    ? splitList(value)
    : value.map((item) => item.trim()).filter((item) => item !== '');
}

function splitList(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter((item) => item !== '');
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Items of `a` not matched in `b`, counting duplicates. */
function difference(a: readonly string[], b: readonly string[]): string[] {
  const remaining = [...b];
  return a.filter((item) => {
    const at = remaining.indexOf(item);
    if (at === -1) return true;
    remaining.splice(at, 1);
    return false;
  });
}

function truncate(value: string): string {
  return value.length <= MAX_EVIDENCE_VALUE_CHARS
    ? value
    : `${value.slice(0, MAX_EVIDENCE_VALUE_CHARS - 1)}…`;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}
