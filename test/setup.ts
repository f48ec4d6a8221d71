// Every test starts from empty storage (KV, Durable Objects, R2, queues): one behaviour per
// test, no order dependence.
import { reset } from 'cloudflare:test';
import { afterEach, vi } from 'vitest';

afterEach(async () => {
  vi.restoreAllMocks();
  await reset();
});
