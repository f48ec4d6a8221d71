/**
 * SnapshotWriter: the one writer of the public status snapshot (a singleton,
 * `idFromName('status')`). Being one object makes snapshots strictly ordered — a snapshot
 * built from older state can never overwrite a newer one — and lets concurrent requests
 * share work: while one snapshot is being taken, every further request is served by the
 * single next one, which starts after them all (so each caller's change is in it).
 *
 * Two ways in: `publish` takes a snapshot now and answers when it is stored (the end of a
 * sweep, an operator's action: whoever reads the pages next sees the change), and
 * `request` only marks that one is due and sets the alarm a moment later, so a burst of
 * incident changes (a sweep opening twenty incidents, say) costs one snapshot, not twenty.
 * A snapshot that cannot be gathered, breaks the disclosure check or cannot be stored is
 * not published: the previous one stays in place, and the alarm tries again.
 * The page views never come here: they read KV (src/http/routes-public.ts).
 */
import { DurableObject } from 'cloudflare:workers';
import { reportError } from '../adapters/sentry';
import {
  createSnapshotStore,
  type SnapshotPointer,
  type SnapshotStore,
} from '../adapters/snapshot-store';
import type { MonitorEnv } from '../env';
import { noteSnapshotPublished } from '../http/answer-memo';
import { findDisclosedSecrets } from '../http/snapshot-guard';
import { buildPublicSnapshot, type SnapshotTrigger } from '../http/snapshot-model';
import { gatherSnapshotInput, type GatheredInput, type RecordCache } from '../jobs/snapshot-input';
import { createRecordCache, createWriterTables } from './snapshot-writer-tables';

/** How long `request` waits before the alarm takes the snapshot. */
export const SNAPSHOT_DEBOUNCE_MS = 2_000;
/** Superseded versions stay readable this long (KV edge caches hold a pointer ≤ 60 s). */
const RETAIN_SUPERSEDED_MS = 10 * 60_000;
/** Attempts at storing one snapshot (KV allows one write a second per key). */
const STORE_ATTEMPTS = 3;

export type PublishOutcome =
  | {
      readonly ok: true;
      readonly id: string;
      readonly version: number;
      readonly takenAt: string;
      readonly trigger: SnapshotTrigger;
    }
  | { readonly ok: false; readonly error: string };

/** The finished snapshot names an undisclosed incident: refused, never stored. */
export class SnapshotDisclosureError extends Error {
  override readonly name = 'SnapshotDisclosureError';
}

export interface SnapshotWriterDependencies {
  readonly now: () => Date;
  readonly sleep: (ms: number) => Promise<void>;
  readonly store: (env: MonitorEnv) => SnapshotStore;
  readonly gather: (env: MonitorEnv, now: Date, cache: RecordCache) => Promise<GatheredInput>;
  /** The disclosure rule's first line (tests put a broken one here to see the second hold). */
  readonly build: typeof buildPublicSnapshot;
  /** The environment snapshots are gathered with (tests add vars or secrets here). */
  readonly env: (env: MonitorEnv) => MonitorEnv;
}

export function defaultSnapshotWriterDependencies(): SnapshotWriterDependencies {
  return {
    now: () => new Date(),
    sleep: (ms) => new Promise((done) => setTimeout(done, ms)),
    store: (env) => createSnapshotStore(env.STATUS_SNAPSHOTS),
    gather: gatherSnapshotInput,
    build: buildPublicSnapshot,
    env: (env) => env,
  };
}

interface QueuedRun {
  promise: Promise<PublishOutcome>;
  trigger: SnapshotTrigger;
  takenAt: Date | undefined;
}

export class SnapshotWriter extends DurableObject<MonitorEnv> {
  /** Replaceable in tests (clock, a failing store); read on every call. */
  static dependencies: SnapshotWriterDependencies = defaultSnapshotWriterDependencies();

  private readonly sql: SqlStorage;
  private running: Promise<PublishOutcome> | undefined;
  private queued: QueuedRun | undefined;

