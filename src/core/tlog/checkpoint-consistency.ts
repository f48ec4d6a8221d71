/**
 * Whether a log's newer checkpoint may follow an older one: same origin, a tree at least as
 * large, the same root at the same size, and a consistency proof between the two roots. What
 * a monitor, a witness or a client checks before it trusts the newer one (C2SP
 * tlog-checkpoint: a log must never sign two inconsistent checkpoints).
 *
 * Contract: pure. Both checkpoints must already be signature-verified by the caller.
 */
import { err, ok, type Result } from '../result.ts';
import { bytesEqual } from './encoding.ts';
import { verifyConsistency } from './merkle.ts';

export interface TreeHead {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: Uint8Array;
}

export type CheckpointAdvanceError = {
  /** Another log; a tree that shrank; two roots for one size; a proof that fails. */
  readonly kind: 'origin-changed' | 'smaller-tree' | 'fork' | 'inconsistent';
  readonly detail: string;
};

export async function verifyCheckpointAdvance(
  previous: TreeHead,
  next: TreeHead,
  proof: readonly Uint8Array[],
): Promise<Result<void, CheckpointAdvanceError>> {
  if (previous.origin !== next.origin) {
    return err({
      kind: 'origin-changed',
      detail: `origin ${JSON.stringify(next.origin)} after ${JSON.stringify(previous.origin)}`,
    });
  }
  if (next.size < previous.size) {
    return err({
      kind: 'smaller-tree',
      detail: `a checkpoint for ${next.size} entries after one for ${previous.size}`,
    });
  }
  if (next.size === previous.size && !bytesEqual(next.rootHash, previous.rootHash)) {
    return err({ kind: 'fork', detail: `two different roots for size ${next.size}` });
  }
  if (
    !(await verifyConsistency(previous.size, next.size, previous.rootHash, next.rootHash, proof))
  ) {
    return err({
      kind: 'inconsistent',
      detail: `the tree of ${next.size} entries does not extend the tree of ${previous.size}`,
    });
  }
  return ok(undefined);
}
