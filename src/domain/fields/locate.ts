import type { FieldBlock, FieldLocator, FieldRegion } from '../../config/field-spec.js';
import type { FieldType, FieldValue } from '../document.js';
import { CURRENCY_TOKEN, currencyCode } from '../normalize.js';
import { findLabels, type LabelHit } from './labels.js';
import {
  bottom,
  joinLines,
  joinParts,
  overlapRatio,
  right,
  spansIn,
  unionBox,
  type LayoutLine,
  type LayoutPage,
  type LayoutWord,
  type SpannedText,
} from './layout.js';
import { findValues, normalizeValue, type ValueHints, type ValueMatch } from './values.js';

/** How a value was found; recorded as the field's `source.locator`. */
export type LocatorKind = 'label-right' | 'label-below' | 'pattern' | 'position' | 'block' | 'currency-of';

/**
 * Match quality per locator kind: how sure a locator is that it found the right value, before OCR
 * confidence. A label with the value beside it is the strongest evidence; a line picked by position
 * alone the weakest.
 */
export const MATCH_QUALITY: Readonly<Record<LocatorKind, number>> = {
  'label-right': 0.95,
  'label-below': 0.9,
  pattern: 0.85,
  block: 0.7,
  position: 0.6,
  'currency-of': 1,
};

/** A value that fails its check (an IBAN's mod-97) is kept at this fraction of the quality. */
const INVALID_PENALTY = 0.5;

export interface Candidate {
  readonly value: FieldValue;
  readonly currency?: string;
  readonly page: number;
  /** The value's words: their boxes make the source box, their confidences the OCR confidence. */
  readonly words: readonly LayoutWord[];
  /** Indices (in the page) of the lines the value came from, for a block locator `after` it. */
  readonly lines: readonly number[];
  readonly quality: number;
  /** OCR confidence when it is not the mean of `words` (a value taken from another field). */
  readonly ocrConfidence?: number;
  readonly kind: LocatorKind;
  /** Reading order of where it was found: page, then line, then position. */
  readonly order: number;
  /** Found by one of a label locator's `prefer` labels: wins over the others. */
  readonly preferred?: boolean;
}

/** A field already extracted, for `block.after` and `currencyOf`. */
export interface Located {
  readonly candidate: Candidate;
  readonly confidence: number;
}

export interface LocateContext {
  readonly pages: readonly LayoutPage[];
  readonly type: FieldType;
  readonly hints: ValueHints;
  readonly found: ReadonlyMap<string, Located>;
}

/** Page, then line, then position in the line (or, with line 0, the offset in the page's text). */
const orderOf = (page: number, line: number, position: number): number => page * 1e9 + line * 1e4 + position;

const WORD_CHARS = /[\p{L}\p{N}]/gu;

/** Below this mean word confidence, a line picked by position alone is more likely noise than text. */
const LEGIBLE = 0.5;

/** Lines of noise (specks read as "~ '|") neither count towards a region nor join a block. */
const meaningful = (line: LayoutLine): boolean => (line.text.match(WORD_CHARS) ?? []).length >= 2;

/**
 * A region also passes over lines OCR was unsure of (a logo read as "Fyo30"): position is weak
 * evidence, and such a line is more often noise than the value. Not a block: OCR gives a word of
 * a clear address line a confidence of 0 often enough. Confidence only counts with geometry: a
 * page kept as text has one confidence for all its lines.
 */
const legible = (page: LayoutPage, line: LayoutLine): boolean => {
  if (!meaningful(line)) return false;
  if (!page.geometry) return true;
  const chars = line.words.reduce((n, w) => n + w.text.length, 0);
  return line.words.reduce((sum, w) => sum + w.confidence * w.text.length, 0) >= LEGIBLE * chars;
};

const candidateFrom = (
  ctx: LocateContext,
  text: SpannedText,
  match: ValueMatch,
  kind: LocatorKind,
  page: number,
  order: number,
  extra: { readonly currency?: string } = {},
): Candidate => {
  const spans = spansIn(text, match.start, match.end);
  const currency = match.currency ?? extra.currency;
  return {
    value: match.value,
    page,
    words: spans.map((s) => s.word),
    lines: [...new Set(spans.map((s) => s.line))],
    quality: MATCH_QUALITY[kind] * (match.valid ? 1 : INVALID_PENALTY),
    kind,
    order,
    ...(ctx.type === 'amount' && currency ? { currency } : {}),
  };
};

/** The value to take among a text's values: amounts written with decimals and valid IBANs first. */
const bestMatch = (ctx: LocateContext, matches: readonly ValueMatch[]): ValueMatch | undefined =>
  (ctx.type === 'amount' ? matches.find((m) => m.hasDecimals) : undefined) ?? matches.find((m) => m.valid) ?? matches[0];

