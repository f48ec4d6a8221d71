/**
 * The public, unauthenticated face: the status page, the badge, the incident feed and the
 * health check. Every one of them obeys the disclosure rule (incident-views.ts).
 */
import type { Hono } from 'hono';
import { monitorStateStub } from '../durable/monitor-state';
import type { AppBindings, AppDependencies } from './app-env';
import { renderAtomFeed } from './atom-feed';
import { renderBadge } from './badge';
import { loadFeedIds } from './feed-ids';
import { publicIncidentOf } from './incident-views';
import { readOnlyCors } from './security-headers';
import { assessMonitorHealth, planAreaHistories } from './status-model';
import { renderStatusPage } from './status-page';
import { statusPageStyleHash } from './status-page-style';
import { buildStatusReport, HISTORY_DAYS } from './status-report';
import { loadStatusSources } from './status-sources';

/** Short public caching: the page changes with every sweep (5 min) and incident. */
const PUBLIC_CACHE = 'public, max-age=30';
const FEED_ENTRIES = 50;

/**
 * The base of the feed's links: PUBLIC_URL, or '' (relative links) when it is empty. Never
 * the request's own origin: its `Host` header is the client's to choose.
 */
export function feedBaseUrlOf(publicUrl: string | undefined): string {
  return publicUrl?.trim().replace(/\/+$/, '') ?? '';
}

export function registerPublicRoutes(app: Hono<AppBindings>, deps: AppDependencies): void {
  app.get('/', async (c) => {
    const now = deps.now();
    const sources = await loadStatusSources(c.env, now);
    const report = buildStatusReport(sources, { audience: 'public', now });
    const histories = planAreaHistories(sources.incidents, sources.sweepDays, {
      now,
      days: HISTORY_DAYS,
    });
    const styleHash = await statusPageStyleHash();
    c.header(
      'content-security-policy',
      `default-src 'none'; style-src ${styleHash}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
    );
    c.header('cache-control', PUBLIC_CACHE);
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
      'cache-control': PUBLIC_CACHE,
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
      'cache-control': PUBLIC_CACHE,
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
