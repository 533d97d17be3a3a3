import { z } from 'zod';

/**
 * How one field is found and normalised, per document class. Owned by the field-extraction
 * domain (src/domain/extract-fields.ts); `schema.ts` composes it into the config.
 *
 * A spec is either a single `pattern` (the original form, still valid) or a list of `locators`,
 * tried in order until one yields a value that normalises:
 *
 * - `{ label: ['total', 'amount due'], direction: 'right-or-below', exclude: ['sub total'] }`: the
 *   value nearest to the right of a label, or below it, using word geometry when there is any;
 * - `{ pattern: '...' }`: a regex over the page text (the `value` group, else group 1, else the
 *   whole match), optionally only within a `position`;
 * - `{ position: { region: 'top', maxLines: 4 }, skip: ['^receipt$'] }`: the first line of a region
 *   that is not skipped;
 * - `{ block: { after: 'company', start: '\\d', stop: ['tel'], maxLines: 5 } }`: consecutive lines,
 *   joined (e.g. an address under the company name);
 * - `{ currencyOf: 'total' }`: the currency written next to an amount field found before.
 */

const isRegex = (s: string): boolean => {
  try {
    new RegExp(s, 'u');
    return true;
  } catch {
    return false;
  }
};

const regexString = z.string().refine(isRegex, { error: 'expected a valid regular expression' });

const fieldName = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase field name');

