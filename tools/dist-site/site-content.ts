/**
 * What the site publishes, and what each path holds under a given attack state: index.json,
 * the signed manifest files and the artifacts, clean, attacked or tampered. Clean manifests
 * are hashed and signed once, lazily. Nothing here knows about requests: `resolve` maps a
 * site path and a view to a Resource, or undefined when the site has no such file.
 */
import type * as openpgp from 'openpgp';
import { freshAttackState, type AttackState } from './attack-state.ts';
import {
  artifactStream,
  fingerprint,
  flipMiddleByte,
  fnv1a,
  type ArtifactSource,
} from './bytes.ts';
import { DAY_MS } from './constants.ts';
import { DistSiteError } from './errors.ts';
import {
  artifactCatalogue,
  compareVersionsDescending,
  indexEntry,
  renderIndexJson,
  renderIndexTab,
  type IndexEntry,
  type Release,
} from './releases.ts';
import { bytesResource, contentTypeOf, type Resource } from './responses.ts';
import {
  alterFirstHash,
  renderManifest,
  signManifest,
  type CleanManifest,
  type SignedManifest,
} from './signing.ts';
import type { HashStream, ReleaseSpec, SignatureForm } from './types.ts';

/** Which copy of the site to read: as `attacks` leave it, and tampered or not on top. */
export interface ContentView {
  readonly attacks: AttackState;
  /** The other bytes `poison-cache` and a `tampered` answer serve. */
  readonly tampered: boolean;
}

/** The site as the release team published it: no attack, nothing tampered. */
export function cleanView(): ContentView {
  return { attacks: freshAttackState(), tampered: false };
}

export interface SiteContentOptions {
  readonly key: openpgp.PrivateKey;
  readonly artifactSize: (version: string, file: string) => number;
  readonly hashStream: HashStream;
  readonly signatureForms: ReadonlySet<SignatureForm>;
  readonly artifactsPerRelease: number;
  /** The site's clock. */
  readonly now: () => Date;
}

const MANIFEST_NAMES = new Set(['SHASUMS256.txt', 'SHASUMS256.txt.sig', 'SHASUMS256.txt.asc']);
const encode = (text: string) => new TextEncoder().encode(text);

export class SiteContent {
  readonly #options: SiteContentOptions;
  /** Newest first. */
  #releases: Release[] = [];
  readonly #byVersion = new Map<string, Release>();
  readonly #cleanManifests = new Map<string, Promise<CleanManifest>>();

  constructor(specs: readonly ReleaseSpec[], options: SiteContentOptions) {
    this.#options = options;
    for (const spec of specs) this.publish(spec);
  }

  /** Every published version, newest first. */
  get versions(): readonly string[] {
    return this.#releases.map((release) => release.spec.version);
  }

  /** Newest first. */
  get releases(): readonly Release[] {
    return this.#releases;
  }

  /**
   * Adds a release (its files become servable at once). Its files are Last-Modified, and its
   * manifest signed, at noon of its date unless `publishedAt` says when.
   */
  publish(spec: ReleaseSpec, publishedAt?: Date): Release {
    if (this.#byVersion.has(spec.version)) {
      throw new DistSiteError(`duplicate release ${spec.version}`);
    }
    const files =
      spec.files ?? artifactCatalogue(spec.version).slice(0, this.#options.artifactsPerRelease);
    const release: Release = {
      spec,
      files: [...files].sort(),
      published: publishedAt ?? new Date(`${spec.date}T12:00:00Z`),
    };
    this.#byVersion.set(spec.version, release);
    this.#releases = [...this.#releases, release].sort((a, b) =>
      compareVersionsDescending(a.spec.version, b.spec.version),
    );
    return release;
  }

  release(version: string): Release {
    const release = this.#byVersion.get(version);
    if (release === undefined) throw new DistSiteError(`unknown release ${version}`);
    return release;
  }

  /** The artifact's size; throws when the release does not publish it. */
  artifactSize(version: string, file: string): number {
    if (!this.release(version).files.includes(file)) {
      throw new DistSiteError(`${version} publishes no ${file}`);
    }
    return this.#options.artifactSize(version, file);
  }

