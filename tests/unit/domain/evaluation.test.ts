import { describe, expect, it } from 'vitest';
import {
  characterErrorRate,
  compareFields,
  inSplit,
  invoiceGroundTruth,
  levenshtein,
  normalizeWhitespace,
  splitOf,
  sroieGroundTruth,
  summarize,
  worstCases,
  type DocumentResult,
  type FieldComparison,
} from '../../../src/domain/evaluation.js';

/** The textbook O(n·m) matrix, as an oracle for the two-row version. */
const naiveLevenshtein = (a: string, b: string): number => {
  const s = Array.from(a);
  const t = Array.from(b);
  const d: number[][] = Array.from({ length: s.length + 1 }, (_, i) =>
    Array.from({ length: t.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= s.length; i++)
    for (let j = 1; j <= t.length; j++)
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (s[i - 1] === t[j - 1] ? 0 : 1));
  return d[s.length]![t.length]!;
};

/** Deterministic pseudo-random strings over a small alphabet, so edits collide often. */
const randomStrings = (count: number, seed: number): string[] => {
  let x = seed;
  const next = (): number => {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    return x;
  };
  return Array.from({ length: count }, () => Array.from({ length: next() % 12 }, () => 'abcé '.charAt(next() % 5)).join(''));
};

describe('levenshtein', () => {
  it('gives the classic distances', () => {
    expect(levenshtein('kitten', 'sitting')).toBe(3);
    expect(levenshtein('flaw', 'lawn')).toBe(2);
    expect(levenshtein('', 'abc')).toBe(3);
    expect(levenshtein('abc', '')).toBe(3);
    expect(levenshtein('', '')).toBe(0);
    expect(levenshtein('same', 'same')).toBe(0);
  });

  it('is symmetric and agrees with the full-matrix algorithm', () => {
    const strings = randomStrings(60, 7);
    for (let i = 0; i + 1 < strings.length; i += 2) {
      const a = strings[i]!;
      const b = strings[i + 1]!;
      expect(levenshtein(a, b), `${a} / ${b}`).toBe(naiveLevenshtein(a, b));
      expect(levenshtein(b, a)).toBe(levenshtein(a, b));
    }
  });

  it('counts code points, not UTF-16 units', () => {
    expect(levenshtein('a😀b', 'ab')).toBe(1);
    expect(levenshtein('€', '$')).toBe(1);
  });

  it('handles page-sized texts', () => {
    const a = 'TOTAL 14.50 Blue Door Cafe 12 Harbour Street\n'.repeat(100);
    const b = a.replace(/o/g, '0').slice(0, -200);
    // At least the 200 characters cut; at most those plus one substitution per "o" kept (each became "0").
    const d = levenshtein(a, b);
    expect(d).toBeGreaterThanOrEqual(200);
    expect(d).toBeLessThanOrEqual((b.match(/0/g) ?? []).length + 200);
  });
});

describe('characterErrorRate', () => {
  it('compares whitespace-normalised text: line breaks and page breaks are one space', () => {
    expect(normalizeWhitespace('  a\n\n b\f\tc ')).toBe('a b c');
    expect(characterErrorRate('TOTAL\n9.00', 'TOTAL   9.00\f')).toEqual({ distance: 0, referenceChars: 10, cer: 0 });
  });

  it('is distance over reference length', () => {
    const r = characterErrorRate('abcd', 'abxd');
    expect(r).toEqual({ distance: 1, referenceChars: 4, cer: 0.25 });
    expect(characterErrorRate('ab', 'abcdef').cer).toBe(2);
  });

  it('treats an empty reference as perfect only against an empty extraction', () => {
    expect(characterErrorRate(' \n', '').cer).toBe(0);
    expect(characterErrorRate('', 'x').cer).toBe(1);
  });
});

describe('ground truth', () => {
  it('reads SROIE labels and drops empty ones', () => {
    expect(sroieGroundTruth({ company: 'BOOK TA .K', date: '25/12/2018', address: 'NO.53', total: '9.00' })).toEqual({
      company: 'BOOK TA .K',
      date: '25/12/2018',
      address: 'NO.53',
      total: '9.00',
    });
    expect(sroieGroundTruth({ company: 'X', date: '10 MAR 2018', address: 'Y', total: '' })).toEqual({
      company: 'X',
      date: '10 MAR 2018',
      address: 'Y',
    });
    expect(sroieGroundTruth({ unrelated: 1 })).toBeNull();
    expect(sroieGroundTruth([{ company: 'X' }])).toBeNull();
  });

  it('maps invoice2data amount to total and keeps only the fields we know', () => {
    expect(
      invoiceGroundTruth([
        { issuer: 'Free', amount: 29.99, date: '2015-07-02', invoice_number: '562044387', currency: 'EUR', vat: 'FR60', lines: [] },
      ]),
    ).toEqual({ issuer: 'Free', total: 29.99, date: '2015-07-02', invoice_number: '562044387', currency: 'EUR' });
    expect(invoiceGroundTruth({ issuer: 'not a list' })).toBeNull();
    expect(invoiceGroundTruth([])).toBeNull();
  });
});

describe('compareFields', () => {
  it('compares only fields that both the ground truth and the specs have; missing counts as wrong', () => {
    const { compared, skipped } = compareFields(
      { invoice_number: 'INV-2026-0412', total: 1250, issuer: 'Northwind', date: '2026-10-03' },
      ['invoice_number', 'total', 'date', 'iban'],
      { invoice_number: 'INV-2026-0412', total: 1250, iban: 'DE89' },
    );
    expect(compared.map((c) => [c.field, c.correct])).toEqual([
      ['invoice_number', true],
      ['total', true],
      ['date', false],
    ]);
    expect(compared.find((c) => c.field === 'date')?.extracted).toBeNull();
    expect(skipped).toEqual(['issuer']);
  });

  it('compares amounts as numbers and dates as ISO strings', () => {
    const { compared } = compareFields({ total: '9.00', date: '25/12/2018' }, ['total', 'date'], { total: 9, date: '2018-12-25' });
    expect(compared.map((c) => c.correct)).toEqual([true, true]);
    expect(compared[0]?.expectedNormalized).toBe('9.00');
    expect(compared[1]?.expectedNormalized).toBe('2018-12-25');
  });

  it('does not count a wrong value as right', () => {
    const { compared } = compareFields({ total: '9.00' }, ['total'], { total: 90 });
    expect(compared[0]?.correct).toBe(false);
  });
});

describe('split', () => {
  const names = Array.from({ length: 2000 }, (_, i) => `sroie_${String(i).padStart(3, '0')}`);

  it('is deterministic for a name and seed, whatever else is in the folder', () => {
    const first = names.map((n) => splitOf(n, 1));
    expect(names.map((n) => splitOf(n, 1))).toEqual(first);
    expect([...names].reverse().map((n) => splitOf(n, 1))).toEqual([...first].reverse());
  });

  it('puts about half of the documents in each half, for every seed', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const tune = names.filter((n) => splitOf(n, seed) === 'tune').length;
      expect(tune / names.length, `seed ${seed}`).toBeGreaterThan(0.46);
      expect(tune / names.length, `seed ${seed}`).toBeLessThan(0.54);
    }
  });

  it('is balanced on small, similar names too', () => {
    const small = names.slice(0, 60);
    const tune = small.filter((n) => splitOf(n, 1) === 'tune').length;
    expect(tune).toBeGreaterThanOrEqual(20);
    expect(tune).toBeLessThanOrEqual(40);
  });

  it('gives a different split for another seed', () => {
    const differ = names.filter((n) => splitOf(n, 1) !== splitOf(n, 2)).length;
    expect(differ / names.length).toBeGreaterThan(0.4);
    expect(differ / names.length).toBeLessThan(0.6);
  });

  it('tune and holdout partition the documents; all keeps every one', () => {
    for (const n of names.slice(0, 100)) {
      expect(inSplit(n, 'tune', 1)).not.toBe(inSplit(n, 'holdout', 1));
      expect(inSplit(n, 'all', 1)).toBe(true);
    }
  });
});

