import type { StepVersions } from '../config/load.js';
import { decisionRecordOf, rulesFiredNote } from '../domain/decision-record.js';
import type { Classification, Decision, DocumentId, FieldSet, Outcome, ReplayFrom } from '../domain/document.js';
import { toPipelineError } from '../domain/errors.js';
import { withRetry } from '../domain/retry.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { CheckpointKey, Checkpoints } from '../ports/checkpoints.js';
import type { DecisionRecord } from '../ports/decisions.js';
import type { TaskName } from './definition.js';
import { currentDecision, settleMoves, type DecisionDeps, type MoveReport } from './decisions.js';
import { createTaskHandlers, type TaskDeps } from './tasks.js';

/**
 * Replay: re-decide routed documents from a step onwards with the current configuration, reading
 * everything before that step from the checkpoints the current decision was computed from. It never
 * reads the original again and never OCRs: the Extract step is not among the steps it can run.
 *
 * The steps run through the same task handlers as the state machine's (so their audit rows,
 * checkpoints and errors are the same), under versions suffixed with the replay id: a replay always
 * re-computes, even when the configuration of a step did not change (date-dependent rules, an LLM
 * classifier asked again). The new decision is appended to the document's chain, superseding the
 * old one, and a replay never overrides a reviewer's decision.
 */

export const REPLAY_STEPS: Record<ReplayFrom, readonly TaskName[]> = {
  classify: ['Classify', 'ExtractFields', 'Validate'],
  'extract-fields': ['ExtractFields', 'Validate'],
  validate: ['Validate'],
};

/** The cached result each starting point reads. */
const INPUT_STEP: Record<ReplayFrom, TaskName> = { classify: 'Extract', 'extract-fields': 'Classify', validate: 'ExtractFields' };

export interface ReplayDeps extends DecisionDeps {
  /** The pipeline's task dependencies under the current config (their `stepVersions` are the current ones). */
  readonly task: Omit<TaskDeps, 'audit'>;
  readonly retry: { intervalSeconds: number; backoffRate: number; maxAttempts: number; maxDelaySeconds: number };
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
}

export type ReplayResult =
  | {
      readonly kind: 'replayed' | 'would-replay';
      readonly documentId: DocumentId;
      readonly before: Outcome;
      readonly after: Outcome;
      readonly reasonCodes: readonly string[];
      readonly decision: DecisionRecord | null;
      readonly move: MoveReport | null;
    }
  | { readonly kind: 'skipped'; readonly documentId: DocumentId; readonly why: string }
  | { readonly kind: 'failed'; readonly documentId: DocumentId; readonly errorName: string; readonly message: string };

/** Checkpoints a dry run writes to memory only: reads see its own results, nothing is persisted. */
const overlayCheckpoints = (inner: Checkpoints): Checkpoints => {
  const mine = new Map<string, unknown>();
  const k = (key: CheckpointKey): string => `${key.documentId}\u0000${key.step}\u0000${key.configVersion}`;
  return {
    get: <T>(key: CheckpointKey) => (mine.has(k(key)) ? Promise.resolve(mine.get(k(key)) as T) : inner.get<T>(key)),
    put: (key, value) => {
      if (!mine.has(k(key))) mine.set(k(key), structuredClone(value));
      return Promise.resolve();
    },
  };
};

/** An audit log that records nothing: a dry run leaves no trace because it changes nothing. */
const silentAudit = (inner: AuditLog): AuditLog => ({
  append: () => Promise.resolve(),
  attempts: () => Promise.resolve(0),
  timeline: (id) => inner.timeline(id),
});

const STEP_KEY: Record<'Extract' | 'Classify' | 'ExtractFields' | 'Validate', keyof StepVersions> = {
  Extract: 'extract',
  Classify: 'classify',
  ExtractFields: 'extractFields',
  Validate: 'validate',
};

