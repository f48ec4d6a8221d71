import { cloudflareTest } from '@cloudflare/vitest-plugin';
import { defineConfig } from 'vitest/config';

// Tests run inside workerd with the bindings of wrangler.toml (KV, Durable Objects, R2,
// Queues from Miniflare). Any request a test did not arrange for reaches the catch-all
// outbound service below and fails loudly: tests never touch the internet.
export default defineConfig({
  plugins: [
    cloudflareTest({
      wrangler: { configPath: './wrangler.toml' },
      miniflare: {
        bindings: {
          DIST_BASE_URL: 'https://dist.test/dist',
          RELEASE_KEYS_URL: 'https://keys.test/{fingerprint}.asc',
          PUBLIC_URL: 'https://monitor.test',
          // Tests of the queue path see every job queued; test/hash-inline.test.ts turns it on.
          INLINE_HASH_BYTES: '0',
          // Days the test clock runs ahead of the real date (test/setup.ts); 0 = the real date.
          TEST_CLOCK_SHIFT_DAYS: process.env['TEST_CLOCK_SHIFT_DAYS'] ?? '0',
        },
        outboundService: (request: Request) =>
          new Response(`unexpected egress in a test: ${request.method} ${request.url}`, {
            status: 599,
          }),
      },
    }),
  ],
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
