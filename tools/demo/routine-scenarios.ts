/**
 * Routine events of the real release worker (issue 14; nodejs/release-cloudflare-worker):
 * they must not page anyone. Each is a few phases — site modes switched on and off, each
 * followed by sweeps — and they share one expected result: **no P0, no P1, nothing left
 * open afterwards**. A low-severity notice is allowed, at most `maxNewIncidents` per phase
 * (one per cause), as long as it closes itself within the clean sweeps the monitor needs
 * (AUTO_RESOLVE_CLEAN_SWEEPS); where the README documents one (`artifact-rebaselined` for
 * the origin fallback or a re-upload, `cache-stale` for a missing purge), `minNewIncidents`
 * requires it, which also proves the monitor saw the event at all.
 *
 * Besides, one production behaviour that is a real problem and must be found: a 404 the
 * edge may cache (`cacheable404Scenario`).
 */
import type { AttackScenario, AttackTarget } from './attacks.ts';
import { unusedVersion } from './adversary-attacks.ts';
import { artifactCatalogue } from '../dist-site/site.ts';
import type { AttackCommand } from '../dist-site/site.ts';

/** The site publishes the first eight catalogue files of each release by default. */
const PUBLISHED_FILES = 8;

export interface RoutinePhase {
  /** What happens, for someone who has never seen the project. */
  readonly what: string;
  readonly commands: readonly AttackCommand[];
  /** Sweeps after the commands (default 1). */
  readonly sweeps?: number;
  /** New incidents the phase may open at most: one per cause (default: any number). */
  readonly maxNewIncidents?: number;
  /** New incidents it must open at least (the monitor did see the event). */
  readonly minNewIncidents?: number;
}

export interface RoutineScenario {
  /** Unique and short, e.g. `R2 outage`. */
  readonly name: string;
  /** What happens on the real service, and why it is routine. */
  readonly what: string;
  /** How the monitor tells it from an attack. */
  readonly how: string;
  readonly phases: readonly RoutinePhase[];
  /** Releases the last sweep must watch (e.g. the one promoted, once the cache is purged). */
  readonly watchedAtEnd?: readonly string[];
  /** In the short `--quick` tour. */
  readonly quick: boolean;
  /** Whether `npm run demo` shows it (default true). */
  readonly inDemo?: boolean;
}

/** The expected result of every routine scenario, in words. */
export const ROUTINE_EXPECTATION = 'no P0/P1, nothing left open';

/** The release a routine scenario promotes: after the two the adversary list publishes. */
export function promotedVersion(target: AttackTarget): string {
  const newest = target.releases[0];
  if (newest === undefined) throw new Error('the site publishes no release');
  return unusedVersion(newest, target.releases, 2);
}

export function routineScenarios(target: AttackTarget): RoutineScenario[] {
  const promoted = promotedVersion(target);
  const artifacts = target.releases.flatMap((version) =>
    artifactCatalogue(version)
      .slice(0, PUBLISHED_FILES)
      .map((file) => `${version}/${file}`),
  );
  return [
    {
      name: 'R2 outage',
      what: 'R2 is unavailable: the release worker serves every file from its origin fallback (same bytes and Last-Modified, nginx ETags "<mtime>-<size>"), then R2 comes back.',
      how: 'A changed ETag makes the monitor hash the file now; the signed bytes re-baseline the pin with an audit record and at most one low-severity notice per cause, which closes itself.',
      phases: [
        {
          what: `R2 down: ${artifacts.length} artifacts served from the origin fallback`,
          commands: [{ attack: 'origin-fallback' }],
          // The documented notice (README: one P3 per cause): proof the monitor saw it.
          minNewIncidents: 1,
          maxNewIncidents: 1,
        },
        // R2's return is routine: back to a proven baseline (audit trail only), or, for a
        // release first pinned during the outage, part of the fallback's open notice.
        { what: 'R2 back', commands: [{ attack: 'reset' }], maxNewIncidents: 0 },
      ],
      quick: true,
    },
    {
      name: 'release without purge',
      what: `${promoted} is promoted while the edge cache keeps the previous index.json (s-maxage 4 h); then the cache is purged.`,
      how: 'A cached index.json that is a valid, older index of the same releases is a missing purge: a low-severity notice that closes when the cache converges, not cache-poisoned.',
      phases: [
        {
          what: 'edge cache on, warmed by a sweep',
          commands: [{ attack: 'edge-cache' }],
          maxNewIncidents: 0,
        },
        {
          what: `${promoted} promoted without a purge`,
          commands: [{ attack: 'promote-release', version: promoted }],
          // The documented cache-stale notice: proof the monitor saw the stale copy.
          minNewIncidents: 1,
          maxNewIncidents: 1,
        },
        { what: 'cache purged', commands: [{ attack: 'purge' }], maxNewIncidents: 0 },
      ],
      watchedAtEnd: [promoted],
      quick: false,
    },
    {
      name: `${artifacts.length} metadata drifts of one cause`,
      what: `Every artifact (${artifacts.length}) is uploaded again: new ETag and Last-Modified, the same bytes; later the old metadata returns.`,
      how: 'One cause is one incident: the drifts are hashed, re-baselined and reported together, once.',
      phases: [
        {
          what: `${artifacts.length} artifacts re-uploaded`,
          commands: artifacts.map((path) => ({ attack: 'change-metadata', path })),
          minNewIncidents: 1,
          maxNewIncidents: 1,
        },
        { what: 'the old metadata back', commands: [{ attack: 'reset' }], maxNewIncidents: 1 },
      ],
      quick: false,
      // The demo's change-metadata attack may hold this cause's notice open.
      inDemo: false,
    },
  ];
}

/** A 404 the edge may cache: a real problem (a new release's files stay "missing"). */
export function cacheable404Scenario(target: AttackTarget): AttackScenario {
  return {
    name: 'cacheable 404',
    what: 'Every 404 for a file is sent with the success policy (public, s-maxage=14400), as the origin fallback did: a file requested before it is published stays "missing" at the edge for 4 hours.',
    how: 'Each sweep requests a path that must 404 and judges its headers like any other answer: an error the edge may cache is a cache-policy-violation.',
    commands: [{ attack: 'cacheable-404' }],
    // The path is the monitor's own choice; only that it is under the dist root is known.
    expect: {
      kind: 'cache-policy-violation',
      severity: 'P2',
      subject: `${target.distBaseUrl}/`,
      subjectIsPrefix: true,
    },
    needsHashing: false,
    quick: false,
  };
}
