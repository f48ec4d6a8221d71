/**
 * What each containment step does. Every step is idempotent (content-addressed evidence,
 * purge by URL, a KV flag keyed by path, a status field), so the at-least-once alarm may
 * run it again. In dry-run the steps that act on the world return what they would do and
 * call nothing. Steps report an outcome; the playbook runner decides about retries.
 */
import type { Finding } from '../core/findings';
import {
  containmentUrlsOf,
  EVIDENCE_BODY_LIMIT,
  EVIDENCE_FIELDS,
  planPurgeBatches,
  quarantineKeyOf,
  type ContainmentMode,
  type PlaybookStep,
} from '../core/playbooks';
import type { Result } from '../core/result';
import type { CloudflarePurger, PurgeFailure } from '../adapters/cloudflare-purge';
import type { EvidenceStore, StoredEvidence } from '../adapters/evidence-store';
import type { QuarantineStore } from '../adapters/quarantine-store';
import type { ReverifyFunction } from '../adapters/reverify-url';

export type StepResult = Readonly<Record<string, unknown>>;

export type StepOutcome =
  | { readonly kind: 'done'; readonly detail: string; readonly result?: StepResult }
  | {
      readonly kind: 'retry';
      readonly detail: string;
      readonly retryAfterMs?: number;
      /** Saved and handed back on the next attempt (e.g. purge batches already done). */
      readonly progress?: StepResult;
      readonly result?: StepResult;
    }
  /** Permanent: retrying cannot help (e.g. enforce mode without purge credentials). */
  | { readonly kind: 'failed'; readonly detail: string; readonly result?: StepResult };

export interface StepServices {
  readonly evidence: EvidenceStore;
  readonly quarantine: QuarantineStore;
  readonly purger: () => Result<CloudflarePurger, PurgeFailure>;
  readonly reverify: ReverifyFunction;
  /** Publishes the incident on the status page; returns what the page now shows. */
  readonly postStatus: () => StepResult;
}

export interface StepInput {
  readonly step: PlaybookStep;
  readonly mode: ContainmentMode;
  readonly incidentId: string;
  readonly finding: Finding;
  readonly progress: StepResult | undefined;
  readonly now: number;
  readonly services: StepServices;
}

export async function runContainmentStep(input: StepInput): Promise<StepOutcome> {
  switch (input.step) {
    case 'capture-evidence':
      return captureEvidence(input);
    case 'purge-cache':
      return purgeCache(input);
    case 'reverify':
      return reverify(input);
    case 'quarantine':
      return quarantine(input);
    case 'post-status': {
      const result = input.services.postStatus();
      return {
        kind: 'done',
        detail: `Status page shows: ${String(result['publicStatus'])}`,
        result,
      };
    }
  }
}

const BIG_FIELDS: readonly string[] = [
  EVIDENCE_FIELDS.body,
  EVIDENCE_FIELDS.manifest,
  EVIDENCE_FIELDS.signature,
  EVIDENCE_FIELDS.signatureBinary,
];

/** Runs in both modes: it writes only to our own R2 bucket, never over existing evidence. */
async function captureEvidence({ finding, incidentId, services }: StepInput): Promise<StepOutcome> {
  const evidence = finding.evidence;
  const text = (value: unknown) =>
    typeof value === 'string' ? new TextEncoder().encode(value) : undefined;
  const blobs: { label: string; bytes: Uint8Array | undefined; contentType: string }[] = [
    {
      label: 'body',
      bytes: fromBase64(evidence[EVIDENCE_FIELDS.body])?.subarray(0, EVIDENCE_BODY_LIMIT),
      contentType: 'application/octet-stream',
    },
    {
      label: 'manifest',
      bytes: text(evidence[EVIDENCE_FIELDS.manifest]),
      contentType: 'text/plain; charset=utf-8',
    },
    {
      label: 'signature',
      bytes:
        text(evidence[EVIDENCE_FIELDS.signature]) ??
        fromBase64(evidence[EVIDENCE_FIELDS.signatureBinary]),
      contentType: 'application/pgp-signature',
    },
  ];
  const stored: (StoredEvidence & { label: string })[] = [];
  for (const blob of blobs) {
    if (blob.bytes === undefined) continue;
    stored.push({
      label: blob.label,
      ...(await services.evidence.put({
        bytes: blob.bytes,
        contentType: blob.contentType,
        label: blob.label,
        incidentId,
      })),
    });
  }
  // The finding itself, with the large fields replaced by the keys they are stored under.
  const slim = {
    ...finding,
    evidence: Object.fromEntries(
      Object.entries(evidence).filter(([name]) => !BIG_FIELDS.includes(name)),
    ),
  };
  const document = {
    finding: slim,
    objects: Object.fromEntries(stored.map((s) => [s.label, s.key])),
  };
  const json = new TextEncoder().encode(JSON.stringify(document, null, 2));
  stored.unshift({
    label: 'finding',
    ...(await services.evidence.put({
      bytes: json,
      contentType: 'application/json',
      label: 'finding',
      incidentId,
    })),
  });
  return {
    kind: 'done',
    detail: `Stored ${stored.length} evidence object(s): ${stored.map((s) => `${s.label} ${s.key}`).join(', ')}`,
    result: {
      keys: stored.map((s) => s.key),
      objects: stored.map(({ label, key, size, created }) => ({ label, key, size, created })),
    },
  };
}

