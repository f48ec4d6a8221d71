/**
 * Alerts of a regional finding name the regions: the Slack message shows them as a field
 * and the signed webhook payload carries them.
 */
import { describe, expect, it } from 'vitest';
import { renderSlackMessage } from '../src/core/slack-message';
import { createWebhookPayload } from '../src/core/webhook-payload';
import { alertMessage } from './alert-fixtures';

const regional = alertMessage({
  kind: 'cache-poisoned',
  severity: 'P1',
  regions: ['weur', 'apac'],
});

describe('alerts of a regional finding', () => {
  it('the Slack message has a Regions field naming them', () => {
    expect(JSON.stringify(renderSlackMessage(regional))).toContain('*Regions*\\nweur, apac');
  });

  it('a Slack message without regions has no Regions field', () => {
    expect(JSON.stringify(renderSlackMessage(alertMessage()))).not.toContain('*Regions*');
  });

  it('the webhook payload carries the regions', () => {
    expect(JSON.stringify(createWebhookPayload(regional, new Date()))).toContain(
      '"regions":["weur","apac"]',
    );
  });
});
