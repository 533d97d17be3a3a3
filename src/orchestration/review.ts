import type { Config } from '../config/schema.js';
import { recordedFields } from '../domain/decision-record.js';
import type { DocumentId, FieldSet, FieldValue, Finding, RouteResult } from '../domain/document.js';
import {
  applyCorrections,
  checkReviewInput,
  REVIEW_OUTCOME,
  REVIEW_REASON_CODES,
  reviewedRecord,
  type Correction,
  type ReviewAction,
} from '../domain/review.js';
import type { CompiledRules } from '../domain/validate.js';
import type { Checkpoints } from '../ports/checkpoints.js';
import type { DecisionRecord, FieldVersion } from '../ports/decisions.js';
import { currentDecision, resultOfLegacyRoute, settleMoves, type DecisionDeps, type MoveReport } from './decisions.js';

/**
 * Human review of held documents. A decision is recorded first (with its audit record, in one
 * atomic write that only the first reviewer wins), then delivered: a destination that is down
 * never loses a human decision, it leaves the move pending for the next command.
 */
export interface ReviewDeps extends DecisionDeps {
  readonly checkpoints: Checkpoints;
  readonly config: Config;
  readonly rules: CompiledRules;
  readonly sensitiveFields: ReadonlySet<string>;
}

export interface ReviewRequest {
  readonly action: ReviewAction;
  readonly reviewer: string;
  readonly reason: string;
  readonly corrections: readonly Correction[];
  /** An opaque id for this review (its audit execution and batch id). */
  readonly reviewId: string;
}

export type ReviewResult =
  | {
      readonly kind: 'decided';
      readonly decision: DecisionRecord;
      readonly previous: DecisionRecord;
      readonly move: MoveReport | null;
      readonly stillFiring: readonly Finding[];
    }
  | { readonly kind: 'not-routed' }
  | { readonly kind: 'not-held'; readonly current: DecisionRecord }
  | { readonly kind: 'lost-race'; readonly current: DecisionRecord | null }
  | { readonly kind: 'invalid'; readonly problem: string };

/** What a reviewer looks at: the current decision, the full field values, and the decision chain. */
export interface ReviewView {
  readonly documentId: DocumentId;
  readonly current: DecisionRecord;
  readonly record: RouteResult;
  readonly chain: readonly DecisionRecord[];
  /** Current values (the latest corrected version over the extraction); null when the extraction's fields are not cached. */
  readonly fields: Readonly<
    Record<string, { value: FieldValue; confidence: number | null; sensitive: boolean; corrected: boolean }>
  > | null;
  readonly fieldVersions: readonly FieldVersion[];
}

