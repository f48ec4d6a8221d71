/**
 * Fixed-window request counters for the operator routes, kept in MonitorState's memory:
 * the object is a singleton, so the counts hold across every isolate and colo. They are
 * not persisted: an eviction only starts fresh windows, which errs towards letting an
 * operator act. Expired windows are dropped as the map grows.
 */

export interface RateDecision {
  readonly allowed: boolean;
  readonly limit: number;
  readonly remaining: number;
  /** Seconds until the window resets (at least 1). */
  readonly retryAfterSeconds: number;
}

/** Windows kept before expired ones are swept out. */
const SWEEP_AT = 10_000;

export class RateWindows {
  private readonly windows = new Map<string, { start: number; count: number }>();

  /** Counts one request for `key` and says whether it is within `limit` per `windowMs`. */
  hit(key: string, limit: number, windowMs: number, nowMs: number): RateDecision {
    if (this.windows.size >= SWEEP_AT) this.dropExpired(windowMs, nowMs);
    let window = this.windows.get(key);
    if (window === undefined || nowMs - window.start >= windowMs) {
      window = { start: nowMs, count: 0 };
      this.windows.set(key, window);
    }
    window.count += 1;
    const retryAfterSeconds = Math.max(1, Math.ceil((window.start + windowMs - nowMs) / 1000));
    return {
      allowed: window.count <= limit,
      limit,
      remaining: Math.max(0, limit - window.count),
      retryAfterSeconds,
    };
  }

  /**
   * One authentication attempt of `key`: refused while `limit` failures are already counted
   * in the current window (whatever this attempt would have been), else allowed, and a
   * failed attempt is counted. Success never resets the count: a guesser who hits a token
   * among failures gains nothing.
   */
  attempt(
    key: string,
    failed: boolean,
    limit: number,
    windowMs: number,
    nowMs: number,
  ): RateDecision {
    if (this.windows.size >= SWEEP_AT) this.dropExpired(windowMs, nowMs);
    let window = this.windows.get(key);
    if (window === undefined || nowMs - window.start >= windowMs) {
      window = { start: nowMs, count: 0 };
      this.windows.set(key, window);
    }
    const retryAfterSeconds = Math.max(1, Math.ceil((window.start + windowMs - nowMs) / 1000));
    if (window.count >= limit) return { allowed: false, limit, remaining: 0, retryAfterSeconds };
    if (failed) window.count += 1;
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, limit - window.count),
      retryAfterSeconds,
    };
  }

  private dropExpired(windowMs: number, nowMs: number): void {
    for (const [key, window] of this.windows) {
      if (nowMs - window.start >= windowMs) this.windows.delete(key);
    }
  }
}
