/**
 * Ids for the Atom feed that hold for life (RFC 4287 §4.2.6) and reveal nothing: an entry's
 * id is `urn:uuid:` of an HMAC-SHA256 of its incident id under a random key made once per
 * deployment (MonitorState.feedKey). The incident id never changes (it derives from the
 * finding's fingerprint), so the entry keeps its id through acknowledgement, disclosure,
 * resolution and reopening, and two incidents never share one; without the key, nobody can
 * check a guessed URL against the id of an undisclosed incident.
 */
import type { MonitorEnv } from '../env';
import { monitorStateStub } from '../durable/monitor-state';

export interface FeedIds {
  readonly feed: string;
  entry(incidentId: string): Promise<string>;
}

async function hmacKey(hexKey: string): Promise<CryptoKey> {
  const bytes = Uint8Array.from(hexKey.match(/../g) ?? [], (pair) => parseInt(pair, 16));
  return crypto.subtle.importKey('raw', bytes, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

/** A name-based UUID (version 8, RFC 9562) from the first 16 bytes of a MAC. */
function uuidOf(mac: ArrayBuffer): string {
  const bytes = new Uint8Array(mac.slice(0, 16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x80;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = [...bytes].map((byte) => byte.toString(16).padStart(2, '0')).join('');
  return `urn:uuid:${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The feed's ids under a given key (hex); `loadFeedIds` reads the deployment's. */
export async function feedIdsFor(hexKey: string): Promise<FeedIds> {
  const key = await hmacKey(hexKey);
  const mac = (text: string) => crypto.subtle.sign('HMAC', key, new TextEncoder().encode(text));
  return {
    feed: uuidOf(await mac('atom-feed')),
    entry: async (incidentId) => uuidOf(await mac(`atom-entry:${incidentId}`)),
  };
}

export async function loadFeedIds(env: Pick<MonitorEnv, 'MONITOR_STATE'>): Promise<FeedIds> {
  return feedIdsFor(await monitorStateStub(env).feedKey());
}
