/**
 * The attacks the demo walks through and the end-to-end tests assert, each with the
 * finding the monitor must answer it with (kind, severity, subject: so its fingerprint).
 *
 * Every attack targets its own file or release, so that each expected fingerprint is new
 * when its attack runs even though earlier incidents stay open.
 */
import type { FindingKind, Severity } from '../../src/core/findings.ts';
import { artifactCatalogue } from '../dist-site/site.ts';
import type { AttackCommand } from '../dist-site/site.ts';

export interface ExpectedFinding {
  readonly kind: FindingKind;
  readonly severity: Severity;
  /** The finding's subject; its fingerprint is `kind subject`. */
  readonly subject: string;
  /**
   * Only the start of the subject is known (a URL the monitor chooses itself, e.g. the
   * path it requests to see a 404): any subject under `subject` answers.
   */
  readonly subjectIsPrefix?: boolean;
}

/**
 * Something else an attack must leave true, checked from outside after it: the sweep still
 * watches a release (it is still checked in depth), or the transparency log holds no
 * manifest entry of a release (it was never pinned).
 */
export type AttackCheck =
  | { readonly check: 'watched'; readonly version: string }
  | { readonly check: 'never-pinned'; readonly version: string };

export interface AttackScenario {
  /** Unique and short, e.g. `set-header: Set-Cookie`. */
  readonly name: string;
  /** What the site now does, for someone who has never seen the project. */
  readonly what: string;
  /** How the monitor can tell. */
  readonly how: string;
  readonly commands: readonly AttackCommand[];
  readonly expect: ExpectedFinding;
  /** Only the hash queue's consumer can see it: wait for hashing after the sweep. */
  readonly needsHashing: boolean;
  /** In the short `--quick` tour. */
  readonly quick: boolean;
  /**
   * Sweeps the monitor may take to find it (default 1): a rotation reaches a release only
   * every few sweeps. The bound comes from the documented rate, never from trying.
   */
  readonly maxSweeps?: number;
  /** More that must hold after the attack (see `AttackCheck`). */
  readonly checks?: readonly AttackCheck[];
  /** Whether `npm run demo` shows it (default true): some need a site the demo does not run. */
  readonly inDemo?: boolean;
  /**
   * A routine event, not an attack: the monitor raises a notice once and closes it itself
   * (it is not seen again on the next sweep).
   */
  readonly closesItself?: boolean;
}

export interface AttackTarget {
  /** What the monitor watches, e.g. `http://127.0.0.1:41234/dist`. */
  readonly distBaseUrl: string;
  /** The site's releases, newest first (at least one). */
  readonly releases: readonly string[];
  /**
   * The newest release's smallest artifact: the cache differential samples the smallest
   * ones each sweep. Default: its sixth file.
   */
  readonly smallestArtifact?: string;
  /** The newest release's artifacts, smallest first (the cache differential samples two). */
  readonly smallArtifacts?: readonly string[];
  /** What the monitor's last sweep watched (checked in depth), newest first. */
  readonly watched?: readonly string[];
  /** index.json's `lts` of each release (a codename, or false). */
  readonly lts?: Readonly<Record<string, string | false>>;
}

/** The site publishes the first eight catalogue files of each release by default. */
const PUBLISHED_FILES = 8;

/** Slow enough to cross the monitor's latency threshold, far from its request timeout. */
export const SLOW_MS = 300;

