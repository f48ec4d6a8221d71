/**
 * A tiny, synchronous HTML (and XML) builder: the `markup` tag cleans and escapes every
 * interpolated value (src/core/untrusted-text.ts: no control character, noncharacter, lone
 * surrogate or bidi override survives, then `&<>"'`) unless it is already `SafeHtml` (the
 * result of another `markup` call), and arrays are joined. Server-rendered pages and the
 * Atom feed are built only with it, so no text from the watched site reaches them raw.
 */
import { escapeMarkup } from '../core/untrusted-text';

export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

export function escapeHtml(text: string): string {
  return escapeMarkup(text);
}

type Interpolation =
  SafeHtml | string | number | undefined | null | false | readonly Interpolation[];

function render(value: Interpolation): string {
  if (value === undefined || value === null || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item: Interpolation) => render(item)).join('');
  return escapeHtml(String(value));
}

export function markup(strings: TemplateStringsArray, ...values: Interpolation[]): SafeHtml {
  let out = strings[0] ?? '';
  values.forEach((value, index) => {
    out += render(value) + (strings[index + 1] ?? '');
  });
  return new SafeHtml(out);
}

/** Trusted markup or text inserted as is (constants only, e.g. the page's stylesheet). */
export function raw(value: string): SafeHtml {
  return new SafeHtml(value);
}
