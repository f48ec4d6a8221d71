/**
 * An open-loop load at a steady rate: one request every 1000/rate ms on a fixed timeline,
 * over a keep-alive pool of `connections` sockets, and each latency measured from the
 * moment the request was due, not from when it went out, so a stall on either side
 * (a busy client, a queue in the server) counts in full: no coordinated omission.
 *
 * Why not autocannon's `overallRate`: each of its connections sends its share of a second
 * back to back at the start of the second, then waits for the next one, so "200 req/s"
 * arrives as a burst of 200 requests once a second; and its latency correction then adds a
 * synthetic sample for every millisecond each answer in the burst waited. That measures how
 * fast a burst of 200 drains, not a page viewed 200 times a second. autocannon still
 * measures the most a page answers (`tools/load/pages.ts`, mode `max`).
 */
import { Agent, request } from 'node:http';
import { performance } from 'node:perf_hooks';

/** The part of a load's result the report reads (autocannon's `Result` has the same shape). */
export interface LoadResult {
  /** Seconds from the first request due to the last answer. */
  readonly duration: number;
  readonly requests: { readonly total: number };
  readonly latency: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly non2xx: number;
  readonly errors: number;
  readonly timeouts: number;
}

export interface PacedLoadOptions {
  /** Requested in turn (one page, or several alternating). */
  readonly urls: readonly string[];
  /** Requests a second. */
  readonly rate: number;
  readonly durationS: number;
  /** Sockets kept open; requests due while all are busy wait for one (and that counts). */
  readonly connections: number;
  readonly timeoutMs: number;
}

type Outcome = {
  readonly latencyMs: number;
  readonly kind: '2xx' | 'non2xx' | 'error' | 'timeout';
};

function once(agent: Agent, url: string, dueAt: number, timeoutMs: number): Promise<Outcome> {
  return new Promise((resolve) => {
    const done = (kind: Outcome['kind']) => resolve({ latencyMs: performance.now() - dueAt, kind });
    const req = request(url, { agent, method: 'GET' }, (response) => {
      response.resume();
      response.on('end', () => {
        const status = response.statusCode ?? 0;
        done(status >= 200 && status < 300 ? '2xx' : 'non2xx');
      });
      response.on('error', () => done('error'));
    });
    req.setTimeout(timeoutMs, () => {
      req.destroy();
      done('timeout');
    });
    req.on('error', () => done('error'));
    req.end();
  });
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

function percentile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))]!;
}

export async function pacedLoad(options: PacedLoadOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const total = Math.max(1, Math.round(options.rate * options.durationS));
  const intervalMs = 1000 / options.rate;
  const startedAt = performance.now();
  const pending: Promise<Outcome>[] = [];
  try {
    for (let i = 0; i < total; i += 1) {
      const dueAt = startedAt + i * intervalMs;
      await sleep(dueAt - performance.now());
      const url = options.urls[i % options.urls.length]!;
      pending.push(once(agent, url, dueAt, options.timeoutMs));
    }
    const outcomes = await Promise.all(pending);
    const latencies = outcomes.map((outcome) => outcome.latencyMs).sort((a, b) => a - b);
    const count = (kind: Outcome['kind']) => outcomes.filter((o) => o.kind === kind).length;
    return {
      duration: (performance.now() - startedAt) / 1000,
      requests: { total: outcomes.length },
      latency: {
        p50: percentile(latencies, 0.5),
        p99: percentile(latencies, 0.99),
        max: latencies.at(-1) ?? 0,
      },
      non2xx: count('non2xx'),
      errors: count('error'),
      timeouts: count('timeout'),
    };
  } finally {
    agent.destroy();
  }
}
