/// <reference types="vite/types/import-meta.d.ts" />
/**
 * Configuration is documented where a newcomer looks: every var in wrangler.toml and every
 * secret the code reads has a row in the README, and every secret is in .dev.vars.example.
 * A var renamed in one place and not the others fails here.
 */
import { describe, expect, it } from 'vitest';

const FILES = import.meta.glob<string>(
  ['../wrangler.toml', '../README.md', '../.dev.vars.example', '../src/env.ts'],
  {
    query: '?raw',
    import: 'default',
    eager: true,
  },
);

function file(name: string): string {
  const text = FILES[`../${name}`];
  if (text === undefined) throw new Error(`${name} not found`);
  return text;
}

/** The names under [vars] in wrangler.toml. */
function varsOf(toml: string): string[] {
  const section = toml.split(/^\[vars\]$/m)[1]?.split(/^\[/m)[0] ?? '';
  return [...section.matchAll(/^([A-Z][A-Z0-9_]*)\s*=/gm)].map((match) => match[1] as string);
}

/** The names in the SecretName union of src/env.ts. */
function secretsOf(source: string): string[] {
  const union = source.split('export type SecretName =')[1]?.split(';')[0] ?? '';
  return [...union.matchAll(/'([A-Z][A-Z0-9_]*)'/g)].map((match) => match[1] as string);
}

describe('configuration documentation', () => {
  const vars = varsOf(file('wrangler.toml'));
  const secrets = secretsOf(file('src/env.ts'));

  it('finds the vars and secrets it checks', () => {
    expect(vars).toContain('DIST_BASE_URL');
    expect(secrets).toContain('RELEASE_KEYS');
  });

  it.each(vars)('the README documents the var %s', (name) => {
    expect(file('README.md')).toContain(`\`${name}\``);
  });

  it.each(secrets)('the README and .dev.vars.example list the secret %s', (name) => {
    expect(file('README.md')).toContain(`\`${name}\``);
    expect(file('.dev.vars.example')).toMatch(new RegExp(`^${name}=`, 'm'));
  });
});
