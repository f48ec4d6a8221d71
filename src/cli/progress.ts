/**
 * The `--download` progress line: bytes, rate and ETA, redrawn in place on a terminal.
 *
 * Contract: `formatProgress` is pure (the clock's readings come in as numbers). The
 * renderer draws only on a TTY, at most ten times a second, on one line that it clears when
 * the file is done; elsewhere (CI logs, pipes, `--json` captured) it draws nothing.
 */

export interface ProgressState {
  /** What is being fetched (already safe to print). */
  readonly label: string;
  /** 1-based position among `count` files. */
  readonly index: number;
  readonly count: number;
  readonly doneBytes: number;
  /** Undefined when the size is not known in advance. */
  readonly totalBytes?: number;
  readonly elapsedMs: number;
}

const BAR_WIDTH = 20;

export function formatProgress(state: ProgressState, columns: number): string {
  const rate = state.elapsedMs > 0 ? (state.doneBytes * 1000) / state.elapsedMs : 0;
  const total = state.totalBytes;
  const known = total !== undefined && total > 0;
  const fraction = known ? Math.min(1, state.doneBytes / total) : 0;
  const amounts = [
    ...(known ? [`${String(Math.floor(fraction * 100)).padStart(3)}%`] : []),
    known
      ? `${formatBytes(state.doneBytes)} of ${formatBytes(total)}`
      : formatBytes(state.doneBytes),
    `${formatBytes(rate)}/s`,
    ...(known && rate > 0 && state.doneBytes < total
      ? [`ETA ${formatDuration(((total - state.doneBytes) / rate) * 1000)}`]
      : []),
  ].join('  ');
  const counter = `[${state.index}/${state.count}]`;
  const filled = Math.floor(fraction * BAR_WIDTH);
  const bar = `[${'='.repeat(filled)}${filled < BAR_WIDTH ? '>' : ''}${' '.repeat(Math.max(0, BAR_WIDTH - filled - 1))}]`;
  // The name matters more than the bar: the bar goes first when the line is too narrow.
  const wanted = Math.min(state.label.length, 30);
  const withBar = known && columns - counter.length - amounts.length - bar.length - 6 >= wanted;
  const tail = withBar ? `${bar}  ${amounts}` : amounts;
  const room = columns - counter.length - tail.length - 4;
  const label =
    room >= state.label.length
      ? state.label
      : room > 1
        ? `…${state.label.slice(state.label.length - room + 1)}`
        : '';
  return `${counter} ${label}  ${tail}`.slice(0, Math.max(0, columns - 1));
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${Math.round(value)} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** Where the line is drawn: stderr, in practice. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  readonly columns?: number;
  write(text: string): unknown;
}

export interface ProgressReporter {
  start(label: string, index: number, count: number, totalBytes?: number): void;
  update(doneBytes: number): void;
  /** Clears the line. */
  finish(): void;
}

const REDRAW_INTERVAL_MS = 100;
const CLEAR_LINE = '\r\u001b[2K';

export function createProgress(
  stream: ProgressStream,
  enabled: boolean,
  clock: () => number,
): ProgressReporter {
  if (!enabled || stream.isTTY !== true) {
    return { start: () => {}, update: () => {}, finish: () => {} };
  }
  let current: Omit<ProgressState, 'doneBytes' | 'elapsedMs'> | undefined;
  let startedAt = 0;
  let drawnAt = Number.NEGATIVE_INFINITY;
  return {
    start(label, index, count, totalBytes) {
      current = { label, index, count, ...(totalBytes !== undefined && { totalBytes }) };
      startedAt = clock();
      drawnAt = Number.NEGATIVE_INFINITY;
    },
    update(doneBytes) {
      if (current === undefined) return;
      const now = clock();
      if (now - drawnAt < REDRAW_INTERVAL_MS) return;
      drawnAt = now;
      const line = formatProgress(
        { ...current, doneBytes, elapsedMs: now - startedAt },
        // A pseudo-terminal may report 0 columns.
        stream.columns !== undefined && stream.columns >= 40 ? stream.columns : 80,
      );
      stream.write(`${CLEAR_LINE}${line}`);
    },
    finish() {
      if (current !== undefined) stream.write(CLEAR_LINE);
      current = undefined;
    },
  };
}
