/**
 * `GET /badge.svg`: the overall state as a small flat badge for READMEs. Presentation
 * attributes only (no <style>, no script), so it renders under `default-src 'none'`. Its
 * title (the tooltip) says when the status snapshot it shows was taken.
 */
import { markup } from './html';
import type { SnapshotStamp } from './snapshot-model';
import type { StatusReport } from './status-report';
import { formatUtc } from './time-format';

const COLOURS = {
  operational: '#1a7f37',
  minor: '#7d5700',
  major: '#b5470b',
  critical: '#c11c27',
  unknown: '#59636e',
} as const;

/** Verdana 11px averages about 6.5 px a character; badges do not need more precision. */
function textWidth(text: string): number {
  return Math.round(text.length * 6.5) + 12;
}

export function badgeMessageOf(report: Pick<StatusReport, 'status' | 'monitor'>): {
  message: string;
  colour: string;
} {
  if (report.status === 'operational' && report.monitor.status === 'degraded') {
    return { message: 'monitor behind', colour: COLOURS.unknown };
  }
  if (report.status === 'operational' && report.monitor.sweeps === 0) {
    return { message: 'starting', colour: COLOURS.unknown };
  }
  const messages = {
    operational: 'operational',
    minor: 'minor issue',
    major: 'major issue',
    critical: 'critical issue',
  } as const;
  return { message: messages[report.status], colour: COLOURS[report.status] };
}

export function renderBadge(
  report: Pick<StatusReport, 'status' | 'monitor'> & { readonly snapshot?: SnapshotStamp | null },
): string {
  const label = 'dist integrity';
  const { message, colour } = badgeMessageOf(report);
  const asOf = report.snapshot ? ` (status of ${formatUtc(report.snapshot.takenAt)})` : '';
  const left = textWidth(label);
  const right = textWidth(message);
  const width = left + right;
  // One line per element, attributes unformatted: the badge is served exactly as written.
  return markup`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="20" role="img" aria-label="${label}: ${message}">
<title>${label}: ${message}${asOf}</title>
<rect width="${left}" height="20" fill="#555"/>
<rect x="${left}" width="${right}" height="20" fill="${colour}"/>
<g fill="#fff" font-family="Verdana,DejaVu Sans,sans-serif" font-size="11" text-anchor="middle">
<text x="${left / 2}" y="14">${label}</text>
<text x="${left + right / 2}" y="14">${message}</text>
</g>
</svg>
`.value;
}
