/**
 * A fixture dist site: a fully local imitation of https://nodejs.org/dist/ for tests and demos.
 *
 * Contract: `createDistSite()` returns a site whose `handle(request)` answers like the real
 * release worker (index.json, signed SHASUMS256.txt in both signature forms, artifacts, the
 * release worker's cache headers), and whose attack methods make it misbehave the way a
 * compromised or broken site would, until `reset()`. Artifact bytes are generated lazily and
 * deterministically from (version, file), streamed in chunks, so multi-GiB files cost no
 * memory. The modules use only web-standard APIs and openpgp, so the same code runs inside
 * workerd (vitest) and in Node (tools/dist-site/server.ts); relative imports carry their
 * `.ts` extension, which Node's type stripping needs.
 *
 * This file is the entry point: it builds the site and re-exports the public API. The site
 * lives in small modules with one job each, listed in tools/dist-site/README.md.
 */
import { DAY_MS } from './constants.ts';
import { DistSiteError } from './errors.ts';
import { FixtureDistSite } from './fixture-site.ts';
import { compileAudienceRule } from './matchers.ts';
import { defaultReleases } from './releases.ts';
import { DEMO_USER_ID, generateKey, readPrivateKey } from './signing.ts';
import type { DistSite, DistSiteOptions } from './types.ts';

export {
  DEFAULT_REGION_COLOS,
  ERROR_CACHE_CONTROL,
  REGION_HEADER,
  REQUEST_LOG_LIMIT,
  SUCCESS_CACHE_CONTROL,
} from './constants.ts';
export { ATTACK_NAMES, parseAttackCommand } from './attack-commands.ts';
export { defaultHashStream } from './bytes.ts';
export { DistSiteError } from './errors.ts';
export { DEFAULT_MONITOR_AUDIENCE, MONITOR_HEADER } from './matchers.ts';
export { artifactCatalogue, defaultReleases, indexFileId } from './releases.ts';
export type {
  AttackCommand,
  AttackName,
  AudienceRule,
  DistSite,
  DistSiteKey,
  DistSiteOptions,
  DistSiteState,
  ForgedAnswer,
  HashStream,
  PromotedRelease,
  ReleaseSpec,
  RequestLogEntry,
  SignatureForm,
} from './types.ts';

/** Builds a site; generates its signing key unless one is given. Manifests sign lazily. */
export async function createDistSite(options: DistSiteOptions = {}): Promise<DistSite> {
  const now = options.now ?? new Date();
  const releases = options.releases ?? defaultReleases(now);
  const versions = new Set<string>();
  for (const release of releases) {
    if (!/^v\d+\.\d+\.\d+$/.test(release.version))
      throw new DistSiteError(`bad version ${release.version}`);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(release.date))
      throw new DistSiteError(`bad date ${release.date}`);
    if (versions.has(release.version))
      throw new DistSiteError(`duplicate release ${release.version}`);
    versions.add(release.version);
  }
  const earliest = Math.min(
    now.getTime(),
    ...releases.map((release) => Date.parse(`${release.date}T12:00:00Z`)),
  );
  if (options.monitorAudience !== undefined) compileAudienceRule(options.monitorAudience);
  const key = options.key ?? (await generateKey(DEMO_USER_ID, new Date(earliest - DAY_MS)));
  return new FixtureDistSite(
    options,
    now,
    releases,
    await readPrivateKey(key),
    key.publicKeyArmored,
  );
}
