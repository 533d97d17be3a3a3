import type { RouteRecord } from '../../../../ports/ledger.js';
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
    ${
      d.held.length
        ? html`<table id="queue">
            <thead>
              <tr>
                <th scope="col">Document</th>
                <th scope="col">Name</th>
                <th scope="col">Held since (UTC)</th>
                <th scope="col">Waiting</th>
                <th scope="col">Class</th>
                <th scope="col" class="num">Confidence</th>
                <th scope="col">Why</th>
              </tr>
            </thead>
            <tbody>
              ${d.held.map(
                (r) =>
                  html`<tr data-href="/documents/${encodeURIComponent(r.documentId)}">
                    <td>${docLink(r.documentId)}</td>
                    <td>${r.name}</td>
                    <td>${when(r.decidedAt)}</td>
                    <td>${age(r.decidedAt, d.now)}</td>
                    <td>${r.documentClass ?? ''}</td>
                    <td class="num">${r.confidence === null ? '' : r.confidence.toFixed(2)}</td>
                    <td>${r.reasons.map((x, i) => html`${i ? ', ' : ''}<code>${x.code}</code>`)}</td>
                  </tr>`,
              )}
            </tbody>
          </table>`
        : html`<p class="muted">Nothing awaits review.</p>`
    }`;
