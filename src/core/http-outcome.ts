/**
 * The vocabulary of an HTTP exchange with the dist site that both the pure core (verdicts on
 * hashing attempts) and the dist client adapter speak: how a request can fail, and a
 * followed redirect. Defined once here; the adapter builds values of these types.
 */

export type HttpErrorKind =
  | 'timeout'
  | 'network'
  | 'too-large'
  | 'truncated'
  | 'invalid-utf8'
  | 'redirect-loop'
  | 'too-many-redirects'
  | 'foreign-redirect'
  | 'budget-exhausted'
  | 'status';

/** One redirect that was followed (or refused, as the last hop of a redirect error). */
export interface RedirectHop {
  readonly from: string;
  readonly to: string;
  readonly status: number;
}
