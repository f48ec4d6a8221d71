/**
 * End to end: the real `wrangler dev` process (workerd, local KV, Durable Objects, R2 and
 * Queues) against the fixture dist site over HTTP, with alerts going to a local inbox that
 * verifies webhook signatures on its own. One stack for the whole suite; the site is reset
 * after each attack, and since incidents persist, each attack is judged by the incident of
 * its own, new fingerprint.
 *
 * For every attack: the expected finding (kind, severity, subject) opens an incident within
 * one sweep (plus the hash queue where bytes must be hashed); a second sweep adds a
 * sighting, not a second incident or a second "opened" alert; a signed webhook arrives and
 * verifies; the status page shows it, an undisclosed security incident only as
 * "Investigating an issue". A clean site gives nothing over repeated sweeps.
 *
 *   node tools/e2e/run.ts            (or: node --test tools/e2e/monitor.e2e.test.ts)
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  describeTarget,
  readStatusPage,
  resetSite,
  runAttack,
  TIMEOUTS,
} from '../demo/attack-run.ts';
import type { AttackRun } from '../demo/attack-run.ts';
import { attackScenarios, matchesExpected } from '../demo/attacks.ts';
import type { AttackScenario } from '../demo/attacks.ts';
import type { SweepSummary } from '../demo/monitor-client.ts';
import { startStack } from '../demo/stack.ts';
import type { Stack } from '../demo/stack.ts';
import { sleep, waitUntil } from '../demo/waiting.ts';
import { makeTempDir } from '../demo/processes.ts';
import { buildCli, runCli, userNode } from './dist-verify-harness.ts';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { verifyCheckpoint } from '../../src/core/tlog/checkpoint.ts';
import { createTileReader } from '../../src/core/tlog/tile-reader.ts';

/** Hash jobs run after a sweep returns; a clean site must stay quiet through them too. */
const HASH_SETTLE_MS = 5_000;
const CLEAN_SWEEPS = 3;

// The names are known before the site runs; the URLs and releases only after.
const SCENARIO_NAMES = attackScenarios({
  distBaseUrl: 'http://placeholder/dist',
  releases: ['v3.0.0', 'v2.0.0', 'v1.0.0'],
}).map((scenario) => scenario.name);

let stack: Stack | undefined;
let scenarios: AttackScenario[] = [];

function requireStack(): Stack {
  assert.ok(stack, 'the stack did not start');
  return stack;
}

/** The monitor's last lines of output, so a failure in CI explains itself. */
function monitorLog(): string {
  const lines = stack?.monitorProcess.recentOutput(25) ?? [];
  return `\n--- wrangler dev, last lines ---\n${lines.join('\n')}`;
}

function sweepOnce(): Promise<SweepSummary> {
  return requireStack().monitor.sweep(TIMEOUTS.sweepMs);
}

before(
  async () => {
    stack = await startStack();
    scenarios = attackScenarios(await describeTarget(stack));
    assert.deepEqual(
      scenarios.map((scenario) => scenario.name),
      SCENARIO_NAMES,
    );
  },
  { timeout: 300_000 },
);

after(async () => {
  await stack?.stop();
});

describe('a clean site', () => {
  it(
    `produces no finding, incident or alert over ${CLEAN_SWEEPS} sweeps`,
    { timeout: 600_000 },
    async () => {
      const { monitor, receiver } = requireStack();
      for (let sweep = 1; sweep <= CLEAN_SWEEPS; sweep += 1) {
        const summary = await sweepOnce();
        const what = `sweep ${sweep}: ${JSON.stringify(summary)}${monitorLog()}`;
        assert.equal(summary.outcome, 'clean', what);
        assert.equal(summary.findings, 0, what);
        assert.ok(summary.artifactsChecked > 0, 'the sweep checked no artifact');
      }
      await sleep(HASH_SETTLE_MS);
      assert.deepEqual(await monitor.incidents(), []);
      assert.deepEqual(receiver.alerts, []);
    },
  );
});

