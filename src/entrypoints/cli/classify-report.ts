import type { CalibrationBin, ClassificationMetrics, Prediction, ThresholdSuggestion } from '../../domain/classification-metrics.js';
import { rel, table } from './format.js';
import { escapeHtml, htmlPage } from './html-report.js';

/**
 * The classification evaluation, for the terminal and as one self-contained HTML page (inline CSS
 * and SVG, no scripts, no external assets). Pure: data in, string out. Only file names, class
 * names and error names appear, never document text; every one of them goes through `escapeHtml`.
 */

export interface ClassifierRun {
  /** e.g. `rules`, `local`, `bedrock`, `paperless-reference`. */
  readonly classifier: string;
  readonly model?: string;
  readonly metrics: ClassificationMetrics;
  readonly predictions: readonly Prediction[];
  /** Documents the classifier failed on: the file name and the error's name and reason, never text. */
  readonly errors: readonly { name: string; error: string }[];
  readonly seconds: { readonly train?: number; readonly classify: number };
  /** Metered classifiers only. `usdPer1000` is null when the config has no price for the model. */
  readonly cost?: {
    readonly inputTokens: number;
    readonly outputTokens: number;
    readonly documents: number;
    readonly usdPer1000: number | null;
  };
  readonly thresholds?: readonly ThresholdSuggestion[];
}

export interface ClassifyEvalReport {
  /** The evaluated folder as the user gave it. */
  readonly dir: string;
  readonly documents: number;
  /** The labelled classes. */
  readonly classes: readonly string[];
  readonly protocol:
    | { readonly kind: 'cv'; readonly folds: number; readonly seed: number }
    | { readonly kind: 'split'; readonly train: number; readonly test: number; readonly seed: number }
    | { readonly kind: 'all' };
  /** ISO-8601. */
  readonly generatedAt: string;
  readonly configVersion: string;
  readonly runs: readonly ClassifierRun[];
}

// ---------------------------------------------------------------------------------------------
// Shared

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

const runName = (run: ClassifierRun): string => (run.model ? `${run.classifier} (${run.model})` : run.classifier);

const protocolText = (p: ClassifyEvalReport['protocol']): string => {
  switch (p.kind) {
    case 'cv':
      return `${p.folds}-fold cross-validation (seed ${p.seed}): every document scored by a model that did not train on it`;
    case 'split':
      return `train on ${p.train}, score ${p.test} held-out documents (seed ${p.seed})`;
    case 'all':
      return 'every document scored, no held-out split (fair only for classifiers that do not train on these documents)';
  }
};

/** Documents the classifier was asked about: the ones it answered and the ones it failed on. */
const attempted = (run: ClassifierRun): number => run.predictions.length + run.errors.length;

const secondsPerDoc = (run: ClassifierRun): string => {
  const n = attempted(run);
  return n === 0 ? '—' : (run.seconds.classify / n).toFixed(3);
};

const costPer1000 = (run: ClassifierRun): string => {
  if (!run.cost) return '—';
  return run.cost.usdPer1000 === null ? 'no price' : `$${run.cost.usdPer1000.toFixed(2)}`;
};

/** Six significant digits: close enough to paste into `classify.thresholds`, without float noise. */
const confidence = (c: number): string => String(Number(c.toPrecision(6)));

/** The run with the highest macro-F1; the first of equals. */
const bestRun = (runs: readonly ClassifierRun[]): ClassifierRun | undefined =>
  runs.reduce<ClassifierRun | undefined>(
    (best, r) => (best === undefined || r.metrics.macroF1 > best.metrics.macroF1 ? r : best),
    undefined,
  );

/** The labelled classes in report order, then any label only a classifier used (e.g. `unclassified`). */
const allLabels = (report: ClassifyEvalReport): string[] => {
  const labels = [...report.classes];
  for (const run of report.runs) for (const l of run.metrics.labels) if (!labels.includes(l)) labels.push(l);
  return labels;
};

/** Support can differ between runs when a classifier failed on some documents: show the largest. */
const supportOf = (report: ClassifyEvalReport, label: string): number =>
  Math.max(0, ...report.runs.map((r) => r.metrics.perClass.find((c) => c.documentClass === label)?.support ?? 0));

/**
 * The shortest prefix (at least three characters) that no other label starts with, or the whole
 * label when there is none: `invoice`, `receipt`, `unclassified` → `inv`, `rec`, `unc`.
 */
