/**
 * Rate limits. The mutating routes: a fixed window per client IP (`cf-connecting-ip`)
 * checked before authentication, so guessing tokens is slow too, and one per operator
 * token after it. Every route that takes a token, read-only ones included: failed
 * authentications per client IP, and past the limit every attempt from that IP is refused
 * (right token or not) until the window ends. The counters live in MonitorState (one
 * object, so one count across every isolate); see src/durable/rate-window.ts.
 */
import { monitorStateStub } from '../durable/monitor-state';
import type { MonitorEnv } from '../env';
import { HttpProblem } from './problem';

export interface RateLimitPolicy {
  /** Requests allowed per window, per client IP and per token. */
  readonly limit: number;
  readonly windowMs: number;
}

export const MUTATION_RATE_LIMIT: RateLimitPolicy = { limit: 30, windowMs: 60_000 };

/** Failed authentications per client IP, on every route that takes an operator token. */
export const AUTH_FAILURE_LIMIT: RateLimitPolicy = { limit: 30, windowMs: 60_000 };

/** The client's address as Cloudflare reports it; one shared bucket when absent (local runs). */
export function clientIpOf(request: Request): string {
  return request.headers.get('cf-connecting-ip')?.trim().slice(0, 64) || 'unknown';
}

/** Counts one request against `key`; throws a 429 problem with Retry-After when over. */
export async function enforceRateLimit(
  env: Pick<MonitorEnv, 'MONITOR_STATE'>,
  key: string,
  policy: RateLimitPolicy,
  now: Date,
): Promise<void> {
  const decision = await monitorStateStub(env).hitRateLimit(
    key,
    policy.limit,
    policy.windowMs,
    now.getTime(),
  );
  if (decision.allowed) return;
  throw new HttpProblem(
    'rate-limited',
    `At most ${policy.limit} changes per ${Math.round(policy.windowMs / 1000)} s are accepted from one client and one token.`,
    { 'retry-after': String(decision.retryAfterSeconds) },
  );
}

/**
 * Counts one authentication attempt of the client (`failed` when the token did not
 * authenticate); throws a 429 problem with Retry-After while the client is over the
 * failure limit, before the outcome of this attempt shows.
 */
export async function enforceAuthLimit(
  env: Pick<MonitorEnv, 'MONITOR_STATE'>,
  request: Request,
  failed: boolean,
  now: Date,
  policy: RateLimitPolicy = AUTH_FAILURE_LIMIT,
): Promise<void> {
  const decision = await monitorStateStub(env).authAttempt(
    `auth-ip:${clientIpOf(request)}`,
    failed,
    policy.limit,
    policy.windowMs,
    now.getTime(),
  );
  if (decision.allowed) return;
  throw new HttpProblem(
    'rate-limited',
    `At most ${policy.limit} failed authentications per ${Math.round(policy.windowMs / 1000)} s are accepted from one client.`,
    { 'retry-after': String(decision.retryAfterSeconds) },
  );
}