const CURRENCY_WORD = new RegExp(`(?<![\\p{L}])${CURRENCY_TOKEN}(?![\\p{L}])`, 'u');

/** A currency written in the label's line ("TOTAL (RM)", "Montant EUR TTC"), for an amount without one. */
const currencyInLine = (line: LayoutLine): string | undefined => {
  const m = CURRENCY_WORD.exec(line.text);
  return (m && currencyCode(m[0])) ?? undefined;
};

const sameRow = (a: NonNullable<LayoutWord['box']>, b: NonNullable<LayoutWord['box']>): boolean =>
  overlapRatio(a.top, bottom(a), b.top, bottom(b)) >= 0.4;

/** Words after a long horizontal gap belong to another column; text values stop there. */
const untilGap = (words: readonly LayoutWord[], lineHeight: number): LayoutWord[] => {
  const out: LayoutWord[] = [];
  for (const w of words) {
    const prev = out.at(-1);
    if (prev?.box && w.box && w.box.left - right(prev.box) > 3 * lineHeight) break;
    out.push(w);
  }
  return out;
};

const labelBoxOf = (hit: LabelHit) => unionBox(hit.line.words.slice(hit.firstWord, hit.lastWord + 1).map((w) => w.box));

/** The value on the label's row, to its right: the rest of the label's word, then the words beyond. */
const rightOf = (ctx: LocateContext, page: LayoutPage, hit: LabelHit): Candidate | null => {
  const { line } = hit;
  const lastWord = line.words[hit.lastWord];
  if (!lastWord) return null;
  let beyond: { word: LayoutWord; line: number }[] = line.words.slice(hit.lastWord + 1).map((word) => ({ word, line: line.index }));
  const labelBox = page.geometry ? labelBoxOf(hit) : null;
  if (labelBox) {
    // OCR often puts a receipt's "TOTAL" and its amount far right into different lines: the row
    // is every word whose box shares the label's height band, wherever its line is.
    const others = page.lines.flatMap((l) =>
      l === line
        ? []
        : l.words
            .filter((w) => w.box !== null && sameRow(w.box, labelBox) && w.box.left >= right(labelBox) - labelBox.height / 2)
            .map((word) => ({ word, line: l.index })),
    );
    beyond = [...beyond.filter((b) => !b.word.box || b.word.box.left >= labelBox.left), ...others].sort(
      (a, b) => (a.word.box?.left ?? 0) - (b.word.box?.left ?? 0),
    );
    if (ctx.type === 'text') {
      const kept = new Set(
        untilGap(
          beyond.map((b) => b.word),
          labelBox.height,
        ),
      );
      beyond = beyond.filter((b) => kept.has(b.word));
    }
  }
  const text = joinParts([
    { text: lastWord.text.slice(hit.endInWord), word: lastWord, line: line.index },
    ...beyond.map((b) => ({ text: b.word.text, word: b.word, line: b.line })),
  ]);
  const match = bestMatch(ctx, findValues(ctx.type, text.text, ctx.hints));
  if (!match) return null;
  const currency = currencyInLine(line);
  return candidateFrom(ctx, text, match, 'label-right', page.page, orderOf(page.page, line.index, hit.start), currency ? { currency } : {});
};

/** The value under the label: the nearest line below that overlaps it horizontally. */
const below = (ctx: LocateContext, page: LayoutPage, hit: LabelHit): Candidate | null => {
  const labelBox = page.geometry ? labelBoxOf(hit) : null;
  const order = orderOf(page.page, hit.line.index, hit.start);
  if (!labelBox) {
    const next = page.lines[hit.line.index + 1];
    if (!next) return null;
    const text = joinLines([next]);
    const match = bestMatch(ctx, findValues(ctx.type, text.text, ctx.hints));
    return match ? candidateFrom(ctx, text, match, 'label-below', page.page, order) : null;
  }
  const under = (w: LayoutWord): boolean =>
    w.box !== null &&
    w.box.top >= labelBox.top + labelBox.height * 0.6 &&
    w.box.top - bottom(labelBox) <= 4 * labelBox.height &&
    overlapRatio(w.box.left, right(w.box), labelBox.left, right(labelBox)) > 0;
  let nearest: { word: LayoutWord; line: LayoutLine } | undefined;
  for (const l of page.lines) {
    if (l === hit.line) continue;
    for (const word of l.words) {
      if (under(word) && (!nearest || (word.box?.top ?? 0) < (nearest.word.box?.top ?? 0))) nearest = { word, line: l };
    }
  }
  if (!nearest) return null;
  const rowLine = nearest.line;
  let words = [...rowLine.words];
  if (ctx.type === 'text') {
    const at = words.indexOf(nearest.word);
    const after = untilGap(words.slice(at), labelBox.height);
    const before = untilGap(words.slice(0, at + 1).reverse(), labelBox.height).reverse();
    words = [...before.slice(0, -1), ...after];
  }
  const text = joinParts(words.map((word) => ({ text: word.text, word, line: rowLine.index })));
  const matches = findValues(ctx.type, text.text, ctx.hints).filter((m) => {
    const box = unionBox(spansIn(text, m.start, m.end).map((s) => s.word.box));
    return box !== null && overlapRatio(box.left, right(box), labelBox.left, right(labelBox)) > 0;
  });
  const match = bestMatch(ctx, matches);
  return match ? candidateFrom(ctx, text, match, 'label-below', page.page, order) : null;
};

