import type { FieldValue } from './document.js';
import { normalizeForComparison } from './fields/compare.js';

/**
 * Extraction evaluation: ground truth in, metrics out. Pure (no I/O, no clock), so the CLI, a
 * notebook-style script or a test can score the same results the same way.
 */

// ---------------------------------------------------------------------------------------------
// Ground truth

/** Field name → labelled value. Only scalar, non-empty labels are kept. */
export type GroundTruth = Readonly<Record<string, FieldValue>>;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const scalar = (v: unknown): FieldValue | undefined => {
  if (typeof v === 'number' && Number.isFinite(v)) return v;
  // SROIE leaves a few labels empty ("total": ""): that is "not labelled", not "expect nothing".
  if (typeof v === 'string' && v.trim() !== '') return v;
  return undefined;
};

const SROIE_FIELDS = ['company', 'date', 'address', 'total'] as const;

/** A SROIE `<name>.json`: `{ company, date, address, total }`, all strings. Null when it is not one. */
export const sroieGroundTruth = (json: unknown): GroundTruth | null => {
  if (!isRecord(json) || !SROIE_FIELDS.some((k) => k in json)) return null;
  const truth: Record<string, FieldValue> = {};
  for (const key of SROIE_FIELDS) {
    const v = scalar(json[key]);
    if (v !== undefined) truth[key] = v;
  }
  return truth;
};

/** invoice2data's key → our field name. Only these are kept: the rest have no counterpart yet. */
const INVOICE_FIELDS: Readonly<Record<string, string>> = {
  issuer: 'issuer',
  amount: 'total',
  date: 'date',
  invoice_number: 'invoice_number',
  currency: 'currency',
};

/** An invoice2data `<name>.expected.json`: a list with one object. Null when it is not one. */
export const invoiceGroundTruth = (json: unknown): GroundTruth | null => {
  const first: unknown = Array.isArray(json) ? json[0] : undefined;
  if (!isRecord(first)) return null;
  const truth: Record<string, FieldValue> = {};
  for (const [from, to] of Object.entries(INVOICE_FIELDS)) {
    const v = scalar(first[from]);
    if (v !== undefined) truth[to] = v;
  }
  return truth;
};

// ---------------------------------------------------------------------------------------------
// Field comparison

export interface FieldComparison {
  readonly field: string;
  readonly expected: FieldValue;
  /** Null when the extractor found nothing: that counts as wrong. */
  readonly extracted: FieldValue | null;
  /** What was actually compared (see `normalizeForComparison`; "" for no value), so a reader sees why. */
  readonly expectedNormalized: string;
  readonly extractedNormalized: string;
  readonly correct: boolean;
}

/**
 * Compares the fields that both the ground truth and the class's field specs know, in spec order.
 * A label the extractor is not configured for is not its error, so it is listed as skipped instead.
 */
export const compareFields = (
  truth: GroundTruth,
  specFields: readonly string[],
  extracted: Readonly<Record<string, FieldValue>>,
): { compared: FieldComparison[]; skipped: string[] } => {
  const compared: FieldComparison[] = [];
  for (const field of new Set(specFields)) {
    const expected = truth[field];
    if (expected === undefined) continue;
    const got = extracted[field] ?? null;
    const expectedNormalized = normalizeForComparison(field, expected);
    const extractedNormalized = normalizeForComparison(field, got);
    compared.push({
      field,
      expected,
      extracted: got,
      expectedNormalized,
      extractedNormalized,
      // Two missing values are not a match: an empty label was dropped earlier, so "" means "not found".
      correct: expectedNormalized !== '' && expectedNormalized === extractedNormalized,
    });
  }
  const skipped = Object.keys(truth).filter((k) => !specFields.includes(k));
  return { compared, skipped };
};

// ---------------------------------------------------------------------------------------------
// Character error rate

/**
 * Edit distance (insert, delete, substitute; cost 1 each) over Unicode code points. Two rows of
 * the DP matrix over the shorter string, after trimming the common prefix and suffix: O(n·m) time,
 * O(min(n, m)) memory, a few milliseconds for two pages of text.
 */
