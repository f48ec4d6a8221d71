/**
 * The snapshot writer (src/durable/snapshot-writer.ts): a snapshot is never half-written
 * (a writer that fails part-way leaves the previous one served, whole), one that would
 * show an undisclosed incident is refused, an incident change — a disclosure above all —
 * is in the very next snapshot, concurrent requests share snapshots, and superseded
 * versions are cleaned up once no reader can be pointed at them.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from 'cloudflare:test';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createSnapshotStore,
  SNAPSHOT_POINTER_KEY,
  snapshotKeyOf,
  type SnapshotKv,
} from '../src/adapters/snapshot-store';
import { incidentStubById } from '../src/durable/incident-stubs';
import {
  defaultSnapshotWriterDependencies,
  SnapshotWriter,
  snapshotWriterStub,
  type SnapshotWriterDependencies,
} from '../src/durable/snapshot-writer';
import { buildPublicSnapshot } from '../src/http/snapshot-model';
import { publishSnapshot } from '../src/jobs/publish-snapshot';
import {
  call,
  json,
  openTamperIncident,
  publishNow,
  seedSweep,
  TAMPER,
  testEnv,
} from './http-helpers';

afterEach(() => {
  SnapshotWriter.dependencies = defaultSnapshotWriterDependencies();
});

function installWriter(overrides: Partial<SnapshotWriterDependencies>): void {
  SnapshotWriter.dependencies = {
    ...defaultSnapshotWriterDependencies(),
    sleep: async () => {},
    ...overrides,
  };
}

/** KV that fails every `put` of `key` (a trailing `*`: of every key it starts). */
function failingPuts(key: string): SnapshotKv {
  const kv = env.STATUS_SNAPSHOTS;
  return {
    get: kv.get.bind(kv) as SnapshotKv['get'],
    delete: kv.delete.bind(kv),
    put: (name: string, value: string) =>
      (key.endsWith('*') ? name.startsWith(key.slice(0, -1)) : name === key)
        ? Promise.reject(new Error('KV PUT failed: 429 Too Many Requests'))
        : kv.put(name, value),
  } as SnapshotKv;
}

async function disclose(id: string): Promise<void> {
  const stub = await incidentStubById(testEnv, id);
  const result = await stub!.disclose('operator:alice');
  expect(result.ok).toBe(true);
}

async function publicView(id: string) {
  const status = await json<{ incidents: { redacted: boolean }[]; snapshot: { version: number } }>(
    await call('/api/status'),
  );
  const detail = await call(`/api/incidents/${id}`);
  return { status, detail: detail.status, page: await (await call('/')).text() };
}

describe('a snapshot is never half-written', () => {
  it.each([
    ['the pointer cannot be moved', SNAPSHOT_POINTER_KEY],
    ['the snapshot itself cannot be stored', 'status-snapshot/v/*'],
    ['nothing can be stored', '*'],
  ])('when %s, the previous snapshot is still served, whole', async (_case, key) => {
    await seedSweep();
    const id = await openTamperIncident();
    const before = await publicView(id);
    expect(before.status.incidents[0]?.redacted).toBe(true);
    installWriter({ store: () => createSnapshotStore(failingPuts(key)) });
    await disclose(id);
    const outcome = await publishSnapshot(testEnv, 'test');
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('SnapshotStoreError'),
    });
    const after = await publicView(id);
    expect(after.status.snapshot.version).toBe(before.status.snapshot.version);
    expect(after.status.incidents[0]?.redacted).toBe(true);
    expect(after.detail).toBe(404);
    expect(after.page).not.toContain(TAMPER.url);

    SnapshotWriter.dependencies = defaultSnapshotWriterDependencies();
    expect((await publishSnapshot(testEnv, 'test')).ok).toBe(true);
    const fixed = await publicView(id);
    expect(fixed.status.incidents[0]?.redacted).toBe(false);
    expect(fixed.detail).toBe(200);
  });

  it('when reading the state fails part-way, nothing is written at all', async () => {
    await seedSweep();
    const pointer = await env.STATUS_SNAPSHOTS.get(SNAPSHOT_POINTER_KEY);
    installWriter({
      gather: async () => {
        throw new Error('Durable Object is overloaded');
      },
    });
    expect((await publishSnapshot(testEnv, 'test')).ok).toBe(false);
    expect(await env.STATUS_SNAPSHOTS.get(SNAPSHOT_POINTER_KEY)).toBe(pointer);
    const version = JSON.parse(pointer ?? '{}').version as number;
    expect(await env.STATUS_SNAPSHOTS.get(snapshotKeyOf(version + 1))).toBeNull();
  });

  it('a failed write never reuses a version number (or a KV key)', async () => {
    await seedSweep();
    installWriter({ store: () => createSnapshotStore(failingPuts(SNAPSHOT_POINTER_KEY)) });
    expect((await publishSnapshot(testEnv, 'test')).ok).toBe(false);
    SnapshotWriter.dependencies = defaultSnapshotWriterDependencies();
    const next = await publishSnapshot(testEnv, 'test');
    expect(next).toMatchObject({ ok: true, version: 3 });
  });
});

