/**
 * The transparency log as the status page and `GET /api/status` show it: on or off (and
 * why, never the key), and the latest checkpoint's size and time. Public: the log is.
 */
import { resolveLogSettings } from '../core/log-settings';
import { parsePrivateKey } from '../core/tlog/note';
import { logSequencerStub } from '../durable/log-sequencer';
import type { MonitorEnv } from '../env';

export type LogStatus =
  | {
      readonly enabled: true;
      readonly origin: string;
      /** Entries in the latest checkpoint; absent before the first one. */
      readonly size?: number;
      readonly checkpointAt?: string;
    }
  | { readonly enabled: false; readonly reason: string };

export async function logStatus(env: MonitorEnv): Promise<LogStatus> {
  const settings = resolveLogSettings(env);
  if (!settings.enabled) return { enabled: false, reason: settings.detail };
  if (!(await parsePrivateKey(settings.privateKey)).ok) {
    return { enabled: false, reason: 'LOG_SIGNING_KEY does not parse' };
  }
  try {
    const latest = await logSequencerStub(env).latest();
    return {
      enabled: true,
      origin: settings.origin,
      ...(latest && { size: latest.size, checkpointAt: latest.publishedAt }),
    };
  } catch {
    return { enabled: true, origin: settings.origin };
  }
}

/** One line for the status page. */
export function describeLogStatus(status: LogStatus | undefined): string {
  if (!status) return 'Transparency log: unknown.';
  if (!status.enabled) return `Transparency log: off (${status.reason}).`;
  if (status.size === undefined) return `Transparency log ${status.origin}: no checkpoint yet.`;
  return `Transparency log ${status.origin}: ${status.size} entries.`;
}
