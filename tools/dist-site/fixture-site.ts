/**
 * The site itself: what it publishes (SiteContent), the attacks on it (SiteAttacks, which it
 * extends), and `handle`, which answers a request as the release worker would, or as the
 * applied attacks make it misbehave.
 */
import type * as openpgp from 'openpgp';
import { applyCommand } from './apply-command.ts';
import { defaultArtifactSize, defaultHashStream } from './bytes.ts';
import { SiteClock } from './clock.ts';
import {
  DEFAULT_REGION_COLOS,
  REGION_HEADER,
  REQUEST_LOG_LIMIT,
  SUCCESS_CACHE_CONTROL,
} from './constants.ts';
import { DistSiteError } from './errors.ts';
import { forgedResponse, pickForgedAnswer } from './forged-answers.ts';
import { DEFAULT_MONITOR_AUDIENCE } from './matchers.ts';
import { errorResponse, rayId, safeDecode, serve, sleep } from './responses.ts';
import { SiteAttacks } from './site-attacks.ts';
import { SiteContent } from './site-content.ts';
import type {
  AttackCommand,
  DistSite,
  DistSiteOptions,
  DistSiteState,
  ReleaseSpec,
  RequestLogEntry,
} from './types.ts';

export class FixtureDistSite extends SiteAttacks implements DistSite {
  readonly publicKeyArmored: string;
  readonly fetcher: typeof fetch;
  readonly #originHosts: ReadonlySet<string>;
  readonly #regionColos: Readonly<Record<string, string>>;
  #log: RequestLogEntry[] = [];
  #requests = 0;

  constructor(
    options: DistSiteOptions,
    now: Date,
    releases: readonly ReleaseSpec[],
    key: openpgp.PrivateKey,
    publicKeyArmored: string,
  ) {
    const clock = new SiteClock(now);
    const content = new SiteContent(releases, {
      key,
      artifactSize: options.artifactSize ?? defaultArtifactSize,
      hashStream: options.hashStream ?? defaultHashStream,
      signatureForms: new Set(options.signatureForms ?? ['sig', 'asc']),
      artifactsPerRelease: options.artifactsPerRelease ?? 8,
      now: () => clock.now(),
    });
    super(content, clock, key, options.monitorAudience ?? DEFAULT_MONITOR_AUDIENCE);
    this.publicKeyArmored = publicKeyArmored;
    this.#originHosts = new Set(options.originHosts ?? []);
    this.#regionColos = { ...DEFAULT_REGION_COLOS, ...options.regionColos };
    this.fetcher = (input, init) => this.handle(new Request(input, init));
  }

  get releases(): readonly string[] {
    return this.content.versions;
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.#log.slice(-REQUEST_LOG_LIMIT);
  }

  clearRequestLog(): void {
    this.#log = [];
  }

  files(version: string): readonly string[] {
    return this.content.release(version).files;
  }

  async expectedSha256(version: string, file: string): Promise<string> {
    this.content.artifactSize(version, file);
    const hash = (await this.content.cleanManifest(version)).hashes.get(file);
    if (hash === undefined) throw new DistSiteError(`no hash for ${version}/${file}`);
    return hash;
  }

  async warm(): Promise<void> {
    for (const version of this.releases) await this.content.cleanManifest(version);
  }

  state(): DistSiteState {
    return {
      releases: this.releases,
      attacks: [...this.attacks.applied],
      requests: this.#requests,
    };
  }

  apply(command: AttackCommand): Promise<void> {
    return applyCommand(this, command);
  }

  async handle(request: Request): Promise<Response> {
    this.#requests += 1;
    this.#log.push({ method: request.method, url: request.url });
    if (this.#log.length > REQUEST_LOG_LIMIT * 1.2) this.#log = this.#log.slice(-REQUEST_LOG_LIMIT);
    const attacks = this.attacks;
    if (attacks.delayMs > 0) await sleep(attacks.delayMs);
    const url = new URL(request.url);
    const path = url.pathname.startsWith('/dist/')
      ? safeDecode(url.pathname.slice('/dist/'.length))
      : undefined;
    const region = request.headers.get(REGION_HEADER) ?? undefined;
    const response = await this.#respond(request, url, path, region).catch(() =>
      errorResponse(500, 'Internal Server Error'),
    );
    const colo = region === undefined ? undefined : this.#regionColos[region];
    if (colo !== undefined) response.headers.set('cf-ray', `${rayId(this.#requests)}-${colo}`);
    for (const key of path === undefined ? ['*'] : ['*', path]) {
      for (const [name, value] of attacks.headers.get(key) ?? []) response.headers.set(name, value);
    }
    return response;
  }

  async #respond(
    request: Request,
    url: URL,
    path: string | undefined,
    region: string | undefined,
  ): Promise<Response> {
    const attacks = this.attacks;
    const down = attacks.isDown || (region !== undefined && attacks.downRegions.has(region));
    if (down) return errorResponse(503, 'Service Unavailable', { 'Retry-After': '60' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    }
    if (path === undefined || path === '') return errorResponse(404, 'Not Found');
    const forged = pickForgedAnswer(request, url, path, attacks);
    if (forged !== undefined) {
      return forgedResponse(forged, request, path, this.content, attacks);
    }
    const redirect = attacks.redirects.get(path);
    if (redirect !== undefined) {
      return new Response(null, {
        status: 302,
        headers: { Location: redirect, 'Cache-Control': SUCCESS_CACHE_CONTROL },
      });
    }
    if (attacks.dropped.has(path)) return errorResponse(404, 'Not Found');
    const viaCache = !this.#bypassesCache(url);
    const poisonedFor = attacks.poisoned.get(path);
    const poisoned =
      poisonedFor === 'all' ||
      (poisonedFor !== undefined && region !== undefined && poisonedFor.has(region));
    const resource = await this.content.resolve(path, {
      attacks,
      tampered: viaCache && poisoned,
    });
    if (resource === undefined) return errorResponse(404, 'Not Found');
    return serve(request, resource);
  }

  #bypassesCache(url: URL): boolean {
    return (
      url.search !== '' ||
      url.hostname.startsWith('origin.') ||
      this.#originHosts.has(url.host) ||
      this.#originHosts.has(url.hostname)
    );
  }
}
