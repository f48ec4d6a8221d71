/**
 * The index step of a sweep: fetch index.json, validate it, compare it with the history
 * (highest version ever seen, the watched set) and choose the releases to watch. When the
 * index cannot be had or parsed, the releases watched last time are watched again, so a
 * broken index never blinds the rest of the sweep.
 */
import { parseIndexJson, type IndexEntry } from '../core/index-json';
import {
  compareIndexWithHistory,
  indexInvalidFinding,
  type IndexHistory,
} from '../core/index-rollback';
import { indexJsonUrl } from '../core/manifest-urls';
import { selectWatchedReleases } from '../core/watch-policy';
import {
  addFinding,
  addFindings,
  observeError,
  observeResponse,
  type SweepContext,
} from './sweep-context';

export interface IndexStepResult {
  /** Versions to verify in depth, newest first. */
  readonly watched: readonly string[];
  /** Every release listed, when the index parsed (the rotation covers them all). */
  readonly entries?: readonly IndexEntry[];
  /** The history to store, or undefined to keep the stored one unchanged. */
  readonly nextHistory?: IndexHistory;
  /** The index.json text as served, for the cache differential. */
  readonly text?: string;
}

export async function sweepIndex(
  ctx: SweepContext,
  history: IndexHistory | undefined,
): Promise<IndexStepResult> {
  const url = indexJsonUrl(ctx.config.DIST_BASE_URL);
  const fallback = { watched: history?.watched ?? [] };
  const response = await ctx.client.getText(url, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!response.ok) {
    observeError(ctx, response.error);
    const error = response.error;
    if (
      error.kind === 'too-large' ||
      error.kind === 'invalid-utf8' ||
      (error.kind === 'status' && error.status < 500)
    ) {
      addFinding(ctx, {
        kind: 'index-invalid',
        subject: url,
        summary: `index.json could not be read: ${error.kind} (${error.detail}).`,
        expected: 'a JSON array of releases',
        observed: error.kind === 'status' ? `HTTP ${error.status}` : error.kind,
        evidence: { error: error.kind, detail: error.detail, status: error.status },
      });
    }
    return fallback;
  }
  observeResponse(ctx, response.value);
  const parsed = parseIndexJson(response.value.text, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!parsed.ok) {
    addFindings(ctx, [indexInvalidFinding(parsed.error, ctx.config.DIST_BASE_URL, ctx.now)]);
    return { ...fallback, text: response.value.text };
  }
  const watched = selectWatchedReleases(
    parsed.value,
    { newest: ctx.config.WATCH_NEWEST, lines: ctx.config.WATCH_LINES },
    ctx.now,
  ).map((release) => release.version);
  const comparison = compareIndexWithHistory(
    history,
    parsed.value,
    ctx.config.DIST_BASE_URL,
    ctx.now,
    watched,
  );
  addFindings(ctx, comparison.findings);
  // A watched release that vanished stays watched: its manifest and artifacts are still checked.
  const vanished = (history?.watched ?? []).filter((version) => !watched.includes(version));
  return {
    watched: [...watched, ...vanished],
    entries: parsed.value,
    nextHistory: comparison.nextHistory,
    text: response.value.text,
  };
}
