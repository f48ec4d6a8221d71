import {
  env,
  SELF,
  createExecutionContext,
  createScheduledController,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it, vi, afterEach } from 'vitest';
import worker from '../src/index';

afterEach(() => vi.restoreAllMocks());

describe('smoke', () => {
  it('answers /healthz', async () => {
    const res = await SELF.fetch('https://monitor.test/healthz');
    expect(res.status).toBe(200);
  });
  it('kv works and fetch can be intercepted', async () => {
    await env.PINS.put('a', 'b');
    expect(await env.PINS.get('a')).toBe('b');
    const spy = vi.spyOn(globalThis, 'fetch').mockResolvedValue(new Response('x'));
    const ctrl = createScheduledController();
    const ctx = createExecutionContext();
    await worker.scheduled(ctrl, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(spy).toHaveBeenCalledTimes(0);
    const r = await fetch('https://dist.test/x');
    expect(await r.text()).toBe('x');
  });
});
