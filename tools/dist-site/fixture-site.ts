/**
 * The site itself: releases, clean manifests (hashed and signed lazily, once), the attack
 * methods, and `handle`, which answers a request as the release worker would, or as the
 * applied attacks make it misbehave.
 */
import type * as openpgp from 'openpgp';
import { freshAttackState, type AttackState } from './attack-state.ts';
import {
  artifactStream,
  defaultArtifactSize,
  defaultHashStream,
  fingerprint,
  flipMiddleByte,
  fnv1a,
  type ArtifactSource,
} from './bytes.ts';
import {
  DAY_MS,
  DEFAULT_REGION_COLOS,
  REGION_HEADER,
  REQUEST_LOG_LIMIT,
  SUCCESS_CACHE_CONTROL,
} from './constants.ts';
import { DistSiteError } from './errors.ts';
import {
  artifactCatalogue,
  compareVersionsDescending,
  renderIndex,
  type Release,
} from './releases.ts';
import {
  bytesResource,
  contentTypeOf,
  errorResponse,
  normalisePath,
  rayId,
  safeDecode,
  serve,
  sleep,
  type Resource,
} from './responses.ts';
import {
  alterFirstHash,
  generateKey,
  OTHER_USER_ID,
  readPrivateKey,
  renderManifest,
  signManifest,
  type CleanManifest,
} from './signing.ts';
import type {
  AttackCommand,
  DistSite,
  DistSiteOptions,
  DistSiteState,
  HashStream,
  ReleaseSpec,
  RequestLogEntry,
  SignatureForm,
} from './types.ts';
export class FixtureDistSite implements DistSite {
  readonly publicKeyArmored: string;
  readonly releases: readonly string[];
  readonly fetcher: typeof fetch;
  readonly #now: Date;
  readonly #releases: ReadonlyMap<string, Release>;
  readonly #key: openpgp.PrivateKey;
  readonly #artifactSize: (version: string, file: string) => number;
  readonly #hashStream: HashStream;
  readonly #forms: ReadonlySet<SignatureForm>;
  readonly #originHosts: ReadonlySet<string>;
  readonly #regionColos: Readonly<Record<string, string>>;
  readonly #cleanManifests = new Map<string, Promise<CleanManifest>>();
  #otherKey: Promise<openpgp.PrivateKey> | undefined;
  #attacks = freshAttackState();
  #log: RequestLogEntry[] = [];
  #requests = 0;

