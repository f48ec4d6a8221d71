import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('the Worker', () => {
  it('answers /healthz', async () => {
    const res = await SELF.fetch('https://monitor.test/healthz');
    expect(res.status).toBeLessThan(600);
    expect(res.headers.get('content-type')).toContain('json');
  });
});
