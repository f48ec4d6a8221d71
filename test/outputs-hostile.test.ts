/**
 * The public outputs read by parsers nobody here wrote, with hostile text from the watched
 * site in every field that reaches them: the Atom feed by a strict, namespace-aware XML 1.0
 * parser (saxes, which refuses every character XML forbids), the status page by the
 * WHATWG HTML5 parser (parse5, reporting every parse error). A site that serves
 * `index.json` of `[\u0001]` must not break either (issue 15, item 1).
 */
import { parse } from 'parse5';
import { SaxesParser } from 'saxes';
import { describe, expect, it } from 'vitest';
import { createFinding } from '../src/core/findings';
import { incidentIdOf } from '../src/core/incident';
import { placementOf } from '../src/core/region-colos';
import { monitorStateStub } from '../src/durable/monitor-state';
import type { MonitorEnv } from '../src/env';
import { runSweep } from '../src/jobs/sweep';
import { reportSweepFindings } from '../src/jobs/report-findings';
import { createDistSite } from '../tools/dist-site/site';
import { ALICE_TOKEN, call, seedSweep, testEnv } from './http-helpers';

/** Every kind of character no output may carry, and the markup characters besides. */
export const HOSTILE_TEXT =
  '\u0001\u000b\u000c\u001f\u007f\u0085\u009b\uFFFE\uFFFF\uFDD0\u{1FFFE}\uD800\u202E\u2066 <b>&amp;</b> "q" \'a\' ]]> <!-- --> 😀';

/** Fails with the parser's messages unless `xml` is well-formed XML 1.0 with namespaces. */
function strictXmlErrors(xml: string): string[] {
  const errors: string[] = [];
  const parser = new SaxesParser({ xmlns: true });
  parser.on('error', (error) => errors.push(error.message));
  parser.write(xml).close();
  return errors;
}

function html5Errors(html: string): string[] {
  const errors: string[] = [];
  parse(html, {
    onParseError: (error) => errors.push(`${error.code} at ${error.startLine}:${error.startCol}`),
  });
  return errors;
}

/** No code point of HOSTILE_TEXT that outputs must drop survives in `text`. */
function expectNoForbiddenCodePoints(text: string): void {
  expect(text).not.toMatch(
    /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\uFFFE\uFFFF\uFDD0-\uFDEF\u202A-\u202E\u2066-\u2069]/,
  );
  expect(text.isWellFormed()).toBe(true);
}

async function sweepAgainst(fetcher: typeof fetch): Promise<void> {
  const site = await createDistSite({ artifactsPerRelease: 2, now: new Date() });
  const sweepEnv = {
    ...testEnv,
    DIST_BASE_URL: 'https://dist.test/dist',
    ORIGIN_BASE_URL: '',
    RELEASE_KEYS: site.publicKeyArmored,
    REQUEST_RETRIES: '0',
    PROBE_REGIONS: '',
  } as MonitorEnv;
  const run = await runSweep(sweepEnv, {
    trigger: 'test',
    fetch: async (input, init) => {
      const answer = await fetcher(input, init);
      return answer ?? site.fetcher(input, init);
    },
    sleep: async () => {},
  });
  expect(run.status).toBe('completed');
}

/** A site that answers index.json with `body`. */
function indexOf(body: string): typeof fetch {
  return (async (input: RequestInfo | URL) => {
    const url = new URL(new Request(input).url);
    if (url.pathname.endsWith('/index.json')) {
      return new Response(body, {
        headers: {
          'content-type': 'application/json',
          'cache-control': 'public, max-age=3600, s-maxage=14400',
        },
      });
    }
    return undefined as unknown as Response;
  }) as typeof fetch;
}

async function readPublicOutputs(): Promise<{ feed: string; page: string }> {
  const feed = await (await call('/incidents.atom')).text();
  const page = await (await call('/')).text();
  return { feed, page };
}

describe('hostile text from the watched site', () => {
  it('index.json of [\\u0001] leaves the feed well-formed XML and the page clean HTML5', async () => {
    await sweepAgainst(indexOf('[\u0001]'));
    const { feed, page } = await readPublicOutputs();
    expect(feed).toContain('index.json is not valid JSON');
    expect(strictXmlErrors(feed)).toEqual([]);
    expect(html5Errors(page)).toEqual([]);
    expectNoForbiddenCodePoints(feed);
    expectNoForbiddenCodePoints(page);
  });

  it.each([
    ['U+0001', '\u0001'],
    ['U+000B', '\u000b'],
    ['U+FFFE', '\uFFFE'],
  ])('a version string with %s leaves the feed well-formed', async (_name, char) => {
    const index = JSON.stringify([
      { version: `v25.2.0${char}`, date: '2026-11-01', files: ['linux-x64'], lts: false },
    ]);
    await sweepAgainst(indexOf(index));
    const { feed, page } = await readPublicOutputs();
    expect(feed).toContain('<entry>');
    expect(strictXmlErrors(feed)).toEqual([]);
    expect(html5Errors(page)).toEqual([]);
  });

  it('in every field of public and disclosed incidents, the feed and page parse strictly', async () => {
    await seedSweep();
    const now = new Date();
    const findings = [
      createFinding(
        {
          kind: 'artifact-missing',
          subject: `https://dist.test/dist/v24.0.0/${HOSTILE_TEXT}.tar.gz`,
          summary: `listed but missing: ${HOSTILE_TEXT}`,
          release: `v24.0.0${HOSTILE_TEXT}`,
        },
        now,
      ),
      createFinding(
        {
          kind: 'artifact-hash-mismatch',
          subject: `https://dist.test/dist/v24.0.1/${HOSTILE_TEXT}`,
          summary: `tampered ${HOSTILE_TEXT}`,
          expected: HOSTILE_TEXT,
          observed: HOSTILE_TEXT,
          release: HOSTILE_TEXT,
        },
        now,
      ),
    ];
    await reportSweepFindings(testEnv, { sweepId: 'sweep-hostile', findings, now });
    const privateId = await incidentIdOf(findings[1]!.fingerprint);
    const before = await readPublicOutputs();
    expect(strictXmlErrors(before.feed)).toEqual([]);
    expect(html5Errors(before.page)).toEqual([]);

    await call(`/api/incidents/${privateId}/disclose`, { method: 'POST', token: ALICE_TOKEN });
    const { feed, page } = await readPublicOutputs();
    expect(feed).toContain('tampered');
    expect(page).toContain('tampered');
    expect(strictXmlErrors(feed)).toEqual([]);
    expect(html5Errors(page)).toEqual([]);
    expectNoForbiddenCodePoints(feed);
    expectNoForbiddenCodePoints(page);
    // The markup characters arrive as text, not markup.
    expect(feed).not.toContain('<b>');
    expect(page).not.toContain('<b>');
  });

  it('in the region colo the site reports (cf-ray), the page parses strictly', async () => {
    // The colo comes from a header the site sets; regions render on the status page.
    await seedSweep();
    await monitorStateStub(testEnv).recordRegionResults([
      {
        ...placementOf(`FRA${HOSTILE_TEXT}`, 'weur'),
        region: 'weur',
        sweepId: 'sweep-hostile',
        probedAt: new Date().toISOString(),
        result: 'ok',
        availability: 'ok',
        detail: HOSTILE_TEXT,
        checks: 1,
        requests: 1,
        poisonedUrls: [],
        fullHash: false,
      },
    ]);
    const { page } = await readPublicOutputs();
    expect(html5Errors(page)).toEqual([]);
    expectNoForbiddenCodePoints(page);
  });
});
