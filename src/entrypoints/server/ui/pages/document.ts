import type { FieldSpec } from '../../../../config/field-spec.js';
import type { FieldValue } from '../../../../domain/document.js';
import { maskValue } from '../../../../domain/mask.js';
import { MAX_REASON_CHARS } from '../../../../domain/review.js';
import type { ReviewView } from '../../../../orchestration/review.js';
import type { StoredAuditRecord } from '../../../../ports/audit-log.js';
import type { DecisionRecord } from '../../../../ports/decisions.js';
import type { DocumentStatus } from '../../../cli/inspect.js';
import { batchLink, listTable, num, tableHead } from '../components.js';
import { html, type Html } from '../html.js';
import { badge, csrfField, shortId, when } from '../layout.js';
import { LOW_CONFIDENCE, pageViewer, type PageLayout } from '../overlay.js';

/** What the document page shows; loaded by the route handler, rendered here (pure). */
export interface DocumentPageData {
  readonly status: DocumentStatus;
  readonly size: number | null;
  readonly view: ReviewView | null;
  readonly timeline: readonly StoredAuditRecord[];
  readonly pageCount: number;
  readonly page: number;
  readonly layout: PageLayout | null;
  /** The field specs of the document's class: the fields a reviewer may correct. */
  readonly specs: readonly FieldSpec[];
  readonly sensitive: ReadonlySet<string>;
  readonly canReview: boolean;
  readonly csrfToken: string | undefined;
  /** After a POST: the outcome to report, or the problem to show above the form. */
  readonly notice: string | null;
  readonly problem: string | null;
  /** What the reviewer had typed, when the form comes back with a problem (never a sensitive value). */
  readonly draft: { readonly action: string; readonly reason: string; readonly corrections: Readonly<Record<string, string>> } | null;
}

const shown = (value: FieldValue, sensitive: boolean): Html =>
  sensitive
    ? html`<span class="masked" title="Sensitive: masked">${maskValue(value)}</span> <span class="muted">(masked)</span>`
    : html`${String(value)}`;

const confidenceCell = (c: number | null): Html =>
  c === null
    ? html`<td class="num conf muted">–</td>`
    : c < LOW_CONFIDENCE
      ? html`<td class="num conf">${c.toFixed(2)}<span class="flag">LOW</span></td>`
      : html`<td class="num conf">${c.toFixed(2)}</td>`;

const fieldsSection = (d: DocumentPageData): Html => {
  const fields = d.view?.fields;
  if (!fields)
    return html`<h2>Fields</h2>
      <p class="muted">No fields: the document was not read past classification.</p>`;
  const entries = Object.entries(fields).sort(([a], [b]) => a.localeCompare(b));
  if (entries.length === 0)
    return html`<h2>Fields</h2>
      <p class="muted">No fields were found.</p>`;
  const boxes = new Map((d.layout?.fields ?? []).map((f) => [f.name, f]));
  return html`<h2>Fields</h2>
    <table>
      <caption class="muted">
        Values below confidence ${LOW_CONFIDENCE} are marked LOW; sensitive values are masked to their last four characters.
      </caption>
      ${tableHead(['Field', 'Value', num('Confidence'), 'Notes'])}
      <tbody>
        ${entries.map(([name, f]) => {
          const low = f.confidence !== null && f.confidence < LOW_CONFIDENCE;
          const notes = [f.corrected ? 'corrected by a reviewer' : '', boxes.has(name) ? `boxed on page ${d.page}` : '']
            .filter(Boolean)
            .join('; ');
          return html`<tr${low ? html` class="low"` : ''}><th scope="row">${name}</th><td>${shown(f.value, f.sensitive || d.sensitive.has(name))}</td>${confidenceCell(
            f.confidence,
          )}<td class="muted">${notes}</td></tr>`;
        })}
      </tbody>
    </table>`;
};

const findingsSection = (d: DocumentPageData): Html => {
  const reasons = d.status.reasons;
  const findings = d.view?.record.findings ?? [];
  return html`<h2>Why</h2>
    ${
      reasons.length
        ? html`<ul>
            ${reasons.map((r) => html`<li><code>${r.code}</code> ${r.message}</li>`)}
          </ul>`
        : html`<p class="muted">No reasons recorded${d.status.outcome === 'pass' ? ': every rule passed' : ''}.</p>`
    }
    <h2>Rule findings</h2>
    ${listTable(
      findings,
      ['Rule', 'Reason code', 'Severity', 'Message', 'Fields'],
      (f) =>
        html`<tr>
          <td><code>${f.ruleId}</code></td>
          <td><code>${f.reasonCode}</code></td>
          <td>${badge(f.severity)}</td>
          <td>${f.message}</td>
          <td>${f.fields.join(', ')}</td>
        </tr>`,
      'No rule fired.',
    )}`;
};

