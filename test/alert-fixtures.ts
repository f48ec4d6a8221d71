/**
 * Shared fixtures for the alert channel tests: a complete AlertMessage, and a fetch spy
 * that records requests the way a receiver would see them and answers from a script.
 */
import { vi } from 'vitest';
import type { AlertMessage } from '../src/core/alerts';

export const SHA_A = 'a'.repeat(64);
export const SHA_B = 'b'.repeat(64);

export function alertMessage(overrides: Partial<AlertMessage> = {}): AlertMessage {
  return {
    incidentId: '0123456789abcdef0123456789abcdef',
    fingerprint: 'artifact-hash-mismatch https://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz',
    kind: 'artifact-hash-mismatch',
    severity: 'P0',
    state: 'open',
    event: 'opened',
    title: 'An artifact’s bytes differ from the signed hash',
    summary: 'node-v24.11.1.tar.gz hashes to bbbb…, SHASUMS256.txt says aaaa…',
    subject: 'https://dist.test/dist/v24.11.1/node-v24.11.1.tar.gz',
    expected: SHA_A,
    observed: SHA_B,
    release: 'v24.11.1',
    firstSeen: '2040-01-01T00:00:00.000Z',
    lastSeen: '2040-01-01T00:05:00.000Z',
    count: 2,
    runbookUrl:
      'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks/supply-chain-compromise.md',
    incidentUrl: 'https://monitor.test/api/incidents/0123456789abcdef0123456789abcdef',
    security: true,
    disclosed: false,
    ...overrides,
  };
}

/** One request as the receiver saw it. */
export interface CapturedRequest {
  readonly url: string;
  readonly method: string;
  readonly headers: Headers;
  readonly body: string;
}

type Answer = Response | 'hang' | ((request: CapturedRequest) => Response | 'hang');

/**
 * Spies on `globalThis.fetch`: every request is captured; answers come from `script` in
 * order, then `fallback`. `'hang'` never answers (until the caller aborts).
 */
export function captureFetch(script: Answer[] = [], fallback: Answer = new Response('ok')) {
  const requests: CapturedRequest[] = [];
  const spy = vi.spyOn(globalThis, 'fetch').mockImplementation(async (input, init) => {
    const request = new Request(input, init);
    const captured: CapturedRequest = {
      url: request.url,
      method: request.method,
      headers: request.headers,
      body: new TextDecoder().decode(await request.arrayBuffer()),
    };
    requests.push(captured);
    const next = script.shift() ?? fallback;
    const answer = typeof next === 'function' ? next(captured) : next;
    if (answer === 'hang') {
      return new Promise<Response>((_, reject) => {
        init?.signal?.addEventListener('abort', () => reject(init.signal?.reason));
      });
    }
    return answer.clone();
  });
  return { requests, spy };
}
