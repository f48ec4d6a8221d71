/**
 * Node.js release versions as index.json spells them: `v<major>.<minor>.<patch>`.
 *
 * Contract: parsing is strict (a leading `v`, three decimal integers, no leading zeros
 * except a lone `0`, no pre-release or build suffix, at most 32 characters), so a
 * version can be used as a path segment and compared numerically without surprises.
 * Ordering is numeric per component (`v10.0.0` > `v9.11.2`, `v0.12.0` > `v0.10.0`).
 */
import { err, ok, type Result } from './result';

/** A parsed release version. Components are non-negative safe integers. */
export interface Version {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
}

/** Longer input is rejected before the pattern runs: versions are short, hostile input is not. */
export const MAX_VERSION_LENGTH = 32;

// Nine digits per component keeps every number a safe integer.
const VERSION_PATTERN = /^v(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})\.(0|[1-9]\d{0,8})$/;

export function parseVersion(text: string): Result<Version, string> {
  if (text.length > MAX_VERSION_LENGTH) {
    return err(`version is longer than ${MAX_VERSION_LENGTH} characters`);
  }
  const match = VERSION_PATTERN.exec(text);
  if (match === null) {
    return err(`"${text}" is not a version of the form v<major>.<minor>.<patch>`);
  }
  const [, major = '', minor = '', patch = ''] = match;
  return ok({ major: Number(major), minor: Number(minor), patch: Number(patch) });
}

export function formatVersion(version: Version): string {
  return `v${version.major}.${version.minor}.${version.patch}`;
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function compareVersions(a: Version, b: Version): number {
  return Math.sign(a.major - b.major || a.minor - b.minor || a.patch - b.patch);
}

/**
 * The release line a version belongs to: its major. All of `v0.x` counts as line 0;
 * those lines ended long before the monitor existed, so nothing depends on telling
 * `v0.10` from `v0.12`.
 */
export function majorLine(version: Version): number {
  return version.major;
}

/** How operators name a line: `v22`. */
export function lineLabel(major: number): string {
  return `v${major}`;
}
