/**
 * Verifying that a request came from Slack (https://api.slack.com/authentication/verifying-requests-from-slack):
 * `X-Slack-Signature: v0=<hex HMAC-SHA256 of "v0:{timestamp}:{raw body}">` keyed with the
 * app's signing secret, and `X-Slack-Request-Timestamp` within five minutes of now.
 *
 * Contract: pure (WebCrypto, `now` passed in). Accepts any of the configured secrets (two
 * during a rotation); compares in constant time; refuses timestamps more than the
 * tolerance in the past or in the future. Replays inside the window are the caller's to
 * refuse (it remembers signatures it accepted). Never returns a secret.
 */
import { constantTimeEqual } from './constant-time';
import { err, ok, type Result } from './result';

export const SLACK_TIMESTAMP_TOLERANCE_SECONDS = 5 * 60;

export type SlackSignatureError =
  'not-configured' | 'missing-headers' | 'invalid-timestamp' | 'stale-timestamp' | 'bad-signature';

export interface SlackSignatureInput {
  /** SLACK_SIGNING_SECRET: one secret, or several space-separated. */
  readonly secrets: string | undefined;
  readonly timestamp: string | undefined;
  readonly signature: string | undefined;
  readonly rawBody: string;
  readonly now: Date;
}

export function parseSlackSigningSecrets(raw: string | undefined): string[] {
  return (raw ?? '').split(/\s+/).filter((secret) => secret !== '');
}

export async function verifySlackSignature(
  input: SlackSignatureInput,
): Promise<Result<{ readonly timestamp: number }, SlackSignatureError>> {
  const secrets = parseSlackSigningSecrets(input.secrets);
  if (secrets.length === 0) return err('not-configured');
  if (!input.timestamp || !input.signature) return err('missing-headers');
  if (!/^\d{1,12}$/.test(input.timestamp)) return err('invalid-timestamp');
  const timestamp = Number(input.timestamp);
  const nowSeconds = Math.floor(input.now.getTime() / 1000);
  if (Math.abs(nowSeconds - timestamp) > SLACK_TIMESTAMP_TOLERANCE_SECONDS) {
    return err('stale-timestamp');
  }
  const presented = parseHexSignature(input.signature);
  if (presented === undefined) return err('bad-signature');
  const base = new TextEncoder().encode(`v0:${input.timestamp}:${input.rawBody}`);
  let matched = false;
  for (const secret of secrets) {
    // Every secret is tried, so timing does not say which one matched.
    matched = constantTimeEqual(await hmacSha256(secret, base), presented) || matched;
  }
  return matched ? ok({ timestamp }) : err('bad-signature');
}

/** Signs like Slack does: for tests and for local tools that imitate Slack. */
export async function signSlackRequest(
  secret: string,
  timestamp: string,
  rawBody: string,
): Promise<string> {
  const base = new TextEncoder().encode(`v0:${timestamp}:${rawBody}`);
  return `v0=${toHex(await hmacSha256(secret, base))}`;
}

async function hmacSha256(secret: string, data: Uint8Array): Promise<Uint8Array> {
  const key = await crypto.subtle.importKey(
    'raw',
    new TextEncoder().encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  return new Uint8Array(await crypto.subtle.sign('HMAC', key, data));
}

function parseHexSignature(value: string): Uint8Array | undefined {
  const match = /^v0=([0-9a-f]{64})$/.exec(value);
  if (match === null || match[1] === undefined) return undefined;
  const hex = match[1];
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i += 1) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
