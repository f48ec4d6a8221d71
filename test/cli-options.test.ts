/**
 * dist-verify's command line, after tokenising: what each combination of flags means, and
 * that every mistake is a usage error naming the flag (exit 2), never a guess.
 */
import { describe, expect, it } from 'vitest';
import { interpretArgs, type CliCommand, type RawArgs } from '../src/cli/options';

function interpret(positionals: string[], values: RawArgs['values'] = {}) {
  return interpretArgs({ positionals, values });
}

function command(positionals: string[], values: RawArgs['values'] = {}): CliCommand {
  const result = interpret(positionals, values);
  if (!result.ok) throw new Error(`expected a command, got: ${result.error.message}`);
  return result.value;
}

function usageError(positionals: string[], values: RawArgs['values'] = {}): string {
  const result = interpret(positionals, values);
  if (result.ok) throw new Error(`expected a usage error, got ${result.value.kind}`);
  expect(result.error.name).toBe('UsageError');
  return result.error.message;
}

describe('dist-verify <version>', () => {
  it('verifies one release on the real site with the pinned keys by default', () => {
    const parsed = command(['v22.12.0']);
    expect(parsed).toMatchObject({
      kind: 'verify',
      release: 'v22.12.0',
      files: [],
      download: { enabled: false, only: [] },
      common: {
        distUrl: 'https://nodejs.org/dist',
        keysUrlTemplate: 'https://github.com/nodejs/release-keys/raw/HEAD/keys/{fingerprint}.asc',
        json: false,
        timeoutMs: 30_000,
      },
    });
    expect(parsed.kind === 'verify' && parsed.common.keysFile).toBeUndefined();
    expect(parsed.kind === 'verify' && parsed.common.log).toBeUndefined();
  });

  it('adds the v a version written without it', () => {
    expect(command(['22.12.0'])).toMatchObject({ release: 'v22.12.0' });
  });

  it('takes the files after the version', () => {
    expect(command(['v22.12.0', 'a.tar.gz', 'win-x64/node.exe'])).toMatchObject({
      files: ['a.tar.gz', 'win-x64/node.exe'],
    });
  });

  it.each(['v22', 'latest', 'v22.12.0-rc.1', '../v22.12.0', 'v022.1.0'])(
    'refuses %s as a version',
    (version) => {
      expect(usageError([version])).toMatch(/is not a release version/);
    },
  );

  it('asks for a version when none is given', () => {
    expect(usageError([])).toMatch(/give a release version/);
  });

  it('reads --dist-url as DIST_BASE_URL is read, without the trailing slash', () => {
    expect(command(['v1.0.0'], { 'dist-url': 'http://127.0.0.1:8787/dist/' })).toMatchObject({
      common: { distUrl: 'http://127.0.0.1:8787/dist' },
    });
    expect(usageError(['v1.0.0'], { 'dist-url': 'ftp://mirror/dist' })).toMatch(/^--dist-url:/);
  });

  it('takes --keys as the whole trust set and refuses --keys-url beside it', () => {
    expect(command(['v1.0.0'], { keys: 'keys.asc' })).toMatchObject({
      common: { keysFile: 'keys.asc' },
    });
    expect(
      usageError(['v1.0.0'], { keys: 'keys.asc', 'keys-url': 'https://k/{fingerprint}' }),
    ).toMatch(/--keys replaces the trust set/);
  });

  it('needs {fingerprint} in --keys-url', () => {
    expect(usageError(['v1.0.0'], { 'keys-url': 'https://keys.example/all.asc' })).toMatch(
      /\{fingerprint\}/,
    );
  });

  it('keeps --only and --out for --download', () => {
    expect(
      command(['v1.0.0'], { download: true, only: ['*.msi', 'win-x64/*'], out: 'dl' }),
    ).toMatchObject({ download: { enabled: true, only: ['*.msi', 'win-x64/*'], outDir: 'dl' } });
    expect(usageError(['v1.0.0'], { only: ['*.msi'] })).toMatch(/--only selects what --download/);
    expect(usageError(['v1.0.0'], { out: 'dl' })).toMatch(/--out keeps what --download/);
    expect(usageError(['v1.0.0'], { download: true, only: [' '] })).toMatch(/--only needs a glob/);
  });

  it('bounds --timeout', () => {
    expect(command(['v1.0.0'], { timeout: '2.5' })).toMatchObject({
      common: { timeoutMs: 2500 },
    });
    for (const bad of ['0', '-1', 'soon', '3601']) {
      expect(usageError(['v1.0.0'], { timeout: bad })).toMatch(/--timeout takes seconds/);
    }
  });
});

describe('--log and --log-key', () => {
  const key = 'monitor.example/log+01234567+AQID';

  it('finds the log under /log of the monitor URL, and its lookup under /api', () => {
    for (const url of [
      'https://monitor.example',
      'https://monitor.example/',
      'https://monitor.example/log',
    ]) {
      expect(command(['v1.0.0'], { log: url, 'log-key': key })).toMatchObject({
        common: {
          log: {
            prefixUrl: 'https://monitor.example/log',
            lookupUrl: 'https://monitor.example/api/log/lookup',
            verifierKey: key,
          },
        },
      });
    }
  });

  it('refuses a log without its key, and a key without a log', () => {
    expect(usageError(['v1.0.0'], { log: 'https://monitor.example' })).toMatch(
      /--log needs --log-key/,
    );
    expect(usageError(['v1.0.0'], { 'log-key': key })).toMatch(/--log-key needs --log/);
  });

  it('refuses a log URL that is not http(s) or carries a query', () => {
    expect(usageError(['v1.0.0'], { log: 'file:///tmp/log', 'log-key': key })).toMatch(/http\(s\)/);
    expect(usageError(['v1.0.0'], { log: 'https://m.example/?a=1', 'log-key': key })).toMatch(
      /without a query/,
    );
  });
});

describe('dist-verify watch', () => {
  it('uses the monitor watch policy defaults (WATCH_NEWEST 3, every supported line)', () => {
    expect(command(['watch'])).toMatchObject({ kind: 'watch', newest: 3, lines: [] });
  });

  it('reads --newest and --lines as WATCH_NEWEST and WATCH_LINES', () => {
    expect(command(['watch'], { newest: '1', lines: 'v22,24.x' })).toMatchObject({
      newest: 1,
      lines: [22, 24],
    });
    expect(usageError(['watch'], { newest: '99' })).toMatch(/^--newest:/);
    expect(usageError(['watch'], { lines: 'lts' })).toMatch(/^--lines:/);
  });

  it('keeps --newest and --lines to watch, and --out to one release', () => {
    expect(usageError(['v1.0.0'], { newest: '2' })).toMatch(/belong to `dist-verify watch`/);
    expect(usageError(['watch'], { download: true, out: 'dl' })).toMatch(
      /--out is for one release/,
    );
    expect(usageError(['watch', 'file.tar.gz'])).toMatch(/takes no file arguments/);
  });
});

describe('help and version', () => {
  it('wins over everything else on the line', () => {
    expect(command(['v1.0.0'], { help: true, timeout: 'never' })).toEqual({ kind: 'help' });
    expect(command([], { version: true })).toEqual({ kind: 'version' });
  });
});
