/**
 * How an unanswered signed file counts (docs/reliability.md, "Mutation testing"): a 5xx is
 * the site failing, forgiven for a grace period like a timeout; any other error status and
 * bodies that cannot be read are the site refusing, judged at once. A 500 counted as a
 * refusal would page for one passing error.
 */
import { describe, expect, it } from 'vitest';
import { classifyManifestAnswer } from '../src/core/manifest-silence';

describe('classifyManifestAnswer', () => {
  it.each([
    [500, 'failed'],
    [503, 'failed'],
    [499, 'refused'],
    [403, 'refused'],
    [404, 'gone'],
    [410, 'gone'],
  ] as const)('HTTP %d is %s', (status, kind) => {
    expect(classifyManifestAnswer({ kind: 'status', status })).toEqual({
      kind,
      detail: `HTTP ${status}`,
    });
  });

  it('calls a body that is not UTF-8, too large or redirected away a refusal', () => {
    for (const kind of ['invalid-utf8', 'too-large', 'foreign-redirect'] as const) {
      expect(classifyManifestAnswer({ kind })).toEqual({ kind: 'refused', detail: kind });
    }
  });
});
