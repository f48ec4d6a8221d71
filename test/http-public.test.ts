/**
 * The public face: the status page, the badge, the Atom feed and /healthz — before the
 * first sweep, with a fresh sweep, with a stale monitor, and with a public incident.
 */
import { describe, expect, it } from 'vitest';
import { createFinding } from '../src/core/findings';
import { reportSweepFindings } from '../src/jobs/report-findings';
import {
  ALICE_TOKEN,
  call,
  json,
  openMissingFileIncident,
  openTamperIncident,
  publishNow,
  seedSweep,
  testEnv,
} from './http-helpers';

const minutesAgo = (minutes: number) => new Date(Date.now() - minutes * 60_000).toISOString();

async function sha256Base64(text: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(text));
  return btoa(String.fromCharCode(...new Uint8Array(digest)));
}

describe('GET /', () => {
  it('renders landmarks, headings, a viewport and every area', async () => {
    await seedSweep();
    const response = await call('/');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await response.text();
    expect(page).toMatch(/^<!doctype html>/);
    expect(page).toContain('<html lang="en">');
    expect(page).toContain(
      '<meta name="viewport" content="width=device-width, initial-scale=1" />',
    );
    for (const landmark of ['<header>', '<main id="main">', '<footer>'])
      expect(page).toContain(landmark);
    expect(page).toContain('<h1>dist.nodejs.org integrity status</h1>');
    for (const area of [
      'Release index',
      'Signed manifests',
      'Release downloads',
      'Availability',
      'Download cache',
    ]) {
      expect(page).toContain(`>${area}</h3>`);
    }
    expect(page).toContain('All systems operational');
    expect(page).toContain('No open incidents.');
  });

  it('has no script and loads nothing from anywhere', async () => {
    const page = await (await call('/')).text();
    expect(page).not.toMatch(
      /<script|<link rel="stylesheet"|<img|<iframe|src=|https?:\/\/(?!dist\.test)[^"<\s]*\.(?:js|css|png|woff)/,
    );
  });

  it('allows its one inline stylesheet by hash in a strict CSP', async () => {
    const response = await call('/');
    const csp = response.headers.get('content-security-policy') ?? '';
    const page = await response.text();
    const style = /<style>([\s\S]*?)<\/style>/.exec(page)?.[1] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain(`style-src 'sha256-${await sha256Base64(style)}'`);
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('script-src');
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('says the monitor is starting before the first sweep', async () => {
    const page = await (await call('/')).text();
    expect(page).toContain('The monitor is starting: no sweep has finished yet.');
  });

  it('warns that the monitor is behind when the last success is stale', async () => {
    await seedSweep({ finishedAt: minutesAgo(30) });
    const page = await (await call('/')).text();
    expect(page).toContain('The monitor is behind:');
  });

  it('shows a public incident with its summary, severity and a link to its record', async () => {
    const id = await openMissingFileIncident();
    const page = await (await call('/')).text();
    expect(page).toContain('Minor issue');
    expect(page).toContain('node-v22.21.0-win-x64.zip is listed in SHASUMS256.txt but answers 404');
    expect(page).toContain(`href="/api/incidents/${id}"`);
    expect(page).toContain('P2 · Investigating');
  });
});

describe('GET /badge.svg', () => {
  it('is an accessible SVG of the overall state', async () => {
    await seedSweep();
    const response = await call('/badge.svg');
    expect(response.headers.get('content-type')).toBe('image/svg+xml; charset=utf-8');
    const svg = await response.text();
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg).toContain('aria-label="dist integrity: operational"');
    expect(svg).not.toContain('<script');
  });

  it('turns critical with an open P0 incident', async () => {
    await seedSweep();
    await openTamperIncident();
    expect(await (await call('/badge.svg')).text()).toContain('critical issue');
  });

  it('says starting before the first sweep', async () => {
    expect(await (await call('/badge.svg')).text()).toContain('>starting<');
  });
});

describe('GET /incidents.atom', () => {
  const entryIds = (feed: string) =>
    [...feed.matchAll(/<entry>\s*<id>([^<]+)<\/id>/g)].map((match) => match[1]);

  it('is an Atom feed with an entry per incident linking to its record', async () => {
    const id = await openMissingFileIncident();
    const response = await call('/incidents.atom');
    expect(response.headers.get('content-type')).toBe('application/atom+xml; charset=utf-8');
    const feed = await response.text();
    expect(feed).toMatch(
      /^<\?xml version="1.0" encoding="utf-8"\?>\n<feed xmlns="http:\/\/www.w3.org\/2005\/Atom">/,
    );
    expect(feed).toMatch(/<feed [^>]+>\n {2}<id>urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-/);
    expect(feed).toContain(
      `<link rel="alternate" href="https://monitor.test/api/incidents/${id}"/>`,
    );
    expect(feed).toContain(
      '[Investigating] An artifact listed in a signed manifest is not served (P2)',
    );
  });

  it('is a valid empty feed without incidents', async () => {
    await seedSweep();
    const feed = await (await call('/incidents.atom')).text();
    expect(feed).toContain('<feed xmlns="http://www.w3.org/2005/Atom">');
    expect(feed).not.toContain('<entry>');
  });

  it('asks to come back later before the first snapshot (its ids come with it)', async () => {
    const response = await call('/incidents.atom');
    expect(response.status).toBe(503);
    expect(response.headers.get('retry-after')).toBe('60');
    expect(await json(response)).toMatchObject({ title: 'Status temporarily unavailable' });
  });

  it('keeps an entry’s id when its incident is disclosed, and the id reveals nothing', async () => {
    const id = await openTamperIncident();
    const before = await (await call('/incidents.atom')).text();
    expect(before).not.toContain(id);
    await call(`/api/incidents/${id}/disclose`, { method: 'POST', token: ALICE_TOKEN });
    const after = await (await call('/incidents.atom')).text();
    expect(after).toContain(`/api/incidents/${id}`);
    expect(entryIds(after)).toEqual(entryIds(before));
    expect(entryIds(before)[0]).toMatch(/^urn:uuid:/);
    expect(entryIds(before)[0]).not.toContain(id);
  });

  it('gives two private incidents of one area opened in the same millisecond two ids', async () => {
    const now = new Date();
    const findings = ['a', 'b'].map((name) =>
      createFinding(
        {
          kind: 'artifact-hash-mismatch',
          subject: `https://dist.test/dist/v24.11.1/node-${name}.tar.xz`,
          summary: `node-${name}.tar.xz differs`,
        },
        now,
      ),
    );
    await reportSweepFindings(testEnv, { sweepId: 'sweep-same-ms', findings, now });
    await publishNow(now);
    const ids = entryIds(await (await call('/incidents.atom')).text());
    expect(ids).toHaveLength(2);
    expect(new Set(ids).size).toBe(2);
  });

  it('keeps the same ids from one request to the next', async () => {
    await openMissingFileIncident();
    const first = await (await call('/incidents.atom')).text();
    const second = await (await call('/incidents.atom')).text();
    expect(entryIds(second)).toEqual(entryIds(first));
    expect(second.match(/<id>[^<]+<\/id>/)?.[0]).toBe(first.match(/<id>[^<]+<\/id>/)?.[0]);
  });

  it('with PUBLIC_URL empty, links are relative and never follow the Host header', async () => {
    const id = await openMissingFileIncident();
    const response = await call('/incidents.atom', {
      env: { ...testEnv, PUBLIC_URL: '' },
      headers: { host: 'evil.example', 'x-forwarded-host': 'evil.example' },
    });
    const feed = await response.text();
    expect(feed).not.toContain('evil.example');
    expect(feed).not.toContain('monitor.test');
    expect(feed).toContain(`<link rel="alternate" href="/api/incidents/${id}"/>`);
    expect(feed).toContain('<link rel="self" type="application/atom+xml" href="/incidents.atom"/>');
  });
});

describe('GET /healthz', () => {
  it('is ok with sweeps: 0 before the first sweep', async () => {
    const response = await call('/healthz');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({ status: 'ok', sweeps: 0, phase: 'starting' });
  });

  it('is ok after a recent successful sweep', async () => {
    const summary = await seedSweep();
    const response = await call('/healthz');
    expect(response.status).toBe(200);
    expect(await json(response)).toEqual({
      status: 'ok',
      sweeps: 1,
      phase: 'running',
      lastSuccessAt: summary.finishedAt,
      // The sweep's end published the public snapshot (test/http-helpers.ts: seedSweep).
      snapshotTakenAt: summary.finishedAt,
    });
  });

  it('is 503 degraded when the last success is older than two intervals', async () => {
    await seedSweep({ finishedAt: minutesAgo(11) });
    const response = await call('/healthz');
    expect(response.status).toBe(503);
    const body = await json<{ status: string; reason: string }>(response);
    expect(body.status).toBe('degraded');
    expect(body.reason).toMatch(
      /last successful sweep finished 11 min ago; sweeps run every 5 min/,
    );
  });

  it('is 503 degraded when sweeps ran and none succeeded', async () => {
    await seedSweep({ outcome: 'failed', error: 'SweepConfigError: invalid configuration' });
    const response = await call('/healthz');
    expect(response.status).toBe(503);
    const text = await response.text();
    expect(text).toContain('no sweep has succeeded yet');
    expect(text).not.toContain('SweepConfigError');
  });
});
