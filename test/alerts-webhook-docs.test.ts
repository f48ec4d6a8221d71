/// <reference types="vite/types/import-meta.d.ts" />
/**
 * docs/webhooks.md and docs/webhook-payload.schema.json describe what the monitor really
 * sends: every event's payload matches the schema (with no undocumented field), the
 * example in the docs matches it too, and the signed example verifies.
 */
import { describe, expect, it } from 'vitest';
import schema from '../docs/webhook-payload.schema.json';
import { ALERT_EVENTS } from '../src/core/alerts';
import { verifyStandardWebhook } from '../src/core/standard-webhooks';
import { createWebhookPayload } from '../src/core/webhook-payload';
import { alertMessage } from './alert-fixtures';

const DOC = Object.values(
  import.meta.glob<string>('../docs/webhooks.md', {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
)[0]!;

type Schema = Record<string, unknown>;

/**
 * The JSON Schema keywords the payload schema uses. Stricter than the schema in one way:
 * a property the schema does not list is an error, so the docs cannot fall behind.
 */
function validate(value: unknown, node: Schema, path = '$'): string[] {
  if (typeof node['$ref'] === 'string') {
    const name = node['$ref'].replace('#/$defs/', '');
    return validate(value, (schema.$defs as Record<string, Schema>)[name]!, path);
  }
  const problems: string[] = [];
  if ('const' in node && value !== node['const'])
    problems.push(`${path}: not ${String(node['const'])}`);
  if (Array.isArray(node['enum']) && !node['enum'].includes(value))
    problems.push(`${path}: ${String(value)} not in enum`);
  const type = node['type'];
  const actual = Array.isArray(value)
    ? 'array'
    : Number.isInteger(value)
      ? 'integer'
      : typeof value;
  if (type !== undefined && type !== actual)
    return [...problems, `${path}: ${actual} is not ${String(type)}`];
  if (typeof node['pattern'] === 'string' && !new RegExp(node['pattern']).test(String(value)))
    problems.push(`${path}: pattern`);
  if (node['format'] === 'date-time' && Number.isNaN(Date.parse(String(value))))
    problems.push(`${path}: date-time`);
  if (typeof node['minimum'] === 'number' && (value as number) < node['minimum'])
    problems.push(`${path}: minimum`);
  if (type === 'array')
    (value as unknown[]).forEach((item, i) =>
      problems.push(...validate(item, node['items'] as Schema, `${path}[${i}]`)),
    );
  if (type === 'object') {
    const object = value as Record<string, unknown>;
    const properties = (node['properties'] ?? {}) as Record<string, Schema>;
    for (const key of (node['required'] ?? []) as string[])
      if (!(key in object)) problems.push(`${path}.${key}: required`);
    for (const [key, item] of Object.entries(object)) {
      const child = properties[key];
      problems.push(
        ...(child === undefined
          ? [`${path}.${key}: not in the schema`]
          : validate(item, child, `${path}.${key}`)),
      );
    }
  }
  return problems;
}

function codeBlock(language: string): string {
  const match = new RegExp('```' + language + '\\n([\\s\\S]*?)\\n```').exec(DOC);
  if (match === null) throw new Error(`no ${language} block in docs/webhooks.md`);
  return match[1]!;
}

describe('docs/webhooks.md and the payload schema', () => {
  it.each(ALERT_EVENTS)('describes the incident.%s payload exactly', (event) => {
    const payload = createWebhookPayload(
      alertMessage({ event, regions: ['weur'], escalationLevel: 1, detail: 'why' }),
      new Date('2040-01-01T00:00:00Z'),
    );
    expect(validate(JSON.parse(JSON.stringify(payload)), schema as Schema)).toEqual([]);
  });

  it('shows an example payload that matches the schema', () => {
    expect(validate(JSON.parse(codeBlock('json')), schema as Schema)).toEqual([]);
  });

  it('shows a signed example that verifies with the documented secret, and only then', async () => {
    const [head = '', body = ''] = codeBlock('http').split('\n\n');
    const headers = Object.fromEntries(
      head
        .split('\n')
        .slice(1)
        .map((line) => [
          line.slice(0, line.indexOf(':')).trim(),
          line.slice(line.indexOf(':') + 1).trim(),
        ]),
    );
    const secret = /`(whsec_[A-Za-z0-9+/=]+)`/.exec(DOC)?.[1] ?? '';
    const at = (iso: string) =>
      verifyStandardWebhook({ secret, headers, body, now: new Date(iso) });
    expect((await at('2026-01-01T00:00:00Z')).ok).toBe(true);
    expect(await at('2026-01-02T00:00:00Z')).toEqual({
      ok: false,
      error: { kind: 'timestamp-too-old' },
    });
    expect(JSON.parse(body)).toEqual(JSON.parse(codeBlock('json')));
  });
});
