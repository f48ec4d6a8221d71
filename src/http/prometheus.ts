/**
 * A small writer for the Prometheus text exposition format (version 0.0.4): families with
 * HELP and TYPE, label values cleaned (untrusted-text.ts: a release line comes from the
 * watched site's version strings) and escaped, non-finite numbers written the way the format
 * spells them. Pure.
 */
import { cleanUntrustedText } from '../core/untrusted-text';

export type MetricType = 'counter' | 'gauge' | 'summary';

export type Labels = Readonly<Record<string, string>>;

function escapeLabel(value: string): string {
  return cleanUntrustedText(value, { singleLine: true })
    .replace(/\\/g, '\\\\')
    .replace(/"/g, '\\"');
}

function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (value === Infinity) return '+Inf';
  if (value === -Infinity) return '-Inf';
  return String(value);
}

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (entries.length === 0) return '';
  return `{${entries.map(([name, value]) => `${name}="${escapeLabel(value)}"`).join(',')}}`;
}

export class MetricsWriter {
  private readonly lines: string[] = [];

  family(name: string, type: MetricType, help: string): this {
    this.lines.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    this.lines.push(`# TYPE ${name} ${type}`);
    return this;
  }

  sample(name: string, value: number, labels?: Labels): this {
    this.lines.push(`${name}${formatLabels(labels)} ${formatValue(value)}`);
    return this;
  }

  toString(): string {
    return `${this.lines.join('\n')}\n`;
  }
}