/** The lines of a region: from the top of the first page or the bottom of the last. */
export const regionLines = (pages: readonly LayoutPage[], region: FieldRegion): { page: LayoutPage; lines: LayoutLine[] } | null => {
  const page = region.region === 'top' ? pages[0] : pages.at(-1);
  if (!page) return null;
  let lines = page.lines.filter((l) => legible(page, l));
  if (page.geometry) {
    lines = [...lines].sort((a, b) => (a.box?.top ?? 0) - (b.box?.top ?? 0));
    const { maxHeight } = region;
    if (maxHeight !== undefined) {
      lines = lines.filter((l) => !l.box || (region.region === 'top' ? l.box.top <= maxHeight : bottom(l.box) >= 1 - maxHeight));
    }
  }
  const n = region.maxLines ?? 5;
  return { page, lines: region.region === 'top' ? lines.slice(0, n) : lines.slice(-n) };
};

const compile = (pattern: string): RegExp => new RegExp(pattern, 'gimud');

/** The first line, top to bottom, holding one of `labels`. */
const endOfScope = (page: LayoutPage, labels: readonly string[]): LayoutLine | null => {
  const hits = page.lines.filter((l) => findLabels(l, labels).length > 0);
  if (!page.geometry) return hits[0] ?? null;
  return hits.reduce<LayoutLine | null>((top, l) => (top === null || (l.box?.top ?? 0) < (top.box?.top ?? 0) ? l : top), null);
};

/** Whether `line` lies below `end` (on its row is not beyond it). */
const isBelow = (page: LayoutPage, line: LayoutLine, end: LayoutLine): boolean => {
  if (!page.geometry || !line.box || !end.box) return line.index > end.index;
  return line.box.top > end.box.top + end.box.height / 2;
};

const locateLabel = (ctx: LocateContext, locator: FieldLocator, labels: readonly string[]): Candidate[] => {
  const direction = locator.direction ?? 'right-or-below';
  const prefer = new Set(locator.prefer ?? []);
  const all = [...labels, ...prefer];
  const out: Candidate[] = [];
  const scopes = locator.position
    ? [regionLines(ctx.pages, locator.position)].filter((s) => s !== null)
    : ctx.pages.map((page) => ({ page, lines: page.lines }));
  for (const { page, lines } of scopes) {
    const end = locator.until ? endOfScope(page, locator.until) : null;
    for (const line of lines) {
      if (end && isBelow(page, line, end)) continue;
      for (const hit of findLabels(line, all, locator.exclude)) {
        const found = (direction !== 'below' ? rightOf(ctx, page, hit) : null) ?? (direction !== 'right' ? below(ctx, page, hit) : null);
        if (found) out.push(prefer.has(hit.label) ? { ...found, preferred: true } : found);
      }
    }
  }
  return out;
};

const locatePattern = (ctx: LocateContext, pattern: string, region: FieldRegion | undefined): Candidate[] => {
  const out: Candidate[] = [];
  const scopes = region
    ? [regionLines(ctx.pages, region)].filter((s) => s !== null).map(({ page, lines }) => ({ page: page.page, text: joinLines(lines) }))
    : ctx.pages.map((page) => ({ page: page.page, text: page.text }));
  for (const { page, text } of scopes) {
    for (const m of text.text.matchAll(compile(pattern))) {
      const [start, end] = m.indices?.groups?.['value'] ?? m.indices?.[1] ?? [m.index, m.index + m[0].length];
      const normalised = normalizeValue(ctx.type, text.text.slice(start, end), ctx.hints);
      if (!normalised) continue;
      const match: ValueMatch = { start, end, ...normalised };
      // The offset in the page text is reading order already.
      out.push(candidateFrom(ctx, text, match, 'pattern', page, orderOf(page, 0, start)));
    }
  }
  return out;
};

/** Line filters from config: case-insensitive regexes, compiled once per locator. */
const matcher = (patterns: readonly string[] | undefined): ((text: string) => boolean) => {
  const res = (patterns ?? []).map((p) => new RegExp(p, 'iu'));
  return (text) => res.some((re) => re.test(text));
};

