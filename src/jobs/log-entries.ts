/**
 * What the sweep and the hash workers hand to the transparency log, and when. The hooks in
 * other jobs are one line each: a verified manifest that gets pinned (`recordManifestPin`),
 * a download whose bytes matched (`artifactLogEntry`). A sweep's entries wait on the sweep
 * context and go to the sequencer once, at the end of the sweep (`flushSweepLog`), which
 * then checks the log from outside (log-monitor.ts); a hash batch appends its own
 * (`appendToLog`). Mismatches and every other finding are never entries: the disclosure
 * rule holds for the log, and a download whose hash is absent from it is the signal.
 *
 * Contract: logging never costs a sweep or a hash batch anything it already did. With the
 * log off (no LOG_SIGNING_KEY) nothing is kept; a sequencer that cannot be reached is
 * logged and the entries are dropped (the observations stay in pins and hash results); a
 * sequencer or monitor check that fails is a `transparency-log-inconsistent` finding.
 */
import type { FindingInput } from '../core/findings';
import type { HashJob } from '../core/hash-jobs';
import { resolveLogSettings, type LogSettings } from '../core/log-settings';
import type { ArtifactEntry, LogEntry, ManifestEntry } from '../core/tlog/entries';
import { logSequencerStub, type AppendOutcome } from '../durable/log-sequencer';
import type { MonitorEnv } from '../env';
import { monitorLog } from './log-monitor';
import { addFinding, type SweepContext } from './sweep-context';

/** The monitor's own sweep and hash workers; regional probes would name their region. */
export const WORKER_VANTAGE = 'worker';

const PENDING = new WeakMap<SweepContext, LogEntry[]>();

/** The fields of a release pin that a manifest entry records. */
export interface PinnedManifest {
  readonly version: string;
  readonly manifestSha256: string;
  readonly signer: string;
  readonly entries: Readonly<Record<string, string>>;
}

/** Queues the manifest entry of a release pinned in this sweep from a verified signature. */
export function recordManifestPin(ctx: SweepContext, pin: PinnedManifest, signedAt: Date): void {
  const entry: ManifestEntry = {
    type: 'manifest',
    release: pin.version,
    manifestSha256: pin.manifestSha256,
    signer: pin.signer,
    signedAt: signedAt.toISOString(),
    files: pin.entries,
    observedAt: ctx.now.toISOString(),
    vantage: WORKER_VANTAGE,
  };
  const pending = PENDING.get(ctx) ?? [];
  pending.push(entry);
  PENDING.set(ctx, pending);
}

/** The entry of one full download whose bytes matched the signed hash. */
export function artifactLogEntry(
  job: Pick<HashJob, 'version' | 'name' | 'expectedSha256'>,
  observed: { readonly bytes: number; readonly etag?: string | undefined },
  observedAt: string,
): ArtifactEntry {
  return {
    type: 'artifact',
    release: job.version,
    path: `${job.version}/${job.name}`,
    sha256: job.expectedSha256,
    size: observed.bytes,
    ...(observed.etag !== undefined && { etag: observed.etag }),
    observedAt,
    vantage: WORKER_VANTAGE,
  };
}

export function logSettingsOf(env: MonitorEnv): LogSettings {
  return resolveLogSettings(env);
}

/**
 * Appends entries (in order) when the log is on. Never throws: the caller's work is done
 * and recorded already. Undefined when the log is off or the sequencer was unreachable.
 */
export async function appendToLog(
  env: MonitorEnv,
  entries: readonly LogEntry[],
  now: Date,
): Promise<AppendOutcome | undefined> {
  const settings = logSettingsOf(env);
  if (!settings.enabled) return undefined;
  try {
    const outcome = await logSequencerStub(env).append(entries, settings, now.toISOString());
    if (!outcome.ok) {
      console.error(`transparency log: append refused (${outcome.kind}): ${outcome.detail}`);
    }
    return outcome;
  } catch (error) {
    console.error(
      `transparency log: ${entries.length} entries not appended: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
    return undefined;
  }
}

/** Failures of the log's own storage, as opposed to its configuration. */
const CONFIGURATION_FAILURES: ReadonlySet<string> = new Set(['key-invalid', 'origin-changed']);

/**
 * End of a sweep: append its entries (publishing a checkpoint, the first one of size 0),
 * then check the published log as an outsider would. Failures become a finding of the sweep.
 */
export async function flushSweepLog(env: MonitorEnv, ctx: SweepContext): Promise<void> {
  const settings = logSettingsOf(env);
  const entries = PENDING.get(ctx) ?? [];
  PENDING.delete(ctx);
  if (!settings.enabled) return;
  const outcome = await appendToLog(env, entries, ctx.now);
  if (outcome && !outcome.ok && !CONFIGURATION_FAILURES.has(outcome.kind)) {
    addFinding(
      ctx,
      logFinding(settings.origin, `the sequencer refused to publish: ${outcome.kind}`, {
        check: 'sequencer',
        failure: outcome.kind,
        detail: outcome.detail,
      }),
    );
    return;
  }
  if (!outcome) return;
  try {
    const checked = await monitorLog(env, settings, ctx.now);
    if (!checked.ok) {
      addFinding(
        ctx,
        logFinding(settings.origin, checked.error.detail, {
          check: 'monitor',
          failure: checked.error.kind,
          detail: checked.error.detail,
        }),
      );
    }
  } catch (error) {
    console.error(
      `transparency log: the monitor check could not run: ${error instanceof Error ? error.message : 'unknown error'}`,
    );
  }
}

function logFinding(
  origin: string,
  why: string,
  evidence: Readonly<Record<string, unknown>>,
): FindingInput {
  return {
    kind: 'transparency-log-inconsistent',
    subject: origin,
    summary: `The transparency log ${origin} cannot prove it is append-only: ${why}.`,
    expected: 'every checkpoint consistent with the previous one, signed by the log key',
    observed: why,
    evidence,
  };
}

/** Entries a sweep is holding for the log (tests). */
export function pendingLogEntries(ctx: SweepContext): readonly LogEntry[] {
  return PENDING.get(ctx) ?? [];
}
