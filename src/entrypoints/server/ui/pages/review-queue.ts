import type { RouteRecord } from '../../../../ports/ledger.js';
import { codeList, listTable, num } from '../components.js';
import { html, type Html } from '../html.js';
import { docLink, when } from '../layout.js';
import { age } from './batches.js';

export interface ReviewQueueData {
  readonly held: readonly (RouteRecord & { readonly name: string })[];
  /** How many are held in all (the list may show only the oldest of them). */
  readonly total: number;
  readonly now: Date;
  readonly canReview: boolean;
}

export const reviewQueuePage = (d: ReviewQueueData): Html =>
  html`<h1>Review queue</h1>
    <p>
      ${d.total} ${d.total === 1 ? 'document is' : 'documents are'} held for review, oldest first.
      ${d.total > d.held.length ? `Showing the oldest ${d.held.length}.` : ''}
      ${d.canReview ? '' : html`<span class="muted">You can look; deciding needs the reviewer role.</span>`}
    </p>
    <details open>
      <summary>Keyboard shortcuts</summary>
      <ul>
        <li><kbd>j</kbd> / <kbd>k</kbd>: next / previous document</li>
        <li><kbd>Enter</kbd>: open the selected document</li>
        <li>
          <kbd>a</kbd> / <kbd>r</kbd>: open it to approve / reject (the cursor goes to the reason field; on a document page, the same keys
          choose the decision)
        </li>
      </ul>
    </details>
    ${listTable(
      d.held,
      ['Document', 'Name', 'Held since (UTC)', 'Waiting', 'Class', num('Confidence'), 'Why'],
      (r) =>
        html`<tr data-href="/documents/${encodeURIComponent(r.documentId)}">
          <td>${docLink(r.documentId)}</td>
          <td>${r.name}</td>
          <td>${when(r.decidedAt)}</td>
          <td>${age(r.decidedAt, d.now)}</td>
          <td>${r.documentClass ?? ''}</td>
          <td class="num">${r.confidence === null ? '' : r.confidence.toFixed(2)}</td>
          <td>${codeList(r.reasons, (x) => x.code)}</td>
        </tr>`,
      'Nothing awaits review.',
      'queue',
    )}`;