  constructor(ctx: DurableObjectState, env: MonitorEnv) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    void ctx.blockConcurrencyWhile(async () => {
      createWriterTables(this.sql);
    });
  }

  /**
   * Takes a snapshot that starts after this call and answers once it is stored (or why
   * not). `takenAt` (ISO) is the time the snapshot is said to show; default the clock.
   */
  async publish(trigger: SnapshotTrigger, takenAt?: string): Promise<PublishOutcome> {
    const at =
      takenAt === undefined || Number.isNaN(Date.parse(takenAt)) ? undefined : new Date(takenAt);
    if (this.running === undefined) return this.start(trigger, at);
    if (this.queued === undefined) {
      const queued: QueuedRun = {
        trigger,
        takenAt: at,
        promise: Promise.resolve(undefined as never),
      };
      queued.promise = this.running.then(() => {
        this.queued = undefined;
        return this.start(queued.trigger, queued.takenAt);
      });
      this.queued = queued;
    } else {
      this.queued.trigger = trigger;
      if (at !== undefined && (this.queued.takenAt === undefined || at > this.queued.takenAt))
        this.queued.takenAt = at;
    }
    return this.queued.promise;
  }

  /** Marks a snapshot as due; the alarm takes it shortly (bursts become one snapshot). */
  async request(_trigger: SnapshotTrigger): Promise<void> {
    const now = SnapshotWriter.dependencies.now().getTime();
    if (this.setting<number>('pendingSince') === undefined) this.setSetting('pendingSince', now);
    if ((await this.ctx.storage.getAlarm()) === null)
      await this.ctx.storage.setAlarm(now + SNAPSHOT_DEBOUNCE_MS);
  }

  override async alarm(): Promise<void> {
    const outcome = await this.publish('deferred');
    // Thrown, so the platform retries the alarm with backoff.
    if (!outcome.ok) throw new Error(`deferred status snapshot failed: ${outcome.error}`);
  }

  /** The last snapshot this writer stored, for operators and tests. */
  latest(): { version: number; publishedAt?: number } {
    const row = this.sql
      .exec<{ version: number; published_at: number }>(
        'SELECT version, published_at FROM published ORDER BY version DESC LIMIT 1',
      )
      .toArray()[0];
    return row === undefined
      ? { version: 0 }
      : { version: row.version, publishedAt: row.published_at };
  }

  private start(trigger: SnapshotTrigger, takenAt: Date | undefined): Promise<PublishOutcome> {
    const run = this.takeSnapshot(trigger, takenAt).finally(() => {
      if (this.running === run) this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private async takeSnapshot(
    trigger: SnapshotTrigger,
    takenAt: Date | undefined,
  ): Promise<PublishOutcome> {
    const deps = SnapshotWriter.dependencies;
    const startedAt = deps.now().getTime();
    try {
      const at = takenAt ?? new Date(startedAt);
      const gathered = await deps.gather(deps.env(this.env), at, createRecordCache(this.sql));
      const version = (this.setting<number>('version') ?? 0) + 1;
      // Counted before the write: a failed attempt never reuses a number (or a KV key).
      this.setSetting('version', version);
      const snapshot = deps.build(gathered.input, {
        id: crypto.randomUUID(),
        version,
        takenAt: at.toISOString(),
        trigger,
      });
      const serialized = JSON.stringify(snapshot);
      const leaked = findDisclosedSecrets(serialized, gathered.input);
      if (leaked.length > 0) {
        // Never logged: the strings are the secrets.
        throw new SnapshotDisclosureError(
          `snapshot ${version} would show ${leaked.length} detail(s) of undisclosed incidents`,
        );
      }
      const store = deps.store(deps.env(this.env));
      const pointer = await this.storeWithRetries(store, snapshot, serialized);
      // Pages answered from this isolate forget their one-second memo at once.
      noteSnapshotPublished();
      await this.afterPublish(pointer, startedAt, gathered.complete);
      await this.pruneSuperseded(store, version, startedAt);
      return { ok: true, id: snapshot.id, version, takenAt: snapshot.takenAt, trigger };
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? error.message : 'unknown error';
      console.error(`status snapshot (${trigger}) not published: ${name}: ${message}`);
      reportError(error);
      return { ok: false, error: `${name}: ${message}` };
    }
  }

  private async storeWithRetries(
    store: SnapshotStore,
    snapshot: Parameters<SnapshotStore['publish']>[0],
    serialized: string,
  ): Promise<SnapshotPointer> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await store.publish(snapshot, serialized);
      } catch (error) {
        if (attempt >= STORE_ATTEMPTS) throw error;
        await SnapshotWriter.dependencies.sleep(1_000 * attempt);
      }
    }
  }

  /** Records the version; a request made before this snapshot started is served by it. */
  private async afterPublish(
    pointer: SnapshotPointer,
    startedAt: number,
    complete: boolean,
  ): Promise<void> {
    this.sql.exec(
      'INSERT OR REPLACE INTO published (version, published_at) VALUES (?, ?)',
      pointer.version,
      SnapshotWriter.dependencies.now().getTime(),
    );
    const pending = this.setting<number>('pendingSince');
    if (pending !== undefined && pending <= startedAt && complete) {
      this.sql.exec(`DELETE FROM writer_settings WHERE key = 'pendingSince'`);
      await this.ctx.storage.deleteAlarm();
    } else if (!complete) {
      // Records were left for the next snapshot: take it soon.
      await this.request('deferred');
    }
  }

  /** Deletes superseded versions no reader can still be pointed at. */
  private async pruneSuperseded(store: SnapshotStore, current: number, now: number): Promise<void> {
    const old = this.sql
      .exec<{ version: number }>(
        'SELECT version FROM published WHERE version < ? AND published_at < ? ORDER BY version LIMIT 20',
        current,
        now - RETAIN_SUPERSEDED_MS,
      )
      .toArray();
    for (const { version } of old) {
      try {
        await store.deleteVersion(version);
        this.sql.exec('DELETE FROM published WHERE version = ?', version);
      } catch {
        return; // Tried again after the next snapshot.
      }
    }
  }

  private setting<T>(key: string): T | undefined {
    const row = this.sql
      .exec<{ value: string }>('SELECT value FROM writer_settings WHERE key = ?', key)
      .toArray()[0];
    return row === undefined ? undefined : (JSON.parse(row.value) as T);
  }

  private setSetting(key: string, value: unknown): void {
    this.sql.exec(
      'INSERT INTO writer_settings (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value',
      key,
      JSON.stringify(value),
    );
  }
}

export const SNAPSHOT_WRITER_NAME = 'status';

export function snapshotWriterStub(
  env: Pick<MonitorEnv, 'SNAPSHOT_WRITER'>,
): DurableObjectStub<SnapshotWriter> {
  return env.SNAPSHOT_WRITER.get(
    env.SNAPSHOT_WRITER.idFromName(SNAPSHOT_WRITER_NAME),
  ) as DurableObjectStub<SnapshotWriter>;
}
