/**
 * Runs the consumer suite (every `*.consumer.test.ts` here: the monitor's outputs read by
 * promtool, xmllint, parse5 and the reference webhook library) one file at a time with the
 * spec reporter, then prints one closing line, `N passed, N failed`, and exits non-zero
 * when anything failed or was cancelled.
 *
 *   node tools/consumers/run.ts      (bash tools/consumers.sh installs promtool and xmllint)
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec } from 'node:test/reporters';

/** Above the sum of every bounded wait in the suite; a hung run still ends. */
const SUITE_TIMEOUT_MS = 20 * 60 * 1000;

const files = readdirSync(import.meta.dirname)
  .filter((name) => name.endsWith('.consumer.test.ts'))
  .sort()
  .map((name) => join(import.meta.dirname, name));

let summary: { passed: number; failed: number; success: boolean } | undefined;

const stream = run({ files, concurrency: 1, timeout: SUITE_TIMEOUT_MS });
stream.on('test:summary', (data) => {
  if (data.file !== undefined) return;
  const { tests, passed, skipped, todo } = data.counts;
  summary = { passed, failed: tests - passed - skipped - todo, success: data.success };
});
const report = stream.compose(spec);
report.pipe(process.stdout, { end: false });
report.on('end', () => {
  const result = summary ?? { passed: 0, failed: 1, success: false };
  process.stdout.write(`\n${result.passed} passed, ${result.failed} failed\n`);
  process.exitCode = result.success && result.failed === 0 ? 0 : 1;
});
