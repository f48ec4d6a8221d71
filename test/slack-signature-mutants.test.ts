/**
 * Slack request signatures and the constant-time comparison under them, tested on the pure
 * core in plain Node (the workerd tests in alerts-slack-interactions.test.ts go through the
 * HTTP route). Written to kill the mutants StrykerJS found surviving (docs/reliability.md,
 * "Mutation testing"): every refusal reason, the window edges, and a signature that differs
 * only in its last byte or only in its length.
 */
import { describe, expect, it } from 'vitest';
import { constantTimeEqual, constantTimeEqualText } from '../src/core/constant-time';
import {
  parseSlackSigningSecrets,
  signSlackRequest,
  SLACK_TIMESTAMP_TOLERANCE_SECONDS,
  verifySlackSignature,
} from '../src/core/slack-signature';

const SECRET = '8f742231b10e8888abcd99yyyzzz85a5';
const OTHER_SECRET = '0123456789abcdef0123456789abcdef';
const NOW = new Date('2026-03-01T12:00:00Z');
const NOW_SECONDS = NOW.getTime() / 1000;
const BODY = 'payload=%7B%22type%22%3A%22block_actions%22%7D';

async function signed(options: { secret?: string; timestamp?: number; body?: string } = {}) {
  const timestamp = String(options.timestamp ?? NOW_SECONDS);
  const rawBody = options.body ?? BODY;
  return {
    timestamp,
    rawBody,
    signature: await signSlackRequest(options.secret ?? SECRET, timestamp, rawBody),
  };
}

/** The signature with one hex digit changed at `index` (a digit of 0–9a–f, never equal). */
function flipDigit(signature: string, index: number): string {
  const hex = signature.slice(3);
  const digit = hex[index] === '0' ? '1' : '0';
  return `v0=${hex.slice(0, index)}${digit}${hex.slice(index + 1)}`;
}

describe('verifySlackSignature accepts', () => {
  it('a request signed with the secret, within the window, and returns its timestamp', async () => {
    const request = await signed();
    const result = await verifySlackSignature({ secrets: SECRET, now: NOW, ...request });
    expect(result).toEqual({ ok: true, value: { timestamp: NOW_SECONDS } });
  });

  it('a request signed with either secret of a rotation, in any order', async () => {
    const byOld = await signed({ secret: OTHER_SECRET });
    const byNew = await signed();
    const secrets = `${SECRET} ${OTHER_SECRET}`;
    expect((await verifySlackSignature({ secrets, now: NOW, ...byOld })).ok).toBe(true);
    expect((await verifySlackSignature({ secrets, now: NOW, ...byNew })).ok).toBe(true);
  });

  it('timestamps exactly at the edges of the five-minute window, both sides', async () => {
    for (const offset of [-SLACK_TIMESTAMP_TOLERANCE_SECONDS, SLACK_TIMESTAMP_TOLERANCE_SECONDS]) {
      const request = await signed({ timestamp: NOW_SECONDS + offset });
      const result = await verifySlackSignature({ secrets: SECRET, now: NOW, ...request });
      expect(result).toEqual({ ok: true, value: { timestamp: NOW_SECONDS + offset } });
    }
  });

  it('a `now` with milliseconds: the window is counted in whole seconds', async () => {
    const request = await signed({ timestamp: NOW_SECONDS - SLACK_TIMESTAMP_TOLERANCE_SECONDS });
    const now = new Date(NOW.getTime() + 999);
    expect((await verifySlackSignature({ secrets: SECRET, now, ...request })).ok).toBe(true);
  });
});