describe('the transparency log', () => {
  it("publishes a checkpoint signed by this run's key, whose entries the served tiles prove", async () => {
    const { monitor, logVerifierKey } = requireStack();
    assert.ok(logVerifierKey, 'the stack made no log key');
    const base = `${monitor.origin}/log`;
    const note = await (await fetch(`${base}/checkpoint`)).text();
    const head = await verifyCheckpoint(note, logVerifierKey);
    assert.ok(head.ok, `checkpoint: ${note}`);
    assert.ok(head.value.size > 0, 'the clean sweeps logged nothing');
    const reader = createTileReader({
      treeSize: head.value.size,
      rootHash: head.value.rootHash,
      fetchTile: async (path) => {
        const response = await fetch(`${base}/${path}`);
        return response.ok ? new Uint8Array(await response.arrayBuffer()) : undefined;
      },
    });
    const entries = await reader.readEntries(0, head.value.size);
    assert.ok(entries.ok, entries.ok ? '' : entries.error.detail);
    const types = new Set(
      entries.value.map(
        (bytes) => (JSON.parse(new TextDecoder().decode(bytes)) as { type: string }).type,
      ),
    );
    assert.deepEqual([...types].sort(), ['artifact', 'manifest']);
  });

  // dist-verify's log witness against the real Worker's routes (lookup, tiles, checkpoint).
  it('lets dist-verify --log find what the monitor verified (exit 0)', async () => {
    const { monitor, logVerifierKey, distBaseUrl } = requireStack();
    assert.ok(logVerifierKey, 'the stack made no log key');
    const site = new URL(distBaseUrl).origin;
    const keyFile = join(makeTempDir('dist-verify-keys'), 'release-keys.asc');
    writeFileSync(keyFile, await (await fetch(`${site}/__control/public-key`)).text());
    const [release = ''] = await requireStack().site.releases();
    buildCli();
    const run = await runCli(
      userNode().path,
      [
        release,
        '--download',
        '--dist-url',
        distBaseUrl,
        '--keys',
        keyFile,
        '--log',
        monitor.origin,
        '--log-key',
        logVerifierKey,
      ],
      { XDG_CACHE_HOME: makeTempDir('dist-verify-cache') },
    );
    assert.equal(run.code, 0, `${run.stdout}\n${run.stderr}`);
    assert.match(run.stdout, /transparency log .*: (\d+) of \1 hashes included/);
  });
});

