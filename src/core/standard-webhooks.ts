/**
 * Signing and verifying webhooks per the Standard Webhooks specification
 * (https://www.standardwebhooks.com/): headers `webhook-id`, `webhook-timestamp` (unix
 * seconds) and `webhook-signature`, a space-separated list of `v1,<base64 HMAC-SHA256>` of
 * `{id}.{timestamp}.{body}`, keyed with the base64-decoded part of a `whsec_` secret.
 *
 * Contract: pure (WebCrypto only, `now` passed in) so receivers can copy
 * `verifyStandardWebhook`. Several secrets sign with one signature each (rotation);
 * verification accepts any signature that matches any secret, compares in constant time,
 * and refuses timestamps outside the tolerance (replays). Receivers should also refuse a
 * `webhook-id` they already processed. Never returns or throws a secret.
 */
import { constantTimeEqual } from './constant-time';
import { err, ok, type Result } from './result';

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** Signatures older or newer than this are refused (the spec's recommendation). */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

/** The spec asks for keys of 24 to 64 bytes. */
const MIN_KEY_BYTES = 24;
const MAX_KEY_BYTES = 64;

export interface WebhookSecretError {
  readonly kind: 'invalid-webhook-secret';
  /** Which secret (1-based) and why; never the secret itself. */
  readonly detail: string;
}

/**
 * Parses one or more space-separated `whsec_<base64>` secrets (two during a rotation) into
 * signing keys. A secret without the prefix is read as base64, as the reference libraries
 * read it; one that is not base64 is refused (the channel is off, with a configuration
 * message), because a receiver using a reference library could never verify what it signs.
 */
export function parseWebhookSecrets(
  raw: string | undefined,
): Result<readonly Uint8Array[], WebhookSecretError> {
  const parts = (raw ?? '').split(/\s+/).filter((part) => part !== '');
  if (parts.length === 0) return err({ kind: 'invalid-webhook-secret', detail: 'no secret set' });
  const keys: Uint8Array[] = [];
  for (const [index, part] of parts.entries()) {
    const prefixed = part.startsWith(WEBHOOK_SECRET_PREFIX);
    const key = decodeBase64(prefixed ? part.slice(WEBHOOK_SECRET_PREFIX.length) : part);
    if (key === undefined || key.length < MIN_KEY_BYTES || key.length > MAX_KEY_BYTES) {
      return err({
        kind: 'invalid-webhook-secret',
        detail: `secret ${index + 1} is not whsec_ followed by base64 of ${MIN_KEY_BYTES} to ${MAX_KEY_BYTES} bytes${
          prefixed ? '' : ' (without whsec_ it must still be base64, as receivers read it)'
        }`,
      });
    }
    keys.push(key);
  }
  return ok(keys);
}

/** What is signed: one delivery of one message. */
export interface WebhookMessage {
  /** Stable across retries of the same message, so receivers can deduplicate. */
  readonly id: string;
  /** Unix seconds of this attempt. */
  readonly timestamp: number;
  /** The exact bytes sent, as text. */
  readonly body: string;
}

/** `v1,<sig>` per key, space-separated. */
export async function signStandardWebhook(
  message: WebhookMessage,
  keys: readonly Uint8Array[],
): Promise<string> {
  const signatures: string[] = [];
  for (const key of keys) signatures.push(`v1,${encodeBase64(await hmac(key, message))}`);
  return signatures.join(' ');
}

/** The three headers of a signed delivery. */
export async function standardWebhookHeaders(
  message: WebhookMessage,
  keys: readonly Uint8Array[],
): Promise<Record<'webhook-id' | 'webhook-timestamp' | 'webhook-signature', string>> {
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(message.timestamp),
    'webhook-signature': await signStandardWebhook(message, keys),
  };
}

export type WebhookVerifyError =
  | { readonly kind: 'invalid-secret'; readonly detail: string }
  | { readonly kind: 'missing-header'; readonly header: string }
  | { readonly kind: 'invalid-timestamp' }
  | { readonly kind: 'timestamp-too-old' }
  | { readonly kind: 'timestamp-too-new' }
  | { readonly kind: 'no-matching-signature' };

export interface VerifyWebhookInput {
  /** `whsec_…`, or several space-separated during a rotation. */
  readonly secret: string;
  readonly headers: Headers | Readonly<Record<string, string | undefined>>;
  /** The raw body, exactly as received (before any JSON parsing). */
  readonly body: string;
  readonly now: Date;
  readonly toleranceSeconds?: number;
}

/** Verifies a delivery as a receiver would; returns its id and timestamp when genuine. */
export async function verifyStandardWebhook(
  input: VerifyWebhookInput,
): Promise<Result<{ readonly id: string; readonly timestamp: number }, WebhookVerifyError>> {
  const keys = parseWebhookSecrets(input.secret);
  if (!keys.ok) return err({ kind: 'invalid-secret', detail: keys.error.detail });
  const header = (name: string): string | undefined =>
    input.headers instanceof Headers ? (input.headers.get(name) ?? undefined) : input.headers[name];
  const id = header('webhook-id');
  const timestampText = header('webhook-timestamp');
  const signatureList = header('webhook-signature');
  if (!id) return err({ kind: 'missing-header', header: 'webhook-id' });
  if (!timestampText) return err({ kind: 'missing-header', header: 'webhook-timestamp' });
  if (!signatureList) return err({ kind: 'missing-header', header: 'webhook-signature' });
  if (!/^\d{1,12}$/.test(timestampText)) return err({ kind: 'invalid-timestamp' });
  const timestamp = Number(timestampText);
  const tolerance = input.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor(input.now.getTime() / 1000);
  if (timestamp < nowSeconds - tolerance) return err({ kind: 'timestamp-too-old' });
  if (timestamp > nowSeconds + tolerance) return err({ kind: 'timestamp-too-new' });

  const presented = signatureList
    .split(' ')
    .filter((entry) => entry.startsWith('v1,'))
    .map((entry) => decodeBase64(entry.slice(3)))
    .filter((bytes): bytes is Uint8Array => bytes !== undefined);
  const message = { id, timestamp, body: input.body };
  let matched = false;
  for (const key of keys.value) {
    const expected = await hmac(key, message);
    // Every pair is compared, so timing does not say which one matched.
    for (const signature of presented) matched = constantTimeEqual(expected, signature) || matched;
  }
  return matched ? ok({ id, timestamp }) : err({ kind: 'no-matching-signature' });
}

async function hmac(key: Uint8Array, message: WebhookMessage): Promise<Uint8Array> {
  const cryptoKey = await crypto.subtle.importKey(
    'raw',
    key,
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const content = new TextEncoder().encode(`${message.id}.${message.timestamp}.${message.body}`);
  return new Uint8Array(await crypto.subtle.sign('HMAC', cryptoKey, content));
}

function encodeBase64(bytes: Uint8Array): string {
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** Strict base64 (standard alphabet, padding optional); `undefined` when malformed. */
function decodeBase64(text: string): Uint8Array | undefined {
  if (text === '' || !/^[A-Za-z0-9+/]+={0,2}$/.test(text)) return undefined;
  try {
    const binary = atob(text);
    return Uint8Array.from(binary, (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}
