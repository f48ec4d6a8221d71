/**
 * The second line of the disclosure rule for the public status snapshot: after it is built
 * with only public views (snapshot-model.ts), its finished JSON is searched for anything
 * that identifies an undisclosed incident, and the writer refuses to publish a snapshot in
 * which something is found. Contract: pure.
 */
import type { SnapshotInput } from './snapshot-model';
import { isRedacted } from './incident-views';

/**
 * The second line of the disclosure rule: strings that identify an undisclosed incident
 * and occur in the finished snapshot (its JSON), so the writer can refuse to publish it.
 * Its id, fingerprint, URL and hashes are secret unless the same string is public
 * through another, disclosed or non-private incident (two findings about one URL).
 */
export function findDisclosedSecrets(
  serialized: string,
  input: Pick<SnapshotInput, 'sources' | 'records'>,
): string[] {
  const hidden = input.sources.incidents.filter(isRedacted);
  if (hidden.length === 0) return [];
  const shown = input.sources.incidents.filter((incident) => !isRedacted(incident));
  const shownRecords = input.records.filter((record) => !isRedacted(record));
  const publicText = JSON.stringify([shown, shownRecords]);
  const records = new Map(input.records.map((record) => [record.id, record]));
  const found = new Set<string>();
  for (const incident of hidden) {
    const record = records.get(incident.id);
    const always = [incident.id, incident.fingerprint];
    // Not the release name: short and shared by every finding about that release.
    const unlessPublic = [incident.subject, record?.expected, record?.observed].filter(
      (value): value is string => value !== undefined && value.length >= 6,
    );
    for (const secret of always) if (serialized.includes(secret)) found.add(secret);
    for (const secret of unlessPublic)
      if (serialized.includes(secret) && !publicText.includes(secret)) found.add(secret);
  }
  return [...found];
}
