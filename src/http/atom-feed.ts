/**
 * `GET /incidents.atom`: incidents as an Atom feed (RFC 4287), under the same disclosure
 * rule as the status page: a private, undisclosed incident is "Investigating an issue"
 * with no link to its record, and its entry id is built from its area and opening time,
 * not from its incident id (which would confirm a guessed URL).
 */
import { markup, type SafeHtml } from './html';
import type { PublicIncident } from './incident-views';
import { AREA_LABELS } from './status-model';

const STATUS_WORDS: Record<PublicIncident['status'], string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

/** The newest lifecycle time of an incident: what a feed reader sees as its update. */
export function lastChangeOf(incident: PublicIncident): string {
  const times = [incident.openedAt];
  if (incident.resolvedAt !== undefined) times.push(incident.resolvedAt);
  if (!incident.redacted) {
    if (incident.acknowledgedAt !== undefined) times.push(incident.acknowledgedAt);
    if (incident.containedAt !== undefined) times.push(incident.containedAt);
  }
  return times.sort().at(-1) ?? incident.openedAt;
}

function entry(incident: PublicIncident, origin: string): SafeHtml {
  const updated = lastChangeOf(incident);
  const id = incident.redacted
    ? `${origin}/#incident-${incident.area}-${Date.parse(incident.openedAt)}`
    : `${origin}/api/incidents/${incident.id}`;
  const link = incident.redacted ? `${origin}/` : `${origin}/api/incidents/${incident.id}`;
  const severity = incident.redacted ? '' : ` (${incident.severity})`;
  const subject = incident.redacted ? '' : ` (${incident.subject})`;
  return markup`  <entry>
    <id>${id}</id>
    <title>[${STATUS_WORDS[incident.status]}] ${incident.title}${severity}</title>
    <updated>${updated}</updated>
    <published>${incident.openedAt}</published>
    <link rel="alternate" href="${link}"/>
    <category term="${incident.area}" label="${AREA_LABELS[incident.area]}"/>
    <summary type="text">${incident.summary}${subject}</summary>
  </entry>
`;
}

export function renderAtomFeed(
  incidents: readonly PublicIncident[],
  options: { readonly origin: string; readonly now: Date },
): string {
  const updated = incidents.map(lastChangeOf).sort().at(-1) ?? options.now.toISOString();
  const { origin } = options;
  const feed = markup`<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${origin}/incidents.atom</id>
  <title>dist.nodejs.org integrity incidents</title>
  <updated>${updated}</updated>
  <link rel="self" type="application/atom+xml" href="${origin}/incidents.atom"/>
  <link rel="alternate" type="text/html" href="${origin}/"/>
  <author><name>dist.nodejs.org integrity monitor</name></author>
${incidents.map((incident) => entry(incident, origin))}</feed>
`;
  return `<?xml version="1.0" encoding="utf-8"?>\n${feed.value}`;
}
