/**
 * Keeping secrets out of what the monitor writes down: delivery details in the timeline,
 * logs, errors and Sentry breadcrumbs.
 *
 * Contract: a webhook URL is a secret as a whole (Slack's path is the credential; a
 * receiver may put a token in its path or query), so only its origin may be shown. Any
 * text that might echo a secret (an exception message, a response body) goes through
 * `redactSecrets` with every secret the caller holds, and is cut short.
 */

const REDACTED = '[redacted]';

/** The origin of a URL (`https://hooks.slack.com`), never its path or query. */
export function safeOrigin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '(invalid URL)';
  }
}

/**
 * Replaces every occurrence of each secret, and of a secret URL's path and query, with
 * `[redacted]`, then cuts the text to `maxLength` characters.
 */
export function redactSecrets(text: string, secrets: readonly string[], maxLength = 300): string {
  let redacted = text;
  for (const fragment of secretFragments(secrets)) {
    redacted = redacted.split(fragment).join(REDACTED);
  }
  redacted = redacted.replace(/[\r\n]+/g, ' ');
  return redacted.length > maxLength ? `${redacted.slice(0, maxLength - 1)}…` : redacted;
}

/** Each secret, and for URLs also their path + query (what identifies them), longest first. */
function secretFragments(secrets: readonly string[]): string[] {
  const fragments = new Set<string>();
  for (const secret of secrets) {
    // Short strings would redact ordinary words; real secrets are long.
    if (secret.length < 8) continue;
    fragments.add(secret);
    try {
      const url = new URL(secret);
      const tail = `${url.pathname}${url.search}`;
      if (tail.length >= 8) fragments.add(tail);
      if (url.search.length >= 8) fragments.add(url.search);
      // Encoded forms also turn up in error messages.
      fragments.add(encodeURIComponent(secret));
    } catch {
      // not a URL: the secret itself is enough
    }
  }
  return [...fragments].sort((a, b) => b.length - a.length);
}
