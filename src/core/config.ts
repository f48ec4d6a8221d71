/**
 * The monitor's configuration, parsed once from the Worker's vars (plain strings) into
 * typed values. Contract: every var has a default (wrangler.toml documents each one); a
 * var that does not parse is a `ConfigError` naming it, never a silent fallback, because a
 * monitor that quietly watches the wrong thing is worse than one that refuses to start.
 */
import { z } from 'zod';
import { isLocationHint, LOCATION_HINTS, type LocationHint } from './region-colos';
import { err, ok, type Result } from './result';

const csv = (value: string): string[] =>
  value
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0);

const positiveInt = (min: number, max: number) => z.coerce.number().int().min(min).max(max);

const urlWithoutSlash = z
  .string()
  .trim()
  .url()
  .refine((value) => /^https?:\/\//i.test(value), 'must be an http(s) URL')
  .transform((value) => value.replace(/\/+$/, ''));

const VarsSchema = z.object({
  DIST_BASE_URL: urlWithoutSlash.default('https://nodejs.org/dist'),
  ORIGIN_BASE_URL: z
    .union([z.literal(''), urlWithoutSlash])
    .default('')
    .transform((value) => (value === '' ? undefined : value)),
  CONTAINMENT_MODE: z
    .string()
    .default('dry-run')
    .transform((value): 'dry-run' | 'enforce' =>
      value.trim() === 'enforce' ? 'enforce' : 'dry-run',
    ),
  RELEASE_KEYS_URL: z
    .string()
    .default('https://github.com/nodejs/release-keys/raw/HEAD/keys/{fingerprint}.asc'),
  WATCH_NEWEST: positiveInt(0, 50).default(3),
  WATCH_LINES: z
    .string()
    .default('')
    .transform((value, ctx) => {
      const lines = csv(value).map((part) => Number(part.replace(/^v/i, '').replace(/\.x$/i, '')));
      if (lines.some((line) => !Number.isInteger(line) || line < 0)) {
        ctx.addIssue({
          code: 'custom',
          message: 'must be comma-separated major versions, e.g. 22,24',
        });
      }
      return lines;
    }),
  OUTAGE_THRESHOLD: positiveInt(1, 100).default(2),
  REQUEST_TIMEOUT_MS: positiveInt(100, 120_000).default(10_000),
  REQUEST_RETRIES: positiveInt(0, 10).default(2),
  MAX_MANIFEST_BYTES: positiveInt(1024, 64 * 1024 * 1024).default(1024 * 1024),
  MAX_INDEX_BYTES: positiveInt(1024, 256 * 1024 * 1024).default(16 * 1024 * 1024),
  LATENCY_THRESHOLD_MS: positiveInt(1, 600_000).default(3000),
  SUBREQUEST_BUDGET: positiveInt(10, 1000).default(900),
  ALLOWED_REDIRECT_HOSTS: z.string().default('nodejs.org,dist.nodejs.org').transform(csv),
  CACHE_CONTROL_SUCCESS: z.string().default('public, max-age=3600, s-maxage=14400'),
  CACHE_CONTROL_ERROR: z
    .string()
    .default('private, no-cache, no-store, max-age=0, must-revalidate'),
  DISCLOSURE_HEADER_DENYLIST: z
    .string()
    .default('x-powered-by,server-timing')
    .transform((value) => csv(value).map((name) => name.toLowerCase())),
  ROTATION_DAYS: positiveInt(1, 365).default(7),
  INLINE_HASH_BYTES: positiveInt(0, 1024 * 1024 * 1024).default(64 * 1024 * 1024),
  HASH_BYTES_PER_SWEEP_MIN: positiveInt(0, Number.MAX_SAFE_INTEGER).default(256 * 1024 * 1024),
  AUTO_RESOLVE_CLEAN_SWEEPS: positiveInt(1, 1000).default(3),
  SHA1_SIGNATURE_CUTOFF: z.iso
    .date()
    .default('2017-01-01')
    .transform((value) => new Date(`${value}T00:00:00Z`)),
  // Regions probed each sweep (Durable Object location hints); empty = no regional probes.
  PROBE_REGIONS: z
    .string()
    .default('wnam,enam,sam,weur,eeur,apac,oc,afr,me')
    .transform((value, ctx): LocationHint[] => {
      const regions = [...new Set(csv(value).map((region) => region.toLowerCase()))];
      const unknown = regions.filter((region) => !isLocationHint(region));
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          message: `unknown location hint(s) ${unknown.join(', ')}; known: ${LOCATION_HINTS.join(', ')}`,
        });
      }
      return regions.filter(isLocationHint);
    }),
  PUBLIC_URL: z
    .union([z.literal(''), urlWithoutSlash])
    .default('')
    .transform((value) => (value === '' ? undefined : value)),
  RUNBOOK_BASE_URL: z
    .string()
    .default('https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/runbooks')
    .transform((value) => value.replace(/\/+$/, '')),
});

/** The parsed configuration. */
export type MonitorConfig = z.output<typeof VarsSchema>;

export interface ConfigError {
  readonly kind: 'invalid-config';
  /** One entry per var that did not parse, e.g. `WATCH_NEWEST: must be at most 50`. */
  readonly problems: readonly string[];
}

/**
 * Parses the vars. Empty strings mean "default" for vars whose default is not empty, so
 * an operator can blank a var in the dashboard without breaking the monitor.
 */
export function parseMonitorConfig(
  vars: Readonly<Record<string, unknown>>,
): Result<MonitorConfig, ConfigError> {
  const input: Record<string, unknown> = {};
  for (const key of Object.keys(VarsSchema.shape)) {
    const value = vars[key];
    if (
      typeof value === 'string' &&
      value.trim() === '' &&
      !['ORIGIN_BASE_URL', 'PUBLIC_URL', 'WATCH_LINES', 'PROBE_REGIONS'].includes(key)
    ) {
      continue;
    }
    if (value !== undefined) input[key] = value;
  }
  const parsed = VarsSchema.safeParse(input);
  if (parsed.success) return ok(parsed.data);
  return err({
    kind: 'invalid-config',
    problems: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
  });
}
