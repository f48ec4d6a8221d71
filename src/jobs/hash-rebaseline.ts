/**
 * Re-baselining pins after a metadata change whose bytes verified (bytes decide integrity):
 * the hash workers hand over every verified `metadata-changed` job that carries a
 * `rebaseline`; this reads each release's pin once, plans every artifact's new metadata
 * with its audit record (core/artifact-metadata.ts), writes the pin once, and returns the
 * one notice per cause that tells people what happened (none for metadata coming back to a
 * baseline proven before: the audit trail has it).
 *
 * Contract: one read and at most one write per release and batch, sequentially, so two
 * artifacts of one release verified in one batch never overwrite each other's update. A
 * pin that cannot be read or written costs nothing but the notice: the artifact still
 * differs from its pin at the next sweep, which hashes it again. A job whose pin moved in
 * the meantime is left alone; a second delivery of a job already applied raises the same
 * notice again (the incident merges it). Only the signed entries of the pin are trusted:
 * a job whose expected hash is not its pin's entry changes nothing.
 */
import {
  isNoticeCause,
  planRebaseline,
  rebaselineNotice,
  type RebaselineCause,
  type RebaselinedArtifact,
} from '../core/artifact-metadata';
import type { FindingInput } from '../core/findings';
import type { HashJob } from '../core/hash-jobs';
import type { PinStore, ReleasePin } from '../adapters/pin-store';

/** A verified job with a metadata change, and what its download proved. */
export interface VerifiedChange {
  readonly job: HashJob & { readonly rebaseline: NonNullable<HashJob['rebaseline']> };
  readonly sha256: string;
  readonly bytes: number;
  readonly headers: Readonly<Record<string, string>>;
}

/** A notice to report under the sweep that queued its jobs. */
export interface RebaselineNotice {
  readonly sweepId: string;
  readonly finding: FindingInput;
}

export async function applyRebaselines(
  pins: PinStore,
  changes: readonly VerifiedChange[],
  baseUrl: string,
  now: Date,
): Promise<{ readonly notices: RebaselineNotice[]; readonly rebaselined: number }> {
  const byVersion = new Map<string, VerifiedChange[]>();
  for (const change of changes) {
    const list = byVersion.get(change.job.version) ?? [];
    list.push(change);
    byVersion.set(change.job.version, list);
  }
  const applied: Applied[] = [];
  for (const [version, list] of byVersion) {
    try {
      applied.push(...(await rebaselineRelease(pins, version, list, now)));
    } catch (error) {
      console.error(
        `hash queue: could not re-baseline the pin of ${version}; the next sweep hashes again: ${error instanceof Error ? error.message : 'unknown error'}`,
      );
    }
  }
  return {
    notices: noticesOf(applied, baseUrl),
    rebaselined: applied.filter((entry) => entry.written).length,
  };
}

/** An artifact re-baselined now (`written`), or already by an earlier delivery of its job. */
interface Applied {
  readonly sweepId: string;
  readonly artifact: RebaselinedArtifact;
  readonly written: boolean;
}

async function rebaselineRelease(
  pins: PinStore,
  version: string,
  changes: readonly VerifiedChange[],
  now: Date,
): Promise<Applied[]> {
  const pin = await pins.getRelease(version);
  if (!pin) return [];
  const artifacts = { ...pin.artifacts };
  const applied: Applied[] = [];
  let changed = false;
  for (const { job, sha256, bytes, headers } of changes) {
    const current = artifacts[job.name];
    if (current === undefined || pin.entries[job.name] !== job.expectedSha256) continue;
    const plan = planRebaseline({
      current,
      expected: job.rebaseline.pinned,
      observed: job.rebaseline.observed,
      signedSha256: job.expectedSha256,
      proof: { sha256, bytes, headers, sweepId: job.sweepId },
      now,
    });
    const artifact = { url: job.url, release: version, name: job.name };
    if (plan.ok) {
      artifacts[job.name] = plan.value.pin;
      changed = true;
      applied.push({
        sweepId: job.sweepId,
        artifact: { ...artifact, record: plan.value.record },
        written: true,
      });
    } else if (plan.error.kind === 'already-rebaselined') {
      const record = current.rebaselines?.at(-1);
      if (record !== undefined)
        applied.push({ sweepId: job.sweepId, artifact: { ...artifact, record }, written: false });
    }
  }
  if (changed) await pins.putRelease({ ...pin, artifacts } satisfies ReleasePin);
  return applied;
}

/** One notice per sweep and cause, listing every artifact re-baselined for it. */
function noticesOf(applied: readonly Applied[], baseUrl: string): RebaselineNotice[] {
  const groups = new Map<
    string,
    { sweepId: string; cause: RebaselineCause; list: RebaselinedArtifact[] }
  >();
  for (const { sweepId, artifact } of applied) {
    if (!isNoticeCause(artifact.record.cause)) continue;
    const key = `${sweepId} ${artifact.record.cause}`;
    const group = groups.get(key) ?? { sweepId, cause: artifact.record.cause, list: [] };
    group.list.push(artifact);
    groups.set(key, group);
  }
  return [...groups.values()].map(({ sweepId, cause, list }) => ({
    sweepId,
    finding: rebaselineNotice(baseUrl, cause, list),
  }));
}
