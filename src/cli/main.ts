/**
 * dist-verify: the monitor's verification of Node.js releases, from any laptop or CI job.
 * The package's `bin`, bundled for plain Node ≥ 20 by tools/build-cli.ts.
 *
 * Contract: exit 0 verified, 1 verification failed, 2 usage error or nothing decided
 * (see problems.ts). Output is a human report on stdout, or with `--json` exactly one JSON
 * object on stdout; the progress line goes to stderr on a terminal only. A bug shows as
 * one line asking for a report, never a stack trace (set DIST_VERIFY_DEBUG=1 to see it).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import packageJson from '../../package.json';
import { parseCommandLine } from './args';
import { removePartialFiles } from './file-copy';
import { EXIT_ERROR, type ExitCode } from './problems';
import { renderText } from './render-text';
import { RESULT_SCHEMA, type RunResult } from './report';
import { runVerify, type RunEnvironment } from './run-verify';
import { USAGE } from './usage';
import { runWatch } from './run-watch';

const TOOL_VERSION = packageJson.version;

async function main(argv: readonly string[]): Promise<ExitCode> {
  const wantsJson = argv.includes('--json');
  const parsed = parseCommandLine(argv);
  if (!parsed.ok) {
    const result: RunResult = {
      schema: RESULT_SCHEMA,
      tool: { name: 'dist-verify', version: TOOL_VERSION },
      command: 'usage',
      outcome: 'undecided',
      exitCode: 2,
      problems: [{ code: 'usage', subject: 'command line', message: parsed.error.message }],
    };
    if (wantsJson) writeOut(`${JSON.stringify(result)}\n`);
    else process.stderr.write(`${renderText(result).join('\n')}\nTry dist-verify --help.\n`);
    return EXIT_ERROR;
  }
  const command = parsed.value;
  if (command.kind === 'help') {
    writeOut(`${USAGE}\n`);
    return 0;
  }
  if (command.kind === 'version') {
    writeOut(`${TOOL_VERSION}\n`);
    return 0;
  }

  const env: RunEnvironment = {
    now: new Date(),
    clock: () => Date.now(),
    stderr: process.stderr,
    interactive: process.stdout.isTTY === true && process.stderr.isTTY === true,
    toolVersion: TOOL_VERSION,
    cacheDir: cacheDirectory(),
    vars: process.env,
  };
  const result =
    command.kind === 'verify' ? await runVerify(command, env) : await runWatch(command, env);
  writeOut(
    command.common.json
      ? `${JSON.stringify(result, null, 2)}\n`
      : `${renderText(result).join('\n')}\n`,
  );
  return result.exitCode;
}

/** `$XDG_CACHE_HOME/dist-verify`, or `~/.cache/dist-verify` (the spec's default). */
function cacheDirectory(): string {
  const xdg = process.env['XDG_CACHE_HOME'];
  const base = xdg !== undefined && isAbsolute(xdg) ? xdg : join(homedir(), '.cache');
  return join(base, 'dist-verify');
}

function writeOut(text: string): void {
  process.stdout.write(text);
}

// Ctrl-C: no half-written file is left under --out, and the exit code says nothing was decided.
process.once('SIGINT', () => {
  removePartialFiles();
  process.stderr.write('\ndist-verify: interrupted; nothing was verified.\n');
  process.exit(130);
});

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    process.stderr.write(
      `dist-verify: internal error (${message.replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ').slice(0, 300)}). Nothing was verified. Please report it.\n`,
    );
    if (process.env['DIST_VERIFY_DEBUG'] === '1' && error instanceof Error) {
      process.stderr.write(`${error.stack ?? ''}\n`);
    }
    exit(EXIT_ERROR);
  },
);

/** Lets stdout drain, then exits even if an idle connection would keep the process alive. */
function exit(code: ExitCode): void {
  process.exitCode = code;
  setTimeout(() => process.exit(code), 1000).unref();
}