export const createReplayService = (deps: ReplayDeps) => {
  const current = deps.task.stepVersions;

  const replayOne = async (
    documentId: DocumentId,
    options: { from: ReplayFrom; replayId: string; dryRun: boolean },
  ): Promise<ReplayResult> => {
    const { from, replayId, dryRun } = options;
    if (!dryRun) await settleMoves(deps, new Set([documentId]));
    const decision = await currentDecision(deps, documentId);
    if (!decision) return { kind: 'skipped', documentId, why: 'not routed yet' };
    if (decision.kind === 'review') {
      return {
        kind: 'skipped',
        documentId,
        why: `decided by reviewer ${decision.result?.decision?.reviewer ?? ''}; a replay never overrides a human decision`.replace(
          'reviewer ;',
          'a reviewer;',
        ),
      };
    }
    // Routes older than the decision chain did not record their step versions: use today's, which
    // finds the cached results only when the configuration before the replayed step is unchanged.
    const base = decision.steps ?? {
      Extract: current.extract,
      Classify: current.classify,
      ExtractFields: current.extractFields,
      Validate: current.validate,
    };
    const runs = REPLAY_STEPS[from];
    const suffix = `~${replayId}`;
    const versionOf = (step: keyof typeof STEP_KEY): string =>
      runs.includes(step) ? `${current[STEP_KEY[step]]}${suffix}` : (base[step] ?? current[STEP_KEY[step]]);
    const versions: StepVersions = {
      extract: versionOf('Extract'),
      classify: versionOf('Classify'),
      extractFields: versionOf('ExtractFields'),
      validate: versionOf('Validate'),
    };
    const input = INPUT_STEP[from];
    const cached = await deps.task.checkpoints.get({
      documentId,
      step: input,
      configVersion: versions[STEP_KEY[input as keyof typeof STEP_KEY]],
    });
    if (cached === undefined) {
      return {
        kind: 'skipped',
        documentId,
        why: `no cached ${input} result to start from (the document ${decision.outcome === 'reject' ? 'was rejected before that step' : 'predates it'})`,
      };
    }
    const doc = await deps.ledger.getDocument(documentId);
    const checkpoints = dryRun ? overlayCheckpoints(deps.task.checkpoints) : deps.task.checkpoints;
    const handlers = createTaskHandlers({
      ...deps.task,
      checkpoints,
      audit: dryRun ? silentAudit(deps.audit) : deps.audit,
      stepVersions: versions,
    });
    const state = { batchId: replayId, executionId: replayId, document: { documentId, name: doc?.name ?? '' } };
    try {
      for (const step of runs) {
        await withRetry(() => handlers[step]({ task: step, state }), {
          maxAttempts: deps.retry.maxAttempts + 1,
          intervalMs: deps.retry.intervalSeconds * 1000,
          backoffRate: deps.retry.backoffRate,
          maxDelayMs: deps.retry.maxDelaySeconds * 1000,
          sleep: deps.sleep,
          random: deps.random,
        });
      }
    } catch (err) {
      const e = toPipelineError(err);
      return { kind: 'failed', documentId, errorName: e.name, message: e.message };
    }
    const load = async <T>(step: keyof typeof STEP_KEY): Promise<T> => {
      const v = await checkpoints.get<T>({ documentId, step, configVersion: versions[STEP_KEY[step]] });
      if (v === undefined) throw new Error(`replay: the ${step} result just computed is missing`);
      return v;
    };
    const [classification, fieldSet, validated] = await Promise.all([
      load<Classification>('Classify'),
      load<FieldSet>('ExtractFields'),
      load<Decision>('Validate'),
    ]);
    const version = decision.version + 1;
    const record = decisionRecordOf({
      documentId,
      name: doc?.name ?? '',
      classification,
      fieldSet,
      decision: validated,
      configVersion: deps.task.configVersion,
      rulesetVersion: deps.task.rulesetVersion,
      sensitive: deps.task.sensitiveFields,
      info: { version, kind: 'replay', supersedes: { version: decision.version, outcome: decision.outcome }, replayedFrom: from, replayId },
    });
    const reasonCodes = record.reasons.map((r) => r.code);
    if (dryRun)
      return { kind: 'would-replay', documentId, before: decision.outcome, after: record.outcome, reasonCodes, decision: null, move: null };
    const at = deps.clock.now().toISOString();
    const next: DecisionRecord = {
      documentId,
      version,
      kind: 'replay',
      outcome: record.outcome,
      location: deps.sink.locate(record.outcome, record),
      decidedAt: at,
      batchId: replayId,
      executionId: replayId,
      result: record,
      steps: { Extract: versions.extract, Classify: versions.classify, ExtractFields: versions.extractFields, Validate: versions.validate },
    };
    const { applied, current: winner } = await deps.decisions.supersede(next, {
      at,
      executionId: replayId,
      batchId: replayId,
      documentId,
      step: 'Replay',
      attempt: 1,
      event: 'replayed',
      outcome: record.outcome,
      reasonCodes,
      note: `from ${from}; decision ${version} supersedes ${decision.outcome} (decision ${decision.version}); config ${deps.task.configVersion}, ruleset ${deps.task.rulesetVersion}${rulesFiredNote(record.findings)}`,
    });
    if (!applied) {
      return {
        kind: 'skipped',
        documentId,
        why: `decided meanwhile (decision ${winner?.version ?? '?'}, ${winner?.kind ?? 'unknown'}); replay it again if needed`,
      };
    }
    const [move] = await settleMoves(deps, new Set([documentId]));
    return {
      kind: 'replayed',
      documentId,
      before: decision.outcome,
      after: record.outcome,
      reasonCodes,
      decision: next,
      move: move ?? null,
    };
  };

  return { replayOne };
};

export type ReplayService = ReturnType<typeof createReplayService>;
