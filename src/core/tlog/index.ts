/**
 * The transparency log's pure core (C2SP tlog-tiles, tlog-checkpoint, signed-note; RFC 6962
 * hashing; RFC 8785 entries), shared by the monitor's sequencer and routes, dist-verify and
 * tests. No Cloudflare imports: it runs in workerd and in plain Node ≥ 22.
 */
export * from './checkpoint.ts';
export * from './checkpoint-consistency.ts';
export * from './encoding.ts';
export * from './entries.ts';
export * from './entry-bundle.ts';
export * from './hash.ts';
export * from './merkle.ts';
export * from './note.ts';
export * from './tile-append.ts';
export * from './tile-path.ts';
export * from './tile-reader.ts';
