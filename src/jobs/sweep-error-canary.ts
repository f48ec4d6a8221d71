/**
 * The error canary: one request per sweep for a path that is never published
 * (core/header-policy.ts, ERROR_CANARY_PATH). Its 404 goes through the header policy like
 * every other answer, which wants the error policy: a 404 the edge may cache (the success
 * policy, as the release worker's origin fallback sends it) is a `cache-policy-violation`
 * on the canary URL — seen before a new release's files stay "missing" for `s-maxage`.
 */
import { errorCanaryUrl } from '../core/response-classes';
import { canRequest, observeError, observeResponse, type SweepContext } from './sweep-context';

export async function sweepErrorCanary(ctx: SweepContext): Promise<void> {
  if (!canRequest(ctx, 'error canary')) return;
  const result = await ctx.client.head(errorCanaryUrl(ctx.config.DIST_BASE_URL));
  if (result.ok) observeResponse(ctx, result.value);
  else observeError(ctx, result.error);
}
