/**
 * A real-browser check of the public status page. It stands up the fixture dist site
 * (tools/dist-site/server.ts) with a tampered artifact, the monitor under
 * `wrangler dev --test-scheduled` pointed at it, fires a sweep through `/__scheduled`,
 * waits for the P0 incident, and then drives headless Chromium (Debian's, at
 * /usr/bin/chromium, through playwright-core) to check what a visitor sees:
 *
 * - the incident row says "Investigating an issue" and names no file, URL or hash;
 * - the stylesheet applied under the strict CSP, and nothing else was requested;
 * - the page fits a phone's width without horizontal scrolling;
 * - axe-core (WCAG 2.2 A/AA rules) finds no serious or critical violation, in light and
 *   dark colour schemes at 1280 and 360 px, before and after disclosure;
 * - after an operator discloses the incident, the row names the tampered file.
 *
 * Screenshots go to test-results/ (status-page.png, status-page-phone.png,
 * status-page-disclosed.png, status-page-disclosed-phone.png, status-page-dark.png).
 * Every process it starts is stopped by PID (its process group), also on failure or
 * Ctrl-C, and its temporary directory is removed.
 *
 *   npx node tools/browser-check.ts      (tools/browser-check.sh installs chromium first)
 *
 * It installs nothing itself. Exit code 0 = passed, 1 = a check failed, 2 = no chromium.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';
import { cleanUpEverything, makeTempDir } from './demo/processes.ts';
import { REPO_ROOT, startDistSite, startWranglerDev } from './demo/stack.ts';
import { waitUntil } from './demo/waiting.ts';

const RESULTS_DIR = join(REPO_ROOT, 'test-results');
const CHROMIUM = '/usr/bin/chromium';
const START_TIMEOUT_MS = 180_000;
const INCIDENT_TIMEOUT_MS = 120_000;
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

class CheckFailed extends Error {
  override readonly name = 'CheckFailed';
}

function log(line: string): void {
  process.stdout.write(`browser-check: ${line}\n`);
}

// ---------------------------------------------------------------------------------------
// The stack: fixture site, monitor (tools/demo/stack.ts), each in its own process group.

interface Stack {
  readonly siteOrigin: string;
  readonly monitorOrigin: string;
  readonly token: string;
}

async function startStack(dir: string): Promise<Stack> {
  const site = await startDistSite({ dir, name: 'dist-site', args: ['--releases', '2'] });
  log(`started dist-site (pid ${site.process.pid})`);
  const token = randomBytes(24).toString('hex');
  const monitor = await startWranglerDev({
    dir,
    name: 'wrangler dev',
    distBaseUrl: site.distBaseUrl,
    secrets: { RELEASE_KEYS: site.publicKey, OPERATOR_TOKENS: `browser-check:${token}` },
    vars: { CONTAINMENT_MODE: 'dry-run', REQUEST_RETRIES: '1', REQUEST_TIMEOUT_MS: '5000' },
    startTimeoutMs: START_TIMEOUT_MS,
  });
  log(`started wrangler dev (pid ${monitor.process.pid})`);
  return { siteOrigin: site.origin, monitorOrigin: monitor.origin, token };
}

/** Tampers with the newest release's first artifact; returns its file name. */
async function tamper(siteOrigin: string): Promise<{ version: string; file: string }> {
  const index = (await (await fetch(`${siteOrigin}/dist/index.json`)).json()) as {
    version: string;
  }[];
  const version = index[0]?.version;
  if (version === undefined) throw new CheckFailed('the fixture site lists no release');
  const shasums = await (await fetch(`${siteOrigin}/dist/${version}/SHASUMS256.txt`)).text();
  const file = shasums
    .split('\n')
    .map((line) => line.trim().split(/\s+/)[1])
    .find((name) => name?.startsWith('node-'));
  if (file === undefined) throw new CheckFailed(`no artifact in ${version}/SHASUMS256.txt`);
  const response = await fetch(`${siteOrigin}/__control/attack`, {
    method: 'POST',
    body: JSON.stringify({ attack: 'tamper-artifact', version, file }),
  });
  if (!response.ok)
    throw new CheckFailed(
      `the site refused the attack: ${response.status} ${await response.text()}`,
    );
  return { version, file };
}

