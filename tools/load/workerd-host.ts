/**
 * Runs the monitor's built Worker in workerd through Miniflare, with the bindings
 * wrangler.toml declares, and nothing in front of it: no `wrangler dev` ProxyWorker (a
 * Durable Object every request passes through, which also rewrites each HTML answer to
 * inject its live-reload script) and no local trace store (wrangler dev records every
 * invocation in SQLite). Neither exists in production, and under load both cost more than
 * the monitor itself (docs/benchmarks.md). The load run starts this as a child process (its
 * own process group, stopped by PID; workerd is its child), once per monitor:
 *
 *   node tools/load/workerd-host.ts <settings.json>
 *
 * `settings.json` (mode 0600, it holds throwaway secrets) names the bundle
 * (`wrangler deploy --dry-run --outdir`), wrangler.toml, the state directory, the port and
 * the bindings to add. Prints `ready <url>` once workerd answers; sweeps are triggered
 * with `GET /cdn-cgi/local/scheduled` (Miniflare's `unsafeTriggerHandlers`, the same
 * scheduled handler `wrangler dev --test-scheduled` calls). Stops on SIGTERM or SIGINT.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { convertV4MiniflareOptions, Miniflare } from 'miniflare';
import { unstable_getMiniflareWorkerOptions } from 'wrangler';

export interface WorkerdHostSettings {
  /** The Worker as wrangler builds it for deployment (one ES module). */
  readonly bundlePath: string;
  readonly configPath: string;
  readonly stateDir: string;
  readonly host: string;
  readonly port: number;
  /** Vars and secrets added to (or replacing) wrangler.toml's vars. */
  readonly bindings: Readonly<Record<string, string>>;
}

/** Miniflare v4 options this version can no longer take; the bundle needs neither. */
const UNCONVERTIBLE = new Set(['modulesRules', 'rootPath']);

async function main(settingsPath: string): Promise<void> {
  const settings = JSON.parse(readFileSync(settingsPath, 'utf8')) as WorkerdHostSettings;
  const { workerOptions } = unstable_getMiniflareWorkerOptions(settings.configPath);
  const declared = Object.fromEntries(
    Object.entries(workerOptions).filter(([name]) => !UNCONVERTIBLE.has(name)),
  );
  const miniflare = new Miniflare(
    convertV4MiniflareOptions({
      ...declared,
      modules: true,
      // The source, not its path: with a path, workerd would also look for the source map.
      script: readFileSync(settings.bundlePath, 'utf8'),
      bindings: { ...(workerOptions.bindings ?? {}), ...settings.bindings },
      host: settings.host,
      port: settings.port,
      defaultPersistRoot: join(settings.stateDir),
      unsafeTriggerHandlers: true,
      ...(process.env.EXPLORE_INSPECTOR
        ? { inspectorPort: Number(process.env.EXPLORE_INSPECTOR) }
        : {}),
    } as Parameters<typeof convertV4MiniflareOptions>[0]),
  );
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void miniflare.dispose().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  const url = await miniflare.ready;
  process.stdout.write(`ready ${url.origin}\n`);
}

main(process.argv[2] ?? '').catch((error: unknown) => {
  process.stderr.write(`workerd-host: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
