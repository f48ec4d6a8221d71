/**
 * The post-incident review draft: Markdown rendered from an incident's record, timeline,
 * containment steps and alert deliveries.
 *
 * Contract: a draft, not a verdict. It states the facts the monitor recorded (times, who
 * did what, what containment ran and how it ended) under the headings of the review
 * template, and leaves root causes, impact judgement and lessons to people, with prompts
 * seeded from the record. It contains private detail: publish only after disclosure.
 * Pure: `now` is only used to say how long an unresolved incident has been open.
 */
import { RESPONSE_MINUTES } from './findings';
import { escapeMarkdownInline, markdownCode } from './untrusted-text';
import type { IncidentDetail, IncidentRecord, TimelineEntry } from './incident';

export function renderPostmortem(detail: IncidentDetail, now: Date): string {
  const { incident } = detail;
  return [
    `# Post-incident review: ${inline(incident.title)}`,
    '',
    ...section('Summary', summary(detail, now)),
    ...section('Impact', impact(incident)),
    ...section('Detection', detection(incident)),
    ...section('Timeline', timeline(detail.timeline)),
    ...section('Containment', containment(detail)),
    ...section('Root causes', [
      todo(
        'What made this possible? Ask "why" until the answer is a decision or a gap, not a person.',
      ),
    ]),
    ...section('Action items', actionItems(detail)),
    '## Lessons learned',
    '',
    ...section('What went well', wentWell(detail), '###'),
    ...section('What went wrong', wentWrong(detail), '###'),
    ...section(
      'Where we got lucky',
      [todo('What would have made this worse, and did not happen?')],
      '###',
    ),
    ...section('Open questions', openQuestions(detail)),
    ...section('Supporting information', supporting(detail)),
  ].join('\n');
}

function section(title: string, lines: readonly string[], level = '##'): string[] {
  return [`${level} ${title}`, '', ...lines, ''];
}

function todo(prompt: string): string {
  return `_To be written: ${prompt}_`;
}

/**
 * Finding text comes from the outside world: cleaned (untrusted-text.ts), on one line and
 * out of Markdown syntax.
 */
function inline(text: string): string {
  return escapeMarkdownInline(text);
}

function code(text: string): string {
  return markdownCode(text);
}

function minutesBetween(from: string, to: string): number {
  return Math.round((Date.parse(to) - Date.parse(from)) / 60_000);
}

function duration(minutes: number): string {
  if (minutes < 120) return `${minutes} min`;
  if (minutes < 48 * 60) return `${(minutes / 60).toFixed(1)} h`;
  return `${(minutes / 1440).toFixed(1)} days`;
}

function summary(detail: IncidentDetail, now: Date): string[] {
  const i = detail.incident;
  const end = i.resolvedAt ?? now.toISOString();
  return [
    `${i.severity} incident of kind ${code(i.kind)} on ${code(i.subject)}: ${inline(i.summary)}`,
    '',
    `- State: ${i.state}${i.resolvedAt ? ` (resolved ${i.resolvedAt} by ${i.resolvedBy ?? 'unknown'})` : ''}`,
    `- Opened: ${i.openedAt}; ${i.resolvedAt ? 'duration' : 'open for'} ${duration(minutesBetween(i.openedAt, end))}`,
    `- Reopened: ${i.reopenCount} time(s)`,
    `- Private (integrity) incident: ${i.security ? 'yes' : 'no'}; disclosed: ${i.disclosed ? 'yes' : 'no'}`,
  ];
}

function impact(i: IncidentRecord): string[] {
  return [
    `- Subject: ${code(i.subject)}${i.release ? ` (release ${code(i.release)})` : ''}`,
    `- Expected: ${i.expected ? code(i.expected) : 'n/a'}; observed: ${i.observed ? code(i.observed) : 'n/a'}`,
    `- Regions: ${i.regions?.length ? i.regions.map(code).join(', ') : 'not recorded'}`,
    `- Seen in ${i.count} sweep(s) from ${i.firstSeen} to ${i.lastSeen}`,
    '',
    todo('who was affected (downloads, installers, mirrors, CI), for how long, and how we know.'),
  ];
}

function detection(i: IncidentRecord): string[] {
  const lines = [
    `- First seen by the monitor's sweep at ${i.firstSeen}; incident opened at ${i.openedAt}.`,
  ];
  if (i.acknowledgedAt) {
    const minutes = minutesBetween(i.openedAt, i.acknowledgedAt);
    const target = RESPONSE_MINUTES[i.severity];
    lines.push(
      `- Acknowledged at ${i.acknowledgedAt} by ${i.acknowledgedBy ?? 'unknown'}, after ${duration(minutes)} (response time for ${i.severity}: ${duration(target)}).`,
    );
  } else {
    lines.push('- Not acknowledged.');
  }
  lines.push(`- Escalation re-notifications sent: ${i.escalationLevel}.`);
  lines.push('', todo('could we have detected it sooner, or from a user report first?'));
  return lines;
}