function fromBase64(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string' || value === '') return undefined;
  try {
    return Uint8Array.from(atob(value), (char) => char.charCodeAt(0));
  } catch {
    return undefined;
  }
}

async function purgeCache({ mode, finding, progress, services }: StepInput): Promise<StepOutcome> {
  const batches = planPurgeBatches(containmentUrlsOf(finding));
  const urls = batches.flat().length;
  if (mode === 'dry-run') {
    return {
      kind: 'done',
      detail: `Dry run: would purge ${urls} URL(s) in ${batches.length} batch(es)`,
      result: { dryRun: true, batches },
    };
  }
  const purger = services.purger();
  if (!purger.ok) return { kind: 'failed', detail: purger.error.detail };
  const from =
    typeof progress?.['completedBatches'] === 'number' ? progress['completedBatches'] : 0;
  const purged = await purger.value.purge(batches, from);
  if (purged.ok)
    return {
      kind: 'done',
      detail: `Purged ${urls} URL(s) in ${batches.length} batch(es)`,
      result: { batches },
    };
  const failure = purged.error;
  switch (failure.kind) {
    case 'not-configured':
    case 'rejected':
      return { kind: 'failed', detail: failure.detail };
    case 'rate-limited':
      return {
        kind: 'retry',
        detail: failure.detail,
        retryAfterMs: failure.retryAfterMs,
        progress: { completedBatches: failure.completedBatches },
      };
    case 'transient':
      return {
        kind: 'retry',
        detail: failure.detail,
        progress: { completedBatches: failure.completedBatches },
      };
  }
}

async function reverify({ mode, finding, services }: StepInput): Promise<StepOutcome> {
  const urls = containmentUrlsOf(finding);
  if (mode === 'dry-run') {
    return {
      kind: 'done',
      detail: `Dry run: would re-verify ${urls.length} URL(s)`,
      result: { dryRun: true, urls },
    };
  }
  const results = [];
  for (const url of urls) results.push(await services.reverify(url, finding));
  const bad = results.filter((r) => r.verdict === 'mismatch' || r.verdict === 'unreachable');
  if (bad.length === 0)
    return {
      kind: 'done',
      detail: `Re-verified ${urls.length} URL(s): as expected`,
      result: { results },
    };
  return {
    kind: 'retry',
    detail: `Re-verification failed for ${bad.length} of ${urls.length} URL(s): ${bad.map((r) => `${r.url}: ${r.detail}`).join('; ')}`,
    result: { results },
  };
}

async function quarantine({
  mode,
  finding,
  incidentId,
  now,
  services,
}: StepInput): Promise<StepOutcome> {
  const urls = containmentUrlsOf(finding);
  // The reason names the kind only: the release worker may show it, and details are private.
  const flag = { incidentId, reason: finding.kind, since: new Date(now).toISOString() };
  if (mode === 'dry-run') {
    const wouldWrite = urls.map((url) => ({ key: quarantineKeyOf(url), value: flag }));
    return {
      kind: 'done',
      detail: `Dry run: would quarantine ${wouldWrite.map((w) => w.key).join(', ')}`,
      result: { dryRun: true, wouldWrite },
    };
  }
  const keys = [];
  for (const url of urls) keys.push((await services.quarantine.flag(url, flag)).key);
  return { kind: 'done', detail: `Quarantined ${keys.join(', ')}`, result: { urls, keys } };
}
