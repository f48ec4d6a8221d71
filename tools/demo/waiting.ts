/**
 * Bounded waiting: every wait in the demo and the end-to-end tests has a deadline and says,
 * when it runs out, what it was waiting for and what it last saw.
 */

export class WaitTimeoutError extends Error {
  override readonly name = 'WaitTimeoutError';
}

export interface WaitOptions {
  readonly timeoutMs: number;
  readonly intervalMs?: number;
}

/**
 * Calls `probe` until it returns something other than `undefined`, and returns that. A
 * probe that throws counts as "not yet"; its last error is reported on timeout.
 */
export async function waitUntil<T>(
  description: string,
  probe: () => Promise<T | undefined>,
  options: WaitOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  const interval = options.intervalMs ?? 250;
  let lastError: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() + interval > deadline) break;
    await sleep(interval);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new WaitTimeoutError(
    `gave up waiting for ${description} after ${options.timeoutMs / 1000} s${why}`,
    { cause: lastError },
  );
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
