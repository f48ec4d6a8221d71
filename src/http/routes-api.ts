/**
 * The read-only JSON API: status, incidents, the latest sweep, and (operators only) an
 * incident's post-mortem draft and a release's pin (with the audit records of re-baselined
 * artifacts). Unauthenticated callers get the public views; a valid bearer token gets the
 * full detail; an invalid one gets a 401.
 */
import type { Hono } from 'hono';
import type { IncidentDetail } from '../core/incident';
import { parseVersion } from '../core/versions';
import { createKvPinStore } from '../adapters/pin-store';
import { monitorStateStub } from '../durable/monitor-state';
import type { AppBindings, AppDependencies } from './app-env';
import {
  incidentNotFound,
  listIncidents,
  requireIncident,
  requirePublicIncident,
  valueOrProblem,
} from './incident-access';
import { isRedacted, publicIncidentDetailOf, publicIncidentOf } from './incident-views';
import { identifyOperator, requireOperator } from './operator-auth';
import { HttpProblem } from './problem';
import { readOnlyCors } from './security-headers';
import { buildStatusReport, publicSweepOf } from './status-report';
import { loadStatusSources } from './status-sources';
import { IncidentIdSchema, ListIncidentsQuerySchema, parseInput } from './validation';

const STATES = {
  open: ['open', 'acknowledged', 'contained'],
  resolved: ['resolved'],
  all: undefined,
} as const;

export function registerApiRoutes(app: Hono<AppBindings>, deps: AppDependencies): void {
  app.use('/api/*', async (c, next) => {
    await next();
    // Operator answers carry private detail: never store them anywhere.
    if (!c.res.headers.has('cache-control')) c.res.headers.set('cache-control', 'no-store');
  });

  app.get('/api/status', readOnlyCors(), identifyOperator(deps), async (c) => {
    const now = deps.now();
    const sources = await loadStatusSources(c.env, now);
    const report = buildStatusReport(sources, {
      audience: c.var.operator ? 'operator' : 'public',
      now,
    });
    return c.json(report);
  });

  app.get('/api/incidents', readOnlyCors(), identifyOperator(deps), async (c) => {
    const query = parseInput(ListIncidentsQuerySchema, c.req.query(), 'query');
    const states = STATES[query.state];
    const incidents = await listIncidents(c.env, {
      ...(states !== undefined && { states }),
      limit: query.limit,
      offset: query.offset,
    });
    return c.json({
      incidents: c.var.operator ? incidents : incidents.map(publicIncidentOf),
      limit: query.limit,
      offset: query.offset,
    });
  });

  app.get('/api/incidents/:id', readOnlyCors(), identifyOperator(deps), async (c) => {
    const id = parseInput(IncidentIdSchema, c.req.param('id'), 'incident id');
    if (c.var.operator) {
      const stub = await requireIncident(c.env, id);
      return c.json(valueOrProblem<IncidentDetail>(await stub.get()));
    }
    // Answering for an undisclosed private incident would confirm a guessed URL (id = hash);
    // so would answering it more slowly than an unknown id: both end in the index.
    const stub = await requirePublicIncident(c.env, id);
    const detail = valueOrProblem<IncidentDetail>(await stub.get());
    // Disclosure is never undone, but the index may lag a moment behind the incident.
    if (isRedacted(detail.incident)) throw incidentNotFound();
    return c.json(publicIncidentDetailOf(detail.incident, detail.subjects));
  });

  app.get('/api/incidents/:id/postmortem.md', requireOperator(deps), async (c) => {
    const id = parseInput(IncidentIdSchema, c.req.param('id'), 'incident id');
    const stub = await requireIncident(c.env, id);
    const markdown = valueOrProblem<string>(await stub.postmortem());
    return c.body(markdown, 200, {
      'content-type': 'text/markdown; charset=utf-8',
      'content-disposition': `inline; filename="postmortem-${id}.md"`,
    });
  });

  app.get('/api/sweeps/latest', readOnlyCors(), identifyOperator(deps), async (c) => {
    const latest = await monitorStateStub(c.env).latestSweep();
    if (latest === undefined) throw new HttpProblem('not-found', 'No sweep has finished yet.');
    return c.json(c.var.operator ? latest : publicSweepOf(latest));
  });

  // A release's pin as stored: the signed entries and each artifact's metadata with the
  // audit records of its re-baselines (bytes decide integrity, docs/storage.md).
  app.get('/api/pins/:version', requireOperator(), async (c) => {
    const version = c.req.param('version');
    if (!parseVersion(version).ok) {
      throw new HttpProblem('invalid-request', 'Not a release version (e.g. v24.11.1).');
    }
    const pin = await createKvPinStore(c.env.PINS).getRelease(version);
    if (pin === undefined) throw new HttpProblem('not-found', `${version} is not pinned.`);
    return c.json(pin);
  });
}
