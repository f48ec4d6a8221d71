/**
 * Talks to a running monitor (wrangler dev) and to the fixture site's control endpoint,
 * with a deadline on every request. Reads only the monitor's public contract: `GET
 * /__scheduled` (wrangler dev --test-scheduled), the JSON API and the status page.
 */
import type { AttackCommand } from '../dist-site/site.ts';
import type { IncidentDetail, IncidentSummary } from '../../src/core/incident.ts';
import type { SweepSummary } from '../../src/core/sweep-summary.ts';

export type { IncidentDetail, IncidentSummary, SweepSummary };

/** The monitor answered something other than what the contract promises. */
export class MonitorClientError extends Error {
  override readonly name = 'MonitorClientError';
}

export interface MonitorClient {
  readonly origin: string;
  /**
   * Fires one sweep, waits for it to end (the scheduled handler awaits the sweep) and
   * returns its summary. Throws when no new sweep ran (another one held the lock).
   */
  sweep(timeoutMs: number): Promise<SweepSummary>;
  latestSweep(): Promise<SweepSummary | undefined>;
  /** Every incident the index keeps, any state, as an operator sees it. */
  incidents(): Promise<IncidentSummary[]>;
  incident(id: string): Promise<IncidentDetail>;
  /** `GET /api/incidents/:id` without a token: status and body as the public gets them. */
  publicIncident(id: string): Promise<{ status: number; body: unknown }>;
  statusPage(): Promise<string>;
  /**
   * `GET /api/log/lookup?path=<dist path>` (public): the transparency log's entries filed
   * under a path, oldest first. Throws when the log is off or the answer is not a lookup.
   */
  logEntries(path: string): Promise<LogEntryView[]>;
}

/** What the checks read of a transparency log entry (docs/transparency-log.md). */
export interface LogEntryView {
  readonly type: string;
  readonly release?: string;
  readonly path?: string;
}

const REQUEST_TIMEOUT_MS = 15_000;

/**
 * `scheduledPath`: where a sweep is triggered; `/__scheduled` under `wrangler dev
 * --test-scheduled`, `/cdn-cgi/local/scheduled` in workerd run by Miniflare with
 * `unsafeTriggerHandlers` (tools/load/workerd-host.ts). Both call the Worker's scheduled handler.
 */
export function createMonitorClient(
  origin: string,
  operatorToken: string,
  scheduledPath = '/__scheduled',
): MonitorClient {
  const auth = { authorization: `Bearer ${operatorToken}` };

  async function getJson<T>(
    path: string,
    headers: Record<string, string> = auth,
  ): Promise<{ status: number; body: T }> {
    const response = await fetch(`${origin}${path}`, {
      headers: { accept: 'application/json', ...headers },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch (error) {
      throw new MonitorClientError(
        `${path} answered ${response.status} with a body that is not JSON`,
        {
          cause: error,
        },
      );
    }
    return { status: response.status, body: body as T };
  }

  async function okJson<T>(path: string): Promise<T> {
    const { status, body } = await getJson<T>(path);
    if (status !== 200)
      throw new MonitorClientError(
        `${path} answered ${status}: ${JSON.stringify(body).slice(0, 300)}`,
      );
    return body;
  }

  async function latestSweep(): Promise<SweepSummary | undefined> {
    const { status, body } = await getJson<SweepSummary>('/api/sweeps/latest');
    if (status === 404) return undefined;
    if (status !== 200) throw new MonitorClientError(`/api/sweeps/latest answered ${status}`);
    return body;
  }

  return {
    origin,
    async sweep(timeoutMs) {
      const before = (await latestSweep())?.id;
      const response = await fetch(`${origin}${scheduledPath}`, {
        signal: AbortSignal.timeout(timeoutMs),
      });
      const text = await response.text();
      if (response.status !== 200) {
        throw new MonitorClientError(
          `${scheduledPath} answered ${response.status}: ${text.slice(0, 300)}`,
        );
      }
      const latest = await latestSweep();
      if (latest === undefined || latest.id === before) {
        throw new MonitorClientError(
          'the sweep did not run: another sweep holds the lock (a Worker restarted mid-sweep keeps it for 15 minutes)',
        );
      }
      return latest;
    },
    latestSweep,
    async incidents() {
      const all: IncidentSummary[] = [];
      const limit = 100;
      for (let offset = 0; offset < 10_000; offset += limit) {
        const page = await okJson<{ incidents: IncidentSummary[] }>(
          `/api/incidents?state=all&limit=${limit}&offset=${offset}`,
        );
        all.push(...page.incidents);
        if (page.incidents.length < limit) break;
      }
      return all;
    },
    incident: (id) => okJson<IncidentDetail>(`/api/incidents/${encodeURIComponent(id)}`),
    publicIncident: (id) => getJson<unknown>(`/api/incidents/${encodeURIComponent(id)}`, {}),
    async logEntries(path) {
      const { status, body } = await getJson<{ entries?: { entry?: LogEntryView }[] }>(
        `/api/log/lookup?path=${encodeURIComponent(path)}`,
        {},
      );
      if (status !== 200 || !Array.isArray(body.entries))
        throw new MonitorClientError(
          `/api/log/lookup answered ${status}: ${JSON.stringify(body).slice(0, 300)}`,
        );
      return body.entries.flatMap((item) => (item.entry === undefined ? [] : [item.entry]));
    },
    async statusPage() {
      const response = await fetch(`${origin}/`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const html = await response.text();
      if (response.status !== 200)
        throw new MonitorClientError(`GET / answered ${response.status}`);
      return html;
    },
  };
}

export interface SiteControl {
  /** The site's origin, e.g. `http://127.0.0.1:41234` (the dist tree is under `/dist`). */
  readonly origin: string;
  apply(command: AttackCommand): Promise<void>;
  reset(): Promise<void>;
  releases(): Promise<string[]>;
}

export function createSiteControl(origin: string): SiteControl {
  async function post(path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`${origin}${path}`, {
      method: 'POST',
      ...(body !== undefined && { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    const parsed: unknown = await response.json();
    if (response.status !== 200) {
      throw new MonitorClientError(
        `site ${path} answered ${response.status}: ${JSON.stringify(parsed)}`,
      );
    }
    return parsed;
  }
  return {
    origin,
    apply: async (command) => void (await post('/__control/attack', command)),
    reset: async () => void (await post('/__control/reset')),
    async releases() {
      const response = await fetch(`${origin}/__control/state`, {
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const state = (await response.json()) as { releases: string[] };
      return state.releases;
    },
  };
}