for (const name of SCENARIO_NAMES) {
  describe(`attack: ${name}`, () => {
    let scenario: AttackScenario;
    let run: AttackRun;

    before(
      async () => {
        const found = scenarios.find((candidate) => candidate.name === name);
        assert.ok(found, `no scenario ${name}`);
        scenario = found;
        run = await runAttack(requireStack(), scenario);
      },
      { timeout: 400_000 },
    );

    after(async () => {
      if (stack) await resetSite(stack);
    });

    it('opens an incident for the expected finding within one sweep', () => {
      const expected = `${scenario.expect.kind} ${scenario.expect.severity} on ${scenario.expect.subject}`;
      assert.ok(
        run.incident,
        `expected ${expected}; ${run.problems.join('; ')}; the sweep found ${JSON.stringify(
          run.sweep.findingKinds,
        )}; new incidents: ${JSON.stringify(
          run.alsoOpened.map((incident) => incident.fingerprint),
        )}${monitorLog()}`,
      );
      assert.equal(run.incident.kind, scenario.expect.kind);
      assert.equal(run.incident.severity, scenario.expect.severity);
      assert.ok(matchesExpected(run.incident, scenario.expect), run.incident.fingerprint);
      assert.notEqual(run.incident.state, 'resolved');
      // Found by the sweep itself, not later by the hash queue, unless only bytes show it.
      if (!scenario.needsHashing) {
        assert.ok(
          run.sweep.findingKinds.includes(scenario.expect.kind),
          `the sweep itself found only ${JSON.stringify(run.sweep.findingKinds)}`,
        );
      }
    });

    it('runs its containment playbook in dry-run', () => {
      assert.ok(run.detail, 'no incident detail');
      assert.equal(run.detail.containmentMode, 'dry-run');
      const steps = run.detail.playbook.map((step) => step.step);
      assert.ok(steps.includes('capture-evidence'), `steps: ${steps.join(', ')}`);
      const failed = run.detail.playbook.filter((step) => step.status === 'failed');
      assert.deepEqual(failed, []);
    });

    it('sends a signed webhook that verifies independently', () => {
      assert.ok(run.incident, 'no incident');
      const id = run.incident.id;
      const opened = run.alerts.filter(
        (alert) =>
          alert.channel === 'webhook' &&
          alert.incidentId === id &&
          alert.type === 'incident.opened',
      );
      assert.equal(opened.length, 1, `webhooks for ${id}: ${JSON.stringify(run.alerts)}`);
      assert.equal(opened[0]?.verified, true, opened[0]?.problem);
      assert.equal(opened[0]?.kind, scenario.expect.kind);
      assert.equal(opened[0]?.severity, scenario.expect.severity);
    });

    it('shows on the status page, an undisclosed security incident only as "Investigating an issue"', async () => {
      assert.ok(run.incident, 'no incident');
      const { monitor } = requireStack();
      const page = readStatusPage(await monitor.statusPage(), run.incident.id);
      const publicView = await monitor.publicIncident(run.incident.id);
      if (run.incident.security && !run.incident.disclosed) {
        assert.equal(page.linksIncident, false, 'the page links a private incident');
        assert.ok(page.redactedEntries > 0, 'no "Investigating an issue" entry');
        assert.equal(publicView.status, 404, 'the public API confirms a private incident');
      } else {
        assert.equal(page.linksIncident, true, 'the page does not list the incident');
        assert.equal(publicView.status, 200);
      }
    });

    it('does not open it again on the next sweep', { timeout: 300_000 }, async (t) => {
      assert.ok(run.incident, 'no incident');
      if (scenario.closesItself) {
        t.skip('a routine notice is raised once and closes itself: there is no second sighting');
        return;
      }
      const { monitor, receiver } = requireStack();
      const id = run.incident.id;
      const openedBefore = receiver.alerts.filter(
        (alert) => alert.incidentId === id && alert.type === 'incident.opened',
      ).length;
      await sweepOnce();
      // The second sighting is the proof the sweep saw it again (after hashing, for bytes).
      await waitUntil(
        `a second sighting of ${run.incident.fingerprint}`,
        async () => ((await monitor.incident(id)).incident.count >= 2 ? true : undefined),
        {
          timeoutMs: scenario.needsHashing ? TIMEOUTS.hashingMs : TIMEOUTS.findingMs,
          intervalMs: 500,
        },
      );
      const same = (await monitor.incidents()).filter(
        (incident) => incident.fingerprint === run.incident?.fingerprint,
      );
      assert.equal(same.length, 1);
      assert.equal(same[0]?.id, id);
      const openedAfter = receiver.alerts.filter(
        (alert) => alert.incidentId === id && alert.type === 'incident.opened',
      ).length;
      assert.equal(openedAfter, openedBefore, 'a second "opened" alert was sent');
    });
  });
}

describe('after every attack', () => {
  it('every webhook received carried a valid signature', () => {
    const { receiver } = requireStack();
    const webhooks = receiver.alerts.filter((alert) => alert.channel === 'webhook');
    assert.ok(webhooks.length >= SCENARIO_NAMES.length, `only ${webhooks.length} webhooks`);
    assert.deepEqual(
      webhooks.filter((alert) => !alert.verified),
      [],
    );
  });

  it('a reset site opens no new incident over repeated sweeps', { timeout: 600_000 }, async () => {
    const { monitor } = requireStack();
    await sweepOnce();
    await sleep(HASH_SETTLE_MS);
    const known = new Set((await monitor.incidents()).map((incident) => incident.id));
    for (let sweep = 1; sweep <= 2; sweep += 1) await sweepOnce();
    await sleep(HASH_SETTLE_MS);
    const fresh = (await monitor.incidents()).filter((incident) => !known.has(incident.id));
    assert.deepEqual(
      fresh.map((incident) => incident.fingerprint),
      [],
    );
  });
});
