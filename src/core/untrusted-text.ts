/**
 * The one sanitiser for text that comes from outside (the watched site above all: URLs,
 * file names, versions, parser messages that echo its bytes) before it reaches any output:
 * HTML, XML/Atom, Slack mrkdwn, Markdown post-mortems, JSON for webhooks and Sentry.
 *
 * Contract: pure and total (any string in, a string out, never a throw).
 * `cleanUntrustedText` replaces with U+FFFD every code point no output may carry: C0 and C1
 * controls (tab and line breaks excepted, or turned into one space per run for one-line
 * text),
 * U+FFFE/U+FFFF and the other noncharacters, lone surrogates, and the bidi embeddings,
 * overrides, isolates and marks that can make a file name read backwards. The result is
 * valid XML 1.0 character data, clean HTML5 input and well-formed UTF-16 (so valid UTF-8).
 * Length is counted in code points and a cut never splits a surrogate pair. Escaping for a
 * target comes after cleaning and cutting (`escapeMarkup`, `escapeMrkdwn`,
 * `escapeMarkdownInline`), so an entity is never cut in half.
 */

/** What a removed code point turns into: visible, so tampering shows instead of hiding. */
export const REPLACEMENT = '\uFFFD';
export const ELLIPSIS = '…';

export interface CleanOptions {
  /** Line breaks and tabs become spaces (one-line fields, headers, tags). */
  readonly singleLine?: boolean;
  /** At most this many code points, the last being `…` when cut. */
  readonly maxCodePoints?: number;
}

const LINE_BREAKS = new Set([0x0a, 0x0d, 0x85, 0x2028, 0x2029]);

/** Bidi controls: ALM, LRM, RLM, LRE…RLO (embeddings and overrides), LRI…PDI (isolates). */
function isBidiControl(cp: number): boolean {
  return (
    cp === 0x061c ||
    cp === 0x200e ||
    cp === 0x200f ||
    (cp >= 0x202a && cp <= 0x202e) ||
    (cp >= 0x2066 && cp <= 0x2069)
  );
}

/** U+FDD0–U+FDEF and the last two code points of every plane. */
function isNoncharacter(cp: number): boolean {
  return (cp >= 0xfdd0 && cp <= 0xfdef) || (cp & 0xfffe) === 0xfffe;
}

function isForbidden(cp: number): boolean {
  return (
    cp < 0x20 ||
    (cp >= 0x7f && cp <= 0x9f) ||
    (cp >= 0xd800 && cp <= 0xdfff) ||
    isNoncharacter(cp) ||
    isBidiControl(cp)
  );
}

/** Cleans text from outside; see the module contract. */
export function cleanUntrustedText(value: string, options: CleanOptions = {}): string {
  const out: string[] = [];
  let inBreak = false;
  // `for…of` walks code points; a lone surrogate comes out alone (and is forbidden).
  for (const char of value) {
    const cp = char.codePointAt(0) ?? 0;
    if (LINE_BREAKS.has(cp)) {
      // One line: a run of line breaks (`\r\n`, blank lines) is one space.
      if (!options.singleLine) out.push(cp === 0x0a || cp === 0x0d ? char : '\n');
      else if (!inBreak) out.push(' ');
      inBreak = true;
      continue;
    }
    inBreak = false;
    if (cp === 0x09) out.push(options.singleLine ? ' ' : char);
    else out.push(isForbidden(cp) ? REPLACEMENT : char);
  }
  return truncateCodePoints(out.join(''), options.maxCodePoints);
}

/** Cuts to at most `max` code points, ending in `…` when cut; never splits a pair. */
export function truncateCodePoints(value: string, max: number | undefined): string {
  if (max === undefined || max < 1) return value;
  // Fast path: UTF-16 length bounds the code point count from above.
  if (value.length <= max) return value;
  const points = Array.from(value);
  if (points.length <= max) return value;
  return `${points.slice(0, max - 1).join('')}${ELLIPSIS}`;
}

/** Code points in a string (what limits such as Slack's count). */
export function codePointLength(value: string): number {
  let count = 0;
  for (const _ of value) count += 1;
  return count;
}

const MARKUP_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** For HTML and XML text and attribute values: cleaned, then `&<>"'` escaped. */
export function escapeMarkup(value: string, options: CleanOptions = {}): string {
  return cleanUntrustedText(value, options).replace(
    /[&<>"']/g,
    (char) => MARKUP_ESCAPES[char] ?? char,
  );
}

/**
 * For Slack mrkdwn: cleaned as one line and cut (in code points) first, then `&`, `<` and
 * `>` escaped, so a hostile name cannot link, mention (`<!channel>`) or break lines.
 */
export function escapeMrkdwn(value: string, maxCodePoints?: number): string {
  return cleanUntrustedText(value, {
    singleLine: true,
    ...(maxCodePoints !== undefined && { maxCodePoints }),
  })
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

/** For Markdown prose: one line, Markdown and HTML syntax characters backslash-escaped. */
export function escapeMarkdownInline(value: string): string {
  return cleanUntrustedText(value, { singleLine: true }).replace(/([\\`*_[\]<>|])/g, '\\$1');
}

/** For a Markdown code span: one line, no backtick that could close it early. */
export function markdownCode(value: string): string {
  return `\`${cleanUntrustedText(value, { singleLine: true }).replace(/`/g, "'")}\``;
}
