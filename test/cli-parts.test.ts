/**
 * dist-verify's pure parts: which manifest entry a local file is, which entries --only
 * picks, exit codes, what a log entry must say to count, the progress line, and the report
 * a person reads — with hostile names made harmless.
 */
import { describe, expect, it } from 'vitest';
import { recordsHash, type VerifiedHash } from '../src/cli/log-records';
import { matchLocalFile } from '../src/cli/match-files';
import { exitCodeOf, outcomeOf } from '../src/cli/problems';
import { formatBytes, formatDuration, formatProgress, createProgress } from '../src/cli/progress';
import { renderText } from '../src/cli/render-text';
import type { VerifyResult } from '../src/cli/report';
import { selectEntries } from '../src/cli/select-entries';
import { printable } from '../src/cli/terminal-text';
import { parseAlertConfig } from '../src/cli/watch-alerts';
import { parseManifest, type Manifest } from '../src/core/manifest';
import type { LogEntry } from '../src/core/tlog';

const HASH = (digit: string) => digit.repeat(64);

function manifestOf(names: string[]): Manifest {
  const text = names.map((name, index) => `${HASH(String(index % 10))}  ${name}\n`).join('');
  const parsed = parseManifest(text, { maxBytes: 1 << 20 });
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  return parsed.value;
}

// The old flat layout of v0.10.0 (node.exe beside x64/node.exe) and today's.
const V0_10 = manifestOf(['node-v0.10.0.tar.gz', 'node.exe', 'x64/node.exe', 'x64/node.lib']);
const V22 = manifestOf(['node-v22.12.0-x64.msi', 'win-x64/node.exe', 'win-x86/node.exe']);

describe('matching a local file to a manifest entry', () => {
  it('matches by the whole name at the end of the path, longest name first', () => {
    expect(matchLocalFile('downloads/x64/node.exe', V0_10)).toMatchObject({
      kind: 'entry',
      entry: { name: 'x64/node.exe' },
    });
    expect(matchLocalFile('downloads/node.exe', V0_10)).toMatchObject({
      entry: { name: 'node.exe' },
    });
    expect(matchLocalFile('C:\\dl\\x64\\node.exe', V0_10)).toMatchObject({
      entry: { name: 'x64/node.exe' },
    });
  });

  it('falls back to a unique base name', () => {
    expect(matchLocalFile('/tmp/node.lib', V0_10)).toMatchObject({
      entry: { name: 'x64/node.lib' },
    });
  });

  it('calls a base name shared by several entries ambiguous', () => {
    expect(matchLocalFile('./node.exe', V22)).toEqual({
      kind: 'ambiguous',
      candidates: ['win-x64/node.exe', 'win-x86/node.exe'],
    });
  });

  it('does not match a name the manifest does not have, even by case or prefix', () => {
    expect(matchLocalFile('NODE-v22.12.0-x64.msi', V22)).toEqual({ kind: 'not-in-manifest' });
    expect(matchLocalFile('evil-node-v22.12.0-x64.msi', V22)).toEqual({ kind: 'not-in-manifest' });
  });
});

describe('--only', () => {
  it('matches base names anywhere when the glob has no slash', () => {
    expect(selectEntries(V22, ['*.exe']).entries.map((entry) => entry.name)).toEqual([
      'win-x64/node.exe',
      'win-x86/node.exe',
    ]);
    expect(selectEntries(V22, ['win-x64/*']).entries.map((entry) => entry.name)).toEqual([
      'win-x64/node.exe',
    ]);
  });

  it('selects everything without a glob, and reports globs that match nothing', () => {
    expect(selectEntries(V22, []).entries).toHaveLength(3);
    expect(selectEntries(V22, ['*.msi', '*.pkg'])).toMatchObject({ unmatched: ['*.pkg'] });
  });
});

describe('exit codes', () => {
  it('is 1 for any verification failure, even beside something unreachable', () => {
    expect(exitCodeOf([{ code: 'unreachable' }, { code: 'hash-mismatch' }])).toBe(1);
    expect(exitCodeOf([{ code: 'absent-from-log' }])).toBe(1);
    expect(exitCodeOf([{ code: 'log-inconsistent' }])).toBe(1);
  });

  it('is 2 when nothing failed but something kept the run from deciding', () => {
    expect(exitCodeOf([{ code: 'keys-unavailable' }])).toBe(2);
    expect(exitCodeOf([{ code: 'usage' }])).toBe(2);
    expect(outcomeOf(2)).toBe('undecided');
  });

  it('is 0 only without any problem', () => {
    expect(exitCodeOf([])).toBe(0);
  });
});

describe('what a log entry must say to record a verified hash', () => {
  const manifestHash: VerifiedHash = { sha256: HASH('a'), type: 'manifest', release: 'v1.0.0' };
  const artifactHash: VerifiedHash = {
    sha256: HASH('b'),
    type: 'artifact',
    release: 'v1.0.0',
    path: 'v1.0.0/node-v1.0.0.tar.gz',
  };
  const manifestEntry: LogEntry = {
    type: 'manifest',
    release: 'v1.0.0',
    manifestSha256: HASH('a'),
    signer: 'A'.repeat(40),
    signedAt: '2026-01-01T00:00:00Z',
    files: { 'node-v1.0.0.tar.gz': HASH('b') },
    observedAt: '2026-01-01T00:00:00Z',
    vantage: 'worker',
  };
  const artifactEntry: LogEntry = {
    type: 'artifact',
    release: 'v1.0.0',
    path: 'v1.0.0/node-v1.0.0.tar.gz',
    sha256: HASH('b'),
    size: 1,
    observedAt: '2026-01-01T00:00:00Z',
    vantage: 'worker',
  };

  it('accepts the release manifest entry for the manifest and for a file it lists', () => {
    expect(recordsHash(manifestEntry, manifestHash)).toBe(true);
    expect(recordsHash(manifestEntry, artifactHash)).toBe(true);
    expect(recordsHash(artifactEntry, artifactHash)).toBe(true);
  });

  it('refuses the same digest under another release, path or role', () => {
    expect(recordsHash({ ...manifestEntry, release: 'v2.0.0' }, manifestHash)).toBe(false);
    expect(recordsHash({ ...artifactEntry, path: 'v1.0.0/other.tar.gz' }, artifactHash)).toBe(
      false,
    );
    expect(recordsHash(artifactEntry, { ...manifestHash, sha256: HASH('b') })).toBe(false);
    expect(
      recordsHash({ ...manifestEntry, files: { 'other.tar.gz': HASH('b') } }, artifactHash),
    ).toBe(false);
    expect(
      recordsHash(
        { ...manifestEntry, files: { toString: HASH('b') } },
        {
          ...artifactHash,
          path: 'v1.0.0/constructor',
        },
      ),
    ).toBe(false);
  });
});

