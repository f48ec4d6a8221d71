/**
 * Text from the site (file names, error details, key user IDs) made safe for a terminal.
 *
 * Contract: pure. Control characters (C0, DEL, C1: escape sequences that could move the
 * cursor, rewrite a line that said "FAILED", or set the window title), line and paragraph
 * separators, and bidirectional overrides (which reorder what is shown) become visible
 * `\u{…}` escapes; everything else is unchanged. Long text is cut with an ellipsis.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

export function printable(text: string, maxLength = 500): string {
  const escaped = text.replace(
    UNSAFE,
    (char) => `\\u{${(char.codePointAt(0) ?? 0).toString(16).padStart(2, '0')}}`,
  );
  return escaped.length > maxLength ? `${escaped.slice(0, maxLength - 1)}…` : escaped;
}
