/**
 * dist-verify end to end: the built CLI (dist-cli/dist-verify.mjs, as `npm install` builds
 * it), run as a process on the system's Node (20 on a machine whose `node` is 20), against
 * the fixture dist site and a fixture transparency log built with the project's tlog core.
 * Each test names the exit code and the reason a person would read.
 *
 *   node tools/e2e/run.ts            (or: node --test tools/e2e/dist-verify.e2e.test.ts)
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, afterEach, before, describe, it } from 'node:test';
import type { LogEntry } from '../../src/core/tlog/entries.ts';
import { createSiteControl } from '../demo/monitor-client.ts';
import type { SiteControl } from '../demo/monitor-client.ts';
import { cleanUpEverything, makeTempDir } from '../demo/processes.ts';
import { generateWebhookSecret, startAlertReceiver } from '../demo/receiver.ts';
import { startDistSite } from '../demo/stack.ts';
import type { DistSite } from '../demo/stack.ts';
import { buildCli, jsonOf, runCli, userNode, type CliRun } from './dist-verify-harness.ts';
import { startLogFixture } from './log-fixture.ts';
import type { LogFixture } from './log-fixture.ts';

let dir = '';
let site: DistSite | undefined;
let control: SiteControl | undefined;
let keyFile = '';
let release = '';
const logs: LogFixture[] = [];
const node = userNode();
let cacheCount = 0;

before(
  async () => {
    buildCli();
    dir = makeTempDir('dist-verify-e2e');
    site = await startDistSite({ dir, name: 'dist-site', args: ['--releases', '2'] });
    control = createSiteControl(site.origin);
    keyFile = join(dir, 'release-key.asc');
    [release = ''] = await control.releases();
    process.stdout.write(`# dist-verify runs on ${node.path} (${node.version})\n`);
  },
  { timeout: 180_000 },
);

afterEach(async () => {
  await control?.reset();
});

after(async () => {
  for (const log of logs) await log.close();
  await cleanUpEverything();
});

function requireSite(): DistSite {
  assert.ok(site, 'the fixture site did not start');
  return site;
}

/** A fresh cache directory per run unless one is given: no test sees another's checkpoint. */
function freshCache(): string {
  cacheCount += 1;
  const path = join(dir, `cache-${cacheCount}`);
  mkdirSync(path, { recursive: true });
  return path;
}

async function verify(
  args: readonly string[],
  options: { cache?: string; env?: Record<string, string> } = {},
): Promise<CliRun> {
  return runCli(node.path, ['--dist-url', requireSite().distBaseUrl, '--keys', keyFile, ...args], {
    XDG_CACHE_HOME: options.cache ?? freshCache(),
    ...options.env,
  });
}

