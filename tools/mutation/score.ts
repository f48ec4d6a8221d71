/**
 * The mutation score per module from a StrykerJS JSON report, twice: with every test, and
 * with only the tests that are not `*-mutants.test.ts` (the suite before the mutation
 * tests were written). Both come from one run because stryker.config.mjs sets `disableBail`:
 * each mutant runs every test that covers it, so the report says which tests kill it.
 *
 * `node tools/mutation/score.ts [reports/mutation/mutation.json] [--survivors]`
 * prints a Markdown table (as in docs/reliability.md) and, with `--survivors`, one line per
 * mutant that no test kills: file:line, mutator, the original line and the replacement.
 *
 * Score = (killed + timed out) / (killed + timed out + survived + no coverage), as Stryker
 * counts it; mutants that do not compile or crash the loader ("errors") are left out.
 */
import { readFileSync } from 'node:fs';

interface Mutant {
  readonly id: string;
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
  readonly killedBy?: readonly string[];
  readonly coveredBy?: readonly string[];
  readonly static?: boolean;
}

interface Report {
  readonly files: Record<string, { readonly source: string; readonly mutants: Mutant[] }>;
  readonly testFiles?: Record<string, { readonly tests: readonly { readonly id: string }[] }>;
}

interface Tally {
  detected: number;
  survived: number;
  noCoverage: number;
  errors: number;
}

const args = process.argv.slice(2);
const path = args.find((arg) => !arg.startsWith('--')) ?? 'reports/mutation/mutation.json';
const report = JSON.parse(readFileSync(path, 'utf8')) as Report;

/** Ids of the tests that lived before the mutation tests: every test outside *-mutants files. */
const earlierTests = new Set<string>();
for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) {
  if (/-mutants\.test\.ts$/.test(file)) continue;
  for (const test of tests) earlierTests.add(test.id);
}

const empty = (): Tally => ({ detected: 0, survived: 0, noCoverage: 0, errors: 0 });

function tallyOf(mutant: Mutant, onlyEarlier: boolean): keyof Tally {
  const { status } = mutant;
  if (status === 'CompileError' || status === 'RuntimeError' || status === 'Ignored')
    return 'errors';
  if (!onlyEarlier) {
    if (status === 'Killed' || status === 'Timeout') return 'detected';
    return status === 'NoCoverage' ? 'noCoverage' : 'survived';
  }
  // A static mutant (module-level code) runs every test, so every test covers it.
  const covered =
    mutant.static === true || (mutant.coveredBy ?? []).some((id) => earlierTests.has(id));
  const killed = (mutant.killedBy ?? []).some((id) => earlierTests.has(id));
  if ((status === 'Killed' && killed) || (status === 'Timeout' && covered)) return 'detected';
  return covered ? 'survived' : 'noCoverage';
}

const score = (t: Tally) => {
  const total = t.detected + t.survived + t.noCoverage;
  return total === 0 ? 'n/a' : `${((100 * t.detected) / total).toFixed(1)} %`;
};

const rows: string[] = [];
const all = { before: empty(), after: empty() };
for (const [file, { mutants }] of Object.entries(report.files).sort(([a], [b]) =>
  a.localeCompare(b),
)) {
  const before = empty();
  const after = empty();
  for (const mutant of mutants) {
    before[tallyOf(mutant, true)] += 1;
    after[tallyOf(mutant, false)] += 1;
  }
  for (const key of Object.keys(before) as (keyof Tally)[]) {
    all.before[key] += before[key];
    all.after[key] += after[key];
  }
  rows.push(
    `| \`${file.replace(/^src\//, '')}\` | ${mutants.length - after.errors} | ${score(before)} | ${score(after)} | ${after.survived} | ${after.noCoverage} |`,
  );
}
console.log('| module | mutants | score before | score after | survived | no coverage |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(
  `| **all** | ${Object.values(report.files).reduce((n, f) => n + f.mutants.length, 0) - all.after.errors} | ${score(all.before)} | ${score(all.after)} | ${all.after.survived} | ${all.after.noCoverage} |`,
);

if (args.includes('--survivors')) {
  for (const [file, { source, mutants }] of Object.entries(report.files)) {
    const lines = source.split('\n');
    for (const mutant of mutants) {
      if (mutant.status !== 'Survived' && mutant.status !== 'NoCoverage') continue;
      const { line, column } = mutant.location.start;
      const original = (lines[line - 1] ?? '').trim().slice(0, 100);
      const replacement = JSON.stringify(mutant.replacement ?? '').slice(0, 70);
      console.log(
        `${file}:${line}:${column} ${mutant.status} ${mutant.mutatorName}: ${original} => ${replacement}`,
      );
    }
  }
}
