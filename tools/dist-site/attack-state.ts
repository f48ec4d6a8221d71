/**
 * The attack state: everything attacks change, in one object that `reset()` replaces.
 */
import type { SignedManifest } from './signing.ts';
import type { AttackCommand } from './types.ts';

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
  };
}