interface IncidentRow {
  readonly id: string;
  readonly kind: string;
  readonly subject: string;
}

/** Fires sweeps until the tampering incident is open (hashing runs on the queue). */
async function waitForIncident(stack: Stack): Promise<IncidentRow> {
  const auth = { authorization: `Bearer ${stack.token}` };
  let lastSweep = 0;
  return waitUntil(
    'the tampering incident to open',
    async () => {
      const listing = (await (
        await fetch(`${stack.monitorOrigin}/api/incidents`, { headers: auth })
      ).json()) as {
        incidents: IncidentRow[];
      };
      const found = listing.incidents.find(
        (incident) => incident.kind === 'artifact-hash-mismatch',
      );
      if (found !== undefined) return found;
      if (Date.now() - lastSweep > 30_000) {
        lastSweep = Date.now();
        log('firing a sweep through /__scheduled');
        const fired = await fetch(
          `${stack.monitorOrigin}/__scheduled?cron=${encodeURIComponent('*/5 * * * *')}`,
        );
        await fired.body?.cancel();
      }
      return undefined;
    },
    { timeoutMs: INCIDENT_TIMEOUT_MS, intervalMs: 500 },
  );
}

// ---------------------------------------------------------------------------------------
// The browser.

function expect(condition: boolean, message: string): void {
  if (!condition) throw new CheckFailed(message);
}

interface PageReport {
  readonly incidentText: string;
  readonly consoleErrors: string[];
  readonly foreignRequests: string[];
}

async function loadStatusPage(page: Page, origin: string): Promise<PageReport> {
  const consoleErrors: string[] = [];
  const foreignRequests: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && !/favicon/.test(message.text()))
      consoleErrors.push(message.text());
  });
  page.on('request', (request) => {
    const url = request.url();
    if (!url.startsWith(origin)) foreignRequests.push(url);
  });
  const response = await page.goto(`${origin}/`, { waitUntil: 'load' });
  expect(response?.status() === 200, `GET / answered ${response?.status() ?? 'nothing'}`);
  const rows = page.locator('#incidents-heading + ul.incidents > li');
  expect((await rows.count()) === 1, `expected one open incident row, saw ${await rows.count()}`);
  return { incidentText: (await rows.first().innerText()).trim(), consoleErrors, foreignRequests };
}

async function checkStylesApplied(page: Page): Promise<void> {
  // The inline stylesheet is allowed by hash; if the CSP blocked it, the banner has no border.
  // Strings, not functions: they run in the page, whose DOM types this Node file does not load.
  const border = await page.evaluate<string>(
    "getComputedStyle(document.querySelector('.overall')).borderLeftWidth",
  );
  expect(border === '8px', `the stylesheet did not apply (banner border-left ${border})`);
}

async function checkFitsPhone(browser: Browser, origin: string, screenshot: string): Promise<void> {
  const phone = await browser.newPage({
    viewport: { width: 360, height: 780 },
    deviceScaleFactor: 2,
  });
  await phone.goto(`${origin}/`, { waitUntil: 'load' });
  const overflow = await phone.evaluate<number>(
    'document.documentElement.scrollWidth - document.documentElement.clientWidth',
  );
  expect(overflow <= 0, `the page scrolls sideways on a 360 px phone (${overflow} px too wide)`);
  await phone.screenshot({ path: join(RESULTS_DIR, screenshot), fullPage: true });
  await phone.close();
}

/** The WCAG rule sets axe runs: 2.0, 2.1 and 2.2, levels A and AA. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'];
const FAILING_IMPACTS = new Set(['serious', 'critical']);

/**
 * axe-core on the status page in light and dark, at 1280 and 360 px: any serious or critical
 * violation fails the check (each named with its rule, impact and first element).
 */
