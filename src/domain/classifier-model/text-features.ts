/**
 * Text features for the local classifier: word 1–2-grams, and character 3–5-grams of each
 * whitespace-separated token padded with one space (like scikit-learn's `char_wb`), counted per
 * document. Character n-grams carry most of the signal on noisy OCR: "memorandum" read as
 * "rnemorandum" still shares most of its n-grams, and punctuation such as "to:" or "$1" survives.
 */

const WORD = /\p{L}[\p{L}'’]*\p{L}/gu;

/** Lower-cased words of two or more letters. */
export const wordTokens = (text: string): string[] => text.toLowerCase().match(WORD) ?? [];

export interface TextFeatureOptions {
  /** Character n-gram lengths, inclusive. */
  readonly charMin: number;
  readonly charMax: number;
  /** Only the first this many tokens count: long documents should not drown short ones. */
  readonly maxTokens: number;
}

export const DEFAULT_TEXT_FEATURES: TextFeatureOptions = { charMin: 3, charMax: 5, maxTokens: 5000 };

/** The block a term belongs to: `w` word n-grams, `c` character n-grams. Each block is normalised on its own. */
export type TermBlock = 'w' | 'c';
export const blockOf = (term: string): TermBlock => (term.startsWith('c:') ? 'c' : 'w');

/** Term counts of one document, keyed `w:<word>`, `w:<word> <word>` and `c:<chars>`. */
export const termCounts = (text: string, options: TextFeatureOptions = DEFAULT_TEXT_FEATURES): Map<string, number> => {
  const counts = new Map<string, number>();
  const add = (key: string): void => {
    counts.set(key, (counts.get(key) ?? 0) + 1);
  };
  const words = wordTokens(text).slice(0, options.maxTokens);
  for (let i = 0; i < words.length; i++) {
    add(`w:${words[i] ?? ''}`);
    if (i > 0) add(`w:${words[i - 1] ?? ''} ${words[i] ?? ''}`);
  }
  const raw = text.toLowerCase().split(/\s+/u).filter(Boolean).slice(0, options.maxTokens);
  for (const t of raw) {
    const padded = ` ${t} `;
    for (let n = options.charMin; n <= options.charMax; n++) {
      if (padded.length < n) break;
      for (let k = 0; k + n <= padded.length; k++) add(`c:${padded.slice(k, k + n)}`);
    }
  }
  return counts;
};
