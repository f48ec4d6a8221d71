/**
 * The regional probes as the status page and `GET /api/status` show them: per region, the
 * data centre the probe really ran in, when it last probed and what it found. Contract:
 * pure. The public sees each region's result unless a private incident is undisclosed
 * (then only where and when each region probed: "cache-poisoned in weur" would name the
 * investigation), and never the URLs a region was served wrongly; operators get the full
 * stored status.
 */
import type { RegionResult } from '../core/regional';
import type { RegionStatus } from '../durable/region-status-store';

/** One region as the public sees it. */
export interface RegionView {
  /** The location hint, e.g. `weur`. */
  readonly region: string;
  /** IATA code of the data centre seen (`cf-ray`), or `unknown`. */
  readonly colo: string;
  /** False when the probe ran outside its hinted area; `unknown` for an unknown colo. */
  readonly matchesHint: boolean | 'unknown';
  readonly probedAt: string;
  /** Absent while results are withheld. */
  readonly result?: RegionResult;
  readonly detail?: string;
}

export function regionViewOf(status: RegionStatus, withheld: boolean): RegionView {
  const base = {
    region: status.region,
    colo: status.colo,
    matchesHint: status.matchesHint,
    probedAt: status.probedAt,
  };
  return withheld ? base : { ...base, result: status.result, detail: status.detail };
}

/** How the status page names each location hint. */
export const REGION_LABELS: Readonly<Record<string, string>> = {
  wnam: 'Western North America',
  enam: 'Eastern North America',
  sam: 'South America',
  weur: 'Western Europe',
  eeur: 'Eastern Europe',
  apac: 'Asia-Pacific',
  'apac-ne': 'North-East Asia',
  'apac-se': 'South-East Asia',
  oc: 'Oceania',
  afr: 'Africa',
  me: 'Middle East',
};

/** How the status page says each result. */
export const REGION_RESULT_LABELS: Readonly<Record<RegionResult, string>> = {
  ok: 'Served as signed',
  'cache-poisoned': 'Served other bytes than signed',
  partial: 'Partly not answering',
  down: 'Not answering',
  'probe-failed': 'Probe could not run',
};
