/**
 * `GET /incidents.atom`: incidents as an Atom feed (RFC 4287), under the same disclosure
 * rule as the status page: a private, undisclosed incident is "Investigating an issue"
 * with no link to its record.
 *
 * Contract: pure, and valid XML for any input. Ids are stable for life and opaque
 * (feed-ids.ts): an entry keeps its id when its incident is disclosed, and undisclosed ones
 * reveal nothing. Every text goes through the markup builder, which cleans it
 * (untrusted-text.ts: no character XML forbids survives) and escapes it. Links are
 * absolute under PUBLIC_URL; without it they are relative (`/`, `/api/incidents/<id>`),
 * which a feed reader resolves against the feed's own URL: the request's `Host` header
 * never reaches the feed.
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

/** One entry: the public view of an incident and its stable id (feed-ids.ts). */
export interface FeedEntry {
  readonly id: string;
  readonly incident: PublicIncident;
}

export interface AtomFeedOptions {
  /** The feed's own stable id. */
  readonly feedId: string;
  /** PUBLIC_URL without a trailing slash, or '' for relative links. */
  readonly baseUrl: string;
  readonly now: Date;
}

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

function entry({ id, incident }: FeedEntry, baseUrl: string): SafeHtml {
  const updated = lastChangeOf(incident);
  const link = incident.redacted ? `${baseUrl}/` : `${baseUrl}/api/incidents/${incident.id}`;
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

export function renderAtomFeed(entries: readonly FeedEntry[], options: AtomFeedOptions): string {
  const updated =
    entries
      .map((item) => lastChangeOf(item.incident))
      .sort()
      .at(-1) ?? options.now.toISOString();
  const { baseUrl } = options;
  const feed = markup`<feed xmlns="http://www.w3.org/2005/Atom">
  <id>${options.feedId}</id>
  <title>dist.nodejs.org integrity incidents</title>
  <updated>${updated}</updated>
  <link rel="self" type="application/atom+xml" href="${baseUrl}/incidents.atom"/>
  <link rel="alternate" type="text/html" href="${baseUrl}/"/>
  <author><name>dist.nodejs.org integrity monitor</name></author>
${entries.map((item) => entry(item, baseUrl))}</feed>
`;
  return `<?xml version="1.0" encoding="utf-8"?>\n${feed.value}`;
}
