/**
 * Forged answers: what `cloak` and `answer-by-query` serve instead of the site's normal
 * answer. A rule selects requests by path pattern and by audience (the monitor or everyone
 * else) or by request form (with a query string or plain); the last matching rule that has an
 * answer for the request wins, `cloak` before `answer-by-query`.
 */
import type { AttackState } from './attack-state.ts';
import { cleanView, type SiteContent } from './site-content.ts';
import { notModifiedResponse, serveFile } from './file-responses.ts';
import { substituteLatest } from './release-worker.ts';
import { latestAliases } from './releases.ts';
import { errorResponse, statusText } from './responses.ts';
import type { ForgedAnswer } from './types.ts';

/** The forged answer for this request, or undefined when the site answers normally. */
export function pickForgedAnswer(
  request: Request,
  url: URL,
  path: string,
  attacks: AttackState,
): ForgedAnswer | undefined {
  for (const rule of [...attacks.cloaks].reverse()) {
    if (!rule.matches(path)) continue;
    const answer = rule.isMonitor(request) ? rule.monitor : rule.others;
    if (answer !== undefined) return answer;
  }
  for (const rule of [...attacks.queryRules].reverse()) {
    if (!rule.matches(path)) continue;
    const answer = url.search !== '' ? rule.query : rule.plain;
    if (answer !== undefined) return answer;
  }
  return undefined;
}

/** Serves a forged answer: the clean or tampered file, or a bare status. */
export async function forgedResponse(
  answer: ForgedAnswer,
  request: Request,
  path: string,
  content: SiteContent,
  attacks: AttackState,
): Promise<Response> {
  // `latest-v24.x/…` forges the answer of the release it stands for.
  const file = substituteLatest(path, latestAliases(content.releases));
  if (typeof answer === 'number') {
    if (answer !== 304) return errorResponse(answer, statusText(answer));
    // A 304 nobody asked for: the file's headers, as if the client had it cached.
    const resource = await content.resolve(file, { attacks, tampered: false });
    return resource === undefined
      ? new Response(null, { status: 304 })
      : notModifiedResponse(resource);
  }
  const view = answer === 'clean' ? cleanView() : { attacks, tampered: true };
  const resource = await content.resolve(file, view);
  return resource === undefined
    ? errorResponse(404, statusText(404))
    : serveFile(request, resource);
}
