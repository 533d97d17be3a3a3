import { describe, expect, it } from 'vitest';
import {
  countVectorizer,
  preprocessContent,
  trainPaperlessReference,
  wordNgrams,
  type ReferenceExample,
} from '../../../src/domain/classifier-model/reference-mlp.js';

/** A small seeded generator for the synthetic corpus (independent of the model's own stream). */
const lcg = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
};

const VOCABULARIES: Readonly<Record<string, readonly string[]>> = {
  invoice: ['invoice', 'amount', 'due', 'vat', 'total', 'payable', 'remit', 'subtotal'],
  letter: ['dear', 'sincerely', 'regards', 'madam', 'yours', 'faithfully', 'enclosed', 'writing'],
  memo: ['memorandum', 'subject', 'distribution', 'internal', 'cc', 'attn', 'department', 'staff'],
};
const NOISE = ['the', 'of', 'and', 'to', 'page', 'date', 'ref', 'company', 'office', 'please', 'number', 'copy'];

/** Documents of one class: mostly shared noise words, a few words of the class's own vocabulary. */
const synthetic = (perClass: number, seed: number): ReferenceExample[] => {
  const random = lcg(seed);
  const pick = (words: readonly string[]): string => words[Math.floor(random() * words.length)] ?? '';
  const out: ReferenceExample[] = [];
  for (let i = 0; i < perClass; i++) {
    for (const [label, words] of Object.entries(VOCABULARIES)) {
      const tokens: string[] = [];
      for (let k = 0; k < 30; k++) tokens.push(random() < 0.25 ? pick(words) : pick(NOISE));
      out.push({ text: tokens.join(random() < 0.5 ? ' ' : ',\n '), label });
    }
  }
  return out;
};

describe('preprocessContent', () => {
  it('lower-cases, collapses whitespace and blanks out non-word characters, like Paperless', () => {
    expect(preprocessContent('  Invoice\tNo.\n\n 42/A  ')).toBe('invoice no  42 a');
    expect(preprocessContent('Straße_1 — Ünïcode!')).toBe('straße_1   ünïcode ');
  });
});

describe('wordNgrams', () => {
  it('keeps tokens of two or more word characters and adds the bigrams of consecutive tokens', () => {
    expect(wordNgrams('A Total due: 12 EUR')).toEqual(['total', 'due', '12', 'eur', 'total due', 'due 12', '12 eur']);
  });
  it('treats Unicode letters, digits and the underscore as word characters', () => {
    expect(wordNgrams('Ünïcode_x9 é')).toEqual(['ünïcode_x9']);
  });
});

describe('countVectorizer', () => {
  it('builds a sorted vocabulary and raw counts (not binary)', () => {
    const { vocabulary: v2, vectors: x2 } = countVectorizer(['bb aa bb', 'aa cc'], 1);
    expect(v2).toEqual(['aa', 'aa bb', 'aa cc', 'bb', 'bb aa', 'cc']);
    expect(Array.from(x2[0]!.indices)).toEqual([0, 1, 3, 4]);
    expect(Array.from(x2[0]!.values)).toEqual([1, 1, 2, 1]);
    expect(Array.from(x2[1]!.indices)).toEqual([0, 2, 5]);
    // Single characters are not tokens (scikit-learn's pattern needs two word characters).
    expect(countVectorizer(['b a b'], 1).vocabulary).toEqual([]);
  });

  it('drops terms below min_df, read as a proportion of the documents (df ≥ min_df · n, unrounded)', () => {
    // 250 documents: min_df 0.01 → a term must occur in ≥ 2.5, i.e. 3, documents.
    const texts = Array.from({ length: 250 }, (_, i) => `common word${i}`);
    texts[0] = 'thrice twice';
    texts[1] = 'thrice twice';
    for (const i of [2, 3, 4]) texts[i] = 'common thrice';
    const { vocabulary } = countVectorizer(texts, 0.01);
    expect(vocabulary).toContain('common');
    expect(vocabulary).toContain('thrice');
    expect(vocabulary).not.toContain('twice');
    expect(vocabulary).not.toContain('word7');
    // Bigrams are pruned alike: 'common thrice' is in 3 documents, 'thrice twice' in 2.
    expect(vocabulary).toContain('common thrice');
    expect(vocabulary).not.toContain('thrice twice');
    // A whole number is an absolute document count.
    expect(countVectorizer(texts, 2).vocabulary).toContain('twice');
    expect(countVectorizer(texts, 4).vocabulary).toEqual(['common', 'thrice']);
  });

  it('transforms new text with the fitted vocabulary, ignoring unknown terms', () => {
    const { vocabulary, transform } = countVectorizer(['total due', 'total paid'], 1);
    const x = transform('Total total UNKNOWN due');
    expect(Array.from(x.indices).map((j) => vocabulary[j])).toEqual(['due', 'total']);
    expect(Array.from(x.values)).toEqual([1, 2]);
  });
});

