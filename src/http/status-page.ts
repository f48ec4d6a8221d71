/**
 * The public status page, server-rendered from a public `StatusReport`: the overall state,
 * open incidents, one row per area with a 90-day bar and uptime, and verification
 * coverage. It works without JavaScript (there is none), loads nothing from anywhere
 * (one inline stylesheet allowed by hash), uses landmarks and headings, and states every
 * colour-coded fact in text as well.
 */
import { describeLogStatus } from './log-status';
import type { Severity } from '../core/findings';
import type { PublicIncident } from './incident-views';
import { markup, raw, type SafeHtml } from './html';
import { REGION_LABELS, REGION_RESULT_LABELS, type RegionView } from './region-views';
import type { CoverageView, PublicSweep, StatusReport } from './status-report';
import { STATUS_PAGE_CSS } from './status-page-style';
import {
  SITE_STATE_LABELS,
  stateOfSeverity,
  type AreaHistory,
  type SiteState,
} from './status-model';
import { formatAgo, formatBytes, formatDuration, formatUtc } from './time-format';

const STATE_ICONS: Record<SiteState, string> = {
  operational: '✓',
  minor: '!',
  major: '▲',
  critical: '✖',
};

const AREA_STATE_TEXT: Record<SiteState, string> = {
  operational: 'Operational',
  minor: 'Minor issue',
  major: 'Major issue',
  critical: 'Critical issue',
};

const STATUS_TEXT: Record<PublicIncident['status'], string> = {
  investigating: 'Investigating',
  identified: 'Identified',
  monitoring: 'Monitoring',
  resolved: 'Resolved',
};

function time(iso: string, now: Date): SafeHtml {
  return markup`<time datetime="${iso}" title="${formatUtc(iso)}">${formatAgo(iso, now)}</time>`;
}

function overallSection(report: StatusReport, now: Date): SafeHtml {
  const sweep = report.lastSweep as PublicSweep | undefined;
  const monitor = report.monitor;
  const sweepLine =
    sweep === undefined
      ? markup`<p>The monitor is starting: no sweep has finished yet.</p>`
      : markup`<p>
          Last sweep ${time(sweep.finishedAt, now)}: ${sweep.releases} releases,
          ${sweep.artifactsChecked} files checked, ${formatBytes(sweep.bytes)} read in
          ${formatDuration(sweep.durationMs)}.
        </p>`;
  return markup`<section class="overall s-${report.status}" aria-labelledby="overall-heading">
      <h2 id="overall-heading">
        <span aria-hidden="true">${STATE_ICONS[report.status]}</span> ${report.statusLabel}
      </h2>
      ${sweepLine} ${monitor.sweepRunning ? markup`<p>A sweep is running now.</p>` : ''}
    </section>
    ${
      monitor.status === 'degraded'
        ? markup`<p class="notice" role="status">
            <strong>The monitor is behind:</strong> ${monitor.reason}. What this page shows may be
            out of date.
          </p>`
        : ''
    }`;
}

/**
 * A redacted incident takes its area's colour (which the area row shows anyway), so the
 * card says no more about its severity than the page already does.
 */
function incidentClass(incident: PublicIncident, areas: StatusReport['areas']): SiteState {
  if (!incident.redacted) return stateOfSeverity(incident.severity);
  return areas.find((area) => area.area === incident.area)?.state ?? 'major';
}

function incidentItem(incident: PublicIncident, now: Date, areas: StatusReport['areas']): SafeHtml {
  const state = incidentClass(incident, areas);
  const since = markup`${STATUS_TEXT[incident.status]} · opened ${time(incident.openedAt, now)}`;
  if (incident.redacted) {
    return markup`<li class="incident s-${state}">
      <article aria-label="${incident.title}">
        <h3>${incident.title}</h3>
        <p class="muted">${since}</p>
        <p>${incident.summary}</p>
      </article>
    </li>`;
  }
  return markup`<li class="incident s-${state}">
    <article aria-label="${incident.title}">
      <h3>${incident.title}</h3>
      <p class="muted">${incident.severity} · ${since}</p>
      <p>${incident.summary}</p>
      <p class="subject"><code>${incident.subject}</code></p>
      <p><a href="/api/incidents/${incident.id}">Details (JSON)</a></p>
    </article>
  </li>`;
}

