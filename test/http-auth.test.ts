/**
 * Operator authentication: bearer tokens from OPERATOR_TOKENS, compared as SHA-256 digests
 * in constant time over every configured token; every failure is the same 401 with
 * `WWW-Authenticate: Bearer`; the token's name is who the timeline says acted.
 */
import { describe, expect, it } from 'vitest';
import type { MonitorEnv } from '../src/env';
import {
  authenticateOperator,
  bearerTokenOf,
  parseOperatorTokens,
} from '../src/http/operator-auth';
import {
  ALICE_TOKEN,
  BOB_TOKEN,
  call,
  json,
  openMissingFileIncident,
  testEnv,
} from './http-helpers';

const UNAUTHORIZED_BODY = {
  type: 'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/api.md#problem-unauthorized',
  title: 'Unauthorized',
  status: 401,
  detail: 'A valid operator bearer token is required.',
};

describe('an operator route', () => {
  it.each([
    ['no Authorization header', undefined],
    ['a wrong token', 'Bearer not-a-configured-token'],
    ['the right token with another scheme', `Basic ${ALICE_TOKEN}`],
    ['a bearer without a token', 'Bearer '],
    ['a prefix of a real token', `Bearer ${ALICE_TOKEN.slice(0, 10)}`],
    ['a real token with an extra character', `Bearer ${ALICE_TOKEN}x`],
    ['an absurdly long token', `Bearer ${'x'.repeat(5000)}`],
  ])('answers %s with the same 401 and WWW-Authenticate: Bearer', async (_case, authorization) => {
    const id = await openMissingFileIncident();
    const response = await call(`/api/incidents/${id}/acknowledge`, {
      method: 'POST',
      headers: authorization === undefined ? {} : { authorization },
    });
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="dist-integrity-monitor"');
    expect(response.headers.get('content-type')).toBe('application/problem+json; charset=utf-8');
    expect(await json(response)).toEqual(UNAUTHORIZED_BODY);
  });

  it('accepts the right token and records its name in the timeline', async () => {
    const id = await openMissingFileIncident();
    const response = await call(`/api/incidents/${id}/acknowledge`, {
      method: 'POST',
      token: BOB_TOKEN,
    });
    expect(response.status).toBe(200);
    const detail = await json<{
      incident: { acknowledgedBy: string };
      timeline: { actor: string }[];
    }>(await call(`/api/incidents/${id}`, { token: ALICE_TOKEN }));
    expect(detail.incident.acknowledgedBy).toBe('operator:bob');
    expect(detail.timeline.map((entry) => entry.actor)).toContain('operator:bob');
  });

  it('accepts the Bearer scheme in any case', async () => {
    const response = await call('/metrics', {
      headers: { authorization: `bearer ${ALICE_TOKEN}` },
    });
    expect(response.status).toBe(200);
  });

  it('refuses every token when OPERATOR_TOKENS is not set', async () => {
    const env = { ...testEnv, OPERATOR_TOKENS: undefined } as MonitorEnv;
    const response = await call('/metrics', { token: ALICE_TOKEN, env });
    expect(response.status).toBe(401);
  });
});

describe('a public read route', () => {
  it('gives the public view without a header', async () => {
    expect((await json(await call('/api/status'))).audience).toBe('public');
  });

  it('refuses a wrong token instead of quietly showing the public view', async () => {
    const response = await call('/api/status', { token: 'wrong' });
    expect(response.status).toBe(401);
    expect(await json(response)).toEqual(UNAUTHORIZED_BODY);
  });
});

describe('parseOperatorTokens', () => {
  it('reads name:token pairs and skips malformed entries', () => {
    expect(
      parseOperatorTokens(' alice:a1 , :nameless, bob:b:2,bad name:x,empty:, carol:c3,no-colon'),
    ).toEqual([
      { name: 'alice', token: 'a1' },
      { name: 'bob', token: 'b:2' },
      { name: 'carol', token: 'c3' },
      { name: 'operator-7', token: 'no-colon' },
    ]);
  });

  it('takes a plain list of tokens, by commas or lines, naming each by its place', () => {
    expect(parseOperatorTokens('t0k3n-one\nt0k3n-two')).toEqual([
      { name: 'operator-1', token: 't0k3n-one' },
      { name: 'operator-2', token: 't0k3n-two' },
    ]);
  });

  it('is empty when unset', () => {
    expect(parseOperatorTokens(undefined)).toEqual([]);
  });
});

describe('bearerTokenOf', () => {
  it.each([
    ['Bearer abc', 'abc'],
    ['bearer   abc ', 'abc'],
    ['Bearer a b', undefined],
    ['Basic abc', undefined],
    ['Bearer', undefined],
    [undefined, undefined],
  ])('reads %j as %j', (header, token) => {
    expect(bearerTokenOf(header)).toBe(token);
  });
});

describe('authenticateOperator', () => {
  const configured = parseOperatorTokens('alice:a-token,bob:b-token,alice2:a-token');

  it('names the first operator whose token matches, after comparing all of them', async () => {
    expect(await authenticateOperator('b-token', configured)).toEqual({
      name: 'bob',
      actor: 'operator:bob',
    });
    expect(await authenticateOperator('a-token', configured)).toEqual({
      name: 'alice',
      actor: 'operator:alice',
    });
  });

  it('knows nobody for an unknown token', async () => {
    expect(await authenticateOperator('c-token', configured)).toBeUndefined();
  });
});
