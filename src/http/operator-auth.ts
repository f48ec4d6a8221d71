/**
 * Operator authentication: `Authorization: Bearer <token>` against OPERATOR_TOKENS
 * (`name:token,name:token`). The presented token and every configured token are hashed
 * with SHA-256 and the digests compared with `crypto.subtle.timingSafeEqual`, over all
 * configured tokens without an early exit, so neither the comparison nor the position of
 * the match shows in the timing. The token name becomes the actor (`operator:<name>`)
 * that the incident timeline records. A failure never says why. Every attempt is counted
 * per client IP (src/http/rate-limit.ts): past 30 failures a minute, that client's attempts
 * are refused with 429 whatever token they carry.
 */
import type { MiddlewareHandler } from 'hono';
import type { MonitorEnv } from '../env';
import { HttpProblem } from './problem';
import { enforceAuthLimit } from './rate-limit';

/** An authenticated operator, as the timeline names them. */
export interface Operator {
  readonly name: string;
  readonly actor: `operator:${string}`;
}

/** Set on the context by `identifyOperator` / `requireOperator`. */
export type OperatorVariables = { operator: Operator | undefined };

/** Token names become timeline actors, so they follow the actor grammar (core/incident.ts). */
const TOKEN_NAME = /^[A-Za-z0-9._@+-]{1,100}$/;
/** Longer presented tokens are refused before hashing; no real token is this long. */
const MAX_TOKEN_LENGTH = 512;

export interface ConfiguredToken {
  readonly name: string;
  readonly token: string;
}

/**
 * Parses OPERATOR_TOKENS: `name:token` entries separated by commas or newlines. An entry
 * without a colon is an unnamed token, acting as `operator-<n>` (its place in the list), so
 * a plain list of tokens still works. Malformed entries (bad name, empty or overlong token)
 * are skipped.
 */
export function parseOperatorTokens(raw: string | undefined): ConfiguredToken[] {
  if (raw === undefined) return [];
  const tokens: ConfiguredToken[] = [];
  const entries = raw
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  entries.forEach((entry, index) => {
    const separator = entry.indexOf(':');
    const name = separator === -1 ? `operator-${index + 1}` : entry.slice(0, separator).trim();
    const token = (separator === -1 ? entry : entry.slice(separator + 1)).trim();
    if (TOKEN_NAME.test(name) && token.length > 0 && token.length <= MAX_TOKEN_LENGTH) {
      tokens.push({ name, token });
    }
  });
  return tokens;
}

async function sha256(text: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
}

/** The presented bearer token, or `undefined` when the header is absent or not Bearer. */
export function bearerTokenOf(header: string | undefined): string | undefined {
  if (header === undefined) return undefined;
  const match = /^Bearer[ ]+([^\s]+)\s*$/i.exec(header);
  const token = match?.[1];
  return token !== undefined && token.length <= MAX_TOKEN_LENGTH ? token : undefined;
}

/** The operator a token belongs to, or `undefined`; constant-time over all configured tokens. */
export async function authenticateOperator(
  presented: string,
  configured: readonly ConfiguredToken[],
): Promise<Operator | undefined> {
  const presentedHash = await sha256(presented);
  let match: string | undefined;
  for (const candidate of configured) {
    const equal = crypto.subtle.timingSafeEqual(presentedHash, await sha256(candidate.token));
    // No early exit: every configured token is hashed and compared whatever matched.
    if (equal && match === undefined) match = candidate.name;
  }
  return match === undefined ? undefined : { name: match, actor: `operator:${match}` };
}

export function unauthorized(): HttpProblem {
  return new HttpProblem('unauthorized', 'A valid operator bearer token is required.', {
    'www-authenticate': 'Bearer realm="dist-integrity-monitor"',
  });
}

/** The operator the request's Authorization header names, or `undefined`. */
export async function operatorFromHeader(
  header: string | undefined,
  env: Pick<MonitorEnv, 'OPERATOR_TOKENS'>,
): Promise<Operator | undefined> {
  const token = bearerTokenOf(header);
  if (token === undefined) return undefined;
  return authenticateOperator(token, parseOperatorTokens(env.OPERATOR_TOKENS));
}

export interface AuthOptions {
  /** The clock of the failed-authentication windows. */
  readonly now?: () => Date;
}

/**
 * The request's operator, counted against the client's failed-authentication limit: a 429
 * while over it, a 401 for a token that does not authenticate.
 */
export async function authenticateRequest(
  request: Request,
  env: Pick<MonitorEnv, 'OPERATOR_TOKENS' | 'MONITOR_STATE'>,
  now: Date,
): Promise<Operator> {
  const operator = await operatorFromHeader(request.headers.get('authorization') ?? undefined, env);
  await enforceAuthLimit(env, request, operator === undefined, now);
  if (operator === undefined) throw unauthorized();
  return operator;
}

/**
 * For public routes that show operators more: no Authorization header means the public
 * view; a header that does not authenticate is a 401 (a mistyped token should not quietly
 * show the redacted view to the operator who sent it).
 */
export function identifyOperator(options: AuthOptions = {}): MiddlewareHandler<{
  Bindings: MonitorEnv;
  Variables: OperatorVariables;
}> {
  const now = options.now ?? (() => new Date());
  return async (c, next) => {
    if (c.req.header('authorization') === undefined) {
      c.set('operator', undefined);
      return next();
    }
    c.set('operator', await authenticateRequest(c.req.raw, c.env, now()));
    return next();
  };
}

/** For operator-only routes: 401 with `WWW-Authenticate: Bearer`, the same whatever the reason. */
export function requireOperator(options: AuthOptions = {}): MiddlewareHandler<{
  Bindings: MonitorEnv;
  Variables: OperatorVariables;
}> {
  const now = options.now ?? (() => new Date());
  return async (c, next) => {
    c.set('operator', await authenticateRequest(c.req.raw, c.env, now()));
    return next();
  };
}
