/**
 * One HTTP delivery attempt of an alert, as every channel makes it: POST with a deadline,
 * no redirects followed, and the answer classified as a `DeliveryOutcome` the outbox acts
 * on. 2xx delivered; 429, 408, 5xx, a network error or the deadline → retry (honouring
 * `Retry-After`); the channel's "gone" statuses → disabled; any other status → failed.
 * Details are redacted with the channel's secrets, so a URL's secret path, query or a
 * signing secret never reaches the timeline or a log.
 */
import type { DeliveryOutcome } from '../core/alerts';
import { parseRetryAfter } from '../core/retry-after';
import { redactSecrets } from '../core/secret-redaction';

/** What a channel needs to post: injectable for tests. */
export interface DeliveryTransport {
  /** Late-bound by default, so a spy on `globalThis.fetch` sees every request. */
  readonly fetch: typeof fetch;
  /** Epoch milliseconds. */
  readonly now: () => number;
  /** Per attempt, headers and body included. */
  readonly timeoutMs: number;
}

export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

export function defaultDeliveryTransport(): DeliveryTransport {
  return {
    fetch: (input, init) => fetch(input, init),
    now: () => Date.now(),
    timeoutMs: DEFAULT_DELIVERY_TIMEOUT_MS,
  };
}

export interface DeliveryPolicy {
  /** Statuses meaning the endpoint is gone for good (e.g. 410). */
  readonly disableOn: readonly number[];
  /** Whether the response body may be quoted (the service's own error codes). */
  readonly quoteBody: boolean;
  /** Every secret this channel holds, for redaction. */
  readonly secrets: readonly string[];
}

class DeliveryTimeout extends Error {
  override readonly name = 'DeliveryTimeout';
}

export async function postAlert(
  url: string,
  init: { readonly headers: Record<string, string>; readonly body: string },
  transport: DeliveryTransport,
  policy: DeliveryPolicy,
): Promise<DeliveryOutcome> {
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const timeout = new DeliveryTimeout(`no answer within ${transport.timeoutMs} ms`);
      controller.abort(timeout);
      reject(timeout);
    }, transport.timeoutMs);
  });
  try {
    // The race also ends a request whose fetch ignores the abort signal.
    const response = await Promise.race([
      transport.fetch(url, {
        method: 'POST',
        headers: init.headers,
        body: init.body,
        redirect: 'manual',
        signal: controller.signal,
      }),
      deadline,
    ]);
    const snippet = await Promise.race([readSnippet(response, policy), deadline]);
    return classify(response, snippet, transport, policy);
  } catch (error) {
    if (error instanceof DeliveryTimeout)
      return { kind: 'retry', detail: `timed out: ${error.message}` };
    const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    return { kind: 'retry', detail: `network error: ${redactSecrets(text, policy.secrets, 200)}` };
  } finally {
    clearTimeout(timer);
    deadline.catch(() => undefined);
  }
}

function classify(
  response: Response,
  snippet: string,
  transport: DeliveryTransport,
  policy: DeliveryPolicy,
): DeliveryOutcome {
  const status = response.status;
  const detail = `HTTP ${status}${snippet === '' ? '' : `: ${snippet}`}`;
  if (status >= 200 && status < 300) return { kind: 'delivered', detail };
  if (status === 429 || status === 408 || status >= 500) {
    const retryAfterMs = parseRetryAfter(
      response.headers.get('retry-after'),
      new Date(transport.now()),
    );
    return { kind: 'retry', detail, ...(retryAfterMs !== undefined && { retryAfterMs }) };
  }
  if (policy.disableOn.includes(status)) return { kind: 'disabled', detail };
  return { kind: 'failed', detail };
}

/** Up to 200 redacted characters of the body when the policy allows; the body is always consumed. */
async function readSnippet(response: Response, policy: DeliveryPolicy): Promise<string> {
  try {
    const text = await response.text();
    return policy.quoteBody ? redactSecrets(text.trim(), policy.secrets, 200) : '';
  } catch {
    return '';
  }
}
