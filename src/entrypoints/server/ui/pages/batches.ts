import type { BatchRow } from '../../../../adapters/local/sqlite-queries.js';
import type { BatchOutcomeRecord, RouteRecord } from '../../../../ports/ledger.js';
import { batchLink, codeList, listTable, num } from '../components.js';
import { html, type Html } from '../html.js';
import { badge, docLink, when } from '../layout.js';

/** "3 h 12 min", "2 d 4 h": how long ago, for people. */
export const age = (iso: string, now: Date): string => {
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms) || ms < 0) return 'just now';
  const min = Math.floor(ms / 60_000);
  if (min < 1) return 'under a minute';
  if (min < 60) return `${min} min`;
  const h = Math.floor(min / 60);
  if (h < 48) return `${h} h ${min % 60} min`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
};

/** `received 6 = pass 3 + hold 1 + reject 2 + failed 0 (reconciled)`, as the CLI prints it. */
export const reconciliationLine = (b: Pick<BatchRow, 'received' | 'counts' | 'status'>): Html => {
  const c = b.counts;
  const accounted = c.pass + c.hold + c.reject + c.failed;
  const ok = accounted === b.received && c.pending === 0;
  const verdict = ok
    ? html`<span class="reconciled">(reconciled)</span>`
    : b.status === 'running'
      ? html`<span class="muted">(running: ${c.pending} pending)</span>`
      : html`<span class="unreconciled">(does not reconcile${c.pending ? `: ${c.pending} without an outcome` : ''})</span>`;
  return html`received ${b.received} = pass ${c.pass} + hold ${c.hold} + reject ${c.reject} + failed ${c.failed} ${verdict}`;
};

const reasonsLine = (reasons: Readonly<Record<string, number>> | null): Html =>
  reasons && Object.keys(reasons).length
    ? codeList(
        Object.entries(reasons),
        ([code]) => code,
        ([, n]) => ` ×${n}`,
      )
    : html`<span class="muted">–</span>`;

export const batchesPage = (input: {
  readonly batches: readonly BatchRow[];
  readonly next: string | null;
  readonly first: boolean;
}): Html =>
  html`<h1>Batches</h1>
    ${listTable(
      input.batches,
      ['Batch', 'Started (UTC)', 'Completed (UTC)', 'Status', 'Source', 'Reconciliation', num('Duplicates'), 'Reasons'],
      (b) =>
        html`<tr>
          <td>${batchLink(b.batchId)}</td>
          <td>${when(b.createdAt)}</td>
          <td>${when(b.completedAt)}</td>
          <td>${b.status}</td>
          <td>${b.source}</td>
          <td>${reconciliationLine(b)}</td>
          <td class="num">${b.counts.duplicates}</td>
          <td>${reasonsLine(b.reasons)}</td>
        </tr>`,
      'No batches yet.',
    )}
    <nav class="pager" aria-label="Pages">
      ${input.first ? '' : html`<a href="/batches">Newest</a>`}${
        input.next ? html`<a href="/batches?after=${encodeURIComponent(input.next)}" rel="next">Older batches</a>` : ''
      }
    </nav>`;

export interface BatchPageData {
  readonly batch: BatchRow;
  readonly executionId: string;
  readonly configVersion: string;
  readonly documents: readonly BatchOutcomeRecord[];
  /** Where each document is now (a review or replay may have moved it since the batch). */
  readonly now: ReadonlyMap<string, RouteRecord>;
}

const OUTCOME_ORDER = ['hold', 'reject', 'failed', 'pass', null] as const;

export const batchPage = (d: BatchPageData): Html => {
  const b = d.batch;
  const sorted = [...d.documents].sort((x, y) => OUTCOME_ORDER.indexOf(x.outcome) - OUTCOME_ORDER.indexOf(y.outcome));
  return html`<h1>Batch <code>${b.batchId}</code></h1>
    <p><strong>${reconciliationLine(b)}</strong></p>
    <dl class="kv">
      <dt>Status</dt>
      <dd>${b.status}</dd>
      <dt>Source</dt>
      <dd>${b.source}</dd>
      <dt>Started (UTC)</dt>
      <dd>${when(b.createdAt)}</dd>
      <dt>Completed (UTC)</dt>
      <dd>${when(b.completedAt) || '–'}</dd>
      <dt>Execution</dt>
      <dd><code>${d.executionId}</code></dd>
      <dt>Config version</dt>
      <dd><code>${d.configVersion}</code></dd>
      <dt>Duplicates</dt>
      <dd>
        ${b.counts.duplicates}
        <span class="muted">(already routed by an earlier batch; counted under their outcome, not routed again)</span>
      </dd>
      <dt>Reasons</dt>
      <dd>${reasonsLine(b.reasons)}</dd>
    </dl>
    <h2>Documents</h2>
    ${listTable(
      sorted,
      ['Outcome in batch', 'Document', 'Name', 'Reason', 'Now'],
      (doc) => {
        const now = d.now.get(doc.documentId);
        const moved = now && now.outcome !== doc.outcome;
        return html`<tr>
          <td>${badge(doc.outcome)}${doc.duplicate ? html` <span class="muted">duplicate</span>` : ''}</td>
          <td>${docLink(doc.documentId)}</td>
          <td>${doc.name}</td>
          <td>${doc.reasonCode ? html`<code>${doc.reasonCode}</code>` : ''}${doc.errorName ? html` <code>${doc.errorName}</code>` : ''}</td>
          <td>
            ${moved ? html`${badge(now.outcome)} <span class="muted">by ${now.kind}, decision ${now.version}</span>` : html`<span class="muted">same</span>`}
          </td>
        </tr>`;
      },
      'No documents.',
    )}`;
};
