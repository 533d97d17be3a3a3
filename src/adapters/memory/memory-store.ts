import {
  auditRecordHash,
  chainFieldsOf,
  GENESIS_HASH,
  verifyAuditChain,
  type AuditChainRow,
  type ChainHead,
  type ChainVerdict,
} from '../../domain/audit-chain.js';
import type { DocumentId, FinalOutcome, Outcome, RouteResult } from '../../domain/document.js';
import { ArtifactMissingError, InvalidStepInputError } from '../../domain/errors.js';
import type { AuditLog, AuditRecord, StoredAuditRecord } from '../../ports/audit-log.js';
import type { CheckpointKey, Checkpoints } from '../../ports/checkpoints.js';
import type { DecisionLog, DecisionRecord, FieldVersion } from '../../ports/decisions.js';
import type { BatchOutcomeRecord, DocumentRecord, Ledger, RouteRecord } from '../../ports/ledger.js';
import type { ObjectStore } from '../../ports/object-store.js';
import type { RouteSink } from '../../ports/route-sink.js';

/**
 * In-memory adapters for every storage port: unit tests and benchmarks use them as the reference
 * the durable adapters are compared against. Same contracts, no durability.
 */
export class MemoryStore implements Checkpoints, AuditLog, Ledger, DecisionLog {
  private readonly checkpoints = new Map<string, string>();
  private readonly audit: StoredAuditRecord[] = [];
  /** The hash chain, one link per audit record (same index), as the SQLite store keeps it. */
  private readonly links: { prevHash: string; hash: string }[] = [];
  private readonly entered = new Map<string, number>();
  private readonly documents = new Map<DocumentId, DocumentRecord>();
  private readonly routes = new Map<DocumentId, RouteRecord>();
  private readonly batches = new Map<string, Map<DocumentId, BatchOutcomeRecord>>();
  private readonly chains = new Map<DocumentId, DecisionRecord[]>();
  private readonly fieldChains = new Map<DocumentId, FieldVersion[]>();
  private readonly moves: { documentId: DocumentId; version: number; previousLocation: string }[] = [];

  private static key(k: CheckpointKey): string {
    return `${k.documentId}\u0000${k.step}\u0000${k.configVersion}`;
  }

  get<T>(key: CheckpointKey): Promise<T | undefined> {
    const v = this.checkpoints.get(MemoryStore.key(key));
    return Promise.resolve(v === undefined ? undefined : (JSON.parse(v) as T));
  }

  put(key: CheckpointKey, value: unknown): Promise<void> {
    const k = MemoryStore.key(key);
    if (!this.checkpoints.has(k)) this.checkpoints.set(k, JSON.stringify(value));
    return Promise.resolve();
  }

  append(record: AuditRecord): Promise<void> {
    this.pushAudit(record);
    if (record.event === 'entered') {
      const k = `${record.executionId}\u0000${record.documentId ?? ''}\u0000${record.step}`;
      this.entered.set(k, (this.entered.get(k) ?? 0) + 1);
    }
    return Promise.resolve();
  }

  private pushAudit(record: AuditRecord): void {
    const stored: StoredAuditRecord = { ...record, seq: this.audit.length + 1 };
    const prevHash = this.links.at(-1)?.hash ?? GENESIS_HASH;
    this.audit.push(stored);
    this.links.push({ prevHash, hash: auditRecordHash(chainFieldsOf(stored, stored.seq), prevHash) });
  }

  /** The chain's head (null: nothing appended yet). */
  auditHead(): ChainHead | null {
    const link = this.links.at(-1);
    return link ? { seq: this.links.length, hash: link.hash } : null;
  }

  /** Walks the chain like SqliteStore.verifyAuditChain (nothing here can be tampered with but by a test). */
  verifyAuditChain(anchor?: ChainHead): ChainVerdict {
    const rows = function* (this: MemoryStore): Generator<AuditChainRow> {
      for (const [i, r] of this.audit.entries())
        yield { ...chainFieldsOf(r, r.seq), prevHash: this.links[i]?.prevHash ?? null, hash: this.links[i]?.hash ?? null };
    };
    return verifyAuditChain({ rows: () => rows.call(this), recordedHead: this.auditHead(), ...(anchor ? { anchor } : {}) });
  }

  attempts(executionId: string, documentId: DocumentId, step: string): Promise<number> {
    return Promise.resolve(this.entered.get(`${executionId}\u0000${documentId}\u0000${step}`) ?? 0);
  }

  timeline(documentId: DocumentId): Promise<StoredAuditRecord[]> {
    return Promise.resolve(this.audit.filter((r) => r.documentId === documentId));
  }

  registerDocument(doc: DocumentRecord): Promise<void> {
    if (!this.documents.has(doc.documentId)) this.documents.set(doc.documentId, doc);
    return Promise.resolve();
  }

  getDocument(documentId: DocumentId): Promise<DocumentRecord | null> {
    return Promise.resolve(this.documents.get(documentId) ?? null);
  }

  private batch(batchId: string): Map<DocumentId, BatchOutcomeRecord> {
    let b = this.batches.get(batchId);
    if (!b) {
      b = new Map<DocumentId, BatchOutcomeRecord>();
      this.batches.set(batchId, b);
    }
    return b;
  }

  addToBatch(batchId: string, docs: readonly { documentId: DocumentId; name: string }[]): Promise<void> {
    const b = this.batch(batchId);
    for (const d of docs) {
      if (!b.has(d.documentId))
        b.set(d.documentId, {
          documentId: d.documentId,
          name: d.name,
          outcome: null,
          duplicate: false,
          errorName: null,
          errorCause: null,
          reasonCode: null,
        });
    }
    return Promise.resolve();
  }

