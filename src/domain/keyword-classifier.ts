import type { Classification, Extraction } from './document.js';
import type { DocumentClassSpec } from '../config/schema.js';
import { withinEdits } from './edit-distance.js';
import { ConfigError } from './errors.js';
import { UNCLASSIFIED, type Classifier } from '../ports/classifier.js';

/** Evidence (score) at which a class with no competitor reaches full confidence. */
const FULL_EVIDENCE = 4;
const KEYWORD_POINTS = 1;
const PATTERN_POINTS = 2;
/** Shorter keywords never match fuzzily: one edit turns "memo" into "demo" or "menu". */
const MIN_FUZZY_LETTERS = 5;

const CLASSIFIER_NAME = 'rules';

/**
 * Lower case, compatibility forms and no diacritics, so "ﬁscal" (a PDF ligature), "Café" and "CAFE"
 * compare equal. Applied alike to keywords and text.
 */
const normalise = (s: string): string => s.normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

const WORD = /[\p{L}\p{N}]+/gu;
/** A keyword made only of words separated by whitespace is matched on tokens (and may be fuzzy). */
const WORDS_ONLY = /^[\p{L}\p{N}]+(?:\s+[\p{L}\p{N}]+)*$/u;
const LETTER = /\p{L}/gu;

/**
 * Patterns are compiled in Unicode mode only when they need it: property escapes (`\p{L}`),
 * code-point escapes (`\u{1F600}`) or characters outside the BMP. Any other pattern the schema
 * accepts matches document text alike in both modes (they differ only on characters outside the BMP
 * and a few case-folding oddities such as "ſ"), but V8's case-insensitive Unicode mode loses its fast
 * scan for a pattern that starts with `\b`, which then runs some 30 times slower on a long document.
 */
const NEEDS_UNICODE_MODE = /\\[pP]|\\u\{|[\u{10000}-\u{10FFFF}]/u;

const escapeRegex = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** A keyword given as words ("total due"): compared with runs of the same number of text words. */
interface WordKeyword {
  readonly kind: 'words';
  /** Normalised words joined by single spaces; also the cache key. */
  readonly phrase: string;
  readonly words: readonly string[];
  /** Edits tolerated; 0 unless the class asks for fuzzy matching and the keyword has enough letters. */
  readonly fuzzy: number;
}

/** A keyword with punctuation ("from:", "a.b"): an exact, case-insensitive whole-word regex. */
interface RegexKeyword {
  readonly kind: 'regex';
  readonly regex: RegExp;
}

type Keyword = WordKeyword | RegexKeyword;

interface CompiledClass {
  readonly name: string;
  readonly all: boolean;
  readonly keywords: readonly Keyword[];
  readonly patterns: readonly RegExp[];
}

const compileKeyword = (keyword: string, fuzzy: number): Keyword => {
  const normalised = normalise(keyword).trim();
  if (WORDS_ONLY.test(normalised)) {
    const words = normalised.split(/\s+/);
    const letters = normalised.match(LETTER)?.length ?? 0;
    return { kind: 'words', phrase: words.join(' '), words, fuzzy: letters >= MIN_FUZZY_LETTERS ? fuzzy : 0 };
  }
  const body = escapeRegex(keyword.trim()).replace(/\s+/g, '\\s+');
  return { kind: 'regex', regex: new RegExp(`(?<![\\p{L}\\p{N}])${body}(?![\\p{L}\\p{N}])`, 'iu') };
};

const compileClass = (spec: DocumentClassSpec): CompiledClass => ({
  name: spec.name,
  all: spec.match === 'all',
  keywords: spec.keywords.map((k) => compileKeyword(k, spec.fuzzy)),
  patterns: spec.patterns.map((p, i) => {
    try {
      return new RegExp(p, NEEDS_UNICODE_MODE.test(p) ? 'imu' : 'im');
    } catch {
      // The schema already rejects these; this guards classes built in code. Never echo the pattern.
      throw new ConfigError(`classify.classes: class "${spec.name}" has an invalid regular expression at patterns.${i}.`);
    }
  }),
});

/**
 * Which characters a string contains, as 32 bits (a–z on their own, anything else hashed onto the
 * rest; spaces ignored). One edit changes at most two bits, so two strings whose signatures differ
 * in more than 2n bits cannot be within n edits: a cheap test that skips almost every candidate.
 */
const letterSignature = (s: string): number => {
  let bits = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 32) continue;
    bits |= 1 << (c >= 97 && c <= 122 ? c - 97 : 26 + (c % 6));
  }
  return bits;
};

