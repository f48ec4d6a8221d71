// Builds dist-verify (src/cli/main.ts) into one ES module for plain Node >= 20:
// dist-cli/dist-verify.mjs, the package's `bin`. Run by `npm install` (prepare), CI and
// the end-to-end tests. Plain JavaScript so that it runs on any Node, without type stripping.
//
//   node tools/build-cli.mjs
import { chmod } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
export const CLI_OUTFILE = join(root, 'dist-cli', 'dist-verify.mjs');

await build({
  entryPoints: [join(root, 'src/cli/main.ts')],
  outfile: CLI_OUTFILE,
  bundle: true,
  platform: 'node',
  // Syntax only: esbuild does not polyfill APIs, so the code must not use newer ones.
  target: 'node20',
  format: 'esm',
  // Bundled CommonJS code may `require` Node's built-ins; ES modules have no `require`.
  banner: {
    js: [
      '#!/usr/bin/env node',
      "import { createRequire as __distVerifyCreateRequire } from 'node:module';",
      'const require = __distVerifyCreateRequire(import.meta.url);',
    ].join('\n'),
  },
  legalComments: 'none',
  logLevel: 'warning',
});
await chmod(CLI_OUTFILE, 0o755);
