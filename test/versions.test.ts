import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareVersions,
  formatVersion,
  lineLabel,
  majorLine,
  parseVersion,
  type Version,
} from '../src/core/versions';

function version(text: string): Version {
  const parsed = parseVersion(text);
  if (!parsed.ok) throw new Error(`test setup: ${parsed.error}`);
  return parsed.value;
}

describe('parseVersion', () => {
  it.each([
    ['v24.11.1', { major: 24, minor: 11, patch: 1 }],
    ['v0.0.0', { major: 0, minor: 0, patch: 0 }],
    ['v0.10.48', { major: 0, minor: 10, patch: 48 }],
    ['v999999999.0.10', { major: 999999999, minor: 0, patch: 10 }],
  ])('accepts %s', (text, expected) => {
    expect(parseVersion(text)).toEqual({ ok: true, value: expected });
  });

  it.each([
    ['no leading v', '24.11.1'],
    ['capital V', 'V24.11.1'],
    ['two components', 'v24.11'],
    ['four components', 'v24.11.1.0'],
    ['leading zero in major', 'v01.0.0'],
    ['leading zero in minor', 'v1.00.0'],
    ['leading zero in patch', 'v1.0.01'],
    ['pre-release suffix', 'v25.0.0-rc.1'],
    ['build suffix', 'v25.0.0+build'],
    ['leading space', ' v1.0.0'],
    ['trailing newline', 'v1.0.0\n'],
    ['empty string', ''],
    ['negative number', 'v-1.0.0'],
    ['non-ASCII digit', 'v１.0.0'],
    ['ten-digit component (not a safe bound)', 'v1234567890.0.0'],
    ['longer than the bound', `v1.0.${'1'.repeat(40)}`],
    ['path traversal', 'v1.0.0/../x'],
  ])('rejects %s', (_name, text) => {
    const parsed = parseVersion(text);
    expect(parsed.ok).toBe(false);
  });

  it('does not echo an over-long input in its error', () => {
    const parsed = parseVersion('v'.repeat(10_000));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error.length).toBeLessThan(100);
  });
});

describe('compareVersions', () => {
  it.each([
    ['v10.0.0', 'v9.11.2', 1],
    ['v0.10.0', 'v0.12.0', -1],
    ['v0.12.18', 'v4.0.0', -1],
    ['v24.10.0', 'v24.2.0', 1],
    ['v24.11.1', 'v24.11.0', 1],
    ['v22.21.1', 'v22.21.1', 0],
    ['v25.0.0', 'v24.99.99', 1],
  ])('orders %s against %s as %i', (a, b, expected) => {
    expect(compareVersions(version(a), version(b))).toBe(expected);
  });

  it('sorts a release list numerically, not as strings', () => {
    const texts = ['v9.11.2', 'v0.12.18', 'v10.0.0', 'v0.10.48', 'v24.2.0', 'v24.10.0', 'v4.9.1'];
    const sorted = texts.map(version).sort(compareVersions).map(formatVersion);
    expect(sorted).toEqual([
      'v0.10.48',
      'v0.12.18',
      'v4.9.1',
      'v9.11.2',
      'v10.0.0',
      'v24.2.0',
      'v24.10.0',
    ]);
  });
});

describe('release lines', () => {
  it('names the line by its major', () => {
    expect(majorLine(version('v22.21.1'))).toBe(22);
    expect(lineLabel(majorLine(version('v22.21.1')))).toBe('v22');
  });

  it('puts all of v0.x on line 0', () => {
    expect(majorLine(version('v0.10.48'))).toBe(majorLine(version('v0.12.18')));
  });
});

describe('version properties', () => {
  // Small components make equal and adjacent versions common; large ones cover the bound.
  const component = fc.oneof(fc.nat(3), fc.nat(999_999_999));
  const versions = fc.record({ major: component, minor: component, patch: component });

  it('compareVersions is antisymmetric', () => {
    fc.assert(
      fc.property(versions, versions, (a, b) => {
        expect(compareVersions(a, b)).toBe(-compareVersions(b, a) || 0);
      }),
    );
  });

  it('compareVersions is transitive', () => {
    fc.assert(
      fc.property(versions, versions, versions, (a, b, c) => {
        if (compareVersions(a, b) <= 0 && compareVersions(b, c) <= 0) {
          expect(compareVersions(a, c)).toBeLessThanOrEqual(0);
        }
      }),
    );
  });

  it('formatting then parsing gives the same version', () => {
    fc.assert(
      fc.property(versions, (v) => {
        expect(parseVersion(formatVersion(v))).toEqual({ ok: true, value: v });
      }),
    );
  });
});
