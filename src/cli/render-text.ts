/**
 * The human report of a run: what was verified, what failed and why, and a last line
 * that says the verdict in words. Pure: returns the lines; main.ts prints them.
 *
 * Contract: every piece of text that came from the site or a file goes through
 * `printable`, so a hostile name cannot move the cursor or rewrite the verdict line.
 */
import { formatBytes } from './progress';
import { isFailure, type Problem } from './problems';
import type { FileReport, LogReport, ReleaseReport, RunResult, WatchResult } from './report';
import type { SignatureReport } from './manifest-check';
import { printable } from './terminal-text';

const OK = '✔';
const BAD = '✘';
const UNKNOWN = '?';

export function renderText(result: RunResult): string[] {
  switch (result.command) {
    case 'usage':
      return result.problems.map((problem) => `dist-verify: ${printable(problem.message)}`);
    case 'verify':
      return [
        `dist-verify ${result.release} · ${printable(result.distUrl)}`,
        ...renderRelease(result, result.problems),
        ...renderLog(result.log),
        ...renderProblems(result.problems),
        '',
        verdictLine(result),
      ];
    case 'watch':
      return renderWatch(result);
  }
}

function renderWatch(result: WatchResult): string[] {
  const lines = [`dist-verify watch · ${printable(result.distUrl)}`];
  if (result.index !== undefined) {
    lines.push(
      `  index.json lists ${result.index.releases} releases; watching ${result.releases.length}`,
    );
  }
  for (const release of result.releases) {
    const reasons = release.watchReasons?.length ? ` (${release.watchReasons.join(', ')})` : '';
    lines.push(`${release.release}${reasons}`);
    lines.push(...renderRelease(release, result.problems));
  }
  lines.push(...renderLog(result.log), ...renderProblems(result.problems));
  if (result.alerts !== undefined) {
    lines.push(
      `alerts: ${result.alerts.sent} sent${result.alerts.failed > 0 ? `, ${result.alerts.failed} failed` : ''}`,
    );
  }
  lines.push('', verdictLine(result));
  return lines;
}

function renderRelease(release: ReleaseReport, problems: readonly Problem[]): string[] {
  const lines: string[] = [];
  const signature = release.manifest?.signature;
  if (signature !== undefined) lines.push(`  ${renderSignature(signature)}`);
  else if (release.manifest !== undefined) {
    const failed = problems.some(
      (problem) => problem.subject === release.manifest?.url && isFailure(problem),
    );
    lines.push(`  ${failed ? BAD : UNKNOWN} SHASUMS256.txt not verified`);
  }
  for (const file of release.files) lines.push(`  ${renderFile(file)}`);
  return lines;
}

function renderSignature(signature: SignatureReport): string {
  if (!signature.ok) {
    return `${BAD} SHASUMS256.txt signature: ${printable(signature.reason)}`;
  }
  const who = signature.owner !== undefined ? `${printable(signature.owner, 100)} ` : '';
  const forms = signature.via.map((form) => (form === 'detached' ? '.sig' : '.asc')).join(' and ');
  return `${OK} SHASUMS256.txt signed by ${who}(${signature.signer}) at ${signature.signedAt}, ${signature.hashAlgorithm}, ${forms}`;
}

function renderFile(file: FileReport): string {
  const name = printable(file.name, 200);
  const where = file.source === 'local' ? ` (${printable(file.path ?? '', 200)})` : '';
  const size = file.bytes !== undefined ? `, ${formatBytes(file.bytes)}` : '';
  switch (file.status) {
    case 'verified':
      return `${OK} ${name}${where} sha256 ${file.observed ?? ''}${size}${file.savedTo !== undefined ? ` → ${printable(file.savedTo, 300)}` : ''}`;
    case 'mismatch':
      return `${BAD} ${name}${where} sha256 ${file.observed ?? ''} ≠ signed ${file.expected ?? ''}`;
    case 'not-in-manifest':
      return `${BAD} ${name} is not in the signed manifest`;
    case 'missing':
      return `${BAD} ${name} is not served`;
    case 'foreign-redirect':
      return `${BAD} ${name} redirects to a host that is not allowed`;
    case 'ambiguous':
    case 'unreadable':
    case 'unreachable':
      return `${UNKNOWN} ${name}${where} not checked (${file.status})`;
  }
}

function renderLog(log: LogReport | undefined): string[] {
  if (log === undefined) return [];
  const found = log.hashes.filter((hash) => hash.found).length;
  const previous =
    log.previous === undefined
      ? 'first checkpoint this machine has seen of this log'
      : log.consistent
        ? `consistent with tree size ${log.previous.treeSize} seen before`
        : `NOT consistent with tree size ${log.previous.treeSize} seen before`;
  const mark = log.consistent && found === log.hashes.length ? OK : BAD;
  return [
    `  ${mark} transparency log ${printable(log.origin, 200)}: ${found} of ${log.hashes.length} hashes included at tree size ${log.treeSize}; ${previous}`,
    ...(log.cache.error !== undefined
      ? [
          `  ${UNKNOWN} the checkpoint could not be saved for the next run (${printable(log.cache.error, 200)}): this run witnessed nothing for later ones`,
        ]
      : []),
  ];
}

function renderProblems(problems: readonly Problem[]): string[] {
  if (problems.length === 0) return [];
  return [
    '',
    'Problems:',
    ...problems.map((problem) => `  - [${problem.code}] ${printable(problem.message)}`),
  ];
}

function verdictLine(result: Exclude<RunResult, { command: 'usage' }>): string {
  switch (result.outcome) {
    case 'verified':
      return result.command === 'verify'
        ? `VERIFIED: ${result.release} is signed by a trusted release key${describeVerifiedFiles(result.files)}${result.log !== undefined ? ', and every verified hash is in the transparency log' : ''}.`
        : `VERIFIED: every watched release (${result.releases.map((release) => release.release).join(', ')}) is signed by a trusted release key${result.releases.some((release) => release.files.length > 0) ? ' and its checked artifacts match' : ''}.`;
    case 'failed':
      return `FAILED: ${countOf(result.problems.filter(isFailure).length, 'verification failure')}. Do not trust these files until the problems above are explained.`;
    case 'undecided':
      return `NOT VERIFIED: ${countOf(result.problems.length, 'problem')} kept dist-verify from deciding (exit 2).`;
  }
}

function describeVerifiedFiles(files: readonly FileReport[]): string {
  if (files.length === 0) return '';
  return `, and ${countOf(files.length, 'file')} match${files.length === 1 ? 'es' : ''} it`;
}

function countOf(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}