export const abbreviations = (labels: readonly string[]): string[] =>
  labels.map((label) => {
    const others = labels.filter((l) => l !== label);
    for (let n = 3; n < label.length; n++) {
      const prefix = label.slice(0, n);
      if (!others.some((o) => o.startsWith(prefix))) return prefix;
    }
    return label;
  });

// ---------------------------------------------------------------------------------------------
// Terminal

/** `table` pads on the right; numbers read best right-aligned, so pad those columns on the left first. */
const alignRight = (rows: string[][], header: readonly string[], columns: readonly number[]): void => {
  for (const col of columns) {
    const width = Math.max(...[header, ...rows].map((r) => (r[col] ?? '').length));
    for (const r of rows) r[col] = (r[col] ?? '').padStart(width);
  }
};

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from) }, (_, i) => from + i);

const MAX_ERRORS_LISTED = 20;

/** The terminal summary: classifiers side by side, per-class scores, the best run's confusion, thresholds. */
export const formatClassifyReport = (report: ClassifyEvalReport, reportFile: string | null): string => {
  const lines: string[] = [];
  lines.push(`Classification eval of ${report.dir}`);
  lines.push(`  ${report.documents} documents, ${report.classes.length} classes: ${report.classes.join(', ')}`);
  lines.push(`  ${protocolText(report.protocol)}`);
  if (report.runs.length === 0) {
    lines.push('', 'No classifier was evaluated.');
    if (reportFile) lines.push(`Report: ${rel(reportFile)}`);
    return lines.join('\n');
  }

  const withTraining = report.runs.some((r) => r.seconds.train !== undefined);
  const summaryHeader = [
    'classifier',
    'accuracy',
    'macro-F1',
    'ECE',
    'errors',
    ...(withTraining ? ['train s'] : []),
    's/doc',
    'cost / 1,000 docs',
  ];
  const summaryRows = report.runs.map((r) => [
    runName(r),
    pct(r.metrics.accuracy),
    pct(r.metrics.macroF1),
    pct(r.metrics.ece),
    String(r.errors.length),
    ...(withTraining ? [r.seconds.train === undefined ? '—' : r.seconds.train.toFixed(1)] : []),
    secondsPerDoc(r),
    costPer1000(r),
  ]);
  alignRight(summaryRows, summaryHeader, range(1, summaryHeader.length));
  lines.push('', table(summaryRows, summaryHeader));
  lines.push('  accuracy and F1 over the documents each classifier answered; ECE: expected calibration error of its confidences');

  // Per class: precision, recall and F1 of every run side by side.
  const labels = allLabels(report);
  const perClassHeader = ['class', 'n', ...report.runs.flatMap((r) => [`${r.classifier} P`, 'R', 'F1'])];
  const perClassRows = labels.map((label) => {
    const support = supportOf(report, label);
    return [
      label,
      String(support),
      ...report.runs.flatMap((r) => {
        const c = r.metrics.perClass.find((x) => x.documentClass === label);
        if (!c) return ['—', '—', '—'];
        // Recall and F1 mean nothing for a label no document has; it is not in the macro average either.
        return [pct(c.precision), c.support === 0 ? '—' : pct(c.recall), c.support === 0 ? '—' : pct(c.f1)];
      }),
    ];
  });
  perClassRows.push(['macro-F1', '', ...report.runs.flatMap((r) => ['', '', pct(r.metrics.macroF1)])]);
  perClassRows.push(['weighted-F1', '', ...report.runs.flatMap((r) => ['', '', pct(r.metrics.weightedF1)])]);
  alignRight(perClassRows, perClassHeader, range(1, perClassHeader.length));
  lines.push('', table(perClassRows, perClassHeader));

  const best = bestRun(report.runs);
  if (best && best.metrics.labels.length > 0) {
    const m = best.metrics;
    const short = abbreviations(m.labels);
    const header = ['truth \\ predicted', ...short, 'n'];
    const rows = m.labels.map((label, t) => {
      const row = m.confusion[t] ?? [];
      // Zeros as dots, so the few confusions stand out.
      return [label, ...row.map((n) => (n === 0 ? '.' : String(n))), String(row.reduce((s, n) => s + n, 0))];
    });
    alignRight(rows, header, range(1, header.length));
    lines.push('', `Confusion matrix of ${runName(best)} (best macro-F1), rows = truth, columns = predicted:`, table(rows, header));
    const key = m.labels.map((l, i) => [short[i] ?? l, l] as const).filter(([s, l]) => s !== l);
    if (key.length) lines.push(`  ${key.map(([s, l]) => `${s} = ${l}`).join(', ')}`);
  }

  for (const run of report.runs) {
    if (!run.thresholds) continue;
    lines.push('');
    if (run.thresholds.length === 0) {
      lines.push(`Suggested thresholds for ${runName(run)}: none (no class has enough predictions that reach the target precision)`);
      continue;
    }
    const header = ['class', 'threshold', 'precision', 'coverage', 'predictions'];
    const rows = run.thresholds.map((t) => [
      t.documentClass,
      confidence(t.threshold),
      pct(t.precision),
      pct(t.coverage),
      String(t.support),
    ]);
    alignRight(rows, header, [1, 2, 3, 4]);
    lines.push(`Suggested thresholds for ${runName(run)} (pass when confidence ≥ threshold):`, table(rows, header));
    const predicted = [...new Set(run.predictions.map((p) => p.predicted))];
    const missing = predicted.filter((c) => !run.thresholds?.some((t) => t.documentClass === c)).sort();
    if (missing.length) lines.push(`  no suggestion (too few predictions, or the target is never reached): ${missing.join(', ')}`);
  }

  for (const run of report.runs) {
    if (run.cost) {
      const c = run.cost;
      const per = (n: number): string => (c.documents === 0 ? '—' : (n / c.documents).toFixed(0));
      lines.push(
        '',
        `Tokens for ${runName(run)}: ${c.inputTokens} in + ${c.outputTokens} out over ${c.documents} documents ` +
          `(${per(c.inputTokens)} + ${per(c.outputTokens)} per document)${c.usdPer1000 === null ? '; no price in the config' : ''}`,
      );
    }
  }

  for (const run of report.runs) {
    if (run.errors.length === 0) continue;
    lines.push('', `${runName(run)} could not classify (${run.errors.length}):`);
    for (const e of run.errors.slice(0, MAX_ERRORS_LISTED)) lines.push(`  ${e.name}: ${e.error}`);
    if (run.errors.length > MAX_ERRORS_LISTED) lines.push(`  … and ${run.errors.length - MAX_ERRORS_LISTED} more (see the HTML report)`);
  }

  if (reportFile) lines.push('', `Report: ${rel(reportFile)}`);
  return lines.join('\n');
};

