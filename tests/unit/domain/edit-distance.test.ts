import { describe, expect, it } from 'vitest';
import { boundedEditDistance, withinEdits } from '../../../src/domain/edit-distance.js';

/** Plain, unbounded optimal-string-alignment distance, as a reference. */
const reference = (a: string, b: string): number => {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
};

describe('boundedEditDistance', () => {
  it('is 0 for equal strings, even with bound 0', () => {
    expect(boundedEditDistance('invoice', 'invoice', 0)).toBe(0);
    expect(boundedEditDistance('', '', 0)).toBe(0);
  });

  it('counts one substitution, insertion, deletion or transposition as one edit', () => {
    expect(boundedEditDistance('lnvoice', 'invoice', 2)).toBe(1);
    expect(boundedEditDistance('statment', 'statement', 2)).toBe(1);
    expect(boundedEditDistance('statemennt', 'statement', 2)).toBe(1);
    expect(boundedEditDistance('memroandum', 'memorandum', 2)).toBe(1);
  });

  it('adds up separate edits', () => {
    expect(boundedEditDistance('lnvoce', 'invoice', 2)).toBe(2);
    expect(boundedEditDistance('kitten', 'sitting', 3)).toBe(3);
  });

  it('returns bound + 1 once the distance is over the bound', () => {
    expect(boundedEditDistance('kitten', 'sitting', 2)).toBe(3);
    expect(boundedEditDistance('kitten', 'sitting', 1)).toBe(2);
    expect(boundedEditDistance('invoice', 'xyzzy', 1)).toBe(2);
    expect(boundedEditDistance('a', 'b', 0)).toBe(1);
  });

  it('rejects by length alone when the lengths differ by more than the bound', () => {
    expect(boundedEditDistance('abc', 'abcdef', 2)).toBe(3);
    expect(boundedEditDistance('', 'abc', 2)).toBe(3);
    expect(boundedEditDistance('', 'ab', 2)).toBe(2);
  });

  it('is symmetric', () => {
    for (const [a, b] of [
      ['receipt', 'reciept'],
      ['budget', 'budegt'],
      ['form', 'from'],
      ['abc', 'ca'],
    ] as const) {
      expect(boundedEditDistance(a, b, 3)).toBe(boundedEditDistance(b, a, 3));
    }
  });

  it('agrees with an unbounded reference on many pairs, capped at bound + 1', () => {
    const words = [
      '',
      'a',
      'ab',
      'ba',
      'abc',
      'acb',
      'ca',
      'memo',
      'demo',
      'menu',
      'invoice',
      'lnvoice',
      'invoices',
      'voice',
      'ca ab',
      'abab',
      'baba',
    ];
    for (const a of words) {
      for (const b of words) {
        for (const bound of [0, 1, 2, 3]) {
          expect(boundedEditDistance(a, b, bound), `${a} / ${b} / ${bound}`).toBe(Math.min(reference(a, b), bound + 1));
        }
      }
    }
  });
});

describe('withinEdits', () => {
  it('says whether two strings are within the bound', () => {
    expect(withinEdits('lnvoice', 'invoice', 1)).toBe(true);
    expect(withinEdits('lnvoce', 'invoice', 1)).toBe(false);
    expect(withinEdits('lnvoce', 'invoice', 2)).toBe(true);
  });
});
