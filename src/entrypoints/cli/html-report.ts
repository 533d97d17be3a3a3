import { worstCases, type CerSummary, type EvalReport, type FieldComparison } from '../../domain/evaluation.js';
import type { FieldValue } from '../../domain/document.js';

/**
 * The extraction evaluation as one self-contained HTML page: inline CSS and SVG, no scripts, no
 * external assets, so it can be mailed or attached to a ticket and still render. Pure: data in,
 * string out. Every piece of text from a document or a file name goes through `escapeHtml`.
 */

const ESCAPES: Readonly<Record<string, string>> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c] ?? c);

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** Values are shown as JSON literals so that 9 and "9" and a trailing space stay distinguishable. */
const shown = (v: FieldValue | string | number | null): string => (v === null ? '' : JSON.stringify(v));

const valueCell = (raw: FieldValue | null, normalized: string | number | null): string => {
  if (raw === null) return '<td class="missing">nothing extracted</td>';
  const norm =
    normalized !== raw ? `<div class="norm">compared as ${escapeHtml(normalized === null ? 'no value' : shown(normalized))}</div>` : '';
  return `<td><code>${escapeHtml(shown(raw))}</code>${norm}</td>`;
};

const comparisonRow = (name: string, c: FieldComparison): string =>
  `<tr><td>${escapeHtml(name)}</td>${valueCell(c.expected, c.expectedNormalized)}${valueCell(c.extracted, c.extractedNormalized)}</tr>`;

/**
 * A horizontal bar for a share in [0, 1], coloured by band so a glance finds the weak spots. For an
 * error rate a long bar is bad, so the bands are read the other way round.
 */
const bar = (share: number, label: string, higherIsBetter = true): string => {
  const width = 200;
  const clamped = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  const filled = Math.round(clamped * width);
  const goodness = higherIsBetter ? clamped : 1 - clamped;
  const colour = goodness >= 0.9 ? '#2e7d32' : goodness >= 0.6 ? '#f9a825' : '#c62828';
  return (
    `<svg class="bar" width="${width}" height="14" viewBox="0 0 ${width} 14" role="img" aria-label="${escapeHtml(label)}">` +
    `<title>${escapeHtml(label)}</title>` +
    `<rect x="0" y="0" width="${width}" height="14" fill="#e0e0e0"/>` +
    `<rect x="0" y="0" width="${filled}" height="14" fill="${colour}"/></svg>`
  );
};

