/**
 * `--download`: each selected artifact streamed through SHA-256 by the Worker's dist client
 * (same redirect rules, retries and streaming hash) and compared with the signed entry.
 *
 * Contract: one artifact at a time (a progress line a person can follow, and a site that
 * throttles is not hammered). Nothing is written unless `--out` was given, and then only a
 * verified file keeps its name (file-copy.ts). A file's time limit grows with its size: a
 * download fails for slowness only below ~64 KiB/s on average.
 */
import type { DistClient } from '../adapters/dist-client';
import type { ManifestEntry } from '../core/manifest';
import { artifactUrl } from '../core/manifest-urls';
import { createFileCopy, type FileCopy } from './file-copy';
import { classifyRequestError } from './http';
import { foreignRedirect, unreachable } from './manifest-check';
import type { Problem } from './problems';
import type { ProgressReporter } from './progress';
import type { FileReport } from './report';
import { printable } from './terminal-text';

export interface DownloadContext {
  readonly client: DistClient;
  readonly distUrl: string;
  readonly timeoutMs: number;
  readonly progress: ProgressReporter;
  readonly outDir?: string;
}

export interface DownloadsCheck {
  readonly files: FileReport[];
  readonly problems: Problem[];
}

const SLOWEST_BYTES_PER_SECOND = 64 * 1024;
/** Without a Content-Length, a download may take this long. */
const UNKNOWN_SIZE_TIMEOUT_MS = 60 * 60 * 1000;
const PROGRESS_POLL_MS = 100;

export async function downloadArtifacts(
  ctx: DownloadContext,
  release: string,
  entries: readonly ManifestEntry[],
): Promise<DownloadsCheck> {
  const files: FileReport[] = [];
  const problems: Problem[] = [];
  for (const [index, entry] of entries.entries()) {
    const checked = await downloadOne(ctx, release, entry, index + 1, entries.length);
    files.push(checked.file);
    problems.push(...checked.problems);
  }
  return { files, problems };
}

async function downloadOne(
  ctx: DownloadContext,
  release: string,
  entry: ManifestEntry,
  index: number,
  count: number,
): Promise<{ file: FileReport; problems: Problem[] }> {
  const url = artifactUrl(ctx.distUrl, release, entry.name);
  const base = { name: entry.name, source: 'download', url, expected: entry.sha256 } as const;

  // The size only sizes the time limit and the progress bar; the hash decides.
  const head = await ctx.client.head(url);
  const length = head.ok ? Number(head.value.headers['content-length'] ?? Number.NaN) : Number.NaN;
  const totalBytes = Number.isSafeInteger(length) && length >= 0 ? length : undefined;
  const timeoutMs =
    totalBytes === undefined
      ? UNKNOWN_SIZE_TIMEOUT_MS
      : Math.max(ctx.timeoutMs, Math.ceil((totalBytes / SLOWEST_BYTES_PER_SECOND) * 1000));

  let copy: FileCopy | undefined;
  if (ctx.outDir !== undefined) {
    try {
      copy = await createFileCopy(ctx.outDir, entry.name);
    } catch (cause) {
      return {
        file: { ...base, status: 'unreadable' },
        problems: [
          {
            code: 'file-unreadable',
            subject: `${ctx.outDir}/${entry.name}`,
            release,
            message: `Cannot write ${entry.name} under --out ${ctx.outDir}: ${cause instanceof Error ? cause.message : String(cause)}.`,
          },
        ],
      };
    }
  }

  const startBytes = ctx.client.stats().bytes;
  ctx.progress.start(printable(entry.name, 200), index, count, totalBytes);
  const timer = setInterval(
    () => ctx.progress.update(ctx.client.stats().bytes - startBytes),
    PROGRESS_POLL_MS,
  );
  const hashed = await ctx.client
    .hashBody(url, { timeoutMs, ...(copy !== undefined && { copy: () => copy.sink() }) })
    .finally(() => {
      clearInterval(timer);
      ctx.progress.finish();
    });

  if (!hashed.ok) {
    await copy?.discard();
    const verdict = classifyRequestError(hashed.error);
    switch (verdict.kind) {
      case 'not-served':
        return {
          file: { ...base, status: 'missing' },
          problems: [
            {
              code: 'artifact-missing',
              kind: 'artifact-missing',
              subject: url,
              release,
              message: `${entry.name} is listed in the signed SHASUMS256.txt of ${release} but not served (${verdict.detail}).`,
            },
          ],
        };
      case 'foreign-redirect':
        return {
          file: { ...base, status: 'foreign-redirect' },
          problems: [foreignRedirect(url, release, verdict.detail)],
        };
      default:
        return {
          file: { ...base, status: 'unreachable' },
          problems: [unreachable(url, release, verdict.detail)],
        };
    }
  }

  const { sha256, bytes } = hashed.value;
  if (sha256 !== entry.sha256) {
    await copy?.discard();
    return {
      file: { ...base, status: 'mismatch', observed: sha256, bytes },
      problems: [
        {
          code: 'hash-mismatch',
          kind: 'artifact-hash-mismatch',
          subject: url,
          release,
          expected: entry.sha256,
          observed: sha256,
          message: `${entry.name} as served does not match its signed SHA-256 in ${release}: the site serves tampered or corrupted bytes.${copy !== undefined ? ' Nothing was kept.' : ''}`,
        },
      ],
    };
  }
  let savedTo: string | undefined;
  if (copy !== undefined) {
    try {
      savedTo = await copy.keep();
    } catch (cause) {
      await copy.discard();
      return {
        file: { ...base, status: 'unreadable', observed: sha256, bytes },
        problems: [
          {
            code: 'file-unreadable',
            subject: `${ctx.outDir ?? ''}/${entry.name}`,
            release,
            message: `${entry.name} verified but could not be kept under --out ${ctx.outDir ?? ''}: ${cause instanceof Error ? cause.message : String(cause)}.`,
          },
        ],
      };
    }
  }
  return {
    file: {
      ...base,
      status: 'verified',
      observed: sha256,
      bytes,
      ...(savedTo !== undefined && { savedTo }),
    },
    problems: [],
  };
}
