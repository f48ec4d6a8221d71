/**
 * Attacks of a site that tells the monitor apart (issue 13, docs/threat-model.md): it
 * cloaks files from requests that carry `cf-worker`, answers the cache-bypass query string
 * otherwise than plain requests, serves another release's signed manifest, prunes and
 * rewrites index.json. Each comes with the finding the monitor must answer it with, the way
 * the attacks of attacks.ts do, and with what else must stay true (the release is still
 * watched, nothing was pinned).
 *
 * The targets are chosen by role from what the monitor watched in its last sweep, so the
 * same list runs on the end-to-end suite's seven-release site and on the demo's three.
 * Every attack aims at its own fingerprint, so that it opens its own incident even though
 * earlier ones stay open.
 */
import type { AttackScenario, AttackTarget } from './attacks.ts';
import { artifactCatalogue } from '../dist-site/site.ts';

/**
 * The manifest rotation re-checks at least one pinned, unwatched release per sweep
 * (docs/threat-model.md, "Every signed manifest of the archive is re-checked": for 800
 * releases 8 per sweep, then 4; never fewer than one), oldest-checked first.
 */
export const MANIFEST_RECHECKS_PER_SWEEP_AT_LEAST = 1;

/**
 * Sweeps within which the rotation must reach one of `candidates` unwatched releases: one
 * per release at the documented rate, plus the sweep that may have re-checked it just
 * before the attack.
 */
export function manifestRotationBound(candidates: number): number {
  return Math.ceil(Math.max(1, candidates) / MANIFEST_RECHECKS_PER_SWEEP_AT_LEAST) + 1;
}

/** The next minor version after `version` that `taken` does not hold: v25.2.0 → v25.3.0. */
export function unusedVersion(version: string, taken: readonly string[], skip = 0): string {
  const match = /^v(\d+)\.(\d+)\.\d+$/.exec(version);
  if (!match) throw new Error(`not a release version: ${version}`);
  const [major, minor] = [Number(match[1]), Number(match[2])];
  let found = 0;
  for (let next = minor + 1; ; next += 1) {
    const candidate = `v${major}.${next}.0`;
    if (taken.includes(candidate)) continue;
    if (found === skip) return candidate;
    found += 1;
  }
}