  /** A day before the oldest release (or now): when a key that signs them all was made. */
  earliestPublished(): Date {
    const times = this.#releases.map((release) => release.published.getTime());
    return new Date(Math.min(this.#options.now().getTime(), ...times) - DAY_MS);
  }

  cleanManifest(version: string): Promise<CleanManifest> {
    const release = this.release(version);
    let manifest = this.#cleanManifests.get(version);
    if (manifest === undefined) {
      manifest = this.#buildManifest(release);
      manifest.catch(() => this.#cleanManifests.delete(version));
      this.#cleanManifests.set(version, manifest);
    }
    return manifest;
  }

  /** The entries index.json lists in this view, newest first. */
  indexEntries(view: ContentView): IndexEntry[] {
    const { attacks } = view;
    const rolledBack = attacks.rolledBack !== view.tampered;
    return this.#releases
      .slice(rolledBack ? 1 : 0)
      .filter((release) => !attacks.pruned.has(release.spec.version))
      .map((release) => {
        const entry = indexEntry(release.spec, release.files);
        const fields = attacks.rewrites.get(release.spec.version);
        return fields === undefined ? entry : { ...entry, ...fields };
      });
  }

  /** The file at a site path in this view, or undefined when the site has none there. */
  async resolve(path: string, view: ContentView): Promise<Resource | undefined> {
    const resource = await this.#resolveContent(path, view);
    const changes = view.attacks.metadataChanges.get(path) ?? 0;
    if (resource === undefined || changes === 0) return resource;
    return {
      ...resource,
      etag: `"${fingerprint(`${resource.etag}#metadata-change-${changes}`)}"`,
      lastModified: new Date(this.#options.now().getTime() + changes * 1000),
    };
  }

  async #resolveContent(path: string, view: ContentView): Promise<Resource | undefined> {
    if (path === 'index.json' || path === 'index.tab') {
      const rolledBack = view.attacks.rolledBack !== view.tampered;
      const newest = this.#releases[rolledBack ? 1 : 0];
      const entries = this.indexEntries(view);
      const text = path === 'index.json' ? renderIndexJson(entries) : renderIndexTab(entries);
      return bytesResource(path, encode(text), newest?.published ?? this.#options.now());
    }
    const slash = path.indexOf('/');
    const release = slash < 0 ? undefined : this.#byVersion.get(path.slice(0, slash));
    if (release === undefined) return undefined;
    const name = path.slice(slash + 1);
    if (MANIFEST_NAMES.has(name)) return this.#manifestFile(release, name, view);
    if (!release.files.includes(name)) return undefined;
    const size = this.#options.artifactSize(release.spec.version, name);
    const source: ArtifactSource = view.tampered
      ? { seed: fnv1a(`${path}#poisoned`), size, flips: [] }
      : { seed: fnv1a(path), size, flips: view.attacks.flips.get(path) ?? [] };
    return {
      size,
      contentType: contentTypeOf(name),
      etag: `"${fingerprint(`${path}:${size}`)}"`,
      lastModified: release.published,
      body: (start, end) => artifactStream(source, start, end),
    };
  }

  async #manifestFile(
    release: Release,
    name: string,
    view: ContentView,
  ): Promise<Resource | undefined> {
    const forms = this.#options.signatureForms;
    if (name.endsWith('.sig') && !forms.has('sig')) return undefined;
    if (name.endsWith('.asc') && !forms.has('asc')) return undefined;
    const version = release.spec.version;
    const copied = view.attacks.substitutions.get(version) ?? version;
    const manifest: SignedManifest =
      view.attacks.manifests.get(copied) ?? (await this.cleanManifest(copied));
    let bytes =
      name === 'SHASUMS256.txt'
        ? encode(manifest.text)
        : name.endsWith('.asc')
          ? encode(manifest.asc)
          : manifest.sig;
    if (view.tampered) {
      bytes = name.endsWith('.sig')
        ? flipMiddleByte(bytes)
        : encode(alterFirstHash(new TextDecoder().decode(bytes)));
    }
    return bytesResource(`${version}/${name}`, bytes, release.published);
  }

  async #buildManifest(release: Release): Promise<CleanManifest> {
    const version = release.spec.version;
    const hashes = new Map<string, string>();
    for (const file of release.files) {
      const size = this.#options.artifactSize(version, file);
      const source = { seed: fnv1a(`${version}/${file}`), size, flips: [] };
      hashes.set(file, await this.#options.hashStream(artifactStream(source, 0, size)));
    }
    const signed = await signManifest(renderManifest(hashes), this.#options.key, release.published);
    return { ...signed, hashes };
  }
}
