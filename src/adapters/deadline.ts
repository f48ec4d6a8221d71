/**
 * A time limit for one HTTP attempt, covering the response headers and the whole body.
 * `race` never throws: it settles to the value, the error, or `timeout`, so callers can
 * turn each into a typed result. Aborting the signal cancels a real fetch; racing also
 * ends the wait when a fake or stalled promise would never settle.
 */

/** How a raced promise ended. */
export type Settled<T> =
  | { readonly kind: 'value'; readonly value: T }
  | { readonly kind: 'error'; readonly error: unknown }
  | { readonly kind: 'timeout' };

export interface Deadline {
  /** Passed to fetch so that the platform stops the request when time is up. */
  readonly signal: AbortSignal;
  race<T>(promise: Promise<T>): Promise<Settled<T>>;
  /** Stops the timer; call when the attempt is over, however it ended. */
  clear(): void;
}

export function startDeadline(timeoutMs: number): Deadline {
  const controller = new AbortController();
  let expire: () => void = () => {};
  const expired = new Promise<{ kind: 'timeout' }>((resolve) => {
    expire = () => resolve({ kind: 'timeout' });
  });
  const timer = setTimeout(() => {
    expire();
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);

  return {
    signal: controller.signal,
    race<T>(promise: Promise<T>): Promise<Settled<T>> {
      const settled = promise.then(
        (value): Settled<T> => ({ kind: 'value', value }),
        (error: unknown): Settled<T> =>
          controller.signal.aborted ? { kind: 'timeout' } : { kind: 'error', error },
      );
      return Promise.race([settled, expired]);
    },
    clear() {
      clearTimeout(timer);
    },
  };
}
