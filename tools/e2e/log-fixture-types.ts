/** The fixture transparency log's interface (log-fixture.ts), for the tests that drive it. */
import type { LogEntry } from '../../src/core/tlog/entries.ts';

export type LookupMode = 'honest' | 'hide' | 'everything';

export interface LogFixture {
  /** `http://127.0.0.1:<port>`: what `--log` is given. */
  readonly url: string;
  /** What `--log-key` is given. */
  readonly verifierKey: string;
  /** Appends entries to the current history. */
  append(entries: readonly LogEntry[]): Promise<void>;
  /** Replaces the whole history with `entries` (a different tree under the same origin). */
  fork(entries: readonly LogEntry[]): Promise<void>;
  /** Re-signs the checkpoint with a key that is not `verifierKey`. */
  signWithOtherKey(): Promise<void>;
  /**
   * How the lookup answers: `honest`; `hide` (no entries for anything, though the tiles
   * hold them); `everything` (every entry for any hash: a lookup pointing at entries that
   * do not record it).
   */
  setLookup(mode: LookupMode): void;
  close(): Promise<void>;
}