  constructor(
    options: DistSiteOptions,
    now: Date,
    releases: readonly ReleaseSpec[],
    key: openpgp.PrivateKey,
    publicKeyArmored: string,
  ) {
    this.#now = now;
    this.#key = key;
    this.publicKeyArmored = publicKeyArmored;
    this.#artifactSize = options.artifactSize ?? defaultArtifactSize;
    this.#hashStream = options.hashStream ?? defaultHashStream;
    this.#forms = new Set(options.signatureForms ?? ['sig', 'asc']);
    this.#originHosts = new Set(options.originHosts ?? []);
    this.#regionColos = { ...DEFAULT_REGION_COLOS, ...options.regionColos };
    const perRelease = options.artifactsPerRelease ?? 8;
    const sorted = [...releases].sort((a, b) => compareVersionsDescending(a.version, b.version));
    this.#releases = new Map(
      sorted.map((spec) => [
        spec.version,
        {
          spec,
          files: [...(spec.files ?? artifactCatalogue(spec.version).slice(0, perRelease))].sort(),
          published: new Date(`${spec.date}T12:00:00Z`),
        },
      ]),
    );
    this.releases = sorted.map((spec) => spec.version);
    this.fetcher = (input, init) => this.handle(new Request(input, init));
  }

  get requestLog(): readonly RequestLogEntry[] {
    return this.#log.slice(-REQUEST_LOG_LIMIT);
  }

  clearRequestLog(): void {
    this.#log = [];
  }

  files(version: string): readonly string[] {
    return this.#release(version).files;
  }

  async expectedSha256(version: string, file: string): Promise<string> {
    this.#artifact(version, file);
    const hash = (await this.#cleanManifest(version)).hashes.get(file);
    if (hash === undefined) throw new DistSiteError(`no hash for ${version}/${file}`);
    return hash;
  }

  async warm(): Promise<void> {
    for (const version of this.releases) await this.#cleanManifest(version);
  }

  state(): DistSiteState {
    return {
      releases: this.releases,
      attacks: [...this.#attacks.applied],
      requests: this.#requests,
    };
  }

  async apply(command: AttackCommand): Promise<void> {
    switch (command.attack) {
      case 'tamper-artifact':
        return this.tamperArtifact(command.version, command.file, command.offset);
      case 'alter-manifest':
        return this.alterManifest(command.version);
      case 'resign-manifest':
        return this.resignManifest(command.version);
      case 'sign-with-other-key':
        return this.signWithOtherKey(command.version);
      case 'poison-cache':
        return this.poisonCache(command.path, command.regions);
      case 'drop-file':
        return this.dropFile(command.path);
      case 'set-header':
        return this.setHeader(command.path, command.name, command.value);
      case 'redirect':
        return this.redirect(command.path, command.to);
      case 'rollback-index':
        return this.rollbackIndex();
      case 'down':
        return this.down(command.regions);
      case 'slow':
        return this.slow(command.ms);
      case 'change-metadata':
        return this.changeMetadata(command.path);
      case 'reset':
        return this.reset();
    }
  }

  tamperArtifact(version: string, file: string, offset?: number): void {
    const size = this.#artifact(version, file);
    const at = offset ?? Math.floor(size / 2);
    if (at >= size)
      throw new DistSiteError(`offset ${at} is beyond ${version}/${file} (${size} bytes)`);
    const key = `${version}/${file}`;
    this.#attacks.flips.set(key, [...(this.#attacks.flips.get(key) ?? []), at]);
    this.#record({ attack: 'tamper-artifact', version, file, offset: at });
  }

  async alterManifest(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    const text = alterFirstHash(clean.text);
    const oldHash = /[0-9a-f]{64}/.exec(clean.text)?.[0] ?? '';
    const newHash = /[0-9a-f]{64}/.exec(text)?.[0] ?? '';
    this.#attacks.manifests.set(version, {
      text,
      sig: clean.sig,
      asc: clean.asc.replace(oldHash, newHash),
    });
    this.#record({ attack: 'alter-manifest', version });
  }

  async resignManifest(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    this.#attacks.manifests.set(
      version,
      await signManifest(alterFirstHash(clean.text), this.#key, this.#now),
    );
    this.#record({ attack: 'resign-manifest', version });
  }

  async signWithOtherKey(version: string): Promise<void> {
    const clean = await this.#cleanManifest(version);
    this.#otherKey ??= generateKey(OTHER_USER_ID, this.#earliestPublished()).then(readPrivateKey);
    this.#attacks.manifests.set(
      version,
      await signManifest(clean.text, await this.#otherKey, this.#now),
    );
    this.#record({ attack: 'sign-with-other-key', version });
  }

  poisonCache(path: string, regions?: readonly string[]): void {
    const key = normalisePath(path);
    const before = this.#attacks.poisoned.get(key);
    this.#attacks.poisoned.set(
      key,
      regions === undefined || before === 'all' ? 'all' : new Set([...(before ?? []), ...regions]),
    );
    this.#record({ attack: 'poison-cache', path, ...(regions !== undefined && { regions }) });
  }

  dropFile(path: string): void {
    this.#attacks.dropped.add(normalisePath(path));
    this.#record({ attack: 'drop-file', path });
  }

  setHeader(path: string, name: string, value: string): void {
    const key = path === '*' ? '*' : normalisePath(path);
    this.#attacks.headers.set(key, [...(this.#attacks.headers.get(key) ?? []), [name, value]]);
    this.#record({ attack: 'set-header', path, name, value });
  }

  redirect(path: string, toUrl: string): void {
    if (!URL.canParse(toUrl)) throw new DistSiteError(`redirect target is not a URL: ${toUrl}`);
    this.#attacks.redirects.set(normalisePath(path), new URL(toUrl).href);
    this.#record({ attack: 'redirect', path, to: toUrl });
  }

  rollbackIndex(): void {
    this.#attacks.rolledBack = true;
    this.#record({ attack: 'rollback-index' });
  }

  down(regions?: readonly string[]): void {
    if (regions === undefined) this.#attacks.isDown = true;
    else for (const region of regions) this.#attacks.downRegions.add(region);
    this.#record({ attack: 'down', ...(regions !== undefined && { regions }) });
  }

  slow(ms: number): void {
    this.#attacks.delayMs = ms;
    this.#record({ attack: 'slow', ms });
  }

  changeMetadata(path: string): void {
    const key = normalisePath(path);
    this.#attacks.metadataChanges.set(key, (this.#attacks.metadataChanges.get(key) ?? 0) + 1);
    this.#record({ attack: 'change-metadata', path });
  }

  reset(): void {
    this.#attacks = freshAttackState();
  }

  async handle(request: Request): Promise<Response> {
    this.#requests += 1;
    this.#log.push({ method: request.method, url: request.url });
    if (this.#log.length > REQUEST_LOG_LIMIT * 1.2) this.#log = this.#log.slice(-REQUEST_LOG_LIMIT);
    const attacks = this.#attacks;
    if (attacks.delayMs > 0) await sleep(attacks.delayMs);
    const url = new URL(request.url);
    const path = url.pathname.startsWith('/dist/')
      ? safeDecode(url.pathname.slice('/dist/'.length))
      : undefined;
    const region = request.headers.get(REGION_HEADER) ?? undefined;
    const response = await this.#respond(request, url, path, attacks, region).catch(() =>
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
    attacks: AttackState,
    region: string | undefined,
  ): Promise<Response> {
    const down = attacks.isDown || (region !== undefined && attacks.downRegions.has(region));
    if (down) return errorResponse(503, 'Service Unavailable', { 'Retry-After': '60' });
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return errorResponse(405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    }
    if (path === undefined || path === '') return errorResponse(404, 'Not Found');
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
    const resource = await this.#resolve(path, viaCache && poisoned, attacks);
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

  async #resolve(
    path: string,
    poisoned: boolean,
    attacks: AttackState,
  ): Promise<Resource | undefined> {
    const resource = await this.#resolveContent(path, poisoned, attacks);
    const changes = attacks.metadataChanges.get(path) ?? 0;
    if (resource === undefined || changes === 0) return resource;
    return {
      ...resource,
      etag: `"${fingerprint(`${resource.etag}#metadata-change-${changes}`)}"`,
      lastModified: new Date(this.#now.getTime() + changes * 1000),
    };
  }

  async #resolveContent(
    path: string,
    poisoned: boolean,
    attacks: AttackState,
  ): Promise<Resource | undefined> {
    const encode = (text: string) => new TextEncoder().encode(text);
    if (path === 'index.json') {
      const rolledBack = attacks.rolledBack !== poisoned;
      const listed = [...this.#releases.values()].slice(rolledBack ? 1 : 0);
      const text = renderIndex(
        listed.map((release) => release.spec),
        (version) => this.files(version),
      );
      return bytesResource(path, encode(text), listed[0]?.published ?? this.#now);
    }
    const slash = path.indexOf('/');
    const release = this.#releases.get(path.slice(0, slash));
    if (slash < 0 || release === undefined) return undefined;
    const version = release.spec.version;
    const name = path.slice(slash + 1);
    if (
      name === 'SHASUMS256.txt' ||
      name === 'SHASUMS256.txt.sig' ||
      name === 'SHASUMS256.txt.asc'
    ) {
      if (name.endsWith('.sig') && !this.#forms.has('sig')) return undefined;
      if (name.endsWith('.asc') && !this.#forms.has('asc')) return undefined;
      const manifest = attacks.manifests.get(version) ?? (await this.#cleanManifest(version));
      let bytes =
        name === 'SHASUMS256.txt'
          ? encode(manifest.text)
          : name.endsWith('.asc')
            ? encode(manifest.asc)
            : manifest.sig;
      if (poisoned) {
        bytes = name.endsWith('.sig')
          ? flipMiddleByte(bytes)
          : encode(alterFirstHash(new TextDecoder().decode(bytes)));
      }
      return bytesResource(path, bytes, release.published);
    }
    if (!release.files.includes(name)) return undefined;
    const size = this.#artifactSize(version, name);
    const seed = fnv1a(path);
    const source: ArtifactSource = poisoned
      ? { seed: fnv1a(`${path}#poisoned`), size, flips: [] }
      : { seed, size, flips: attacks.flips.get(path) ?? [] };
    return {
      size,
      contentType: contentTypeOf(name),
      etag: `"${fingerprint(`${path}:${size}`)}"`,
      lastModified: release.published,
      body: (start, end) => artifactStream(source, start, end),
    };
  }

  #cleanManifest(version: string): Promise<CleanManifest> {
    const release = this.#release(version);
    let manifest = this.#cleanManifests.get(version);
    if (manifest === undefined) {
      manifest = this.#buildManifest(release);
      manifest.catch(() => this.#cleanManifests.delete(version));
      this.#cleanManifests.set(version, manifest);
    }
    return manifest;
  }

  async #buildManifest(release: Release): Promise<CleanManifest> {
    const version = release.spec.version;
    const hashes = new Map<string, string>();
    for (const file of release.files) {
      const size = this.#artifactSize(version, file);
      const source = { seed: fnv1a(`${version}/${file}`), size, flips: [] };
      hashes.set(file, await this.#hashStream(artifactStream(source, 0, size)));
    }
    const signed = await signManifest(renderManifest(hashes), this.#key, release.published);
    return { ...signed, hashes };
  }

  #release(version: string): Release {
    const release = this.#releases.get(version);
    if (release === undefined) throw new DistSiteError(`unknown release ${version}`);
    return release;
  }

  /** The artifact's size; throws when the release does not publish it. */
  #artifact(version: string, file: string): number {
    if (!this.#release(version).files.includes(file)) {
      throw new DistSiteError(`${version} publishes no ${file}`);
    }
    return this.#artifactSize(version, file);
  }

  #earliestPublished(): Date {
    const times = [...this.#releases.values()].map((release) => release.published.getTime());
    return new Date(Math.min(this.#now.getTime(), ...times) - DAY_MS);
  }

  #record(command: AttackCommand): void {
    this.#attacks.applied.push(command);
  }
}