const decidedBy = (r: DecisionRecord): Html => {
  const info = r.result?.decision;
  switch (r.kind) {
    case 'review':
      return html`review by <strong>${info?.reviewer ?? 'a reviewer'}</strong>${info?.reason ? html`: “${info.reason}”` : ''}${
          info?.correctedFields?.length ? html` <span class="muted">(corrected ${info.correctedFields.join(', ')})</span>` : ''
        }`;
    case 'replay':
      return html`replay from ${info?.replayedFrom ?? '?'} <span class="muted">${info?.replayId ?? r.batchId}</span>`;
    case 'pipeline':
      return html`pipeline, batch ${batchLink(r.batchId)}`;
  }
};

const chainSection = (d: DocumentPageData): Html => {
  const chain = d.view?.chain ?? [];
  if (chain.length === 0) return html``;
  return html`<h2>Decision chain</h2>
    <table>
      ${tableHead([num('Version'), 'Outcome', 'Decided (UTC)', 'By', 'Supersedes'])}
      <tbody>
        ${chain.map((r) => {
          const s = r.result?.decision?.supersedes;
          return html`<tr${r.version === d.view?.current.version ? html` aria-current="true"` : ''}><td class="num">${r.version}${
            r.version === d.view?.current.version ? html` <span class="muted">(current)</span>` : ''
          }</td><td>${badge(r.outcome)}</td><td>${when(r.decidedAt)}</td><td>${decidedBy(r)}</td><td>${s ? `${s.outcome} (decision ${s.version})` : '–'}</td></tr>`;
        })}
      </tbody>
    </table>`;
};

const timelineSection = (d: DocumentPageData): Html =>
  html`<h2>Audit timeline</h2>
    ${listTable(
      d.timeline,
      ['At (UTC)', 'Step', 'Event', num('Attempt'), num('ms'), 'Outcome', 'Codes', 'Note'],
      (r) =>
        html`<tr>
          <td>${when(r.at)}</td>
          <td>${r.step}</td>
          <td>${r.event}${r.errorName ? html` <code>${r.errorName}</code>` : ''}</td>
          <td class="num">${r.attempt}</td>
          <td class="num">${r.durationMs === undefined ? '' : Math.round(r.durationMs)}</td>
          <td>${r.outcome ? badge(r.outcome) : ''}</td>
          <td>${(r.reasonCodes ?? []).join(', ')}</td>
          <td>${r.note ?? ''}</td>
        </tr>`,
      'No audit records.',
      'timeline',
    )}`;

