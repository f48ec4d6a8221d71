/**
 * What the dist-verify end-to-end tests need: the built CLI run as a process (on the
 * system's own Node, which may be 20, not the project's Node 24), the fixture dist site,
 * and the fixture transparency log (log-fixture.ts).
 */
import { spawn } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { REPO_ROOT } from '../demo/stack.ts';

export const CLI = join(REPO_ROOT, 'dist-cli', 'dist-verify.mjs');
const CLI_TIMEOUT_MS = 120_000;

/** Builds the CLI exactly as `npm install` does. */
export function buildCli(): void {
  execFileSync(process.execPath, [join(REPO_ROOT, 'tools/build-cli.mjs')], { stdio: 'inherit' });
}

/**
 * The Node a user runs the CLI with: DIST_VERIFY_TEST_NODE, else the first `node` on PATH
 * outside node_modules/.bin (npm scripts put the project's Node 24 first), else this one.
 */
export function userNode(): { path: string; version: string } {
  const candidates = [
    process.env['DIST_VERIFY_TEST_NODE'],
    ...(process.env['PATH'] ?? '')
      .split(delimiter)
      .filter((dir) => dir !== '' && !dir.includes('node_modules'))
      .map((dir) => join(dir, 'node')),
    process.execPath,
  ];
  for (const candidate of candidates) {
    if (candidate === undefined || !existsSync(candidate)) continue;
    try {
      const version = execFileSync(candidate, ['--version'], { encoding: 'utf8' }).trim();
      return { path: candidate, version };
    } catch {
      // not a runnable node; try the next
    }
  }
  return { path: process.execPath, version: process.version };
}

export interface CliRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

export async function runCli(
  node: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  const child = spawn(node, [CLI, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '/tmp', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const timer = setTimeout(() => child.kill('SIGKILL'), CLI_TIMEOUT_MS);
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  clearTimeout(timer);
  return { code, stdout, stderr };
}

/** The parsed `--json` result, with a readable failure when stdout is not one JSON object. */
export function jsonOf(run: CliRun): Record<string, unknown> & {
  problems: { code: string; message: string; kind?: string }[];
} {
  try {
    return JSON.parse(run.stdout) as ReturnType<typeof jsonOf>;
  } catch {
    throw new Error(`stdout is not JSON (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
}
