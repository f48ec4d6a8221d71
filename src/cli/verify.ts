/**
 * `dist-verify <version> [file…] [--download]`: one release, end to end — the trust set,
 * the signed manifest, local files and downloads against it, then the transparency log.
 *
 * Contract: returns the whole result (report.ts); never throws for anything the site, the
 * key source or the log does. The log is consulted only for hashes that verified: a
 * failed release is already a failure, and its bytes must not be looked up as if good.
 */
import type { DistClient } from '../adapters/dist-client';
import { parseIndexJson } from '../core/index-json';
import type { Manifest } from '../core/manifest';
import { indexJsonUrl } from '../core/manifest-urls';
import type { CommonOptions, DownloadOptions } from './options';
import { downloadArtifacts } from './downloads';
import { checkLocalFiles } from './local-files';
import { checkManifest, type ManifestReport } from './manifest-check';
import type { Problem } from './problems';
import type { ProgressReporter } from './progress';
import type { FileReport, TrustReport } from './report';
import { selectEntries } from './select-entries';
import type { TrustSet } from './trust';
import type { VerifiedHash } from './log-records';

export type { VerifiedHash } from './log-records';

export interface ReleaseCheckContext {
  readonly client: DistClient;
  readonly trust: TrustSet;
  readonly common: CommonOptions;
  readonly progress: ProgressReporter;
  readonly now: Date;
}

export interface ReleaseCheck {
  readonly manifest: ManifestReport;
  readonly files: readonly FileReport[];
  readonly problems: readonly Problem[];
  /** SHA-256 digests that verified (the manifest's own first), for the log. */
  readonly verifiedHashes: readonly VerifiedHash[];
  /** The signed, parsed manifest, when it verified. */
  readonly parsed?: Manifest;
}

/** The manifest, then local files, then downloads, of one release. */
export async function checkRelease(
  ctx: ReleaseCheckContext,
  release: string,
  files: readonly string[],
  download: DownloadOptions & { readonly lenientGlobs?: boolean },
  releaseDate?: string,
): Promise<ReleaseCheck> {
  const checked = await checkManifest(
    {
      client: ctx.client,
      trust: ctx.trust,
      distUrl: ctx.common.distUrl,
      maxManifestBytes: ctx.common.maxManifestBytes,
      sha1Cutoff: ctx.common.sha1Cutoff,
      now: ctx.now,
      ...(releaseDate !== undefined && { releaseDate }),
    },
    release,
  );
  const manifest = checked.manifest;
  if (manifest === undefined) {
    return { manifest: checked.report, files: [], problems: checked.problems, verifiedHashes: [] };
  }
  const problems: Problem[] = [...checked.problems];
  const reports: FileReport[] = [];

  if (files.length > 0) {
    const local = await checkLocalFiles(files, manifest, release);
    reports.push(...local.files);
    problems.push(...local.problems);
  }
  if (download.enabled) {
    const downloaded = await downloadSelected(ctx, release, manifest, download);
    reports.push(...downloaded.files);
    problems.push(...downloaded.problems);
  }

  const verifiedHashes: VerifiedHash[] = [];
  if (checked.report.sha256 !== undefined) {
    verifiedHashes.push({ sha256: checked.report.sha256, type: 'manifest', release });
  }
  for (const file of reports) {
    if (file.status === 'verified' && file.observed !== undefined) {
      verifiedHashes.push({
        sha256: file.observed,
        type: 'artifact',
        release,
        path: `${release}/${file.name}`,
      });
    }
  }
  return { manifest: checked.report, files: reports, problems, verifiedHashes, parsed: manifest };
}

async function downloadSelected(
  ctx: ReleaseCheckContext,
  release: string,
  manifest: Manifest,
  download: DownloadOptions & { readonly lenientGlobs?: boolean },
): Promise<{ files: FileReport[]; problems: Problem[] }> {
  const selected = selectEntries(manifest, download.only);
  // One release: a glob that matches nothing is a typo (watch judges globs over all releases).
  if (selected.unmatched.length > 0 && !download.lenientGlobs) {
    return {
      files: [],
      problems: [
        {
          code: 'usage',
          subject: selected.unmatched.join(' '),
          release,
          message: `--only ${selected.unmatched.map((glob) => JSON.stringify(glob)).join(', ')} matches none of the ${manifest.entries.length} files of ${release}.`,
        },
      ],
    };
  }
  return downloadArtifacts(
    {
      client: ctx.client,
      distUrl: ctx.common.distUrl,
      timeoutMs: ctx.common.timeoutMs,
      progress: ctx.progress,
      ...(download.outDir !== undefined && { outDir: download.outDir }),
    },
    release,
    selected.entries,
  );
}

/**
 * index.json's date for `release`, for the binding rules; undefined when index.json cannot
 * be read or does not list it (those rules then judge without it: the site cannot make a
 * release pass by hiding its date, only lose the check that needs it).
 */
export async function releaseDateOf(
  client: DistClient,
  common: CommonOptions,
  release: string,
): Promise<string | undefined> {
  const fetched = await client.getText(indexJsonUrl(common.distUrl), {
    maxBytes: common.maxIndexBytes,
  });
  if (!fetched.ok) return undefined;
  const index = parseIndexJson(fetched.value.text, { maxBytes: common.maxIndexBytes });
  return index.ok ? index.value.find((entry) => entry.version === release)?.date : undefined;
}

export function trustReport(trust: TrustSet): TrustReport {
  return {
    source: trust.source,
    keys: trust.keys.length,
    unavailable: trust.unavailable.map((failure) => failure.fingerprint),
  };
}
