/**
 * `crypto.DigestStream` for plain Node, which lacks it: the Worker's streaming hash
 * (src/adapters/dist-body.ts `createHasher`) then runs unchanged in the CLI.
 *
 * Contract: the subset the Worker uses — `new DigestStream(algorithm)`, a writable stream
 * of byte chunks, and `digest`, a promise of the digest as an ArrayBuffer that settles
 * when the stream closes (rejects when it is aborted). Each chunk is hashed as it is
 * written (node:crypto copies it), so memory stays one chunk and a reused buffer is safe.
 */
import { createHash, type Hash } from 'node:crypto';

const NODE_ALGORITHMS: Readonly<Record<string, string>> = {
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

type Chunk = ArrayBuffer | ArrayBufferView;

export class NodeDigestStream extends WritableStream<Chunk> {
  readonly digest: Promise<ArrayBuffer>;

  constructor(algorithm: string | { readonly name: string }) {
    const name = typeof algorithm === 'string' ? algorithm : algorithm.name;
    const nodeName = NODE_ALGORITHMS[name.toUpperCase()];
    if (nodeName === undefined) throw new TypeError(`unsupported digest algorithm ${name}`);
    const hash: Hash = createHash(nodeName);
    let settle: { resolve(value: ArrayBuffer): void; reject(reason: unknown): void } | undefined;
    const digest = new Promise<ArrayBuffer>((resolve, reject) => {
      settle = { resolve, reject };
    });
    super({
      write(chunk) {
        hash.update(
          chunk instanceof ArrayBuffer
            ? new Uint8Array(chunk)
            : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength),
        );
      },
      close() {
        const bytes = hash.digest();
        settle?.resolve(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      },
      abort(reason) {
        settle?.reject(reason);
      },
    });
    this.digest = digest;
  }
}

/** Puts `NodeDigestStream` on `globalThis.crypto` unless the runtime has its own. */
export function installDigestStream(): void {
  const webCrypto = crypto as Crypto & { DigestStream?: unknown };
  if (webCrypto.DigestStream !== undefined) return;
  Object.defineProperty(webCrypto, 'DigestStream', {
    value: NodeDigestStream,
    configurable: true,
    writable: true,
  });
}