function incidentsSection(report: StatusReport, now: Date): SafeHtml {
  const open = report.incidents as readonly PublicIncident[];
  return markup`<section aria-labelledby="incidents-heading">
    <h2 id="incidents-heading">Open incidents</h2>
    ${
      open.length === 0
        ? markup`<p>No open incidents.</p>`
        : markup`<ul class="incidents">
            ${open.map((incident) => incidentItem(incident, now, report.areas))}
          </ul>`
    }
  </section>`;
}

const DAY_TEXT: Record<SiteState, string> = {
  operational: 'no incidents',
  minor: 'minor issue',
  major: 'major issue',
  critical: 'critical issue',
};

function dayClass(worst: Severity | undefined, monitored: boolean): string {
  if (worst !== undefined) return `d-${worst}`;
  return monitored ? 'd-ok' : 'd-none';
}

function areaItem(area: AreaHistory): SafeHtml {
  const withIncidents = area.days.filter((day) => day.worst !== undefined).length;
  const unmonitored = area.days.filter((day) => !day.monitored).length;
  const first = area.days[0]?.day ?? '';
  const uptime =
    area.uptimePercent === undefined ? 'No data yet' : `${area.uptimePercent.toFixed(2)} % uptime`;
  return markup`<li class="area s-${area.state}">
    <section aria-labelledby="area-${area.area}">
      <div class="area-head">
        <h3 id="area-${area.area}">${area.label}</h3>
        <p class="state">
          <span aria-hidden="true">${STATE_ICONS[area.state]}</span> ${AREA_STATE_TEXT[area.state]}
        </p>
      </div>
      <ol class="bar" aria-hidden="true">
        ${area.days.map(
          (day) =>
            markup`<li
              class="${dayClass(day.worst, day.monitored)}"
              title="${day.day}: ${
                day.worst !== undefined
                  ? `${DAY_TEXT[stateOfSeverity(day.worst)]} (${day.worst})`
                  : day.monitored
                    ? DAY_TEXT.operational
                    : 'no data'
              }"
            ></li>`,
        )}
      </ol>
      <p class="bar-scale"><span>${first}</span><span>Today</span></p>
      <p>
        Last 90 days: ${uptime} · ${withIncidents === 1 ? '1 day' : `${withIncidents} days`} with
        incidents${unmonitored > 0 ? markup` · ${unmonitored} days without data` : ''}.
      </p>
    </section>
  </li>`;
}

function legend(): SafeHtml {
  const entries: [string, string][] = [
    ['d-ok', 'No incidents'],
    ['d-minor', SITE_STATE_LABELS.minor],
    ['d-major', SITE_STATE_LABELS.major],
    ['d-critical', SITE_STATE_LABELS.critical],
    ['d-none', 'No data'],
  ];
  return markup`<ul class="legend" aria-label="Colours of the daily bars">
    ${entries.map(
      ([cls, label]) =>
        markup`<li><span class="swatch ${cls}" aria-hidden="true"></span>${label}</li>`,
    )}
  </ul>`;
}

function areasSection(histories: readonly AreaHistory[]): SafeHtml {
  return markup`<section aria-labelledby="areas-heading">
    <h2 id="areas-heading">Areas</h2>
    <p class="muted">
      Each bar is one day (UTC), coloured by the worst incident open that day. Uptime is the share
      of monitored time without a major or critical incident.
    </p>
    ${legend()}
    <ul class="areas">
      ${histories.map(areaItem)}
    </ul>
  </section>`;
}

function coverageRow(coverage: CoverageView, now: Date): SafeHtml {
  const releases = coverage.releases === 1 ? '1 release' : `${coverage.releases} releases`;
  if (coverage.verified === undefined) {
    return markup`<tr>
      <th scope="row">${coverage.line}</th>
      <td>${coverage.files} files in ${releases}; results withheld</td>
      <td>—</td>
    </tr>`;
  }
  return markup`<tr>
    <th scope="row">${coverage.line}</th>
    <td>
      ${coverage.verified}/${coverage.files} files verified
      ${coverage.complete === true ? '' : markup`<br /><span class="muted">${coverage.summary}</span>`}
    </td>
    <td>${coverage.oldestVerifiedAt === undefined ? '—' : time(coverage.oldestVerifiedAt, now)}</td>
  </tr>`;
}

