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
  // Waiters are removed as soon as their promise settles: racing against one long-lived
  // `expired` promise would keep every settled value (every body chunk) reachable until the
  // attempt ends, so a large download would hold its whole body in memory.
  const waiters = new Set<() => void>();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    for (const wake of waiters) wake();
    waiters.clear();
    controller.abort(new DOMException(`timed out after ${timeoutMs} ms`, 'TimeoutError'));
  }, timeoutMs);

  return {
    signal: controller.signal,
    race<T>(promise: Promise<T>): Promise<Settled<T>> {
      if (timedOut) {
        promise.catch(() => {});
        return Promise.resolve({ kind: 'timeout' });
      }
      return new Promise<Settled<T>>((resolve) => {
        const wake = () => resolve({ kind: 'timeout' });
        waiters.add(wake);
        promise.then(
          (value) => {
            waiters.delete(wake);
            resolve({ kind: 'value', value });
          },
          (error: unknown) => {
            waiters.delete(wake);
            resolve(controller.signal.aborted ? { kind: 'timeout' } : { kind: 'error', error });
          },
        );
      });
    },
    clear() {
      clearTimeout(timer);
    },
  };
}
