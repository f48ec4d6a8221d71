/**
 * Escalation: when an unacknowledged incident is re-notified, and to whom.
 *
 * Contract: the first re-notification is due one response time (RESPONSE_MINUTES of the
 * current severity) after the incident (re)opened; later ones follow at the configured
 * interval (default: the response time again), each measured from the previous one. Level
 * n goes to the n-th configured target, the last target repeating; a target may name
 * several channels joined by `+` (`slack+webhook`); no targets = every channel. Times are epoch milliseconds, passed in.
 */
import { RESPONSE_MINUTES, type Severity } from './findings';

export interface EscalationClock {
  /** When the incident (re)opened, or when the latest escalation was sent. */
  readonly since: number;
  readonly severity: Severity;
  /** Escalations already sent since the incident (re)opened. */
  readonly level: number;
  readonly repeatMinutes?: number;
}

export function escalationDueAt(clock: EscalationClock): number {
  const responseMinutes = RESPONSE_MINUTES[clock.severity];
  const minutes = clock.level === 0 ? responseMinutes : (clock.repeatMinutes ?? responseMinutes);
  return clock.since + minutes * 60_000;
}

/** The channel names escalation `level` (1-based) goes to; `undefined` = every channel. */
export function escalationTargetsFor(
  targets: readonly string[],
  level: number,
): readonly string[] | undefined {
  if (targets.length === 0) return undefined;
  const target = targets[Math.min(Math.max(level, 1), targets.length) - 1];
  return target === undefined ? undefined : target.split('+').map((name) => name.trim());
}
