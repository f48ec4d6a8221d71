/**
 * Headers every response carries, errors included: HSTS, no sniffing, no framing, no
 * referrer, and a Content-Security-Policy that allows nothing unless the route set a
 * stricter-but-specific one (the status page allows its own stylesheet by hash). CORS is
 * opened only on the read-only JSON routes, without credentials.
 */
import type { MiddlewareHandler } from 'hono';

/** Nothing may load, frame, submit or set a base: right for JSON, SVG and feeds. */
export const DEFAULT_CSP =
  "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const FIXED_HEADERS: Readonly<Record<string, string>> = {
  'strict-transport-security': 'max-age=63072000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-opener-policy': 'same-origin',
  'permissions-policy': 'camera=(), microphone=(), geolocation=()',
};

export function securityHeaders(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of Object.entries(FIXED_HEADERS)) headers.set(name, value);
    if (!headers.has('content-security-policy'))
      headers.set('content-security-policy', DEFAULT_CSP);
    // Responses differ for operators; no shared cache may hand one to the public.
    headers.append('vary', 'Authorization');
    headers.delete('x-powered-by');
    headers.delete('server');
  };
}

/** `Access-Control-Allow-Origin: *` for public, read-only JSON: no credentials, no preflight. */
export function readOnlyCors(): MiddlewareHandler {
  return async (c, next) => {
    await next();
    c.res.headers.set('access-control-allow-origin', '*');
  };
}
