/**
 * The incident state machine: open → acknowledged → contained → resolved, and resolved →
 * open when the problem is seen again.
 *
 * Contract: every change an actor asks for is judged here, and a refusal is data (a
 * `IncidentRefusal`), never an exception. Humans acknowledge; only humans resolve an
 * incident that is not auto-resolvable (P0/P1, or any private integrity kind). Severity
 * can be changed by a human with a reason; an observation can only raise it.
 */
import type { AlertEvent } from './alerts';
import { kindSpec, severityRank, type FindingKind, type Severity } from './findings';
import { isHumanActor, type Actor, type IncidentState } from './incident';
import { err, ok, type Result } from './result';

/** A change of lifecycle state someone asks for. */
export type LifecycleAction = 'acknowledge' | 'contain' | 'resolve' | 'reopen';

/** What the state machine needs to know about an incident. */
export interface LifecycleFacts {
  readonly state: IncidentState;
  readonly severity: Severity;
  readonly kind: FindingKind;
  /** Acknowledged at some point since it (re)opened (also true once contained by a human). */
  readonly acknowledged: boolean;
}

/** An allowed change: the new state, the alert it raises, whether it acknowledges. */
export interface Transition {
  readonly from: IncidentState;
  readonly to: IncidentState;
  readonly event: AlertEvent;
  readonly acknowledges: boolean;
}

/** Everything an actor can ask of an incident besides reading it. */
export type IncidentOperation =
  LifecycleAction | 'change-severity' | 'disclose' | 'note' | 'observe';

/**
 * Why a request was refused: what every incident operation returns instead of throwing.
 * (HTTP maps them: not-found 404, invalid-input 400, already / illegal-transition 409,
 * human-required 403.)
 */
export type IncidentRefusal =
  | { readonly kind: 'not-found' }
  | { readonly kind: 'invalid-input'; readonly detail: string }
  | {
      readonly kind: 'already';
      readonly state: IncidentState;
      readonly operation: IncidentOperation;
    }
  | {
      readonly kind: 'illegal-transition';
      readonly from: IncidentState;
      readonly operation: IncidentOperation;
    }
  | {
      readonly kind: 'human-required';
      readonly operation: IncidentOperation;
      readonly reason: string;
    };

/**
 * P2/P3 incidents of a non-private kind may resolve themselves after clean sweeps;
 * everything else waits for a human.
 */
export function isAutoResolvable(severity: Severity, kind: FindingKind): boolean {
  return (severity === 'P2' || severity === 'P3') && !kindSpec(kind).security;
}

export function planTransition(
  facts: LifecycleFacts,
  action: LifecycleAction,
  actor: Actor,
): Result<Transition, IncidentRefusal> {
  const from = facts.state;
  const operation = action;
  const illegal = err({ kind: 'illegal-transition' as const, from, operation });
  const already = err({ kind: 'already' as const, state: from, operation });
  switch (action) {
    case 'acknowledge':
      if (!isHumanActor(actor)) {
        return err({ kind: 'human-required', operation, reason: 'only a person can acknowledge' });
      }
      if (from === 'resolved') return illegal;
      if (facts.acknowledged) return already;
      // Acknowledging a contained incident records the owner without moving it back.
      return ok({
        from,
        to: from === 'open' ? 'acknowledged' : from,
        event: 'acknowledged',
        acknowledges: true,
      });
    case 'contain':
      if (from === 'resolved') return illegal;
      if (from === 'contained') return already;
      return ok({
        from,
        to: 'contained',
        event: 'contained',
        acknowledges: isHumanActor(actor) && !facts.acknowledged,
      });
    case 'resolve':
      if (from === 'resolved') return already;
      if (
        !isHumanActor(actor) &&
        !(actor === 'system' && isAutoResolvable(facts.severity, facts.kind))
      ) {
        return err({
          kind: 'human-required',
          operation,
          reason: `${facts.severity} ${facts.kind} incidents are resolved only by a person`,
        });
      }
      return ok({ from, to: 'resolved', event: 'resolved', acknowledges: false });
    case 'reopen':
      if (from !== 'resolved') return already;
      return ok({ from, to: 'open', event: 'reopened', acknowledges: false });
  }
}

/** An operator's severity change: any direction, with a reason, on an unresolved incident. */
export function planSeverityChange(
  facts: Pick<LifecycleFacts, 'state' | 'severity'>,
  requested: Severity,
  actor: Actor,
  reason: string,
): Result<Severity, IncidentRefusal> {
  const operation = 'change-severity';
  if (!isHumanActor(actor)) {
    return err({
      kind: 'human-required',
      operation,
      reason: 'only a person changes severity by hand',
    });
  }
  if (reason.trim() === '')
    return err({ kind: 'invalid-input', detail: 'a severity change needs a reason' });
  if (facts.state === 'resolved')
    return err({ kind: 'illegal-transition', from: facts.state, operation });
  if (requested === facts.severity) return err({ kind: 'already', state: facts.state, operation });
  return ok(requested);
}

/**
 * The severity after an observation: raised when the new sighting is more severe, never
 * lowered (a calmer sighting does not undo an operator's or an earlier sweep's judgement).
 * Returns `undefined` when nothing changes.
 */
export function raiseSeverity(current: Severity, observed: Severity): Severity | undefined {
  return severityRank(observed) < severityRank(current) ? observed : undefined;
}

/** What a clean sweep means for an incident. */
export type CleanSweepDecision = 'resolve' | 'count' | 'ignore';

export function planCleanSweep(
  facts: Pick<LifecycleFacts, 'state' | 'severity' | 'kind'>,
  streakAfter: number,
  threshold: number,
): CleanSweepDecision {
  if (facts.state === 'resolved') return 'ignore';
  if (isAutoResolvable(facts.severity, facts.kind) && streakAfter >= threshold) return 'resolve';
  return 'count';
}
