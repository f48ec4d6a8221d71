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
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import type { Browser, Page } from 'playwright-core';

const REPO_ROOT = resolve(import.meta.dirname, '..');
const RESULTS_DIR = join(REPO_ROOT, 'test-results');
const CHROMIUM = '/usr/bin/chromium';
const HOST = '127.0.0.1';
const WRANGLER = join(REPO_ROOT, 'node_modules/wrangler/bin/wrangler.js');
/** What wrangler dev needs to build the Worker; a copy, so edits elsewhere cannot restart it. */
const WORKER_FILES = ['wrangler.toml', 'package.json', 'tsconfig.json', 'src'];
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

// ---------------------------------------------------------------------------------------
// Processes: each child leads its own process group, so stopping it stops what it started
// (wrangler starts workerd). Stopped by PID, never by name.

interface Child {
  readonly name: string;
  readonly child: ChildProcess;
  readonly output: string[];
  readonly exited: Promise<void>;
}

const children: Child[] = [];
const tempDirs: string[] = [];

function log(line: string): void {
  process.stdout.write(`browser-check: ${line}\n`);
}

function start(
  name: string,
  command: string,
  args: readonly string[],
  cwd: string,
  env?: NodeJS.ProcessEnv,
): Child {
  const child = spawn(command, args, {
    cwd,
    env: env ?? process.env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  const keep = (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (line.trim() !== '') output.push(line);
    }
    if (output.length > 400) output.splice(0, output.length - 400);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const entry: Child = { name, child, output, exited };
  children.push(entry);
  log(`started ${name} (pid ${child.pid ?? '?'})`);
  return entry;
}

function isRunning(entry: Child): boolean {
  return entry.child.exitCode === null && entry.child.signalCode === null;
}

function signalGroup(entry: Child, signal: NodeJS.Signals): void {
  const pid = entry.child.pid;
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

async function stopAll(): Promise<void> {
  for (const entry of [...children].reverse()) {
    if (!isRunning(entry)) continue;
    signalGroup(entry, 'SIGTERM');
    const stopped = await Promise.race([
      entry.exited.then(() => true),
      sleep(5_000).then(() => false),
    ]);
    if (!stopped) {
      signalGroup(entry, 'SIGKILL');
      await Promise.race([entry.exited, sleep(2_000)]);
    }
    log(`stopped ${entry.name} (pid ${entry.child.pid ?? '?'})`);
  }
  children.length = 0;
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/** Last resort on an abrupt exit: no process group may outlive the check. */
process.on('exit', () => {
  for (const entry of children) if (isRunning(entry)) signalGroup(entry, 'SIGKILL');
  for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    log(`${signal}: stopping everything`);
    void stopAll().finally(() => process.exit(130));
  });
}

function sleep(ms: number): Promise<void> {
  return new Promise((done) => setTimeout(done, ms));
}

function freePort(): Promise<number> {
  return new Promise((done, fail) => {
    const server = createServer();
    server.once('error', fail);
    server.listen(0, HOST, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => done(port));
    });
  });
}

async function waitFor<T>(
  what: string,
  timeoutMs: number,
  probe: () => Promise<T | undefined>,
  watch?: Child,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (watch !== undefined && !isRunning(watch)) {
      throw new CheckFailed(
        `${watch.name} exited while waiting for ${what}:\n${watch.output.slice(-30).join('\n')}`,
      );
    }
    try {
      const value = await probe();
      if (value !== undefined) return value;
    } catch {
      // Not ready yet.
    }
    if (Date.now() > deadline) {
      const tail = watch === undefined ? '' : `\n${watch.output.slice(-30).join('\n')}`;
      throw new CheckFailed(`timed out waiting for ${what}${tail}`);
    }
    await sleep(500);
  }
}

// ---------------------------------------------------------------------------------------
// The stack: fixture site, monitor.

interface Stack {
  readonly siteOrigin: string;
  readonly monitorOrigin: string;
  readonly token: string;
}

async function startStack(dir: string): Promise<Stack> {
  const keyFile = join(dir, 'release-key.asc');
  const site = start(
    'dist-site',
    process.execPath,
    [
      join(REPO_ROOT, 'tools/dist-site/server.ts'),
      '--host',
      HOST,
      '--port',
      '0',
      '--releases',
      '2',
      '--key-out',
      keyFile,
    ],
    REPO_ROOT,
  );
  const siteOrigin = await waitFor(
    'the fixture site to listen',
    60_000,
    async () => /listening on (http:\/\/\S+)\/dist\b/.exec(site.output.join('\n'))?.[1],
    site,
  );
  const publicKey = (await readFile(keyFile, 'utf8')).trim();

  const workerDir = join(dir, 'worker');
  for (const name of WORKER_FILES)
    cpSync(join(REPO_ROOT, name), join(workerDir, name), { recursive: true });
  symlinkSync(join(REPO_ROOT, 'node_modules'), join(workerDir, 'node_modules'), 'dir');
  const token = randomBytes(24).toString('hex');
  // Secrets in an env file (dotenv keeps the armored key's line breaks when double-quoted).
  const envFile = join(dir, 'monitor.env');
  writeFileSync(
    envFile,
    `RELEASE_KEYS="${publicKey}"\nOPERATOR_TOKENS="browser-check:${token}"\n`,
    { mode: 0o600 },
  );

  const [port, inspectorPort] = [await freePort(), await freePort()];
  const monitorOrigin = `http://${HOST}:${port}`;
  const vars: Record<string, string> = {
    DIST_BASE_URL: `${siteOrigin}/dist`,
    ORIGIN_BASE_URL: '',
    CONTAINMENT_MODE: 'dry-run',
    ALLOWED_REDIRECT_HOSTS: `${HOST},localhost`,
    REQUEST_RETRIES: '1',
    REQUEST_TIMEOUT_MS: '5000',
    PROBE_REGIONS: '',
    PUBLIC_URL: monitorOrigin,
  };
  const monitor = start(
    'wrangler dev',
    process.execPath,
    [
      WRANGLER,
      'dev',
      '--test-scheduled',
      '--ip',
      HOST,
      '--port',
      String(port),
      '--inspector-port',
      String(inspectorPort),
      '--persist-to',
      join(dir, 'state'),
      '--env-file',
      envFile,
      '--show-interactive-dev-session=false',
      ...Object.entries(vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
    ],
    workerDir,
    {
      ...process.env,
      WRANGLER_SEND_METRICS: 'false',
      WRANGLER_SEND_ERROR_REPORTS: 'false',
      CLOUDFLARE_CF_FETCH_ENABLED: 'false',
      WRANGLER_LOG_PATH: join(dir, 'wrangler-logs'),
      NO_COLOR: '1',
    },
  );
  await waitFor(
    'the monitor to answer /healthz',
    START_TIMEOUT_MS,
    async () =>
      (await fetch(`${monitorOrigin}/healthz`, { signal: AbortSignal.timeout(5_000) })).ok
        ? true
        : undefined,
    monitor,
  );
  return { siteOrigin, monitorOrigin, token };
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
  return waitFor('the tampering incident to open', INCIDENT_TIMEOUT_MS, async () => {
    const listing = (await (
      await fetch(`${stack.monitorOrigin}/api/incidents`, { headers: auth })
    ).json()) as {
      incidents: IncidentRow[];
    };
    const found = listing.incidents.find((incident) => incident.kind === 'artifact-hash-mismatch');
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
  });
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
  const dir = mkdtempSync(join(tmpdir(), 'browser-check-'));
  tempDirs.push(dir);
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
    await stopAll();
  }
}

process.exitCode = await main();