export const levenshtein = (a: string, b: string): number => {
  const codes = (text: string): Uint32Array => Uint32Array.from(text, (ch) => ch.codePointAt(0) ?? 0);
  let s = codes(a);
  let t = codes(b);
  let start = 0;
  while (start < s.length && start < t.length && s[start] === t[start]) start += 1;
  let endS = s.length;
  let endT = t.length;
  while (endS > start && endT > start && s[endS - 1] === t[endT - 1]) {
    endS -= 1;
    endT -= 1;
  }
  s = s.subarray(start, endS);
  t = t.subarray(start, endT);
  if (s.length < t.length) [s, t] = [t, s];
  const n = t.length;
  if (n === 0) return s.length;

  let prev = new Uint32Array(n + 1);
  let cur = new Uint32Array(n + 1);
  for (let j = 0; j <= n; j++) prev[j] = j;
  for (let i = 1; i <= s.length; i++) {
    const si = s[i - 1];
    // The left and diagonal neighbours ride along in locals: one array read per cell.
    let left = i;
    let diag = i - 1;
    cur[0] = i;
    for (let j = 1; j <= n; j++) {
      const up = prev[j] ?? 0;
      let v = diag + (si === t[j - 1] ? 0 : 1);
      if (up + 1 < v) v = up + 1;
      if (left + 1 < v) v = left + 1;
      cur[j] = v;
      diag = up;
      left = v;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[n] ?? 0;
};

/** Runs of whitespace (line breaks, form feeds between pages, tabs) count as one space. */
export const normalizeWhitespace = (text: string): string => text.replace(/\s+/gu, ' ').trim();

export interface CerResult {
  readonly distance: number;
  /** Code points in the whitespace-normalised reference. */
  readonly referenceChars: number;
  /** distance / referenceChars; can exceed 1 when the extraction adds a lot of text. */
  readonly cer: number;
}

/** CER of `hypothesis` (the extracted text) against `reference` (the transcript). */
export const characterErrorRate = (reference: string, hypothesis: string): CerResult => {
  const ref = normalizeWhitespace(reference);
  const hyp = normalizeWhitespace(hypothesis);
  const distance = levenshtein(ref, hyp);
  const referenceChars = Array.from(ref).length;
  // An empty transcript is perfect only against an empty extraction.
  const cer = referenceChars === 0 ? (distance === 0 ? 0 : 1) : distance / referenceChars;
  return { distance, referenceChars, cer };
};

// ---------------------------------------------------------------------------------------------
// Split

export const SPLITS = ['all', 'tune', 'holdout'] as const;
export type Split = (typeof SPLITS)[number];

/** FNV-1a over UTF-16 code units, then murmur3's finaliser so that nearby names spread evenly. */
const hash32 = (text: string): number => {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
};

/**
 * Which half a document belongs to. Decided by its name and the seed alone, never by which other
 * documents are present: adding files, `--limit` or `--class` never moves a document from the half
 * you tuned on into the half you report on. The price is that halves are equal only on average.
 */
export const splitOf = (key: string, seed: number): 'tune' | 'holdout' => (hash32(`${seed}\u0000${key}`) < 0x80000000 ? 'tune' : 'holdout');

export const inSplit = (key: string, split: Split, seed: number): boolean => split === 'all' || splitOf(key, seed) === split;

// ---------------------------------------------------------------------------------------------
// Results and aggregation

export interface DocumentResult {
  /** The document's path relative to the evaluated folder. */
  readonly name: string;
  readonly documentClass: string;
  readonly documentId: string | null;
  /** The text came from an earlier extraction's checkpoint (no reading or OCR this time). */
  readonly cached: boolean;
  /** The error's class name when extraction failed; every labelled field then counts as wrong. */
  readonly error: string | null;
  readonly fields: readonly FieldComparison[];
  /** Labelled fields the class's field specs do not extract. */
  readonly skippedFields: readonly string[];
  /** Null when there is no transcript beside the document. */
  readonly cer: CerResult | null;
}

export interface Tally {
  /** Documents with this field labelled. */
  readonly n: number;
  readonly correct: number;
  /** correct / n, in [0, 1]; 0 when n is 0. */
  readonly accuracy: number;
}

export interface FieldAccuracy extends Tally {
  readonly documentClass: string;
  readonly field: string;
}

export interface CerSummary {
  /** Documents with a transcript. */
  readonly documents: number;
  readonly distance: number;
  readonly referenceChars: number;
  /** Total distance / total reference characters: long documents weigh more. */
  readonly cer: number;
  /** Mean of per-document CERs: every document weighs the same. */
  readonly meanCer: number;
}

export interface ClassSummary extends Tally {
  readonly documentClass: string;
  readonly documents: number;
  readonly errors: number;
  readonly cer: CerSummary | null;
  /** Labelled fields this class's field specs do not extract: not scored, listed so nobody assumes they were. */
  readonly skippedFields: readonly string[];
}

export interface EvalSummary {
  readonly documents: number;
  readonly cached: number;
  readonly errors: number;
  readonly fields: readonly FieldAccuracy[];
  readonly classes: readonly ClassSummary[];
  /** Every compared field of every document. */
  readonly overall: Tally;
  readonly cer: CerSummary | null;
}

const tally = (n: number, correct: number): Tally => ({ n, correct, accuracy: n === 0 ? 0 : correct / n });

export const summarizeCer = (results: readonly DocumentResult[]): CerSummary | null => {
  const cers = results.flatMap((r) => (r.cer ? [r.cer] : []));
  if (cers.length === 0) return null;
  const distance = cers.reduce((s, c) => s + c.distance, 0);
  const referenceChars = cers.reduce((s, c) => s + c.referenceChars, 0);
  return {
    documents: cers.length,
    distance,
    referenceChars,
    cer: referenceChars === 0 ? (distance === 0 ? 0 : 1) : distance / referenceChars,
    meanCer: cers.reduce((s, c) => s + c.cer, 0) / cers.length,
  };
};

/** Per-field accuracy (per class, in order of first appearance), per-class totals, CER. */
export const summarize = (results: readonly DocumentResult[]): EvalSummary => {
  const perField = new Map<string, { documentClass: string; field: string; n: number; correct: number }>();
  const classes = new Map<string, DocumentResult[]>();
  for (const r of results) {
    const list = classes.get(r.documentClass) ?? [];
    list.push(r);
    classes.set(r.documentClass, list);
    for (const f of r.fields) {
      const key = `${r.documentClass}\u0000${f.field}`;
      const t = perField.get(key) ?? { documentClass: r.documentClass, field: f.field, n: 0, correct: 0 };
      t.n += 1;
      if (f.correct) t.correct += 1;
      perField.set(key, t);
    }
  }
  const fields = [...perField.values()].map((t) => ({ documentClass: t.documentClass, field: t.field, ...tally(t.n, t.correct) }));
  const classSummaries = [...classes.entries()].map(([documentClass, list]) => {
    const own = fields.filter((f) => f.documentClass === documentClass);
    return {
      documentClass,
      documents: list.length,
      errors: list.filter((r) => r.error !== null).length,
      ...tally(
        own.reduce((s, f) => s + f.n, 0),
        own.reduce((s, f) => s + f.correct, 0),
      ),
      cer: summarizeCer(list),
      skippedFields: [...new Set(list.flatMap((r) => r.skippedFields))].sort(),
    };
  });
  return {
    documents: results.length,
    cached: results.filter((r) => r.cached).length,
    errors: results.filter((r) => r.error !== null).length,
    fields,
    classes: classSummaries,
    overall: tally(
      fields.reduce((s, f) => s + f.n, 0),
      fields.reduce((s, f) => s + f.correct, 0),
    ),
    cer: summarizeCer(results),
  };
};

export interface Mismatch {
  readonly name: string;
  readonly comparison: FieldComparison;
}

export interface WorstCases {
  /** Per class and field (same order as the summary), the documents it got wrong, by name. */
  readonly mismatches: readonly {
    readonly documentClass: string;
    readonly field: string;
    /** All mismatches of this field; `cases` holds at most `limit` of them. */
    readonly total: number;
    readonly cases: readonly Mismatch[];
  }[];
  /** Documents with a transcript, highest CER first. */
  readonly highestCer: readonly { readonly name: string; readonly documentClass: string; readonly cer: CerResult }[];
}

/** A wrong value is worse than a missing one: a rule would act on it without anyone noticing. */
const byWorst = (a: Mismatch, b: Mismatch): number =>
  Number(a.comparison.extracted === null) - Number(b.comparison.extracted === null) || a.name.localeCompare(b.name);

/** The cases worth reading first; at most `limit` per list so that a report stays readable. */
export const worstCases = (results: readonly DocumentResult[], limit = 20): WorstCases => {
  const groups = new Map<string, { documentClass: string; field: string; cases: Mismatch[] }>();
  for (const r of results) {
    for (const f of r.fields) {
      const key = `${r.documentClass}\u0000${f.field}`;
      const g = groups.get(key) ?? { documentClass: r.documentClass, field: f.field, cases: [] };
      if (!f.correct) g.cases.push({ name: r.name, comparison: f });
      groups.set(key, g);
    }
  }
  const mismatches = [...groups.values()]
    .filter((g) => g.cases.length > 0)
    .map((g) => ({ ...g, total: g.cases.length, cases: [...g.cases].sort(byWorst).slice(0, limit) }));
  const highestCer = results
    .flatMap((r) => (r.cer ? [{ name: r.name, documentClass: r.documentClass, cer: r.cer }] : []))
    .sort((a, b) => b.cer.cer - a.cer.cer || a.name.localeCompare(b.name))
    .slice(0, limit);
  return { mismatches, highestCer };
};

/** Everything a report shows: what was evaluated, how, and the results. */
export interface EvalReport {
  /** The evaluated folder as the user gave it. */
  readonly dir: string;
  readonly split: { readonly name: Split; readonly seed: number; readonly selected: number; readonly found: number };
  readonly documentClass: string | null;
  readonly limit: number | null;
  readonly configVersion: string;
  /** ISO-8601. */
  readonly generatedAt: string;
  readonly summary: EvalSummary;
  readonly documents: readonly DocumentResult[];
}
