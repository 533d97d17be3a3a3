import { describe, expect, it } from 'vitest';
import { classificationMetrics, suggestThresholds, type Prediction } from '../../../src/domain/classification-metrics.js';
import {
  abbreviations,
  formatClassifyReport,
  heatColour,
  renderClassifyHtml,
  type ClassifierRun,
  type ClassifyEvalReport,
} from '../../../src/entrypoints/cli/classify-report.js';
import { escapeHtml } from '../../../src/entrypoints/cli/html-report.js';

const HOSTILE_CLASS = '<script>alert(1)</script>';
const HOSTILE_NAME = `<b onmouseover="x">&'.pdf`;

const pred = (name: string, truth: string, predicted: string, confidence: number): Prediction => ({ name, truth, predicted, confidence });

// rules: invoice 3/4 right (one goes to unclassified), receipt 2/2, hostile 1/2.
const rulesPredictions: Prediction[] = [
  pred('i1.pdf', 'invoice', 'invoice', 0.9),
  pred('i2.pdf', 'invoice', 'invoice', 0.9),
  pred('i3.pdf', 'invoice', 'invoice', 0.8),
  pred('i4.pdf', 'invoice', 'unclassified', 0.1),
  pred('r1.jpg', 'receipt', 'receipt', 0.7),
  pred('r2.jpg', 'receipt', 'receipt', 0.7),
  pred(HOSTILE_NAME, HOSTILE_CLASS, 'receipt', 0.6),
  pred('h2.pdf', HOSTILE_CLASS, HOSTILE_CLASS, 0.6),
];

// local: everything right, confident.
const localPredictions: Prediction[] = rulesPredictions.map((p) => ({ ...p, predicted: p.truth, confidence: 0.97 }));

const rules: ClassifierRun = {
  classifier: 'rules',
  metrics: classificationMetrics(rulesPredictions),
  predictions: rulesPredictions,
  errors: [{ name: 'broken.pdf', error: 'CorruptDocumentError (CORRUPT_PDF)' }],
  seconds: { classify: 0.9 },
};

const local: ClassifierRun = {
  classifier: 'local',
  model: 'mlp-v1',
  metrics: classificationMetrics(localPredictions),
  predictions: localPredictions,
  errors: [],
  seconds: { train: 12.34, classify: 4 },
  thresholds: suggestThresholds(localPredictions, { minSupport: 2 }),
};

const bedrock: ClassifierRun = {
  classifier: 'bedrock',
  model: 'claude-haiku',
  metrics: classificationMetrics(rulesPredictions),
  predictions: rulesPredictions,
  errors: [],
  seconds: { classify: 16 },
  cost: { inputTokens: 8000, outputTokens: 400, documents: 8, usdPer1000: 1.5 },
};

const report: ClassifyEvalReport = {
  dir: 'datasets/<mixed>',
  documents: 9,
  classes: [HOSTILE_CLASS, 'invoice', 'receipt'],
  protocol: { kind: 'cv', folds: 5, seed: 7 },
  generatedAt: '2026-11-28T12:00:00.000Z',
  configVersion: 'cfg123',
  runs: [rules, local, bedrock],
};

describe('abbreviations', () => {
  it('uses the shortest unique prefix of at least three characters', () => {
    expect(abbreviations(['invoice', 'receipt', 'unclassified'])).toEqual(['inv', 'rec', 'unc']);
    expect(abbreviations(['inv', 'invoice', 'invite'])).toEqual(['inv', 'invo', 'invi']);
    expect(abbreviations(['ab', 'tax_form_a', 'tax_form_b'])).toEqual(['ab', 'tax_form_a', 'tax_form_b']);
  });
});