export function adversaryScenarios(target: AttackTarget): AttackScenario[] {
  const base = target.distBaseUrl;
  const watched = target.watched ?? target.releases;
  const [w0, w1 = w0, w2 = w1] = watched;
  const wLast = watched.at(-1) ?? w2;
  if (w0 === undefined || w1 === undefined || w2 === undefined || wLast === undefined)
    throw new Error('the monitor watches no release');
  const newest = target.releases[0] ?? w0;
  const url = (path: string) => `${base}/${path}`;
  const shasums = (version: string) => url(`${version}/SHASUMS256.txt`);
  const file = (version: string, index: number) => artifactCatalogue(version)[index] as string;
  // The cache differential fetches the newest release's two smallest artifacts; the
  // smallest is the demo's `poison-cache` target, so this one takes the other.
  const sampled = target.smallArtifacts?.[1] ?? target.smallestArtifact ?? file(newest, 5);
  // An LTS release the default policy watches as its line's newest: `"lts": false` would
  // end its line's support in the eyes of a monitor that believed index.json.
  const lts = target.lts ?? {};
  const ltsRelease = [w2, ...watched].find((version) => lts[version]) ?? w2;
  // Two new releases: the donor is signed today too, so only the binding of names to the
  // release can tell (an older donor's signature would also predate the new release).
  const donor = unusedVersion(newest, target.releases);
  const substituted = unusedVersion(newest, target.releases, 1);
  const unwatched = target.releases.filter((version) => !watched.includes(version));
  const [oldRelease] = unwatched;

  const scenarios: AttackScenario[] = [
    {
      name: 'cloak: manifest 403 to the monitor',
      what: `${w0}/SHASUMS256.txt answers 403 to requests that carry cf-worker (every Worker's subrequests do) and the signed file to everyone else.`,
      how: 'Any answer other than the file, for a signed file of a known release, is manifest-unavailable: P2 at once, P1 after 30 minutes, P0 after 2 hours. Never a skip.',
      commands: [{ attack: 'cloak', path: `${w0}/SHASUMS256.txt`, monitor: 403 }],
      expect: { kind: 'manifest-unavailable', severity: 'P2', subject: shasums(w0) },
      needsHashing: false,
      quick: true,
      checks: [{ check: 'watched', version: w0 }],
    },
    {
      name: 'cloak: manifest 304 to the monitor',
      what: `${w1}/SHASUMS256.txt answers 304 Not Modified to the monitor's unconditional requests.`,
      how: 'A 304 to a request that was not conditional is not the file: manifest-unavailable.',
      commands: [{ attack: 'cloak', path: `${w1}/SHASUMS256.txt`, monitor: 304 }],
      expect: { kind: 'manifest-unavailable', severity: 'P2', subject: shasums(w1) },
      needsHashing: false,
      quick: false,
      inDemo: false,
    },
    {
      name: 'cloak: manifest 451 to the monitor',
      what: `${w2}/SHASUMS256.txt answers 451 Unavailable For Legal Reasons to the monitor only.`,
      how: 'Whatever the status, a signed file withheld from the monitor is manifest-unavailable.',
      commands: [{ attack: 'cloak', path: `${w2}/SHASUMS256.txt`, monitor: 451 }],
      expect: { kind: 'manifest-unavailable', severity: 'P2', subject: shasums(w2) },
      needsHashing: false,
      quick: false,
      inDemo: false,
    },
    {
      name: 'cloak: manifest withheld, artifact tampered',
      what: `${wLast}/SHASUMS256.txt answers 403 to the monitor, and one byte of ${wLast}/${file(wLast, 0)} is flipped.`,
      how: 'A pinned release is checked against its pin whatever its manifest answers: withholding the manifest hides nothing.',
      commands: [
        { attack: 'cloak', path: `${wLast}/SHASUMS256.txt`, monitor: 403 },
        { attack: 'tamper-artifact', version: wLast, file: file(wLast, 0) },
      ],
      expect: {
        kind: 'artifact-hash-mismatch',
        severity: 'P0',
        subject: url(`${wLast}/${file(wLast, 0)}`),
      },
      needsHashing: true,
      quick: false,
    },
    {
      name: 'answer-by-query: tampered bytes on the plain URL',
      what: `${newest}/${sampled} is tampered for plain requests (what users download) and clean for any query string (the monitor's cache bypass).`,
      how: 'Tampered bytes that users receive are a supply-chain P0 wherever they come from; a clean copy past the cache can add cache-poisoned, never lower it.',
      commands: [
        {
          attack: 'answer-by-query',
          path: `${newest}/${sampled}`,
          query: 'clean',
          plain: 'tampered',
        },
      ],
      expect: {
        kind: 'artifact-hash-mismatch',
        severity: 'P0',
        subject: url(`${newest}/${sampled}`),
      },
      needsHashing: true,
      quick: false,
    },
    {
      name: 'prune-index: a pinned release',
      what: `index.json leaves out ${w1}, a pinned release; its files stay served.`,
      how: 'Pins outlive index.json: a pinned release it no longer lists is index-rollback, and the release is still checked.',
      commands: [{ attack: 'prune-index', versions: [w1] }],
      expect: { kind: 'index-rollback', severity: 'P1', subject: url('index.json') },
      needsHashing: false,
      quick: false,
      checks: [{ check: 'watched', version: w1 }],
      // The demo's rollback-index attack holds this fingerprint open already.
      inDemo: false,
    },
    {
      name: 'prune-index: a pinned release, then tamper with it',
      what: `index.json leaves out ${w1}, and one byte of ${w1}/${file(w1, 2)} is flipped.`,
      how: 'The set checked comes from the pins, not from what the site lists today: the flipped byte is still found.',
      commands: [
        { attack: 'prune-index', versions: [w1] },
        { attack: 'tamper-artifact', version: w1, file: file(w1, 2) },
      ],
      expect: {
        kind: 'artifact-hash-mismatch',
        severity: 'P0',
        subject: url(`${w1}/${file(w1, 2)}`),
      },
      needsHashing: true,
      quick: false,
    },
    {
      name: 'rewrite-index: "lts": false',
      what: `index.json rewrites ${ltsRelease}'s entry to "lts": false, which would end its line's support for a monitor that believed it.`,
      how: 'A pinned release keeps its pinned entry: the rewrite is index-entry-rewritten, and the release stays watched.',
      commands: [{ attack: 'rewrite-index', version: ltsRelease, fields: { lts: false } }],
      expect: { kind: 'index-entry-rewritten', severity: 'P1', subject: url('index.json') },
      needsHashing: false,
      quick: false,
      checks: [{ check: 'watched', version: ltsRelease }],
    },
    {
      name: 'rewrite-index: "lts": false, then an unsigned manifest edit',
      what: `index.json says ${ltsRelease} is not LTS, and one hash in its SHASUMS256.txt is changed under the old signature.`,
      how: 'The release is still watched, so the edit is found in the same sweep.',
      commands: [
        { attack: 'rewrite-index', version: ltsRelease, fields: { lts: false } },
        { attack: 'alter-manifest', version: ltsRelease },
      ],
      expect: { kind: 'manifest-signature-invalid', severity: 'P0', subject: shasums(ltsRelease) },
      needsHashing: false,
      quick: false,
      // The demo's sign-with-other-key attack holds this fingerprint open on its site.
      inDemo: false,
    },
  ];

  if (oldRelease !== undefined) {
    scenarios.push({
      name: 'manifest rotation: an old release edited, signatures deleted',
      what: `${oldRelease} (pinned, not watched) gets one hash of its SHASUMS256.txt changed, and its .sig and .asc deleted.`,
      how: 'Every pinned manifest of the archive is re-checked on a rotation, a few releases per sweep: the edit differs from the pin (manifest-changed, P0).',
      commands: [
        { attack: 'alter-manifest', version: oldRelease },
        { attack: 'drop-file', path: `${oldRelease}/SHASUMS256.txt.sig` },
        { attack: 'drop-file', path: `${oldRelease}/SHASUMS256.txt.asc` },
      ],
      expect: { kind: 'manifest-changed', severity: 'P0', subject: shasums(oldRelease) },
      needsHashing: false,
      quick: false,
      maxSweeps: manifestRotationBound(unwatched.length),
    });
  }

  // Last: the releases it publishes change what "newest" means for the others.
  scenarios.push({
    name: 'substitute-manifest: another release’s signed manifest',
    what: `Two releases are published today, ${donor} and ${substituted}; ${substituted}'s SHASUMS256.txt, .sig and .asc are byte copies of ${donor}'s (validly signed today, ${donor}'s file names), and one of its own artifacts is tampered.`,
    how: 'A manifest pins only the release it names: every versioned file name must carry that version. Not bound is manifest-signature-invalid (P0), and nothing is pinned.',
    commands: [
      { attack: 'promote-release', version: donor },
      { attack: 'promote-release', version: substituted },
      { attack: 'substitute-manifest', version: substituted, from: donor },
      { attack: 'tamper-artifact', version: substituted, file: file(substituted, 0) },
    ],
    expect: { kind: 'manifest-signature-invalid', severity: 'P0', subject: shasums(substituted) },
    needsHashing: false,
    quick: false,
    checks: [{ check: 'never-pinned', version: substituted }],
  });
  return scenarios;
}
