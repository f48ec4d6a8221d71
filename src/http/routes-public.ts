/**
 * The public, unauthenticated face, answered from the public status snapshot
 * (snapshot-model.ts): the status page, the badge, the feed, /healthz, and the public view
 * of `/api/status`, `/api/incidents`, `/api/incidents/:id`, `/api/sweeps/latest` and
 * `/metrics`. A page view reads KV and the Cache API only — never a Durable Object — so a
 * popular incident cannot queue the sweeps behind its readers. The disclosure rule was
 * applied when the snapshot was written; every answer says when that was
 * (`Last-Modified`, `X-Snapshot-Taken-At`, and a field or line of its own).
 *
 * A request with an `Authorization` header on a route that has an operator view falls
 * through to the live handlers (routes-api.ts, routes-metrics.ts), which authenticate it;
 * with `PUBLIC_READ_PATH = "live"` every public route falls through to the live path
 * (routes-public-live.ts), a benchmark switch.
 */
import type { Hono } from 'hono';
import type { AppBindings, AppDependencies } from './app-env';
import { renderAtomFeed } from './atom-feed';
import { renderBadge } from './badge';
import { HttpProblem } from './problem';
import { readOnlyCors } from './security-headers';
import { feedBaseUrlOf, registerLivePublicRoutes, statusPageCsp } from './routes-public-live';
import { json, publicRoute } from './public-answer';
import { snapshotHeaders } from './snapshot-cache';
import { servedHealth } from './snapshot-health';
import { reportAt, stampOf, type PublicSnapshot } from './snapshot-model';
import { createAnswerMemo } from './answer-memo';
import { readPointer, readsLive, snapshotStoreOf } from './snapshot-reader';
import { renderStatusPage } from './status-page';
import { IncidentIdSchema, ListIncidentsQuerySchema, parseInput } from './validation';
import { METRICS_CONTENT_TYPE } from './metrics';

function incidentNotFound(snapshot: PublicSnapshot): HttpProblem {
  // The same answer for an unknown id and an undisclosed incident's: same path, same headers.
  return new HttpProblem(
    'not-found',
    'No incident has this id.',
    snapshotHeaders(snapshot.version > 0 ? stampOf(snapshot) : undefined),
  );
}

