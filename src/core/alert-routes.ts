/**
 * Alert routing: which severities each channel family receives.
 *
 * Contract: read from the optional `ALERT_ROUTES` setting, e.g.
 * `slack=P0-P3;webhooks=P0-P3;sentry=P0-P2`. Each entry is `<family>=<severities>`, where
 * severities are a range (`P0-P2`), a list (`P0,P2`), one severity, or `none`. A family
 * left out keeps its default (every severity to Slack and webhooks, P0–P2 to Sentry). A
 * malformed setting is reported with every problem named, and the caller falls back to
 * the defaults: a typo must never silence alerts.
 */
import { SEVERITIES, severityRank, type Severity } from './findings';
import { err, ok, type Result } from './result';

/** The channel families a route names; `webhooks` covers every webhook URL. */
export type ChannelFamily = 'slack' | 'sentry' | 'webhooks';

export const CHANNEL_FAMILIES: readonly ChannelFamily[] = ['slack', 'sentry', 'webhooks'];

/** The severities each family receives. */
export type AlertRoutes = Readonly<Record<ChannelFamily, readonly Severity[]>>;

export const DEFAULT_ALERT_ROUTES: AlertRoutes = {
  slack: SEVERITIES,
  webhooks: SEVERITIES,
  sentry: ['P0', 'P1', 'P2'],
};

export interface AlertRoutesError {
  readonly kind: 'invalid-alert-routes';
  readonly problems: readonly string[];
}

export function parseAlertRoutes(raw: string | undefined): Result<AlertRoutes, AlertRoutesError> {
  const routes: Record<ChannelFamily, readonly Severity[]> = { ...DEFAULT_ALERT_ROUTES };
  const problems: string[] = [];
  const seen = new Set<string>();
  const entries = (raw ?? '')
    .split(';')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) {
    const [name = '', value, ...rest] = entry.split('=').map((part) => part.trim());
    const family = CHANNEL_FAMILIES.find((candidate) => candidate === name);
    if (family === undefined) {
      problems.push(`unknown channel "${name}" (use ${CHANNEL_FAMILIES.join(', ')})`);
      continue;
    }
    if (seen.has(family)) problems.push(`${family} is routed twice`);
    seen.add(family);
    const severities = value === undefined || rest.length > 0 ? undefined : parseSeverities(value);
    if (severities === undefined) {
      problems.push(`${family}: "${value ?? ''}" is not P0-P3, a list like P0,P2, or none`);
      continue;
    }
    routes[family] = severities;
  }
  return problems.length > 0 ? err({ kind: 'invalid-alert-routes', problems }) : ok(routes);
}

/** `P0-P2`, `P0,P2`, `P1` or `none` → severities, most severe first; `undefined` if malformed. */
function parseSeverities(value: string): Severity[] | undefined {
  if (value.toLowerCase() === 'none') return [];
  const chosen = new Set<Severity>();
  for (const part of value.split(',').map((piece) => piece.trim())) {
    const range = /^(P[0-3])(?:-(P[0-3]))?$/.exec(part.toUpperCase());
    if (range === null) return undefined;
    const from = severityRank(range[1] as Severity);
    const to = severityRank((range[2] ?? range[1]) as Severity);
    if (to < from) return undefined;
    for (const severity of SEVERITIES.slice(from, to + 1)) chosen.add(severity);
  }
  return SEVERITIES.filter((severity) => chosen.has(severity));
}

/** Whether `family` receives alerts of `severity`. */
export function routeAccepts(
  routes: AlertRoutes,
  family: ChannelFamily,
  severity: Severity,
): boolean {
  return routes[family].includes(severity);
}