describe('the disclosure rule, checked again before a snapshot is written', () => {
  it('refuses a snapshot that would show an undisclosed incident, and keeps the last one', async () => {
    await seedSweep();
    const id = await openTamperIncident();
    const before = await env.STATUS_SNAPSHOTS.get(SNAPSHOT_POINTER_KEY);
    // A builder with the redaction forgotten: the raw listing goes out.
    installWriter({
      build: (input, options) => ({
        ...buildPublicSnapshot(input, options),
        incidents: input.sources.incidents as never,
      }),
    });
    const outcome = await publishSnapshot(testEnv, 'test');
    expect(outcome).toMatchObject({
      ok: false,
      error: expect.stringContaining('SnapshotDisclosureError'),
    });
    if (!outcome.ok) {
      expect(outcome.error).not.toContain(id);
      expect(outcome.error).not.toContain(TAMPER.url);
    }
    expect(await env.STATUS_SNAPSHOTS.get(SNAPSHOT_POINTER_KEY)).toBe(before);
    expect(await (await call('/api/incidents')).text()).not.toContain(id);
  });
});

describe('an incident change', () => {
  it('is in the very next snapshot: a disclosure outside any request (Slack, the alarm)', async () => {
    await seedSweep();
    const id = await openTamperIncident();
    expect((await publicView(id)).detail).toBe(404);
    await disclose(id);
    // The index asked the writer for a snapshot; its alarm takes it.
    const writer = snapshotWriterStub(testEnv);
    expect(
      await runInDurableObject(writer, (_o, state) => state.storage.getAlarm()),
    ).not.toBeNull();
    expect(await runDurableObjectAlarm(writer)).toBe(true);
    const view = await publicView(id);
    expect(view.status.incidents[0]?.redacted).toBe(false);
    expect(view.detail).toBe(200);
    expect(view.page).toContain(TAMPER.url);
  });

  it('is on every public page right after an operator’s POST /disclose', async () => {
    const id = await openTamperIncident();
    const response = await call(`/api/incidents/${id}/disclose`, {
      method: 'POST',
      token: 'alice-7f3c9a1e5b2d4f6a8c0e1b3d5f7a9c2e',
    });
    expect(response.status).toBe(200);
    const view = await publicView(id);
    expect(view.detail).toBe(200);
    expect(await (await call('/incidents.atom')).text()).toContain(TAMPER.url);
  });

  it('clears the pending alarm once a snapshot has taken it in', async () => {
    const id = await openTamperIncident();
    await disclose(id);
    await publishNow();
    const writer = snapshotWriterStub(testEnv);
    expect(await runInDurableObject(writer, (_o, state) => state.storage.getAlarm())).toBeNull();
  });
});

describe('concurrent requests', () => {
  it('share snapshots: the first starts at once, all later ones are served by one more', async () => {
    await seedSweep();
    const writer = snapshotWriterStub(testEnv);
    const versions = await runInDurableObject(writer, async (instance: SnapshotWriter) => {
      const outcomes = await Promise.all(Array.from({ length: 5 }, () => instance.publish('test')));
      return outcomes.map((outcome) => (outcome.ok ? outcome.version : 0));
    });
    expect(versions).toEqual([2, 3, 3, 3, 3]);
  });
});

describe('superseded versions', () => {
  it('are deleted once older than ten minutes; the current one never is', async () => {
    let clock = Date.parse('2040-01-01T00:00:00.000Z');
    installWriter({ now: () => new Date(clock) });
    const first = await publishSnapshot(testEnv, 'test');
    clock += 5 * 60_000;
    await publishSnapshot(testEnv, 'test');
    expect(await env.STATUS_SNAPSHOTS.get(snapshotKeyOf(1))).not.toBeNull();
    clock += 6 * 60_000;
    const third = await publishSnapshot(testEnv, 'test');
    expect(first).toMatchObject({ ok: true, version: 1 });
    expect(third).toMatchObject({ ok: true, version: 3 });
    expect(await env.STATUS_SNAPSHOTS.get(snapshotKeyOf(1))).toBeNull();
    expect(await env.STATUS_SNAPSHOTS.get(snapshotKeyOf(2))).not.toBeNull();
    expect(await env.STATUS_SNAPSHOTS.get(snapshotKeyOf(3))).not.toBeNull();
  });
});