// ---------------------------------------------------------------------------------------------
// SVG

/** Coordinates rounded to a tenth of a pixel: smaller files, no visible difference. */
const n1 = (x: number): string => String(Math.round(x * 10) / 10);

const LIGHT: readonly [number, number, number] = [0xf7, 0xfb, 0xff];
const DARK: readonly [number, number, number] = [0x08, 0x30, 0x6b];

/** A share in [0, 1] on a white-to-dark-blue scale. */
export const heatColour = (share: number): string => {
  const s = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0));
  return `#${LIGHT.map((l, i) =>
    Math.round(l + ((DARK[i] ?? l) - l) * s)
      .toString(16)
      .padStart(2, '0'),
  ).join('')}`;
};

const NO_DOCUMENTS = '#eaeef2';

/** Roughly how wide a label is at 11 px: good enough to size the margins. */
const textWidth = (text: string): number => text.length * 6.5;

const MAX_LABEL = 24;
const clip = (label: string): string => (label.length > MAX_LABEL ? `${label.slice(0, MAX_LABEL - 1)}…` : label);

/**
 * The confusion matrix as a heat map: each cell coloured by its share of the truth row (so a small
 * class's mistakes are as visible as a large one's), its count written in it, the diagonal outlined.
 * A label only predicted (e.g. `unclassified`) has an empty row, drawn grey.
 */