const cmp = (field: string, expected: string | number, extracted: string | number | null, correct: boolean): FieldComparison => ({
  field,
  expected,
  extracted,
  expectedNormalized: String(expected),
  extractedNormalized: extracted === null ? '' : String(extracted),
  correct,
});

const doc = (name: string, documentClass: string, fields: FieldComparison[], extra: Partial<DocumentResult> = {}): DocumentResult => ({
  name,
  documentClass,
  documentId: null,
  cached: false,
  error: null,
  fields,
  skippedFields: [],
  cer: null,
  ...extra,
});

describe('summarize', () => {
  const results: DocumentResult[] = [
    doc('r1.jpg', 'receipt', [cmp('total', '9.00', 9, true), cmp('date', '2018-12-25', '2018-12-25', true)], {
      cer: { distance: 10, referenceChars: 100, cer: 0.1 },
      cached: true,
      skippedFields: ['company'],
    }),
    doc('r2.jpg', 'receipt', [cmp('total', '4.50', null, false)], {
      cer: { distance: 30, referenceChars: 100, cer: 0.3 },
      skippedFields: ['address', 'company'],
    }),
    doc('r3.jpg', 'receipt', [cmp('total', '1.00', 7, false), cmp('date', '2018-01-01', null, false)], {
      cer: { distance: 50, referenceChars: 300, cer: 50 / 300 },
    }),
    doc('i1.pdf', 'invoice', [cmp('total', 1250, 1250, true), cmp('invoice_number', 'A-1', 'A-1', true)], { cached: true }),
    doc('i2.pdf', 'invoice', [cmp('total', 10, null, false), cmp('invoice_number', 'B-2', null, false)], {
      error: 'CorruptDocumentError (CORRUPT_PDF)',
    }),
  ];
  const s = summarize(results);

  it('gives per-field accuracy per class: correct over documents that have the field labelled', () => {
    expect(s.fields.map((f) => [f.documentClass, f.field, f.n, f.correct])).toEqual([
      ['receipt', 'total', 3, 1],
      ['receipt', 'date', 2, 1],
      ['invoice', 'total', 2, 1],
      ['invoice', 'invoice_number', 2, 1],
    ]);
    expect(s.fields[0]?.accuracy).toBeCloseTo(1 / 3);
  });

  it('totals per class and overall, and counts cached and failed documents', () => {
    const receipt = s.classes.find((c) => c.documentClass === 'receipt');
    expect(receipt).toMatchObject({ documents: 3, n: 5, correct: 2, accuracy: 0.4, errors: 0, skippedFields: ['address', 'company'] });
    expect(s.classes.find((c) => c.documentClass === 'invoice')).toMatchObject({ documents: 2, n: 4, correct: 2, errors: 1, cer: null });
    expect(s.overall).toEqual({ n: 9, correct: 4, accuracy: 4 / 9 });
    expect(s.documents).toBe(5);
    expect(s.cached).toBe(2);
    expect(s.errors).toBe(1);
  });

  it('pools CER over characters and also gives the per-document mean', () => {
    expect(s.cer).toMatchObject({ documents: 3, distance: 90, referenceChars: 500, cer: 0.18 });
    expect(s.cer?.meanCer).toBeCloseTo((0.1 + 0.3 + 50 / 300) / 3);
  });

  it('is empty but well-formed for no documents', () => {
    expect(summarize([])).toEqual({
      documents: 0,
      cached: 0,
      errors: 0,
      fields: [],
      classes: [],
      overall: { n: 0, correct: 0, accuracy: 0 },
      cer: null,
    });
  });

  it('lists the worst cases: wrong values before missing ones, and the highest CER first', () => {
    const w = worstCases(results);
    const receiptTotal = w.mismatches.find((m) => m.documentClass === 'receipt' && m.field === 'total');
    expect(receiptTotal?.total).toBe(2);
    expect(receiptTotal?.cases.map((c) => c.name)).toEqual(['r3.jpg', 'r2.jpg']);
    expect(w.mismatches.map((m) => `${m.documentClass}.${m.field}`)).toEqual([
      'receipt.total',
      'receipt.date',
      'invoice.total',
      'invoice.invoice_number',
    ]);
    expect(w.highestCer.map((d) => d.name)).toEqual(['r2.jpg', 'r3.jpg', 'r1.jpg']);
    expect(worstCases(results, 1).mismatches[0]?.cases).toHaveLength(1);
  });
});
