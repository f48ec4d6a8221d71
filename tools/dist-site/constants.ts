/**
 * The fixture site's constants: the release worker's cache policies, the request log's bound,
 * the simulated-region header and colos, and the sizes the byte generator works in.
 */
/** The release worker's Cache-Control for successful responses (src/constants/cache.ts). */
export const SUCCESS_CACHE_CONTROL = 'public, max-age=3600, s-maxage=14400';
/** The release worker's Cache-Control for every error response. */
export const ERROR_CACHE_CONTROL = 'private, no-cache, no-store, max-age=0, must-revalidate';
/** Oldest entries of the request log are dropped beyond this many. */
export const REQUEST_LOG_LIMIT = 10_000;
/**
 * The request header that simulates where a request comes from (the monitor's regional
 * probes send it in local runs, where Durable Object location hints are ignored).
 */
export const REGION_HEADER = 'x-monitor-region';
/** The data centre that answers each simulated region, as the `cf-ray` suffix shows it. */
export const DEFAULT_REGION_COLOS: Readonly<Record<string, string>> = {
  wnam: 'SJC',
  enam: 'IAD',
  sam: 'GRU',
  weur: 'FRA',
  eeur: 'WAW',
  apac: 'BOM',
  'apac-ne': 'NRT',
  'apac-se': 'SIN',
  oc: 'SYD',
  afr: 'JNB',
  me: 'DXB',
};

/** Artifacts are generated, hashed and streamed in chunks of this many bytes. */
export const CHUNK_SIZE = 64 * 1024;
/** The default hasher buffers when the runtime has no `crypto.DigestStream`; not beyond this. */
export const MAX_BUFFERED_HASH_BYTES = 128 * 1024 * 1024;
export const DAY_MS = 86_400_000;
