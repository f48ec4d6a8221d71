/**
 * Errors as RFC 9457 problem details (`application/problem+json`). Handlers throw an
 * `HttpProblem`; the app's one `onError` turns it (or anything else) into a response, so
 * no route formats errors by hand and no stack trace or internal message reaches a client.
 */

/** The problem types this API answers with; each is documented in docs/api.md. */
export type ProblemType =
  | 'invalid-request'
  | 'malformed-json'
  | 'unsupported-media-type'
  | 'unauthorized'
  | 'not-found'
  | 'method-not-allowed'
  | 'conflict'
  | 'sweep-running'
  | 'payload-too-large'
  | 'rate-limited'
  | 'internal-error'
  | 'log-unavailable'
  | 'status-unavailable';

/** Where the problem types are described; `type` is this plus `#problem-<type>`. */
export const PROBLEM_TYPE_BASE =
  'https://github.com/nodejs/dist-integrity-monitor/blob/main/docs/api.md';

const TITLES: Record<ProblemType, string> = {
  'invalid-request': 'Invalid request',
  'malformed-json': 'Malformed JSON body',
  'unsupported-media-type': 'Unsupported media type',
  unauthorized: 'Unauthorized',
  'not-found': 'Not found',
  'method-not-allowed': 'Method not allowed',
  conflict: 'Conflict',
  'sweep-running': 'A sweep is already running',
  'payload-too-large': 'Payload too large',
  'rate-limited': 'Too many requests',
  'internal-error': 'Internal error',
  'log-unavailable': 'Transparency log unavailable',
  'status-unavailable': 'Status temporarily unavailable',
};

const STATUS: Record<ProblemType, number> = {
  'invalid-request': 400,
  'malformed-json': 400,
  'unsupported-media-type': 415,
  unauthorized: 401,
  'not-found': 404,
  'method-not-allowed': 405,
  conflict: 409,
  'sweep-running': 409,
  'payload-too-large': 413,
  'rate-limited': 429,
  'internal-error': 500,
  'log-unavailable': 503,
  'status-unavailable': 503,
};

/** The body of every error response. */
export interface ProblemBody {
  readonly type: string;
  readonly title: string;
  readonly status: number;
  readonly detail: string;
}

/** An expected HTTP failure: thrown by handlers and middleware, answered by `onError`. */
export class HttpProblem extends Error {
  override readonly name = 'HttpProblem';
  readonly type: ProblemType;
  readonly detail: string;
  readonly headers: Readonly<Record<string, string>>;

  constructor(type: ProblemType, detail: string, headers: Record<string, string> = {}) {
    super(`${type}: ${detail}`);
    this.type = type;
    this.detail = detail;
    this.headers = headers;
  }

  get status(): number {
    return STATUS[this.type];
  }
}

export function problemBody(type: ProblemType, detail: string): ProblemBody {
  return {
    type: `${PROBLEM_TYPE_BASE}#problem-${type}`,
    title: TITLES[type],
    status: STATUS[type],
    detail,
  };
}

export function problemResponse(problem: HttpProblem): Response {
  return new Response(JSON.stringify(problemBody(problem.type, problem.detail)), {
    status: problem.status,
    headers: {
      'content-type': 'application/problem+json; charset=utf-8',
      'cache-control': 'no-store',
      ...problem.headers,
    },
  });
}
