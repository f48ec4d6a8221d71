/**
 * The receivers of signed webhooks: ALERT_WEBHOOK_URLS, comma-separated.
 *
 * Contract: pure. Each URL must be https (http only for localhost, for local receivers);
 * a bad entry is skipped and reported by position, never by its text (a URL may carry a
 * token). Each receiver gets a channel name `webhook:<host>` that the outbox, timeline
 * and escalation targets use; a host that appears again gets `#2`, `#3`, … in order.
 */

export interface WebhookEndpoint {
  readonly name: string;
  readonly url: string;
}

export interface WebhookEndpoints {
  readonly endpoints: readonly WebhookEndpoint[];
  /** One line per skipped entry, safe to log. */
  readonly problems: readonly string[];
}

/** Hosts a plain-http alert endpoint may be on: this machine only (a local receiver). */
export const LOCAL_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);

export function parseWebhookEndpoints(raw: string | undefined): WebhookEndpoints {
  const endpoints: WebhookEndpoint[] = [];
  const problems: string[] = [];
  const perHost = new Map<string, number>();
  const entries = (raw ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const [index, entry] of entries.entries()) {
    let url: URL;
    try {
      url = new URL(entry);
    } catch {
      problems.push(`ALERT_WEBHOOK_URLS entry ${index + 1} is not a URL; skipped`);
      continue;
    }
    const secure =
      url.protocol === 'https:' || (url.protocol === 'http:' && LOCAL_HOSTS.has(url.hostname));
    if (!secure || url.username !== '' || url.password !== '') {
      problems.push(
        `ALERT_WEBHOOK_URLS entry ${index + 1} must be https without credentials; skipped`,
      );
      continue;
    }
    const seen = (perHost.get(url.host) ?? 0) + 1;
    perHost.set(url.host, seen);
    endpoints.push({
      name: seen === 1 ? `webhook:${url.host}` : `webhook:${url.host}#${seen}`,
      url: url.toString(),
    });
  }
  return { endpoints, problems };
}
