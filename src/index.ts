/**
 * The Worker's entry point: wires the HTTP app, the cron sweep, the queue consumers and
 * the Durable Object classes. It holds no logic of its own.
 */
import { Hono } from 'hono';
import type { MonitorEnv } from './env';
import { DurableObject } from 'cloudflare:workers';

const app = new Hono<{ Bindings: MonitorEnv }>();
app.get('/healthz', (c) => c.json({ status: 'ok' }));

export class IncidentObject extends DurableObject<MonitorEnv> {}
export class IncidentIndex extends DurableObject<MonitorEnv> {}
export class MonitorState extends DurableObject<MonitorEnv> {}

export default {
  fetch: app.fetch,
  async scheduled(_controller, _env, _ctx) {},
  async queue(_batch, _env, _ctx) {},
} satisfies ExportedHandler<MonitorEnv>;