const locatePosition = (ctx: LocateContext, region: FieldRegion, skip: readonly string[] | undefined): Candidate[] => {
  const scope = regionLines(ctx.pages, region);
  if (!scope) return [];
  const out: Candidate[] = [];
  const skipped = matcher(skip);
  scope.lines.forEach((line, i) => {
    if (skipped(line.text)) return;
    const text = joinLines([line]);
    const match = bestMatch(ctx, findValues(ctx.type, text.text, ctx.hints));
    if (match) out.push(candidateFrom(ctx, text, match, 'position', scope.page.page, orderOf(scope.page.page, i, match.start)));
  });
  return out;
};

/**
 * The lines after an anchor's lines (all lines when there is none). With geometry: the lines below
 * it that overlap it horizontally, top to bottom, so a line OCR or a PDF producer emitted out of
 * order still follows, and a neighbouring column does not.
 */
const following = (page: LayoutPage, anchorLines: readonly number[]): LayoutLine[] => {
  const anchorBox = unionBox(page.lines.filter((l) => anchorLines.includes(l.index)).map((l) => l.box));
  if (!page.geometry) return page.lines.slice(anchorLines.length > 0 ? Math.max(...anchorLines) + 1 : 0);
  const below = page.lines.filter(
    (l) =>
      l.box !== null &&
      (anchorBox === null ||
        (!anchorLines.includes(l.index) &&
          l.box.top >= anchorBox.top + anchorBox.height / 2 &&
          overlapRatio(l.box.left, right(l.box), anchorBox.left, right(anchorBox)) > 0)),
  );
  return below.sort((a, b) => (a.box?.top ?? 0) - (b.box?.top ?? 0));
};

/**
 * Consecutive lines after an anchor (a field found earlier, or the top of the first page). Up to
 * `maxLines` lines before the block are passed over while they do not match `start`, or match `skip`
 * or `stop`; then the block runs until a `stop` line or `maxLines` lines, leaving out `skip` lines.
 * Its value is the lines joined by spaces.
 */
const locateBlock = (ctx: LocateContext, block: FieldBlock): Candidate[] => {
  const anchor = block.after === undefined ? undefined : ctx.found.get(block.after)?.candidate;
  if (block.after !== undefined && !anchor) return [];
  const page = anchor ? ctx.pages.find((p) => p.page === anchor.page) : ctx.pages[0];
  if (!page) return [];
  const max = block.maxLines ?? 4;
  const [skipped, stops, starts] = [
    matcher(block.skip),
    matcher(block.stop),
    matcher(block.start === undefined ? undefined : [block.start]),
  ];
  const taken: LayoutLine[] = [];
  let passed = 0;
  for (const line of following(page, anchor?.lines ?? [])) {
    if (!meaningful(line)) continue;
    if (taken.length === 0) {
      // Before the block, what would end it (a phone or registration line) is passed over too.
      if (++passed > max) break;
      if (skipped(line.text) || stops(line.text)) continue;
      if (block.start !== undefined && !starts(line.text)) continue;
    } else {
      // Inside the block, a line OCR could not read is the dotted rule or logo that ends it.
      if (stops(line.text) || !legible(page, line)) break;
      if (skipped(line.text)) continue;
    }
    taken.push(line);
    if (taken.length >= max) break;
  }
  if (taken.length === 0) return [];
  const text = joinLines(taken);
  const match = findValues(ctx.type, text.text.replace(/\n/g, ' '), ctx.hints)[0];
  const first = taken[0];
  return match && first ? [candidateFrom(ctx, text, match, 'block', page.page, orderOf(page.page, first.index, 0))] : [];
};

const locateCurrencyOf = (ctx: LocateContext, field: string): Candidate[] => {
  const source = ctx.found.get(field);
  const currency = source?.candidate.currency;
  if (!source || !currency) return [];
  // The amount's confidence already holds its OCR confidence and match quality.
  return [{ ...source.candidate, value: currency, quality: 1, ocrConfidence: source.confidence, kind: 'currency-of' }];
};

/** Every value one locator finds, in no particular order. */
export const locate = (ctx: LocateContext, locator: FieldLocator): Candidate[] => {
  if (locator.label !== undefined) return locateLabel(ctx, locator, typeof locator.label === 'string' ? [locator.label] : locator.label);
  if (locator.pattern !== undefined) return locatePattern(ctx, locator.pattern, locator.position);
  if (locator.block !== undefined) return locateBlock(ctx, locator.block);
  if (locator.currencyOf !== undefined) return locateCurrencyOf(ctx, locator.currencyOf);
  if (locator.position !== undefined) return locatePosition(ctx, locator.position, locator.skip);
  return [];
};
