/**
 * RFC 9110 §15.5.6: a request with a method the path does not support is a 405 with an
 * `Allow` header naming the methods it does support, not a 404. The methods come from the
 * app's own route table (`app.routes`) when nothing matched, so a route added anywhere is
 * covered; GET implies HEAD (Hono answers HEAD with the GET handler, without a body).
 */
import { HttpProblem } from './problem';

interface RouteLike {
  readonly method: string;
  readonly path: string;
}

/** A Hono path pattern as a RegExp: `:name` and `:name{re}` are one segment, `*` the rest. */
function patternOf(path: string): RegExp {
  let source = '';
  const tokens = path.match(/:[A-Za-z0-9_]+(\{[^}]*\})?\??|\*|[^:*]+/g) ?? [];
  for (const token of tokens) {
    if (token === '*') source += '.*';
    else if (token.startsWith(':')) {
      const custom = /\{([^}]*)\}/.exec(token)?.[1];
      source += custom !== undefined ? `(?:${custom})` : '[^/]+';
      if (token.endsWith('?')) source += '?';
    } else source += token.replace(/[.+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}/?$`);
}

/** The methods some route serves `path` with (`ALL` middleware aside), sorted, HEAD with GET. */
export function allowedMethodsFor(routes: readonly RouteLike[], path: string): string[] {
  const methods = new Set<string>();
  for (const route of routes) {
    if (route.method === 'ALL') continue;
    if (patternOf(route.path).test(path)) methods.add(route.method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/** The problem for an unmatched request: 405 with `Allow` on a known path, else 404. */
export function unmatchedRequestProblem(
  routes: readonly RouteLike[],
  request: Request,
): HttpProblem {
  const path = new URL(request.url).pathname;
  const allowed = allowedMethodsFor(routes, path);
  if (allowed.length > 0 && !allowed.includes(request.method.toUpperCase())) {
    return new HttpProblem('method-not-allowed', `This path answers only ${allowed.join(', ')}.`, {
      allow: allowed.join(', '),
    });
  }
  return new HttpProblem('not-found', 'Nothing is served at this path.');
}
