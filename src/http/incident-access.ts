/**
 * The HTTP side of the incident engine: listing through the IncidentIndex, reaching one
 * incident by its public id, and turning the engine's typed refusals into problems.
 */
import type { IncidentSummary } from '../core/incident';
import type { IncidentRefusal } from '../core/incident-lifecycle';
import type { Result } from '../core/result';
import { incidentIndexStub, incidentStubById, incidentStubFor } from '../durable/incident-stubs';
import type { MonitorEnv } from '../env';
import { HttpProblem } from './problem';

type IncidentEnv = Pick<MonitorEnv, 'INCIDENT' | 'INCIDENT_INDEX'>;

/** The listing the status report reads: every incident the index keeps, open first. */
export const STATUS_LISTING_LIMIT = 500;

export async function listIncidents(
  env: IncidentEnv,
  options: { states?: readonly IncidentSummary['state'][]; limit?: number; offset?: number } = {},
): Promise<IncidentSummary[]> {
  return incidentIndexStub(env).list({
    limit: STATUS_LISTING_LIMIT,
    ...options,
  });
}

export function incidentNotFound(): HttpProblem {
  return new HttpProblem('not-found', 'No incident has this id.');
}

/** The incident's stub, or a 404 problem (the id is validated before it gets here). */
export async function requireIncident(env: IncidentEnv, id: string) {
  const stub = await incidentStubById(env, id);
  if (stub === undefined) throw incidentNotFound();
  return stub;
}

/**
 * The stub of an incident the public may see, or a 404 problem. An unknown id and an
 * undisclosed private incident's id take the same path (one index query, no incident
 * object woken) and give the same answer, so neither the answer nor its timing confirms
 * a guessed id.
 */
export async function requirePublicIncident(env: IncidentEnv, id: string) {
  const fingerprint = await incidentIndexStub(env).publicLookup(id);
  if (fingerprint === undefined) throw incidentNotFound();
  return incidentStubFor(env, fingerprint);
}

const OPERATION_WORDS: Record<string, string> = {
  acknowledge: 'acknowledged',
  contain: 'contained',
  resolve: 'resolved',
  reopen: 'reopened',
  disclose: 'disclosed',
};

/** An engine refusal as the problem the operator sees. */
export function problemOfRefusal(refusal: IncidentRefusal): HttpProblem {
  switch (refusal.kind) {
    case 'not-found':
      return incidentNotFound();
    case 'invalid-input':
      return new HttpProblem('invalid-request', refusal.detail);
    case 'already':
      return new HttpProblem(
        'conflict',
        `The incident is already ${OPERATION_WORDS[refusal.operation] ?? refusal.operation} (state: ${refusal.state}).`,
      );
    case 'illegal-transition':
      return new HttpProblem(
        'conflict',
        `A ${refusal.from} incident cannot be ${OPERATION_WORDS[refusal.operation] ?? refusal.operation}.`,
      );
    case 'human-required':
      return new HttpProblem('conflict', refusal.reason);
  }
}

/** The value of an incident RPC result, or its refusal thrown as a problem. */
export function valueOrProblem<T>(result: Result<T, IncidentRefusal>): T {
  if (!result.ok) throw problemOfRefusal(result.error);
  return result.value;
}