export const confusionSvg = (metrics: ClassificationMetrics, title: string): string => {
  const labels = metrics.labels;
  const k = labels.length;
  const cell = k > 16 ? 24 : 36;
  const longest = Math.max(0, ...labels.map((l) => textWidth(clip(l))));
  const left = 30 + longest + 8;
  const top = 24 + longest * Math.SQRT1_2 + 12;
  const grid = cell * k;
  const right = Math.max(60, longest * Math.SQRT1_2);
  const legendTop = top + grid + 22;
  // Room for the legend's text even when the matrix is small.
  const width = Math.max(left + grid + right, left + 300);
  const grey = metrics.perClass.some((c) => c.support === 0);
  const height = legendTop + (grey ? 54 : 40);

  const out: string[] = [];
  out.push(
    `<svg class="heatmap" xmlns="http://www.w3.org/2000/svg" width="${n1(width)}" height="${n1(height)}" viewBox="0 0 ${n1(width)} ${n1(height)}" role="img" aria-label="${escapeHtml(title)}">`,
    `<title>${escapeHtml(title)}</title>`,
    `<text class="axis" x="${n1(left + grid / 2)}" y="14" text-anchor="middle">predicted</text>`,
    `<text class="axis" x="12" y="${n1(top + grid / 2)}" text-anchor="middle" transform="rotate(-90 12 ${n1(top + grid / 2)})">truth</text>`,
  );
  labels.forEach((label, i) => {
    const cx = left + i * cell + cell / 2;
    const cy = top + i * cell + cell / 2;
    out.push(
      `<text class="label" x="${n1(cx)}" y="${n1(top - 6)}" transform="rotate(-45 ${n1(cx)} ${n1(top - 6)})"><title>${escapeHtml(label)}</title>${escapeHtml(clip(label))}</text>`,
      `<text class="label" x="${n1(left - 8)}" y="${n1(cy)}" text-anchor="end" dominant-baseline="middle"><title>${escapeHtml(label)}</title>${escapeHtml(clip(label))}</text>`,
    );
  });
  labels.forEach((truth, t) => {
    const row = metrics.confusion[t] ?? [];
    const total = row.reduce((s, n) => s + n, 0);
    labels.forEach((predicted, p) => {
      const count = row[p] ?? 0;
      const share = total === 0 ? 0 : count / total;
      const x = left + p * cell;
      const y = top + t * cell;
      const fill = total === 0 ? NO_DOCUMENTS : heatColour(share);
      const diagonal = t === p ? ' stroke="#1f2328" stroke-width="2"' : ' stroke="#ffffff" stroke-width="1"';
      const tip = `truth ${truth}, predicted ${predicted}: ${count}${total === 0 ? '' : ` (${pct(share)} of ${truth})`}`;
      out.push(
        `<rect class="cell${t === p ? ' diagonal' : ''}" x="${n1(x)}" y="${n1(y)}" width="${cell}" height="${cell}" fill="${fill}"${diagonal}><title>${escapeHtml(tip)}</title></rect>`,
        `<text class="count" x="${n1(x + cell / 2)}" y="${n1(y + cell / 2)}" text-anchor="middle" dominant-baseline="central" fill="${
          count === 0 ? '#8c959f' : share > 0.5 ? '#ffffff' : '#1f2328'
        }">${count}</text>`,
      );
    });
    out.push(
      `<text class="total" x="${n1(left + grid + 6)}" y="${n1(top + t * cell + cell / 2)}" dominant-baseline="central">${total}</text>`,
    );
  });
  out.push(`<text class="total" x="${n1(left + grid + 6)}" y="${n1(top - 6)}">n</text>`);

  // Legend: the colour scale, and what the outline and grey mean.
  // Eleven steps rather than a gradient: no ids to keep unique across the page's several maps.
  const steps = 11;
  const step = 12;
  const legendWidth = steps * step;
  out.push(
    ...range(0, steps).map(
      (i) =>
        `<rect class="legend" x="${n1(left + i * step)}" y="${n1(legendTop)}" width="${step}" height="10" fill="${heatColour(i / (steps - 1))}"/>`,
    ),
    `<text class="tick" x="${n1(left + legendWidth + 8)}" y="${n1(legendTop + 9)}">share of the truth row</text>`,
    `<text class="tick" x="${n1(left)}" y="${n1(legendTop + 22)}" text-anchor="start">0%</text>`,
    `<text class="tick" x="${n1(left + legendWidth)}" y="${n1(legendTop + 22)}" text-anchor="end">100%</text>`,
    `<text class="tick" x="${n1(left)}" y="${n1(legendTop + 36)}">outlined: correct (diagonal)</text>`,
    grey ? `<text class="tick" x="${n1(left)}" y="${n1(legendTop + 50)}">grey: no document has this label</text>` : '',
    '</svg>',
  );
  return out.join('');
};

