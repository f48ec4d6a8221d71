// Lint: typescript-eslint's recommended type-aware rules, plus the house rule that the
// pure core never reaches for Cloudflare, Hono or an adapter.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      'node_modules/',
      'dist/',
      'dist-cli/',
      '.wrangler/',
      '.stryker-tmp/',
      'reports/',
      'worker-configuration.d.ts',
      '**/*.mjs',
      '**/*.js',
    ],
  },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_' },
      ],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['cloudflare:*'],
              message: 'src/core is pure: no Cloudflare runtime imports.',
            },
            { group: ['hono', 'hono/*'], message: 'src/core is pure: no HTTP framework.' },
            {
              group: ['../adapters/*', '../durable/*', '../http/*', '../jobs/*'],
              message: 'src/core must not import adapters.',
            },
          ],
        },
      ],
      'no-restricted-globals': [
        'error',
        { name: 'fetch', message: 'src/core never does I/O: take data in, return data out.' },
      ],
      'no-restricted-properties': [
        'error',
        {
          object: 'Date',
          property: 'now',
          message: 'src/core never asks the clock: take `now` as an argument.',
        },
      ],
    },
  },
);
