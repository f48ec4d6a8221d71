/**
 * The attack methods: each changes the attack state (and records the command it stands for),
 * so that the site's next answers misbehave the way a compromised or hostile site would,
 * until `reset()`. The site (fixture-site.ts) builds on this class and answers requests.
 */
import type * as openpgp from 'openpgp';
import { freshAttackState, type AttackState } from './attack-state.ts';
import type { SiteClock } from './clock.ts';
import { DistSiteError } from './errors.ts';
import { compileAudienceRule, compilePathPattern, normalisePath } from './matchers.ts';
import type { SiteContent } from './site-content.ts';
import {
  alterFirstHash,
  generateKey,
  OTHER_USER_ID,
  readPrivateKey,
  signManifest,
} from './signing.ts';
import type { AttackCommand, AudienceRule, ForgedAnswer } from './types.ts';

export class SiteAttacks {
  protected readonly content: SiteContent;
  protected readonly clock: SiteClock;
  protected readonly monitorAudience: AudienceRule;
  protected attacks: AttackState = freshAttackState();
  readonly #key: openpgp.PrivateKey;
  #otherKey: Promise<openpgp.PrivateKey> | undefined;

  constructor(
    content: SiteContent,
    clock: SiteClock,
    key: openpgp.PrivateKey,
    monitorAudience: AudienceRule,
  ) {
    this.content = content;
    this.clock = clock;
    this.#key = key;
    this.monitorAudience = monitorAudience;
  }

  tamperArtifact(version: string, file: string, offset?: number): void {
    const size = this.content.artifactSize(version, file);
    const at = offset ?? Math.floor(size / 2);
    if (at >= size)
      throw new DistSiteError(`offset ${at} is beyond ${version}/${file} (${size} bytes)`);
    const key = `${version}/${file}`;
    this.attacks.flips.set(key, [...(this.attacks.flips.get(key) ?? []), at]);
    this.record({ attack: 'tamper-artifact', version, file, offset: at });
  }

  async alterManifest(version: string): Promise<void> {
    const clean = await this.content.cleanManifest(version);
    const text = alterFirstHash(clean.text);
    const oldHash = /[0-9a-f]{64}/.exec(clean.text)?.[0] ?? '';
    const newHash = /[0-9a-f]{64}/.exec(text)?.[0] ?? '';
    this.attacks.manifests.set(version, {
      text,
      sig: clean.sig,
      asc: clean.asc.replace(oldHash, newHash),
    });
    this.record({ attack: 'alter-manifest', version });
  }

