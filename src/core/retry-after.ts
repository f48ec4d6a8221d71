/**
 * `Retry-After` (RFC 9110 §10.2.3): delay-seconds or an HTTP-date, as milliseconds from
 * `now`. Used when a channel answers 429 or 503, so the outbox waits at least that long.
 *
 * Contract: `undefined` for a missing or malformed value; never negative; capped at a day
 * so a hostile or broken header cannot park an alert forever.
 */

const MAX_RETRY_AFTER_MS = 24 * 60 * 60_000;

export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  let ms: number;
  if (/^\d+$/.test(text)) ms = Number(text) * 1000;
  else {
    const date = Date.parse(text);
    if (Number.isNaN(date) || !/[A-Za-z]/.test(text)) return undefined;
    ms = date - now.getTime();
  }
  return Math.min(Math.max(0, ms), MAX_RETRY_AFTER_MS);
}
