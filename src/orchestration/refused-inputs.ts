import { createHash } from 'node:crypto';
import type { DocumentId, RouteResult } from '../domain/document.js';
import type { Clock } from '../ports/clock.js';
import type { AuditRecord } from '../ports/audit-log.js';
import type { RouteRecord } from '../ports/ledger.js';

/**
 * Inbox entries that never become documents: symlinks, FIFOs and devices (never followed or
 * read), files that cannot be opened, and files that changed while they were copied in. As on
 * AWS (the SkipObject task), each is recorded as a `reject` with a reason code under an id derived
 * from where it was, so a batch accounts for every entry of its inbox.
 */

export type RefusedReason = 'NOT_A_REGULAR_FILE' | 'UNREADABLE' | 'FILE_CHANGED_WHILE_READ';

export interface RefusedInput {
  /** `locationIdOf` the entry's path: not a content hash (there is no content). */
  readonly documentId: DocumentId;
  /** The entry's name, escaped (see escapeFileName). */
  readonly name: string;
  readonly reason: RefusedReason;
}

/** Domain-separated from content ids (SHA-256 of the bytes) by the prefix; cf. `objectIdOf`. */
export const locationIdOf = (pathBytes: Uint8Array): DocumentId => createHash('sha256').update('file://').update(pathBytes).digest('hex');

const MESSAGES: Readonly<Record<RefusedReason, string>> = {
  NOT_A_REGULAR_FILE: 'Not a regular file (a symlink, FIFO, socket or device): never followed or read',
  UNREADABLE: 'The file could not be opened or read',
  FILE_CHANGED_WHILE_READ: 'The file changed while it was being read: take it in again once it is complete',
};

/** The error name the audit trail carries for a refused entry (a document error: see errors.ts). */
export const REFUSED_ERROR_NAME = 'UnreadableInputError';

/** One refused entry's reject, as the store records it: the route, its decision and its audit record. */
export interface RefusedRoute {
  readonly route: RouteRecord;
  readonly audit: AuditRecord;
  readonly decision: { readonly result: RouteResult; readonly steps: Readonly<Record<string, string>> };
}

/**
 * Each refused entry's reject: the route (first writer wins, as for any document) with its `routed`
 * audit record. Nothing is delivered to a route folder: there is no original to link to, so the
 * route's location is empty. The runtime records these in the same transaction as the batch that
 * received them (after its `received` records), so a crash leaves either both or neither; a resumed
 * batch's Ingest then finds the route and records the outcome like any already-routed document.
 */
export const refusedRoutes = (
  deps: { readonly clock: Clock; readonly configVersion: string; readonly rulesetVersion: string },
  batch: { readonly batchId: string; readonly executionId: string },
  refused: readonly RefusedInput[],
): RefusedRoute[] =>
  refused.map((r) => {
    const at = deps.clock.now().toISOString();
    const reasons = [{ code: r.reason, message: `${MESSAGES[r.reason]} (${REFUSED_ERROR_NAME}).` }];
    const result: RouteResult = {
      documentId: r.documentId,
      name: r.name,
      outcome: 'reject',
      documentClass: null,
      confidence: null,
      fields: {},
      findings: [],
      reasons,
      configVersion: deps.configVersion,
      rulesetVersion: deps.rulesetVersion,
      classifier: null,
      decision: { version: 1, kind: 'pipeline' },
    };
    return {
      route: {
        documentId: r.documentId,
        outcome: 'reject',
        batchId: batch.batchId,
        executionId: batch.executionId,
        documentClass: null,
        confidence: null,
        reasons,
        location: '',
        routedAt: at,
        version: 1,
        kind: 'pipeline',
        decidedAt: at,
      },
      audit: {
        at,
        executionId: batch.executionId,
        batchId: batch.batchId,
        documentId: r.documentId,
        step: 'Receive',
        attempt: 1,
        event: 'routed',
        outcome: 'reject',
        errorName: REFUSED_ERROR_NAME,
        reasonCodes: [r.reason],
        note: 'not taken in: nothing was read or stored',
      },
      decision: { result, steps: {} },
    };
  });
