import type { FieldLocator, FieldSpec } from '../config/field-spec.js';
import type { ExtractedField, Extraction, FieldSet } from './document.js';
import { unionBox, layoutOf } from './fields/layout.js';
import { locate, type Candidate, type LocateContext, type Located } from './fields/locate.js';

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const mean = (xs: readonly number[]): number => (xs.length === 0 ? 1 : xs.reduce((a, b) => a + b, 0) / xs.length);

const numeric = (c: Candidate): number => (typeof c.value === 'number' ? c.value : Number.NEGATIVE_INFINITY);

const isMultiple = (value: number, unit: number): boolean => Math.abs(value / unit - Math.round(value / unit)) < 1e-6;

const choose = (ordered: readonly Candidate[], how: NonNullable<FieldSpec['pick']>): Candidate | undefined => {
  switch (how) {
    case 'first':
      return ordered[0];
    case 'last':
      return ordered.at(-1);
    case 'largest':
      return ordered.reduce<Candidate | undefined>((best, c) => (best === undefined || numeric(c) > numeric(best) ? c : best), undefined);
  }
};

/**
 * One locator's winner among its preferred values if it has any, else among all: the first or last
 * in reading order, or the largest number (the first of equals). With a `rounding` unit, a winner
 * that is no multiple of it gives way to the first value after it that is, within one unit: the
 * rounded total that follows "TOTAL INCL. GST 23.26 / ROUNDING ADJ -0.01 / TOTAL 23.25".
 */
const pick = (candidates: readonly Candidate[], how: NonNullable<FieldSpec['pick']>, rounding: number): Candidate | undefined => {
  const ordered = [...candidates].sort((a, b) => a.order - b.order);
  const preferred = ordered.filter((c) => c.preferred === true);
  const chosen = choose(preferred.length > 0 ? preferred : ordered, how);
  if (!chosen || rounding <= 0 || typeof chosen.value !== 'number' || isMultiple(chosen.value, rounding)) return chosen;
  const value = chosen.value;
  return (
    ordered.find((c) => c.order > chosen.order && isMultiple(numeric(c), rounding) && Math.abs(numeric(c) - value) < rounding - 1e-9) ??
    chosen
  );
};

const toField = (spec: FieldSpec, c: Candidate, confidence: number): ExtractedField => {
  const box = unionBox(c.words.map((w) => w.box));
  return {
    name: spec.name,
    type: spec.type,
    value: c.value,
    confidence,
    ...(spec.type === 'amount' && c.currency ? { currency: c.currency } : {}),
    ...(box ? { source: { page: c.page, box, locator: c.kind } } : {}),
  };
};

/**
 * Fields from config, per document class. For each spec, its locators are tried in order and the
 * first that finds a value which normalises wins (the spec's `pick` chooses among that locator's
 * values); a bare `pattern` is one pattern locator. A field that is absent or does not normalise is
 * simply missing: rules decide what missing means.
 *
 * Confidence is the locator's match quality times the OCR confidence of the value's words (the
 * page's confidence when the extraction kept no words). Specs run in order, so a block locator can
 * start `after` a field found before it. Never logs: values are customer data.
 */
export const extractFields = (
  extraction: Extraction,
  documentClass: string,
  specs: Readonly<Record<string, readonly FieldSpec[]>>,
): FieldSet => {
  const fields: Record<string, ExtractedField> = {};
  const classSpecs = specs[documentClass] ?? [];
  if (classSpecs.length === 0) return { documentClass, fields };
  const pages = layoutOf(extraction);
  const found = new Map<string, Located>();
  for (const spec of classSpecs) {
    const ctx: LocateContext = { pages, type: spec.type, hints: spec.hints ?? {}, found };
    const locators: readonly FieldLocator[] = spec.locators ?? (spec.pattern !== undefined ? [{ pattern: spec.pattern }] : []);
    for (const locator of locators) {
      const chosen = pick(locate(ctx, locator), spec.pick ?? 'first', spec.hints?.rounding ?? 0);
      if (!chosen) continue;
      const confidence = round3(chosen.quality * (chosen.ocrConfidence ?? mean(chosen.words.map((w) => w.confidence))));
      fields[spec.name] = toField(spec, chosen, confidence);
      found.set(spec.name, { candidate: chosen, confidence });
      break;
    }
  }
  return { documentClass, fields };
};

/** The names of a class's `required` fields that a field set lacks. */
export const missingRequiredFields = (specs: readonly FieldSpec[], fieldSet: FieldSet): string[] =>
  specs.filter((s) => s.required === true && !(s.name in fieldSet.fields)).map((s) => s.name);
