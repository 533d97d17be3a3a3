import type {
  Classification,
  Decision,
  DecisionInfo,
  DecisionKind,
  DocumentId,
  FieldSet,
  FieldValue,
  Finding,
  Outcome,
  RouteResult,
} from './document.js';
import { maskValue } from './mask.js';

/** How a classification names its classifier in a decision record: with its model when it has one. */
export const classifierLabel = (c: Classification): string => (c.model ? `${c.classifier} (${c.model})` : c.classifier);

/** Field values for a decision record: sensitive fields (IBANs by default) are masked to their last 4 characters. */
export const recordedFields = (
  fields: Readonly<Record<string, FieldValue>>,
  sensitive: ReadonlySet<string>,
): Readonly<Record<string, FieldValue>> =>
  Object.fromEntries(Object.entries(fields).map(([k, value]) => [k, sensitive.has(k) ? maskValue(value) : value]));

/**
 * The decision record of a classified document: what is delivered to the route destination and
 * kept in the decision chain. Deterministic for the pipeline (no timestamps), so a re-delivery
 * writes identical bytes.
 */
export const decisionRecordOf = (input: {
  documentId: DocumentId;
  name: string;
  classification: Classification;
  fieldSet: FieldSet;
  decision: Decision;
  configVersion: string;
  rulesetVersion: string;
  info: DecisionInfo;
  sensitive: ReadonlySet<string>;
}): RouteResult & { readonly outcome: Outcome } => ({
  documentId: input.documentId,
  name: input.name,
  outcome: input.decision.outcome,
  documentClass: input.classification.documentClass,
  confidence: input.classification.confidence,
  fields: recordedFields(Object.fromEntries(Object.entries(input.fieldSet.fields).map(([k, f]) => [k, f.value])), input.sensitive),
  findings: input.decision.findings,
  reasons: input.decision.reasons,
  configVersion: input.configVersion,
  rulesetVersion: input.rulesetVersion,
  classifier: classifierLabel(input.classification),
  decision: input.info,
});

/** Who made a decision, for people: "review by alice", "replay from validate" or "pipeline". */
export const decisionAuthor = (
  kind: DecisionKind,
  info?: { readonly reviewer?: string | null | undefined; readonly replayedFrom?: string | null | undefined } | null,
): string =>
  kind === 'review'
    ? `review by ${info?.reviewer ?? 'a reviewer'}`
    : kind === 'replay'
      ? `replay from ${info?.replayedFrom ?? '?'}`
      : 'pipeline';

/** The audit note's "; rules a, b" naming the rules that fired (ids are config names, not content). */
export const rulesFiredNote = (findings: readonly Finding[]): string =>
  findings.length ? `; rules ${[...new Set(findings.map((f) => f.ruleId))].join(', ')}` : '';