describe('trainPaperlessReference', () => {
  const train = synthetic(40, 1);
  const heldOut = synthetic(20, 2);
  const accuracy = (predict: (text: string) => { documentClass: string }, docs: readonly ReferenceExample[]): number =>
    docs.filter((d) => predict(d.text).documentClass === d.label).length / docs.length;

  it('learns a separable corpus and generalises to held-out documents', () => {
    const predict = trainPaperlessReference(train, { seed: 7 });
    expect(accuracy(predict, train)).toBeGreaterThanOrEqual(0.95);
    expect(accuracy(predict, heldOut)).toBeGreaterThanOrEqual(0.9);
  });

  it('returns probabilities that sum to 1, best first, the winner included', () => {
    const predict = trainPaperlessReference(train, { seed: 7 });
    for (const doc of heldOut.slice(0, 10)) {
      const p = predict(doc.text);
      expect(p.alternatives).toHaveLength(3);
      expect(p.alternatives.reduce((s, a) => s + a.score, 0)).toBeCloseTo(1, 12);
      expect(p.alternatives[0]).toEqual({ documentClass: p.documentClass, score: p.confidence });
      for (let i = 1; i < p.alternatives.length; i++) expect(p.alternatives[i - 1]!.score).toBeGreaterThanOrEqual(p.alternatives[i]!.score);
      expect(p.confidence).toBeGreaterThan(0);
      expect(p.confidence).toBeLessThanOrEqual(1);
    }
  });

  it('is deterministic for a seed, and the seed matters', () => {
    const texts = heldOut.map((d) => d.text);
    const a = trainPaperlessReference(train, { seed: 3, maxIter: 5 });
    const b = trainPaperlessReference(train, { seed: 3, maxIter: 5 });
    const c = trainPaperlessReference(train, { seed: 4, maxIter: 5 });
    expect(texts.map(a)).toEqual(texts.map(b));
    expect(texts.map((t) => c(t).confidence)).not.toEqual(texts.map((t) => a(t).confidence));
  });

  it('handles two classes with a single logistic output, as scikit-learn does', () => {
    const two = train.filter((d) => d.label !== 'memo');
    const predict = trainPaperlessReference(two, { seed: 1 });
    expect(accuracy(predict, two)).toBeGreaterThanOrEqual(0.95);
    const p = predict(heldOut[0]!.text);
    expect(p.alternatives.map((a) => a.documentClass).sort()).toEqual(['invoice', 'letter']);
    expect(p.alternatives[0]!.score + p.alternatives[1]!.score).toBeCloseTo(1, 12);
  });

  it('predicts the only class when there is one, and rejects an empty training set', () => {
    const predict = trainPaperlessReference([{ text: 'anything at all', label: 'letter' }]);
    expect(predict('whatever')).toEqual({ documentClass: 'letter', confidence: 1, alternatives: [{ documentClass: 'letter', score: 1 }] });
    expect(() => trainPaperlessReference([])).toThrow(/at least one/);
  });

  it('classifies text with no known term from the biases alone', () => {
    const predict = trainPaperlessReference(train, { seed: 7 });
    const p = predict('');
    expect(p.alternatives.reduce((s, a) => s + a.score, 0)).toBeCloseTo(1, 12);
  });
});
