/**
 * Operator actions: acknowledge, contain, resolve, note, disclose, change severity, and
 * run a sweep now. Each is rate limited per client IP (before authentication) and per
 * token (after), needs a valid bearer token, validates its body, and hands the operator's
 * actor (`operator:<token name>`) to the incident, whose timeline records who did it.
 */
import type { Context, Hono, MiddlewareHandler } from 'hono';
import type { IncidentRecord } from '../core/incident';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import type { Result } from '../core/result';
import { monitorStateStub } from '../durable/monitor-state';
import { publishSnapshot } from '../jobs/publish-snapshot';
import type { AppBindings, AppDependencies } from './app-env';
import { requireIncident, valueOrProblem } from './incident-access';
import { readJsonBody } from './json-body';
import { authenticateRequest, type Operator } from './operator-auth';
import { HttpProblem } from './problem';
import { clientIpOf, enforceRateLimit, MUTATION_RATE_LIMIT } from './rate-limit';
import {
  EmptyBodySchema,
  IncidentIdSchema,
  NoteBodySchema,
  OptionalNoteBodySchema,
  parseInput,
  SeverityBodySchema,
} from './validation';

type IncidentStub = Awaited<ReturnType<typeof requireIncident>>;

/**
 * Rate limit by IP, authenticate (counting failures per IP, as every authenticated route
 * does), rate limit by token: in that order.
 */
function guardMutation(deps: AppDependencies): MiddlewareHandler<AppBindings> {
  return async (c, next) => {
    await enforceRateLimit(c.env, `ip:${clientIpOf(c.req.raw)}`, MUTATION_RATE_LIMIT, deps.now());
    const operator = await authenticateRequest(c.req.raw, c.env, deps.now());
    await enforceRateLimit(c.env, `token:${operator.name}`, MUTATION_RATE_LIMIT, deps.now());
    c.set('operator', operator);
    return next();
  };
}

function operatorOf(c: Context<AppBindings>): Operator {
  const operator = c.var.operator;
  // requireOperator ran before every handler here; reaching this is a wiring bug.
  if (operator === undefined) throw new Error('operator route reached without authentication');
  return operator;
}

type IncidentAction = (
  stub: IncidentStub,
  operator: Operator,
  request: Request,
) => Promise<Result<IncidentRecord, IncidentRefusal>>;

const ACTIONS: Record<string, IncidentAction> = {
  acknowledge: async (stub, operator, request) => {
    await readJsonBody(request, EmptyBodySchema);
    return stub.acknowledge(operator.actor);
  },
  contain: async (stub, operator, request) => {
    const body = await readJsonBody(request, OptionalNoteBodySchema);
    return stub.contain(operator.actor, body.note);
  },
  resolve: async (stub, operator, request) => {
    const body = await readJsonBody(request, OptionalNoteBodySchema);
    return stub.resolve(operator.actor, body.note);
  },
  notes: async (stub, operator, request) => {
    const body = await readJsonBody(request, NoteBodySchema);
    return stub.addNote(operator.actor, body.text);
  },
  disclose: async (stub, operator, request) => {
    await readJsonBody(request, EmptyBodySchema);
    return stub.disclose(operator.actor);
  },
  severity: async (stub, operator, request) => {
    const body = await readJsonBody(request, SeverityBodySchema);
    return stub.changeSeverity(operator.actor, body.severity, body.reason);
  },
};

export function registerActionRoutes(app: Hono<AppBindings>, deps: AppDependencies): void {
  for (const [name, action] of Object.entries(ACTIONS)) {
    app.post(`/api/incidents/:id/${name}`, guardMutation(deps), async (c) => {
      const id = parseInput(IncidentIdSchema, c.req.param('id'), 'incident id');
      const stub = await requireIncident(c.env, id);
      const incident = valueOrProblem(await action(stub, operatorOf(c), c.req.raw));
      // The public pages show the change from the next read on (src/jobs/publish-snapshot.ts);
      // a note is not public.
      if (name !== 'notes') await publishSnapshot(c.env, 'operator', deps.now());
      c.header('cache-control', 'no-store');
      return c.json({ incident });
    });
  }

  app.post('/api/sweeps', guardMutation(deps), async (c) => {
    await readJsonBody(c.req.raw, EmptyBodySchema);
    const now = deps.now();
    const running = await monitorStateStub(c.env).isSweepRunning(now.toISOString());
    if (running.running) {
      throw new HttpProblem(
        'sweep-running',
        `Sweep ${running.sweepId ?? ''} has been running since ${running.since ?? 'recently'}; try again when it ends.`,
        { 'retry-after': '60' },
      );
    }
    c.executionCtx.waitUntil(
      deps.runSweep(c.env, { trigger: 'operator' }).then(
        (run) => {
          if (run.status === 'busy')
            console.warn(`operator sweep skipped: ${run.runningSweepId} is running`);
        },
        (error: unknown) => {
          console.error(
            'operator sweep failed:',
            error instanceof Error ? error.name : 'unknown error',
          );
        },
      ),
    );
    c.header('cache-control', 'no-store');
    c.header('location', '/api/sweeps/latest');
    return c.json(
      {
        status: 'accepted',
        trigger: 'operator',
        requestedBy: operatorOf(c).actor,
        at: now.toISOString(),
      },
      202,
    );
  });
}
