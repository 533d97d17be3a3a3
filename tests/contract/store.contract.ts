import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChainHead, ChainVerdict } from '../../src/domain/audit-chain.js';
import type { DecisionInfo, DecisionKind, Outcome, RouteResult } from '../../src/domain/document.js';
import type { AuditLog, AuditRecord } from '../../src/ports/audit-log.js';
import type { CheckpointKey, Checkpoints } from '../../src/ports/checkpoints.js';
import type { DecisionLog, DecisionRecord, FieldVersion } from '../../src/ports/decisions.js';
import type { Ledger, RouteRecord } from '../../src/ports/ledger.js';

/**
 * The storage ports' contracts (Checkpoints, AuditLog, Ledger, DecisionLog), as one suite every
 * store runs (see STYLE.md, "contract"), so the embedded and the AWS modes behave alike. What
 * callers may rely on:
 *
 * - Checkpoints: the first value written for a key stays; a second put resolves and changes
 *   nothing; keys are exact (document, step, config version); any JSON value round-trips.
 * - AuditLog: `timeline` is one document's records in append order with increasing `seq`;
 *   `attempts` counts `entered` records per execution, document and step.
 * - Ledger: a document is routed once (first writer wins, the loser gets the winner's record) and
 *   the `routed` record is audited once, with it; batch outcomes are an idempotent upsert.
 * - DecisionLog: decision 1 is written with the route; `supersede` applies exactly once per
 *   version under concurrency, with its field version, pending move and audit record, or writes
 *   nothing at all; pending moves are listed until `moved` clears them.
 *
 * Races use a second handle on the same data (another process, another Lambda) where the adapter
 * has one.
 */

export type ContractStore = Checkpoints & AuditLog & Ledger & DecisionLog;

export interface StoreHandles {
  /** A fresh, empty store. */
  readonly store: ContractStore;
  /** Another handle on the same data; the same object for an adapter that has no such thing. */
  readonly another: () => ContractStore;
}

export interface StoreFixture {
  open(): Promise<StoreHandles>;
  close(): Promise<void>;
}

/** A contract clause an adapter is known to break. Its test runs as `it.fails`: fixing the adapter turns it red. */
export type StoreGap = 'rejects-a-duplicate-field-version';

export interface StoreContractOptions {
  readonly knownGaps?: readonly StoreGap[];
}

const hex = (): string => randomBytes(32).toString('hex');
const ROUTED_AT = '2026-11-01T09:00:00.000Z';
const LATER = '2026-11-02T10:30:00.000Z';
const STEPS = { Extract: 'ext-1', Classify: 'cls-1', ExtractFields: 'fld-1', Validate: 'val-1' } as const;

const location = (outcome: Outcome, documentId: string): string => `sink://${outcome}/${documentId}`;

const resultOf = (documentId: string, outcome: Outcome, decision: DecisionInfo, documentClass = 'invoice'): RouteResult => ({
  documentId,
  name: 'invoice-42.pdf',
  outcome,
  documentClass,
  confidence: 0.91,
  fields: { total: 48900, iban: '••••3000', note: 'Zahlung über 30 Tage' },
  findings: [],
  reasons: [{ code: outcome === 'hold' ? 'AMOUNT_ABOVE_APPROVAL_LIMIT' : 'REVIEW_APPROVED', message: `decided ${outcome}` }],
  configVersion: 'cfg-1',
  rulesetVersion: 'rules-1',
  classifier: 'keywords',
  decision,
});