/**
 * The reliability diagram: per confidence bin, a bar of the accuracy against the diagonal of perfect
 * calibration, with the gap to the bin's mean confidence shaded. Empty bins have no bar.
 */
export const reliabilitySvg = (bins: readonly CalibrationBin[], ece: number, title: string): string => {
  const size = 240;
  const left = 44;
  // Room above the plot for the heading and the documents per bin.
  const top = 44;
  const bottom = 40;
  const width = left + size + 16;
  const height = top + size + bottom;
  const x = (v: number): number => left + v * size;
  const y = (v: number): number => top + (1 - v) * size;
  const heading = `${title}: ECE ${pct(ece)}`;

  const out: string[] = [];
  out.push(
    `<svg class="reliability" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height + 18}" viewBox="0 0 ${width} ${height + 18}" role="img" aria-label="${escapeHtml(heading)}">`,
    `<title>${escapeHtml(heading)}</title>`,
    `<text class="heading" x="${left}" y="16">${escapeHtml(heading)}</text>`,
    `<rect class="plot" x="${left}" y="${top}" width="${size}" height="${size}" fill="#ffffff" stroke="#d0d7de"/>`,
  );
  for (const v of [0, 0.2, 0.4, 0.6, 0.8, 1]) {
    out.push(
      `<line x1="${left}" x2="${left + size}" y1="${n1(y(v))}" y2="${n1(y(v))}" stroke="#eaeef2"/>`,
      `<text class="tick" x="${left - 4}" y="${n1(y(v))}" text-anchor="end" dominant-baseline="middle">${Math.round(v * 100)}%</text>`,
      `<text class="tick" x="${n1(x(v))}" y="${top + size + 14}" text-anchor="middle">${v.toFixed(1)}</text>`,
    );
  }
  if (bins.some((b) => b.count > 0)) out.push(`<text class="n" x="${left - 4}" y="${top - 5}" text-anchor="end">n</text>`);
  for (const b of bins) {
    if (b.count === 0) continue;
    const bx = x(b.lower) + 1;
    const bw = Math.max(1, (b.upper - b.lower) * size - 2);
    const tip = `confidence ${b.lower.toFixed(2)}–${b.upper.toFixed(2)}: ${b.count} documents, accuracy ${pct(b.accuracy)}, mean confidence ${pct(b.meanConfidence)}`;
    out.push(
      `<rect class="bin" x="${n1(bx)}" y="${n1(y(b.accuracy))}" width="${n1(bw)}" height="${n1(b.accuracy * size)}" fill="#0969da" fill-opacity="0.8"><title>${escapeHtml(tip)}</title></rect>`,
    );
    const lo = Math.min(b.accuracy, b.meanConfidence);
    const hi = Math.max(b.accuracy, b.meanConfidence);
    if (hi - lo > 0) {
      out.push(
        `<rect class="gap" x="${n1(bx)}" y="${n1(y(hi))}" width="${n1(bw)}" height="${n1((hi - lo) * size)}" fill="#cf222e" fill-opacity="0.25" stroke="#cf222e" stroke-opacity="0.6"/>`,
      );
    }
    out.push(`<text class="n" x="${n1(bx + bw / 2)}" y="${top - 5}" text-anchor="middle">${b.count}</text>`);
  }
  out.push(
    `<line class="ideal" x1="${x(0)}" y1="${y(0)}" x2="${x(1)}" y2="${y(1)}" stroke="#1f2328" stroke-dasharray="4 3"/>`,
    `<text class="axis" x="${n1(x(0.5))}" y="${top + size + 30}" text-anchor="middle">confidence</text>`,
    `<text class="axis" x="10" y="${n1(y(0.5))}" text-anchor="middle" transform="rotate(-90 10 ${n1(y(0.5))})">accuracy</text>`,
    // Legend below the axis title.
    `<rect x="${left}" y="${height + 4}" width="10" height="10" fill="#0969da" fill-opacity="0.8"/>`,
    `<text class="tick" x="${left + 14}" y="${height + 13}">accuracy</text>`,
    `<rect x="${left + 72}" y="${height + 4}" width="10" height="10" fill="#cf222e" fill-opacity="0.25" stroke="#cf222e"/>`,
    `<text class="tick" x="${left + 86}" y="${height + 13}">gap to confidence</text>`,
    `<line x1="${left + 186}" x2="${left + 200}" y1="${height + 9}" y2="${height + 9}" stroke="#1f2328" stroke-dasharray="4 3"/>`,
    `<text class="tick" x="${left + 204}" y="${height + 13}">ideal</text>`,
    '</svg>',
  );
  return out.join('');
};

