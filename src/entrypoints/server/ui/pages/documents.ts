import type { DocumentRow, DocumentState } from '../../../../adapters/local/sqlite-queries.js';
import { codeList, listTable, num } from '../components.js';
import { html, type Html } from '../html.js';
import { badge, docLink, when } from '../layout.js';

export const ROUTE_FILTERS = ['pass', 'hold', 'reject', 'failed'] as const;
export const STATUS_FILTERS: readonly DocumentState[] = ['routed', 'failed', 'in-progress', 'received'];

export interface DocumentsFilter {
  readonly route: string;
  readonly documentClass: string;
  readonly status: string;
  readonly batch: string;
  readonly q: string;
}

export interface DocumentsPageData {
  readonly filter: DocumentsFilter;
  readonly classes: readonly string[];
  readonly rows: readonly DocumentRow[];
  /** The query string of the next and previous pages (null: none). */
  readonly nextQuery: string | null;
  readonly prevQuery: string | null;
  readonly firstQuery: string | null;
}

const select = (name: string, label: string, value: string, options: readonly string[]): Html =>
  html`<div class="filter">
    <label for="f-${name}">${label}</label>
    <select id="f-${name}" name="${name}">
      <option value="">any</option>
      ${options.map((o) => html`<option value="${o}" ${o === value ? html`selected` : ''}>${o}</option>`)}
    </select>
  </div>`;

export const documentsPage = (d: DocumentsPageData): Html => {
  const f = d.filter;
  return html`<h1>Documents</h1>
    <form class="filters" method="get" action="/documents" role="search" aria-label="Filter documents">
      <div class="filter">
        <label for="f-q">Search (id prefix or name)</label>
        <input type="search" id="f-q" name="q" value="${f.q}" autocomplete="off" />
      </div>
      ${select('route', 'Route', f.route, ROUTE_FILTERS)} ${select('class', 'Class', f.documentClass, d.classes)}
      ${select('status', 'Status', f.status, STATUS_FILTERS)}
      <div class="filter">
        <label for="f-batch">Batch</label>
        <input type="text" id="f-batch" name="batch" value="${f.batch}" autocomplete="off" size="26" />
      </div>
      <button type="submit">Filter</button> <a href="/documents">Clear</a>
    </form>
    ${listTable(
      d.rows,
      ['Route', 'Document', 'Name', 'Class', num('Confidence'), 'Reasons', 'Status', 'First seen (UTC)', 'Decided (UTC)'],
      (r) =>
        html`<tr>
          <td>${badge(r.route)}</td>
          <td>${docLink(r.documentId)}</td>
          <td>${r.name}</td>
          <td>${r.documentClass ?? ''}</td>
          <td class="num">${r.confidence === null ? '' : r.confidence.toFixed(2)}</td>
          <td>${codeList(r.reasonCodes, (c) => c)}</td>
          <td>${r.status}${r.decision && r.decision.version > 1 ? html` <span class="muted">(${r.decision.kind})</span>` : ''}</td>
          <td>${when(r.firstSeenAt)}</td>
          <td>${when(r.decidedAt)}</td>
        </tr>`,
      'No documents match.',
    )}
    <nav class="pager" aria-label="Pages">
      ${d.firstQuery !== null ? html`<a href="/documents${d.firstQuery}">Newest</a>` : ''}
      ${d.prevQuery !== null ? html`<a href="/documents${d.prevQuery}" rel="prev">Previous</a>` : ''}
      ${d.nextQuery !== null ? html`<a href="/documents${d.nextQuery}" rel="next">Next</a>` : ''}
    </nav>`;
};
