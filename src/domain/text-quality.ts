/**
 * Decides whether a PDF page's text layer is real text or the garbage a broken font encoding leaves
 * behind (a font without a usable ToUnicode map yields glyph ids, private-use codepoints or control
 * characters instead of letters). Extract uses the verdict to OCR such pages instead of trusting
 * their layer. Pure: it sees only the string, never logs it, and the result carries no text.
 *
 * Every threshold below was set against the public PDF corpus (30 files, 209 pages with text:
 * English, French, Chinese, Japanese, number tables, rotated tables, an OCR layer, and one broken
 * encoding). The figures quoted in the comments are from that corpus.
 */

export type TextLayerReason = 'OK' | 'EMPTY' | 'TOO_SHORT' | 'GARBAGE_ENCODING' | 'NO_WORDS';

export interface TextLayerAssessment {
  /** Whether the layer can be used as the page's text. Exactly when `reason` is 'OK' and `score >= 0.5`. */
  readonly usable: boolean;
  /** 0–1: the weakest of the checks below, each mapped onto 0–1; 0.5 is the pass mark. */
  readonly score: number;
  readonly reason: TextLayerReason;
}

/** A score at or above this is usable. Every ramp below crosses it half-way between its ends. */
const PASS_SCORE = 0.5;

/**
 * Fewer non-space characters than this is too little text to judge, and too little to be worth
 * keeping over OCR: it is what a scan with a stamped page or Bates number carries. The shortest
 * real page in the corpus has 26.
 */
const MIN_CHARS = 16;

/**
 * Control, private-use, surrogate, unassigned and replacement characters. Real layers have a few:
 * symbol-font bullets and check marks land in the private-use area (U+F0A7, U+F0FC), and Windows-1252
 * quotes decoded as Latin-1 become C1 controls (U+0093). The worst real page has 0.6% of its
 * characters here; a layer from a font with no Unicode map is mostly such characters.
 * A character standing alone between spaces is a bullet or a check box far more often than text, so
 * it weighs a quarter. The share is scored 1 up to 5% and 0 from 20%.
 */
const BAD_CHAR = /[\p{Cc}\p{Co}\p{Cs}\p{Cn}\uFFFD]/u;
const ISOLATED_BAD_WEIGHT = 0.25;
const BAD_SHARE_GOOD = 0.05;
const BAD_SHARE_BAD = 0.2;

/**
 * Share of symbols and punctuation among the non-space characters, once runs of one character are
 * collapsed (dot leaders in a table of contents are 60% of such a page otherwise, but 7% collapsed).
 * The highest real page has 27% (a Chinese form with full-width colons and brackets); a page of
 * TypeScript and C in the unit tests has 27% too. Scored 1 up to 55% and 0 from 85%, so a layer
 * fails when symbols outnumber everything else more than two to one (70%).
 */
const SYMBOL_SHARE_GOOD = 0.55;
const SYMBOL_SHARE_BAD = 0.85;

/**
 * Tokens with a symbol wedged between two letters of an alphabetic script ("a#b", "Ifm§p"). Word
 * joiners (- ' ’ . , / & _ : @ and brackets) do not count. Real pages reach 3% (file paths, "1+e−x");
 * code with operators written tight ("x=y;", "a<b") more. Scored 1 up to 25% and 0 from 50%, and only
 * with at least 20 tokens, so a formula or two on a short page cannot decide.
 */
