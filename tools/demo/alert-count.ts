/**
 * Pages per attack (issue 14: "a run of the demo's attacks should page a human about once
 * per attack"). Every alert the inbox got is attributed to the scenario that caused it: the
 * one during which its incident opened or last reopened before the alert, whenever the
 * alert arrives (an escalation or an auto-resolve may come scenarios later); an alert about
 * no such incident (e.g. an alert cap's own message) goes to the scenario during which it
 * arrived.
 *
 * A page is an event that asks a person to act: an incident opened, reopened, escalated or
 * raised in severity. Each is delivered once per channel (webhook, Slack), so pages are
 * counted on the webhooks; acknowledgements, containment and resolutions are alerts, not pages.
 */
import type { IncidentSummary } from './monitor-client.ts';
import type { ReceivedAlert } from './receiver.ts';

export const PAGE_TYPES: ReadonlySet<string> = new Set([
  'incident.opened',
  'incident.reopened',
  'incident.escalated',
  'incident.severity-changed',
]);

export function isPage(alert: ReceivedAlert): boolean {
  return alert.channel === 'webhook' && alert.type !== undefined && PAGE_TYPES.has(alert.type);
}

/** One scenario's stretch of the run, for attributing alerts. */
export interface ScenarioWindow {
  readonly name: string;
  /** The number of alerts the inbox held when the scenario started. */
  readonly alertsBefore: number;
  /** Incidents the scenario opened or reopened. */
  readonly incidents: ReadonlySet<string>;
}

export interface AlertCount {
  readonly webhooks: number;
  /** Webhooks whose signature verified. */
  readonly verified: number;
  readonly slack: number;
  readonly pages: number;
}

const NONE: AlertCount = { webhooks: 0, verified: 0, slack: 0, pages: 0 };

/**
 * Incidents a scenario caused: those that did not exist before it, and those it reopened
 * (resolved before, not now, or named by an `incident.reopened` alert during it).
 */
export function causedIncidents(
  before: readonly IncidentSummary[],
  after: readonly IncidentSummary[],
  alertsDuring: readonly ReceivedAlert[],
): Set<string> {
  const earlier = new Map(before.map((incident) => [incident.id, incident]));
  const caused = new Set<string>();
  for (const incident of after) {
    const was = earlier.get(incident.id);
    if (was === undefined || (was.state === 'resolved' && incident.state !== 'resolved'))
      caused.add(incident.id);
  }
  for (const alert of alertsDuring)
    if (alert.type === 'incident.reopened' && alert.incidentId !== undefined)
      caused.add(alert.incidentId);
  return caused;
}

/** Counts per scenario (by name), every alert attributed exactly once. */
export function countAlerts(
  alerts: readonly ReceivedAlert[],
  windows: readonly ScenarioWindow[],
): Map<string, AlertCount> {
  const counts = new Map<string, AlertCount>(windows.map((window) => [window.name, NONE]));
  // An incident reopened by a later scenario has several: each alert goes to the last one
  // that had started when it arrived.
  const causers = new Map<string, ScenarioWindow[]>();
  for (const window of windows)
    for (const id of window.incidents) causers.set(id, [...(causers.get(id) ?? []), window]);
  const latestStarted = (list: readonly ScenarioWindow[], index: number) =>
    [...list].reverse().find((window) => window.alertsBefore <= index) ?? list[0];
  for (const [index, alert] of alerts.entries()) {
    const byIncident = alert.incidentId === undefined ? undefined : causers.get(alert.incidentId);
    const name = latestStarted(byIncident ?? windows, index)?.name;
    if (name === undefined) continue;
    const count = counts.get(name) ?? NONE;
    counts.set(name, {
      webhooks: count.webhooks + (alert.channel === 'webhook' ? 1 : 0),
      verified: count.verified + (alert.channel === 'webhook' && alert.verified ? 1 : 0),
      slack: count.slack + (alert.channel === 'slack' ? 1 : 0),
      pages: count.pages + (isPage(alert) ? 1 : 0),
    });
  }
  return counts;
}

export function addCounts(counts: Iterable<AlertCount>): AlertCount {
  let total = NONE;
  for (const count of counts)
    total = {
      webhooks: total.webhooks + count.webhooks,
      verified: total.verified + count.verified,
      slack: total.slack + count.slack,
      pages: total.pages + count.pages,
    };
  return total;
}
