/**
 * Where things live on the dist site: index.json, a release's manifest and its
 * signatures, and the artifacts a manifest names.
 *
 * Contract: the base URL is taken as given with trailing slashes dropped
 * (`https://nodejs.org/dist`). Every path segment is percent-encoded, so no name can add
 * a segment, a query or a fragment. A version must parse (versions.ts) and an entry name
 * must be a plain relative path (`win-x64/node.exe`): anything else is a caller's bug and
 * throws `UnsafeDistPathError`, because callers only pass validated data.
 */
import { parseVersion } from './versions';

/** A version or manifest entry name that cannot safely become a URL path. */
export class UnsafeDistPathError extends Error {
  override readonly name = 'UnsafeDistPathError';
}

/** The three files that make up a release's signed manifest. */
export interface ManifestUrls {
  /** `SHASUMS256.txt`: the hashes, unsigned. */
  readonly shasums: string;
  /** `SHASUMS256.txt.sig`: detached binary signature over `shasums`. */
  readonly signature: string;
  /** `SHASUMS256.txt.asc`: clearsigned copy of `shasums`. */
  readonly clearsigned: string;
}

export function indexJsonUrl(baseUrl: string): string {
  return `${trimBase(baseUrl)}/index.json`;
}

/** The release directory, with a trailing slash: `…/dist/v24.11.1/`. */
export function releaseDirectoryUrl(baseUrl: string, version: string): string {
  if (!parseVersion(version).ok) {
    throw new UnsafeDistPathError(`not a release version: ${JSON.stringify(version.slice(0, 40))}`);
  }
  return `${trimBase(baseUrl)}/${encodeURIComponent(version)}/`;
}

export function manifestUrls(baseUrl: string, version: string): ManifestUrls {
  const shasums = `${releaseDirectoryUrl(baseUrl, version)}SHASUMS256.txt`;
  return { shasums, signature: `${shasums}.sig`, clearsigned: `${shasums}.asc` };
}

/** The URL of a file a manifest lists, e.g. `win-x64/node.exe` of `v24.11.1`. */
export function artifactUrl(baseUrl: string, version: string, entryName: string): string {
  const segments = entryName.split('/');
  // A lone surrogate would make encodeURIComponent throw a URIError instead.
  const unsafe =
    !entryName.isWellFormed() ||
    segments.some(
      (segment) => segment === '' || segment === '.' || segment === '..' || segment.includes('\\'),
    );
  if (unsafe) {
    throw new UnsafeDistPathError(
      `not a plain relative path: ${JSON.stringify(entryName.slice(0, 200))}`,
    );
  }
  return releaseDirectoryUrl(baseUrl, version) + segments.map(encodeURIComponent).join('/');
}

/**
 * The URL that reaches the origin rather than the cache: the same path under
 * ORIGIN_BASE_URL when one is set, else the URL with a query string unique to `token`
 * (the sweep id), which the edge cache keys on.
 */
export function cacheBypassUrl(
  url: string,
  distBaseUrl: string,
  originBaseUrl: string | undefined,
  token: string,
): string {
  if (originBaseUrl && url.startsWith(distBaseUrl))
    return originBaseUrl + url.slice(distBaseUrl.length);
  const bypass = new URL(url);
  bypass.searchParams.set('monitor-cache-bypass', token);
  return bypass.toString();
}

function trimBase(baseUrl: string): string {
  let end = baseUrl.length;
  while (end > 0 && baseUrl[end - 1] === '/') end -= 1;
  return baseUrl.slice(0, end);
}
