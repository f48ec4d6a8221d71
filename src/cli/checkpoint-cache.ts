/**
 * The last checkpoint this machine saw of each log, so that every run is also a witness:
 * a log that later shows this machine a tree that does not extend it is caught.
 *
 * Contract: one JSON file per log origin under `<cache dir>/checkpoints/` (the cache dir is
 * `$XDG_CACHE_HOME/dist-verify` or `~/.cache/dist-verify`), holding the signed checkpoint
 * text exactly as served. A file that is missing or unreadable is "nothing seen yet"
 * (reported as such, never fatal). Writes are atomic (temporary file, then rename), and
 * only a checkpoint that was verified and found consistent is ever written: an
 * inconsistent one is kept beside it as evidence instead of replacing it.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface SavedCheckpoint {
  /** The signed note, exactly as the log served it. */
  readonly checkpoint: string;
  /** ISO-8601 time this machine saw it. */
  readonly seenAt: string;
}

/** The file for a log origin: readable, and unique even when two origins sanitise alike. */
export function checkpointFile(cacheDir: string, origin: string): string {
  const readable = origin.replace(/[^A-Za-z0-9.-]+/g, '_').slice(0, 80);
  const digest = createHash('sha256').update(origin).digest('hex').slice(0, 12);
  return join(cacheDir, 'checkpoints', `${readable}-${digest}.json`);
}

export async function readSavedCheckpoint(file: string): Promise<SavedCheckpoint | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value = JSON.parse(text) as Partial<SavedCheckpoint>;
    if (typeof value.checkpoint === 'string' && typeof value.seenAt === 'string') {
      return { checkpoint: value.checkpoint, seenAt: value.seenAt };
    }
  } catch {
    // A damaged cache file is as good as none: the next good checkpoint replaces it.
  }
  return undefined;
}

/** Writes atomically; returns the error message instead of throwing. */
export async function saveCheckpoint(
  file: string,
  saved: SavedCheckpoint,
): Promise<string | undefined> {
  return writeAtomically(file, `${JSON.stringify(saved, null, 2)}\n`);
}

/** Keeps a checkpoint that contradicts the saved one, for whoever investigates. */
export async function saveConflict(
  file: string,
  saved: SavedCheckpoint,
): Promise<string | undefined> {
  const stamp = saved.seenAt.replace(/[^0-9A-Za-z]/g, '');
  return writeAtomically(
    file.replace(/\.json$/, `.conflict-${stamp}.json`),
    `${JSON.stringify(saved, null, 2)}\n`,
  );
}

async function writeAtomically(file: string, text: string): Promise<string | undefined> {
  try {
    await mkdir(join(file, '..'), { recursive: true });
    const temporary = `${file}.${process.pid}.tmp`;
    await writeFile(temporary, text, { mode: 0o644 });
    await rename(temporary, file);
    return undefined;
  } catch (cause) {
    return cause instanceof Error ? cause.message : String(cause);
  }
}