function explain(run: CliRun): string {
  return `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
}

function assertExit(run: CliRun, code: number): void {
  assert.equal(run.code, code, explain(run));
  assert.doesNotMatch(run.stderr + run.stdout, /\n\s+at .+:\d+:\d+/, 'no stack trace');
}

function problemCodes(run: CliRun): string[] {
  return jsonOf(run).problems.map((problem) => problem.code);
}

async function artifactName(version: string): Promise<string> {
  const text = await (await fetch(`${requireSite().distBaseUrl}/${version}/SHASUMS256.txt`)).text();
  const name = text.split('\n').find((line) => line.includes('linux-x64'));
  assert.ok(name, 'the fixture release has a linux-x64 artifact');
  return name.slice(66);
}

describe('dist-verify <version>', () => {
  it('verifies a clean release and says who signed it (exit 0)', async () => {
    const run = await verify([release]);
    assertExit(run, 0);
    assert.match(run.stdout, /SHASUMS256\.txt signed by Demo Releaser/);
    assert.match(run.stdout, /^VERIFIED: /m);
  });

  it('downloads and hashes every artifact of a clean release, keeping them only with --out', async () => {
    const out = join(dir, 'out-clean');
    const run = await verify([release, '--download', '--out', out, '--json']);
    assertExit(run, 0);
    const result = jsonOf(run) as ReturnType<typeof jsonOf> & {
      files: { status: string; savedTo?: string }[];
    };
    assert.equal(result['outcome'], 'verified');
    assert.ok(result.files.length >= 2);
    assert.ok(result.files.every((file) => file.status === 'verified' && file.savedTo));
    assert.ok(existsSync(join(out, await artifactName(release))));
  });

  it('fails on a tampered download and keeps nothing of it (exit 1)', async () => {
    const file = await artifactName(release);
    await control?.apply({ attack: 'tamper-artifact', version: release, file });
    const out = join(dir, 'out-tampered');
    const run = await verify([
      release,
      '--download',
      '--only',
      '*linux-x64*',
      '--out',
      out,
      '--json',
    ]);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['hash-mismatch']);
    assert.ok(!existsSync(join(out, file)), 'the tampered file is not kept');
    assert.deepEqual(
      readdirSync(out).filter((name) => name.endsWith('.partial')),
      [],
    );
  });

  it('fails on a tampered local file, naming it (exit 1)', async () => {
    const file = await artifactName(release);
    const local = join(dir, 'downloads', file);
    mkdirSync(join(dir, 'downloads'), { recursive: true });
    writeFileSync(local, 'not the signed bytes');
    const run = await verify([release, local]);
    assertExit(run, 1);
    assert.match(run.stdout, /\[hash-mismatch\] .* does not match the signed SHA-256/);
  });

  it('sees what a site that cloaks from the monitor serves everyone else (exit 1)', async () => {
    await control?.apply({ attack: 'cloak', path: '*', monitor: 'clean', others: 'tampered' });
    const run = await verify([release, '--download', '--json']);
    assertExit(run, 1);
  });

  it('fails on an unsigned manifest (exit 1)', async () => {
    await control?.apply({ attack: 'drop-file', path: `${release}/SHASUMS256.txt.sig` });
    await control?.apply({ attack: 'drop-file', path: `${release}/SHASUMS256.txt.asc` });
    const run = await verify([release, '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['unsigned']);
  });

  it('fails on a manifest signed by a key outside the trust set (exit 1)', async () => {
    await control?.apply({ attack: 'sign-with-other-key', version: release });
    const run = await verify([release]);
    assertExit(run, 1);
    assert.match(run.stdout, /\[unknown-key\] .*signed by an unknown key/);
  });

  it("fails on another release's validly signed manifest served as this one's (exit 1)", async () => {
    const [, other = ''] = (await control?.releases()) ?? [];
    await control?.apply({ attack: 'substitute-manifest', version: release, from: other });
    const run = await verify([release, '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['manifest-binding']);
    assert.match(jsonOf(run).problems[0]?.message ?? '', new RegExp(`lists files of ${other}`));
  });

  it('fails on a manifest whose hashes changed under the old signatures (exit 1)', async () => {
    await control?.apply({ attack: 'alter-manifest', version: release });
    const run = await verify([release, '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['signature-invalid']);
  });
});

describe('usage and reachability (exit 2)', () => {
  it('refuses an unknown flag', async () => {
    const run = await verify([release, '--frobnicate']);
    assertExit(run, 2);
    assert.match(run.stderr, /Unknown option '--frobnicate'/);
  });

  it('prints a usage error as JSON with --json', async () => {
    const run = await verify(['not-a-version', '--json']);
    assertExit(run, 2);
    assert.deepEqual(problemCodes(run), ['usage']);
  });

  it('says the site is unreachable instead of failing the release', async () => {
    const run = await runCli(node.path, [
      release,
      '--dist-url',
      'http://127.0.0.1:9/dist',
      '--keys',
      keyFile,
      '--timeout',
      '2',
    ]);
    assertExit(run, 2);
    assert.match(run.stdout, /\[unreachable\] Could not fetch/);
  });

  it('says the release keys are unreachable without --keys', async () => {
    const run = await runCli(node.path, [
      release,
      '--dist-url',
      requireSite().distBaseUrl,
      '--keys-url',
      'http://127.0.0.1:9/{fingerprint}.asc',
    ]);
    assertExit(run, 2);
    assert.match(run.stdout, /\[keys-unavailable\] No release key could be loaded/);
  });
});

/** The log entry the monitor writes for this release's manifest, from what dist-verify saw. */
async function manifestEntryOf(version: string): Promise<LogEntry> {
  const run = await verify([version, '--json']);
  assertExit(run, 0);
  const result = jsonOf(run) as ReturnType<typeof jsonOf> & {
    manifest: { sha256: string; signature: { signer: string; signedAt: string } };
  };
  const text = await (await fetch(`${requireSite().distBaseUrl}/${version}/SHASUMS256.txt`)).text();
  const files = Object.fromEntries(
    text
      .trim()
      .split('\n')
      .map((line) => [line.slice(66), line.slice(0, 64)]),
  );
  return {
    type: 'manifest',
    release: version,
    manifestSha256: result.manifest.sha256,
    signer: result.manifest.signature.signer,
    signedAt: result.manifest.signature.signedAt,
    files,
    observedAt: new Date().toISOString(),
    vantage: 'worker',
  };
}

async function newLog(entries: readonly LogEntry[]): Promise<LogFixture> {
  const log = await startLogFixture();
  logs.push(log);
  await log.append(entries);
  return log;
}

function logArgs(log: LogFixture): string[] {
  return ['--log', log.url, '--log-key', log.verifierKey];
}

describe('dist-verify --log', () => {
  it('finds every verified hash in the log and witnesses its checkpoint (exit 0)', async () => {
    const log = await newLog([await manifestEntryOf(release)]);
    const cache = freshCache();
    const first = await verify([release, '--download', ...logArgs(log), '--json'], { cache });
    assertExit(first, 0);
    const result = jsonOf(first) as ReturnType<typeof jsonOf> & {
      log: { hashes: { found: boolean }[]; previous?: unknown; cache: { saved: boolean } };
    };
    assert.ok(result.log.hashes.length > 1 && result.log.hashes.every((hash) => hash.found));
    assert.equal(result.log.previous, undefined);
    assert.equal(result.log.cache.saved, true);

    await log.append([await manifestEntryOf(release)]);
    const second = await verify([release, ...logArgs(log)], { cache });
    assertExit(second, 0);
    assert.match(second.stdout, /consistent with tree size 1 seen before/);
  });

  it('fails when a verified hash is absent from the log (exit 1)', async () => {
    const [, other = ''] = (await control?.releases()) ?? [];
    const log = await newLog([await manifestEntryOf(other)]);
    const run = await verify([release, ...logArgs(log), '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['absent-from-log']);
  });

  it('does not take a lookup pointing at entries that record something else (exit 1)', async () => {
    const [, other = ''] = (await control?.releases()) ?? [];
    const log = await newLog([await manifestEntryOf(other)]);
    log.setLookup('everything');
    const run = await verify([release, ...logArgs(log), '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['absent-from-log']);
  });

  it('fails when the log shows a history that does not extend the one seen before (exit 1)', async () => {
    const [, other = ''] = (await control?.releases()) ?? [];
    const entry = await manifestEntryOf(release);
    const log = await newLog([entry]);
    const cache = freshCache();
    assertExit(await verify([release, ...logArgs(log)], { cache }), 0);

    await log.fork([await manifestEntryOf(other), entry]);
    const run = await verify([release, ...logArgs(log), '--json'], { cache });
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['log-inconsistent']);
    const saved = readdirSync(join(cache, 'dist-verify', 'checkpoints'));
    assert.equal(saved.filter((name) => name.includes('.conflict-')).length, 1, saved.join());

    // The contradiction stays on record: the next run still refuses the forked log.
    assertExit(await verify([release, ...logArgs(log)], { cache }), 1);
  });

  it('fails when the checkpoint is not signed by --log-key (exit 1)', async () => {
    const log = await newLog([await manifestEntryOf(release)]);
    await log.signWithOtherKey();
    const run = await verify([release, ...logArgs(log), '--json']);
    assertExit(run, 1);
    assert.deepEqual(problemCodes(run), ['log-invalid']);
  });
});

describe('dist-verify watch', () => {
  it('verifies the watched releases of a clean site and posts nothing (exit 0)', async () => {
    const secret = generateWebhookSecret();
    const receiver = await startAlertReceiver({ secret });
    try {
      const run = await verify(['watch', '--download', '--only', '*linux-x64*'], {
        env: { ALERT_WEBHOOK_URLS: receiver.webhookUrl, ALERT_WEBHOOK_SECRET: secret },
      });
      assertExit(run, 0);
      assert.equal(receiver.alerts.length, 0);
    } finally {
      await receiver.close();
    }
  });

  it('posts a signed alert in the monitor payload when an artifact is tampered (exit 1)', async () => {
    const file = await artifactName(release);
    await control?.apply({ attack: 'tamper-artifact', version: release, file });
    const secret = generateWebhookSecret();
    const receiver = await startAlertReceiver({ secret });
    try {
      const run = await verify(['watch', '--download', '--only', '*linux-x64*'], {
        env: { ALERT_WEBHOOK_URLS: receiver.webhookUrl, ALERT_WEBHOOK_SECRET: secret },
      });
      assertExit(run, 1);
      assert.equal(receiver.alerts.length, 1, explain(run));
      const [alert] = receiver.alerts;
      assert.equal(alert?.verified, true, alert?.problem);
      assert.equal(alert?.type, 'incident.opened');
      assert.equal(alert?.kind, 'artifact-hash-mismatch');
      assert.equal(alert?.severity, 'P0');
      assert.ok(!run.stdout.includes(secret), 'the secret is never printed');
    } finally {
      await receiver.close();
    }
  });

  it('alerts a log that forked behind this machine as transparency-log-inconsistent (exit 1)', async () => {
    const [newest = '', other = ''] = (await control?.releases()) ?? [];
    const entries = [await manifestEntryOf(newest), await manifestEntryOf(other)];
    const log = await newLog(entries);
    const cache = freshCache();
    assertExit(await verify(['watch', ...logArgs(log)], { cache }), 0);
    await log.fork([...entries].reverse());
    const secret = generateWebhookSecret();
    const receiver = await startAlertReceiver({ secret });
    try {
      const run = await verify(['watch', ...logArgs(log)], {
        cache,
        env: { ALERT_WEBHOOK_URLS: receiver.webhookUrl, ALERT_WEBHOOK_SECRET: secret },
      });
      assertExit(run, 1);
      assert.deepEqual(
        receiver.alerts.map((alert) => [alert.verified, alert.kind]),
        [[true, 'transparency-log-inconsistent']],
      );
    } finally {
      await receiver.close();
    }
  });

  it('refuses an alert setup without a usable secret before checking anything (exit 2)', async () => {
    const run = await verify(['watch'], {
      env: { ALERT_WEBHOOK_URLS: 'http://127.0.0.1:9/hook', ALERT_WEBHOOK_SECRET: 'short' },
    });
    assertExit(run, 2);
    assert.match(run.stdout, /ALERT_WEBHOOK_SECRET: secret 1 is not whsec_/);
  });
});
