/**
 * The JSON body of a signed webhook (docs/webhooks.md, docs/webhook-payload.schema.json).
 *
 * Contract: versioned. Version 1 is `{ version, type: "incident.<event>", timestamp, data }`
 * where `data` holds the incident's fields. Fields are added, never renamed or retyped,
 * within a version; a breaking change is version 2. Optional fields are left out, not
 * null. Receivers must ignore fields and event types they do not know. Text that came from
 * the watched site (summary, subject, fingerprint, release, hashes, detail, regions) is
 * cleaned by the one sanitiser (untrusted-text.ts): no control character, noncharacter,
 * lone surrogate or bidi override reaches a receiver; line breaks are kept.
 */
import type { AlertEvent, AlertMessage } from './alerts';
import type { FindingKind, Severity } from './findings';
import type { IncidentState } from './incident';
import { cleanUntrustedText as clean } from './untrusted-text';

export const WEBHOOK_PAYLOAD_VERSION = 1;

/** The incident as a webhook receiver sees it. */
export interface WebhookIncidentData {
  readonly id: string;
  readonly fingerprint: string;
  readonly kind: FindingKind;
  readonly title: string;
  readonly severity: Severity;
  readonly state: IncidentState;
  readonly summary: string;
  readonly subject: string;
  readonly expected?: string;
  readonly observed?: string;
  readonly release?: string;
  readonly regions?: readonly string[];
  readonly firstSeen: string;
  readonly lastSeen: string;
  readonly count: number;
  readonly escalationLevel?: number;
  readonly detail?: string;
  readonly security: boolean;
  readonly disclosed: boolean;
  readonly runbookUrl: string;
  readonly incidentUrl: string;
  /** Every subject (a grouped incident's members), up to 500; `subjectCount` counts all. */
  readonly subjects?: readonly string[];
  readonly subjectCount?: number;
  /** The cause a grouped incident's subjects share. */
  readonly cause?: string;
}

export interface WebhookPayload {
  readonly version: typeof WEBHOOK_PAYLOAD_VERSION;
  readonly type: `incident.${AlertEvent}`;
  /** ISO-8601 time of this delivery attempt. */
  readonly timestamp: string;
  readonly data: WebhookIncidentData;
}

export function createWebhookPayload(message: AlertMessage, now: Date): WebhookPayload {
  return {
    version: WEBHOOK_PAYLOAD_VERSION,
    type: `incident.${message.event}`,
    timestamp: now.toISOString(),
    data: {
      id: message.incidentId,
      fingerprint: clean(message.fingerprint),
      kind: message.kind,
      title: clean(message.title),
      severity: message.severity,
      state: message.state,
      summary: clean(message.summary),
      subject: clean(message.subject),
      ...(message.expected !== undefined && { expected: clean(message.expected) }),
      ...(message.observed !== undefined && { observed: clean(message.observed) }),
      ...(message.release !== undefined && { release: clean(message.release) }),
      ...(message.regions !== undefined && {
        regions: message.regions.map((region) => clean(region)),
      }),
      firstSeen: message.firstSeen,
      lastSeen: message.lastSeen,
      count: message.count,
      ...(message.escalationLevel !== undefined && { escalationLevel: message.escalationLevel }),
      ...(message.detail !== undefined && { detail: clean(message.detail) }),
      security: message.security,
      disclosed: message.disclosed,
      runbookUrl: message.runbookUrl,
      incidentUrl: message.incidentUrl,
      ...(message.subjects !== undefined && {
        subjects: message.subjects.map((subject) => clean(subject)),
      }),
      ...(message.subjectCount !== undefined && { subjectCount: message.subjectCount }),
      ...(message.cause !== undefined && { cause: clean(message.cause) }),
    },
  };
}
