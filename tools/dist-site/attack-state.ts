/**
 * The attack state: everything attacks change, in one object that `reset()` replaces.
 */
import type { SignedManifest } from './signing.ts';
import type { AttackCommand, ForgedAnswer } from './types.ts';

/** A `cloak` rule: per path pattern, an answer per audience. */
export interface CloakRule {
  readonly matches: (path: string) => boolean;
  readonly isMonitor: (request: Request) => boolean;
  readonly monitor: ForgedAnswer | undefined;
  readonly others: ForgedAnswer | undefined;
}

/** An `answer-by-query` rule: per path pattern, an answer with and without a query string. */
export interface QueryRule {
  readonly matches: (path: string) => boolean;
  readonly query: ForgedAnswer | undefined;
  readonly plain: ForgedAnswer | undefined;
}

/** Everything attacks change; `reset()` replaces it with a fresh one. */
export interface AttackState {
  readonly applied: AttackCommand[];
  readonly flips: Map<string, number[]>;
  readonly manifests: Map<string, SignedManifest>;
  /** Path → the simulated regions whose cache is poisoned, or `all`. */
  readonly poisoned: Map<string, ReadonlySet<string> | 'all'>;
  readonly dropped: Set<string>;
  readonly headers: Map<string, [string, string][]>;
  readonly redirects: Map<string, string>;
  readonly metadataChanges: Map<string, number>;
  rolledBack: boolean;
  isDown: boolean;
  /** Simulated regions that get 503s (when the whole site is not down). */
  readonly downRegions: Set<string>;
  delayMs: number;
  /** In the order applied; the last matching rule with an answer for a request wins. */
  readonly cloaks: CloakRule[];
  readonly queryRules: QueryRule[];
  /** Version → the release whose signed manifest files it serves. */
  readonly substitutions: Map<string, string>;
  /** Versions left out of index.json and index.tab. */
  readonly pruned: Set<string>;
  /** Version → fields that replace those of its index entry. */
  readonly rewrites: Map<string, Readonly<Record<string, unknown>>>;
  /** Paths the worker serves from its origin fallback (an R2 outage); empty = none. */
  readonly fallback: ((path: string) => boolean)[];
  /** 404s for files carry the success cache policy (and the edge keeps them). */
  cacheable404: boolean;
  /** The edge cache is on (besides the site's `edgeCache` option). */
  edgeCache: boolean;
}

export function freshAttackState(): AttackState {
  return {
    applied: [],
    flips: new Map(),
    manifests: new Map(),
    poisoned: new Map(),
    dropped: new Set(),
    headers: new Map(),
    redirects: new Map(),
    metadataChanges: new Map(),
    rolledBack: false,
    isDown: false,
    downRegions: new Set(),
    delayMs: 0,
    cloaks: [],
    queryRules: [],
    substitutions: new Map(),
    pruned: new Set(),
    rewrites: new Map(),
    fallback: [],
    cacheable404: false,
    edgeCache: false,
  };
}