const MIXED_TOKEN =
  /[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}][^\p{L}\p{N}\p{M}\s\-'’.,/&_:@()[\]{}]+[\p{Script=Latin}\p{Script=Cyrillic}\p{Script=Greek}]/u;
const MIXED_SHARE_GOOD = 0.25;
const MIXED_SHARE_BAD = 0.5;
const MIN_TOKENS = 20;

/**
 * Shannon entropy of the letters (case and accents folded), in bits. Any language has a spread of
 * letters; a broken encoding that maps glyph ids onto a handful of codes does not. Over every window
 * of 60 consecutive letters in the corpus, real text never went below 2.76 bits (median 3.83; a
 * whole page never below 3.12), while the broken layer never went above 1.63 (1.38 for its page:
 * 6 distinct letters, "a" at 65%). Ideographic scripts are far higher (Chinese pages: 5.9 and up).
 * Scored 0 at 2.0 bits and 1 from 2.8, so the pass mark is 2.4; only judged with at least 60
 * letters, below which a window of real text can dip under 2 bits.
 */
const ENTROPY_BAD = 2.0;
const ENTROPY_GOOD = 2.8;
const MIN_LETTERS = 60;

/**
 * Share of Latin words (3+ letters, not all capitals) without a vowel or y. Every Latin-script
 * language spells nearly all words with one; the exceptions are abbreviations (Ltd, Blvd, Jkt, Chq).
 * The worst real page had 23% (a ledger: "Pvt Ltd Chq"); the Federal Register's typesetting
 * footer ("Jkt Frm Fmt Sfmt") gives 1–13%. Consonant soup is ~100%. All-capitals words
 * are left out because acronyms (NICS, HTML) legitimately lack vowels. Scored 1 up to 35% and 0
 * from 65%, with at least 20 such words.
 */
const LATIN_VOWEL = /[aeiouy]/;
// Addresses are left out: "www", "http" and host names are vowel-less by convention, and a Chinese
// report's only Latin words were its "www.cninfo.com" links (40% vowel-less before this).
const URL_LIKE = /:\/\/|^\(?www\.|@/iu;
const VOWELLESS_SHARE_GOOD = 0.35;
const VOWELLESS_SHARE_BAD = 0.65;
const MIN_LATIN_WORDS = 20;

/** Maps `value` onto 1 at `good` and 0 at `bad` (either order), linearly between. */
const ramp = (value: number, good: number, bad: number): number => {
  const t = (value - bad) / (good - bad);
  return Math.min(1, Math.max(0, t));
};

/** Lower-case base letter: "É" → "e", so accents and case do not split a letter's count. */
const foldLetter = (char: string): string => char.normalize('NFD').replace(/\p{M}/gu, '').toLowerCase();

const entropyBits = (counts: ReadonlyMap<string, number>, total: number): number => {
  let bits = 0;
  for (const count of counts.values()) {
    const p = count / total;
    bits -= p * Math.log2(p);
  }
  return bits;
};

const verdict = (score: number, reason: TextLayerReason): TextLayerAssessment => ({
  usable: reason === 'OK',
  score,
  reason,
});

/** Scores a page's text layer (see the module comment); the result never contains the text. */
export const assessTextLayer = (text: string): TextLayerAssessment => {
  // Code points, so astral characters and lone surrogates each count once.
  const chars = Array.from(text);
  const isSpace = (char: string | undefined): boolean => char === undefined || /\s/u.test(char);

  let visible = 0;
  let badWeight = 0;
  let wordChars = 0;
  const compact: string[] = [];
  const letterCounts = new Map<string, number>();
  let letters = 0;
  chars.forEach((char, i) => {
    if (isSpace(char)) return;
    visible += 1;
    if (BAD_CHAR.test(char)) {
      badWeight += isSpace(chars[i - 1]) && isSpace(chars[i + 1]) ? ISOLATED_BAD_WEIGHT : 1;
    } else if (/\p{L}/u.test(char)) {
      wordChars += 1;
      letters += 1;
      const folded = foldLetter(char);
      letterCounts.set(folded, (letterCounts.get(folded) ?? 0) + 1);
    } else if (/\p{N}/u.test(char)) {
      wordChars += 1;
    }
    if (compact[compact.length - 1] !== char) compact.push(char);
  });

  if (visible === 0) return verdict(0, 'EMPTY');

  // Checked before anything else: a layer of private-use codepoints has no letters either, but it
  // is an encoding failure, not a page of rules and bullets.
  const badScore = ramp(badWeight / visible, BAD_SHARE_GOOD, BAD_SHARE_BAD);
  if (badScore < PASS_SCORE) return verdict(badScore, 'GARBAGE_ENCODING');

  if (wordChars === 0) return verdict(0, 'NO_WORDS');
  if (visible < MIN_CHARS) return verdict(Math.min(badScore, (PASS_SCORE * visible) / MIN_CHARS), 'TOO_SHORT');

  const symbols = compact.filter((char) => /[\p{S}\p{P}]/u.test(char)).length;
  const symbolScore = ramp(symbols / compact.length, SYMBOL_SHARE_GOOD, SYMBOL_SHARE_BAD);

  const tokens = text.split(/\s+/u).filter((token) => token.length >= 3);
  const mixedScore =
    tokens.length >= MIN_TOKENS
      ? ramp(tokens.filter((token) => MIXED_TOKEN.test(token)).length / tokens.length, MIXED_SHARE_GOOD, MIXED_SHARE_BAD)
      : 1;

  const entropyScore = letters >= MIN_LETTERS ? ramp(entropyBits(letterCounts, letters), ENTROPY_GOOD, ENTROPY_BAD) : 1;

  const latinWords = text
    .split(/\s+/u)
    .filter((token) => !URL_LIKE.test(token))
    .flatMap((token) => token.match(/\p{Script=Latin}{3,}/gu) ?? [])
    .filter((word) => word !== word.toUpperCase());
  const vowelScore =
    latinWords.length >= MIN_LATIN_WORDS
      ? ramp(
          latinWords.filter((word) => !LATIN_VOWEL.test(foldLetter(word))).length / latinWords.length,
          VOWELLESS_SHARE_GOOD,
          VOWELLESS_SHARE_BAD,
        )
      : 1;

  const score = Math.min(badScore, symbolScore, mixedScore, entropyScore, vowelScore);
  return verdict(score, score < PASS_SCORE ? 'GARBAGE_ENCODING' : 'OK');
};
