/**
 * Text from the site (file names, error details, key user IDs) made safe for a terminal,
 * with the project's one sanitiser (src/core/untrusted-text.ts): control characters
 * (escape sequences that could move the cursor, rewrite a line that said "FAILED", or set
 * the window title), bidirectional overrides and noncharacters become U+FFFD, line breaks a
 * space, so every report line stays one line and says what it says. Long text is cut.
 */
import { cleanUntrustedText } from '../core/untrusted-text';

export function printable(text: string, maxCodePoints = 500): string {
  return cleanUntrustedText(text, { singleLine: true, maxCodePoints });
}
