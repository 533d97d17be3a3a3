import type { DocumentRow, DocumentState } from '../../../../adapters/local/sqlite-queries.js';
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
    ${
      d.rows.length
        ? html`<table>
            <thead>
              <tr>
                <th scope="col">Route</th>
                <th scope="col">Document</th>
                <th scope="col">Name</th>
                <th scope="col">Class</th>
                <th scope="col" class="num">Confidence</th>
                <th scope="col">Reasons</th>
                <th scope="col">Status</th>
                <th scope="col">First seen (UTC)</th>
                <th scope="col">Decided (UTC)</th>
              </tr>
            </thead>
            <tbody>
              ${d.rows.map(
                (r) =>
                  html`<tr>
                    <td>${badge(r.route)}</td>
                    <td>${docLink(r.documentId)}</td>
                    <td>${r.name}</td>
                    <td>${r.documentClass ?? ''}</td>
                    <td class="num">${r.confidence === null ? '' : r.confidence.toFixed(2)}</td>
                    <td>${r.reasonCodes.map((c, i) => html`${i ? ', ' : ''}<code>${c}</code>`)}</td>
                    <td>
                      ${r.status}${r.decision && r.decision.version > 1 ? html` <span class="muted">(${r.decision.kind})</span>` : ''}
                    </td>
                    <td>${when(r.firstSeenAt)}</td>
                    <td>${when(r.decidedAt)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">No documents match.</p>`
    }
    <nav class="pager" aria-label="Pages">
      ${d.firstQuery !== null ? html`<a href="/documents${d.firstQuery}">Newest</a>` : ''}
      ${d.prevQuery !== null ? html`<a href="/documents${d.prevQuery}" rel="prev">Previous</a>` : ''}
      ${d.nextQuery !== null ? html`<a href="/documents${d.nextQuery}" rel="next">Next</a>` : ''}
    </nav>`;
};
