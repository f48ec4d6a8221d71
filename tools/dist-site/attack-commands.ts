/**
 * Attack commands as JSON: the list of names and the validator that turns untrusted JSON (a
 * CLI flag, a control request) into an AttackCommand, or throws a DistSiteError saying why not.
 */
import { DistSiteError } from './errors.ts';
import { compileAudienceRule } from './matchers.ts';
import type { AttackCommand, AttackName, AudienceRule, ForgedAnswer } from './types.ts';

const VERSION_ATTACKS = ['alter-manifest', 'resign-manifest', 'sign-with-other-key'] as const;
const PATH_ATTACKS = ['drop-file', 'change-metadata'] as const;
const BARE_ATTACKS = ['rollback-index', 'reset', 'cacheable-404', 'edge-cache'] as const;

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
  'cloak',
  'answer-by-query',
  'substitute-manifest',
  'prune-index',
  'rewrite-index',
  'origin-fallback',
  'purge',
  'advance-clock',
  'promote-release',
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
  const hostile = parseHostileCommand(record, text) ?? parseProductionCommand(record, text);
  if (hostile !== undefined) return hostile;
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

type Record_ = Record<string, unknown>;

/** The commands of a site that tells the monitor apart and lies to it (issue 13). */
function parseHostileCommand(
  record: Record_,
  text: (field: string) => string,
): AttackCommand | undefined {
  const attack = record.attack;
  if (attack === 'cloak') {
    const [monitor, others] = answers(record, ['monitor', 'others']);
    const detect = audienceRule(record.detect);
    return {
      attack,
      path: text('path'),
      ...(monitor !== undefined && { monitor }),
      ...(others !== undefined && { others }),
      ...(detect !== undefined && { detect }),
    };
  }
  if (attack === 'answer-by-query') {
    const [query, plain] = answers(record, ['query', 'plain']);
    return {
      attack,
      path: text('path'),
      ...(query !== undefined && { query }),
      ...(plain !== undefined && { plain }),
    };
  }
  if (attack === 'substitute-manifest') {
    return { attack, version: text('version'), from: text('from') };
  }
  if (attack === 'prune-index') {
    const versions = record.versions;
    if (
      !Array.isArray(versions) ||
      versions.length === 0 ||
      versions.some((version) => typeof version !== 'string' || version === '')
    ) {
      throw new DistSiteError("attack 'prune-index' needs 'versions' as a non-empty array");
    }
    return { attack, versions: versions as string[] };
  }
  if (attack === 'rewrite-index') {
    const fields = record.fields;
    if (
      typeof fields !== 'object' ||
      fields === null ||
      Array.isArray(fields) ||
      Object.keys(fields).length === 0
    ) {
      throw new DistSiteError("attack 'rewrite-index' needs 'fields' as a non-empty object");
    }
    return { attack, version: text('version'), fields: fields as Record_ };
  }
  return undefined;
}

/** `clean`, `tampered`, or an HTTP status the site could plausibly answer with. */
function forgedAnswer(record: Record_, field: string): ForgedAnswer | undefined {
  const found = record[field];
  if (found === undefined) return undefined;
  if (found === 'clean' || found === 'tampered') return found;
  if (
    typeof found === 'number' &&
    Number.isInteger(found) &&
    (found === 304 || (found >= 400 && found <= 599))
  ) {
    return found;
  }
  throw new DistSiteError(
    `attack '${String(record.attack)}' needs '${field}' as "clean", "tampered" or a status (304, 400-599)`,
  );
}

/** The two answers of a rule, at least one of them given. */
function answers(
  record: Record_,
  fields: readonly [string, string],
): [ForgedAnswer | undefined, ForgedAnswer | undefined] {
  const found: [ForgedAnswer | undefined, ForgedAnswer | undefined] = [
    forgedAnswer(record, fields[0]),
    forgedAnswer(record, fields[1]),
  ];
  if (found[0] === undefined && found[1] === undefined) {
    throw new DistSiteError(
      `attack '${String(record.attack)}' needs '${fields[0]}', '${fields[1]}' or both`,
    );
  }
  return found;
}

function audienceRule(value: unknown): AudienceRule | undefined {
  if (value === undefined) return undefined;
  const rule = value as Record_;
  if (
    typeof value !== 'object' ||
    value === null ||
    typeof rule.header !== 'string' ||
    rule.header === '' ||
    (rule.pattern !== undefined && typeof rule.pattern !== 'string')
  ) {
    throw new DistSiteError(
      '\'detect\' must be { "header": name, "pattern"?: regular expression }',
    );
  }
  const parsed: AudienceRule = {
    header: rule.header,
    ...(rule.pattern !== undefined && { pattern: rule.pattern as string }),
  };
  compileAudienceRule(parsed);
  return parsed;
}

/** The release worker's routine behaviours and the operations around them (issue 14). */
function parseProductionCommand(
  record: Record_,
  text: (field: string) => string,
): AttackCommand | undefined {
  const attack = record.attack;
  const optional = <T>(field: string, valid: (value: unknown) => boolean, what: string) => {
    const value = record[field];
    if (value === undefined) return undefined;
    if (!valid(value))
      throw new DistSiteError(`attack '${String(attack)}' needs '${field}' as ${what}`);
    return value as T;
  };
  const nonEmptyString = (value: unknown) => typeof value === 'string' && value !== '';
  if (attack === 'origin-fallback') {
    const path = optional<string>('path', nonEmptyString, 'a path pattern');
    return { attack, ...(path !== undefined && { path }) };
  }
  if (attack === 'purge') {
    const paths = optional<string[]>(
      'paths',
      isNonEmptyStringList,
      'a non-empty array of path patterns',
    );
    return { attack, ...(paths !== undefined && { paths }) };
  }
  if (attack === 'advance-clock') {
    const ms = record.ms;
    if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < 0) {
      throw new DistSiteError("attack 'advance-clock' needs a non-negative number 'ms'");
    }
    return { attack, ms };
  }
  if (attack === 'promote-release') {
    const date = optional<string>('date', nonEmptyString, 'YYYY-MM-DD');
    const lts = optional<string | false>(
      'lts',
      (value) => value === false || nonEmptyString(value),
      'a codename or false',
    );
    const security = optional<boolean>(
      'security',
      (value) => typeof value === 'boolean',
      'a boolean',
    );
    const files = optional<string[]>('files', isNonEmptyStringList, 'a non-empty array of paths');
    return {
      attack,
      version: text('version'),
      ...(date !== undefined && { date }),
      ...(lts !== undefined && { lts }),
      ...(security !== undefined && { security }),
      ...(files !== undefined && { files }),
    };
  }
  return undefined;
}

function isNonEmptyStringList(value: unknown): boolean {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((item) => typeof item === 'string' && item !== '')
  );
}