function coverageSection(report: StatusReport, now: Date): SafeHtml {
  const coverage = report.coverage as readonly CoverageView[];
  return markup`<section aria-labelledby="coverage-heading">
    <h2 id="coverage-heading">Verified downloads</h2>
    ${
      coverage.length === 0
        ? markup`<p>No release has been verified yet.</p>`
        : markup`<div class="table-wrap">
            <table>
              <caption>
                Per release line: files whose bytes matched the SHA-256 in their release's signed
                SHASUMS256.txt within the rotation period.
                ${
                  report.coverageWithheld
                    ? 'Results are withheld while an issue is investigated.'
                    : ''
                }
              </caption>
              <thead>
                <tr>
                  <th scope="col">Line</th>
                  <th scope="col">Files</th>
                  <th scope="col">Oldest verification</th>
                </tr>
              </thead>
              <tbody>
                ${coverage.map((line) => coverageRow(line, now))}
              </tbody>
            </table>
          </div>`
    }
  </section>`;
}

function regionsSection(report: StatusReport, now: Date): SafeHtml {
  const regions = report.regions as readonly RegionView[];
  if (regions.length === 0) return markup``;
  return markup`<section aria-labelledby="regions-heading">
    <h2 id="regions-heading">Regions</h2>
    <div class="table-wrap">
      <table>
        <caption>
          What users in each region are served, checked from a probe placed there.
        </caption>
        <thead>
          <tr>
            <th scope="col">Region</th>
            <th scope="col">Data centre</th>
            <th scope="col">Last probe</th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          ${regions.map(
            (region) => markup`<tr>
              <th scope="row">${REGION_LABELS[region.region] ?? region.region}</th>
              <td>
                ${region.colo}${region.matchesHint === false ? ' (outside the region)' : ''}
              </td>
              <td>${time(region.probedAt, now)}</td>
              <td>${region.result === undefined ? 'withheld' : REGION_RESULT_LABELS[region.result]}</td>
            </tr>`,
          )}
        </tbody>
      </table>
    </div>
  </section>`;
}

function resolvedSection(report: StatusReport, now: Date): SafeHtml {
  if (report.recentlyResolved.length === 0) return markup``;
  return markup`<section aria-labelledby="resolved-heading">
    <h2 id="resolved-heading">Resolved in the last 90 days</h2>
    <ul class="resolved">
      ${report.recentlyResolved.map(
        (incident) =>
          markup`<li>
            <p>
              <strong>${incident.title}</strong> — resolved
              ${incident.resolvedAt === undefined ? '' : time(incident.resolvedAt, now)}.
              ${incident.summary}
            </p>
          </li>`,
      )}
    </ul>
  </section>`;
}

/** The page: a public report, and the areas' full 90-day histories for the bars. */
export function renderStatusPage(
  report: StatusReport,
  histories: readonly AreaHistory[],
  now: Date,
): string {
  return `<!doctype html>${
    markup`<html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="referrer" content="no-referrer" />
        <title>${report.statusLabel} · dist.nodejs.org integrity status</title>
        <link
          rel="alternate"
          type="application/atom+xml"
          title="Incidents"
          href="/incidents.atom"
        />
        <style>${raw(STATUS_PAGE_CSS)}</style>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header>
          <h1>dist.nodejs.org integrity status</h1>
          <p class="muted">
            Every few minutes this monitor checks that the files at ${report.baseUrl} are exactly
            what the Node.js release team signed, served with the right headers, by a site that is
            up.
          </p>
        </header>
        <main id="main">
          ${overallSection(report, now)} ${incidentsSection(report, now)} ${areasSection(histories)}
          ${coverageSection(report, now)} ${regionsSection(report, now)}
          ${resolvedSection(report, now)}
        </main>
        <footer>
          <ul>
            <li><a href="/api/status">Status as JSON</a></li>
            <li><a href="/incidents.atom">Incident feed (Atom)</a></li>
            <li><a href="/badge.svg">Badge</a></li>
          </ul>
          <p class="muted">${describeLogStatus(report.transparencyLog)}</p>
          <p class="muted">Generated ${formatUtc(report.generatedAt)}.</p>
        </footer>
      </body>
    </html>`.value
  }`;
}