/** A label must keep a letter, digit or "#" once case and punctuation are dropped. */
const labelString = z.string().refine((s) => /[\p{L}\p{N}#]/u.test(s), { error: 'expected a label with a letter, digit or "#"' });

export const FIELD_TYPES = ['text', 'amount', 'date', 'iban', 'bic', 'number', 'email', 'phone', 'id'] as const;

export const RegionSchema = z
  .object({
    /** Which end of the page. */
    region: z.enum(['top', 'bottom']),
    /** At most this many lines from that end (default 5). */
    maxLines: z.number().int().min(1).max(500).optional(),
    /** Only lines within this fraction of the page height from that end (needs geometry). */
    maxHeight: z.number().gt(0).max(1).optional(),
  })
  .strict();

export const BlockSchema = z
  .object({
    /** Start after the line(s) of this field, extracted earlier in the list; from the top when absent. */
    after: fieldName.optional(),
    /** Lines before the first one matching this regex are passed over. */
    start: regexString.optional(),
    /** The block ends before the first line matching one of these. */
    stop: z.array(regexString).optional(),
    /** Lines matching one of these are left out. */
    skip: z.array(regexString).optional(),
    /** At most this many lines (default 4). */
    maxLines: z.number().int().min(1).max(50).optional(),
  })
  .strict();

const LOCATOR_KINDS = ['label', 'pattern', 'position', 'block', 'currencyOf'] as const;
type LocatorKindKey = (typeof LOCATOR_KINDS)[number];

/** Which keys each kind of locator may use besides its own. */
const ALLOWED: Record<LocatorKindKey, readonly string[]> = {
  label: ['label', 'direction', 'exclude', 'prefer', 'until', 'position'],
  pattern: ['pattern', 'position'],
  position: ['position', 'skip'],
  block: ['block'],
  currencyOf: ['currencyOf'],
};

export const LocatorSchema = z
  .object({
    /** Labels, case- and punctuation-insensitive ("Invoice No." matches "INVOICE NO:"). */
    label: z.union([labelString, z.array(labelString).min(1)], { error: 'expected a label or a list of labels' }).optional(),
    /** Where the value sits relative to its label (default right-or-below). */
    direction: z.enum(['right', 'below', 'right-or-below']).optional(),
    /** Longer phrases around a label that disqualify it ("sub total" for "total"). */
    exclude: z.array(labelString).optional(),
    /** More specific labels, searched too, whose values win over those of `label` ("total payable"). */
    prefer: z.array(labelString).optional(),
    /** Labels are only searched above the first line holding one of these ("change", "gst summary"). */
    until: z.array(labelString).optional(),
    /** Case-insensitive, multiline regex over the page text. */
    pattern: regexString.optional(),
    position: RegionSchema.optional(),
    /** For a position locator: lines matching one of these regexes are passed over. */
    skip: z.array(regexString).optional(),
    block: BlockSchema.optional(),
    /** The currency of this amount field. */
    currencyOf: fieldName.optional(),
  })
  .strict()
  .superRefine((locator, ctx) => {
    const present = Object.keys(locator).filter((k) => (locator as Record<string, unknown>)[k] !== undefined);
    const kinds = LOCATOR_KINDS.filter((k) => k !== 'position' && present.includes(k));
    if (kinds.length === 0 && !present.includes('position')) {
      ctx.addIssue({ code: 'custom', message: 'expected one of "label", "pattern", "position", "block" or "currencyOf"' });
      return;
    }
    if (kinds.length > 1) {
      ctx.addIssue({ code: 'custom', message: `expected one kind of locator, got ${kinds.map((k) => `"${k}"`).join(' and ')}` });
      return;
    }
    const kind = kinds[0] ?? 'position';
    for (const key of present) {
      if (!ALLOWED[kind].includes(key)) {
        ctx.addIssue({ code: 'custom', path: [key], message: `not allowed in a ${kind} locator` });
      }
    }
  });

export const FieldHintsSchema = z
  .object({
    /** How to read an ambiguous numeric date; an unambiguous one is read whatever the hint. */
    dateOrder: z.enum(['DMY', 'MDY', 'YMD']).optional(),
    /** Plausible years for dates; others are dropped, or repaired when OCR read a "1" as "7". */
    years: z
      .object({ min: z.number().int().min(1000).max(9999), max: z.number().int().min(1000).max(9999) })
      .strict()
      .refine((y) => y.min <= y.max, { error: 'expected min <= max' })
      .optional(),
    /** The decimal separator when one separator is followed by three digits ("9.000"). */
    decimal: z.enum(['.', ',']).optional(),
    /**
     * For amounts, the unit totals are rounded to (0.05 in Malaysia, Switzerland): a picked value
     * that is no multiple of it gives way to the next value within one unit that is.
     */
    rounding: z.number().min(0).max(1).optional(),
  })
  .strict();

export const FieldSpecSchema = z
  .object({
    name: fieldName,
    type: z.enum(FIELD_TYPES),
    /** Documents of the class are expected to carry it (see `missingRequiredFields`). */
    required: z.boolean().optional(),
    /** Case-insensitive; the named group `value`, else the first group, else the whole match. */
    pattern: regexString.optional(),
    locators: z.array(LocatorSchema).min(1).optional(),
    hints: FieldHintsSchema.optional(),
    /** Which of one locator's values wins (default first, in reading order). */
    pick: z.enum(['first', 'last', 'largest']).optional(),
    /**
     * Values of this field are masked in rule messages, decision records and review screens (only
     * the last 4 characters show). Default: true for `iban` fields, false for the others.
     */
    sensitive: z.boolean().optional(),
    /**
     * On AWS, the Textract QUERIES question asked for this field (its alias is the field name), e.g.
     * "What is the total amount due?"; ignored locally, where the locators find the field.
     */
    query: z.string().min(1).optional(),
  })
  .strict()
  .superRefine((spec, ctx) => {
    if ((spec.pattern === undefined) === (spec.locators === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'expected either "pattern" or "locators"' });
    }
  });

export type FieldSpec = z.output<typeof FieldSpecSchema>;

/** Whether a field's values are masked: its own `sensitive` flag, else true for IBANs. */
export const isSensitiveField = (spec: Pick<FieldSpec, 'sensitive' | 'type'>): boolean => spec.sensitive ?? spec.type === 'iban';

/**
 * The names of the fields that are sensitive in any class: a rule message reads fields by name,
 * so a name sensitive in one class is masked in all of them.
 */
export const sensitiveFieldNames = (fields: Readonly<Record<string, readonly FieldSpec[]>>): ReadonlySet<string> =>
  new Set(
    Object.values(fields)
      .flat()
      .filter(isSensitiveField)
      .map((spec) => spec.name),
  );
export type FieldLocator = z.output<typeof LocatorSchema>;
export type FieldRegion = z.output<typeof RegionSchema>;
export type FieldBlock = z.output<typeof BlockSchema>;
export type FieldHints = z.output<typeof FieldHintsSchema>;
