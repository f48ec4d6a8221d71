/**
 * The end of a sweep's manifest checks: what every signed file answered this sweep is
 * recorded in MonitorState, and each file not served becomes a finding whose severity
 * climbs with how long it has not been (core/manifest-silence.ts). Failures of the site as
 * a whole (`siteAnswering` false) neither start nor extend a silence: that is
 * `origin-unavailable`'s business.
 */
import {
  observationsToRecord,
  silenceFinding,
  type ManifestObservation,
} from '../core/manifest-silence';
import type { SilenceRecord } from '../durable/release-registry';
import { addFinding, type SweepContext } from './sweep-context';

/** The part of MonitorState this step needs. */
export interface SilenceStore {
  recordManifestAnswers(
    observations: readonly ManifestObservation[],
    at: string,
  ): Promise<SilenceRecord[]> | SilenceRecord[];
}

export async function reportManifestSilences(
  ctx: SweepContext,
  store: SilenceStore,
  siteAnswering: boolean,
): Promise<void> {
  const observations = observationsToRecord(ctx.manifestObservations, siteAnswering);
  if (observations.length === 0) return;
  const at = ctx.now.toISOString();
  const silences = await store.recordManifestAnswers(observations, at);
  const since = new Map(silences.map((silence) => [silence.url, silence.since]));
  for (const observation of observations) {
    const began = since.get(observation.url) ?? at;
    const finding = silenceFinding(observation, new Date(began), ctx.now);
    if (finding) addFinding(ctx, finding);
  }
}
