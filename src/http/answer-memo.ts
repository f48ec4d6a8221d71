/**
 * An isolate's own short memory of the public read path: the snapshot pointer and the
 * answers rendered from it, for one second. Within that second a public page view does
 * no I/O at all — not even the KV read of the pointer or the Cache API lookup, which is
 * what lets one isolate answer thousands of views a second. A second is nothing next to
 * the staleness the design already accepts (KV edge caches hold the pointer up to 30 s),
 * and a snapshot published from this same isolate (the writer and the pages share it when
 * they run in one place, as under `wrangler dev` and in tests) clears the memory at once,
 * so whoever waited for a snapshot reads it on their next request.
 */
import type { SnapshotPointer } from '../adapters/snapshot-store';

export const ANSWER_MEMO_MS = 1_000;
const MAX_ANSWERS = 64;

let generation = 0;

/** Called by the writer after each published snapshot: this isolate forgets its memos. */
export function noteSnapshotPublished(): void {
  generation += 1;
}

interface Remembered<T> {
  readonly value: T;
  readonly at: number;
  readonly generation: number;
}

interface Answer {
  readonly snapshotId: string;
  readonly status: number;
  readonly headers: readonly [string, string][];
  /** Bytes, not text: a page is encoded once, not on every view. */
  readonly body: Uint8Array;
}

export interface AnswerMemo {
  pointer(): SnapshotPointer | undefined;
  rememberPointer(pointer: SnapshotPointer): void;
  /** A copy of the answer remembered under `key` for this snapshot, if still fresh. */
  answer(key: string, snapshotId: string): Response | undefined;
  /** Remembers a 200 answer; returns the response to send (its body was read). */
  remember(key: string, snapshotId: string, response: Response): Promise<Response>;
}

export function createAnswerMemo(clock: () => number = () => Date.now()): AnswerMemo {
  let pointer: Remembered<SnapshotPointer> | undefined;
  const answers = new Map<string, Remembered<Answer>>();
  const fresh = (entry: Remembered<unknown> | undefined): boolean =>
    entry !== undefined && entry.generation === generation && clock() - entry.at < ANSWER_MEMO_MS;

  return {
    pointer() {
      return fresh(pointer) ? pointer?.value : undefined;
    },
    rememberPointer(value) {
      pointer = { value, at: clock(), generation };
    },
    answer(key, snapshotId) {
      const entry = answers.get(key);
      if (!fresh(entry) || entry?.value.snapshotId !== snapshotId) return undefined;
      return new Response(entry.value.body, {
        status: entry.value.status,
        headers: [...entry.value.headers],
      });
    },
    async remember(key, snapshotId, response) {
      if (response.status !== 200) return response;
      const body = new Uint8Array(await response.arrayBuffer());
      const headers = [...response.headers];
      answers.delete(key);
      answers.set(key, {
        value: { snapshotId, status: response.status, headers, body },
        at: clock(),
        generation,
      });
      for (const old of answers.keys()) {
        if (answers.size <= MAX_ANSWERS) break;
        answers.delete(old);
      }
      return new Response(body, { status: response.status, headers });
    },
  };
}
