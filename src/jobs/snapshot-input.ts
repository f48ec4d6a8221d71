/**
 * What the snapshot writer reads before it builds a public snapshot: the status sources
 * (MonitorState and the incident index, src/http/status-sources.ts), the metrics totals,
 * the alert outboxes of open incidents, and the full record of every listed incident the
 * public may see in full (for `GET /api/incidents/:id`), and the feed's keyed ids. Records are fetched from their
 * incident objects only when the listing shows a version the writer has not cached, so a
 * snapshot costs about a dozen Durable Object calls plus one per open incident, however
 * many resolved incidents the listing holds. This is the write path: page views never
 * come here.
 */
import { isIncidentId, type IncidentRecord, type IncidentSummary } from '../core/incident';
import { incidentStubFor } from '../durable/incident-stubs';
import { monitorStateStub } from '../durable/monitor-state';
import type { MonitorEnv } from '../env';
import { isRedacted } from '../http/incident-views';
import { loadFeedIds } from '../http/feed-ids';
import { FEED_ENTRIES, type FeedIdsInput, type SnapshotInput } from '../http/snapshot-model';
import { loadStatusSources } from '../http/status-sources';

/** Open incidents whose outboxes the public metrics count (as `/metrics` always did). */
export const DELIVERY_INCIDENTS = 50;
/** Incident objects one snapshot reads at most; the rest are read by the next one. */
export const RECORD_FETCHES_PER_SNAPSHOT = 100;

/** Records the writer keeps between snapshots, by incident id and listing version. */
export interface RecordCache {
  get(id: string, version: number): IncidentRecord | undefined;
  put(id: string, version: number, record: IncidentRecord): void;
  /** Forgets every incident not in `ids`. */
  retain(ids: ReadonlySet<string>): void;
}

export interface GatheredInput {
  readonly input: SnapshotInput;
  /** False when some records were left for the next snapshot (RECORD_FETCHES_PER_SNAPSHOT). */
  readonly complete: boolean;
}

export async function gatherSnapshotInput(
  env: MonitorEnv,
  now: Date,
  cache: RecordCache,
): Promise<GatheredInput> {
  const state = monitorStateStub(env);
  const [sources, totals, verifiedBytes, ids] = await Promise.all([
    loadStatusSources(env, now),
    state.sweepTotals(),
    state.verifiedBytes(),
    loadFeedIds(env),
  ]);
  const listed = sources.incidents.filter((incident) => isIncidentId(incident.id));
  const open = listed
    .filter((incident) => incident.state !== 'resolved')
    .slice(0, DELIVERY_INCIDENTS);
  const openIds = new Set(open.map((incident) => incident.id));
  const missing = listed.filter(
    (incident) =>
      !openIds.has(incident.id) &&
      !isRedacted(incident) &&
      cache.get(incident.id, incident.version) === undefined,
  );
  const toFetch: IncidentSummary[] = [...open, ...missing].slice(0, RECORD_FETCHES_PER_SNAPSHOT);
  const fetched = await Promise.all(
    toFetch.map(async (incident) => ({
      incident,
      detail: await incidentStubFor(env, incident.fingerprint).get(),
    })),
  );
  const deliveries = fetched.flatMap(({ incident, detail }) =>
    openIds.has(incident.id) && detail.ok ? [...detail.value.outbox] : [],
  );
  for (const { incident, detail } of fetched) {
    if (detail.ok && !isRedacted(detail.value.incident))
      cache.put(incident.id, incident.version, detail.value.incident);
  }
  const fresh = new Map(
    fetched.flatMap(({ detail }) =>
      detail.ok ? [[detail.value.incident.id, detail.value.incident]] : [],
    ),
  );
  const records = listed.flatMap((incident) => {
    const record = fresh.get(incident.id) ?? cache.get(incident.id, incident.version);
    return record === undefined ? [] : [record];
  });
  cache.retain(new Set(listed.map((incident) => incident.id)));
  const feedIds: FeedIdsInput = {
    feed: ids.feed,
    entries: Object.fromEntries(
      await Promise.all(
        sources.incidents
          .slice(0, FEED_ENTRIES)
          .map(async (incident) => [incident.id, await ids.entry(incident.id)] as const),
      ),
    ),
  };
  return {
    input: { sources, totals, verifiedBytes, deliveries, records, feedIds },
    complete: toFetch.length === open.length + missing.length,
  };
}
