/**
 * `--out DIR`: an artifact written to disk while it is hashed, kept only when it verifies.
 *
 * Contract: the bytes go to `<DIR>/<name>.partial` first; `keep()` renames it to
 * `<DIR>/<name>` once the hash matched, `discard()` removes it otherwise, so a tampered
 * file never lands under its real name. The target must stay inside DIR (the manifest's
 * names are plain relative paths already; this is the second lock). Each attempt of the
 * download (`sink()`) starts the file over.
 */
import { rmSync } from 'node:fs';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import { dirname, isAbsolute, relative, resolve, sep } from 'node:path';
import type { BodySink } from '../adapters/dist-body';

export interface FileCopy {
  /** A fresh sink for one attempt: truncates what an earlier attempt wrote. */
  sink(): BodySink;
  /** Renames the finished file into place; returns its path. */
  keep(): Promise<string>;
  /** Removes the partial file. Never throws. */
  discard(): Promise<void>;
}

/** Partial files not yet kept or discarded, for `removePartialFiles` on an interrupt. */
const pending = new Set<string>();

/** Removes every partial file still open (Ctrl-C in the middle of a download). */
export function removePartialFiles(): void {
  for (const path of pending) rmSync(path, { force: true });
  pending.clear();
}

export class UnsafeOutputPathError extends Error {
  override readonly name = 'UnsafeOutputPathError';
}

export async function createFileCopy(outDir: string, name: string): Promise<FileCopy> {
  const root = resolve(outDir);
  const target = resolve(root, ...name.split('/'));
  const inside = relative(root, target);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) {
    throw new UnsafeOutputPathError(`${name} would be written outside ${outDir}`);
  }
  await mkdir(dirname(target), { recursive: true });
  const partial = `${target}.partial`;
  const handle: FileHandle = await open(partial, 'w');
  pending.add(partial);
  let position = 0;
  let ready: Promise<unknown> = Promise.resolve();
  let closed = false;
  const close = async () => {
    if (closed) return;
    closed = true;
    await handle.close();
  };
  return {
    sink() {
      position = 0;
      ready = handle.truncate(0);
      return async (chunk) => {
        await ready;
        let written = 0;
        while (written < chunk.byteLength) {
          const { bytesWritten } = await handle.write(
            chunk,
            written,
            chunk.byteLength - written,
            position,
          );
          written += bytesWritten;
          position += bytesWritten;
        }
      };
    },
    async keep() {
      await handle.sync();
      await close();
      await rename(partial, target);
      pending.delete(partial);
      return target;
    },
    async discard() {
      await close().catch(() => undefined);
      await rm(partial, { force: true }).catch(() => undefined);
      pending.delete(partial);
    },
  };
}