export function attackScenarios(target: AttackTarget): AttackScenario[] {
  const base = target.distBaseUrl;
  const newest = target.releases[0];
  if (newest === undefined) throw new Error('the site publishes no release');
  const second = target.releases[1] ?? newest;
  const third = target.releases[2] ?? second;
  const files = artifactCatalogue(newest).slice(0, PUBLISHED_FILES);
  const file = (index: number) => files[index] as string;
  const url = (path: string) => `${base}/${path}`;
  const shasums = (version: string) => url(`${version}/SHASUMS256.txt`);
  const small = target.smallestArtifact ?? file(5);
  // Not one the cache differential samples (the two smallest): the poison-cache attack's
  // P0 on its file would otherwise join this attack's open incident and page nobody. Nor
  // one another attack here aims at (files 1, 3, 4).
  const taken = [...(target.smallArtifacts?.slice(0, 2) ?? [small]), file(1), file(3), file(4)];
  const tampered = files.find((name) => !taken.includes(name)) ?? file(0);

  return [
    {
      name: 'tamper-artifact',
      what: `One byte of ${newest}/${tampered} is flipped; its size, ETag and Last-Modified stay the same.`,
      how: 'Only hashing the bytes shows it: a queue consumer streams the file through SHA-256 and compares with the signed manifest.',
      commands: [{ attack: 'tamper-artifact', version: newest, file: tampered }],
      expect: {
        kind: 'artifact-hash-mismatch',
        severity: 'P0',
        subject: url(`${newest}/${tampered}`),
      },
      needsHashing: true,
      quick: true,
    },
    {
      name: 'resign-manifest',
      what: `${newest}/SHASUMS256.txt lists a different hash and is validly signed again with the trusted key.`,
      how: 'The signature is fine, so only the pin taken at first sight catches it: release files never change.',
      commands: [{ attack: 'resign-manifest', version: newest }],
      expect: { kind: 'manifest-changed', severity: 'P0', subject: shasums(newest) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'alter-manifest',
      what: `One hash in ${second}/SHASUMS256.txt is changed under its old signature.`,
      how: 'The OpenPGP signature no longer verifies.',
      commands: [{ attack: 'alter-manifest', version: second }],
      expect: { kind: 'manifest-signature-invalid', severity: 'P0', subject: shasums(second) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'sign-with-other-key',
      what: `${third}/SHASUMS256.txt is signed by a key that is not a release key.`,
      how: 'Only pinned release key fingerprints are trusted.',
      commands: [{ attack: 'sign-with-other-key', version: third }],
      expect: { kind: 'manifest-signature-invalid', severity: 'P0', subject: shasums(third) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'drop-file',
      what: `${newest}/${file(1)} answers 404 although the signed manifest lists it.`,
      how: 'Every listed artifact is checked with a HEAD request each sweep.',
      commands: [{ attack: 'drop-file', path: `${newest}/${file(1)}` }],
      expect: { kind: 'artifact-missing', severity: 'P2', subject: url(`${newest}/${file(1)}`) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'set-header: Set-Cookie',
      what: 'index.json sets a cookie.',
      how: 'A download site has no reason to set cookies; every response seen is checked.',
      commands: [
        {
          attack: 'set-header',
          path: 'index.json',
          name: 'Set-Cookie',
          value: 'session=demo-secret; Path=/',
        },
      ],
      expect: { kind: 'header-disclosure', severity: 'P2', subject: url('index.json') },
      needsHashing: false,
      quick: true,
    },
    {
      name: 'set-header: x-powered-by',
      what: `${newest}/SHASUMS256.txt leaks an internal header (x-powered-by).`,
      how: 'Headers on the denylist (DISCLOSURE_HEADER_DENYLIST) must never be sent.',
      commands: [
        {
          attack: 'set-header',
          path: `${newest}/SHASUMS256.txt`,
          name: 'x-powered-by',
          value: 'demo-backend/1.0',
        },
      ],
      expect: { kind: 'header-disclosure', severity: 'P2', subject: shasums(newest) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'set-header: Cache-Control',
      what: 'index.json is served with Cache-Control: public, max-age=31536000 (cached for a year).',
      how: "Cache-Control must equal the release worker's policy.",
      commands: [
        {
          attack: 'set-header',
          path: 'index.json',
          name: 'Cache-Control',
          value: 'public, max-age=31536000',
        },
      ],
      expect: { kind: 'cache-policy-violation', severity: 'P2', subject: url('index.json') },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'redirect',
      what: `${newest}/${file(3)} redirects to https://downloads.evil.example/.`,
      how: 'Redirects are never followed blindly: the target host must be on ALLOWED_REDIRECT_HOSTS.',
      commands: [
        {
          attack: 'redirect',
          path: `${newest}/${file(3)}`,
          to: `https://downloads.evil.example/${file(3)}`,
        },
      ],
      expect: { kind: 'foreign-redirect', severity: 'P1', subject: url(`${newest}/${file(3)}`) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'rollback-index',
      what: `index.json no longer lists ${newest}, as if the site went back in time.`,
      how: 'The newest version seen is remembered; an index that goes back is a rollback.',
      commands: [{ attack: 'rollback-index' }],
      expect: { kind: 'index-rollback', severity: 'P1', subject: url('index.json') },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'poison-cache: artifact',
      what: `The cache serves other bytes for ${newest}/${small}, with the same size, ETag and Last-Modified; the origin is clean.`,
      how: 'Each sweep fetches its smallest artifacts twice, through the cache and around it, and hashes both: the origin is clean, so the cache is poisoned (P1, purge); users receive bytes that fail the signed hash, so artifact-hash-mismatch (P0) is raised beside it, never lowered to P1.',
      commands: [{ attack: 'poison-cache', path: `${newest}/${small}` }],
      expect: { kind: 'cache-poisoned', severity: 'P1', subject: url(`${newest}/${small}`) },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'poison-cache: index.json',
      what: 'The cached index.json differs from the origin (here: an older copy); the origin is clean.',
      how: 'An index that looks rolled back is fetched again around the cache: the origin disagrees, so it is the cache that is poisoned (an older copy than one already served is no missing purge).',
      commands: [{ attack: 'poison-cache', path: 'index.json' }],
      expect: { kind: 'cache-poisoned', severity: 'P1', subject: url('index.json') },
      needsHashing: false,
      quick: true,
    },
    {
      name: 'down',
      what: 'Every request gets 503 Service Unavailable.',
      how: 'Failed sweeps are counted; the demo calls an outage after one (OUTAGE_THRESHOLD=1).',
      commands: [{ attack: 'down' }],
      expect: { kind: 'origin-unavailable', severity: 'P0', subject: base },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'slow',
      what: `Every response is delayed by ${SLOW_MS} ms.`,
      how: 'The median latency of a sweep is compared with LATENCY_THRESHOLD_MS (200 ms in the demo).',
      commands: [{ attack: 'slow', ms: SLOW_MS }],
      expect: { kind: 'latency-degraded', severity: 'P2', subject: base },
      needsHashing: false,
      quick: false,
    },
    {
      name: 'change-metadata',
      what: `${newest}/${file(4)} gets a new ETag and Last-Modified; the bytes are the same (a re-upload).`,
      how: 'A changed ETag or Last-Modified makes the monitor hash the file at once: the signed bytes re-baseline the pin (audit record in the pin) and raise one public P3 notice per cause, which closes itself.',
      commands: [{ attack: 'change-metadata', path: `${newest}/${file(4)}` }],
      expect: {
        kind: 'artifact-rebaselined',
        severity: 'P3',
        subject: `${base}#republished`,
      },
      needsHashing: true,
      quick: false,
      closesItself: true,
    },
  ];
}

export function fingerprintOfExpected(expected: ExpectedFinding): string {
  return `${expected.kind} ${expected.subject}${expected.subjectIsPrefix === true ? '…' : ''}`;
}

/**
 * Whether an incident answers the expected finding: its own (`kind subject`), or a grouped
 * incident of that kind whose subjects include it (one cause, many URLs: the monitor files
 * findings that share a cause as one incident listing its subjects).
 */
export function matchesExpected(
  incident: {
    readonly fingerprint: string;
    readonly kind: string;
    readonly subject: string;
    readonly subjects?: readonly string[];
  },
  expected: ExpectedFinding,
): boolean {
  if (incident.kind !== expected.kind) return false;
  const subjects = [incident.subject, ...(incident.subjects ?? [])];
  return subjects.some((subject) =>
    expected.subjectIsPrefix === true
      ? subject.startsWith(expected.subject)
      : subject === expected.subject,
  );
}
