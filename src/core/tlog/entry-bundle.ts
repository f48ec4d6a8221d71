/**
 * C2SP tlog-tiles entry bundles: a sequence of log entries, each prefixed with its length
 * as a big-endian uint16. So one entry is at most 65,535 bytes.
 *
 * Contract: pure. Parsing refuses a truncated or over-long bundle rather than guessing.
 */
import { err, ok, type Result } from '../result.ts';
import { TILE_WIDTH } from './tile-path.ts';

export const MAX_ENTRY_BYTES = 0xffff;

export function serialiseEntryBundle(entries: readonly Uint8Array[]): Uint8Array {
  const total = entries.reduce((sum, entry) => sum + 2 + entry.length, 0);
  const out = new Uint8Array(total);
  const view = new DataView(out.buffer);
  let offset = 0;
  for (const entry of entries) {
    if (entry.length > MAX_ENTRY_BYTES) throw new RangeError('an entry is at most 65,535 bytes');
    view.setUint16(offset, entry.length);
    out.set(entry, offset + 2);
    offset += 2 + entry.length;
  }
  return out;
}

/** The entries of a bundle; `expected` (when given) is the count the bundle must hold. */
export function parseEntryBundle(
  bundle: Uint8Array,
  expected?: number,
): Result<Uint8Array[], string> {
  const view = new DataView(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const entries: Uint8Array[] = [];
  let offset = 0;
  while (offset < bundle.length) {
    if (offset + 2 > bundle.length) return err('truncated length prefix');
    const length = view.getUint16(offset);
    if (offset + 2 + length > bundle.length) return err('truncated entry');
    entries.push(bundle.slice(offset + 2, offset + 2 + length));
    offset += 2 + length;
    if (entries.length > TILE_WIDTH) return err(`more than ${TILE_WIDTH} entries`);
  }
  if (expected !== undefined && entries.length !== expected) {
    return err(`${entries.length} entries where ${expected} were expected`);
  }
  return ok(entries);
}
