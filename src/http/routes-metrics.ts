/**
 * `GET /metrics` for Prometheus. Without a token it serves every family except the
 * findings by kind, which would tell the public what an undisclosed incident is about;
 * scrape with `authorization: { credentials: <token> }` for the full set.
 */
import type { Hono } from 'hono';
import type { IncidentDetail, OutboxView } from '../core/incident';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import type { Result } from '../core/result';
import { incidentStubFor } from '../durable/incident-stubs';
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
    const state = monitorStateStub(c.env);
    const [sources, totals, verifiedBytes] = await Promise.all([
      loadStatusSources(c.env, now),
      state.sweepTotals(),
      state.verifiedBytes(),
    ]);
    const open = sources.incidents
      .filter((incident) => incident.state !== 'resolved')
      .slice(0, DELIVERY_INCIDENTS);
    const details: Result<IncidentDetail, IncidentRefusal>[] = await Promise.all(
      open.map((incident) => incidentStubFor(c.env, incident.fingerprint).get()),
    );
    const deliveries: OutboxView[] = details.flatMap((detail) =>
      detail.ok ? [...detail.value.outbox] : [],
    );
    return c.body(
      renderMetrics(
        { sources, totals, verifiedBytes, deliveries },
        now,
        c.var.operator ? 'operator' : 'public',
      ),
      200,
      {
        'content-type': METRICS_CONTENT_TYPE,
        'cache-control': 'no-store',
      },
    );
  });
}
