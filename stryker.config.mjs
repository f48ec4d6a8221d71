// Mutation testing of the trust-boundary code (docs/reliability.md, "Mutation testing").
// StrykerJS changes one thing at a time in the modules below (a `<` for a `<=`, a condition
// for `true`, a string for "") and runs the tests that cover that spot; a mutant no test
// notices "survives". The tests run in plain Node (vitest.core.config.ts), not workerd:
// the pure core imports nothing from Cloudflare. `npm run mutation` runs the whole set
// (about 20 minutes here, on two shared cores); `npm run mutation -- --mutate
// src/core/signature.ts` one module. CI does not run it.

// Environment switches for scoped runs (docs/reliability.md, "Mutation testing"):
// MUTATION_REPORT=name writes reports/mutation/<name>.json|html (one per group of modules);
// MUTATION_ALL_KILLERS=1 runs every covering test of a mutant instead of stopping at the
// first failure (exact "before" scores, many times slower); MUTATION_STATIC=1 runs the static
// mutants too (narrow the tests with CORE_TESTS, see vitest.core.config.ts).
const env = process.env;
const staticRun = env['MUTATION_STATIC'] === '1';
const report = `reports/mutation/${env['MUTATION_REPORT'] ?? (staticRun ? 'static' : 'mutation')}`;

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.core.config.ts', related: true },
  coverageAnalysis: 'perTest',
  // A mutant stops at the first test that kills it, so the report names one killer: the score
  // of the tests from before the *-mutants tests is then a lower bound (tools/mutation/score.ts).
  // Hundreds of mutants sit in functions most test files call (createFinding, cleanUntrustedText,
  // signature checks run in beforeAll): running all their tests costs ~25 s each, hours in all.
  disableBail: env['MUTATION_ALL_KILLERS'] === '1',
  // Two cores shared with everything else on the machine: one test runner at a time.
  concurrency: 1,
  timeoutMS: 20_000,
  // A static mutant (module-level code: the finding-kind table, default settings, patterns
  // built once) cannot be switched on per test, so Stryker reloads the whole Node suite for
  // each one: about 30 s apiece here, hours for the set. They are left out of the score
  // (reported as Ignored); docs/reliability.md says which tables that leaves unmeasured.
  ignoreStatic: !staticRun,
  mutate: [
    // signatures and the keys they are checked against
    'src/core/signature.ts',
    'src/core/trust-set.ts',
    'src/core/release-keys.ts',
    // manifests: parsing, binding to their release, silence, and when a release is new
    'src/core/manifest.ts',
    'src/core/manifest-binding.ts',
    'src/core/manifest-silence.ts',
    'src/core/release-novelty.ts',
    // bytes and headers
    'src/core/hash-verdict.ts',
    'src/core/artifact-metadata.ts',
    'src/core/header-policy.ts',
    'src/core/response-classes.ts',
    // index.json and rollback
    'src/core/index-json.ts',
    'src/core/index-rollback.ts',
    'src/core/index-pins.ts',
    'src/core/cache-staleness.ts',
    // findings and their fingerprints
    'src/core/findings.ts',
    // incidents: lifecycle, auto-resolve, grouping, the alert cap
    'src/core/incident.ts',
    'src/core/incident-lifecycle.ts',
    'src/core/incident-config.ts',
    'src/core/incident-grouping.ts',
    'src/core/incident-alert-cap.ts',
    // Slack signatures and interactions, tokens
    'src/core/slack-signature.ts',
    'src/core/slack-interaction.ts',
    'src/core/constant-time.ts',
    // what is public: redaction of secrets, disclosure of incidents
    'src/core/secret-redaction.ts',
    'src/core/untrusted-text.ts',
    'src/http/incident-views.ts',
    'src/http/snapshot-guard.ts',
  ],
  ignorePatterns: ['.wrangler', 'dist', 'reports', 'coverage', '.tmp', 'test-results'],
  reporters: ['clear-text', 'progress', 'html', 'json'],
  htmlReporter: { fileName: `${report}.html` },
  jsonReporter: { fileName: `${report}.json` },
  clearTextReporter: { allowColor: false, logTests: false, reportMutants: true },
  tempDirName: '.stryker-tmp',
  // `npm run mutation -- --incremental` reuses the results of the last run for mutants whose
  // code and tests did not change (reports/mutation/<name>.incremental.json); `--force` reruns all.
  incrementalFile: `${report}.incremental.json`,
};
