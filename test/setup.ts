// Every test starts from empty storage (KV, Durable Objects, R2, queues): one behaviour per
// test, no order dependence.
//
// TEST_CLOCK_SHIFT_DAYS (npm run test:clock-ahead) moves `Date` that many days ahead of the
// real date for the whole run, so a test that mixes the wall clock with a fixed date fails
// today rather than on the day the calendar reaches it. Timers still run in real time.
import { env, reset } from 'cloudflare:test';
import { afterEach, beforeEach, vi } from 'vitest';

const shiftDays = Number((env as { TEST_CLOCK_SHIFT_DAYS?: string }).TEST_CLOCK_SHIFT_DAYS ?? 0);

if (shiftDays !== 0) {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'], shouldAdvanceTime: true });
    vi.setSystemTime(Date.now() + shiftDays * 86_400_000);
  });
}

afterEach(async () => {
  vi.restoreAllMocks();
  if (shiftDays !== 0) vi.useRealTimers();
  await reset();
});
