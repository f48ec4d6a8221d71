/**
 * The site itself: what it publishes (SiteContent), the attacks and modes on it (SiteAttacks,
 * which it extends), its clock and edge cache, and `handle`, which answers a request in
 * layers: `down`, then the hostile front (cloak, per-query answers), then the edge cache when
 * it is on, then the release worker (release-worker.ts) with the content attacks.
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
import {
  EdgeCache,
  replay,
  responseLifetimeMs,
  sharedLifetimeMs,
  type CachedAnswer,
} from './edge-cache.ts';
import { DistSiteError } from './errors.ts';
import { forgedResponse, pickForgedAnswer } from './forged-answers.ts';
import { compilePathPattern, DEFAULT_MONITOR_AUDIENCE } from './matchers.ts';
import {
  answerAsWorker,
  workerResponse,
  type WorkerAnswer,
  type WorkerContext,
} from './release-worker.ts';
import { errorResponse, rayId, safeDecode, sleep } from './responses.ts';
import { SiteAttacks } from './site-attacks.ts';
import { SiteContent } from './site-content.ts';
import type {
  AttackCommand,
  DistSite,
  DistSiteOptions,
  DistSiteState,
  PromotedRelease,
  ReleaseSpec,
  RequestLogEntry,
} from './types.ts';

export class FixtureDistSite extends SiteAttacks implements DistSite {
  readonly publicKeyArmored: string;
  readonly fetcher: typeof fetch;
  readonly #originHosts: ReadonlySet<string>;
  readonly #regionColos: Readonly<Record<string, string>>;
  readonly #edgeCacheAlways: boolean;
  readonly #cacheTags: boolean;
  readonly #edge = new EdgeCache();
  #log: RequestLogEntry[] = [];
  #requests = 0;
  readonly #sleep: (ms: number) => Promise<void>;

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
    this.#edgeCacheAlways = options.edgeCache ?? false;
    this.#cacheTags = options.cacheTags ?? false;
    this.#sleep = options.sleep ?? sleep;
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
      now: this.clock.now().toISOString(),
      edgeCache: { enabled: this.#edgeCacheOn(), entries: this.#edge.size },
    };
  }

  apply(command: AttackCommand): Promise<void> {
    return applyCommand(this, command);
  }

  get now(): Date {
    return this.clock.now();
  }

  advance(ms: number): void {
    this.clock.advance(ms);
  }

  purge(paths?: readonly string[]): void {
    const matchers = paths?.map(compilePathPattern);
    this.#edge.purge(matchers && ((key) => matchers.some((matches) => matches(key))));
  }

  async promoteRelease(release: PromotedRelease): Promise<void> {
    const now = this.clock.now();
    if (!/^v\d+\.\d+\.\d+$/.test(release.version)) {
      throw new DistSiteError(`bad version ${release.version}`);
    }
    const date = release.date ?? now.toISOString().slice(0, 10);
    if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) throw new DistSiteError(`bad date ${date}`);
    this.content.publish(
      {
        version: release.version,
        date,
        lts: release.lts ?? false,
        security: release.security ?? false,
        ...(release.files !== undefined && { files: release.files }),
      },
      now,
    );
    await this.content.cleanManifest(release.version);
  }

  override reset(): void {
    super.reset();
    this.#edge.purge();
  }

  async handle(request: Request): Promise<Response> {
    this.#requests += 1;
    this.#log.push({ method: request.method, url: request.url });
    if (this.#log.length > REQUEST_LOG_LIMIT * 1.2) this.#log = this.#log.slice(-REQUEST_LOG_LIMIT);
    const attacks = this.attacks;
    if (attacks.delayMs > 0) await this.#sleep(attacks.delayMs);
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

  /** Down, then the hostile front (cloak, per-query answers), then the edge, then the worker. */
  async #respond(
    request: Request,
    url: URL,
    path: string | undefined,
    region: string | undefined,
  ): Promise<Response> {
    const attacks = this.attacks;
    const down = attacks.isDown || (region !== undefined && attacks.downRegions.has(region));
    if (down) return errorResponse(503, 'Service Unavailable', { 'Retry-After': '60' });
    const readable = request.method === 'GET' || request.method === 'HEAD';
    if (readable && path !== undefined && path !== '') {
      const forged = pickForgedAnswer(request, url, path, attacks);
      if (forged !== undefined) return forgedResponse(forged, request, path, this.content, attacks);
    }
    const viaCache = !this.#bypassesCache(url);
    const poisonedFor = path === undefined ? undefined : attacks.poisoned.get(path);
    const poisoned =
      poisonedFor === 'all' ||
      (poisonedFor !== undefined && region !== undefined && poisonedFor.has(region));
    const context: WorkerContext = {
      content: this.content,
      attacks,
      tampered: viaCache && poisoned,
      cacheTags: this.#cacheTags,
    };
    if (!this.#edgeCacheOn() || !readable || !viaCache) {
      return workerResponse(request, await answerAsWorker(request, url, context));
    }
    return this.#throughEdge(request, url, context);
  }

  /** A cacheable request: from the edge cache when fresh, else from the worker, then kept. */
  async #throughEdge(request: Request, url: URL, context: WorkerContext): Promise<Response> {
    const key = url.pathname.replace(/^\/dist\/?/, '');
    const now = this.clock.now();
    const cached = this.#edge.lookup(key, now);
    if (cached?.fresh) return replay(request, cached.answer, 'HIT', cached.ageMs);
    // The edge asks the worker for the whole file, whatever the client's range or conditions.
    const plain = new Request(url, { method: 'GET' });
    const kept = await keepable(await answerAsWorker(plain, url, context));
    if (kept === undefined) {
      const response = workerResponse(request, await answerAsWorker(request, url, context));
      response.headers.set('cf-cache-status', 'BYPASS');
      return response;
    }
    this.#edge.store(key, kept.answer, kept.ttlMs, now);
    return replay(request, kept.answer, cached === undefined ? 'MISS' : 'EXPIRED', 0);
  }

  #edgeCacheOn(): boolean {
    return this.#edgeCacheAlways || this.attacks.edgeCache;
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

/** A worker answer the edge may keep, and for how long; undefined when it may not. */
async function keepable(
  answer: WorkerAnswer,
): Promise<{ answer: CachedAnswer; ttlMs: number } | undefined> {
  if (answer.kind === 'file') {
    // Served whole, a file is a 200 with the success policy.
    const ttlMs = sharedLifetimeMs(SUCCESS_CACHE_CONTROL);
    return ttlMs === undefined ? undefined : { answer, ttlMs };
  }
  const { response } = answer;
  const ttlMs = responseLifetimeMs(response);
  if (ttlMs === undefined) return undefined;
  const body = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
  return {
    answer: { kind: 'response', status: response.status, headers: [...response.headers], body },
    ttlMs,
  };
}
