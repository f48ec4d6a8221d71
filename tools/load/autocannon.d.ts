/**
 * The part of autocannon's programmatic API the load run uses (the package ships no types).
 * See node_modules/autocannon/README.md, "autocannon(opts[, cb])" and "Results".
 */
declare module 'autocannon' {
  /** hdr-histogram-percentiles-obj: every value in the histogram's unit (ms, req/s, bytes/s). */
  export interface Histogram {
    readonly average: number;
    readonly stddev: number;
    readonly min: number;
    readonly max: number;
    readonly p50: number;
    readonly p90: number;
    readonly p97_5: number;
    readonly p99: number;
    /** The count the histogram was built from (completed requests, bytes). */
    readonly total: number;
  }

  export interface Result {
    readonly url: string;
    /** Seconds. */
    readonly duration: number;
    readonly requests: Histogram & { readonly sent: number };
    /** Milliseconds. */
    readonly latency: Histogram;
    readonly throughput: Histogram;
    readonly errors: number;
    readonly timeouts: number;
    readonly non2xx: number;
    readonly '2xx': number;
    readonly '5xx': number;
    readonly statusCodeStats: Readonly<Record<string, { readonly count: number }>>;
  }

  export interface Options {
    readonly url: string;
    readonly connections?: number;
    /** Seconds. */
    readonly duration?: number;
    /** Seconds a request may take before it counts as a timeout. */
    readonly timeout?: number;
    readonly headers?: Readonly<Record<string, string>>;
    readonly title?: string;
    /** Requests a second from all connections together (latencies corrected for coordinated omission). */
    readonly overallRate?: number;
    /** Requests each connection sends in turn (paths relative to `url`'s origin). */
    readonly requests?: readonly { readonly path?: string; readonly method?: string }[];
  }

  export interface Instance extends Promise<Result> {
    stop(): void;
  }

  function autocannon(options: Options): Instance;
  export default autocannon;
}
