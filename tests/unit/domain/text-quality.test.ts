import { describe, expect, it } from 'vitest';
import { mulberry32 } from '../../../src/domain/random.js';
import { assessTextLayer, type TextLayerAssessment } from '../../../src/domain/text-quality.js';

/** A seeded generator, so the soups are the same on every run. */
const random = mulberry32;

/** `count` words of 3–7 characters drawn from `alphabet`, capitalised now and then, in lines of 8. */
const soup = (alphabet: string, count: number, seed: number): string => {
  const next = random(seed);
  const pick = (): string => alphabet[Math.floor(next() * alphabet.length)] ?? '';
  const words: string[] = [];
  for (let i = 0; i < count; i += 1) {
    let word = '';
    const length = 3 + Math.floor(next() * 5);
    for (let j = 0; j < length; j += 1) word += pick();
    words.push(next() < 0.3 ? word.charAt(0).toUpperCase() + word.slice(1) : word);
  }
  return words.map((word, i) => (i % 8 === 7 ? `${word}\n` : `${word} `)).join('');
};

const ENGLISH = [
  'Invoice 2024-0117',
  'Thank you for your order. Payment is due within thirty days of the invoice date.',
  'Please quote the invoice number on every remittance and send questions to our accounts team.',
  'Late payments may incur interest at the statutory rate.',
].join('\n');

const FRENCH = [
  'Procès-verbal de la séance du conseil municipal du 20 juin 2023',
  'Étaient présents : le maire, les conseillères et conseillers à l’exception de M. Côté.',
  'Le conseil a adopté à l’unanimité le règlement numéro 1234 relatif à la sécurité des piétons.',
  'Ça a été une année où les élus ont dû prévoir des dépenses supplémentaires pour l’entretien des routes.',
].join('\n');

const JAPANESE = [
  '冬が来ると、地面は雪で覆われていました。',
  'アリは夏の間ずっと働いて、冬のために食べ物を集めていました。',
  'キリギリスは歌ってばかりいて、何も準備しませんでした。',
  '「私は冬の餌を集めています。同じことをすることをお勧めします」と言いました。',
].join('\n');

const RUSSIAN =
  'Настоящим сообщаем, что счёт за поставку оборудования должен быть оплачен в течение тридцати дней. ' +
  'Просим указывать номер счёта в назначении платежа.';

const GREEK =
  'Παρακαλούμε να εξοφλήσετε το τιμολόγιο εντός τριάντα ημερών από την ημερομηνία έκδοσης. ' +
  'Για οποιαδήποτε απορία επικοινωνήστε με το λογιστήριο.';

/** A NICS-like table: a few labels, then mostly numbers. */
const NUMBER_TABLE = [
  'State / Territory Permit Handgun Long Gun Other Multiple Admin Totals',
  ...Array.from({ length: 30 }, (_, row) =>
    Array.from({ length: 9 }, (_, col) => ((row + 3) * (col + 7) * 977).toLocaleString('en-US')).join(' '),
  ),
].join('\n');

const NUMBERS_ONLY = Array.from({ length: 20 }, (_, row) => `${String(row + 1)}. ${String(row * 1234.5)} ${String(row * 17)}%`).join('\n');

const CODE = [
  'export const total = (lines: readonly Line[]): number => {',
  '  let sum = 0;',
  '  for (const line of lines) if (line.amount > 0) sum += line.amount * (1 + line.taxRate);',
  '  return Math.round(sum * 100) / 100; // cents',
  '};',
  'if (x == null || y != 3) { obj.items[i] = arr.map((v) => v * 2); }',
  '#include <stdio.h>',
  'int main(int argc, char **argv) { printf("%d\\n", argc); return 0; }',
].join('\n');

const expectUsable = (text: string): TextLayerAssessment => {
  const result = assessTextLayer(text);
  expect(result).toMatchObject({ usable: true, reason: 'OK' });
  expect(result.score).toBeGreaterThanOrEqual(0.5);
  return result;
};

const expectRejected = (text: string, reason: TextLayerAssessment['reason']): TextLayerAssessment => {
  const result = assessTextLayer(text);
  expect(result).toMatchObject({ usable: false, reason });
  expect(result.score).toBeLessThan(0.5);
  return result;
};

describe('assessTextLayer accepts real text', () => {
  it.each([
    ['English', ENGLISH],
    ['French with accents', FRENCH],
    ['Japanese', JAPANESE],
    ['Russian', RUSSIAN],
    ['Greek', GREEK],
    ['a table of numbers with labels', NUMBER_TABLE],
    ['numbers only', NUMBERS_ONLY],
    ['source code', CODE],
  ])('%s', (_name, text) => {
    expect(expectUsable(text).score).toBe(1);
  });

  it('accepts decomposed accents (NFD) as well as composed ones', () => {
    expectUsable(FRENCH.normalize('NFD'));
  });

  it('tolerates symbol-font bullets and check boxes from the private-use area', () => {
    const list = ['Scope of the works', 'Road resurfacing', 'New crossings', 'Cycle lanes on both sides', 'Lighting']
      .map((item) => `\uf0a7 ${item}`)
      .join('\n');
    expectUsable(`${ENGLISH}\n${list}`);
    expectUsable('Applicant details\nResident \uf06f Yes \uf06f No\nOwner \uf06f Yes \uf06f No\nTenant \uf06f Yes \uf06f No');
  });

  it('tolerates dot leaders, abbreviations and addresses', () => {
    const toc = Array.from(
      { length: 12 },
      (_, i) => `${String(i + 1)}. Section title number ${String(i + 1)} ${'.'.repeat(80)} ${String(i * 3 + 4)}`,
    );
    expectUsable(toc.join('\n'));
    // The Federal Register's typesetting footer, once per page as there.
    expectUsable(`${ENGLISH}\nJkt 250001 PO 00000 Frm 00001 Fmt 4702 Sfmt 4702 E:\\FR\\FM\\06AUP1.SGM 06AUP1 Ltd Blvd`);
    const links = Array.from({ length: 12 }, () => '详见 www.cninfo.com.cn 和 https://www.hkexnews.hk 公告');
    expectUsable(links.join('\n'));
  });

  it('tolerates a few Windows-1252 quotes decoded as C1 controls', () => {
    expectUsable(ENGLISH.replace('Thank you', '\u0093Thank you\u0094'));
  });
});