const route = (documentId: string, outcome: Outcome = 'hold', batchId = 'b-1'): RouteRecord => ({
  documentId,
  outcome,
  batchId,
  executionId: `x-${batchId}`,
  documentClass: 'invoice',
  confidence: 0.91,
  reasons: [{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above the approval limit' }],
  location: location(outcome, documentId),
  routedAt: ROUTED_AT,
  version: 1,
  kind: 'pipeline',
  decidedAt: ROUTED_AT,
});

const routedAudit = (documentId: string, outcome: Outcome = 'hold', batchId = 'b-1'): AuditRecord => ({
  at: ROUTED_AT,
  executionId: `x-${batchId}`,
  batchId,
  documentId,
  step: 'Route',
  attempt: 1,
  event: 'routed',
  outcome,
});

const decision = (documentId: string, version: number, kind: DecisionKind, outcome: Outcome, tag = ''): DecisionRecord => ({
  documentId,
  version,
  kind,
  outcome,
  location: location(outcome, documentId),
  decidedAt: LATER,
  batchId: `${kind}-${version}${tag}`,
  executionId: `${kind}-${version}${tag}`,
  result: resultOf(documentId, outcome, { version, kind, supersedes: { version: version - 1, outcome: 'hold' } }, 'receipt'),
  steps: STEPS,
});

const auditOf = (d: DecisionRecord): AuditRecord => ({
  at: d.decidedAt,
  executionId: d.executionId,
  batchId: d.batchId,
  documentId: d.documentId,
  step: d.kind === 'review' ? 'Review' : 'Replay',
  attempt: 1,
  event: d.kind === 'review' ? 'reviewed' : 'replayed',
  outcome: d.outcome,
  note: `decision ${d.version} by ${d.executionId}`,
});

const fieldVersion = (documentId: string, version: number, total: number, author = 'alice'): FieldVersion => ({
  documentId,
  version,
  fields: { total, invoice_number: 'T-00042' },
  corrected: ['total'],
  author,
  createdAt: LATER,
});

const entered = (documentId: string | null, executionId: string, step: string, attempt: number, at = ROUTED_AT): AuditRecord => ({
  at,
  executionId,
  batchId: 'b-1',
  documentId,
  step,
  attempt,
  event: 'entered',
});

/** Routes a document (hold) with its decision record and step versions, as the Route step does. */
const routeDoc = async (store: ContractStore, documentId: string): Promise<void> => {
  const r = await store.recordRoute(route(documentId), routedAudit(documentId), {
    result: resultOf(documentId, 'hold', { version: 1, kind: 'pipeline' }),
    steps: STEPS,
  });
  expect(r.first).toBe(true);
};

/** What a store that hash-chains its audit records offers besides the port (see domain/audit-chain.ts). */
interface AuditChained {
  verifyAuditChain(anchor?: ChainHead): ChainVerdict;
  auditHead(): ChainHead | null;
}

const hasAuditChain = (store: object): store is AuditChained =>
  typeof (store as Partial<AuditChained>).verifyAuditChain === 'function' &&
  typeof (store as Partial<AuditChained>).auditHead === 'function';

const eventsOf = async (store: AuditLog, documentId: string): Promise<string[]> =>
  (await store.timeline(documentId)).map((r) => `${r.event}:${r.executionId}`);

export const storeContract = (name: string, setup: () => Promise<StoreFixture>, options: StoreContractOptions = {}): void => {
  const gap = (g: StoreGap) => (options.knownGaps?.includes(g) === true ? it.fails : it);

  describe(`Store contract: ${name}`, () => {
    let f: StoreFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f.close();
    });
    const open = (): Promise<StoreHandles> => f.open();

    describe('Checkpoints', () => {
      const cp = (documentId: string, step = 'Extract', configVersion = 'cfg-1'): CheckpointKey => ({ documentId, step, configVersion });

      it('misses as undefined; a put is readable at once, from another handle too', async () => {
        const { store, another } = await open();
        const doc = hex();
        expect(await store.get(cp(doc))).toBeUndefined();
        const value = { pages: [{ text: 'Rechnung Nr. 42 — Summe 1.250,00 €', words: 7 }], confidence: 0.875, empty: [], nothing: null };
        await store.put(cp(doc), value);
        expect(await store.get(cp(doc))).toEqual(value);
        expect(await another().get(cp(doc))).toEqual(value);
      });

      it('first writer wins: a second put resolves and keeps the first value', async () => {
        const { store, another } = await open();
        const doc = hex();
        await store.put(cp(doc), { v: 'first' });
        await store.put(cp(doc), { v: 'second' });
        await another().put(cp(doc), { v: 'third' });
        expect(await store.get(cp(doc))).toEqual({ v: 'first' });
        expect(await another().get(cp(doc))).toEqual({ v: 'first' });
      });

      it('of two concurrent writers, both resolve and every reader sees the same single value', async () => {
        const { store, another } = await open();
        const doc = hex();
        await Promise.all([store.put(cp(doc), { v: 'a' }), another().put(cp(doc), { v: 'b' })]);
        const seen = await store.get<{ v: string }>(cp(doc));
        expect(['a', 'b']).toContain(seen?.v);
        expect(await another().get(cp(doc))).toEqual(seen);
      });

      it('keys are exact: document, step and config version, even with separators inside them', async () => {
        const { store } = await open();
        const [doc, other] = [hex(), hex()];
        await store.put(cp(doc, 'a#b', 'c'), 1);
        await store.put(cp(doc, 'a', 'b#c'), 2);
        await store.put(cp(doc, 'a/b', 'c'), 3);
        await store.put(cp(other, 'a#b', 'c'), 4);
        await store.put(cp(doc, 'a#b', 'c2'), 5);
        expect(await store.get(cp(doc, 'a#b', 'c'))).toBe(1);
        expect(await store.get(cp(doc, 'a', 'b#c'))).toBe(2);
        expect(await store.get(cp(doc, 'a/b', 'c'))).toBe(3);
        expect(await store.get(cp(other, 'a#b', 'c'))).toBe(4);
        expect(await store.get(cp(doc, 'a#b', 'c2'))).toBe(5);
        expect(await store.get(cp(doc, 'a#b', 'c3'))).toBeUndefined();
      });

      it('round-trips falsy JSON values (null, 0, "", false) as hits, not misses', async () => {
        const { store } = await open();
        const doc = hex();
        const values: unknown[] = [null, 0, '', false];
        for (const [i, v] of values.entries()) await store.put(cp(doc, `s${i}`), v);
        for (const [i, v] of values.entries()) expect(await store.get(cp(doc, `s${i}`))).toBe(v);
      });
    });

    describe('AuditLog', () => {
      it("timeline is one document's records in append order with increasing seq, whatever their `at`", async () => {
        const { store } = await open();
        const [doc, other] = [hex(), hex()];
        const records: AuditRecord[] = [
          { ...entered(doc, 'x-1', 'Extract', 1, '2026-11-01T09:00:03.000Z') },
          { ...entered(other, 'x-1', 'Extract', 1) },
          {
            at: '2026-11-01T09:00:02.000Z',
            executionId: 'x-1',
            batchId: 'b-1',
            documentId: doc,
            step: 'Extract',
            attempt: 1,
            event: 'succeeded',
            durationMs: 12.5,
          },
          {
            at: '2026-11-01T09:00:00.000Z',
            executionId: 'x-1',
            batchId: 'b-1',
            documentId: null,
            step: 'Batch',
            attempt: 1,
            event: 'batch-started',
          },
          { ...entered(doc, 'x-1', 'Classify', 1, '2026-11-01T09:00:01.000Z') },
          { ...entered(doc, 'x-1', 'Classify', 1, '2026-11-01T09:00:01.000Z') },
        ];
        for (const r of records) await store.append(r);
        const timeline = await store.timeline(doc);
        expect(timeline.map(({ seq: _seq, ...r }) => r)).toEqual(records.filter((r) => r.documentId === doc));
        const seqs = timeline.map((r) => r.seq);
        expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
        expect(new Set(seqs).size).toBe(seqs.length);
        expect(await store.timeline(other)).toHaveLength(1);
      });

      it('keeps optional fields when given and leaves them out when not', async () => {
        const { store } = await open();
        const doc = hex();
        const full: AuditRecord = {
          at: ROUTED_AT,
          executionId: 'x-1',
          batchId: 'b-1',
          documentId: doc,
          step: 'Validate',
          attempt: 2,
          event: 'failed',
          durationMs: 1234,
          outcome: 'failed',
          errorName: 'DependencyUnavailableError',
          reasonCodes: ['PIPELINE_ERROR', 'RETRIES_EXHAUSTED'],
          note: 'from checkpoint',
        };
        const bare = entered(doc, 'x-1', 'Validate', 3);
        await store.append(full);
        await store.append(bare);
        const [a, b] = await store.timeline(doc);
        expect(a).toEqual({ ...full, seq: a?.seq });
        expect(b).toEqual({ ...bare, seq: b?.seq });
      });

      it('attempts counts `entered` records of one execution, document and step', async () => {
        const { store, another } = await open();
        const [doc, other] = [hex(), hex()];
        await store.append(entered(doc, 'x-1', 'Extract', 1));
        await another().append(entered(doc, 'x-1', 'Extract', 2));
        await store.append(entered(doc, 'x-1', 'Extract', 3));
        await store.append({ ...entered(doc, 'x-1', 'Extract', 3), event: 'retried' });
        await store.append(entered(doc, 'x-1', 'Classify', 1));
        await store.append(entered(doc, 'x-2', 'Extract', 1));
        await store.append(entered(other, 'x-1', 'Extract', 1));
        expect(await store.attempts('x-1', doc, 'Extract')).toBe(3);
        expect(await another().attempts('x-1', doc, 'Extract')).toBe(3);
        expect(await store.attempts('x-1', doc, 'Classify')).toBe(1);
        expect(await store.attempts('x-2', doc, 'Extract')).toBe(1);
        expect(await store.attempts('x-1', other, 'Extract')).toBe(1);
        expect(await store.attempts('x-3', doc, 'Extract')).toBe(0);
        expect(await store.timeline(hex())).toEqual([]);
      });

      it('loses no record when handles append concurrently', async () => {
        const { store, another } = await open();
        const doc = hex();
        const second = another();
        await Promise.all(
          Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? store : second).append(entered(doc, 'x-1', 'Extract', i + 1))),
        );
        const timeline = await store.timeline(doc);
        expect(timeline.map((r) => r.attempt).sort((a, b) => a - b)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
        expect(await store.attempts('x-1', doc, 'Extract')).toBe(12);
      });

      it('where the store keeps a hash chain: append, recordRoute and supersede from any handle extend one chain that verifies', async (ctx) => {
        const { store, another } = await open();
        if (!hasAuditChain(store)) {
          ctx.skip();
          return;
        }
        const before = store.verifyAuditChain();
        expect(before.ok).toBe(true);
        const [doc, other] = [hex(), hex()];
        const second = another();
        await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 === 0 ? store : second).append(entered(doc, 'x-1', 'Extract', i + 1))),
        );
        await routeDoc(store, doc);
        const s = await second.supersede(decision(doc, 2, 'review', 'pass'), {
          ...routedAudit(doc, 'pass'),
          step: 'Review',
          event: 'reviewed',
          note: 'approved',
        });
        expect(s.applied).toBe(true);
        await store.append(entered(other, 'x-2', 'Extract', 1));
        const after = store.verifyAuditChain();
        expect(after).toMatchObject({ ok: true, rows: before.rows + 11 });
        expect(after.head).toEqual(store.auditHead());
        if (hasAuditChain(second)) expect(second.verifyAuditChain()).toEqual(after);
        // The head is an anchor: the chain verifies against it, and not against a made-up one.
        const head = store.auditHead();
        if (!head) throw new Error('a chain with records has a head');
        expect(store.verifyAuditChain(head).ok).toBe(true);
        expect(store.verifyAuditChain({ seq: head.seq, hash: 'f'.repeat(64) })).toMatchObject({
          ok: false,
          problem: { kind: 'rewritten' },
        });
        expect(store.verifyAuditChain({ seq: head.seq + 5, hash: head.hash })).toMatchObject({ ok: false, problem: { kind: 'truncated' } });
      });
    });

    describe('Ledger', () => {
      it('registers a document once: the first registration is kept', async () => {
        const { store } = await open();
        const doc = hex();
        expect(await store.getDocument(doc)).toBeNull();
        await store.registerDocument({ documentId: doc, name: 'invoice-42.pdf', size: 1234, firstSeenBatch: 'b-1' });
        await store.registerDocument({ documentId: doc, name: 'copy of invoice-42.pdf', size: 1234, firstSeenBatch: 'b-2' });
        expect(await store.getDocument(doc)).toEqual({ documentId: doc, name: 'invoice-42.pdf', size: 1234, firstSeenBatch: 'b-1' });
      });

      it('routes a document once: the second writer gets first:false and the first record, and nothing of its own is written', async () => {
        const { store } = await open();
        const doc = hex();
        expect(await store.getRoute(doc)).toBeNull();
        const first = await store.recordRoute(route(doc), routedAudit(doc));
        expect(first).toEqual({ first: true, record: route(doc) });
        const second = await store.recordRoute(route(doc, 'pass', 'b-2'), routedAudit(doc, 'pass', 'b-2'));
        expect(second).toEqual({ first: false, record: route(doc) });
        expect(await store.getRoute(doc)).toEqual(route(doc));
        expect(await eventsOf(store, doc)).toEqual(['routed:x-b-1']);
        expect(await store.decisions(doc)).toHaveLength(1);
      });

      it('of two concurrent routers exactly one is first; both get its record; it is audited once', async () => {
        const { store, another } = await open();
        const doc = hex();
        const [a, b] = await Promise.all([
          store.recordRoute(route(doc, 'hold', 'b-1'), routedAudit(doc, 'hold', 'b-1')),
          another().recordRoute(route(doc, 'pass', 'b-2'), routedAudit(doc, 'pass', 'b-2')),
        ]);
        expect([a.first, b.first].filter(Boolean)).toHaveLength(1);
        const winner = a.first ? a.record : b.record;
        expect(a.record).toEqual(winner);
        expect(b.record).toEqual(winner);
        expect(await eventsOf(store, doc)).toEqual([`routed:${winner.executionId}`]);
        expect((await store.decisions(doc)).map((d) => d.batchId)).toEqual([winner.batchId]);
      });

      it('keeps batch membership and outcomes: adding is idempotent, outcomes are an upsert', async () => {
        const { store, another } = await open();
        const [a, b, c] = [hex(), hex(), hex()];
        await store.addToBatch('b-1', [
          { documentId: a, name: 'a.pdf' },
          { documentId: b, name: 'b.pdf' },
          { documentId: c, name: 'c.pdf' },
        ]);
        await another().addToBatch('b-1', [{ documentId: a, name: 'renamed.pdf' }]);
        const pending = { outcome: null, duplicate: false, errorName: null, errorCause: null, reasonCode: null };
        expect(await store.batchOutcomes('b-1')).toEqual([
          { documentId: a, name: 'a.pdf', ...pending },
          { documentId: b, name: 'b.pdf', ...pending },
          { documentId: c, name: 'c.pdf', ...pending },
        ]);

        await store.recordOutcome('b-1', a, 'failed', {
          duplicate: false,
          errorName: 'DependencyUnavailableError',
          errorCause: 'ocr engine down',
        });
        await store.recordOutcome('b-1', a, 'pass', { duplicate: false });
        await store.recordOutcome('b-1', b, 'reject', { duplicate: false, reasonCode: 'CORRUPT_PDF', errorName: 'CorruptDocumentError' });
        await another().recordOutcome('b-1', c, 'hold', { duplicate: true });
        // A re-run adding the documents again does not reset their outcomes.
        await store.addToBatch('b-1', [{ documentId: a, name: 'a.pdf' }]);
        expect(await store.batchOutcomes('b-1')).toEqual([
          { documentId: a, name: 'a.pdf', outcome: 'pass', duplicate: false, errorName: null, errorCause: null, reasonCode: null },
          {
            documentId: b,
            name: 'b.pdf',
            outcome: 'reject',
            duplicate: false,
            errorName: 'CorruptDocumentError',
            errorCause: null,
            reasonCode: 'CORRUPT_PDF',
          },
          { documentId: c, name: 'c.pdf', outcome: 'hold', duplicate: true, errorName: null, errorCause: null, reasonCode: null },
        ]);
        expect(await store.batchOutcomes('b-2')).toEqual([]);
      });

      it('records the outcome of a document never added to the batch, named as registered (or empty)', async () => {
        const { store } = await open();
        const [known, unknown, member] = [hex(), hex(), hex()];
        await store.registerDocument({ documentId: known, name: 'known.pdf', size: 10, firstSeenBatch: 'b-0' });
        await store.addToBatch('b-1', [{ documentId: member, name: 'member.pdf' }]);
        await store.recordOutcome('b-1', known, 'pass', { duplicate: true });
        await store.recordOutcome('b-1', unknown, 'failed', { duplicate: false, errorName: 'InternalError' });
        const outcomes = await store.batchOutcomes('b-1');
        expect(outcomes).toHaveLength(3);
        expect(outcomes).toEqual(
          expect.arrayContaining([
            { documentId: known, name: 'known.pdf', outcome: 'pass', duplicate: true, errorName: null, errorCause: null, reasonCode: null },
            {
              documentId: unknown,
              name: '',
              outcome: 'failed',
              duplicate: false,
              errorName: 'InternalError',
              errorCause: null,
              reasonCode: null,
            },
            expect.objectContaining({ documentId: member, outcome: null }),
          ]),
        );
      });
    });

    describe('DecisionLog', () => {
      it('recordRoute writes decision 1 with the delivered record and the step versions', async () => {
        const { store } = await open();
        const doc = hex();
        await routeDoc(store, doc);
        expect(await store.decisions(doc)).toEqual([
          {
            documentId: doc,
            version: 1,
            kind: 'pipeline',
            outcome: 'hold',
            location: location('hold', doc),
            decidedAt: ROUTED_AT,
            batchId: 'b-1',
            executionId: 'x-b-1',
            result: resultOf(doc, 'hold', { version: 1, kind: 'pipeline' }),
            steps: STEPS,
          },
        ]);
        expect(await store.getRoute(doc)).toMatchObject({ version: 1, kind: 'pipeline', decidedAt: ROUTED_AT, routedAt: ROUTED_AT });
        expect(await store.pendingMoves()).toEqual([]);
        expect(await store.fieldVersions(doc)).toEqual([]);
      });

      it('a route recorded without a decision record has decision 1 with null result and steps', async () => {
        const { store } = await open();
        const doc = hex();
        await store.recordRoute(route(doc), routedAudit(doc));
        expect(await store.decisions(doc)).toEqual([expect.objectContaining({ version: 1, outcome: 'hold', result: null, steps: null })]);
      });

      it('supersede appends the next version and makes it the route, keeping when and by which batch it was routed', async () => {
        const { store } = await open();
        const doc = hex();
        await routeDoc(store, doc);
        const next = decision(doc, 2, 'review', 'pass');
        expect(await store.supersede(next, auditOf(next))).toEqual({ applied: true, current: next });
        expect(await store.decisions(doc)).toEqual([expect.objectContaining({ version: 1, outcome: 'hold' }), next]);
        expect(await store.getRoute(doc)).toEqual({
          documentId: doc,
          outcome: 'pass',
          batchId: 'b-1',
          executionId: 'x-b-1',
          documentClass: 'receipt',
          confidence: 0.91,
          reasons: next.result?.reasons,
          location: location('pass', doc),
          routedAt: ROUTED_AT,
          version: 2,
          kind: 'review',
          decidedAt: LATER,
        });
        expect(await eventsOf(store, doc)).toEqual(['routed:x-b-1', 'reviewed:review-2']);

        const third = decision(doc, 3, 'replay', 'reject');
        expect(await store.supersede(third, auditOf(third))).toEqual({ applied: true, current: third });
        expect((await store.decisions(doc)).map((d) => d.version)).toEqual([1, 2, 3]);
      });

      it('of concurrent writers expecting the same version, exactly one applies; the others get applied:false and the winner', async () => {
        const { store, another } = await open();
        const doc = hex();
        await routeDoc(store, doc);
        const contenders = [
          decision(doc, 2, 'review', 'pass', '-a'),
          decision(doc, 2, 'replay', 'reject', '-b'),
          decision(doc, 2, 'review', 'hold', '-c'),
        ];
        const handles = [store, another(), another()];
        const results = await Promise.all(
          contenders.map((d, i) =>
            (handles[i] ?? store).supersede(d, auditOf(d), i === 0 ? { fieldVersion: fieldVersion(doc, 2, 9500) } : {}),
          ),
        );
        const won = results.flatMap((r, i) => (r.applied ? [contenders[i]] : []));
        expect(won).toHaveLength(1);
        const winner = won[0];
        for (const r of results) expect(r.current).toEqual(winner);
        expect(await store.decisions(doc)).toEqual([expect.objectContaining({ version: 1 }), winner]);
        expect((await store.getRoute(doc))?.kind).toBe(winner?.kind);
        const decided = (await store.timeline(doc)).filter((r) => r.event === 'reviewed' || r.event === 'replayed');
        expect(decided.map((r) => r.executionId)).toEqual([winner?.executionId]);
        expect(await store.fieldVersions(doc)).toEqual(winner === contenders[0] ? [fieldVersion(doc, 2, 9500)] : []);
        expect(await store.pendingMoves()).toEqual([{ documentId: doc, version: 2, previousLocations: [location('hold', doc)] }]);
      });

      it('a supersede that does not apply writes nothing: no decision, audit, field version or pending move', async () => {
        const { store } = await open();
        const doc = hex();
        await routeDoc(store, doc);
        const first = decision(doc, 2, 'replay', 'pass');
        expect((await store.supersede(first, auditOf(first))).applied).toBe(true);
        await store.moved(doc, 2);
        const before = { chain: await store.decisions(doc), events: await eventsOf(store, doc), route: await store.getRoute(doc) };

        const stale = decision(doc, 2, 'review', 'reject', '-stale');
        expect(await store.supersede(stale, auditOf(stale), { fieldVersion: fieldVersion(doc, 2, 1, 'bob') })).toEqual({
          applied: false,
          current: first,
        });
        // Skipping a version is as stale as repeating one.
        const skipping = decision(doc, 4, 'review', 'reject');
        expect(await store.supersede(skipping, auditOf(skipping))).toEqual({ applied: false, current: first });

        expect(await store.decisions(doc)).toEqual(before.chain);
        expect(await eventsOf(store, doc)).toEqual(before.events);
        expect(await store.getRoute(doc)).toEqual(before.route);
        expect(await store.fieldVersions(doc)).toEqual([]);
        expect(await store.pendingMoves()).toEqual([]);
      });

      it('a supersede of a document never routed does not apply', async () => {
        const { store } = await open();
        const doc = hex();
        const next = decision(doc, 2, 'review', 'pass');
        expect(await store.supersede(next, auditOf(next))).toEqual({ applied: false, current: null });
        expect(await store.decisions(doc)).toEqual([]);
        expect(await store.getRoute(doc)).toBeNull();
        expect(await store.timeline(doc)).toEqual([]);
        expect(await store.pendingMoves()).toEqual([]);
      });

      it("stores the reviewer's field versions with the decisions that applied, in version order", async () => {
        const { store, another } = await open();
        const [doc, other] = [hex(), hex()];
        await routeDoc(store, doc);
        const v2 = decision(doc, 2, 'review', 'hold');
        await store.supersede(v2, auditOf(v2), { fieldVersion: fieldVersion(doc, 2, 9500) });
        const v3 = decision(doc, 3, 'review', 'pass');
        await another().supersede(v3, auditOf(v3), { fieldVersion: fieldVersion(doc, 3, 9400, 'bob') });
        expect(await store.fieldVersions(doc)).toEqual([fieldVersion(doc, 2, 9500), fieldVersion(doc, 3, 9400, 'bob')]);
        expect(await store.fieldVersions(other)).toEqual([]);
      });

      gap('rejects-a-duplicate-field-version')('rolls the whole decision back when its field version exists already', async () => {
        const { store } = await open();
        const doc = hex();
        await routeDoc(store, doc);
        const v2 = decision(doc, 2, 'review', 'hold');
        await store.supersede(v2, auditOf(v2), { fieldVersion: fieldVersion(doc, 2, 9500) });
        const before = { route: await store.getRoute(doc), events: await eventsOf(store, doc), moves: await store.pendingMoves() };

        const v3 = decision(doc, 3, 'review', 'pass');
        await expect(store.supersede(v3, auditOf(v3), { fieldVersion: fieldVersion(doc, 2, 1, 'bob') })).rejects.toThrow();

        expect((await store.decisions(doc)).map((d) => d.version)).toEqual([1, 2]);
        expect(await store.getRoute(doc)).toEqual(before.route);
        expect(await eventsOf(store, doc)).toEqual(before.events);
        expect(await store.pendingMoves()).toEqual(before.moves);
        expect(await store.fieldVersions(doc)).toEqual([fieldVersion(doc, 2, 9500)]);
      });

      it('lists pending moves with the earlier locations until moved() clears them up to a version', async () => {
        const { store, another } = await open();
        const [doc, other] = [hex(), hex()].sort() as [string, string];
        await routeDoc(store, doc);
        await routeDoc(store, other);
        const v2 = decision(doc, 2, 'replay', 'pass');
        await store.supersede(v2, auditOf(v2));
        expect(await store.pendingMoves()).toEqual([{ documentId: doc, version: 2, previousLocations: [location('hold', doc)] }]);
        expect(await another().pendingMoves()).toEqual([{ documentId: doc, version: 2, previousLocations: [location('hold', doc)] }]);

        const v3 = decision(doc, 3, 'replay', 'reject');
        await store.supersede(v3, auditOf(v3));
        const o2 = decision(other, 2, 'review', 'pass');
        await another().supersede(o2, auditOf(o2));
        const pending = await store.pendingMoves();
        expect(pending).toHaveLength(2);
        expect(pending).toContainEqual({ documentId: doc, version: 3, previousLocations: [location('hold', doc), location('pass', doc)] });
        expect(pending).toContainEqual({ documentId: other, version: 2, previousLocations: [location('hold', other)] });

        await store.moved(doc, 2);
        expect(await store.pendingMoves()).toContainEqual({ documentId: doc, version: 3, previousLocations: [location('pass', doc)] });
        await another().moved(doc, 3);
        expect(await store.pendingMoves()).toEqual([{ documentId: other, version: 2, previousLocations: [location('hold', other)] }]);
        // Idempotent, and per document.
        await store.moved(doc, 3);
        await store.moved(other, 2);
        expect(await store.pendingMoves()).toEqual([]);
        expect(await another().pendingMoves()).toEqual([]);
      });
    });
  });
};