describe('formatClassifyReport', () => {
  const text = formatClassifyReport(report, null);
  const lines = text.split('\n');
  const line = (start: string): string => lines.find((l) => l.startsWith(start)) ?? '';

  it('names the folder, the classes and the protocol', () => {
    expect(text).toContain('Classification eval of datasets/<mixed>');
    expect(text).toContain('9 documents, 3 classes');
    expect(text).toContain('5-fold cross-validation (seed 7)');
  });

  it('puts the classifiers side by side with accuracy, macro-F1, ECE, errors, time and cost', () => {
    expect(line('classifier')).toMatch(/classifier\s+accuracy\s+macro-F1\s+ECE\s+errors\s+train s\s+s\/doc\s+cost \/ 1,000 docs/);
    // rules: 6 of 8 right; 0.9 s over 8 answered + 1 failed.
    expect(line('rules ')).toMatch(/^rules\s+75\.0%\s+\d+\.\d%\s+\d+\.\d%\s+1\s+—\s+0\.100\s+—$/);
    expect(line('local (mlp-v1)')).toMatch(/100\.0%\s+100\.0%\s+3\.0%\s+0\s+12\.3\s+0\.500\s+—$/);
    expect(line('bedrock (claude-haiku)')).toMatch(/75\.0%.*\$1\.50$/);
    expect(text).toContain('Tokens for bedrock (claude-haiku): 8000 in + 400 out over 8 documents (1000 + 50 per document)');
  });

  it('has one per-class table with P/R/F1 per classifier and the predicted-only label last', () => {
    expect(line('class ')).toMatch(/class\s+n\s+rules P\s+R\s+F1\s+local P\s+R\s+F1\s+bedrock P\s+R\s+F1/);
    // invoice (rules): P 3/3, R 3/4, F1 6/7.
    expect(line('invoice ')).toMatch(/^invoice\s+4\s+100\.0%\s+75\.0%\s+85\.7%\s+100\.0%\s+100\.0%\s+100\.0%/);
    // receipt (rules): P 2/3, R 1, F1 0.8.
    expect(line('receipt ')).toMatch(/^receipt\s+2\s+66\.7%\s+100\.0%\s+80\.0%/);
    // unclassified: no support, so no recall or F1; local never used it.
    expect(line('unclassified ')).toMatch(/^unclassified\s+0\s+0\.0%\s+—\s+—\s+—\s+—\s+—\s+0\.0%\s+—\s+—$/);
    const order = ['<script>', 'invoice ', 'receipt ', 'unclassified '].map((s) => lines.findIndex((l) => l.startsWith(s)));
    expect(order).toEqual([...order].sort((a, b) => a - b));
    expect(line('macro-F1')).toContain('100.0%');
  });

  it("shows the best run's confusion matrix with abbreviated column heads", () => {
    expect(text).toContain('Confusion matrix of local (mlp-v1) (best macro-F1)');
    expect(line('truth \\ predicted')).toMatch(/truth \\ predicted\s+<sc\s+inv\s+rec\s+n$/);
    expect(line('invoice ')).toBeTruthy();
    expect(lines.some((l) => /^invoice\s+\.\s+4\s+\.\s+4$/.test(l))).toBe(true);
    expect(text).toContain('<sc = <script>alert(1)</script>, inv = invoice, rec = receipt');
  });

  it('lists suggested thresholds and the failures, and the report file', () => {
    expect(text).toContain('Suggested thresholds for local (mlp-v1) (pass when confidence ≥ threshold):');
    expect(lines.some((l) => /^invoice\s+0\.97\s+100\.0%\s+100\.0%\s+4$/.test(l))).toBe(true);
    expect(text).toContain('rules could not classify (1):\n  broken.pdf: CorruptDocumentError (CORRUPT_PDF)');
    expect(formatClassifyReport(report, '/tmp/classify.html')).toMatch(/Report: .*classify\.html$/);
  });
});

