import { describe, expect, it } from 'vitest';
import { createKeywordClassifier } from '../../../src/domain/keyword-classifier.js';
import { DEFAULT_CLASSES } from '../../../src/config/defaults.js';
import type { DocumentClassSpec } from '../../../src/config/schema.js';
import type { Extraction } from '../../../src/domain/document.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { UNCLASSIFIED } from '../../../src/ports/classifier.js';

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

/** A class spec with the schema's defaults, overridable. */
const spec = (name: string, keywords: string[], patterns: string[] = [], extra: Partial<DocumentClassSpec> = {}): DocumentClassSpec => ({
  name,
  description: '',
  keywords,
  patterns,
  match: 'any',
  fuzzy: 0,
  ...extra,
});

const classifyWith = (classes: DocumentClassSpec[], text: string, topK?: number) =>
  createKeywordClassifier(classes, topK === undefined ? {} : { topK }).classify(extraction(text));

describe('rules classifier with the default classes', () => {
  it('names itself and needs text', () => {
    expect(classifier.name).toBe('rules');
    expect(classifier.needsText).toBe(true);
  });

  it('classifies a realistic invoice as invoice with high confidence', async () => {
    const c = await classify(INVOICE);
    expect(c.documentClass).toBe('invoice');
    expect(c.confidence).toBeGreaterThanOrEqual(0.5);
    expect(c.classifier).toBe('rules');
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
    expect(await classify('')).toEqual({ documentClass: UNCLASSIFIED, confidence: 0, classifier: 'rules', alternatives: [] });
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

describe('rules classifier with custom classes', () => {
  it('escapes regex characters in keywords', async () => {
    const c = createKeywordClassifier([spec('memo', ['a.b', 'c+'])]);
    expect((await c.classify(extraction('axb cc'))).documentClass).toBe(UNCLASSIFIED);
    expect((await c.classify(extraction('a.b'))).documentClass).toBe('memo');
  });

  it('gives patterns two points each', async () => {
    const c = createKeywordClassifier([spec('alpha', ['one', 'two']), spec('beta', [], ['ref\\s+\\d+'])]);
    const result = await c.classify(extraction('one two ref 42'));
    expect(result.alternatives).toEqual([
      { documentClass: 'alpha', score: 2 },
      { documentClass: 'beta', score: 2 },
    ]);
  });

  it('matches patterns case-insensitively, with ^ and $ at line breaks', async () => {
    const c = createKeywordClassifier([spec('memo', [], ['^subject\\s*:', 'INVOICE\\s+NO'])]);
    expect((await c.classify(extraction('Memo\nSUBJECT: budget\ninvoice no 4'))).alternatives).toEqual([
      { documentClass: 'memo', score: 4 },
    ]);
    expect((await c.classify(extraction('The subject: budget'))).documentClass).toBe(UNCLASSIFIED);
  });

  it('keeps Unicode property escapes working in patterns', async () => {
    const c = createKeywordClassifier([spec('ref', [], ['^\\p{L}{3}\\s+\\d+$'])]);
    expect((await c.classify(extraction('Réf 42'))).documentClass).toBe('ref');
    expect((await c.classify(extraction('R3f 42'))).documentClass).toBe(UNCLASSIFIED);
  });

  it('returns unclassified when there are no classes', async () => {
    const c = createKeywordClassifier([]);
    expect((await c.classify(extraction('anything'))).documentClass).toBe(UNCLASSIFIED);
  });
});

describe('rules classifier: match all vs any', () => {
  const classes = [spec('statement', ['statement', 'iban'], ['\\bbalance\\b'], { match: 'all' }), spec('other', ['statement'])];

  it('scores an `all` class only when every keyword and pattern matches', async () => {
    const c = await classifyWith(classes, 'Statement, IBAN DE89, closing balance');
    expect(c.alternatives).toEqual([
      { documentClass: 'statement', score: 4 },
      { documentClass: 'other', score: 1 },
    ]);
  });

  it('gives an `all` class 0 when one keyword or one pattern is missing', async () => {
    expect((await classifyWith(classes, 'Statement, IBAN DE89')).alternatives).toEqual([{ documentClass: 'other', score: 1 }]);
    expect((await classifyWith(classes, 'Statement, closing balance')).alternatives).toEqual([{ documentClass: 'other', score: 1 }]);
  });

  it('lets an `any` class score with a single match', async () => {
    const any = [spec('statement', ['statement', 'iban'], ['\\bbalance\\b'])];
    expect((await classifyWith(any, 'iban only')).alternatives).toEqual([{ documentClass: 'statement', score: 1 }]);
  });

  it('returns unclassified when the only class is `all` and partly matched', async () => {
    const c = await classifyWith([classes[0]!], 'statement iban');
    expect(c.documentClass).toBe(UNCLASSIFIED);
    expect(c.confidence).toBe(0);
  });
});

describe('rules classifier: fuzzy keywords', () => {
  const fuzzy = (n: number, keywords: string[]) => [spec('target', keywords, [], { fuzzy: n })];
  const score = async (classes: DocumentClassSpec[], text: string) => (await classifyWith(classes, text)).alternatives[0]?.score ?? 0;

  it('matches OCR slips within one edit with fuzzy 1', async () => {
    expect(await score(fuzzy(1, ['invoice']), 'lnvoice No 42')).toBe(1); // substitution
    expect(await score(fuzzy(1, ['statement']), 'Statment of account')).toBe(1); // deletion
    expect(await score(fuzzy(1, ['budget']), 'BUDEGT 1988')).toBe(1); // transposition
    expect(await score(fuzzy(1, ['receipt']), 'receiipt')).toBe(1); // insertion
  });

  it('does not match at distance n + 1', async () => {
    expect(await score(fuzzy(1, ['invoice']), 'lnvoce')).toBe(0);
    expect(await score(fuzzy(2, ['invoice']), 'lnvoce')).toBe(1);
    expect(await score(fuzzy(2, ['invoice']), 'lnvce')).toBe(0);
  });

  it('matches exactly only with fuzzy 0', async () => {
    expect(await score(fuzzy(0, ['invoice']), 'lnvoice')).toBe(0);
    expect(await score(fuzzy(0, ['invoice']), 'INVOICE')).toBe(1);
  });

  it('never matches keywords of fewer than 5 letters fuzzily', async () => {
    expect(await score(fuzzy(2, ['memo']), 'demo menu')).toBe(0);
    expect(await score(fuzzy(2, ['memo']), 'MEMO')).toBe(1);
    // Digits do not count as letters: "ab123" has two.
    expect(await score(fuzzy(1, ['ab123']), 'ab124')).toBe(0);
  });

  it('matches a multi-word keyword against a run of as many words', async () => {
    expect(await score(fuzzy(1, ['total due']), 'Totl  due: 12.00')).toBe(1);
    expect(await score(fuzzy(1, ['curriculum vitae']), 'CURRICULUM\nV1TAE')).toBe(1);
    expect(await score(fuzzy(1, ['total due']), 'Totl dve')).toBe(0);
    // The words must be separated by whitespace only, as for exact matches.
    expect(await score(fuzzy(1, ['total due']), 'total, due')).toBe(0);
    expect(await score(fuzzy(1, ['total due']), 'total, due total\tdue')).toBe(1);
  });

  it('still matches whole words only: a fuzzy keyword does not match inside a longer word', async () => {
    expect(await score(fuzzy(1, ['invoice']), 'reinvoiced')).toBe(0);
    expect(await score(fuzzy(1, ['invoice']), 'invoices')).toBe(1);
  });

  it('keeps keywords with punctuation exact', async () => {
    expect(await score(fuzzy(2, ['subject:']), 'Subject: budget')).toBe(1);
    expect(await score(fuzzy(2, ['subject:']), 'Subjcet: budget')).toBe(0);
  });

  it('ignores case, diacritics and ligatures on both sides', async () => {
    expect(await score(fuzzy(0, ['fiscal year']), 'ﬁscal Year')).toBe(1);
    expect(await score(fuzzy(0, ['résumé']), 'RESUME')).toBe(1);
    expect(await score(fuzzy(0, ['resume']), 'Résumé')).toBe(1);
  });

  it('counts a keyword once however often it occurs', async () => {
    expect(await score(fuzzy(1, ['invoice']), 'invoice lnvoice invoice')).toBe(1);
  });

  it('finds the one class with evidence in a 5,000-word document, among 17 classes x 15 fuzzy keywords', async () => {
    const vocabulary = Array.from({ length: 1500 }, (_, i) => `w${(i * 7919).toString(36)}ord${i % 13 === 0 ? 'ing' : ''}`);
    // Noise, plus one slipped keyword of class 7 ("keyword7x3" read as "keyvord7x3") and its code.
    const text = [...Array.from({ length: 5000 }, (_, i) => vocabulary[(i * 31) % vocabulary.length]), 'keyvord7x3', 'code 7'].join(' ');
    const classes = Array.from({ length: 17 }, (_, c) =>
      spec(
        `class_${c}`,
        Array.from({ length: 15 }, (_, k) => (k === 14 ? `multi word${c}` : `keyword${c}x${k}`)),
        [`\\bcode\\s*${c}\\b`],
        { fuzzy: 1 },
      ),
    );
    const rules = createKeywordClassifier(classes);
    const document = extraction(text);
    const c = await rules.classify(document);
    expect(c.documentClass).toBe('class_7');
    expect(c.alternatives.map((x) => x.documentClass)).toEqual(['class_7']);
    // Speed is a benchmark's business (npm run bench), not a test's.
  });
});

describe('rules classifier: alternatives', () => {
  const classes = [spec('alpha', ['one']), spec('beta', ['one', 'two']), spec('gamma', ['one', 'two', 'three']), spec('delta', ['four'])];
  const text = 'one two three four';

  it('keeps the top 3 by default, best first, only classes with evidence', async () => {
    const c = await classifyWith(classes, text);
    expect(c.alternatives).toEqual([
      { documentClass: 'gamma', score: 3 },
      { documentClass: 'beta', score: 2 },
      { documentClass: 'alpha', score: 1 },
    ]);
    expect((await classifyWith(classes, 'two')).alternatives.map((a) => a.documentClass)).toEqual(['beta', 'gamma']);
  });

  it('honours topK', async () => {
    expect((await classifyWith(classes, text, 1)).alternatives).toEqual([{ documentClass: 'gamma', score: 3 }]);
    expect((await classifyWith(classes, text, 10)).alternatives.map((a) => a.documentClass)).toEqual(['gamma', 'beta', 'alpha', 'delta']);
  });

  it('breaks ties by class name whatever the configured order', async () => {
    const tied = [spec('zeta', ['one']), spec('eta', ['one']), spec('beta', ['one'])];
    for (const order of [tied, [...tied].reverse()]) {
      const c = await classifyWith(order, 'one');
      expect(c.documentClass).toBe('beta');
      expect(c.alternatives.map((a) => a.documentClass)).toEqual(['beta', 'eta', 'zeta']);
    }
  });

  it('rejects a topK below 1 or not an integer', () => {
    expect(() => createKeywordClassifier(classes, { topK: 0 })).toThrow(ConfigError);
    expect(() => createKeywordClassifier(classes, { topK: 1.5 })).toThrow(ConfigError);
  });

  it('rejects an invalid pattern at creation, naming the class but not the pattern', () => {
    expect(() => createKeywordClassifier([spec('broken', [], ['(unclosed'])])).toThrow(
      /class "broken" has an invalid regular expression at patterns\.0/,
    );
  });
});

describe('rules classifier: confidence', () => {
  const classes = [spec('memo', ['memorandum', 'subject', 'from', 'to', 'date', 'cc']), spec('letter', ['dear', 'sincerely'])];

  it('grows with the winner evidence and never falls as evidence is added', async () => {
    const words = ['memorandum', 'subject', 'from', 'to', 'date', 'cc'];
    let last = 0;
    for (let n = 1; n <= words.length; n++) {
      const c = await classifyWith(classes, `${words.slice(0, n).join(' ')} dear`);
      expect(c.documentClass).toBe(n === 1 ? 'letter' : 'memo');
      if (n > 1) {
        expect(c.confidence).toBeGreaterThanOrEqual(last);
        last = c.confidence;
      }
    }
    expect(last).toBeGreaterThan(0.8);
  });

  it('falls as a competitor gains evidence', async () => {
    const alone = await classifyWith(classes, 'memorandum subject from to');
    const one = await classifyWith(classes, 'memorandum subject from to dear');
    const two = await classifyWith(classes, 'memorandum subject from to dear sincerely');
    expect(alone.confidence).toBe(1);
    expect(one.confidence).toBeLessThan(alone.confidence);
    expect(two.confidence).toBeLessThan(one.confidence);
  });

  it('stays in [0, 1]', async () => {
    for (const text of ['', 'to', 'memorandum subject from to date cc dear sincerely', 'dear']) {
      const c = await classifyWith(classes, text);
      expect(c.confidence).toBeGreaterThanOrEqual(0);
      expect(c.confidence).toBeLessThanOrEqual(1);
    }
  });
});
