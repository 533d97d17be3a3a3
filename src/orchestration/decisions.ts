import type { DocumentId, RouteResult } from '../domain/document.js';
import { toPipelineError } from '../domain/errors.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { Clock } from '../ports/clock.js';
import type { DecisionLog, DecisionRecord } from '../ports/decisions.js';
import type { Ledger } from '../ports/ledger.js';
import type { RouteSink } from '../ports/route-sink.js';

/** What reviews and replays share: the decision chain and the route destinations. */
export interface DecisionDeps {
  readonly ledger: Ledger;
  readonly decisions: DecisionLog;
  readonly audit: AuditLog;
  readonly sink: RouteSink;
  readonly clock: Clock;
}

/** The current decision of a routed document; for routes older than the chain, one built from the route. */
export const currentDecision = async (
  deps: Pick<DecisionDeps, 'ledger' | 'decisions'>,
  documentId: DocumentId,
): Promise<DecisionRecord | null> => {
  const route = await deps.ledger.getRoute(documentId);
  if (!route) return null;
  const chain = await deps.decisions.decisions(documentId);
  const found = chain.find((d) => d.version === route.version);
  if (found) return found;
  return {
    documentId,
    version: route.version,
    kind: route.kind,
    outcome: route.outcome,
    location: route.location,
    decidedAt: route.decidedAt,
    batchId: route.batchId,
    executionId: route.executionId,
    result: null,
    steps: null,
  };
};

/** A decision record for a route that predates decision records (only what the route row kept). */
export const resultOfLegacyRoute = async (deps: Pick<DecisionDeps, 'ledger'>, documentId: DocumentId): Promise<RouteResult | null> => {
  const route = await deps.ledger.getRoute(documentId);
  if (!route) return null;
  const doc = await deps.ledger.getDocument(documentId);
  return {
    documentId,
    name: doc?.name ?? '',
    outcome: route.outcome,
    documentClass: route.documentClass,
    confidence: route.confidence,
    fields: {},
    findings: [],
    reasons: route.reasons,
    configVersion: '',
    rulesetVersion: '',
    classifier: null,
    decision: { version: route.version, kind: route.kind },
  };
};

export interface MoveReport {
  readonly documentId: DocumentId;
  readonly version: number;
  readonly location: string | null;
  readonly error: { name: string; message: string } | null;
}

/**
 * Finishes recorded decisions: delivers each document's latest decision to its destination and
 * withdraws the entries earlier decisions left elsewhere, then clears the pending move. Safe to
 * repeat (delivery and withdrawal are idempotent); a destination that is down leaves the move
 * pending for the next command, and is reported, never thrown.
 */
export const settleMoves = async (deps: DecisionDeps, only?: ReadonlySet<DocumentId>): Promise<MoveReport[]> => {
  const reports: MoveReport[] = [];
  for (const move of await deps.decisions.pendingMoves()) {
    if (only && !only.has(move.documentId)) continue;
    try {
      const current = await currentDecision(deps, move.documentId);
      if (!current?.result) {
        await deps.decisions.moved(move.documentId, move.version);
        reports.push({ documentId: move.documentId, version: move.version, location: current?.location ?? null, error: null });
        continue;
      }
      const { location } = await deps.sink.deliver(current.outcome, current.result);
      for (const previous of move.previousLocations) if (previous !== location) await deps.sink.withdraw(previous);
      await deps.decisions.moved(move.documentId, Math.max(move.version, current.version));
      const at = deps.clock.now().toISOString();
      await deps.audit.append({
        at,
        executionId: current.executionId,
        batchId: current.batchId,
        documentId: move.documentId,
        step: 'Route',
        attempt: 1,
        event: 'moved',
        outcome: current.outcome,
        note: `decision ${current.version} delivered to ${current.outcome}${
          move.previousLocations.some((p) => p !== location) ? '; earlier entry withdrawn' : ''
        }`,
      });
      reports.push({ documentId: move.documentId, version: current.version, location, error: null });
    } catch (err) {
      const e = toPipelineError(err);
      reports.push({ documentId: move.documentId, version: move.version, location: null, error: { name: e.name, message: e.message } });
    }
  }
  return reports;
};
