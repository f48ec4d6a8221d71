/**
 * HTTP basics: resources (a file the site can serve), their content types, error responses,
 * reason phrases, and the small helpers for paths and ray ids. How a file is served (per-status
 * cache policies, conditional and partial requests) is in file-responses.ts.
 */
import { ERROR_CACHE_CONTROL } from './constants.ts';
import { bytesStream, fnv1a, fingerprint } from './bytes.ts';
/** One servable file, clean or as an attack left it. */
export interface Resource {
  readonly size: number;
  readonly contentType: string;
  /** Quoted. */
  readonly etag: string;
  readonly lastModified: Date;
  body(start: number, end: number): ReadableStream<Uint8Array>;
}

export function contentTypeOf(path: string): string {
  const types: [RegExp, string][] = [
    [/\.json$/, 'application/json; charset=utf-8'],
    [/\.(txt|asc)$/, 'text/plain; charset=utf-8'],
    // The release worker overrides the type of .tab files (src/constants/contentTypeOverrides.ts).
    [/\.tab$/, 'text/plain'],
    [/\.sig$/, 'application/pgp-signature'],
    [/\.(tar\.gz|tgz)$/, 'application/gzip'],
    [/\.tar\.xz$/, 'application/x-xz'],
    [/\.zip$/, 'application/zip'],
    [/\.7z$/, 'application/x-7z-compressed'],
    [/\.msi$/, 'application/x-msi'],
    [/\.exe$/, 'application/x-msdownload'],
  ];
  return types.find(([pattern]) => pattern.test(path))?.[1] ?? 'application/octet-stream';
}

export function bytesResource(path: string, bytes: Uint8Array, lastModified: Date): Resource {
  return {
    size: bytes.length,
    contentType: contentTypeOf(path),
    etag: `"${fingerprint(bytes)}"`,
    lastModified,
    body: (start, end) => bytesStream(bytes, start, end),
  };
}

export function errorResponse(
  status: number,
  message: string,
  extra: Record<string, string> = {},
): Response {
  return new Response(`${message}\n`, {
    status,
    headers: {
      'Content-Type': 'text/plain; charset=utf-8',
      'Cache-Control': ERROR_CACHE_CONTROL,
      ...extra,
    },
  });
}

/** Reason phrases for the statuses the site answers with. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  304: 'Not Modified',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  410: 'Gone',
  412: 'Precondition Failed',
  416: 'Range Not Satisfiable',
  429: 'Too Many Requests',
  451: 'Unavailable For Legal Reasons',
  500: 'Internal Server Error',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

/** The reason phrase of an HTTP status ('Error' for one without a listed phrase). */
export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Server Error' : 'Error');
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The decoded path, or undefined when its percent-encoding is malformed. */
export function safeDecode(path: string): string | undefined {
  try {
    return decodeURIComponent(path);
  } catch {
    return undefined;
  }
}

/** A ray id like Cloudflare's (16 hex digits), unique per request of this site. */
export function rayId(request: number): string {
  return (fnv1a(`ray-${request}`).toString(16) + request.toString(16)).padStart(16, '0').slice(-16);
}
