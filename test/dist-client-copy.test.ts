/**
 * `hashBody(url, { copy })`: the bytes hashed also reach a per-attempt sink (dist-verify
 * --out writes the file it verifies), and a retried download starts a fresh copy, so a
 * broken first attempt never leaves its bytes in front of the second one's.
 */
import { describe, expect, it } from 'vitest';
import { createDistClient } from '../src/adapters/dist-client';
import { sha256Hex } from '../src/core/digest';

const FILE = 'https://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz';

function clientFor(respond: (attempt: number) => Response) {
  let attempt = 0;
  return createDistClient({
    fetch: (async () => respond(++attempt)) as typeof fetch,
    timeoutMs: 1000,
    retries: 2,
    backoffMs: 1,
    sleep: async () => {},
    allowedRedirectHosts: [],
    subrequestBudget: { remaining: 10 },
  });
}

function copies() {
  const attempts: number[][] = [];
  return {
    attempts,
    copy: () => {
      const bytes: number[] = [];
      attempts.push(bytes);
      return (chunk: Uint8Array) => {
        for (const byte of chunk) bytes.push(byte);
      };
    },
  };
}

describe('hashBody with a copy', () => {
  it('hands every hashed byte to the copy', async () => {
    const body = new Uint8Array(300_000).map((_, i) => (i * 7) % 251);
    const client = clientFor(() => new Response(body));
    const sink = copies();
    const hashed = await client.hashBody(FILE, { copy: sink.copy });
    if (!hashed.ok) throw new Error(`${hashed.error.kind}: ${hashed.error.detail}`);
    expect(hashed.value.sha256).toBe(await sha256Hex(body));
    expect(sink.attempts).toHaveLength(1);
    expect(new Uint8Array(sink.attempts[0] ?? [])).toEqual(body);
  });

  it('starts a fresh copy on each attempt of a retried download', async () => {
    const body = new TextEncoder().encode('the whole artifact');
    const client = clientFor((attempt) =>
      attempt === 1
        ? // Declares more than it sends: truncated, retried.
          new Response(body.slice(0, 5), { headers: { 'content-length': String(body.length) } })
        : new Response(body),
    );
    const sink = copies();
    const hashed = await client.hashBody(FILE, { copy: sink.copy });
    expect(hashed.ok).toBe(true);
    expect(sink.attempts).toHaveLength(2);
    expect(new TextDecoder().decode(new Uint8Array(sink.attempts[1] ?? []))).toBe(
      'the whole artifact',
    );
  });
});
