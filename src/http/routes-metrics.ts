/**
 * `GET /metrics` for Prometheus. Without a token it serves what `GET /api/status` shows the
 * public and nothing more (metrics.ts); scrape with `authorization: { credentials: <token> }`
 * for the full set: findings by kind, incident states, deliveries, response KPIs.
 */
import type { Hono } from 'hono';
import type { IncidentDetail, OutboxView } from '../core/incident';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import type { Result } from '../core/result';
import { incidentIndexStub, incidentStubFor } from '../durable/incident-stubs';
import { monitorStateStub } from '../durable/monitor-state';
import type { AppBindings, AppDependencies } from './app-env';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics';
import { identifyOperator } from './operator-auth';
import { loadStatusSources } from './status-sources';

/** Open incidents whose outboxes are read per scrape (one RPC each). */
const DELIVERY_INCIDENTS = 50;

export function registerMetricsRoute(app: Hono<AppBindings>, deps: AppDependencies): void {
  app.get('/metrics', identifyOperator(), async (c) => {
    const now = deps.now();
    const operator = c.var.operator !== undefined;
    const state = monitorStateStub(c.env);
    const [sources, totals, verifiedBytes, responseTotals] = await Promise.all([
      loadStatusSources(c.env, now),
      state.sweepTotals(),
      state.verifiedBytes(),
      operator ? incidentIndexStub(c.env).responseTotals() : [],
    ]);
    // Deliveries are operator-only: no outbox is read for a public scrape.
    const open = operator
      ? sources.incidents
          .filter((incident) => incident.state !== 'resolved')
          .slice(0, DELIVERY_INCIDENTS)
      : [];
    const details: Result<IncidentDetail, IncidentRefusal>[] = await Promise.all(
      open.map((incident) => incidentStubFor(c.env, incident.fingerprint).get()),
    );
    const deliveries: OutboxView[] = details.flatMap((detail) =>
      detail.ok ? [...detail.value.outbox] : [],
    );
    return c.body(
      renderMetrics(
        { sources, totals, verifiedBytes, deliveries, responseTotals },
        now,
        operator ? 'operator' : 'public',
      ),
      200,
      {
        'content-type': METRICS_CONTENT_TYPE,
        'cache-control': 'no-store',
      },
    );
  });
}
