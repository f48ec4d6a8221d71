/**
 * Results for expected failures: a malformed manifest line or a bad signature is data,
 * not an exception. Exceptions are for broken things (a bug, a binding that failed).
 */
export type Result<T, E> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: E };

export function ok<T>(value: T): { readonly ok: true; readonly value: T } {
  return { ok: true, value };
}

export function err<E>(error: E): { readonly ok: false; readonly error: E } {
  return { ok: false, error };
}
