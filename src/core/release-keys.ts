/**
 * The trust anchor: fingerprints of every key that has signed Node.js releases.
 *
 * Contract: a key is trusted only when its primary-key fingerprint is in this list (unless
 * a deployment replaces the trust set with the RELEASE_KEYS secret). Key material is not
 * stored here; it is loaded at run time and checked against these fingerprints.
 *
 * Source: the "Release keys" section of the nodejs/node README and the nodejs/release-keys
 * repository (keys/<FINGERPRINT>.asc), as of July 2026. Retired keys stay pinned: they
 * signed old releases, which must keep verifying. When the release team adds a key, add it
 * here (and never remove one). What `retired` means is decided in manifest-binding.ts: a
 * retired key still verifies the releases it signed, but binds no brand-new release and no
 * signature dated after RELEASE_KEYS_LISTED_AT. A key's creation and expiry are not written
 * here: they come from the key material itself (signature.ts judges validity at signing).
 */

export type ReleaseKeyStatus = 'active' | 'retired';

/** A pinned release key: primary-key fingerprint (40 hex, uppercase) and its owner. */
export interface PinnedReleaseKey {
  readonly fingerprint: string;
  readonly owner: string;
  readonly status: ReleaseKeyStatus;
}

const active = (fingerprint: string, owner: string): PinnedReleaseKey => ({
  fingerprint,
  owner,
  status: 'active',
});
const retired = (fingerprint: string, owner: string): PinnedReleaseKey => ({
  fingerprint,
  owner,
  status: 'retired',
});

export const RELEASE_KEYS: readonly PinnedReleaseKey[] = [
  // Active releasers.
  active('5BE8A3F6C8A5C01D106C0AD820B1A390B168D356', 'Antoine du Hamel'),
  active('DD792F5973C6DE52C432CBDAC77ABFA00DDBF2B7', 'Juan José Arboleda'),
  active('CC68F5A3106FF448322E48ED27F5E38D5B0A215F', 'Marco Ippolito'),
  active('8FCCA13FEF1D0C2E91008E09770F7A9A5AE15600', 'Michaël Zasso'),
  active('890C08DB8579162FEE0DF9DB8BEAB4DFCF555EF4', 'Rafael Gonzaga'),
  active('C82FA3AE1CBEDC6BE46B9360C43CEC45C17AB93C', 'Richard Lau'),
  active('108F52B48DB57BB0CC439B2997B01419BD92F80A', 'Ruy Adorno'),
  active('655F3B5C1FB3FA8D1A0CA6BDE4A7D232B936D2FD', 'Stewart X Addison'),
  active('A363A499291CBBC940DD62E41F10027AF002F8B0', 'Ulises Gascón'),
  // Retired releasers: their signatures on past releases stay valid.
  retired('C0D6248439F1D5604AAFFB4021D900FFDB233756', 'Antoine du Hamel'),
  retired('4ED778F539E3634C779C87C6D7062848A1AB005C', 'Beth Griggs'),
  retired('141F07595B7B3FFE74309A937405533BE57C7D57', 'Bryan English'),
  retired('9554F04D7259F04124DE6B476D5A82AC7E37093B', 'Christopher Dickinson'),
  retired('94AE36675C464D64BAFA68DD7434390BDBE9B9C5', 'Colin Ihrig'),
  retired('1C050899334244A8AF75E53792EF661D867B9DFA', 'Danielle Adams'),
  retired('74F12602B6F1C4E913FAA37AD3A89613643B6201', 'Danielle Adams'),
  retired('B9AE9905FFD7803F25714661B63B535A4C206CA9', 'Evan Lucas'),
  retired('77984A986EBC2AA786BC0F66B01FBB92821C587A', 'Gibson Fahnestock'),
  retired('93C7E9E91B49E432C2F75674B0A78B0A6C481CF6', 'Isaac Z. Schlueter'),
  retired('56730D5401028683275BD23C23EFEFE93C4CFFFE', 'Italo A. Casas'),
  retired('71DCFD284A79C3B38668286BC97EC7A07EDE3FC1', 'James M Snell'),
  retired('FD3A5288F042B6850C66B31F09FE44734EB7990E', 'Jeremiah Senkpiel'),
  retired('61FC681DFB92A079F1685E77973F295594EC4689', 'Juan José Arboleda'),
  retired('114F43EE0176B71C7BC219DD50A3051F888C628D', 'Julien Gilli'),
  retired('C4F0DFFF4E8C1A8236409D08E73BC641CC11F4C8', 'Myles Borins'),
  retired('DD8F2338BAE7501E3DD5AC78C273792F7D83545D', 'Rod Vagg'),
  retired('A48C2BEE680E841632CD4E44F07496B3EB3C1762', 'Ruben Bridgewater'),
  retired('B9E2F5981AA6E0CD28160D9FF13993A75599653C', 'Shelley Vohr'),
  retired('7937DFD2AB06298B2293C3187D33FF9D0246406D', 'Timothy J Fontaine'),
];

/**
 * When the list above was taken from the nodejs/node README (July 2026): a key it marks
 * `retired` had been retired by this day, so no signature it made after it is a release's.
 * (The README does not date each retirement; this is the latest date we can vouch for.)
 */
export const RELEASE_KEYS_LISTED_AT = '2026-07-01';

/** Every pinned fingerprint, active and retired. */
export const PINNED_RELEASE_KEY_FINGERPRINTS: readonly string[] = RELEASE_KEYS.map(
  (key) => key.fingerprint,
);

/** The pinned key with this primary fingerprint (any case), or undefined. */
export function pinnedReleaseKey(fingerprint: string): PinnedReleaseKey | undefined {
  const wanted = fingerprint.toUpperCase();
  return RELEASE_KEYS.find((key) => key.fingerprint === wanted);
}

/** True when `fingerprint` (any case) is a pinned release key. */
export function isPinnedFingerprint(fingerprint: string): boolean {
  return PINNED_RELEASE_KEY_FINGERPRINTS.includes(fingerprint.toUpperCase());
}
