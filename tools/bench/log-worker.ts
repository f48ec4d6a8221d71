/**
 * The transparency log benchmark's Worker (run in workerd by tools/bench/log.ts): the real
 * LogSequencer and the sweep's log monitor, behind a few routes the runner times from
 * outside (time does not advance inside a Worker between I/O).
 */
import { LogSequencer } from '../../src/durable/log-sequencer';
import type { LogEntry } from '../../src/core/tlog/entries';
import type { MonitorEnv } from '../../src/env';
import { monitorLog } from '../../src/jobs/log-monitor';

export class BenchLogSequencer extends LogSequencer {
  databaseSize(): number {
    return this.ctx.storage.sql.databaseSize;
  }
}

interface BenchEnv {
  readonly LOG_SEQUENCER: DurableObjectNamespace<BenchLogSequencer>;
  readonly PINS: KVNamespace;
}

export default {
  async fetch(request: Request, env: BenchEnv): Promise<Response> {
    const url = new URL(request.url);
    const stub = env.LOG_SEQUENCER.get(env.LOG_SEQUENCER.idFromName('log'));
    const settings = {
      origin: url.searchParams.get('origin') ?? '',
      privateKey: request.headers.get('x-log-key') ?? '',
    };
    switch (url.pathname) {
      case '/append': {
        const entries = (await request.json()) as LogEntry[];
        return Response.json(await stub.append(entries, settings, new Date().toISOString()));
      }
      case '/monitor': {
        const result = await monitorLog(
          env as unknown as MonitorEnv,
          { enabled: true, ...settings },
          new Date(),
        );
        return Response.json(result);
      }
      case '/latest':
        return Response.json({ size: (await stub.latest())?.size ?? 0 });
      case '/lookup':
        return Response.json(await stub.lookup(url.searchParams.get('key') ?? '', 100));
      case '/tile': {
        const tile = await stub.readTile(url.searchParams.get('path') ?? '');
        return new Response(tile?.bytes ?? null, { status: tile ? 200 : 404 });
      }
      case '/size':
        return Response.json({ bytes: await stub.databaseSize() });
      default:
        return new Response('not found', { status: 404 });
    }
  },
};