const reviewForm = (d: DocumentPageData): Html => {
  const view = d.view;
  if (!view || view.current.outcome !== 'hold') return html``;
  if (!d.canReview)
    return html`<h2>Review</h2>
      <p class="muted">This document is held for review. Deciding it needs the reviewer role.</p>`;
  const id = view.documentId;
  const draft = d.draft;
  const fields = view.fields ?? {};
  return html`<h2 id="review-title">Review</h2>
    <form class="review" method="post" action="/documents/${encodeURIComponent(id)}/review" aria-labelledby="review-title">
      ${csrfField(d.csrfToken)}
      <input type="hidden" name="version" value="${view.current.version}" />
      <fieldset>
        <legend>Decision</legend>
        <div class="actions">
          <div>
            <input
              type="radio"
              name="action"
              id="action-approve"
              value="approve"
              required
              ${draft?.action === 'approve' ? html`checked` : ''}
            />
            <label for="action-approve">Approve (move to PASS)</label>
          </div>
          <div>
            <input type="radio" name="action" id="action-reject" value="reject" ${draft?.action === 'reject' ? html`checked` : ''} />
            <label for="action-reject">Reject (move to REJECT)</label>
          </div>
        </div>
        <p class="reason">
          <label class="block" for="reason">Reason (required; one line, kept in the audit trail)</label>
          <input
            type="text"
            id="reason"
            name="reason"
            required
            maxlength="${MAX_REASON_CHARS}"
            autocomplete="off"
            value="${draft?.reason ?? ''}"
          />
        </p>
        <p class="muted">Shortcuts: <kbd>a</kbd> approve, <kbd>r</kbd> reject (each puts the cursor in the reason).</p>
      </fieldset>
      ${
        d.specs.length
          ? html`<fieldset>
              <legend>Field corrections (optional)</legend>
              <p class="muted">
                Leave a field empty to keep its value. A correction must be a valid value of the field's type; it is kept as a new field
                version and the extraction is never overwritten.
              </p>
              <table>
                ${tableHead(['Field', 'Type', 'Current', 'Correction'])}
                <tbody>
                  ${d.specs.map((s) => {
                    const f = fields[s.name];
                    const sensitive = d.sensitive.has(s.name);
                    const current = f ? (sensitive ? maskValue(f.value) : String(f.value)) : '';
                    const inputId = `correct-${s.name}`;
                    return html`<tr>
                      <th scope="row"><label for="${inputId}">${s.name}</label></th>
                      <td>${s.type}</td>
                      <td>
                        ${
                          f
                            ? html`<span${sensitive ? html` class="masked"` : ''}>${current}</span>`
                            : html`<span class="muted">not found</span>`
                        }
                      </td>
                      <td>
                        <input
                          type="text"
                          id="${inputId}"
                          name="set.${s.name}"
                          autocomplete="off"
                          value="${sensitive ? '' : (draft?.corrections[s.name] ?? '')}"
                          ${sensitive ? html` placeholder="new value (not shown again)"` : ''}
                        />
                      </td>
                    </tr>`;
                  })}
                </tbody>
              </table>
            </fieldset>`
          : ''
      }
      <button type="submit" class="primary">Record decision</button>
    </form>`;
};

export const documentPage = (d: DocumentPageData): Html => {
  const s = d.status;
  const view = d.view;
  const id = s.documentId;
  const record = view?.record;
  return html`<h1>${badge(s.outcome)} ${s.name || shortId(id)}</h1>
    ${d.notice ? html`<p class="notice" role="status">${d.notice}</p>` : ''}
    ${d.problem ? html`<p class="error" role="alert">${d.problem}</p>` : ''}
    <dl class="kv">
      <dt>Document</dt>
      <dd><code>${id}</code></dd>
      <dt>State</dt>
      <dd>${s.state}</dd>
      ${
        record?.documentClass
          ? html`<dt>Class</dt>
              <dd>
                ${record.documentClass}
                <span class="muted">(confidence ${record.confidence?.toFixed(2) ?? '–'}, classifier ${record.classifier ?? '–'})</span>
              </dd>`
          : ''
      }
      ${
        s.batchId
          ? html`<dt>Batch</dt>
              <dd>${batchLink(s.batchId)}</dd>`
          : ''
      }
      ${
        s.routedAt
          ? html`<dt>Routed (UTC)</dt>
              <dd>${when(s.routedAt)}</dd>`
          : ''
      }
      ${
        view && view.current.version > 1
          ? html`<dt>Decided (UTC)</dt>
              <dd>${when(view.current.decidedAt)}, decision ${view.current.version}</dd>`
          : ''
      }
      ${
        record?.rulesetVersion
          ? html`<dt>Versions</dt>
              <dd><span class="mono">ruleset ${record.rulesetVersion}, config ${record.configVersion}</span></dd>`
          : ''
      }
      ${
        d.size !== null
          ? html`<dt>Original</dt>
              <dd>
                <a href="/api/v1/documents/${encodeURIComponent(id)}/original">download</a> <span class="muted">(${d.size} bytes)</span>
              </dd>`
          : ''
      }
    </dl>
    <div class="doc-grid">
      <div>
        ${
          d.pageCount > 0
            ? pageViewer({
                documentId: id,
                pageCount: d.pageCount,
                page: d.page,
                layout: d.layout,
                imageUrl: `/api/v1/documents/${encodeURIComponent(id)}/pages/${d.page}?dpi=144`,
                pageHref: (p) => `/documents/${encodeURIComponent(id)}?page=${p}`,
              })
            : html`<section class="viewer">
                <h2>Pages</h2>
                <p class="muted">No page image: the document was not read.</p>
              </section>`
        }
      </div>
      <div>${reviewForm(d)} ${findingsSection(d)} ${fieldsSection(d)}</div>
    </div>
    ${chainSection(d)} ${timelineSection(d)}`;
};