  getRoute(documentId: DocumentId): Promise<RouteRecord | null> {
    return Promise.resolve(this.routes.get(documentId) ?? null);
  }

  recordRoute(
    route: RouteRecord,
    audit: AuditRecord,
    decision?: { result: RouteResult; steps: Readonly<Record<string, string>> },
  ): Promise<{ first: boolean; record: RouteRecord }> {
    const existing = this.routes.get(route.documentId);
    if (existing) return Promise.resolve({ first: false, record: existing });
    const record: RouteRecord = { ...route, version: 1, kind: 'pipeline', decidedAt: route.routedAt };
    this.routes.set(route.documentId, record);
    this.chains.set(route.documentId, [
      {
        documentId: route.documentId,
        version: 1,
        kind: 'pipeline',
        outcome: route.outcome,
        location: route.location,
        decidedAt: route.routedAt,
        batchId: route.batchId,
        executionId: route.executionId,
        result: decision?.result ?? null,
        steps: decision?.steps ?? null,
      },
    ]);
    this.pushAudit(audit);
    return Promise.resolve({ first: true, record });
  }

  decisions(documentId: DocumentId): Promise<DecisionRecord[]> {
    return Promise.resolve([...(this.chains.get(documentId) ?? [])]);
  }

  supersede(
    next: DecisionRecord,
    audit: AuditRecord,
    options: { fieldVersion?: FieldVersion } = {},
  ): Promise<{ applied: boolean; current: DecisionRecord | null }> {
    const route = this.routes.get(next.documentId);
    const chain = this.chains.get(next.documentId) ?? [];
    if (!route || route.version !== next.version - 1) return Promise.resolve({ applied: false, current: chain.at(-1) ?? null });
    const fvs = options.fieldVersion ? (this.fieldChains.get(options.fieldVersion.documentId) ?? []) : [];
    if (options.fieldVersion && fvs.some((f) => f.version === options.fieldVersion?.version)) {
      // Like the durable stores' unique key: the whole decision is refused, nothing is written.
      return Promise.reject(new InvalidStepInputError(`field version ${options.fieldVersion.version} exists already`));
    }
    this.routes.set(next.documentId, {
      ...route,
      outcome: next.outcome,
      documentClass: next.result?.documentClass ?? null,
      confidence: next.result?.confidence ?? null,
      reasons: next.result?.reasons ?? [],
      location: next.location,
      version: next.version,
      kind: next.kind,
      decidedAt: next.decidedAt,
    });
    this.chains.set(next.documentId, [...chain, next]);
    const fv = options.fieldVersion;
    if (fv) this.fieldChains.set(fv.documentId, [...(this.fieldChains.get(fv.documentId) ?? []), fv]);
    this.moves.push({ documentId: next.documentId, version: next.version, previousLocation: route.location });
    this.pushAudit(audit);
    return Promise.resolve({ applied: true, current: next });
  }

  fieldVersions(documentId: DocumentId): Promise<FieldVersion[]> {
    return Promise.resolve([...(this.fieldChains.get(documentId) ?? [])]);
  }

  pendingMoves(): Promise<{ documentId: DocumentId; version: number; previousLocations: string[] }[]> {
    const byDoc = new Map<DocumentId, { documentId: DocumentId; version: number; previousLocations: string[] }>();
    for (const m of this.moves) {
      const e = byDoc.get(m.documentId) ?? { documentId: m.documentId, version: m.version, previousLocations: [] };
      e.version = Math.max(e.version, m.version);
      if (!e.previousLocations.includes(m.previousLocation)) e.previousLocations.push(m.previousLocation);
      byDoc.set(m.documentId, e);
    }
    return Promise.resolve([...byDoc.values()]);
  }

  moved(documentId: DocumentId, version: number): Promise<void> {
    for (let i = this.moves.length - 1; i >= 0; i--) {
      const m = this.moves[i];
      if (m && m.documentId === documentId && m.version <= version) this.moves.splice(i, 1);
    }
    return Promise.resolve();
  }

  recordOutcome(
    batchId: string,
    documentId: DocumentId,
    outcome: FinalOutcome,
    detail: { duplicate: boolean; errorName?: string | undefined; errorCause?: string | undefined; reasonCode?: string | undefined },
  ): Promise<void> {
    const b = this.batch(batchId);
    const name = b.get(documentId)?.name ?? this.documents.get(documentId)?.name ?? '';
    b.set(documentId, {
      documentId,
      name,
      outcome,
      duplicate: detail.duplicate,
      errorName: detail.errorName ?? null,
      errorCause: detail.errorCause ?? null,
      reasonCode: detail.reasonCode ?? null,
    });
    return Promise.resolve();
  }

  batchOutcomes(batchId: string): Promise<BatchOutcomeRecord[]> {
    return Promise.resolve([...this.batch(batchId).values()]);
  }
}

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<DocumentId, Uint8Array>();

  get(documentId: DocumentId): Promise<Uint8Array> {
    const v = this.objects.get(documentId);
    return v ? Promise.resolve(v) : Promise.reject(new ArtifactMissingError('original not found'));
  }

  size(documentId: DocumentId): Promise<number | null> {
    return Promise.resolve(this.objects.get(documentId)?.length ?? null);
  }
}

export class MemoryRouteSink implements RouteSink {
  readonly delivered = new Map<string, RouteResult>();

  locate(outcome: Outcome, result: RouteResult): string {
    return `memory://${outcome}/${result.documentId}`;
  }

  deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    const location = this.locate(outcome, result);
    this.delivered.set(location, result);
    return Promise.resolve({ location });
  }

  withdraw(location: string): Promise<void> {
    this.delivered.delete(location);
    return Promise.resolve();
  }
}