describe('renderClassifyHtml', () => {
  const html = renderClassifyHtml(report);

  it('is one self-contained HTML page: doctype, charset, inline style, no scripts or external assets', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<meta charset="utf-8">');
    expect(html).toContain('<style>');
    expect(html.trimEnd().endsWith('</html>')).toBe(true);
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).not.toMatch(/\b(?:src|href)\s*=/i);
    expect(html).not.toMatch(/url\(/i);
  });

  it('has balanced tags', () => {
    for (const tag of ['table', 'tr', 'svg', 'thead', 'tbody', 'h2', 'h3', 'text', 'title', 'div']) {
      const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
  });

  it('draws a heat map and a reliability diagram per run, with one rect per confusion cell', () => {
    expect(html.match(/<svg /g)).toHaveLength(2 * report.runs.length);
    expect(html.match(/<svg class="heatmap"/g)).toHaveLength(report.runs.length);
    expect(html.match(/<svg class="reliability"/g)).toHaveLength(report.runs.length);
    const cells = report.runs.reduce((s, r) => s + r.metrics.labels.length ** 2, 0);
    expect(cells).toBe(16 + 9 + 16);
    expect(html.match(/<rect class="cell/g)).toHaveLength(cells);
    expect(html.match(/<rect class="cell diagonal"/g)).toHaveLength(4 + 3 + 4);
    // The legend and the axis labels.
    expect(html).toContain('share of the truth row');
    expect(html).toMatch(/<text class="label"[^>]*transform="rotate\(-45 /);
    // ECE in the reliability diagram's title; one bar per non-empty bin.
    expect(html).toContain(`<title>local (mlp-v1): reliability: ECE 3.0%</title>`);
    const localSvg = html.slice(html.indexOf('<h2>local (mlp-v1)</h2>'), html.indexOf('<h2>bedrock'));
    expect(localSvg.match(/<rect class="bin"/g)).toHaveLength(1);
  });

  it('colours a 100 % cell darker than a 0 % one, and writes the counts', () => {
    const localSvg = html.slice(html.indexOf('<h2>local (mlp-v1)</h2>'), html.indexOf('<h2>bedrock'));
    const fillOf = (title: string): string => {
      const m = new RegExp(`<rect class="cell[^"]*"[^>]*fill="(#[0-9a-f]{6})"[^>]*><title>${title}`).exec(localSvg);
      expect(m, title).not.toBeNull();
      return m![1]!;
    };
    const full = fillOf('truth invoice, predicted invoice: 4 \\(100\\.0% of invoice\\)');
    const empty = fillOf('truth invoice, predicted receipt: 0 \\(0\\.0% of invoice\\)');
    expect(full).toBe(heatColour(1));
    expect(empty).toBe(heatColour(0));
    expect(full).not.toBe(empty);
    const brightness = (hex: string): number => [1, 3, 5].reduce((s, i) => s + parseInt(hex.slice(i, i + 2), 16), 0);
    expect(brightness(full)).toBeLessThan(brightness(empty));
    expect(localSvg).toMatch(/<text class="count"[^>]*>4<\/text>/);
  });

  it('greys the empty row of a predicted-only label', () => {
    const rulesSection = html.slice(html.indexOf('<h2>rules</h2>'), html.indexOf('<h2>local'));
    expect(rulesSection).toMatch(
      /<rect class="cell diagonal"[^>]*fill="#eaeef2"[^>]*><title>truth unclassified, predicted unclassified: 0<\/title>/,
    );
    expect(rulesSection).toContain('grey: no document has this label');
  });

  it('escapes hostile class and file names everywhere', () => {
    expect(html).not.toContain(HOSTILE_CLASS);
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain(escapeHtml(HOSTILE_CLASS));
    expect(html).toContain(escapeHtml(HOSTILE_NAME));
    expect(html).toContain('datasets/&lt;mixed&gt;');
  });

  it('shows the summary, per-class and threshold tables, the misclassified documents and the failures', () => {
    expect(html).toContain('<table class="summary">');
    expect(html).toMatch(/<td>rules<\/td><td class="num">8<\/td><td class="num">75\.0%<\/td>/);
    expect(html).toContain('<td class="best">local (mlp-v1)</td>');
    expect(html).toContain('<table class="per-class">');
    expect(html).toMatch(
      /<td>invoice<\/td><td class="num">4<\/td><td class="num">100\.0%<\/td><td class="num">75\.0%<\/td><td class="num">85\.7%<\/td>/,
    );
    expect(html).toContain('<table class="thresholds">');
    expect(html).toContain('$1.50 per 1,000 documents');
    expect(html).toContain('<td>i4.pdf</td><td>invoice</td><td>unclassified</td>');
    expect(html).toContain('<td>broken.pdf</td><td>CorruptDocumentError (CORRUPT_PDF)</td>');
    expect(html).toContain('5-fold cross-validation (seed 7)');
  });

  it('renders a report without runs', () => {
    const empty = renderClassifyHtml({ ...report, runs: [] });
    expect(empty).toContain('No classifier was evaluated.');
    expect(empty).not.toContain('<svg');
    expect(formatClassifyReport({ ...report, runs: [] }, null)).toContain('No classifier was evaluated.');
  });
});
