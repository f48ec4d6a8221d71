import { defineConfig } from 'vitest/config';

// The pure core's tests in plain Node, without workerd: src/core imports nothing from
// Cloudflare, so the tests that import only the core (and openpgp, fast-check) run here too.
// Used by mutation testing (stryker.config.mjs), which cannot drive the workerd pool.
// `npm test` still runs every test, these included, inside workerd (vitest.config.ts).
// Left out although they would run here: the tests of modules outside the mutated set that
// take long (the rotation simulation, the transparency log's tiles), since Stryker reruns
// every test related to a module-level mutant.
// CORE_TESTS (comma-separated globs) narrows the files, e.g. for a run of one module's static
// mutants, which reload every test in the config (docs/reliability.md, "Mutation testing").
const only = process.env['CORE_TESTS']?.split(',').filter((glob) => glob.trim() !== '');

export default defineConfig({
  test: {
    environment: 'node',
    include: only ?? [
      'test/alerts-routes.test.ts',
      'test/alerts-slack.test.ts',
      'test/alerts-webhook.test.ts',
      'test/alerts-webhook-docs.test.ts',
      'test/artifact-metadata.test.ts',
      'test/digest.test.ts',
      'test/docs-consistency.test.ts',
      'test/hash-verdict.test.ts',
      'test/header-policy.test.ts',
      'test/incident-core.test.ts',
      'test/incident-postmortem.test.ts',
      'test/index-json.test.ts',
      'test/index-pins.test.ts',
      'test/index-rollback.test.ts',
      'test/manifest-binding.test.ts',
      'test/manifest-recheck-plan.test.ts',
      'test/manifest-silence.test.ts',
      'test/manifest-urls.test.ts',
      'test/manifest.test.ts',
      'test/properties.test.ts',
      'test/regional-alerts.test.ts',
      'test/regional-core.test.ts',
      'test/signature.test.ts',
      'test/snapshot-model.test.ts',
      'test/trust-set.test.ts',
      'test/untrusted-text.test.ts',
      'test/versions.test.ts',
      'test/watch-policy.test.ts',
      'test/*-mutants.test.ts',
    ],
    testTimeout: 30_000,
  },
});