describe('assessTextLayer rejects what is not text', () => {
  it('reports an empty layer', () => {
    for (const text of ['', '   ', '\n\n\t ']) expect(assessTextLayer(text)).toEqual({ usable: false, score: 0, reason: 'EMPTY' });
  });

  it('reports a layer too short to judge, such as a stamped page number', () => {
    for (const text of ['Page 3 of 12', 'ABC000123', '12']) expectRejected(text, 'TOO_SHORT');
  });

  it('reports rules, bullets and leaders without a word as NO_WORDS', () => {
    expectRejected('________________________\n..........\n• • • • • •\n— — —', 'NO_WORDS');
    expectRejected('#$%&*! ?+=<> ^~|\\ ;:!?', 'NO_WORDS');
  });

  it('flags private-use, control and replacement soup', () => {
    const next = random(7);
    const from = (base: number, span: number, count: number): string =>
      Array.from({ length: count }, (_, i) => String.fromCodePoint(base + Math.floor(next() * span)) + (i % 6 === 5 ? ' ' : '')).join('');
    expectRejected(from(0xf020, 0xdf, 400), 'GARBAGE_ENCODING');
    // C0 controls from U+000E on, past the ones that are whitespace.
    expectRejected(from(0x0e, 0x12, 400), 'GARBAGE_ENCODING');
    expectRejected('\ufffd'.repeat(40), 'GARBAGE_ENCODING');
    // Mixed with a minority of ordinary symbols and letters: still mostly undecodable.
    const mixed = Array.from({ length: 60 }, (_, i) => `${from(0xe000, 0x100, 3)}${'#%&*'.charAt(i % 4)}${'ab'.charAt(i % 2)}`).join(' ');
    expectRejected(mixed, 'GARBAGE_ENCODING');
    // Glyph ids spaced one per run: every code is isolated, yet there is nothing else.
    expectRejected(from(0xf041, 0x30, 100).split('').join(' '), 'GARBAGE_ENCODING');
  });

  it('flags ASCII symbol soup, even with real words among it, and letters interleaved with symbols', () => {
    const words = ENGLISH.split(/\s+/);
    const soupWithWords = soup('!#$%&*+<=>?^|~', 300, 1)
      .split(' ')
      .map((token, i) => (i % 4 === 0 ? (words[i % words.length] ?? '') : token))
      .join(' ');
    expectRejected(soupWithWords, 'GARBAGE_ENCODING');
    expectRejected(soup('a#b$c%d^e*f', 300, 2), 'GARBAGE_ENCODING');
  });

  it('flags Latin-looking consonant soup', () => {
    expectRejected('Xkcd Qwrtz Bcdfg '.repeat(40), 'GARBAGE_ENCODING');
    expectRejected(soup('bcdfghjklmnpqrstvwxz', 400, 3), 'GARBAGE_ENCODING');
  });

  it('flags glyph ids mapped onto a handful of letters (a broken font encoding)', () => {
    // What a subset font without a usable ToUnicode map yields: real layout, digits and punctuation,
    // but words spelled from a few codes.
    const lines = soup('aaaabbbgmA', 300, 4)
      .split('\n')
      .map((line, i) => (i % 3 === 0 ? `${line} ${String(i * 7)}-${String(i)} (${String(i + 1)})` : line));
    expectRejected(lines.join('\n'), 'GARBAGE_ENCODING');
  });

  it('needs enough text before letter statistics can reject it', () => {
    // Six vowel-less words are too few to call soup; the same words forty times are not.
    expectUsable(`${ENGLISH}\nXkcd Qwrtz Bcdfg Mgmt Bldg Hwy`);
  });
});

describe('assessTextLayer results', () => {
  const samples = [ENGLISH, FRENCH, JAPANESE, CODE, '', 'Page 1', '....', 'Xkcd Qwrtz Bcdfg '.repeat(40), '\ue000'.repeat(50)];

  it('are usable exactly when the reason is OK and the score reaches 0.5', () => {
    for (const text of samples) {
      const { usable, score, reason } = assessTextLayer(text);
      expect(usable).toBe(reason === 'OK');
      expect(usable).toBe(score >= 0.5);
      expect(score).toBeGreaterThanOrEqual(0);
      expect(score).toBeLessThanOrEqual(1);
    }
  });

  it('never carry the text', () => {
    for (const text of samples) expect(Object.keys(assessTextLayer(text)).sort()).toEqual(['reason', 'score', 'usable']);
  });

  it('handle a long page', () => {
    const page = `${ENGLISH}\n`.repeat(200);
    expectUsable(page);
  });
});