export function registerPublicRoutes(app: Hono<AppBindings>, deps: AppDependencies): void {
  // One per app, i.e. per isolate in production (src/index.ts builds the app once).
  const memo = createAnswerMemo(() => deps.now().getTime());
  publicRoute(
    app,
    '/',
    { operatorView: false },
    () => ({
      cacheable: true,
      async render(snapshot, now) {
        return new Response(renderStatusPage(reportAt(snapshot, now), snapshot.histories, now), {
          headers: {
            'content-type': 'text/html; charset=UTF-8',
            'content-security-policy': await statusPageCsp(),
          },
        });
      },
    }),
    deps,
    memo,
  );

  publicRoute(
    app,
    '/badge.svg',
    { operatorView: false },
    () => ({
      cacheable: true,
      render: (snapshot, now) =>
        new Response(renderBadge(reportAt(snapshot, now)), {
          headers: { 'content-type': 'image/svg+xml; charset=utf-8' },
        }),
    }),
    deps,
    memo,
  );

  publicRoute(
    app,
    '/incidents.atom',
    { operatorView: false },
    (c) => ({
      cacheable: true,
      render(snapshot, now) {
        // The feed's ids are keyed by MonitorState's feed key: there is no feed without a
        // snapshot that carries them (a fresh deployment, for its first minutes).
        if (snapshot.feed === undefined)
          throw new HttpProblem(
            'status-unavailable',
            'The incident feed is published with the first status snapshot. Try again shortly.',
            { 'retry-after': '60' },
          );
        return new Response(
          renderAtomFeed(snapshot.feed.entries, {
            feedId: snapshot.feed.id,
            baseUrl: feedBaseUrlOf(c.env.PUBLIC_URL),
            now,
          }),
          { headers: { 'content-type': 'application/atom+xml; charset=utf-8' } },
        );
      },
    }),
    deps,
    memo,
  );

  publicRoute(
    app,
    '/api/status',
    { operatorView: true, cors: true },
    () => ({
      cacheable: true,
      render: (snapshot, now) => json(reportAt(snapshot, now)),
    }),
    deps,
    memo,
  );

  publicRoute(
    app,
    '/api/incidents',
    { operatorView: true, cors: true },
    (c) => {
      const query = parseInput(ListIncidentsQuerySchema, c.req.query(), 'query');
      return {
        query: { state: query.state, limit: String(query.limit), offset: String(query.offset) },
        cacheable: true,
        render(snapshot) {
          const listed = snapshot.incidents.filter(
            (incident) =>
              query.state === 'all' ||
              (query.state === 'resolved') === (incident.status === 'resolved'),
          );
          return json({
            incidents: listed.slice(query.offset, query.offset + query.limit),
            limit: query.limit,
            offset: query.offset,
            snapshot: snapshot.version > 0 ? stampOf(snapshot) : null,
          });
        },
      };
    },
    deps,
    memo,
  );

  publicRoute(
    app,
    '/api/incidents/:id',
    { operatorView: true, cors: true },
    (c) => {
      const id = parseInput(IncidentIdSchema, c.req.param('id'), 'incident id');
      return {
        cacheable: true,
        render(snapshot) {
          // Only disclosed or non-private incidents have a public detail (snapshot-model.ts).
          const detail = Object.hasOwn(snapshot.details, id) ? snapshot.details[id] : undefined;
          if (detail === undefined) throw incidentNotFound(snapshot);
          return json({ ...detail, snapshot: stampOf(snapshot) });
        },
      };
    },
    deps,
    memo,
  );

  publicRoute(
    app,
    '/api/sweeps/latest',
    { operatorView: true, cors: true },
    () => ({
      cacheable: true,
      render(snapshot) {
        const latest = snapshot.report.lastSweep;
        if (latest === undefined) throw new HttpProblem('not-found', 'No sweep has finished yet.');
        return json({ ...latest, snapshot: stampOf(snapshot) });
      },
    }),
    deps,
    memo,
  );

  publicRoute(
    app,
    '/metrics',
    { operatorView: true },
    () => ({
      cacheable: false,
      render: (snapshot) =>
        new Response(withSnapshotMetric(snapshot), {
          headers: { 'content-type': METRICS_CONTENT_TYPE },
        }),
    }),
    deps,
    memo,
  );

  app.get('/healthz', readOnlyCors(), async (c, next) => {
    if (readsLive(c.env)) {
      await next();
      return;
    }
    const now = deps.now();
    const store = snapshotStoreOf(c.env);
    const [pointer, heartbeat] = await Promise.all([
      readPointer(store),
      store.readHeartbeat().catch(() => undefined),
    ]);
    const sweeps = heartbeat ?? pointer?.health ?? { sweeps: 0 };
    const health = servedHealth(sweeps, pointer?.takenAt, now, { sweepsFirst: true });
    const body = {
      ...health,
      ...(pointer !== undefined && { snapshotTakenAt: pointer.takenAt }),
    };
    return new Response(JSON.stringify(body), {
      status: health.status === 'ok' ? 200 : 503,
      headers: {
        'content-type': 'application/json',
        'cache-control': 'no-store',
        ...snapshotHeaders(pointer),
      },
    });
  });

  registerLivePublicRoutes(app, deps);
}

/** The public metrics with the time of their snapshot (0 before the first one). */
function withSnapshotMetric(snapshot: PublicSnapshot): string {
  const taken = snapshot.version > 0 ? Date.parse(snapshot.takenAt) / 1000 : 0;
  const family = [
    '# HELP dist_monitor_status_snapshot_timestamp_seconds When the public status snapshot these metrics come from was taken (Unix time; 0 = none yet).',
    '# TYPE dist_monitor_status_snapshot_timestamp_seconds gauge',
    `dist_monitor_status_snapshot_timestamp_seconds ${taken}`,
    '',
  ].join('\n');
  const text = snapshot.metrics.endsWith('\n') ? snapshot.metrics : `${snapshot.metrics}\n`;
  // OpenMetrics ends with `# EOF`: the family goes before it.
  return text.endsWith('# EOF\n')
    ? `${text.slice(0, -'# EOF\n'.length)}${family}# EOF\n`
    : `${text}${family}`;
}
