/**
 * Child processes, ports and temporary directories for the demo and the end-to-end tests,
 * with one promise: whatever happens (success, an error, Ctrl-C, a failed assertion), every
 * process started here is stopped and every directory made here is removed.
 *
 * Each child runs in its own process group (`detached`), so stopping it also stops what it
 * started (wrangler starts workerd), and a Ctrl-C in the terminal reaches only this process,
 * which then stops the children in order instead of leaving them half-killed. A last,
 * synchronous sweep on `exit` SIGKILLs any group still registered.
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Output lines kept per process, for error messages. */
const OUTPUT_LINES_KEPT = 200;
const STOP_GRACE_MS = 5_000;
const KILL_WAIT_MS = 2_000;

export interface ProcessSpec {
  /** Short name used in messages, e.g. `dist-site`. */
  readonly name: string;
  readonly command: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface ManagedProcess {
  readonly name: string;
  readonly pid: number;
  /** Resolves with the exit code (or the signal name) once the process has exited. */
  readonly exited: Promise<number | string>;
  /** Whether it has exited. */
  hasExited(): boolean;
  /** The last lines of stdout and stderr, oldest first. */
  recentOutput(lines?: number): string[];
  /** Calls `listener` with every later line of output (stdout and stderr). */
  onLine(listener: (line: string) => void): () => void;
}

/** A process exited before it was ready, or did not say it was ready in time. */
export class ProcessStartError extends Error {
  override readonly name = 'ProcessStartError';
}

interface Tracked {
  readonly process: ManagedProcess;
  readonly child: ChildProcess;
}

const tracked = new Map<number, Tracked>();
const tempDirs = new Set<string>();
let handlersInstalled = false;

export function startProcess(spec: ProcessSpec): ManagedProcess {
  installCleanupHandlers();
  const child = spawn(spec.command, [...spec.args], {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  if (child.pid === undefined) {
    throw new ProcessStartError(`${spec.name}: could not start ${spec.command}`);
  }
  const pid = child.pid;
  const output: string[] = [];
  const listeners = new Set<(line: string) => void>();
  let exited = false;

  const take = (stream: NodeJS.ReadableStream | null) => {
    if (stream === null) return;
    let pending = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split(/\r?\n/);
      pending = lines.pop() ?? '';
      for (const line of lines) record(line);
    });
    stream.on('end', () => {
      if (pending !== '') record(pending);
    });
  };
  const record = (line: string) => {
    output.push(line);
    if (output.length > OUTPUT_LINES_KEPT) output.shift();
    for (const listener of listeners) listener(line);
  };
  take(child.stdout);
  take(child.stderr);

  const exitedPromise = new Promise<number | string>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = true;
      resolve(code ?? signal ?? 'unknown');
    });
    child.once('error', (error) => {
      exited = true;
      record(`${spec.name}: ${error.message}`);
      resolve('error');
    });
  });

  const managed: ManagedProcess = {
    name: spec.name,
    pid,
    exited: exitedPromise,
    hasExited: () => exited,
    recentOutput: (lines = 30) => output.slice(-lines),
    onLine: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
  tracked.set(pid, { process: managed, child });
  void exitedPromise.then(() => {
    // The leader is gone; its group may not be (workerd outlives a killed wrangler).
    killGroup(pid, 'SIGKILL');
    tracked.delete(pid);
  });
  return managed;
}

/** Waits for a line matching `pattern`; fails if the process exits first or time runs out. */
export function waitForOutput(
  proc: ManagedProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  for (const line of proc.recentOutput(OUTPUT_LINES_KEPT)) {
    const match = line.match(pattern);
    if (match) return Promise.resolve(match);
  }
  return new Promise((resolve, reject) => {
    const timer = setTimeout(
      () =>
        finish(
          new ProcessStartError(
            startFailure(proc, `did not print ${pattern} within ${timeoutMs / 1000} s`),
          ),
        ),
      timeoutMs,
    );
    const unsubscribe = proc.onLine((line) => {
      const match = line.match(pattern);
      if (match) finish(undefined, match);
    });
    void proc.exited.then((code) =>
      finish(new ProcessStartError(startFailure(proc, `exited (${code}) before it was ready`))),
    );
    let done = false;
    function finish(error: Error | undefined, match?: RegExpMatchArray) {
      if (done) return;
      done = true;
      clearTimeout(timer);
      unsubscribe();
      if (error) reject(error);
      else resolve(match as RegExpMatchArray);
    }
  });
}

export function startFailure(proc: ManagedProcess, what: string): string {
  const tail = proc.recentOutput(20).map((line) => `    ${line}`);
  return [`${proc.name} ${what}. Its last output:`, ...tail].join('\n');
}

/** Stops a process and its group: SIGTERM, then SIGKILL after a grace period. */
export async function stopProcess(proc: ManagedProcess, graceMs = STOP_GRACE_MS): Promise<void> {
  if (!proc.hasExited()) {
    killGroup(proc.pid, 'SIGTERM');
    if (!(await settlesWithin(proc.exited, graceMs))) {
      killGroup(proc.pid, 'SIGKILL');
      await settlesWithin(proc.exited, KILL_WAIT_MS);
    }
  }
  killGroup(proc.pid, 'SIGKILL');
  tracked.delete(proc.pid);
}

/** Stops every process started here, newest first, then removes the temporary directories. */
export async function cleanUpEverything(): Promise<void> {
  const processes = [...tracked.values()].map((entry) => entry.process).reverse();
  for (const proc of processes) await stopProcess(proc);
  removeTempDirs();
}

/** The last resort, for `exit`: no waiting is possible there. */
function cleanUpSync(): void {
  for (const pid of tracked.keys()) killGroup(pid, 'SIGKILL');
  tracked.clear();
  removeTempDirs();
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

async function settlesWithin(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), ms);
  });
  const settled = await Promise.race([promise.then(() => true as const), timeout]);
  clearTimeout(timer);
  return settled;
}

/** A fresh private directory (mode 0700), removed by the cleanup. */
export function makeTempDir(prefix: string): string {
  installCleanupHandlers();
  const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
  tempDirs.add(dir);
  return dir;
}

function removeTempDirs(): void {
  for (const dir of tempDirs) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Best effort: a directory that cannot be removed must not hide the real error.
    }
    tempDirs.delete(dir);
  }
}

/**
 * A port free on `host` right now. Another process could take it before the caller binds
 * it; children that can pick their own port (`--port 0`) should do that instead.
 */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, host, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => (port > 0 ? resolve(port) : reject(new Error('no free port'))));
    });
  });
}

const EXIT_CODES: Partial<Record<NodeJS.Signals, number>> = {
  SIGINT: 130,
  SIGTERM: 143,
  SIGHUP: 129,
};

/**
 * On Ctrl-C, SIGTERM or SIGHUP: stop the children (bounded), then exit with the usual code.
 * On `exit` (normal end, `process.exit`, an uncaught error): SIGKILL what is left.
 */
export function installCleanupHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', cleanUpSync);
  for (const signal of Object.keys(EXIT_CODES) as NodeJS.Signals[]) {
    process.once(signal, () => {
      process.stderr.write(`\n${signal}: stopping the demo processes…\n`);
      const deadline = setTimeout(() => process.exit(EXIT_CODES[signal]), STOP_GRACE_MS + 3_000);
      void cleanUpEverything().finally(() => {
        clearTimeout(deadline);
        process.exit(EXIT_CODES[signal]);
      });
    });
  }
}
