import type { BatchRow, ClassCounts, RouteCounts } from '../../../../adapters/local/sqlite-queries.js';
import { barChart, type Bar } from '../chart.js';
import { batchLink, listTable, num, tableHead } from '../components.js';
import { html, type Html } from '../html.js';
import { badge, docLink, when } from '../layout.js';
import { age, reconciliationLine } from './batches.js';

export interface DashboardData {
  readonly routes: RouteCounts;
  readonly classes: readonly ClassCounts[];
  /** The last 14 UTC days, oldest first. */
  readonly perDay: readonly { readonly day: string; readonly count: number }[];
  readonly batches: readonly BatchRow[];
  readonly oldestHeld: { readonly documentId: string; readonly name: string; readonly heldSince: string } | null;
  readonly held: number;
  readonly now: Date;
}

const DAY_NAMES = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

const throughput = (b: BatchRow): string => {
  if (!b.completedAt) return '–';
  const seconds = (Date.parse(b.completedAt) - Date.parse(b.createdAt)) / 1000;
  if (!Number.isFinite(seconds) || seconds <= 0) return '–';
  return `${((b.received / seconds) * 60).toFixed(1)}/min`;
};

const duration = (b: BatchRow): string => {
  if (!b.completedAt) return '–';
  const seconds = (Date.parse(b.completedAt) - Date.parse(b.createdAt)) / 1000;
  return Number.isFinite(seconds) ? `${seconds.toFixed(1)} s` : '–';
};

export const dashboardPage = (d: DashboardData): Html => {
  const r = d.routes;
  const bars: Bar[] = d.perDay.map((p) => ({
    label: p.day,
    tick: `${DAY_NAMES[new Date(`${p.day}T00:00:00Z`).getUTCDay()] ?? ''} ${p.day.slice(8)}`,
    value: p.count,
  }));
  return html`<h1>Dashboard</h1>
    <div class="cards">
      <section class="card" aria-labelledby="c-routes">
        <h2 id="c-routes">Documents by route</h2>
        <table>
          ${tableHead(['Route', num('Documents')])}
          <tbody>
            <tr>
              <th scope="row">${badge('pass')}</th>
              <td class="num"><a href="/documents?route=pass">${r.pass}</a></td>
            </tr>
            <tr>
              <th scope="row">${badge('hold')}</th>
              <td class="num"><a href="/documents?route=hold">${r.hold}</a></td>
            </tr>
            <tr>
              <th scope="row">${badge('reject')}</th>
              <td class="num"><a href="/documents?route=reject">${r.reject}</a></td>
            </tr>
            <tr>
              <th scope="row">${badge('failed')}</th>
              <td class="num"><a href="/documents?route=failed">${r.failed}</a></td>
            </tr>
            ${
              r.pending > 0
                ? html`<tr>
                    <th scope="row">${badge(null)}</th>
                    <td class="num">${r.pending}</td>
                  </tr>`
                : ''
            }
          </tbody>
          <tfoot>
            <tr>
              <th scope="row">Total</th>
              <td class="num">${r.total}</td>
            </tr>
          </tfoot>
        </table>
      </section>
      <section class="card" aria-labelledby="c-held">
        <h2 id="c-held">Awaiting review</h2>
        <p class="big"><a href="/review">${d.held}</a></p>
        ${
          d.oldestHeld
            ? html`<p>
                Oldest: ${docLink(d.oldestHeld.documentId, d.oldestHeld.name || undefined)}<br /><span class="muted"
                  >held since ${when(d.oldestHeld.heldSince)} (${age(d.oldestHeld.heldSince, d.now)})</span
                >
              </p>`
            : html`<p class="muted">Nothing is held.</p>`
        }
      </section>
    </div>
    <section aria-labelledby="c-classes">
      <h2 id="c-classes">By class</h2>
      ${listTable(
        d.classes,
        ['Class', num('Pass'), num('Hold'), num('Reject'), num('Total')],
        (c) =>
          html`<tr>
            <th scope="row">
              ${
                c.documentClass === null
                  ? html`<span class="muted">unclassified</span>`
                  : html`<a href="/documents?class=${encodeURIComponent(c.documentClass)}">${c.documentClass}</a>`
              }
            </th>
            <td class="num">${c.pass}</td>
            <td class="num">${c.hold}</td>
            <td class="num">${c.reject}</td>
            <td class="num">${c.pass + c.hold + c.reject}</td>
          </tr>`,
        'No routed documents yet.',
      )}
    </section>
    <section aria-labelledby="c-days">
      <h2 id="c-days">Documents per day (first seen, last 14 days, UTC)</h2>
      ${barChart(bars, `Documents first seen per day, ${d.perDay[0]?.day ?? ''} to ${d.perDay.at(-1)?.day ?? ''}`)}
    </section>
    <section aria-labelledby="c-batches">
      <h2 id="c-batches">Recent batches</h2>
      ${listTable(
        d.batches,
        ['Batch', 'Started (UTC)', 'Status', num('Received'), num('Duration'), num('Throughput'), 'Reconciliation'],
        (b) =>
          html`<tr>
            <td>${batchLink(b.batchId)}</td>
            <td>${when(b.createdAt)}</td>
            <td>${b.status}</td>
            <td class="num">${b.received}</td>
            <td class="num">${duration(b)}</td>
            <td class="num">${throughput(b)}</td>
            <td>${reconciliationLine(b)}</td>
          </tr>`,
        'No batches yet.',
      )}
    </section>`;
};
