/** Misuse of the fixture (unknown version, malformed command): a bug in the caller. */
export class DistSiteError extends Error {
  override readonly name = 'DistSiteError';
}
