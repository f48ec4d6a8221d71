/**
 * Makes a transparency log key pair in the forms Go's golang.org/x/mod/sumdb/note writes:
 * the private key for the `LOG_SIGNING_KEY` secret and the verifier key to publish.
 *
 *   node tools/log-key.ts nodejs.org/dist/integrity-log
 *
 * The name should be the log's origin (`LOG_ORIGIN`). The private key goes to stdout's first
 * line only; keep it out of shell history and logs (pipe it to `wrangler secret put`).
 */
import { generateNoteKey } from '../src/core/tlog/note.ts';

/** A fresh key pair named `name` (throwaway keys for local runs use this too). */
export function generateLogKey(
  name: string,
): Promise<{ readonly privateKey: string; readonly verifierKey: string }> {
  return generateNoteKey(name);
}

if (import.meta.main) {
  const name = process.argv[2];
  if (name === undefined || process.argv.length > 3) {
    process.stderr.write('usage: node tools/log-key.ts <key name, e.g. the LOG_ORIGIN>\n');
    process.exit(2);
  }
  try {
    const key = await generateLogKey(name);
    process.stdout.write(`${key.privateKey}\n`);
    process.stderr.write(`verifier key (publish this): ${key.verifierKey}\n`);
  } catch (error) {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}
