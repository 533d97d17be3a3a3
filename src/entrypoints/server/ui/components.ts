import { html, type Html } from './html.js';

/**
 * Rendering pieces the console pages share: list tables with their header row and empty state,
 * links to batches and comma-separated code lists. Pure, like the pages.
 */

/** A column heading; `num` columns are right-aligned (numbers). */
export type Column = string | { readonly label: string; readonly num: true };

export const num = (label: string): Column => ({ label, num: true });

/** `<thead>` with one `<th scope="col">` per column. */
export const tableHead = (columns: readonly Column[]): Html =>
  html`<thead>
    <tr>
      ${columns.map((c) => (typeof c === 'string' ? html`<th scope="col">${c}</th>` : html`<th scope="col" class="num">${c.label}</th>`))}
    </tr>
  </thead>`;

/** A table of `items`, one row each, or the muted `empty` line when there are none. */
export const listTable = <T>(items: readonly T[], columns: readonly Column[], row: (item: T) => Html, empty: string, id?: string): Html =>
  items.length
    ? html`<table${id === undefined ? '' : html` id="${id}"`}>
        ${tableHead(columns)}
        <tbody>
          ${items.map(row)}
        </tbody>
      </table>`
    : html`<p class="muted">${empty}</p>`;

/** A batch id as a link to its page. */
export const batchLink = (batchId: string): Html => html`<a href="/batches/${encodeURIComponent(batchId)}"><code>${batchId}</code></a>`;

/** `<code>A</code>, <code>B</code>`, each followed by what `suffix` gives for it. */
export const codeList = <T>(items: readonly T[], code: (item: T) => string, suffix: (item: T) => string = () => ''): Html =>
  html`${items.map((item, i) => html`${i ? ', ' : ''}<code>${code(item)}</code>${suffix(item)}`)}`;
