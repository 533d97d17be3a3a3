import type { FieldSpec } from '../config/field-spec.js';
import type { DecisionInfo, FieldValue, Finding, Outcome, RouteResult } from './document.js';
import { normalizeValue } from './fields/values.js';

/**
 * Human review of held documents, as pure functions: checking a reviewer's input, applying field
 * corrections, and writing the decision record a review produces. The orchestration around them
 * (loading, recording, delivering) lives in orchestration/review.ts.
 */

export type ReviewAction = 'approve' | 'reject';

export const REVIEW_REASON_CODES: Record<ReviewAction, string> = { approve: 'REVIEW_APPROVED', reject: 'REVIEW_REJECTED' };

export const REVIEW_OUTCOME: Record<ReviewAction, Outcome> = { approve: 'pass', reject: 'reject' };

/** Reviewer ids are opaque: an employee number, an e-mail, a directory name. */
const REVIEWER_ID = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;
export const MAX_REASON_CHARS = 500;

/** Null when the reviewer id and reason are acceptable, else what is wrong (never echoing the reason). */
export const checkReviewInput = (reviewer: string, reason: string): string | null => {
  if (!REVIEWER_ID.test(reviewer)) return 'the reviewer id must be 1–64 letters, digits or . _ @ + - (starting with a letter or digit)';
  const trimmed = reason.trim();
  if (trimmed.length === 0) return 'a reason is required: say why, for the audit trail';
  if (Array.from(trimmed).length > MAX_REASON_CHARS) return `the reason is longer than ${MAX_REASON_CHARS} characters`;
  // C0 and C1 controls, line/paragraph separators and bidi overrides: a stored reason is printed in
  // terminals and reports, so it must not carry escapes, line breaks or text that displays reversed.
  // eslint-disable-next-line no-control-regex -- rejecting control characters is the point
  if (/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/.test(trimmed)) {
    return 'the reason must be one line of text without control characters';
  }
  return null;
};

export interface Correction {
  readonly field: string;
  readonly raw: string;
}

/** Parses `--set field=value` arguments. */
export const parseCorrections = (sets: readonly string[]): { corrections: Correction[] } | { problem: string } => {
  const corrections: Correction[] = [];
  for (const s of sets) {
    const eq = s.indexOf('=');
    const field = eq > 0 ? s.slice(0, eq).trim() : '';
    if (!/^[a-z][a-z0-9_]*$/.test(field)) {
      // Never echo the argument: it may be a value (an IBAN typed without "field=").
      return {
        problem:
          eq > 0
            ? `--set expects field=value with a lowercase field name (got "${field.slice(0, 40)}")`
            : '--set expects field=value with a lowercase field name (this argument has no field name before "=")',
      };
    }
    if (corrections.some((c) => c.field === field)) return { problem: `--set names the field "${field}" twice` };
    corrections.push({ field, raw: s.slice(eq + 1) });
  }
  return { corrections };
};

/**
 * Applies corrections to a field set: each must name a field of the document's class and
 * normalise as that field's type (an amount, a date, a valid IBAN...). The result is a new version;
 * the input is not modified. Problems name the field, never the value.
 */
export const applyCorrections = (
  current: Readonly<Record<string, FieldValue>>,
  specs: readonly FieldSpec[],
  corrections: readonly Correction[],
): { fields: Record<string, FieldValue>; corrected: string[] } | { problem: string } => {
  const fields: Record<string, FieldValue> = { ...current };
  const corrected: string[] = [];
  for (const c of corrections) {
    const spec = specs.find((s) => s.name === c.field);
    if (!spec) {
      return {
        problem: `"${c.field}" is not a field of this document's class; expected one of ${specs.map((s) => s.name).join(', ') || '(none)'}`,
      };
    }
    const normalised = normalizeValue(spec.type, c.raw, spec.hints ?? {});
    if (!normalised || !normalised.valid) return { problem: `the value given for "${c.field}" is not a valid ${spec.type}` };
    fields[c.field] = normalised.value;
    corrected.push(c.field);
  }
  return { fields, corrected };
};

/**
 * The decision record of a review: the reviewer's outcome and reason first; the findings are the
 * ones the reviewer saw (or, after corrections, the rules' findings on the corrected fields).
 */
export const reviewedRecord = (input: {
  prior: RouteResult;
  action: ReviewAction;
  info: DecisionInfo & { reviewer: string; reason: string };
  /** The fields as recorded (sensitive ones masked); the prior record's when nothing was corrected. */
  fields: Readonly<Record<string, FieldValue>>;
  findings: readonly Finding[];
}): RouteResult => {
  const { action, info } = input;
  const verb = action === 'approve' ? 'Approved' : 'Rejected';
  const corrected = info.correctedFields?.length ? ` Corrected: ${info.correctedFields.join(', ')}.` : '';
  const stillFiring =
    input.findings.length && info.correctedFields?.length
      ? [
          {
            code: 'RULES_AFTER_CORRECTION',
            message: `On the corrected fields, ${input.findings.length === 1 ? 'rule' : 'rules'} ${input.findings.map((f) => `${f.ruleId} (${f.reasonCode})`).join(', ')} still ${input.findings.length === 1 ? 'fires' : 'fire'}.`,
          },
        ]
      : [];
  return {
    ...input.prior,
    outcome: REVIEW_OUTCOME[action],
    fields: input.fields,
    findings: input.findings,
    reasons: [
      { code: REVIEW_REASON_CODES[action], message: `${verb} by reviewer ${info.reviewer}: ${info.reason.trim()}.${corrected}` },
      ...stillFiring,
    ],
    decision: info,
  };
};
