/**
 * Directory listings as the release worker renders them for `/dist/` and release
 * directories: what a directory holds (sub-directories first, then files, each sorted by
 * name as an R2/S3 listing returns them) and the nginx-style HTML page.
 *
 * From nodejs/release-cloudflare-worker (commit 6a0eb4b): `src/utils/directoryListing.ts`
 * and `src/templates/directoryListing.html` (the page: `Index of <path>`, a `../` link, one
 * line per entry with the name padded to 50 columns, a `dd-Mon-yyyy HH:MM` UTC date and a
 * size in 1000-based units; a sub-directory shows `-` for both; long names are cut),
 * `src/utils/object.ts` (`toReadableBytes`), `src/providers/provider.ts` (a directory's
 * Last-Modified is its newest file's, sub-directories excluded), and
 * `src/constants/cachedDirectories.json` (`/dist/` lists every release and every `latest*`
 * directory, and index.json and index.tab).
 */
import type { ContentView, SiteContent } from './site-content.ts';

export interface ListedFile {
  readonly name: string;
  readonly lastModified: Date;
  readonly size: number;
}

export interface DirectoryContents {
  /** Names ending in `/`. */
  readonly subdirectories: readonly string[];
  readonly files: readonly ListedFile[];
  /** The newest file's Last-Modified (sub-directories excluded). */
  readonly lastModified: Date;
}

const MANIFEST_FILES = ['SHASUMS256.txt', 'SHASUMS256.txt.asc', 'SHASUMS256.txt.sig'];
const NAME_COLUMNS = 50;
const MONTHS = 'Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec'.split(' ');

/**
 * What the directory `dir` holds (`''` for /dist/, `v24.11.1`, `v24.11.1/win-x64`; no
 * trailing slash), or undefined when the site has no such directory.
 */
export async function readDirectory(
  dir: string,
  content: SiteContent,
  view: ContentView,
  aliases: ReadonlyMap<string, string>,
): Promise<DirectoryContents | undefined> {
  const files: ListedFile[] = [];
  const subdirectories = new Set<string>();
  if (dir === '') {
    for (const version of content.versions) subdirectories.add(`${version}/`);
    for (const alias of aliases.keys()) subdirectories.add(`${alias}/`);
    for (const name of ['index.json', 'index.tab']) {
      const resource = await content.resolve(name, view);
      if (resource) files.push({ name, lastModified: resource.lastModified, size: resource.size });
    }
    return contents(subdirectories, files);
  }
  const [version = '', ...rest] = dir.split('/');
  const release = content.releases.find((candidate) => candidate.spec.version === version);
  if (release === undefined) return undefined;
  const prefix = rest.length === 0 ? '' : `${rest.join('/')}/`;
  for (const name of [...MANIFEST_FILES, ...release.files]) {
    if (!name.startsWith(prefix)) continue;
    const inside = name.slice(prefix.length);
    const slash = inside.indexOf('/');
    if (slash >= 0) {
      subdirectories.add(inside.slice(0, slash + 1));
      continue;
    }
    const resource = await content.resolve(`${version}/${name}`, view);
    if (resource)
      files.push({ name: inside, lastModified: resource.lastModified, size: resource.size });
  }
  if (prefix !== '' && files.length === 0 && subdirectories.size === 0) return undefined;
  return contents(subdirectories, files);
}

function contents(subdirectories: ReadonlySet<string>, files: ListedFile[]): DirectoryContents {
  const newest = Math.max(0, ...files.map((file) => file.lastModified.getTime()));
  return {
    subdirectories: [...subdirectories].sort(),
    files: files.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    lastModified: new Date(newest),
  };
}

/** The HTML page for a directory, at `pathname` (the URL path as requested, `latest*` kept). */
export function renderDirectoryListing(pathname: string, directory: DirectoryContents): string {
  const lines = [
    ...directory.subdirectories.map((name) => {
      const shown = name.length > NAME_COLUMNS ? `${name.slice(0, NAME_COLUMNS - 1)}>` : name;
      const href = `${encodeURIComponent(name.slice(0, -1))}/`;
      return entryLine(href, shown, `${' '.repeat(15)}-`, `${' '.repeat(18)}-`);
    }),
    ...directory.files.map((file) => {
      const shown =
        file.name.length > NAME_COLUMNS ? `${file.name.slice(0, NAME_COLUMNS - 3)}..>` : file.name;
      const size = readableBytes(file.size);
      return entryLine(
        pathname + encodeURIComponent(file.name),
        shown,
        listingDate(file.lastModified),
        size.padStart(20),
      );
    }),
  ];
  return [
    '<!DOCTYPE html>',
    '<html>',
    '<head>',
    `  <title>Index of ${pathname}</title>`,
    '</head>',
    '<body>',
    `  <h1>Index of ${pathname}</h1>`,
    '  <hr>',
    '<pre>',
    '<a href="../">../</a>',
    ...lines,
    '</pre>',
    '  <hr>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

function entryLine(href: string, name: string, date: string, size: string): string {
  const padding = ' '.repeat(Math.max(0, NAME_COLUMNS - name.length));
  return `<a href="${href}">${name}</a>${padding} ${date} ${size}`;
}

/** `08-Nov-2026 12:00`, in UTC. */
function listingDate(date: Date): string {
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    `${two(date.getUTCDate())}-${MONTHS[date.getUTCMonth()]}-${date.getUTCFullYear()} ` +
    `${two(date.getUTCHours())}:${two(date.getUTCMinutes())}`
  );
}

/** `512 B`, `4.5 KB`, `21 MB`: 1000-based, one decimal below ten. */
export function readableBytes(bytes: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let unit = 0;
  let value = bytes;
  while (value >= 1000 && unit < units.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value.toFixed(value < 10 && unit > 0 ? 1 : 0)} ${units[unit]}`;
}
