import { describe, expect, it } from 'vitest';
import { createKeywordClassifier } from '../../../../src/adapters/local/keyword-classifier.js';
import { DEFAULT_CLASSES } from '../../../../src/config/defaults.js';
import type { Extraction } from '../../../../src/domain/document.js';
import { UNCLASSIFIED } from '../../../../src/ports/classifier.js';

const extraction = (text: string): Extraction => ({
  mediaType: 'application/pdf',
  pages: [{ page: 1, method: 'text-layer', text, confidence: 1, width: 595, height: 842 }],
  text,
  confidence: 1,
  provenance: { engine: 'test' },
});

const classifier = createKeywordClassifier(DEFAULT_CLASSES);
const classify = (text: string) => classifier.classify(extraction(text));

const INVOICE = [
  'INVOICE',
  'Northwind Office Supply GmbH',
  'Invoice No: INV-2026-0412',
  'Invoice Date: 2026-10-03',
  'Bill To: Example Bank plc',
  'Total Due: EUR 1,250.00',
  'IBAN: DE89 3704 0044 0532 0130 00',
  'Payment terms: 30 days net',
].join('\n');

describe('keyword classifier with the default classes', () => {
  it('names itself', () => {
    expect(classifier.name).toBe('keywords');
  });

  it('classifies a realistic invoice as invoice with high confidence', async () => {
    const c = await classify(INVOICE);
    expect(c.documentClass).toBe('invoice');
    expect(c.confidence).toBeGreaterThanOrEqual(0.5);
    expect(c.classifier).toBe('keywords');
    expect(c.alternatives[0]?.documentClass).toBe('invoice');
  });

  it('classifies a receipt and a letter', async () => {
    const receipt = await classify('Blue Door Cafe\nFlat white 3.50\nSubtotal 14.50\nTotal 14.50\nCard 14.50\nThank you for your visit');
    expect(receipt.documentClass).toBe('receipt');
    expect(receipt.confidence).toBeGreaterThanOrEqual(0.5);
    const letter = await classify('Dear Ms Smith,\nPlease note our new address, enclosed.\nYours sincerely,\nExample Bank');
    expect(letter.documentClass).toBe('letter');
    expect(letter.confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('keeps a page with one stray keyword below 0.5', async () => {
    const c = await classify('Minutes of the meeting. The new invoice process starts in May.');
    expect(c.documentClass).toBe('invoice');
    expect(c.confidence).toBeLessThan(0.5);
    expect(c.confidence).toBeGreaterThan(0);
  });

  it('returns unclassified with confidence 0 for empty text', async () => {
    expect(await classify('')).toEqual({ documentClass: UNCLASSIFIED, confidence: 0, classifier: 'keywords', alternatives: [] });
  });

  it('returns unclassified when no keyword matches', async () => {
    const c = await classify('Lorem ipsum dolor sit amet.');
    expect(c.documentClass).toBe(UNCLASSIFIED);
    expect(c.confidence).toBe(0);
  });

  it('matches keywords as whole words only', async () => {
    // Each of these contains a keyword ("invoice", "card", "cash") but is not it.
    expect((await classify('invoices cardboard')).documentClass).toBe(UNCLASSIFIED);
    expect((await classify('reinvoice postcard')).documentClass).toBe(UNCLASSIFIED);
    expect((await classify('cashier2')).documentClass).toBe(UNCLASSIFIED);
  });

  it('matches multi-word keywords across any whitespace, case-insensitively', async () => {
    const c = await classify('OPENING\n  BALANCE');
    // "opening balance" keyword (1) + "balance" keyword (1) + opening/closing balance pattern (2).
    expect(c.alternatives).toEqual([{ documentClass: 'bank_statement', score: 4 }]);
  });

  it('lists alternatives best first, only those with evidence, at most three', async () => {
    // invoice: invoice, vat, iban (3); receipt: receipt, cash (2); letter: dear (1) + pattern (2) = 3;
    // bank_statement: statement (1).
    const c = await classify('Dear customer, invoice vat iban receipt cash statement');
    expect(c.alternatives).toEqual([
      { documentClass: 'invoice', score: 3 },
      { documentClass: 'letter', score: 3 },
      { documentClass: 'receipt', score: 2 },
    ]);
    for (let i = 1; i < c.alternatives.length; i++) {
      expect(c.alternatives[i - 1]!.score).toBeGreaterThanOrEqual(c.alternatives[i]!.score);
    }
  });

  it('lowers confidence when another class competes', async () => {
    const alone = await classify('invoice vat iban remit');
    const contested = await classify('invoice vat iban remit receipt cash');
    expect(alone.documentClass).toBe('invoice');
    expect(contested.documentClass).toBe('invoice');
    expect(contested.confidence).toBeLessThan(alone.confidence);
  });

  it('reports share x coverage as confidence', async () => {
    // Score 4, nothing else: 1 x 1.
    expect((await classify('invoice vat iban remit')).confidence).toBe(1);
    // Score 2 alone: 1 x 0.5.
    expect((await classify('invoice vat')).confidence).toBe(0.5);
    // Score 3 vs 1: 0.75 x 0.75.
    expect((await classify('invoice vat iban statement')).confidence).toBe(0.563);
  });
});

describe('keyword classifier with custom classes', () => {
  it('escapes regex characters in keywords', async () => {
    const c = createKeywordClassifier([{ name: 'memo', description: '', keywords: ['a.b', 'c+'], patterns: [] }]);
    expect((await c.classify(extraction('axb cc'))).documentClass).toBe(UNCLASSIFIED);
    expect((await c.classify(extraction('a.b'))).documentClass).toBe('memo');
  });

  it('gives patterns two points each', async () => {
    const c = createKeywordClassifier([
      { name: 'alpha', description: '', keywords: ['one', 'two'], patterns: [] },
      { name: 'beta', description: '', keywords: [], patterns: ['ref\\s+\\d+'] },
    ]);
    const result = await c.classify(extraction('one two ref 42'));
    expect(result.alternatives).toEqual([
      { documentClass: 'alpha', score: 2 },
      { documentClass: 'beta', score: 2 },
    ]);
  });

  it('returns unclassified when there are no classes', async () => {
    const c = createKeywordClassifier([]);
    expect((await c.classify(extraction('anything'))).documentClass).toBe(UNCLASSIFIED);
  });
});
