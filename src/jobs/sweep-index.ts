/**
 * The index step of a sweep: fetch index.json, validate it, compare it with the history
 * (highest version ever seen, the watched set) and choose the releases to watch. When the
 * index cannot be had or parsed, the releases watched last time are watched again, so a
 * broken index never blinds the rest of the sweep. An index that looks broken or rolled
 * back is first compared with the origin's copy, so cache poisoning is called by its name.
 */
import { sha256Hex } from '../core/digest';
import type { Finding } from '../core/findings';
import { parseIndexJson, type IndexEntry } from '../core/index-json';
import {
  compareIndexWithHistory,
  indexInvalidFinding,
  type IndexHistory,
} from '../core/index-rollback';
import { cacheBypassUrl, indexJsonUrl } from '../core/manifest-urls';
import { selectWatchedReleases } from '../core/watch-policy';
import {
  addFinding,
  addFindings,
  canRequest,
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
  let text = response.value.text;
  let judged = judgeIndex(ctx, text, history);
  if (judged.findings.length > 0) {
    // Before calling the index broken or rolled back, ask the origin: a cache that serves
    // another index than the origin is cache poisoning, and the origin's index is the truth.
    const origin = await fetchOriginIndex(ctx, url);
    if (origin !== undefined && origin !== text) {
      addFinding(ctx, {
        kind: 'cache-poisoned',
        subject: url,
        summary: 'The cached index.json differs from the origin’s copy.',
        expected: await sha256Hex(origin),
        observed: await sha256Hex(text),
        evidence: { differences: ['bytes'], cachedFindings: judged.findings.map((f) => f.kind) },
      });
      text = origin;
      judged = judgeIndex(ctx, text, history);
    }
  }
  addFindings(ctx, judged.findings);
  if (!judged.entries) return { ...fallback, text };
  // A watched release that vanished stays watched: its manifest and artifacts are still checked.
  const vanished = (history?.watched ?? []).filter((version) => !judged.watched.includes(version));
  return {
    watched: [...judged.watched, ...vanished],
    entries: judged.entries,
    ...(judged.nextHistory && { nextHistory: judged.nextHistory }),
    text,
  };
}

interface JudgedIndex {
  readonly findings: readonly Finding[];
  readonly watched: readonly string[];
  readonly entries?: readonly IndexEntry[];
  readonly nextHistory?: IndexHistory;
}

function judgeIndex(
  ctx: SweepContext,
  text: string,
  history: IndexHistory | undefined,
): JudgedIndex {
  const parsed = parseIndexJson(text, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!parsed.ok) {
    return {
      findings: [indexInvalidFinding(parsed.error, ctx.config.DIST_BASE_URL, ctx.now)],
      watched: [],
    };
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
  return {
    findings: comparison.findings,
    watched,
    entries: parsed.value,
    nextHistory: comparison.nextHistory,
  };
}

async function fetchOriginIndex(ctx: SweepContext, url: string): Promise<string | undefined> {
  if (!canRequest(ctx, 'origin check index.json')) return undefined;
  const bypass = cacheBypassUrl(
    url,
    ctx.config.DIST_BASE_URL,
    ctx.config.ORIGIN_BASE_URL,
    ctx.sweepId,
  );
  const result = await ctx.client.getText(bypass, { maxBytes: ctx.config.MAX_INDEX_BYTES });
  if (!result.ok) {
    observeError(ctx, result.error);
    return undefined;
  }
  observeResponse(ctx, result.value);
  return result.value.text;
}
