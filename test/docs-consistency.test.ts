/// <reference types="vite/types/import-meta.d.ts" />
/**
 * The docs are wired to the code: every finding kind has a runbook that names it, the
 * response plan's tables agree with src/core/findings.ts, relative links resolve, and the
 * post-incident review template keeps its headings. Runs in workerd (no node:fs): Vite's
 * `import.meta.glob` inlines the markdown at transform time, and a non-eager glob lists
 * the other files links may point to without loading them.
 */
import { describe, expect, it } from 'vitest';
import {
  FINDING_KINDS,
  FINDING_KIND_NAMES,
  RESPONSE_MINUTES,
  SEVERITIES,
  isFindingKind,
  type Runbook,
} from '../src/core/findings';

/** Repo-relative path → markdown text. */
const MARKDOWN = rekey(
  import.meta.glob<string>(['../docs/**/*.md', '../*.md'], {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
);

/** Repo-relative paths of non-markdown files that docs may link to. */
const OTHER_FILES = Object.keys(
  rekey(
    import.meta.glob([
      '../src/**/*',
      '../test/**/*',
      '../tools/**/*',
      '../scripts/**/*',
      '../.github/**/*',
      '../*.{json,toml,ts,js}',
      '../.dev.vars.example',
      '../LICENSE',
    ]),
  ),
);

const EXISTING_FILES = new Set([...Object.keys(MARKDOWN), ...OTHER_FILES]);

/** Every Runbook; `Record` makes the compiler fail when the union gains a member. */
const RUNBOOKS: Record<Runbook, true> = {
  'supply-chain-compromise': true,
  'cache-poisoning': true,
  availability: true,
  'data-integrity': true,
  'information-disclosure': true,
  'monitor-down': true,
};
const RUNBOOK_NAMES = Object.keys(RUNBOOKS) as Runbook[];

const PLAN_PATH = 'docs/incident-response-plan.md';
const PIR_TEMPLATE_PATH = 'docs/templates/post-incident-review.md';
const KIND_TABLE_HEADING = '### Finding kinds, default severities and runbooks';
const SEVERITY_TABLE_HEADING = '## Severity levels';

const PIR_HEADINGS = [
  '## Summary',
  '## Impact',
  '## Detection',
  '## Timeline',
  '## Containment',
  '## Root causes',
  '## Trigger',
  '## Resolution',
  '## Action items',
  '## Lessons learned',
  '### What went well',
  '### What went wrong',
  '### Where we got lucky',
  '## Open questions',
  '## Supporting information',
];

function rekey<T>(modules: Record<string, T>): Record<string, T> {
  return Object.fromEntries(
    Object.entries(modules).map(([key, value]) => [key.replace(/^\.\.\//, ''), value]),
  );
}

function markdown(path: string): string {
  const text = MARKDOWN[path];
  if (text === undefined) throw new Error(`${path} does not exist`);
  return text;
}

/** The kinds on a runbook's `Finding kinds:` line, or `undefined` when it has none. */
function runbookKinds(text: string): string[] | undefined {
  const lines = text.split('\n').filter((line) => line.startsWith('Finding kinds:'));
  if (lines.length !== 1) return undefined;
  const line = lines[0] ?? '';
  const kinds = [...line.matchAll(/`([^`]+)`/g)].map((match) => match[1] ?? '');
  const canonical = `Finding kinds: ${kinds.map((kind) => `\`${kind}\``).join(', ')}`;
  return line.trimEnd() === canonical ? kinds : undefined;
}

/** The lines of a section: from its heading to the next heading of the same or higher level. */
function section(text: string, heading: string): string[] {
  const lines = text.split('\n');
  const start = lines.indexOf(heading);
  if (start < 0) return [];
  const level = heading.indexOf(' ');
  const end = lines.findIndex(
    (line, index) => index > start && /^#+ /.test(line) && line.indexOf(' ') <= level,
  );
  return lines.slice(start + 1, end < 0 ? undefined : end);
}

/** Table rows of a section as trimmed cells (header and separator rows included). */
function tableRows(lines: readonly string[]): string[][] {
  return lines
    .filter((line) => line.trimStart().startsWith('|'))
    .map((line) =>
      line
        .trim()
        .replace(/^\||\|$/g, '')
        .split('|')
        .map((cell) => cell.trim()),
    );
}

interface PlanKindRow {
  readonly severity: string;
  readonly area: string;
  readonly runbook: string;
  readonly security: boolean;
}

/** The plan's kind table: `| \`kind\` | P0 | area | [name](runbooks/name.md) | yes/no | … |`. */
function planKindRows(): Map<string, PlanKindRow> {
  const rows = new Map<string, PlanKindRow>();
  for (const [
    kindCell = '',
    severity = '',
    area = '',
    runbookCell = '',
    privateCell = '',
  ] of tableRows(section(markdown(PLAN_PATH), KIND_TABLE_HEADING))) {
    const kind = /^`([^`]+)`$/.exec(kindCell)?.[1];
    if (kind === undefined) continue;
    const runbook = /\(runbooks\/([^)]+)\.md\)/.exec(runbookCell)?.[1] ?? runbookCell;
    rows.set(kind, { severity, area, runbook, security: privateCell === 'yes' });
  }
  return rows;
}

/** Minutes stated in a cell such as `15 minutes` or `2 hours`. */
function minutesOf(cell: string): number | undefined {
  const match = /(\d+)\s*(minutes?|min|hours?|h)\b/.exec(cell);
  if (match === null) return undefined;
  const amount = Number(match[1]);
  return match[2]?.startsWith('h') ? amount * 60 : amount;
}

/** Link targets in markdown, outside code: inline links, images and reference definitions. */
function linkTargets(text: string): string[] {
  const prose = text
    .replace(/^[ \t>]*(```|~~~)[^\n]*\n[\s\S]*?^[ \t>]*\1[^\n]*$/gm, '')
    .replace(/`+[^`\n]*`+/g, '');
  const inline = [...prose.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)];
  const references = [...prose.matchAll(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/gm)];
  return [...inline, ...references].map((match) => match[1] ?? '');
}

/** Repo-relative path a relative link points to, or `undefined` for external and anchor links. */
function resolveLink(fromPath: string, target: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:/i.test(target) || target.startsWith('#') || target.startsWith('//')) {
    return undefined;
  }
  const path = decodeURIComponent(target.replace(/[?#].*$/, ''));
  const base = path.startsWith('/') ? [] : fromPath.split('/').slice(0, -1);
  const parts = [...base];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length === 0) return '../(outside the repository)';
      parts.pop();
    } else parts.push(part);
  }
  return parts.join('/') + (path.endsWith('/') ? '/' : '');
}

function exists(path: string): boolean {
  if (path.endsWith('/') || !/\.[a-z0-9]+$/i.test(path.split('/').pop() ?? '')) {
    const folder = path.endsWith('/') ? path : `${path}/`;
    return [...EXISTING_FILES].some((file) => file.startsWith(folder));
  }
  return EXISTING_FILES.has(path);
}

function brokenLinks(path: string): string[] {
  return linkTargets(markdown(path)).filter((target) => {
    const resolved = resolveLink(path, target);
    return resolved !== undefined && !exists(resolved);
  });
}

describe('runbooks', () => {
  it.each(RUNBOOK_NAMES)(
    '%s has a file with exactly one well-formed Finding kinds line',
    (name) => {
      const text = markdown(`docs/runbooks/${name}.md`);
      expect(runbookKinds(text)).toBeDefined();
    },
  );

  it.each(FINDING_KIND_NAMES)('%s is listed on the Finding kinds line of its runbook', (kind) => {
    const { runbook } = FINDING_KINDS[kind];
    expect(runbookKinds(markdown(`docs/runbooks/${runbook}.md`))).toContain(kind);
  });

  it.each(RUNBOOK_NAMES)('%s lists only kinds that findings.ts assigns to it', (name) => {
    const listed = runbookKinds(markdown(`docs/runbooks/${name}.md`)) ?? [];
    const wrong = listed.filter(
      (kind) => !isFindingKind(kind) || FINDING_KINDS[kind].runbook !== name,
    );
    expect(wrong).toEqual([]);
  });

  it('has no runbook file that findings.ts does not know', () => {
    const files = Object.keys(MARKDOWN)
      .filter((path) => path.startsWith('docs/runbooks/'))
      .map((path) => path.replace(/^docs\/runbooks\/|\.md$/g, ''));
    expect(files.filter((name) => !Object.hasOwn(RUNBOOKS, name))).toEqual([]);
  });
});

describe('incident response plan', () => {
  const rows = planKindRows();

  it.each(FINDING_KIND_NAMES)(
    'gives %s the severity, area, runbook and privacy of findings.ts',
    (kind) => {
      const spec = FINDING_KINDS[kind];
      expect(rows.get(kind)).toEqual({
        severity: spec.severity,
        area: spec.area,
        runbook: spec.runbook,
        security: spec.security,
      });
    },
  );

  it('lists no finding kind that the code lacks', () => {
    expect([...rows.keys()].filter((kind) => !isFindingKind(kind))).toEqual([]);
  });

  it.each(SEVERITIES)('states the response time of %s', (severity) => {
    const row = tableRows(section(markdown(PLAN_PATH), SEVERITY_TABLE_HEADING)).find(
      ([first]) => first === severity,
    );
    expect(minutesOf(row?.[1] ?? '')).toBe(RESPONSE_MINUTES[severity]);
  });
});

describe('relative links', () => {
  it.each(Object.keys(MARKDOWN).sort())('resolve in %s', (path) => {
    expect(brokenLinks(path)).toEqual([]);
  });

  it('are reported when they point to a missing file', () => {
    const targets = linkTargets(
      'See [a](runbooks/nope.md), `[b](ignored.md)` and [c](https://x.test/y.md).',
    );
    expect(
      targets.filter(
        (target) => !exists(resolveLink('docs/plan.md', target) ?? 'docs/runbooks/availability.md'),
      ),
    ).toEqual(['runbooks/nope.md']);
  });

  it('resolve against the linking file’s folder', () => {
    expect(resolveLink('docs/runbooks/availability.md', '../forensics.md#exporting')).toBe(
      'docs/forensics.md',
    );
    expect(resolveLink('SECURITY.md', 'docs/incident-response-plan.md')).toBe(
      'docs/incident-response-plan.md',
    );
    expect(resolveLink('docs/operations.md', '#pins')).toBeUndefined();
  });
});

describe('post-incident review template', () => {
  it('has each required heading once, in order', () => {
    const headings = markdown(PIR_TEMPLATE_PATH)
      .split('\n')
      .map((line) => line.trimEnd())
      .filter((line) => PIR_HEADINGS.includes(line));
    expect(headings).toEqual(PIR_HEADINGS);
  });
});
