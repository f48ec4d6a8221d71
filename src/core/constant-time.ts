/**
 * Comparison that takes the same time wherever two values differ, so a signature check
 * does not tell an attacker how many leading bytes they guessed right.
 *
 * Contract: plain JavaScript, no runtime API, usable by receivers outside Workers. Only
 * the length of the inputs (public: every signature has the same length) may leak.
 */

export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= (a[i] ?? 0) ^ (b[i] ?? 0);
  return difference === 0;
}

export function constantTimeEqualText(a: string, b: string): boolean {
  const encoder = new TextEncoder();
  return constantTimeEqual(encoder.encode(a), encoder.encode(b));
}
