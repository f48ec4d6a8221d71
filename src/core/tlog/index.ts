/**
 * The transparency log's pure core (C2SP tlog-tiles, tlog-checkpoint, signed-note; RFC 6962
 * hashing; RFC 8785 entries), shared by the monitor's sequencer and routes, dist-verify and
 * tests. No Cloudflare imports: it runs in workerd and in plain Node ≥ 22.
 */
export * from './checkpoint';
export * from './checkpoint-consistency';
export * from './encoding';
export * from './entries';
export * from './entry-bundle';
export * from './hash';
export * from './merkle';
export * from './note';
export * from './tile-append';
export * from './tile-path';
export * from './tile-reader';