describe('the progress line', () => {
  it('shows bytes, percentage, rate and ETA', () => {
    const line = formatProgress(
      {
        label: 'node.tar.xz',
        index: 2,
        count: 5,
        doneBytes: 5 << 20,
        totalBytes: 20 << 20,
        elapsedMs: 2000,
      },
      120,
    );
    expect(line).toContain('[2/5] node.tar.xz');
    expect(line).toContain(' 25%');
    expect(line).toContain('5.0 MiB of 20.0 MiB');
    expect(line).toContain('2.5 MiB/s');
    expect(line).toContain('ETA 6s');
  });

  it('fits a narrow terminal by shortening the name', () => {
    const line = formatProgress(
      { label: 'x'.repeat(200), index: 1, count: 1, doneBytes: 10, totalBytes: 100, elapsedMs: 10 },
      80,
    );
    expect(line.length).toBeLessThan(80);
    expect(line).toContain('…');
  });

  it('formats sizes and durations for people', () => {
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(1536)).toBe('1.5 KiB');
    expect(formatDuration(65_000)).toBe('1m05s');
    expect(formatDuration(3_900_000)).toBe('1h05m');
  });

  it('draws nothing when the stream is not a terminal', () => {
    const written: string[] = [];
    const progress = createProgress(
      { isTTY: false, write: (text) => written.push(text) },
      true,
      () => 0,
    );
    progress.start('a', 1, 1, 10);
    progress.update(5);
    progress.finish();
    expect(written).toEqual([]);
  });

  it('redraws at most ten times a second on a terminal, and clears its line', () => {
    let now = 0;
    const written: string[] = [];
    const progress = createProgress(
      { isTTY: true, columns: 100, write: (text) => written.push(text) },
      true,
      () => now,
    );
    progress.start('a', 1, 1, 10);
    progress.update(1);
    now = 50;
    progress.update(2);
    now = 150;
    progress.update(3);
    progress.finish();
    expect(written).toHaveLength(3);
    expect(written.at(-1)).toBe('\r\u001b[2K');
  });
});

describe('text from the site on a terminal', () => {
  it('replaces control characters and bidi overrides, and joins lines', () => {
    expect(printable('ok\u001b[2K\rVERIFIED')).toBe('ok\uFFFD[2K VERIFIED');
    expect(printable('a\u202eexe.txt')).toBe('a\uFFFDexe.txt');
    expect(printable('line\u2028break')).toBe('line break');
    expect(printable('node-v22.12.0.tar.gz')).toBe('node-v22.12.0.tar.gz');
  });

  it('keeps a hostile name in the report on its own line', () => {
    const result: VerifyResult = {
      schema: 1,
      tool: { name: 'dist-verify', version: '0' },
      command: 'verify',
      release: 'v1.0.0',
      distUrl: 'https://mirror.example/dist',
      checkedAt: '2026-01-01T00:00:00.000Z',
      outcome: 'failed',
      exitCode: 1,
      files: [
        {
          name: 'evil\n\u001b[1A\u001b[2KVERIFIED: all good',
          source: 'local',
          path: 'evil',
          status: 'not-in-manifest',
        },
      ],
      problems: [
        {
          code: 'not-in-manifest',
          subject: 'evil',
          message: 'x\u001b]0;title\u0007 is not a file',
        },
      ],
    };
    const lines = renderText(result);
    expect(lines.join('\n')).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
    expect(lines.filter((line) => line.startsWith('VERIFIED'))).toEqual([]);
    expect(lines.at(-1)).toMatch(/^FAILED: 1 verification failure/);
  });
});

describe('watch alert settings', () => {
  it('are off without ALERT_WEBHOOK_URLS', () => {
    expect(parseAlertConfig({})).toEqual({ ok: true, value: undefined });
  });

  it('refuse a URL without a usable secret, naming neither', () => {
    const secret = 'tooshort';
    const result = parseAlertConfig({
      ALERT_WEBHOOK_URLS: 'https://hooks.example/T0K3N',
      ALERT_WEBHOOK_SECRET: secret,
    });
    expect(result.ok).toBe(false);
    const message = result.ok ? '' : result.error;
    expect(message).toMatch(/ALERT_WEBHOOK_SECRET/);
    expect(message).not.toContain(secret);
    expect(message).not.toContain('T0K3N');
  });

  it('refuse plain http to another host, as the monitor does', () => {
    const result = parseAlertConfig({
      ALERT_WEBHOOK_URLS: 'http://hooks.example/x',
      ALERT_WEBHOOK_SECRET: `whsec_${btoa('k'.repeat(32))}`,
    });
    expect(result.ok).toBe(false);
  });
});