/** Types whose runs collapse into one row, so five-minute sweeps do not bury the story. */
const REPEATING: readonly TimelineEntry['type'][] = ['observation', 'clean-sweep'];

/** A table, like the review template's, with the actor of each line. */
function timeline(entries: readonly TimelineEntry[]): string[] {
  const rows = ['All times UTC.', '', '| Time | Actor | Event |', '| ---- | ----- | ----- |'];
  for (let index = 0; index < entries.length; index += 1) {
    const entry = entries[index]!;
    let last = index;
    while (REPEATING.includes(entry.type) && entries[last + 1]?.type === entry.type) last += 1;
    const final = entries[last]!;
    const event =
      last > index
        ? `${last - index + 1} sweeps, the latest: ${inline(final.message)}`
        : inline(entry.message);
    const time = last > index ? `${entry.at} – ${final.at}` : entry.at;
    rows.push(`| ${time} | ${inline(entry.actor)} | ${event} |`);
    index = last;
  }
  return entries.length > 0 ? rows : ['No timeline entries.'];
}

function containment(detail: IncidentDetail): string[] {
  const lines = [`Containment mode now: ${code(detail.containmentMode)}.`, ''];
  if (detail.playbook.length === 0) return [...lines, '- No containment steps ran.'];
  for (const step of detail.playbook) {
    const result = step.result?.['detail'];
    lines.push(
      `- Run ${step.run}, ${code(step.step)}: ${step.status} after ${step.attempts} attempt(s)${typeof result === 'string' ? ` — ${inline(result)}` : ''}`,
    );
  }
  lines.push(
    '',
    todo('what did people do beyond the automatic steps, and when did the harm stop?'),
  );
  return lines;
}

function actionItems(detail: IncidentDetail): string[] {
  const items = detail.playbook
    .filter((step) => step.status === 'failed')
    .map(
      (step) => `- [ ] Find out why containment step ${code(step.step)} (run ${step.run}) failed.`,
    );
  for (const row of detail.outbox.filter((r) => r.status === 'failed' || r.status === 'disabled')) {
    items.push(`- [ ] Fix alert channel ${code(row.channel)}: ${row.event} was ${row.status}.`);
  }
  items.push(`- [ ] ${todo('each action with an owner, an issue link and a date.')}`);
  return items;
}

function wentWell(detail: IncidentDetail): string[] {
  const i = detail.incident;
  const lines: string[] = [];
  if (
    i.acknowledgedAt &&
    minutesBetween(i.openedAt, i.acknowledgedAt) <= RESPONSE_MINUTES[i.severity]
  ) {
    lines.push('- Acknowledged within the response time.');
  }
  if (detail.playbook.some((s) => s.status === 'done'))
    lines.push('- Containment steps completed on their own (see Containment).');
  if (detail.outbox.some((r) => r.status === 'delivered'))
    lines.push('- Alerts reached at least one channel.');
  return [...lines, todo('what helped?')];
}

function wentWrong(detail: IncidentDetail): string[] {
  const i = detail.incident;
  const lines: string[] = [];
  if (
    !i.acknowledgedAt ||
    minutesBetween(i.openedAt, i.acknowledgedAt) > RESPONSE_MINUTES[i.severity]
  ) {
    lines.push(
      `- Not acknowledged within the ${i.severity} response time; escalations sent: ${i.escalationLevel}.`,
    );
  }
  for (const step of detail.playbook.filter((s) => s.status === 'failed'))
    lines.push(`- Containment step ${code(step.step)} failed.`);
  for (const row of detail.outbox.filter((r) => r.status === 'failed' || r.status === 'disabled')) {
    lines.push(`- Alert delivery to ${code(row.channel)} ${row.status} (${row.event}).`);
  }
  if (i.reopenCount > 0)
    lines.push(`- The incident reopened ${i.reopenCount} time(s) after being resolved.`);
  return [...lines, todo('what hurt or slowed us down?')];
}

function openQuestions(detail: IncidentDetail): string[] {
  const i = detail.incident;
  const lines: string[] = [];
  if (i.state !== 'resolved') lines.push('- The incident is not resolved: is the harm over?');
  if (i.security && !i.disclosed)
    lines.push('- Private incident not yet disclosed: when, and to whom?');
  if (detail.containmentMode !== 'enforce')
    lines.push('- Containment ran in dry-run: were its steps carried out by hand?');
  return [...lines, todo('what do we still not know?')];
}

function supporting(detail: IncidentDetail): string[] {
  const i = detail.incident;
  const lines = [`- Incident id: ${code(i.id)}`, `- Fingerprint: ${code(i.fingerprint)}`];
  if (detail.evidenceKeys.length === 0) lines.push('- Evidence: none captured.');
  for (const key of detail.evidenceKeys) lines.push(`- Evidence (R2 \`EVIDENCE\`): ${code(key)}`);
  const notes = detail.timeline.filter((entry) => entry.type === 'note');
  lines.push(`- Notes in the timeline: ${notes.length}`);
  return lines;
}