describe('verifySlackSignature refuses', () => {
  it('everything when no secret is configured (absent, empty or only spaces)', async () => {
    const request = await signed();
    for (const secrets of [undefined, '', '  \n ']) {
      const result = await verifySlackSignature({ secrets, now: NOW, ...request });
      expect(result).toEqual({ ok: false, error: 'not-configured' });
    }
  });

  it('a request without a timestamp or without a signature header', async () => {
    const request = await signed();
    for (const missing of [
      { ...request, timestamp: undefined },
      { ...request, timestamp: '' },
      { ...request, signature: undefined },
      { ...request, signature: '' },
    ]) {
      const result = await verifySlackSignature({ secrets: SECRET, now: NOW, ...missing });
      expect(result).toEqual({ ok: false, error: 'missing-headers' });
    }
  });

  it('a timestamp that is not 1–12 decimal digits', async () => {
    const request = await signed();
    for (const timestamp of [
      `${NOW_SECONDS}.0`,
      `+${NOW_SECONDS}`,
      ` ${NOW_SECONDS}`,
      `${NOW_SECONDS} `,
      '1e9',
      `0${NOW_SECONDS}00`,
    ]) {
      const result = await verifySlackSignature({
        secrets: SECRET,
        now: NOW,
        ...request,
        timestamp,
      });
      expect(result, timestamp).toEqual({ ok: false, error: 'invalid-timestamp' });
    }
  });

  it('a timestamp one second outside the window, in the past or in the future', async () => {
    for (const offset of [
      -SLACK_TIMESTAMP_TOLERANCE_SECONDS - 1,
      SLACK_TIMESTAMP_TOLERANCE_SECONDS + 1,
    ]) {
      const request = await signed({ timestamp: NOW_SECONDS + offset });
      const result = await verifySlackSignature({ secrets: SECRET, now: NOW, ...request });
      expect(result).toEqual({ ok: false, error: 'stale-timestamp' });
    }
  });

  it('a replay of an old request with a fresh timestamp (the timestamp is signed)', async () => {
    const old = await signed({ timestamp: NOW_SECONDS - 3600 });
    const result = await verifySlackSignature({
      secrets: SECRET,
      now: NOW,
      ...old,
      timestamp: String(NOW_SECONDS),
    });
    expect(result).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('a body changed after signing', async () => {
    const request = await signed();
    const result = await verifySlackSignature({
      secrets: SECRET,
      now: NOW,
      ...request,
      rawBody: `${request.rawBody}&x=1`,
    });
    expect(result).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('a signature made with another secret', async () => {
    const request = await signed({ secret: OTHER_SECRET });
    const result = await verifySlackSignature({ secrets: SECRET, now: NOW, ...request });
    expect(result).toEqual({ ok: false, error: 'bad-signature' });
  });

  it('a signature that differs in its first, a middle, or its last hex digit', async () => {
    const request = await signed();
    for (const index of [0, 31, 62, 63]) {
      const result = await verifySlackSignature({
        secrets: SECRET,
        now: NOW,
        ...request,
        signature: flipDigit(request.signature, index),
      });
      expect(result, `digit ${index}`).toEqual({ ok: false, error: 'bad-signature' });
    }
  });

  it('a signature in another shape: other version, upper case, one digit short or long', async () => {
    const request = await signed();
    const hex = request.signature.slice(3);
    for (const signature of [
      `v1=${hex}`,
      `v0=${hex.toUpperCase()}`,
      `v0=${hex.slice(0, -1)}`,
      `${request.signature}0`,
      ` ${request.signature}`,
      `${request.signature}\n`,
      hex,
    ]) {
      const result = await verifySlackSignature({
        secrets: SECRET,
        now: NOW,
        ...request,
        signature,
      });
      expect(result, signature).toEqual({ ok: false, error: 'bad-signature' });
    }
  });

  it('a good signature when a second, wrong secret is tried after the right one', async () => {
    // Every secret is tried; a later mismatch must not undo an earlier match, nor the reverse.
    const request = await signed();
    const secrets = `${SECRET} ${OTHER_SECRET}`;
    expect((await verifySlackSignature({ secrets, now: NOW, ...request })).ok).toBe(true);
  });
});

describe('signSlackRequest', () => {
  it('signs as Slack documents it (their published example)', async () => {
    // https://api.slack.com/authentication/verifying-requests-from-slack
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    expect(await signSlackRequest(SECRET, '1531420618', body)).toBe(
      'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
    );
  });
});

describe('parseSlackSigningSecrets', () => {
  it('splits on any whitespace and drops empty items', () => {
    expect(parseSlackSigningSecrets(' a1\tb2\n\nc3 ')).toEqual(['a1', 'b2', 'c3']);
    expect(parseSlackSigningSecrets(undefined)).toEqual([]);
  });
});

describe('constantTimeEqual', () => {
  const bytes = (...values: number[]) => new Uint8Array(values);

  it('is true for equal bytes, including none', () => {
    expect(constantTimeEqual(bytes(1, 2, 255), bytes(1, 2, 255))).toBe(true);
    expect(constantTimeEqual(bytes(), bytes())).toBe(true);
  });

  it('is false when any single byte differs, first, middle or last', () => {
    expect(constantTimeEqual(bytes(9, 2, 3), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 9, 3), bytes(1, 2, 3))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2, 9), bytes(1, 2, 3))).toBe(false);
    // Bits that an AND or a plain assignment instead of OR-accumulation would lose.
    expect(constantTimeEqual(bytes(1, 0), bytes(0, 0))).toBe(false);
    expect(constantTimeEqual(bytes(1, 2), bytes(0, 2))).toBe(false);
  });

  it('is false for a prefix, even when the rest is zeros', () => {
    expect(constantTimeEqual(bytes(1, 0), bytes(1))).toBe(false);
    expect(constantTimeEqual(bytes(1), bytes(1, 0))).toBe(false);
    expect(constantTimeEqual(bytes(), bytes(0))).toBe(false);
  });

  it('compares text as UTF-8', () => {
    expect(constantTimeEqualText('tökén', 'tökén')).toBe(true);
    expect(constantTimeEqualText('tökén', 'tokén')).toBe(false);
    expect(constantTimeEqualText('token', 'token ')).toBe(false);
  });
});
