/**
 * The edges of what the site may not put into an alert or page (docs/reliability.md,
 * "Mutation testing"): the last C1 control, the first and last bidi control of each range,
 * the last noncharacter of the U+FDD0 block and a lone low surrogate all become U+FFFD; the
 * code points just outside stay.
 */
import { describe, expect, it } from 'vitest';
import { cleanUntrustedText, truncateCodePoints } from '../src/core/untrusted-text';

const REPLACEMENT = '\ufffd';

describe('cleanUntrustedText at the edges of each forbidden range', () => {
  it.each([
    ['the last C1 control', 0x9f],
    ['LRM', 0x200e],
    ['RLM', 0x200f],
    ['LRE, first of the embeddings', 0x202a],
    ['RLO, last of the overrides', 0x202e],
    ['the last noncharacter of U+FDD0–U+FDEF', 0xfdef],
    ['a lone low surrogate at the end of the range', 0xdfff],
  ])('replaces %s', (_name, cp) => {
    expect(cleanUntrustedText(`a${String.fromCharCode(cp)}b`)).toBe(`a${REPLACEMENT}b`);
  });

  it.each([
    ['U+00A0 after the C1 controls', 0xa0],
    ['U+2029 is a line break, U+2030 text', 0x2030],
    ['U+FDF0 after the noncharacters', 0xfdf0],
    ['U+E000 after the surrogates', 0xe000],
  ])('keeps %s', (_name, cp) => {
    const char = String.fromCharCode(cp);
    expect(cleanUntrustedText(`a${char}b`)).toBe(`a${char}b`);
  });

  it('keeps line breaks on several lines, a NEL as a newline, a run of them as they came', () => {
    expect(cleanUntrustedText('a\r\nb\u0085c')).toBe('a\r\nb\nc');
    expect(cleanUntrustedText('a\n\nb', { singleLine: true })).toBe('a b');
    expect(cleanUntrustedText('\nb', { singleLine: true })).toBe(' b');
  });
});

describe('truncateCodePoints', () => {
  it('keeps a text of exactly the limit, cuts one longer, ignores a limit below one', () => {
    expect(truncateCodePoints('abc', 3)).toBe('abc');
    expect(truncateCodePoints('abcd', 3)).toBe('ab…');
    expect(truncateCodePoints('abcd', 0)).toBe('abcd');
    expect(truncateCodePoints('😀😀😀', 2)).toBe('😀…');
  });
});