// ---------------------------------------------------------------------------------------------
// HTML

const CSS = `
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1f2328;margin:2rem auto;max-width:76rem;padding:0 1rem}
h1{font-size:1.5rem;margin-bottom:.25rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #d0d7de;padding-bottom:.25rem}
h3{font-size:1rem;margin-top:1.25rem}
table{border-collapse:collapse;margin:.5rem 0}th,td{border:1px solid #d0d7de;padding:.25rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}td.num,th.num{text-align:right;font-variant-numeric:tabular-nums}td.best{font-weight:600}
.muted{color:#656d76}.meta td:first-child{color:#656d76}
.charts{display:flex;flex-wrap:wrap;gap:2rem;align-items:flex-start}
svg text{font:11px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
svg text.count{font-size:12px;font-variant-numeric:tabular-nums}svg text.tick,svg text.n,svg text.total{fill:#656d76;font-size:10px}
svg text.axis,svg text.heading{font-weight:600}
`;

const td = (text: string, cls?: string): string => `<td${cls ? ` class="${cls}"` : ''}>${escapeHtml(text)}</td>`;

const summaryTable = (report: ClassifyEvalReport): string => {
  const best = bestRun(report.runs);
  const withTraining = report.runs.some((r) => r.seconds.train !== undefined);
  const rows = report.runs.map(
    (r) =>
      `<tr>${td(runName(r), r === best ? 'best' : undefined)}${td(String(r.metrics.count), 'num')}${td(pct(r.metrics.accuracy), 'num')}` +
      `${td(pct(r.metrics.macroF1), 'num')}${td(pct(r.metrics.weightedF1), 'num')}${td(pct(r.metrics.ece), 'num')}${td(String(r.errors.length), 'num')}` +
      (withTraining ? td(r.seconds.train === undefined ? '—' : `${r.seconds.train.toFixed(1)} s`, 'num') : '') +
      `${td(secondsPerDoc(r), 'num')}${td(costPer1000(r), 'num')}</tr>`,
  );
  return (
    '<table class="summary"><thead><tr><th>classifier</th><th>answered</th><th>accuracy</th><th>macro-F1</th><th>weighted-F1</th><th>ECE</th><th>errors</th>' +
    `${withTraining ? '<th>training</th>' : ''}<th>s / document</th><th>cost / 1,000 documents</th></tr></thead><tbody>${rows.join('')}</tbody></table>`
  );
};

const perClassTable = (report: ClassifyEvalReport): string => {
  const head =
    '<tr><th rowspan="2">class</th><th rowspan="2">n</th>' +
    report.runs.map((r) => `<th colspan="3">${escapeHtml(runName(r))}</th>`).join('') +
    '</tr><tr>' +
    report.runs.map(() => '<th>precision</th><th>recall</th><th>F1</th>').join('') +
    '</tr>';
  const rows = allLabels(report).map(
    (label) =>
      `<tr>${td(label)}${td(String(supportOf(report, label)), 'num')}` +
      report.runs
        .map((r) => {
          const c = r.metrics.perClass.find((x) => x.documentClass === label);
          if (!c) return `${td('—', 'num')}${td('—', 'num')}${td('—', 'num')}`;
          return `${td(pct(c.precision), 'num')}${td(c.support === 0 ? '—' : pct(c.recall), 'num')}${td(c.support === 0 ? '—' : pct(c.f1), 'num')}`;
        })
        .join('') +
      '</tr>',
  );
  const foot = (name: string, pick: (m: ClassificationMetrics) => number): string =>
    `<tr><th>${name}</th><th></th>${report.runs.map((r) => `<th></th><th></th><th class="num">${pct(pick(r.metrics))}</th>`).join('')}</tr>`;
  return `<table class="per-class"><thead>${head}</thead><tbody>${rows.join('')}${foot('macro-F1', (m) => m.macroF1)}${foot('weighted-F1', (m) => m.weightedF1)}</tbody></table>`;
};

