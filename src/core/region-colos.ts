/**
 * Where a regional probe really ran. A Durable Object's `locationHint` is a wish, not a
 * guarantee, so every probe result records the data centre that served its requests: the
 * suffix of the `cf-ray` response header (`8abc…-FRA` → `FRA`). A small table maps data
 * centres to the location-hint areas. Contract: pure; a colo missing from the table is
 * `unknown`, and an unknown colo never counts as a mismatch.
 */

/** The Durable Object location hints Cloudflare accepts. */
export const LOCATION_HINTS = [
  'wnam',
  'enam',
  'sam',
  'weur',
  'eeur',
  'apac',
  'apac-ne',
  'apac-se',
  'oc',
  'afr',
  'me',
] as const;

export type LocationHint = (typeof LOCATION_HINTS)[number];

export function isLocationHint(value: string): value is LocationHint {
  return (LOCATION_HINTS as readonly string[]).includes(value);
}

/** The colo as the table knows it, or `unknown`. */
export type ColoRegion = LocationHint | 'unknown';

/** Data centres by area, as space-separated IATA codes (kept short on purpose). */
const AREAS: Readonly<Record<LocationHint, string>> = {
  wnam: 'SJC SFO LAX SEA PDX SAN SMF LAS PHX SLC DEN YVR ABQ',
  enam: 'IAD EWR JFK ORD ATL MIA DFW IAH BOS PHL CLT MSP DTW YYZ YUL BNA MCI STL CMH IND PIT TPA MCO JAX RIC AUS',
  sam: 'GRU GIG VCP EZE SCL BOG LIM UIO FOR POA CWB MDE ASU',
  weur: 'LHR MAN EDI DUB AMS BRU CDG MRS FRA DUS HAM MUC ZRH GVA MXP FCO MAD BCN LIS CPH OSL ARN VIE LUX',
  eeur: 'WAW PRG BUD OTP SOF KBP KIV VNO RIX TLL HEL ATH BEG ZAG',
  apac: 'BOM DEL MAA BLR HYD CCU CMB DAC KTM',
  'apac-ne': 'NRT HND KIX FUK OKA ICN HKG TPE',
  'apac-se': 'SIN KUL BKK CGK MNL SGN HAN',
  oc: 'SYD MEL BNE PER ADL AKL CHC',
  afr: 'JNB CPT DUR NBO LOS ACC CAI CMN DAR KGL',
  me: 'DXB DOH BAH KWI RUH JED AMM TLV MCT BGW',
};

const REGION_OF_COLO: ReadonlyMap<string, LocationHint> = new Map(
  (Object.entries(AREAS) as [LocationHint, string][]).flatMap(([area, colos]) =>
    colos.split(' ').map((colo): [string, LocationHint] => [colo, area]),
  ),
);

/** The colo of a `cf-ray` header (`8abc123def456-FRA` → `FRA`), or `unknown`. */
export function coloOfCfRay(cfRay: string | undefined): string {
  const match = cfRay === undefined ? null : /-([A-Za-z]{3})\s*$/.exec(cfRay);
  return match?.[1] === undefined ? 'unknown' : match[1].toUpperCase();
}

export function regionOfColo(colo: string): ColoRegion {
  return REGION_OF_COLO.get(colo.toUpperCase()) ?? 'unknown';
}

/**
 * Whether a colo lies in the hinted area: `unknown` when the colo is not in the table (or
 * not seen), never a mismatch. `apac` accepts its north-east and south-east parts.
 */
export function matchesHint(colo: string, hint: string): boolean | 'unknown' {
  const region = regionOfColo(colo);
  if (region === 'unknown') return 'unknown';
  if (region === hint) return true;
  return hint === 'apac' && region.startsWith('apac-');
}

/** What a probe result says about where it ran. */
export interface ProbePlacement {
  /** IATA code of the data centre, or `unknown`. */
  readonly colo: string;
  readonly hint: string;
  readonly coloRegion: ColoRegion;
  readonly matchesHint: boolean | 'unknown';
}

export function placementOf(colo: string, hint: string): ProbePlacement {
  return { colo, hint, coloRegion: regionOfColo(colo), matchesHint: matchesHint(colo, hint) };
}
