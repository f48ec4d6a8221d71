/**
 * The mutation score per module from StrykerJS JSON reports, twice: with every test, and
 * with only the tests that are not `*-mutants.test.ts` (the suite before the mutation
 * tests were written). Both come from one run. A mutant stops at the first test that kills
 * it, so when that test is a *-mutants one the earlier tests are counted as missing it: the
 * "before" score is a lower bound, exact only for a run with MUTATION_ALL_KILLERS=1
 * (stryker.config.mjs), where each mutant runs every test that covers it.
 *
 * `--before=a.json,b.json` takes the "before" score from reports of a run with only the
 * earlier tests instead (CORE_TESTS listing every test file but the *-mutants ones): exact.
 *
 * `node tools/mutation/score.ts [report.json …] [--before=…] [--survivors]` (default
 * reports/mutation/mutation.json; several reports, e.g. one per group of modules, are
 * merged) prints a Markdown table (as in docs/reliability.md) and, with `--survivors`, one
 * line per mutant that no test kills: file:line, mutator, the original line and the
 * replacement.
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
  ignored: number;
  errors: number;
}

const args = process.argv.slice(2);
const paths = args.filter((arg) => !arg.startsWith('--'));
const reports = (paths.length > 0 ? paths : ['reports/mutation/mutation.json']).map(
  (path) => JSON.parse(readFileSync(path, 'utf8')) as Report,
);
const beforePaths = args.find((arg) => arg.startsWith('--before='))?.slice('--before='.length);
const beforeFiles: Report['files'] = Object.assign(
  {},
  ...(beforePaths?.split(',') ?? []).map(
    (path) => (JSON.parse(readFileSync(path, 'utf8')) as Report).files,
  ),
) as Report['files'];
// Test ids are numbered per report: prefix them with the report's index before merging.
const prefixed = reports.map((one, index): Report => {
  const id = (test: string) => `${index}:${test}`;
  return {
    files: Object.fromEntries(
      Object.entries(one.files).map(([file, { source, mutants }]) => [
        file,
        {
          source,
          mutants: mutants.map((mutant) => ({
            ...mutant,
            ...(mutant.killedBy && { killedBy: mutant.killedBy.map(id) }),
            ...(mutant.coveredBy && { coveredBy: mutant.coveredBy.map(id) }),
          })),
        },
      ]),
    ),
    testFiles: Object.fromEntries(
      Object.entries(one.testFiles ?? {}).map(([file, { tests }]) => [
        `${index}:${file}`,
        { tests: tests.map((test) => ({ id: id(test.id) })) },
      ]),
    ),
  };
});
const report: Report = {
  files: Object.assign({}, ...prefixed.map((one) => one.files)) as Report['files'],
  testFiles: Object.assign({}, ...prefixed.map((one) => one.testFiles)) as NonNullable<
    Report['testFiles']
  >,
};

/** Ids of the tests that lived before the mutation tests: every test outside *-mutants files. */
const earlierTests = new Set<string>();
for (const [file, { tests }] of Object.entries(report.testFiles ?? {})) {
  if (/-mutants\.test\.ts$/.test(file)) continue;
  for (const test of tests) earlierTests.add(test.id);
}

const empty = (): Tally => ({ detected: 0, survived: 0, noCoverage: 0, ignored: 0, errors: 0 });

function tallyOf(mutant: Mutant, onlyEarlier: boolean): keyof Tally {
  const { status } = mutant;
  // Ignored: static mutants (module-level code), left out by `ignoreStatic`.
  if (status === 'Ignored') return 'ignored';
  if (status === 'CompileError' || status === 'RuntimeError') return 'errors';
  if (!onlyEarlier) {
    if (status === 'Killed' || status === 'Timeout') return 'detected';
    return status === 'NoCoverage' ? 'noCoverage' : 'survived';
  }
  // A purely static mutant (module-level code, run with MUTATION_STATIC=1) runs every test,
  // so every test covers it; a hybrid one (also reached inside tests) runs its covering tests.
  const coveredBy = mutant.coveredBy ?? [];
  const covered =
    (mutant.static === true && coveredBy.length === 0) ||
    coveredBy.some((id) => earlierTests.has(id));
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
  for (const mutant of mutants) after[tallyOf(mutant, false)] += 1;
  if (beforePaths === undefined) {
    for (const mutant of mutants) before[tallyOf(mutant, true)] += 1;
  } else {
    for (const mutant of beforeFiles[file]?.mutants ?? []) before[tallyOf(mutant, false)] += 1;
  }
  for (const key of Object.keys(before) as (keyof Tally)[]) {
    all.before[key] += before[key];
    all.after[key] += after[key];
  }
  rows.push(
    `| \`${file.replace(/^src\//, '')}\` | ${mutants.length - after.errors - after.ignored} | ${score(before)} | ${score(after)} | ${after.survived} | ${after.noCoverage} | ${after.ignored} |`,
  );
}
console.log(
  `| module | mutants run | score before${beforePaths === undefined ? ' (at least)' : ''} | score after | survived | no coverage | static, not run |`,
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const row of rows) console.log(row);
console.log(
  `| **all** | ${Object.values(report.files).reduce((n, f) => n + f.mutants.length, 0) - all.after.errors - all.after.ignored} | ${score(all.before)} | ${score(all.after)} | ${all.after.survived} | ${all.after.noCoverage} | ${all.after.ignored} |`,
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