const runSection = (run: ClassifierRun): string => {
  const name = runName(run);
  const parts: string[] = [`<h2>${escapeHtml(name)}</h2>`];
  parts.push(
    `<p>${run.metrics.count} documents answered, accuracy ${pct(run.metrics.accuracy)}, macro-F1 ${pct(run.metrics.macroF1)}, ` +
      `ECE ${pct(run.metrics.ece)}${run.errors.length ? `, ${run.errors.length} failed` : ''}.</p>`,
  );
  parts.push(
    '<div class="charts">',
    confusionSvg(run.metrics, `${name}: confusion matrix`),
    reliabilitySvg(run.metrics.bins, run.metrics.ece, `${name}: reliability`),
    '</div>',
  );
  if (run.cost) {
    const c = run.cost;
    parts.push(
      `<p class="muted">Tokens: ${c.inputTokens} in, ${c.outputTokens} out over ${c.documents} documents; ` +
        `${c.usdPer1000 === null ? 'no price for this model in the config' : `$${c.usdPer1000.toFixed(2)} per 1,000 documents`}.</p>`,
    );
  }
  if (run.thresholds) {
    parts.push('<h3>Suggested confidence thresholds</h3>');
    parts.push(
      run.thresholds.length === 0
        ? '<p class="muted">None: no class has enough predictions that reach the target precision.</p>'
        : '<p class="muted">Per predicted class, the lowest threshold at which the documents passed (confidence ≥ threshold) reach the target precision; coverage is the share of that class\'s predictions passed.</p>' +
            '<table class="thresholds"><thead><tr><th>class</th><th>threshold</th><th>precision</th><th>coverage</th><th>predictions</th></tr></thead><tbody>' +
            run.thresholds
              .map(
                (t) =>
                  `<tr>${td(t.documentClass)}${td(confidence(t.threshold), 'num')}${td(pct(t.precision), 'num')}${td(pct(t.coverage), 'num')}${td(String(t.support), 'num')}</tr>`,
              )
              .join('') +
            '</tbody></table>',
    );
  }
  const wrong = run.predictions.filter((p) => p.predicted !== p.truth);
  if (wrong.length) {
    parts.push(
      `<h3>Misclassified (${wrong.length})</h3>`,
      '<table class="misclassified"><thead><tr><th>document</th><th>truth</th><th>predicted</th><th>confidence</th></tr></thead><tbody>',
      ...[...wrong]
        .sort((a, b) => b.confidence - a.confidence || a.name.localeCompare(b.name))
        .map((p) => `<tr>${td(p.name)}${td(p.truth)}${td(p.predicted)}${td(p.confidence.toFixed(3), 'num')}</tr>`),
      '</tbody></table>',
    );
  }
  if (run.errors.length) {
    parts.push(
      `<h3>Could not classify (${run.errors.length})</h3>`,
      '<table class="errors"><thead><tr><th>document</th><th>error</th></tr></thead><tbody>',
      ...run.errors.map((e) => `<tr>${td(e.name)}${td(e.error)}</tr>`),
      '</tbody></table>',
    );
  }
  return parts.join('\n');
};

/** Renders the report: meta, summary, per-class scores, then per classifier its heat map, reliability diagram and cases. */
export const renderClassifyHtml = (report: ClassifyEvalReport): string => {
  const meta: [string, string][] = [
    ['folder', report.dir],
    ['documents', String(report.documents)],
    ['classes', report.classes.join(', ')],
    ['protocol', protocolText(report.protocol)],
    ['config version', report.configVersion],
    ['generated', report.generatedAt],
  ];
  const parts: string[] = [
    '<h1>Classification evaluation</h1>',
    `<table class="meta"><tbody>${meta.map(([k, v]) => `<tr>${td(k)}${td(v)}</tr>`).join('')}</tbody></table>`,
  ];
  if (report.runs.length === 0) parts.push('<p>No classifier was evaluated.</p>');
  else {
    parts.push(
      '<h2>Summary</h2>',
      summaryTable(report),
      '<p class="muted">Accuracy and F1 over the documents each classifier answered. Macro-F1 averages the labelled classes equally; ' +
        `ECE (expected calibration error) is the document-weighted gap between confidence and accuracy over ${report.runs[0]?.metrics.bins.length ?? 0} equal-width confidence bins.</p>`,
      '<h2>Per class</h2>',
      perClassTable(report),
      ...report.runs.map(runSection),
    );
  }
  return htmlPage(`docroute classification evaluation: ${report.dir}`, CSS, parts);
};