const cerText = (c: CerSummary | null): string =>
  c
    ? `${pct(c.cer)} <span class="muted">(mean per document ${pct(c.meanCer)}, ${c.documents} with a transcript)</span>`
    : '<span class="muted">no transcripts</span>';

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:2rem auto;max-width:72rem;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
h3{font-size:1rem;margin-top:1.25rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num{text-align:right;font-variant-numeric:tabular-nums}
code{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:12.5px;white-space:pre-wrap;word-break:break-word}
.muted,.norm{color:#656d76}.norm{font-size:12px}.missing{color:#c62828;font-style:italic}
.meta td:first-child{color:#656d76}svg.bar{vertical-align:middle}
`;

/** Renders the report; `limit` caps each list of worst cases. */
export const renderHtmlReport = (report: EvalReport, limit = 50): string => {
  const s = report.summary;
  const worst = worstCases(report.documents, limit);
  const parts: string[] = [];
  const meta: [string, string][] = [
    ['folder', report.dir],
    ['split', `${report.split.name} (seed ${report.split.seed}): ${report.split.selected} of ${report.split.found} labelled documents`],
    ['class filter', report.documentClass ?? 'all'],
    ['limit', report.limit === null ? 'none' : String(report.limit)],
    ['documents', `${s.documents} (${s.cached} from cache, ${s.errors} could not be extracted)`],
    ['config version', report.configVersion],
    ['generated', report.generatedAt],
  ];
  parts.push(
    '<h1>Extraction evaluation</h1>',
    `<table class="meta"><tbody>${meta.map(([k, v]) => `<tr><td>${escapeHtml(k)}</td><td>${escapeHtml(v)}</td></tr>`).join('')}</tbody></table>`,
  );

  parts.push(
    '<h2>Summary</h2>',
    '<table class="summary"><thead><tr><th>class</th><th>documents</th><th>fields compared</th><th>correct</th><th>accuracy</th><th>character error rate</th><th>not evaluated (no field spec)</th></tr></thead><tbody>',
    ...s.classes.map(
      (c) =>
        `<tr><td>${escapeHtml(c.documentClass)}</td><td class="num">${c.documents}</td><td class="num">${c.n}</td><td class="num">${c.correct}</td>` +
        `<td class="num">${pct(c.accuracy)}</td><td>${cerText(c.cer)}</td><td>${escapeHtml(c.skippedFields.join(', '))}</td></tr>`,
    ),
    `<tr><th>all</th><th class="num">${s.documents}</th><th class="num">${s.overall.n}</th><th class="num">${s.overall.correct}</th>` +
      `<th class="num">${pct(s.overall.accuracy)}</th><th>${cerText(s.cer)}</th><th></th></tr>`,
    '</tbody></table>',
  );

  parts.push(
    '<h2>Accuracy per field</h2>',
    '<p class="muted">Exact match after normalisation, over the documents that have the field in their ground truth; a field the extractor did not find counts as wrong.</p>',
    '<table class="fields"><thead><tr><th>class</th><th>field</th><th>n</th><th>correct</th><th>accuracy</th><th></th></tr></thead><tbody>',
    ...s.fields.map(
      (f) =>
        `<tr><td>${escapeHtml(f.documentClass)}</td><td>${escapeHtml(f.field)}</td><td class="num">${f.n}</td><td class="num">${f.correct}</td>` +
        `<td class="num">${pct(f.accuracy)}</td><td>${bar(f.accuracy, `${f.documentClass} ${f.field}: ${pct(f.accuracy)}`)}</td></tr>`,
    ),
    '</tbody></table>',
  );

  parts.push('<h2>Character error rate</h2>');
  parts.push(
    s.cer
      ? `<p>${cerText(s.cer)}: edit distance ${s.cer.distance} over ${s.cer.referenceChars} transcript characters, whitespace-normalised.</p>`
      : '<p class="muted">No document had a transcript (<code>&lt;name&gt;.txt</code>) beside it.</p>',
  );

  parts.push('<h2>Mismatches per field</h2>');
  if (worst.mismatches.length === 0) parts.push('<p>Every compared field matched.</p>');
  for (const g of worst.mismatches) {
    const more = g.total > g.cases.length ? ` <span class="muted">(showing ${g.cases.length} of ${g.total})</span>` : '';
    parts.push(
      `<h3>${escapeHtml(g.documentClass)} · ${escapeHtml(g.field)}: ${g.total} wrong${more}</h3>`,
      '<table class="mismatches"><thead><tr><th>document</th><th>expected</th><th>extracted</th></tr></thead><tbody>',
      ...g.cases.map((m) => comparisonRow(m.name, m.comparison)),
      '</tbody></table>',
    );
  }

  if (worst.highestCer.length > 0) {
    parts.push(
      '<h2>Highest character error rate</h2>',
      '<table class="cer"><thead><tr><th>document</th><th>class</th><th>CER</th><th>edit distance</th><th>transcript characters</th><th></th></tr></thead><tbody>',
      ...worst.highestCer.map(
        (d) =>
          `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.documentClass)}</td><td class="num">${pct(d.cer.cer)}</td>` +
          `<td class="num">${d.cer.distance}</td><td class="num">${d.cer.referenceChars}</td><td>${bar(d.cer.cer, `${d.name}: CER ${pct(d.cer.cer)}`, false)}</td></tr>`,
      ),
      '</tbody></table>',
    );
  }

  const failed = report.documents.filter((d) => d.error !== null);
  if (failed.length > 0) {
    parts.push(
      '<h2>Documents that could not be extracted</h2>',
      '<table class="errors"><thead><tr><th>document</th><th>class</th><th>error</th></tr></thead><tbody>',
      ...failed.map(
        (d) => `<tr><td>${escapeHtml(d.name)}</td><td>${escapeHtml(d.documentClass)}</td><td>${escapeHtml(d.error ?? '')}</td></tr>`,
      ),
      '</tbody></table>',
    );
  }

  return htmlPage(`docroute extraction evaluation: ${report.dir}`, CSS, parts);
};

/** A self-contained HTML page: the title is escaped here; `parts` are HTML already. */
export const htmlPage = (title: string, css: string, parts: readonly string[]): string =>
  [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(title)}</title>`,
    `<style>${css}</style>`,
    '</head>',
    '<body>',
    ...parts,
    '</body>',
    '</html>',
    '',
  ].join('\n');
