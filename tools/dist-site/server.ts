/**
 * Serves the fixture dist site (site.ts) over HTTP for demos and local sweeps, with a
 * loopback-only control endpoint to switch attacks on and off while it runs.
 *
 *   node tools/dist-site/server.ts --port 8787 --host 127.0.0.1 [--releases N]
 *     [--artifacts N] [--artifact-size BYTES] [--key-out demo-key.asc] [--origin-host HOST]...
 *     [--monitor-header NAME [--monitor-pattern REGEX]] [--edge-cache] [--cache-tags]
 *     [--attack '<json command>']...
 *
 * Node runs this file directly (type stripping), hence the `.ts` import and no TS-only syntax.
 */
import { createHash } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import {
  artifactCatalogue,
  ATTACK_NAMES,
  createDistSite,
  defaultReleases,
  DistSiteError,
  parseAttackCommand,
} from './site.ts';
import type { AttackCommand, DistSite, DistSiteOptions } from './site.ts';

/** Control requests carry a small JSON command; anything bigger is refused. */
const MAX_CONTROL_BODY_BYTES = 64 * 1024;
const SHUTDOWN_GRACE_MS = 3_000;

const USAGE = `Usage: node tools/dist-site/server.ts [options]

  --port N               port to listen on (default 8787; 0 picks a free one)
  --host ADDR            address to bind (default 127.0.0.1)
  --releases N           publish only the newest N default releases (1-7)
  --artifacts N          artifacts per release, from the real names (1-22, default 8)
  --artifact-size BYTES  size of every artifact (default 2-32 KiB each)
  --key-out PATH         write the demo public key there (give it to the monitor as RELEASE_KEYS)
  --origin-host HOST     a Host that bypasses the cache, like origin.* (repeatable)
  --monitor-header NAME  how cloak attacks recognise the monitor: requests with this header
                         (default cf-worker, which wrangler dev sends too)
  --monitor-pattern RE   ... whose value matches this regular expression
  --edge-cache           an edge cache honouring s-maxage in front of the site, from the
                         start (stays on through reset; the clock moves by advance-clock only)
  --cache-tags           send the release worker's cache-tag headers, as wrangler dev shows them
  --attack JSON          apply an attack command at start (repeatable)

Attacks: ${ATTACK_NAMES.join(', ')} (see tools/dist-site/README.md).`;

interface ServerOptions {
  readonly port: number;
  readonly host: string;
  readonly site: DistSiteOptions;
  readonly keyOut: string | undefined;
  readonly attacks: readonly AttackCommand[];
}

/** Usage mistakes: reported on stderr with the usage text, exit code 2. */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseOptions(argv: readonly string[]): ServerOptions | 'help' {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      port: { type: 'string', default: '8787' },
      host: { type: 'string', default: '127.0.0.1' },
      releases: { type: 'string' },
      artifacts: { type: 'string' },
      'artifact-size': { type: 'string' },
      'key-out': { type: 'string' },
      'origin-host': { type: 'string', multiple: true, default: [] },
      'monitor-header': { type: 'string' },
      'monitor-pattern': { type: 'string' },
      'edge-cache': { type: 'boolean', default: false },
      'cache-tags': { type: 'boolean', default: false },
      attack: { type: 'string', multiple: true, default: [] },
      help: { type: 'boolean', short: 'h', default: false },
    },
    strict: true,
    allowPositionals: false,
  });
  if (values.help) return 'help';
  const integer = (name: string, text: string, min: number, max: number): number => {
    const value = Number(text);
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got '${text}'`);
    }
    return value;
  };
  const now = new Date();
  const all = defaultReleases(now);
  const releases =
    values.releases === undefined
      ? all
      : all.slice(0, integer('releases', values.releases, 1, all.length));
  const perRelease =
    values.artifacts === undefined
      ? undefined
      : integer('artifacts', values.artifacts, 1, artifactCatalogue('v0.0.0').length);
  const size = values['artifact-size'];
  const artifactSize =
    size === undefined ? undefined : integer('artifact-size', size, 0, Number.MAX_SAFE_INTEGER);
  const attacks = values.attack.map((text) => {
    try {
      return parseAttackCommand(JSON.parse(text));
    } catch (error) {
      throw new UsageError(`--attack '${text}': ${(error as Error).message}`, { cause: error });
    }
  });
  const monitorHeader = values['monitor-header'];
  const monitorPattern = values['monitor-pattern'];
  if (monitorPattern !== undefined && monitorHeader === undefined) {
    throw new UsageError('--monitor-pattern needs --monitor-header');
  }
  return {
    port: integer('port', values.port, 0, 65_535),
    host: values.host,
    keyOut: values['key-out'],
    attacks,
    site: {
      now,
      releases,
      hashStream: hashWithNodeCrypto,
      originHosts: values['origin-host'],
      edgeCache: values['edge-cache'],
      cacheTags: values['cache-tags'],
      ...(monitorHeader !== undefined && {
        monitorAudience: {
          header: monitorHeader,
          ...(monitorPattern !== undefined && { pattern: monitorPattern }),
        },
      }),
      ...(perRelease !== undefined && { artifactsPerRelease: perRelease }),
      ...(artifactSize !== undefined && { artifactSize: () => artifactSize }),
    },
  };
}

/** Streams into node:crypto: constant memory whatever the artifact size. */
async function hashWithNodeCrypto(stream: ReadableStream<Uint8Array>): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of stream) hash.update(chunk);
  return hash.digest('hex');
}

function isLoopback(address: string | undefined): boolean {
  return address === '::1' || /^(::ffff:)?127\./.test(address ?? '');
}

function toRequest(req: IncomingMessage, fallbackHost: string): Request {
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    headers.append(req.rawHeaders[i] ?? '', req.rawHeaders[i + 1] ?? '');
  }
  const url = new URL(req.url ?? '/', `http://${req.headers.host ?? fallbackHost}`);
  return new Request(url, { method: req.method ?? 'GET', headers });
}

