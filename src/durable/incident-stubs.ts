/**
 * How the rest of the Worker reaches incidents: by fingerprint (the sweep), or by the
 * public incident id through the index (HTTP, Slack).
 */
import { isIncidentId } from '../core/incident';
import type { MonitorEnv } from '../env';
import { INCIDENT_INDEX_NAME } from './incident-index';

type IncidentEnv = Pick<MonitorEnv, 'INCIDENT' | 'INCIDENT_INDEX'>;

export function incidentStubFor(env: IncidentEnv, fingerprint: string) {
  return env.INCIDENT.get(env.INCIDENT.idFromName(fingerprint));
}

export function incidentIndexStub(env: IncidentEnv) {
  return env.INCIDENT_INDEX.get(env.INCIDENT_INDEX.idFromName(INCIDENT_INDEX_NAME));
}

/** The incident with this id, or `undefined` for a malformed or unknown id. */
export async function incidentStubById(env: IncidentEnv, id: string) {
  if (!isIncidentId(id)) return undefined;
  const fingerprint = await incidentIndexStub(env).lookup(id);
  return fingerprint === undefined ? undefined : incidentStubFor(env, fingerprint);
}
