/**
 * Tokenises the command line with Node's own parser (strict: an unknown flag or a missing
 * value is a usage error, never ignored), then hands the tokens to `interpretArgs`.
 */
import { parseArgs } from 'node:util';
import { err, type Result } from '../core/result';
import { interpretArgs, UsageError, type CliCommand } from './options';

const FLAGS = {
  download: { type: 'boolean' },
  only: { type: 'string', multiple: true },
  out: { type: 'string' },
  'dist-url': { type: 'string' },
  keys: { type: 'string' },
  'keys-url': { type: 'string' },
  log: { type: 'string' },
  'log-key': { type: 'string' },
  json: { type: 'boolean' },
  timeout: { type: 'string' },
  'user-agent': { type: 'string' },
  newest: { type: 'string' },
  lines: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean' },
} as const;

export function parseCommandLine(argv: readonly string[]): Result<CliCommand, UsageError> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof FLAGS; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ args: [...argv], options: FLAGS, allowPositionals: true, strict: true });
  } catch (cause) {
    // parseArgs says e.g. "Unknown option '--frobnicate'": already a message a person can act on.
    const message = cause instanceof Error ? cause.message : String(cause);
    return err(new UsageError(message.replace(/\. To specify a positional argument.*$/s, '')));
  }
  return interpretArgs({ positionals: parsed.positionals, values: parsed.values });
}