/** Writes a fetch Response to Node, honouring backpressure and stopping if the client leaves. */
async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== 'set-cookie') headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length > 0) headers['set-cookie'] = cookies;
  res.writeHead(response.status, headers);
  if (response.body === null) {
    res.end();
    return;
  }
  const reader = response.body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  res.once('close', stop);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done || res.destroyed) break;
      if (!res.write(value)) {
        await new Promise<void>((resolve) => {
          res.once('drain', resolve);
          res.once('close', resolve);
        });
      }
    }
  } finally {
    res.off('close', stop);
    res.end();
  }
}

function json(status: number, body: unknown): Response {
  return new Response(`${JSON.stringify(body, null, 2)}\n`, {
    status,
    headers: { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
  });
}

async function readBody(req: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  let length = 0;
  for await (const part of req as AsyncIterable<Buffer>) {
    length += part.length;
    if (length > MAX_CONTROL_BODY_BYTES) throw new DistSiteError('control body too large');
    parts.push(part);
  }
  return Buffer.concat(parts).toString('utf8');
}

/** `/__control/*`: switch attacks, reset, inspect. Loopback callers only. */
async function control(req: IncomingMessage, path: string, site: DistSite): Promise<Response> {
  if (!isLoopback(req.socket.remoteAddress))
    return json(403, { error: 'control is loopback only' });
  const route = `${req.method ?? 'GET'} ${path}`;
  try {
    switch (route) {
      case 'GET /__control/state':
        return json(200, site.state());
      case 'GET /__control/public-key':
        return new Response(site.publicKeyArmored, {
          headers: { 'Content-Type': 'application/pgp-keys', 'Cache-Control': 'no-store' },
        });
      case 'POST /__control/reset':
        site.reset();
        return json(200, site.state());
      case 'POST /__control/attack': {
        const command = parseAttackCommand(JSON.parse(await readBody(req)));
        await site.apply(command);
        log(`attack applied: ${JSON.stringify(command)}`);
        return json(200, site.state());
      }
      default:
        return json(404, { error: `no control route ${route}` });
    }
  } catch (error) {
    if (error instanceof DistSiteError || error instanceof SyntaxError) {
      return json(400, { error: error.message });
    }
    throw error;
  }
}

function log(message: string): void {
  process.stderr.write(`dist-site: ${message}\n`);
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

async function main(argv: readonly string[]): Promise<void> {
  const options = parseOptions(argv);
  if (options === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const site = await createDistSite(options.site);
  for (const command of options.attacks) {
    await site.apply(command);
    log(`attack applied: ${JSON.stringify(command)}`);
  }
  if (options.keyOut !== undefined) {
    await mkdir(dirname(options.keyOut), { recursive: true });
    await writeFile(options.keyOut, site.publicKeyArmored);
    log(`public key written to ${options.keyOut}`);
  }
  // Manifests hash every artifact; doing it before announcing keeps first-sweep timings honest.
  await site.warm();

  const fallbackHost = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`;
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    const answer = path.startsWith('/__control/')
      ? control(req, path, site)
      : site.handle(toRequest(req, fallbackHost));
    answer
      .then((response) => writeResponse(res, response))
      .catch((error: unknown) => {
        log(`request failed: ${(error as Error).message}`);
        if (!res.headersSent) res.writeHead(500, { 'Cache-Control': 'no-store' });
        res.end();
      });
  });
  const port = await listen(server, options.port, options.host);
  const shownHost = options.host.includes(':') ? `[${options.host}]` : options.host;
  process.stdout.write(
    `dist-site listening on http://${shownHost}:${port}/dist (pid ${process.pid})\n`,
  );

  const shutdown = (signal: string) => {
    log(`${signal}: closing`);
    server.close(() => process.exit(0));
    server.closeAllConnections();
    setTimeout(() => process.exit(0), SHUTDOWN_GRACE_MS).unref();
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
}

main(process.argv.slice(2)).catch((error: unknown) => {
  if (
    error instanceof UsageError ||
    (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')
  ) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`dist-site: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
