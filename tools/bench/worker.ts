/**
 * The benchmark's Worker: runs inside workerd (started by tools/bench/run.ts through
 * Miniflare) and verifies one artifact the way the hash workers do, with the monitor's own
 * dist client — fetch, stream through crypto.DigestStream, compare with the expected hash.
 * GET /?url=<artifact>&sha256=<expected>&bytes=<expected size>
 */
import { createDistClient } from '../../src/adapters/dist-client';

const TIMEOUT_MS = 10 * 60 * 1000;

export default {
  async fetch(request: Request): Promise<Response> {
    const params = new URL(request.url).searchParams;
    const url = params.get('url');
    const expected = params.get('sha256');
    const bytes = Number(params.get('bytes'));
    if (url === null || expected === null || !Number.isSafeInteger(bytes)) {
      return Response.json({ error: 'url, sha256 and bytes are required' }, { status: 400 });
    }
    const client = createDistClient({
      fetch: (input, init) => fetch(input, init),
      timeoutMs: TIMEOUT_MS,
      retries: 0,
      backoffMs: 1,
      allowedRedirectHosts: [],
      subrequestBudget: { remaining: 10 },
    });
    const result = await client.hashBody(url, { expectedBytes: bytes, timeoutMs: TIMEOUT_MS });
    if (!result.ok) {
      return Response.json(
        { error: `${result.error.kind}: ${result.error.detail}` },
        { status: 502 },
      );
    }
    return Response.json({
      sha256: result.value.sha256,
      bytes: result.value.bytes,
      match: result.value.sha256 === expected && result.value.bytes === bytes,
    });
  },
};
