/**
 * The public pages read live from the Durable Objects, as they were before snapshots:
 * only with `PUBLIC_READ_PATH = "live"`, a benchmark switch that lets `npm run load`
 * measure the old read path against the snapshot one in the same run. (The live JSON API
 * and /metrics are the operator handlers in routes-api.ts and routes-metrics.ts, which
 * serve the public view to a request without a token.) Never use it in production: every
 * view here costs about eight calls into the one MonitorState object the sweeps need.
 */
import type { Hono } from 'hono';
import { monitorStateStub } from '../durable/monitor-state';
import type { AppBindings, AppDependencies } from './app-env';
import { renderAtomFeed } from './atom-feed';
import { renderBadge } from './badge';
import { loadFeedIds } from './feed-ids';
import { publicIncidentOf } from './incident-views';
import { readOnlyCors } from './security-headers';
import { PUBLIC_CACHE_CONTROL } from './snapshot-cache';
import { assessMonitorHealth, planAreaHistories } from './status-model';
import { renderStatusPage } from './status-page';
import { FEED_ENTRIES } from './snapshot-model';
import { statusPageStyleHash } from './status-page-style';
import { buildStatusReport, HISTORY_DAYS } from './status-report';
import { loadStatusSources } from './status-sources';

/**
 * The base of the feed's links: PUBLIC_URL, or '' (relative links) when it is empty. Never
 * the request's own origin: its `Host` header is the client's to choose.
 */
export function feedBaseUrlOf(publicUrl: string | undefined): string {
  return publicUrl?.trim().replace(/\/+$/, '') ?? '';
}

export async function statusPageCsp(): Promise<string> {
  const styleHash = await statusPageStyleHash();
  return `default-src 'none'; style-src ${styleHash}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`;
}

export function registerLivePublicRoutes(app: Hono<AppBindings>, deps: AppDependencies): void {
  app.get('/', async (c) => {
    const now = deps.now();
    const sources = await loadStatusSources(c.env, now);
    const report = buildStatusReport(sources, { audience: 'public', now });
    const histories = planAreaHistories(sources.incidents, sources.sweepDays, {
      now,
      days: HISTORY_DAYS,
    });
    c.header('content-security-policy', await statusPageCsp());
    c.header('cache-control', PUBLIC_CACHE_CONTROL);
    return c.html(renderStatusPage(report, histories, now));
  });

  app.get('/badge.svg', async (c) => {
    const now = deps.now();
    const report = buildStatusReport(await loadStatusSources(c.env, now), {
      audience: 'public',
      now,
    });
    return c.body(renderBadge(report), 200, {
      'content-type': 'image/svg+xml; charset=utf-8',
      'cache-control': PUBLIC_CACHE_CONTROL,
    });
  });

  app.get('/incidents.atom', async (c) => {
    const now = deps.now();
    const [sources, ids] = await Promise.all([loadStatusSources(c.env, now), loadFeedIds(c.env)]);
    const entries = await Promise.all(
      sources.incidents.slice(0, FEED_ENTRIES).map(async (incident) => ({
        id: await ids.entry(incident.id),
        incident: publicIncidentOf(incident),
      })),
    );
    const feed = renderAtomFeed(entries, {
      feedId: ids.feed,
      baseUrl: feedBaseUrlOf(c.env.PUBLIC_URL),
      now,
    });
    return c.body(feed, 200, {
      'content-type': 'application/atom+xml; charset=utf-8',
      'cache-control': PUBLIC_CACHE_CONTROL,
    });
  });

  app.get('/healthz', readOnlyCors(), async (c) => {
    const state = monitorStateStub(c.env);
    const [totals, lastSuccessAt, latest] = await Promise.all([
      state.sweepTotals(),
      state.lastSuccessAt(),
      state.latestSweep(),
    ]);
    const health = assessMonitorHealth({
      sweeps: Math.max(totals.sweeps, latest === undefined ? 0 : 1),
      lastSuccessAt,
      now: deps.now(),
    });
    c.header('cache-control', 'no-store');
    return c.json(health, health.status === 'ok' ? 200 : 503);
  });
}
