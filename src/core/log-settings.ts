/**
 * Whether the transparency log is on, and under which origin. The log is on exactly when
 * the secret `LOG_SIGNING_KEY` is set; `LOG_ORIGIN` names the log in its checkpoints and
 * defaults to the dist root without its scheme plus `/integrity-log` (for the real site
 * `nodejs.org/dist/integrity-log`): it identifies the log, it need not be reachable.
 *
 * Contract: pure; the key is only checked for presence here (its parsing is async, in the
 * sequencer and the routes), and it never appears in a returned reason.
 */
import { isValidKeyName } from './tlog/note.ts';

export type LogSettings =
  | { readonly enabled: true; readonly origin: string; readonly privateKey: string }
  | { readonly enabled: false; readonly reason: 'no-key' | 'bad-origin'; readonly detail: string };

export interface LogVars {
  readonly LOG_SIGNING_KEY?: string | undefined;
  readonly LOG_ORIGIN?: string | undefined;
  readonly DIST_BASE_URL?: string | undefined;
}

export function defaultLogOrigin(distBaseUrl: string): string {
  const url = new URL(distBaseUrl);
  return `${url.host}${url.pathname}`.replace(/\/+$/, '') + '/integrity-log';
}

export function resolveLogSettings(vars: LogVars): LogSettings {
  const privateKey = vars.LOG_SIGNING_KEY?.trim() ?? '';
  if (privateKey === '') {
    return { enabled: false, reason: 'no-key', detail: 'LOG_SIGNING_KEY is not set' };
  }
  let origin = vars.LOG_ORIGIN?.trim() ?? '';
  if (origin === '') {
    try {
      origin = defaultLogOrigin(vars.DIST_BASE_URL ?? 'https://nodejs.org/dist');
    } catch {
      return { enabled: false, reason: 'bad-origin', detail: 'DIST_BASE_URL is not a URL' };
    }
  }
  // The origin is the first line of every checkpoint: one line, and (as C2SP recommends)
  // no spaces or plus signs, so that it can also be the key's name.
  if (!isValidKeyName(origin)) {
    return {
      enabled: false,
      reason: 'bad-origin',
      detail: 'LOG_ORIGIN must be one line without spaces or "+"',
    };
  }
  return { enabled: true, origin, privateKey };
}
