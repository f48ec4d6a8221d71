/**
 * Attack commands as JSON: the list of names and the validator that turns untrusted JSON (a
 * CLI flag, a control request) into an AttackCommand, or throws a DistSiteError saying why not.
 */
import { DistSiteError } from './errors.ts';
import type { AttackCommand, AttackName } from './types.ts';

const VERSION_ATTACKS = ['alter-manifest', 'resign-manifest', 'sign-with-other-key'] as const;
const PATH_ATTACKS = ['drop-file', 'change-metadata'] as const;
const BARE_ATTACKS = ['rollback-index', 'reset'] as const;

/** Every attack name, for help texts and validation. */
export const ATTACK_NAMES: readonly AttackName[] = [
  'tamper-artifact',
  ...VERSION_ATTACKS,
  'poison-cache',
  ...PATH_ATTACKS,
  'set-header',
  'redirect',
  ...BARE_ATTACKS,
  'down',
  'slow',
];

/** Validates untrusted JSON (a CLI flag, a control request) into an AttackCommand. */
export function parseAttackCommand(value: unknown): AttackCommand {
  if (typeof value !== 'object' || value === null)
    throw new DistSiteError('attack command must be an object');
  const record = value as Record<string, unknown>;
  const text = (field: string): string => {
    const found = record[field];
    if (typeof found !== 'string' || found === '') {
      throw new DistSiteError(`attack '${String(record.attack)}' needs a string '${field}'`);
    }
    return found;
  };
  const regions = (): { regions?: readonly string[] } => {
    const found = record.regions;
    if (found === undefined) return {};
    if (
      !Array.isArray(found) ||
      found.length === 0 ||
      found.some((region) => typeof region !== 'string' || region === '')
    ) {
      throw new DistSiteError(
        `attack '${String(record.attack)}' needs 'regions' as a non-empty array of region names`,
      );
    }
    return { regions: found as string[] };
  };
  const attack = record.attack;
  if (attack === 'poison-cache') return { attack, path: text('path'), ...regions() };
  if (attack === 'down') return { attack, ...regions() };
  if (attack === 'tamper-artifact') {
    const offset = record.offset;
    if (
      offset !== undefined &&
      (typeof offset !== 'number' || !Number.isSafeInteger(offset) || offset < 0)
    ) {
      throw new DistSiteError("attack 'tamper-artifact' needs a non-negative integer 'offset'");
    }
    return {
      attack,
      version: text('version'),
      file: text('file'),
      ...(offset !== undefined && { offset }),
    };
  }
  if ((VERSION_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof VERSION_ATTACKS)[number], version: text('version') };
  }
  if ((PATH_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof PATH_ATTACKS)[number], path: text('path') };
  }
  if ((BARE_ATTACKS as readonly unknown[]).includes(attack)) {
    return { attack: attack as (typeof BARE_ATTACKS)[number] };
  }
  if (attack === 'set-header')
    return { attack, path: text('path'), name: text('name'), value: text('value') };
  if (attack === 'redirect') return { attack, path: text('path'), to: text('to') };
  if (attack === 'slow') {
    const ms = record.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new DistSiteError("attack 'slow' needs a non-negative number 'ms'");
    }
    return { attack, ms };
  }
  throw new DistSiteError(`unknown attack '${String(attack)}'; known: ${ATTACK_NAMES.join(', ')}`);
}
