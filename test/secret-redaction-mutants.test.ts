/**
 * Redaction of secrets from what the monitor writes down (timeline, logs, errors, Sentry):
 * the cases StrykerJS showed no test looked at (docs/reliability.md, "Mutation testing").
 * Each `not.toContain` below is a leak the mutant let through.
 */
import { describe, expect, it } from 'vitest';
import { redactSecrets, safeOrigin } from '../src/core/secret-redaction';

describe('redactSecrets', () => {
  it('replaces a secret with a visible marker', () => {
    expect(redactSecrets('401 for token s3cr3t-t0k3n-value', ['s3cr3t-t0k3n-value'])).toBe(
      '401 for token [redacted]',
    );
  });

  it('redacts a secret of eight characters, and leaves shorter strings (ordinary words) alone', () => {
    expect(redactSecrets('key abcd1234 used', ['abcd1234'])).toBe('key [redacted] used');
    expect(redactSecrets('the hook failed', ['hook'])).toBe('the hook failed');
  });

  it('redacts the longer of two secrets whole when one begins with the other', () => {
    // Shorter first would leave `[redacted]-rest-of-long` with the tail of the long one.
    const short = 'prefix-secret';
    const long = 'prefix-secret-rest-of-long';
    const text = `tried ${long} then ${short}`;
    for (const secrets of [
      [short, long],
      [long, short],
    ]) {
      const redacted = redactSecrets(text, secrets);
      expect(redacted).toBe('tried [redacted] then [redacted]');
      expect(redacted).not.toContain('rest-of-long');
    }
  });

  it("redacts a secret URL's query on its own, as an error message may quote it", () => {
    const url = 'https://receiver.test/hook?token=zyxwvut987';
    const redacted = redactSecrets('rejected query ?token=zyxwvut987 from the receiver', [url]);
    expect(redacted).not.toContain('zyxwvut987');
  });

  it("redacts a secret URL's path and query of exactly eight characters", () => {
    const url = 'https://receiver.test/a?b=123';
    expect(new URL(url).pathname + new URL(url).search).toHaveLength(8);
    expect(redactSecrets('POST /a?b=123 failed', [url])).toBe('POST [redacted] failed');
  });

  it('turns line breaks into spaces, so a log line cannot be split', () => {
    expect(redactSecrets('a\r\nb\nc\rd', [])).not.toMatch(/[\r\n]/);
  });

  it('cuts long text to maxLength characters, ending in an ellipsis', () => {
    const cut = redactSecrets('x'.repeat(500), [], 300);
    expect(cut).toHaveLength(300);
    expect(cut.endsWith('…')).toBe(true);
    expect(redactSecrets('y'.repeat(300), [], 300)).toBe('y'.repeat(300));
    expect(redactSecrets('z'.repeat(1000), [])).toHaveLength(300);
  });

  it('redacts before cutting, so a secret across the cut is not half shown', () => {
    const secret = 'S'.repeat(40);
    const cut = redactSecrets(`${'.'.repeat(280)}${secret}`, [secret], 300);
    expect(cut).not.toContain('SSSS');
  });
});

describe('safeOrigin', () => {
  it('shows only the origin of a URL, never its path, query or credentials', () => {
    expect(safeOrigin('https://user:pw@hooks.slack.com/services/T/B/x?y=1')).toBe(
      'https://hooks.slack.com',
    );
  });

  it('says the URL is invalid instead of echoing it', () => {
    expect(safeOrigin('not a url with a s3cret')).toBe('(invalid URL)');
  });
});

describe('redactSecrets: the parts of a secret URL', () => {
  it('redacts a query string of eight characters seen on its own', () => {
    const hook = 'https://hooks.example.test/services/T0?k=abcde';
    expect(redactSecrets('retrying ?k=abcde soon', [hook])).toBe('retrying [redacted] soon');
  });

  it('leaves the slashes of a log alone when a secret URL has no path to speak of', () => {
    expect(redactSecrets('GET /dist/index.json failed', ['https://sentry.example.test'])).toBe(
      'GET /dist/index.json failed',
    );
  });
});
