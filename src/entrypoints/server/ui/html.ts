/**
 * HTML by tagged template, escaped by default: every value interpolated into `html\`…\`` is
 * escaped unless it is already `Html` (the result of another `html` template, or `raw` for
 * constant markup written in this code base). Document names, field values, reasons and audit
 * notes are customer data: nothing from a request or the store may reach the page unescaped.
 */

const ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
  '`': '&#96;',
};

/** Escapes text for element content and quoted attribute values. */
export const escapeHtml = (text: string): string => text.replace(/[&<>"'`]/g, (c) => ESCAPES[c] ?? c);

/** Markup that is safe to emit as is. Only `html` and `raw` construct it. */
export class Html {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  toString(): string {
    return this.#value;
  }
}

export type HtmlValue = Html | string | number | boolean | null | undefined | readonly HtmlValue[];

const render = (value: HtmlValue): string => {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof Html) return value.toString();
  if (Array.isArray(value)) return (value as readonly HtmlValue[]).map(render).join('');
  return escapeHtml(String(value));
};

export const html = (strings: TemplateStringsArray, ...values: readonly HtmlValue[]): Html => {
  let out = strings[0] ?? '';
  values.forEach((v, i) => {
    out += render(v) + (strings[i + 1] ?? '');
  });
  return new Html(out);
};

/** Constant markup from this code base (never data): SVG paths, pre-built fragments. */
export const raw = (markup: string): Html => new Html(markup);

/** Joins fragments (escaping any plain strings among them). */
export const join = (parts: readonly HtmlValue[], separator: HtmlValue = ''): Html => new Html(parts.map(render).join(render(separator)));
