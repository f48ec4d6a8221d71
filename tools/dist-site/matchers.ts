/**
 * Matchers the attacks select requests with: path patterns (`*` stands for any run of
 * characters, `/` included; everything else is literal) and audience rules (which requests
 * look like the monitor's).
 */
import { DistSiteError } from './errors.ts';
import type { AudienceRule } from './types.ts';

/** The header every subrequest of a Cloudflare Worker carries, `wrangler dev` included. */
export const MONITOR_HEADER = 'cf-worker';

/** The default audience rule: the request carries `cf-worker`. */
export const DEFAULT_MONITOR_AUDIENCE: AudienceRule = { header: MONITOR_HEADER };

/** `/dist/x`, `dist/x`, `/x` and `x` all name the site path `x`. */
export function normalisePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^dist\//, '');
}

/** A path pattern as a predicate over site paths (`v24.11.1/SHASUMS256.txt`, `index.json`). */
export function compilePathPattern(pattern: string): (path: string) => boolean {
  const normalised = normalisePath(pattern);
  if (!normalised.includes('*')) return (path) => path === normalised;
  const source = normalised
    .split('*')
    .map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (path) => regex.test(path);
}

/** An audience rule as a predicate over requests; throws on a pattern that does not compile. */
export function compileAudienceRule(rule: AudienceRule): (request: Request) => boolean {
  const header = rule.header.toLowerCase();
  if (rule.pattern === undefined) return (request) => request.headers.has(header);
  let regex: RegExp;
  try {
    regex = new RegExp(rule.pattern);
  } catch (error) {
    throw new DistSiteError(`audience pattern /${rule.pattern}/ is not a regular expression`, {
      cause: error,
    });
  }
  return (request) => {
    const value = request.headers.get(header);
    return value !== null && regex.test(value);
  };
}
