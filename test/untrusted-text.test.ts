/**
 * The one sanitiser for text from the watched site (src/core/untrusted-text.ts): what it
 * removes, how it cuts, and how each target escapes after it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  cleanUntrustedText,
  codePointLength,
  escapeMarkdownInline,
  escapeMarkup,
  escapeMrkdwn,
  truncateCodePoints,
} from '../src/core/untrusted-text';

/** Characters XML 1.0 allows (§2.2), as a test of the output independent of the code. */
const XML_CHAR = /^[\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]*$/u;

describe('cleanUntrustedText', () => {
  it.each([
    ['U+0001', '[\u0001]', '[\uFFFD]'],
    ['U+000B and U+000C', 'v1\u000b\u000c', 'v1\uFFFD\uFFFD'],
    ['U+0000', 'a\u0000b', 'a\uFFFDb'],
    ['U+FFFE and U+FFFF', 'v\uFFFE\uFFFF', 'v\uFFFD\uFFFD'],
    ['a plane-1 noncharacter', 'x\u{1FFFE}', 'x\uFFFD'],
    ['U+FDD0', 'x\uFDD0', 'x\uFFFD'],
    ['DEL and C1 controls', 'a\u007f\u0085b\u009b', 'a\uFFFD\nb\uFFFD'],
    ['a lone high surrogate', 'a\uD800b', 'a\uFFFDb'],
    ['a lone low surrogate', 'a\uDC00', 'a\uFFFD'],
    ['a right-to-left override', 'evil\u202Egz.tar', 'evil\uFFFDgz.tar'],
    ['isolates and marks', '\u2066a\u2069\u200F\u061C', '\uFFFDa\uFFFD\uFFFD\uFFFD'],
  ])('replaces %s with U+FFFD', (_name, input, expected) => {
    expect(cleanUntrustedText(input)).toBe(expected);
  });

  it('keeps tabs and line breaks, or flattens them for one-line text', () => {
    expect(cleanUntrustedText('a\tb\r\nc\u2028d')).toBe('a\tb\r\nc\nd');
    expect(cleanUntrustedText('a\tb\r\nc\u2028d', { singleLine: true })).toBe('a b c d');
  });

  it('keeps emoji, accents and CJK whole', () => {
    const text = 'node-v24 😀 é 漢字 🏳️‍🌈';
    expect(cleanUntrustedText(text)).toBe(text);
  });

  it('always yields valid XML 1.0 characters and well-formed UTF-16', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (input) => {
        const clean = cleanUntrustedText(input);
        expect(clean).toMatch(XML_CHAR);
        expect(clean.isWellFormed()).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

describe('truncateCodePoints', () => {
  it('counts code points and never splits a surrogate pair', () => {
    const cut = truncateCodePoints('😀'.repeat(10), 4);
    expect(cut).toBe('😀😀😀…');
    expect(codePointLength(cut)).toBe(4);
    expect(cut.isWellFormed()).toBe(true);
  });

  it('leaves text within the limit alone', () => {
    expect(truncateCodePoints('😀😀', 2)).toBe('😀😀');
  });

  it('cuts within the limit for any input', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), fc.integer({ min: 1, max: 40 }), (s, max) => {
        const cut = cleanUntrustedText(s, { maxCodePoints: max });
        expect(codePointLength(cut)).toBeLessThanOrEqual(max);
        expect(cut.isWellFormed()).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});

describe('escaping after cleaning', () => {
  it('escapes markup characters for HTML and XML', () => {
    expect(escapeMarkup(`<a href="x">'&'</a>\u0001`)).toBe(
      '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;\uFFFD',
    );
  });

  it('escapes Slack mrkdwn after cutting, so no entity is cut in half', () => {
    expect(escapeMrkdwn('<<<<<<', 4)).toBe('&lt;&lt;&lt;…');
    expect(escapeMrkdwn('<!channel>\nhi')).toBe('&lt;!channel&gt; hi');
  });

  it('escapes Markdown syntax on one line', () => {
    expect(escapeMarkdownInline('*bold* [x](y)\n# h')).toBe('\\*bold\\* \\[x\\](y) # h');
  });
});