export const createReviewService = (deps: ReviewDeps) => {
  /** The extraction's field set, with the latest reviewer corrections laid over it. */
  const currentFields = async (
    documentId: DocumentId,
    current: DecisionRecord,
  ): Promise<{ set: FieldSet | null; values: Record<string, FieldValue> | null; versions: FieldVersion[] }> => {
    const versions = await deps.decisions.fieldVersions(documentId);
    const key = current.steps?.['ExtractFields'];
    const set = key ? await deps.checkpoints.get<FieldSet>({ documentId, step: 'ExtractFields', configVersion: key }) : undefined;
    const latest = versions.at(-1);
    if (latest) return { set: set ?? null, values: { ...latest.fields }, versions };
    if (!set) return { set: null, values: null, versions };
    return { set, values: Object.fromEntries(Object.entries(set.fields).map(([k, f]) => [k, f.value])), versions };
  };

  const show = async (documentId: DocumentId): Promise<ReviewView | null> => {
    const current = await currentDecision(deps, documentId);
    if (!current) return null;
    const record = current.result ?? (await resultOfLegacyRoute(deps, documentId));
    if (!record) return null;
    const { set, values, versions } = await currentFields(documentId, current);
    const correctedNames = new Set(versions.flatMap((v) => v.corrected));
    return {
      documentId,
      current,
      record,
      chain: await deps.decisions.decisions(documentId),
      fields: values
        ? Object.fromEntries(
            Object.entries(values).map(([k, value]) => [
              k,
              {
                value,
                confidence: set?.fields[k]?.confidence ?? null,
                sensitive: deps.sensitiveFields.has(k),
                corrected: correctedNames.has(k),
              },
            ]),
          )
        : null,
      fieldVersions: versions,
    };
  };

  const decide = async (documentId: DocumentId, request: ReviewRequest): Promise<ReviewResult> => {
    const problem = checkReviewInput(request.reviewer, request.reason);
    if (problem) return { kind: 'invalid', problem };
    // Finish any earlier move of this document first, so the decision starts from a settled state.
    await settleMoves(deps, new Set([documentId]));
    const current = await currentDecision(deps, documentId);
    if (!current) return { kind: 'not-routed' };
    if (current.outcome !== 'hold') return { kind: 'not-held', current };
    const prior = current.result ?? (await resultOfLegacyRoute(deps, documentId));
    if (!prior) return { kind: 'not-routed' };

    let fields = prior.fields;
    let findings = prior.findings;
    let stillFiring: Finding[] = [];
    let fieldVersion: FieldVersion | undefined;
    const at = deps.clock.now().toISOString();
    if (request.corrections.length > 0) {
      const { values, versions } = await currentFields(documentId, current);
      if (!values)
        return { kind: 'invalid', problem: 'the extracted fields of this document are not available, so they cannot be corrected' };
      const documentClass = prior.documentClass ?? '';
      const applied = applyCorrections(values, deps.config.fields[documentClass] ?? [], request.corrections);
      if ('problem' in applied) return { kind: 'invalid', problem: applied.problem };
      fieldVersion = {
        documentId,
        version: (versions.at(-1)?.version ?? 1) + 1,
        fields: applied.fields,
        corrected: applied.corrected,
        author: request.reviewer,
        createdAt: at,
      };
      // The rules again, on the corrected values: the reviewer decides, but sees what still fires.
      stillFiring = await deps.rules.evaluate({
        documentClass,
        confidence: prior.confidence ?? 0,
        fields: applied.fields,
        today: at.slice(0, 10),
      });
      findings = stillFiring;
      fields = recordedFields(applied.fields, deps.sensitiveFields);
    }

    const version = current.version + 1;
    const outcome = REVIEW_OUTCOME[request.action];
    const record = reviewedRecord({
      prior,
      action: request.action,
      fields,
      findings,
      info: {
        version,
        kind: 'review',
        supersedes: { version: current.version, outcome: current.outcome },
        reviewer: request.reviewer,
        reason: request.reason.trim(),
        decidedAt: at,
        ...(fieldVersion ? { correctedFields: fieldVersion.corrected, fieldsVersion: fieldVersion.version } : {}),
      },
    });
    const next: DecisionRecord = {
      documentId,
      version,
      kind: 'review',
      outcome,
      location: deps.sink.locate(outcome, record),
      decidedAt: at,
      batchId: request.reviewId,
      executionId: request.reviewId,
      result: record,
      steps: current.steps,
    };
    const corrected = fieldVersion ? `; corrected ${fieldVersion.corrected.join(', ')} (field version ${fieldVersion.version})` : '';
    const { applied, current: winner } = await deps.decisions.supersede(
      next,
      {
        at,
        executionId: request.reviewId,
        batchId: request.reviewId,
        documentId,
        step: 'Review',
        attempt: 1,
        event: 'reviewed',
        outcome,
        reasonCodes: [REVIEW_REASON_CODES[request.action]],
        // The reviewer's reason is the audit's "why"; field values never go here, only names.
        note: `by ${request.reviewer}: "${request.reason.trim()}"; decision ${version} supersedes ${current.outcome} (decision ${current.version})${corrected}`,
      },
      fieldVersion ? { fieldVersion } : {},
    );
    if (!applied) return { kind: 'lost-race', current: winner };
    const [move] = await settleMoves(deps, new Set([documentId]));
    return { kind: 'decided', decision: next, previous: current, move: move ?? null, stillFiring };
  };

  return { show, decide };
};

export type ReviewService = ReturnType<typeof createReviewService>;
