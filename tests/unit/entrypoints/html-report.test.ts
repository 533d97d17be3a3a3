import { describe, expect, it } from 'vitest';
import { summarize, type DocumentResult, type EvalReport } from '../../../src/domain/evaluation.js';
import { escapeHtml, renderHtmlReport } from '../../../src/entrypoints/cli/html-report.js';

const HOSTILE_NAME = '<script>alert("x")</script>&.jpg';
const HOSTILE_VALUE = `Café <b>"Blue" & 'Door'</b>`;

const documents: DocumentResult[] = [
  {
    name: HOSTILE_NAME,
    documentClass: 'receipt',
    documentId: 'a'.repeat(64),
    cached: false,
    error: null,
    fields: [
      {
        field: 'company',
        expected: HOSTILE_VALUE,
        extracted: 'Cafe Blue',
        expectedNormalized: 'cafe blue door',
        extractedNormalized: 'cafe blue',
        correct: false,
      },
      { field: 'total', expected: '14.50', extracted: 14.5, expectedNormalized: '14.50', extractedNormalized: '14.50', correct: true },
    ],
    skippedFields: ['address'],
    cer: { distance: 40, referenceChars: 100, cer: 0.4 },
  },
  {
    name: 'sroie_001.jpg',
    documentClass: 'receipt',
    documentId: 'b'.repeat(64),
    cached: true,
    error: null,
    fields: [
      {
        field: 'company',
        expected: 'UNIHAKKA',
        extracted: 'UNIHAKKA',
        expectedNormalized: 'unihakka',
        extractedNormalized: 'unihakka',
        correct: true,
      },
      { field: 'total', expected: 'RM 9.00', extracted: null, expectedNormalized: '9.00', extractedNormalized: '', correct: false },
    ],
    skippedFields: [],
    cer: { distance: 5, referenceChars: 100, cer: 0.05 },
  },
  {
    name: 'broken.pdf',
    documentClass: 'invoice',
    documentId: null,
    cached: false,
    error: 'CorruptDocumentError (CORRUPT_PDF)',
    fields: [
      {
        field: 'invoice_number',
        expected: 'INV-9',
        extracted: null,
        expectedNormalized: 'INV-9',
        extractedNormalized: '',
        correct: false,
      },
    ],
    skippedFields: [],
    cer: null,
  },
];

const report: EvalReport = {
  dir: 'datasets/<receipts>',
  split: { name: 'holdout', seed: 1, selected: 3, found: 6 },
  documentClass: null,
  limit: null,
  configVersion: 'cfg123',
  generatedAt: '2026-11-28T12:00:00.000Z',
  summary: summarize(documents),
  documents,
};

const html = renderHtmlReport(report);

describe('escapeHtml', () => {
  it('escapes the five HTML-significant characters', () => {
    expect(escapeHtml(`<a href="x">'&'</a>`)).toBe('&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
  });
});

describe('renderHtmlReport', () => {
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

  it('has balanced tables, rows and SVG bars', () => {
    for (const tag of ['table', 'tr', 'svg', 'thead', 'tbody', 'h2']) {
      const open = html.match(new RegExp(`<${tag}[\\s>]`, 'g'))?.length ?? 0;
      const close = html.match(new RegExp(`</${tag}>`, 'g'))?.length ?? 0;
      expect(close, tag).toBe(open);
    }
    // One bar per field, one per document with a CER.
    expect(html.match(/<svg /g)).toHaveLength(report.summary.fields.length + 2);
  });

  it('escapes every document name and value', () => {
    expect(html).not.toContain(HOSTILE_NAME);
    expect(html).toContain(escapeHtml(HOSTILE_NAME));
    expect(html).not.toContain('<b>');
    expect(html).toContain(escapeHtml(JSON.stringify(HOSTILE_VALUE)));
    expect(html).toContain('datasets/&lt;receipts&gt;');
  });

  it('shows the summary table with accuracy, CER and the split', () => {
    expect(html).toContain('<table class="summary">');
    expect(html).toContain('holdout (seed 1): 3 of 6 labelled documents');
    expect(html).toMatch(/<td>receipt<\/td><td>total<\/td><td class="num">2<\/td><td class="num">1<\/td><td class="num">50\.0%<\/td>/);
    expect(html).toContain('22.5%'); // pooled CER: 45 / 200
    expect(html).toContain('address'); // not evaluated
  });

  it('lists the mismatches per field with expected and extracted values, and the highest CER first', () => {
    const mismatches = html.slice(html.indexOf('Mismatches per field'));
    expect(mismatches).toContain('receipt · company: 1 wrong');
    expect(mismatches).toContain('receipt · total: 1 wrong');
    expect(mismatches).toContain('invoice · invoice_number: 1 wrong');
    expect(mismatches).toContain('sroie_001.jpg');
    expect(mismatches).toContain(
      '<td><code>&quot;RM 9.00&quot;</code><div class="norm">compared as &quot;9.00&quot;</div></td><td class="missing">nothing extracted</td>',
    );
    const cer = html.slice(html.indexOf('Highest character error rate'));
    expect(cer.indexOf(escapeHtml(HOSTILE_NAME))).toBeLessThan(cer.indexOf('sroie_001.jpg'));
    expect(cer).toContain('40.0%');
    // A low error rate is good: its bar is green, unlike a low accuracy's.
    expect(cer).toMatch(/sroie_001\.jpg: CER 5\.0%<\/title>.*fill="#2e7d32"/);
  });

  it('lists documents that could not be extracted', () => {
    expect(html).toContain('Documents that could not be extracted');
    expect(html).toContain('CorruptDocumentError (CORRUPT_PDF)');
  });

  it('says so when every field matched', () => {
    const perfect = documents.slice(1, 2).map((d) => ({ ...d, fields: d.fields.filter((f) => f.correct) }));
    const out = renderHtmlReport({ ...report, documents: perfect, summary: summarize(perfect) });
    expect(out).toContain('Every compared field matched.');
  });
});
