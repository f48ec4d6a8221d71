/**
 * The HTTP face of the monitor (Hono): status page, JSON API, operator actions, Slack
 * interactions, metrics. Routes are part of the public contract (DESIGN.md; docs/api.md).
 * Errors from every route go through the one `onError` / `notFound` below, as
 * `application/problem+json` without stack traces; security headers go on every response.
 */
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { reportError } from '../adapters/sentry';
import { runSweep } from '../jobs/sweep';
import type { AppBindings, AppDependencies } from './app-env';
import { unmatchedRequestProblem } from './method-not-allowed';
import { HttpProblem, problemResponse } from './problem';
import { registerActionRoutes } from './routes-actions';
import { registerApiRoutes } from './routes-api';
import { registerLogRoutes } from './routes-log';
import { registerMetricsRoute } from './routes-metrics';
import { registerPublicRoutes } from './routes-public';
import { securityHeaders } from './security-headers';
import { defaultPublicCache } from './snapshot-cache';
import { registerSlackInteractions } from './slack-interactions';

export type { AppBindings, AppDependencies } from './app-env';

const DEFAULT_DEPENDENCIES: AppDependencies = {
  now: () => new Date(),
  runSweep,
  publicCache: defaultPublicCache,
};

export function createApp(overrides: Partial<AppDependencies> = {}): Hono<AppBindings> {
  const deps: AppDependencies = { ...DEFAULT_DEPENDENCIES, ...overrides };
  const app = new Hono<AppBindings>();
  app.use(securityHeaders());

  registerPublicRoutes(app, deps);
  registerApiRoutes(app, deps);
  registerActionRoutes(app, deps);
  registerMetricsRoute(app, deps);
  // The transparency log: checkpoint, tiles, lookups (src/http/routes-log.ts).
  registerLogRoutes(app);
  // Slack's buttons: Slack-signed requests, not bearer tokens (src/http/slack-interactions.ts).
  registerSlackInteractions(app, { now: deps.now });

  // Unknown path: 404; known path, unsupported method: 405 with Allow (RFC 9110).
  app.notFound((c) => problemResponse(unmatchedRequestProblem(app.routes, c.req.raw)));
  app.onError((error) => {
    if (error instanceof HttpProblem) return problemResponse(error);
    if (error instanceof HTTPException && error.status < 500) {
      return problemResponse(new HttpProblem('invalid-request', 'The request could not be read.'));
    }
    // Logged by name and message only: the client learns nothing about the internals.
    console.error(`unhandled ${error.name}: ${error.message}`);
    reportError(error);
    return problemResponse(
      new HttpProblem('internal-error', 'The request could not be completed. Try again later.'),
    );
  });
  return app;
}