const popCount = (n: number): number => {
  let v = n - ((n >>> 1) & 0x55555555);
  v = (v & 0x33333333) + ((v >>> 2) & 0x33333333);
  return (Math.imul((v + (v >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
};

/** Distinct words of the text with the same length, and their letter signatures (same order). */
interface Bucket {
  readonly words: string[];
  readonly signatures: number[];
}

/**
 * The text of one classify call as words, built once and shared by every class. A multi-word
 * keyword matches a run of as many words separated by whitespace only, as the exact regexes did
 * ("total due" does not match "total, due"). Fuzzy lookups only compare candidates whose length is
 * within the edit bound and whose letter signature is close enough, so a long document with many
 * keywords still classifies in a few milliseconds.
 */
class TextIndex {
  private readonly words: string[] = [];
  /** joined[i]: whether words i and i+1 are separated by whitespace only. */
  private readonly joined: boolean[] = [];
  /** Where each distinct word occurs. */
  private readonly positions = new Map<string, number[]>();
  private signatures: number[] | undefined;
  private buckets: Map<number, Bucket> | undefined;
  private readonly cache = new Map<string, boolean>();

  constructor(text: string) {
    const normalised = normalise(text);
    let end = -1;
    for (const m of normalised.matchAll(WORD)) {
      const word = m[0];
      if (end >= 0) this.joined.push(/^\s+$/.test(normalised.slice(end, m.index)));
      const at = this.positions.get(word);
      if (at) at.push(this.words.length);
      else this.positions.set(word, [this.words.length]);
      this.words.push(word);
      end = m.index + word.length;
    }
  }

  /** Whether the text has the keyword's words in a row, or a run of as many words within `fuzzy` edits. */
  has(keyword: WordKeyword): boolean {
    const key = `${keyword.fuzzy}\u0000${keyword.phrase}`;
    let found = this.cache.get(key);
    if (found === undefined) {
      found =
        this.hasExactly(keyword) ||
        (keyword.fuzzy > 0 && (keyword.words.length === 1 ? this.hasNearWord(keyword) : this.hasNearRun(keyword)));
      this.cache.set(key, found);
    }
    return found;
  }

  private hasExactly({ words }: WordKeyword): boolean {
    const [first = '', ...rest] = words;
    const starts = this.positions.get(first) ?? [];
    return starts.some((i) => rest.every((w, j) => this.joined[i + j] === true && this.words[i + j + 1] === w));
  }

  /** One word: compare the distinct words of a close length and signature. */
  private hasNearWord({ phrase, fuzzy }: WordKeyword): boolean {
    const signature = letterSignature(phrase);
    for (let d = -fuzzy; d <= fuzzy; d++) {
      const bucket = this.bucketsByLength().get(phrase.length + d);
      if (!bucket) continue;
      for (let i = 0; i < bucket.words.length; i++) {
        if (popCount((bucket.signatures[i] ?? 0) ^ signature) <= 2 * fuzzy && withinEdits(bucket.words[i] ?? '', phrase, fuzzy))
          return true;
      }
    }
    return false;
  }

  /** Several words: slide over runs of as many words, building a run's text only when it may be close. */
  private hasNearRun({ phrase, words, fuzzy }: WordKeyword): boolean {
    const signature = letterSignature(phrase);
    const signatures = this.wordSignatures();
    const n = words.length;
    outer: for (let i = 0; i + n <= this.words.length; i++) {
      let length = n - 1;
      let bits = 0;
      for (let j = i; j < i + n; j++) {
        if (j > i && this.joined[j - 1] !== true) continue outer;
        length += this.words[j]?.length ?? 0;
        bits |= signatures[j] ?? 0;
      }
      if (Math.abs(length - phrase.length) > fuzzy || popCount(bits ^ signature) > 2 * fuzzy) continue;
      if (withinEdits(this.words.slice(i, i + n).join(' '), phrase, fuzzy)) return true;
    }
    return false;
  }

  private wordSignatures(): number[] {
    this.signatures ??= this.words.map(letterSignature);
    return this.signatures;
  }

  private bucketsByLength(): Map<number, Bucket> {
    if (this.buckets) return this.buckets;
    const buckets = new Map<number, Bucket>();
    for (const word of this.positions.keys()) {
      let bucket = buckets.get(word.length);
      if (!bucket) {
        bucket = { words: [], signatures: [] };
        buckets.set(word.length, bucket);
      }
      bucket.words.push(word);
      bucket.signatures.push(letterSignature(word));
    }
    this.buckets = buckets;
    return buckets;
  }
}

const byScoreThenName = (a: { documentClass: string; score: number }, b: { documentClass: string; score: number }): number =>
  b.score - a.score || (a.documentClass < b.documentClass ? -1 : a.documentClass > b.documentClass ? 1 : 0);

export interface KeywordClassifierOptions {
  /** How many alternatives to keep, the winner included (default 3). */
  readonly topK?: number;
}

/**
 * The zero-shot default (`rules`): per class, keywords (1 point each) and regular expressions
 * (2 points each), counted once however often they occur.
 *
 * - Keywords are case-insensitive whole words; a multi-word keyword matches across any whitespace.
 *   With `fuzzy: n`, a keyword of 5+ letters also matches a word (or run of as many words) within
 *   n edits, so OCR slips like "lnvoice" or "statment" still count. Keywords with punctuation
 *   ("from:") are always exact.
 * - With `match: all`, a class scores only if every keyword and pattern matches, else 0.
 *
 * Confidence = share × coverage, where share is the winner's fraction of all evidence (how clearly
 * it beats the others) and coverage = min(1, score / 4) (how much evidence there is at all). A page
 * that matches one stray keyword thus stays well below the default review threshold of 0.5.
 * Alternatives are the top-k classes with evidence, best first, ties broken by class name, so the
 * same text always gives the same answer. No evidence at all gives `unclassified` with confidence 0.
 */
export const createKeywordClassifier = (classes: readonly DocumentClassSpec[], options: KeywordClassifierOptions = {}): Classifier => {
  const topK = options.topK ?? 3;
  if (!Number.isInteger(topK) || topK < 1) throw new ConfigError('classify.topK: expected an integer of at least 1.');
  const compiled = classes.map(compileClass);

  const scoreOf = (c: CompiledClass, text: string, index: TextIndex): number => {
    let score = 0;
    for (const k of c.keywords) {
      const hit = k.kind === 'words' ? index.has(k) : k.regex.test(text);
      if (hit) score += KEYWORD_POINTS;
      else if (c.all) return 0;
    }
    for (const p of c.patterns) {
      if (p.test(text)) score += PATTERN_POINTS;
      else if (c.all) return 0;
    }
    return score;
  };

  return {
    name: CLASSIFIER_NAME,
    needsText: true,
    classify: (extraction: Extraction): Promise<Classification> => {
      const text = extraction.text;
      const index = new TextIndex(text);
      const scores = compiled.map((c) => ({ documentClass: c.name, score: scoreOf(c, text, index) })).filter((s) => s.score > 0);
      scores.sort(byScoreThenName);
      const best = scores[0];
      if (!best) {
        return Promise.resolve({ documentClass: UNCLASSIFIED, confidence: 0, classifier: CLASSIFIER_NAME, alternatives: [] });
      }
      const total = scores.reduce((n, s) => n + s.score, 0);
      const share = best.score / total;
      const coverage = Math.min(1, best.score / FULL_EVIDENCE);
      return Promise.resolve({
        documentClass: best.documentClass,
        confidence: Math.round(share * coverage * 1000) / 1000,
        classifier: CLASSIFIER_NAME,
        alternatives: scores.slice(0, topK),
      });
    },
  };
};
