/**
 * Shared fixtures for the incident tests: a controllable clock, recording alert channels,
 * findings, and stubs. The clock starts in 2040 so alarms set from it never fire on their
 * own during a test: tests run them with `runDurableObjectAlarm`.
 */
import { env, runDurableObjectAlarm } from 'cloudflare:test';
import type {
  AlertChannel,
  AlertEvent,
  AlertMessage,
  DeliveryContext,
  DeliveryOutcome,
} from '../src/core/alerts';
import { createFinding, type Finding, type FindingInput } from '../src/core/findings';
import {
  defaultIncidentDependencies,
  type IncidentDependencies,
} from '../src/durable/incident-dependencies';
import { IncidentObject } from '../src/durable/incident-object';
import { incidentStubFor } from '../src/durable/incident-stubs';
import type { MonitorEnv } from '../src/env';

export const T0 = Date.parse('2040-01-01T00:00:00.000Z');
export const MINUTE = 60_000;

export class TestClock {
  now = T0;
  advance(ms: number): number {
    this.now += ms;
    return this.now;
  }
}

type Responder = (message: AlertMessage, ctx: DeliveryContext) => DeliveryOutcome;

/** A channel that records every attempt and answers as `respond` says (default: delivered). */
export class RecordingChannel implements AlertChannel {
  readonly attempts: { message: AlertMessage; ctx: DeliveryContext }[] = [];
  readonly delivered: { message: AlertMessage; ctx: DeliveryContext }[] = [];
  constructor(
    readonly name: string,
    private readonly respond: Responder = () => ({ kind: 'delivered' }),
  ) {}
  accepts(): boolean {
    return true;
  }
  async deliver(message: AlertMessage, ctx: DeliveryContext): Promise<DeliveryOutcome> {
    this.attempts.push({ message, ctx });
    const outcome = this.respond(message, ctx);
    if (outcome.kind === 'delivered') this.delivered.push({ message, ctx });
    return outcome;
  }
  events(): AlertEvent[] {
    return this.delivered.map((d) => d.message.event);
  }
}

/** Answers `retry` for the first `failures` attempts of every message, then `delivered`. */
export function failingFirst(failures: number, detail = '503 Service Unavailable'): Responder {
  return (_message, ctx) =>
    ctx.attempt <= failures ? { kind: 'retry', detail } : { kind: 'delivered' };
}

export interface TestSetup {
  clock: TestClock;
  channels: AlertChannel[];
  vars?: Partial<MonitorEnv> & Record<string, string>;
  deps?: Partial<IncidentDependencies>;
}

/** Points every IncidentObject at the test's clock, channels and vars. */
export function installIncidentDependencies(setup: TestSetup): void {
  IncidentObject.dependencies = {
    ...defaultIncidentDependencies(),
    now: () => setup.clock.now,
    random: () => 0.5,
    channels: () => setup.channels,
    env: (base) => ({ ...base, ...setup.vars }),
    ...setup.deps,
  };
}

export function resetIncidentDependencies(): void {
  IncidentObject.dependencies = defaultIncidentDependencies();
}

let counter = 0;
/** A unique subject (and path) per call, so tests never share an incident or a flag. */
export function uniqueUrl(file = 'node-v24.11.1.tar.gz'): string {
  counter += 1;
  return `https://dist.test/dist/v24.11.1/${Date.now()}-${counter}/${file}`;
}

export function makeFinding(
  input: Partial<FindingInput> & Pick<FindingInput, 'kind'>,
  at: number = T0,
): Finding {
  return createFinding(
    { subject: uniqueUrl(), summary: `${input.kind} seen`, ...input },
    new Date(at),
  );
}

export function stubOf(finding: Pick<Finding, 'fingerprint'>) {
  return incidentStubFor(env, finding.fingerprint);
}

export type IncidentStub = ReturnType<typeof stubOf>;

/** Runs alarms until none is due at the test clock (each run handles what is due). */
export async function runAlarms(stub: DurableObjectStub, max = 20): Promise<number> {
  let ran = 0;
  while (ran < max && (await runDurableObjectAlarm(stub))) ran += 1;
  return ran;
}