  async resignManifest(version: string): Promise<void> {
    const clean = await this.content.cleanManifest(version);
    this.attacks.manifests.set(
      version,
      await signManifest(alterFirstHash(clean.text), this.#key, this.clock.now()),
    );
    this.record({ attack: 'resign-manifest', version });
  }

  async signWithOtherKey(version: string): Promise<void> {
    const clean = await this.content.cleanManifest(version);
    this.#otherKey ??= generateKey(OTHER_USER_ID, this.content.earliestPublished()).then(
      readPrivateKey,
    );
    this.attacks.manifests.set(
      version,
      await signManifest(clean.text, await this.#otherKey, this.clock.now()),
    );
    this.record({ attack: 'sign-with-other-key', version });
  }

  poisonCache(path: string, regions?: readonly string[]): void {
    const key = normalisePath(path);
    const before = this.attacks.poisoned.get(key);
    this.attacks.poisoned.set(
      key,
      regions === undefined || before === 'all' ? 'all' : new Set([...(before ?? []), ...regions]),
    );
    this.record({ attack: 'poison-cache', path, ...(regions !== undefined && { regions }) });
  }

  dropFile(path: string): void {
    this.attacks.dropped.add(normalisePath(path));
    this.record({ attack: 'drop-file', path });
  }

  setHeader(path: string, name: string, value: string): void {
    const key = path === '*' ? '*' : normalisePath(path);
    this.attacks.headers.set(key, [...(this.attacks.headers.get(key) ?? []), [name, value]]);
    this.record({ attack: 'set-header', path, name, value });
  }

  redirect(path: string, toUrl: string): void {
    if (!URL.canParse(toUrl)) throw new DistSiteError(`redirect target is not a URL: ${toUrl}`);
    this.attacks.redirects.set(normalisePath(path), new URL(toUrl).href);
    this.record({ attack: 'redirect', path, to: toUrl });
  }

  rollbackIndex(): void {
    this.attacks.rolledBack = true;
    this.record({ attack: 'rollback-index' });
  }

  down(regions?: readonly string[]): void {
    if (regions === undefined) this.attacks.isDown = true;
    else for (const region of regions) this.attacks.downRegions.add(region);
    this.record({ attack: 'down', ...(regions !== undefined && { regions }) });
  }

  slow(ms: number): void {
    this.attacks.delayMs = ms;
    this.record({ attack: 'slow', ms });
  }

  changeMetadata(path: string): void {
    const key = normalisePath(path);
    this.attacks.metadataChanges.set(key, (this.attacks.metadataChanges.get(key) ?? 0) + 1);
    this.record({ attack: 'change-metadata', path });
  }

  cloak(
    path: string,
    answers: { readonly monitor?: ForgedAnswer; readonly others?: ForgedAnswer },
    detect?: AudienceRule,
  ): void {
    const { monitor, others } = answers;
    if (monitor === undefined && others === undefined) {
      throw new DistSiteError('cloak needs an answer for the monitor, for others, or both');
    }
    this.attacks.cloaks.push({
      matches: compilePathPattern(path),
      isMonitor: compileAudienceRule(detect ?? this.monitorAudience),
      monitor,
      others,
    });
    this.record({
      attack: 'cloak',
      path,
      ...(monitor !== undefined && { monitor }),
      ...(others !== undefined && { others }),
      ...(detect !== undefined && { detect }),
    });
  }

  answerByQuery(
    path: string,
    answers: { readonly query?: ForgedAnswer; readonly plain?: ForgedAnswer },
  ): void {
    const { query, plain } = answers;
    if (query === undefined && plain === undefined) {
      throw new DistSiteError(
        'answer-by-query needs an answer with a query string, without, or both',
      );
    }
    this.attacks.queryRules.push({ matches: compilePathPattern(path), query, plain });
    this.record({
      attack: 'answer-by-query',
      path,
      ...(query !== undefined && { query }),
      ...(plain !== undefined && { plain }),
    });
  }

  substituteManifest(version: string, from: string): void {
    this.content.release(version);
    this.content.release(from);
    if (version === from) throw new DistSiteError(`${version} cannot stand in for itself`);
    this.attacks.substitutions.set(version, from);
    this.record({ attack: 'substitute-manifest', version, from });
  }

  pruneIndex(versions: readonly string[]): void {
    for (const version of versions) this.content.release(version);
    for (const version of versions) this.attacks.pruned.add(version);
    this.record({ attack: 'prune-index', versions: [...versions] });
  }

  rewriteIndex(version: string, fields: Readonly<Record<string, unknown>>): void {
    this.content.release(version);
    const before = this.attacks.rewrites.get(version) ?? {};
    this.attacks.rewrites.set(version, { ...before, ...fields });
    this.record({ attack: 'rewrite-index', version, fields: { ...fields } });
  }

  originFallback(path?: string): void {
    this.attacks.fallback.push(path === undefined ? () => true : compilePathPattern(path));
    this.record({ attack: 'origin-fallback', ...(path !== undefined && { path }) });
  }

  cacheable404(): void {
    this.attacks.cacheable404 = true;
    this.record({ attack: 'cacheable-404' });
  }

  enableEdgeCache(): void {
    this.attacks.edgeCache = true;
    this.record({ attack: 'edge-cache' });
  }

  /** Whether `request` looks like the monitor's under `detect` (default the site's rule). */
  isMonitorRequest(request: Request, detect?: AudienceRule): boolean {
    return compileAudienceRule(detect ?? this.monitorAudience)(request);
  }

  reset(): void {
    this.attacks = freshAttackState();
  }

  protected record(command: AttackCommand): void {
    this.attacks.applied.push(command);
  }
}
