/**
 * What each containment step does. Every step is idempotent (content-addressed evidence,
 * purge by URL, a KV flag keyed by path, a status field), so the at-least-once alarm may
 * run it again. In dry-run the steps that act on the world return what they would do and
 * call nothing. Steps report an outcome; the playbook runner decides about retries.
 */
import type { Finding } from '../core/findings';
import {
  containmentTargetsOf,
  EVIDENCE_BODY_LIMIT,
  EVIDENCE_FIELDS,
  planPurgeBatches,
  quarantineKeyOf,
  reverifyNeedsHash,
  type ContainmentMode,
  type PlaybookStep,
} from '../core/playbooks';
import type { Result } from '../core/result';
import type { CloudflarePurger, PurgeFailure } from '../adapters/cloudflare-purge';
import type { EvidenceStore, StoredEvidence } from '../adapters/evidence-store';
import type { QuarantineStore } from '../adapters/quarantine-store';
import type { ReverifyFunction, ReverifyPolicy, ReverifyResult } from '../adapters/reverify-url';

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
  /** The dist client's rules re-verification fetches under (allowed redirect hosts…). */
  readonly reverifyPolicy?: ReverifyPolicy;
  /** Publishes the incident on the status page; returns what the page now shows. */
  readonly postStatus: () => StepResult;
}

export interface StepInput {
  readonly step: PlaybookStep;
  readonly mode: ContainmentMode;
  readonly incidentId: string;
  readonly finding: Finding;
  /** The latest finding of each subject (a group's members; a single incident's own). */
  readonly members?: readonly Finding[];
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

interface Blob {
  readonly label: string;
  readonly bytes: Uint8Array | undefined;
  readonly contentType: string;
}

/** The large fields of one finding's evidence, as separate objects. */
function blobsOf(finding: Finding, prefix = ''): Blob[] {
  const evidence = finding.evidence;
  const text = (value: unknown) =>
    typeof value === 'string' ? new TextEncoder().encode(value) : undefined;
  const blobs: Blob[] = [
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
  return blobs.map((blob) => ({ ...blob, label: `${prefix}${blob.label}` }));
}

function slim(finding: Finding): Finding {
  return {
    ...finding,
    evidence: Object.fromEntries(
      Object.entries(finding.evidence).filter(([name]) => !BIG_FIELDS.includes(name)),
    ),
  };
}

/**
 * Runs in both modes: it writes only to our own R2 bucket, never over existing evidence.
 * A group's members each keep their own large evidence (a served manifest, a body).
 */
async function captureEvidence({
  finding,
  members = [],
  incidentId,
  services,
}: StepInput): Promise<StepOutcome> {
  const others = members.filter((member) => member.fingerprint !== finding.fingerprint);
  const blobs = [
    ...blobsOf(finding),
    ...others.flatMap((member, index) => blobsOf(member, `member-${index + 1}-`)),
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
  const document = {
    finding: slim(finding),
    ...(others.length > 0 && { members: others.map(slim) }),
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

function urlsOf({ finding, members }: Pick<StepInput, 'finding' | 'members'>): string[] {
  return containmentTargetsOf(finding, members).map((target) => target.url);
}

async function purgeCache(input: StepInput): Promise<StepOutcome> {
  const { mode, progress, services } = input;
  const batches = planPurgeBatches(urlsOf(input));
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

/**
 * Done only when every URL serves what was signed again: for tampered artifacts and
 * manifests that means bytes that hash to the signed (pinned) SHA-256, nothing less.
 */
async function reverify({ mode, finding, members, services }: StepInput): Promise<StepOutcome> {
  const targets = containmentTargetsOf(finding, members);
  const urls = targets.map((target) => target.url);
  if (mode === 'dry-run') {
    return {
      kind: 'done',
      detail: `Dry run: would re-verify ${urls.length} URL(s)`,
      result: { dryRun: true, urls },
    };
  }
  const results: ReverifyResult[] = [];
  for (const target of targets) {
    results.push(await services.reverify(target.url, target.finding, services.reverifyPolicy));
  }
  const needsHash = reverifyNeedsHash(finding.kind);
  const bad = results.filter(
    (r) =>
      r.verdict === 'mismatch' ||
      r.verdict === 'unreachable' ||
      (r.verdict === 'unchecked' && needsHash),
  );
  if (bad.length === 0)
    return {
      kind: 'done',
      detail: `Re-verified ${urls.length} URL(s): ${needsHash ? 'the bytes match the signed hash again' : 'as expected'}`,
      result: { results },
    };
  return {
    kind: 'retry',
    detail: `Re-verification failed for ${bad.length} of ${urls.length} URL(s): ${bad.map((r) => `${r.url}: ${r.detail}`).join('; ')}`,
    result: { results },
  };
}

async function quarantine(input: StepInput): Promise<StepOutcome> {
  const { mode, finding, incidentId, now, services } = input;
  const urls = urlsOf(input);
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
