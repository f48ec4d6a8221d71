/**
 * Terminal output for the demo: colour only on a terminal (and never with NO_COLOR), a
 * progress line that redraws itself while something runs, and plain tables.
 */

const useColour = process.stdout.isTTY === true && process.env['NO_COLOR'] === undefined;
const interactive = process.stderr.isTTY === true;

const paint = (code: string) => (text: string) =>
  useColour ? `\u001b[${code}m${text}\u001b[0m` : text;

export const style = {
  bold: paint('1'),
  dim: paint('2'),
  red: paint('31'),
  green: paint('32'),
  yellow: paint('33'),
  cyan: paint('36'),
};

export const OK = style.green('✔');
export const FAIL = style.red('✘');

export function severityLabel(severity: string): string {
  if (severity === 'P0') return style.red(style.bold(severity));
  if (severity === 'P1') return style.yellow(style.bold(severity));
  return style.cyan(severity);
}

export function say(line = ''): void {
  process.stdout.write(`${line}\n`);
}

const FRAMES = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

export interface Progress {
  /** Changes what the line says is happening. */
  set(label: string): void;
  /** Removes the line. */
  done(): void;
}

/**
 * A progress line on stderr, redrawn every 100 ms with the elapsed time. Without a
 * terminal it prints each new label once, so logs still show what ran.
 */
export function startProgress(label: string): Progress {
  const started = Date.now();
  let current = label;
  let frame = 0;
  const draw = () => {
    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    process.stderr.write(
      `\r\u001b[2K  ${style.cyan(FRAMES[frame % FRAMES.length] ?? '')} ${current} ${style.dim(`${seconds} s`)}`,
    );
    frame += 1;
  };
  if (!interactive) process.stderr.write(`  … ${current}\n`);
  const timer = interactive ? setInterval(draw, 100) : undefined;
  if (interactive) draw();
  return {
    set(next) {
      if (next === current) return;
      current = next;
      if (!interactive) process.stderr.write(`  … ${current}\n`);
    },
    done() {
      if (timer) clearInterval(timer);
      if (interactive) process.stderr.write('\r\u001b[2K');
    },
  };
}

/** Runs `work` with a progress line that is removed when it settles. */
export async function withProgress<T>(
  label: string,
  work: (progress: Progress) => Promise<T>,
): Promise<T> {
  const progress = startProgress(label);
  try {
    return await work(progress);
  } finally {
    progress.done();
  }
}

/**
 * Wraps plain text to lines of at most `width` characters; lines after the first start
 * with `indent` spaces, so a paragraph after a label of `indent` columns stays aligned
 * under its first line (each line then ends by `indent + width`).
 */
export function wrap(text: string, width: number, indent: number): string {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/\s+/)) {
    if (line !== '' && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === '' ? word : `${line} ${word}`;
    }
  }
  if (line !== '') lines.push(line);
  return lines.join(`\n${' '.repeat(indent)}`);
}

// Escape sequences do not take up room on screen.
const ANSI = /\u001b\[[0-9;]*m/g;
const visibleLength = (text: string) => text.replace(ANSI, '').length;

/** Left-aligned columns, a header row and a rule under it. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string[] {
  const widths = header.map((title, column) =>
    Math.max(visibleLength(title), ...rows.map((row) => visibleLength(row[column] ?? ''))),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, column) =>
        column === cells.length - 1
          ? cell
          : cell + ' '.repeat((widths[column] ?? 0) - visibleLength(cell)),
      )
      .join('  ')
      .trimEnd();
  return [
    line(header.map((title) => style.bold(title))),
    style.dim(widths.map((width) => '─'.repeat(width)).join('  ')),
    ...rows.map(line),
  ];
}