async function checkAccessibility(browser: Browser, origin: string, when: string): Promise<void> {
  const failures: string[] = [];
  let checked = 0;
  for (const colorScheme of ['light', 'dark'] as const) {
    for (const width of [1280, 360]) {
      const context = await browser.newContext({
        viewport: { width, height: 900 },
        colorScheme,
      });
      const page = await context.newPage();
      await page.goto(`${origin}/`, { waitUntil: 'load' });
      const results = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
      checked += results.passes.length;
      for (const violation of results.violations) {
        if (!FAILING_IMPACTS.has(violation.impact ?? '')) continue;
        const target = violation.nodes[0]?.target.join(' ') ?? '?';
        failures.push(
          `${colorScheme} ${width} px: ${violation.id} (${violation.impact}) at ${target}: ${violation.help}`,
        );
      }
      await context.close();
    }
  }
  log(
    `axe-core ${when}: ${checked} rule passes over 4 views, ${failures.length} serious or critical violations`,
  );
  expect(failures.length === 0, `axe-core found:\n  ${failures.join('\n  ')}`);
}

async function runBrowserChecks(
  stack: Stack,
  tampered: { version: string; file: string },
  incident: IncidentRow,
): Promise<void> {
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const before = await loadStatusPage(page, stack.monitorOrigin);
    log(`incident row before disclosure: ${JSON.stringify(before.incidentText)}`);
    expect(
      before.incidentText.includes('Investigating an issue'),
      'the row does not say "Investigating an issue"',
    );
    for (const secret of [tampered.file, tampered.version, incident.subject, incident.id]) {
      expect(!before.incidentText.includes(secret), `the undisclosed incident row shows ${secret}`);
      expect(
        !(await page.content()).includes(secret),
        `the status page shows ${secret} before disclosure`,
      );
    }
    expect(
      before.foreignRequests.length === 0,
      `the page requested ${before.foreignRequests.join(', ')}`,
    );
    expect(
      before.consoleErrors.length === 0,
      `console errors: ${before.consoleErrors.join(' | ')}`,
    );
    await checkStylesApplied(page);
    const heading = await page.locator('h1').innerText();
    expect(heading === 'dist.nodejs.org integrity status', `unexpected h1: ${heading}`);
    await page.screenshot({ path: join(RESULTS_DIR, 'status-page.png'), fullPage: true });
    await checkFitsPhone(browser, stack.monitorOrigin, 'status-page-phone.png');
    await checkAccessibility(browser, stack.monitorOrigin, 'before disclosure');

    const disclosed = await fetch(`${stack.monitorOrigin}/api/incidents/${incident.id}/disclose`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}` },
    });
    expect(disclosed.status === 200, `POST /disclose answered ${disclosed.status}`);
    const after = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const afterReport = await loadStatusPage(after, stack.monitorOrigin);
    log(`incident row after disclosure: ${JSON.stringify(afterReport.incidentText)}`);
    expect(
      afterReport.incidentText.includes(tampered.file),
      'the disclosed incident row does not name the file',
    );
    await after.screenshot({
      path: join(RESULTS_DIR, 'status-page-disclosed.png'),
      fullPage: true,
    });
    // Disclosed detail carries 64-character hashes and long URLs: they must wrap on a phone.
    await checkFitsPhone(browser, stack.monitorOrigin, 'status-page-disclosed-phone.png');
    await checkAccessibility(browser, stack.monitorOrigin, 'after disclosure');
    const dark = await browser.newPage({
      viewport: { width: 1280, height: 900 },
      colorScheme: 'dark',
    });
    await dark.goto(`${stack.monitorOrigin}/`, { waitUntil: 'load' });
    await dark.screenshot({ path: join(RESULTS_DIR, 'status-page-dark.png'), fullPage: true });
  } finally {
    await browser.close();
  }
}

// ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  if (!existsSync(CHROMIUM)) {
    process.stderr.write(
      `browser-check: ${CHROMIUM} not found; run tools/browser-check.sh (installs Debian's chromium)\n`,
    );
    return 2;
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const dir = makeTempDir('browser-check');
  try {
    const stack = await startStack(dir);
    log(`monitor on ${stack.monitorOrigin}, site on ${stack.siteOrigin}`);
    const tampered = await tamper(stack.siteOrigin);
    log(`tampered ${tampered.version}/${tampered.file}`);
    const incident = await waitForIncident(stack);
    log(`incident ${incident.id} is open`);
    await runBrowserChecks(stack, tampered, incident);
    log('passed; screenshots in test-results/');
    return 0;
  } catch (error) {
    process.stderr.write(
      `browser-check: FAILED: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return 1;
  } finally {
    // Stops every process group started here, by PID, and removes the temporary directory.
    await cleanUpEverything();
  }
}

process.exitCode = await main();
