/**
 * The SQLite tables of one IncidentObject (documented in docs/storage.md, "Durable Object
 * tables"). Created idempotently in the constructor under `blockConcurrencyWhile`.
 */
export const INCIDENT_TABLES: readonly string[] = [
  // One row: the incident's record (JSON) and the bookkeeping the record does not show.
  `CREATE TABLE IF NOT EXISTS incident (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    record TEXT NOT NULL,
    finding TEXT NOT NULL,
    last_sweep_id TEXT,
    last_clean_sweep_id TEXT,
    escalation_since INTEGER NOT NULL,
    playbook_run INTEGER NOT NULL DEFAULT 0,
    version INTEGER NOT NULL DEFAULT 1
  )`,
  // Append-only: rows are inserted, never updated or deleted.
  `CREATE TABLE IF NOT EXISTS timeline (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT
  )`,
  `CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY,
    channel TEXT NOT NULL,
    event TEXT NOT NULL,
    message TEXT NOT NULL,
    idempotency_key TEXT NOT NULL UNIQUE,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_at INTEGER,
    status TEXT NOT NULL CHECK (status IN ('pending', 'delivered', 'failed', 'disabled')),
    last_detail TEXT,
    created_at INTEGER NOT NULL
  )`,
  `CREATE TABLE IF NOT EXISTS playbook_steps (
    run INTEGER NOT NULL,
    position INTEGER NOT NULL,
    step TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'done', 'failed', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    progress TEXT,
    result TEXT,
    updated_at INTEGER,
    PRIMARY KEY (run, position)
  )`,
  // Every timer of the object; the alarm is always set to the earliest due_at.
  `CREATE TABLE IF NOT EXISTS schedule (
    task TEXT PRIMARY KEY,
    due_at INTEGER NOT NULL
  )`,
  // One row per subject the incident covers (a group's members, or its one subject), with
  // the latest finding for it: what the detail lists and containment works through.
  `CREATE TABLE IF NOT EXISTS subjects (
    subject TEXT PRIMARY KEY,
    severity_rank INTEGER NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    last_sweep_id TEXT NOT NULL,
    count INTEGER NOT NULL,
    finding TEXT NOT NULL
  )`,
];

export function createIncidentTables(sql: SqlStorage): void {
  for (const statement of INCIDENT_TABLES) sql.exec(statement);
}
