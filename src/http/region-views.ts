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
