/**
 * SHA-256 of in-memory data as lowercase hex, the form manifests and pins use.
 *
 * Contract: WebCrypto only (a global in Workers, Node and browsers), so the core stays
 * free of runtime imports. Strings are hashed as their UTF-8 bytes. Large artifacts are
 * not hashed here: they stream through `crypto.DigestStream` in an adapter.
 */

export async function sha256Hex(data: string | Uint8Array | ArrayBuffer): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const digest = await crypto.subtle.digest('SHA-256', bytes);
  return toHex(new Uint8Array(digest));
}

function toHex(bytes: Uint8Array): string {
  let hex = '';
  for (const byte of bytes) hex += byte.toString(16).padStart(2, '0');
  return hex;
}
