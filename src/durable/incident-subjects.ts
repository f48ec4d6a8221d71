/**
 * The subjects of one incident (`subjects` table): every URL a grouped incident covers, or
 * the one subject of a single incident, each with its latest finding. Subjects are added,
 * never removed: a subject that stops being seen is still part of what happened.
 */
import { SEVERITIES, severityRank, type Finding, type Severity } from '../core/findings';
import { LISTED_SUBJECTS_LIMIT, type IncidentSubject } from '../core/incident';

interface SubjectRow extends Record<string, SqlStorageValue> {
  subject: string;
  severity_rank: number;
  first_seen: string;
  last_seen: string;
  last_sweep_id: string;
  count: number;
  finding: string;
}

const ORDER = 'ORDER BY severity_rank, subject';

export class IncidentSubjects {
  constructor(private readonly sql: SqlStorage) {}

  /**
   * Records one sweep's sightings (deduplicated per sweep and subject); returns the subjects
   * seen here for the first time.
   */
  record(findings: readonly Finding[], sweepId: string): string[] {
    const joined: string[] = [];
    for (const finding of findings) {
      const row = this.sql
        .exec<SubjectRow>('SELECT * FROM subjects WHERE subject = ?', finding.subject)
        .toArray()[0];
      const rank = severityRank(finding.severity);
      if (row === undefined) {
        joined.push(finding.subject);
        this.sql.exec(
          `INSERT INTO subjects (subject, severity_rank, first_seen, last_seen, last_sweep_id, count, finding)
           VALUES (?, ?, ?, ?, ?, 1, ?)`,
          finding.subject,
          rank,
          finding.observedAt,
          finding.observedAt,
          sweepId,
          JSON.stringify(finding),
        );
        continue;
      }
      const again = row.last_sweep_id === sweepId;
      this.sql.exec(
        `UPDATE subjects SET severity_rank = ?, last_seen = ?, last_sweep_id = ?, count = ?, finding = ?
         WHERE subject = ?`,
        // Never lowered: the most severe sighting of the subject stands.
        Math.min(rank, row.severity_rank),
        finding.observedAt > row.last_seen ? finding.observedAt : row.last_seen,
        sweepId,
        again ? row.count : row.count + 1,
        JSON.stringify(finding),
        finding.subject,
      );
    }
    return joined;
  }

  count(): number {
    return this.sql.exec<{ n: number }>('SELECT COUNT(*) AS n FROM subjects').one().n;
  }

  /** Subject names, most severe first, at most `limit`. */
  names(limit = LISTED_SUBJECTS_LIMIT): string[] {
    return this.sql
      .exec<{ subject: string }>(`SELECT subject FROM subjects ${ORDER} LIMIT ?`, limit)
      .toArray()
      .map((row) => row.subject);
  }

  /** The latest finding of every subject. */
  findings(): Finding[] {
    return this.rows().map((row) => JSON.parse(row.finding) as Finding);
  }

  views(): IncidentSubject[] {
    return this.rows().map((row) => {
      const finding = JSON.parse(row.finding) as Finding;
      return {
        subject: row.subject,
        severity: SEVERITIES[row.severity_rank] ?? ('P0' as Severity),
        firstSeen: row.first_seen,
        lastSeen: row.last_seen,
        count: row.count,
        summary: finding.summary,
        ...(finding.expected !== undefined && { expected: finding.expected }),
        ...(finding.observed !== undefined && { observed: finding.observed }),
        ...(finding.release !== undefined && { release: finding.release }),
      };
    });
  }

  private rows(): SubjectRow[] {
    return this.sql.exec<SubjectRow>(`SELECT * FROM subjects ${ORDER}`).toArray();
  }
}
