/**
 * The monitors the load run measures: each is `wrangler dev --test-scheduled` on loopback
 * with its own state and throwaway secrets, pointed at a fixture dist site
 * (tools/demo/stack.ts). `readPath` picks the public read path: `snapshot` (the default
 * configuration) or `live` (`PUBLIC_READ_PATH=live`, the benchmark switch that keeps the
 * old path, every page view reading the Durable Objects).
 */
import { randomBytes } from 'node:crypto';
import { createMonitorClient } from '../demo/monitor-client.ts';
import type { MonitorClient } from '../demo/monitor-client.ts';
import { makeTempDir, stopProcess } from '../demo/processes.ts';
import type { ManagedProcess } from '../demo/processes.ts';
import { startDistSite, startWranglerDev } from '../demo/stack.ts';
import type { DistSite } from '../demo/stack.ts';

export const MONITOR_START_MS = 120_000;

export type ReadPath = 'live' | 'snapshot';

export interface Monitor {
  readonly name: string;
  readonly readPath: ReadPath;
  readonly origin: string;
  readonly token: string;
  readonly client: MonitorClient;
  readonly process: ManagedProcess;
}

export function log(line: string): void {
  process.stderr.write(`load: ${line}\n`);
}

const seconds = (since: number) => ((Date.now() - since) / 1000).toFixed(1);

export async function startSite(name: string, args: readonly string[]): Promise<DistSite> {
  const started = Date.now();
  const dir = makeTempDir(`dist-monitor-load-${name}`);
  const site = await startDistSite({ dir, name: `dist-site (${name})`, args });
  log(`${name}: site ready in ${seconds(started)} s`);
  return site;
}

export async function startMonitor(
  name: string,
  site: DistSite,
  readPath: ReadPath,
): Promise<Monitor> {
  const started = Date.now();
  const dir = makeTempDir(`dist-monitor-load-${name}`);
  const token = randomBytes(24).toString('hex');
  const wrangler = await startWranglerDev({
    dir,
    name: `wrangler dev (${name})`,
    distBaseUrl: site.distBaseUrl,
    secrets: { RELEASE_KEYS: site.publicKey, OPERATOR_TOKENS: `load:${token}` },
    vars: { PUBLIC_READ_PATH: readPath },
    startTimeoutMs: MONITOR_START_MS,
    quiet: true,
  });
  log(`${name}: monitor (${readPath} read path) ready in ${seconds(started)} s`);
  return {
    name,
    readPath,
    origin: wrangler.origin,
    token,
    client: createMonitorClient(wrangler.origin, token),
    process: wrangler.process,
  };
}

export async function stopAll(
  monitors: readonly Monitor[],
  sites: readonly DistSite[],
): Promise<void> {
  for (const monitor of monitors) await stopProcess(monitor.process);
  for (const site of sites) await stopProcess(site.process);
}
