import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../../../src/adapters/local/sqlite-store.js';
import { MemoryStore } from '../../../../src/adapters/memory/memory-store.js';
import type { DecisionInfo, DecisionKind, Outcome, RouteResult } from '../../../../src/domain/document.js';
import type { AuditLog, AuditRecord } from '../../../../src/ports/audit-log.js';
import type { DecisionLog, DecisionRecord, FieldVersion } from '../../../../src/ports/decisions.js';
import type { Ledger, RouteRecord } from '../../../../src/ports/ledger.js';
import { tempDir } from '../../../helpers/docs.js';

/**
 * The decision chain (DecisionLog, and the Ledger's version-1 decision) on a real SQLite file, and
 * the same contract on MemoryStore, the reference the durable adapter is compared against.
 */

type DecisionStore = Ledger & DecisionLog & AuditLog;

const DOC = 'a'.repeat(64);
const OTHER = 'b'.repeat(64);
const ROUTED_AT = '2026-11-01T09:00:00.000Z';
const LATER = '2026-11-02T10:30:00.000Z';
const STEPS = { Extract: 'ext-1', Classify: 'cls-1', ExtractFields: 'fld-1', Validate: 'val-1' } as const;

const dirs: string[] = [];
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

const newDbFile = (): string => {
  const dir = tempDir('decisions');
  dirs.push(dir);
  return path.join(dir, 'docroute.db');
};

const openSqlite = (file: string): SqliteStore => {
  const store = new SqliteStore(file);
  closers.push(() => store.close());
  return store;
};

/** A second, raw connection to the same file: what someone with sqlite3 on the box could do. */
const rawConnection = (file: string, readonly = false): Database.Database => {
  const db = new Database(file, { readonly });
  closers.push(() => db.close());
  return db;
};

const location = (outcome: Outcome, documentId: string): string => `sink://${outcome}/${documentId}`;

const resultOf = (documentId: string, outcome: Outcome, decision: DecisionInfo, documentClass = 'invoice'): RouteResult => ({
  documentId,
  name: 'invoice-42.pdf',
  outcome,
  documentClass,
  confidence: 0.91,
  fields: { total: 48900, iban: '••••3000' },
  findings: [],
  reasons: [{ code: outcome === 'hold' ? 'AMOUNT_ABOVE_APPROVAL_LIMIT' : 'REVIEW_APPROVED', message: `decided ${outcome}` }],
  configVersion: 'cfg-1',
  rulesetVersion: 'rules-1',
  classifier: 'keywords',
  decision,
});

const route = (documentId: string, outcome: Outcome = 'hold'): RouteRecord => ({
  documentId,
  outcome,
  batchId: 'b-1',
  executionId: 'x-1',
  documentClass: 'invoice',
  confidence: 0.91,
  reasons: [{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above the approval limit' }],
  location: location(outcome, documentId),
  routedAt: ROUTED_AT,
  version: 1,
  kind: 'pipeline',
  decidedAt: ROUTED_AT,
});

const routedAudit = (documentId: string, outcome: Outcome = 'hold'): AuditRecord => ({
  at: ROUTED_AT,
  executionId: 'x-1',
  batchId: 'b-1',
  documentId,
  step: 'Route',
  attempt: 1,
  event: 'routed',
  outcome,
});

const decision = (
  documentId: string,
  version: number,
  kind: DecisionKind,
  outcome: Outcome,
  documentClass = 'invoice',
): DecisionRecord => ({
  documentId,
  version,
  kind,
  outcome,
  location: location(outcome, documentId),
  decidedAt: LATER,
  batchId: `${kind}-${version}`,
  executionId: `${kind}-${version}`,
  result: resultOf(documentId, outcome, { version, kind, supersedes: { version: version - 1, outcome: 'hold' } }, documentClass),
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

/** Routes DOC (hold) with its decision record and step versions, as the Route step does. */
const routeDoc = async (store: DecisionStore, documentId = DOC): Promise<void> => {
  const r = await store.recordRoute(route(documentId), routedAudit(documentId), {
    result: resultOf(documentId, 'hold', { version: 1, kind: 'pipeline' }),
    steps: STEPS,
  });
  expect(r.first).toBe(true);
};

const eventsOf = async (store: AuditLog, documentId = DOC): Promise<string[]> =>
  (await store.timeline(documentId)).map((r) => `${r.event}:${r.executionId}`);

const ADAPTERS: [string, () => DecisionStore][] = [
  ['SqliteStore', () => openSqlite(newDbFile())],
  ['MemoryStore', () => new MemoryStore()],
];

describe.each(ADAPTERS)('%s: the decision chain contract', (_name, open) => {
  it('recordRoute writes decision 1 with the delivered record and the step versions', async () => {
    const store = open();
    await routeDoc(store);
    expect(await store.decisions(DOC)).toEqual([
      {
        documentId: DOC,
        version: 1,
        kind: 'pipeline',
        outcome: 'hold',
        location: location('hold', DOC),
        decidedAt: ROUTED_AT,
        batchId: 'b-1',
        executionId: 'x-1',
        result: resultOf(DOC, 'hold', { version: 1, kind: 'pipeline' }),
        steps: STEPS,
      },
    ]);
    expect(await store.getRoute(DOC)).toMatchObject({ version: 1, kind: 'pipeline', decidedAt: ROUTED_AT, routedAt: ROUTED_AT });
    expect(await store.pendingMoves()).toEqual([]);
  });

  it('recordRoute without a decision record keeps null result and steps; a second route writes no second decision', async () => {
    const store = open();
    await store.recordRoute(route(DOC), routedAudit(DOC));
    const again = await store.recordRoute(
      { ...route(DOC, 'pass'), batchId: 'b-2' },
      { ...routedAudit(DOC, 'pass'), batchId: 'b-2' },
      {
        result: resultOf(DOC, 'pass', { version: 1, kind: 'pipeline' }),
        steps: STEPS,
      },
    );
    expect(again.first).toBe(false);
    expect(again.record.outcome).toBe('hold');
    const chain = await store.decisions(DOC);
    expect(chain).toHaveLength(1);
    expect(chain[0]).toMatchObject({ version: 1, outcome: 'hold', result: null, steps: null });
  });

  it('supersede appends version 2 and makes it the current route, keeping when and by which batch it was first routed', async () => {
    const store = open();
    await routeDoc(store);
    const next = decision(DOC, 2, 'review', 'pass', 'receipt');
    const r = await store.supersede(next, auditOf(next));
    expect(r).toEqual({ applied: true, current: next });
    expect(await store.decisions(DOC)).toEqual([expect.objectContaining({ version: 1, outcome: 'hold' }), next]);
    expect(await store.getRoute(DOC)).toEqual({
      documentId: DOC,
      outcome: 'pass',
      batchId: 'b-1',
      executionId: 'x-1',
      documentClass: 'receipt',
      confidence: 0.91,
      reasons: next.result?.reasons,
      location: location('pass', DOC),
      routedAt: ROUTED_AT,
      version: 2,
      kind: 'review',
      decidedAt: LATER,
    });
    expect(await eventsOf(store)).toEqual(['routed:x-1', 'reviewed:review-2']);
  });

  it('of two writers expecting version 1, exactly one applies; the other gets applied:false and the winner', async () => {
    const store = open();
    await routeDoc(store);
    const review = decision(DOC, 2, 'review', 'pass');
    const replay = decision(DOC, 2, 'replay', 'reject');
    const [a, b] = await Promise.all([
      store.supersede(review, auditOf(review), { fieldVersion: fieldVersion(DOC, 2, 9500, 'alice') }),
      store.supersede(replay, auditOf(replay)),
    ]);
    expect([a.applied, b.applied].filter(Boolean)).toHaveLength(1);
    const [won, lost] = a.applied ? [review, b] : [replay, a];
    expect(lost).toEqual({ applied: false, current: won });
    expect(await store.decisions(DOC)).toHaveLength(2);
    expect((await store.getRoute(DOC))?.kind).toBe(won.kind);
    // Only the applied decision is audited.
    const decided = (await store.timeline(DOC)).filter((r) => r.event === 'reviewed' || r.event === 'replayed');
    expect(decided.map((r) => r.executionId)).toEqual([won.executionId]);
  });

  it('a supersede that does not apply writes nothing: no decision, audit, field version or pending move', async () => {
    const store = open();
    await routeDoc(store);
    const first = decision(DOC, 2, 'replay', 'pass');
    expect((await store.supersede(first, auditOf(first))).applied).toBe(true);
    await store.moved(DOC, 2);
    const before = { chain: await store.decisions(DOC), events: await eventsOf(store), route: await store.getRoute(DOC) };

    const stale = decision(DOC, 2, 'review', 'reject');
    const r = await store.supersede(stale, auditOf(stale), { fieldVersion: fieldVersion(DOC, 2, 1, 'bob') });
    expect(r).toEqual({ applied: false, current: first });
    // Skipping a version is as stale as repeating one.
    const skipping = decision(DOC, 4, 'review', 'reject');
    expect((await store.supersede(skipping, auditOf(skipping))).applied).toBe(false);

    expect(await store.decisions(DOC)).toEqual(before.chain);
    expect(await eventsOf(store)).toEqual(before.events);
    expect(await store.getRoute(DOC)).toEqual(before.route);
    expect(await store.fieldVersions(DOC)).toEqual([]);
    expect(await store.pendingMoves()).toEqual([]);
  });

  it('a supersede of a document that was never routed does not apply', async () => {
    const store = open();
    const next = decision(OTHER, 2, 'review', 'pass');
    expect(await store.supersede(next, auditOf(next))).toEqual({ applied: false, current: null });
    expect(await store.decisions(OTHER)).toEqual([]);
    expect(await store.getRoute(OTHER)).toBeNull();
    expect(await store.timeline(OTHER)).toEqual([]);
  });

  it("stores the reviewer's field version with the decision that applied", async () => {
    const store = open();
    await routeDoc(store);
    expect(await store.fieldVersions(DOC)).toEqual([]);
    const next = decision(DOC, 2, 'review', 'pass');
    const fv = fieldVersion(DOC, 2, 9500);
    await store.supersede(next, auditOf(next), { fieldVersion: fv });
    expect(await store.fieldVersions(DOC)).toEqual([fv]);
    expect(await store.fieldVersions(OTHER)).toEqual([]);
  });

  it('pendingMoves lists the earlier locations until moved() clears them up to a version', async () => {
    const store = open();
    await routeDoc(store);
    await routeDoc(store, OTHER);
    const v2 = decision(DOC, 2, 'replay', 'pass');
    await store.supersede(v2, auditOf(v2));
    expect(await store.pendingMoves()).toEqual([{ documentId: DOC, version: 2, previousLocations: [location('hold', DOC)] }]);

    const v3 = decision(DOC, 3, 'replay', 'reject');
    await store.supersede(v3, auditOf(v3));
    const o2 = decision(OTHER, 2, 'review', 'pass');
    await store.supersede(o2, auditOf(o2));
    const pending = await store.pendingMoves();
    expect(pending).toHaveLength(2);
    expect(pending).toContainEqual({ documentId: DOC, version: 3, previousLocations: [location('hold', DOC), location('pass', DOC)] });
    expect(pending).toContainEqual({ documentId: OTHER, version: 2, previousLocations: [location('hold', OTHER)] });

    await store.moved(DOC, 2);
    expect(await store.pendingMoves()).toContainEqual({ documentId: DOC, version: 3, previousLocations: [location('pass', DOC)] });
    await store.moved(DOC, 3);
    expect(await store.pendingMoves()).toEqual([{ documentId: OTHER, version: 2, previousLocations: [location('hold', OTHER)] }]);
    // Idempotent, and per document.
    await store.moved(DOC, 3);
    await store.moved(OTHER, 2);
    expect(await store.pendingMoves()).toEqual([]);
  });
});

describe('SqliteStore: durability and append-only decisions', () => {
  it('keeps the chain, the field versions and the pending moves across a reopen', async () => {
    const file = newDbFile();
    const store = openSqlite(file);
    await routeDoc(store);
    const next = decision(DOC, 2, 'review', 'pass');
    const fv = fieldVersion(DOC, 2, 9500);
    await store.supersede(next, auditOf(next), { fieldVersion: fv });
    store.close();

    const reopened = openSqlite(file);
    expect((await reopened.decisions(DOC)).map((d) => d.version)).toEqual([1, 2]);
    expect((await reopened.decisions(DOC))[1]).toEqual(next);
    expect(await reopened.fieldVersions(DOC)).toEqual([fv]);
    expect(await reopened.pendingMoves()).toEqual([{ documentId: DOC, version: 2, previousLocations: [location('hold', DOC)] }]);
    expect((await reopened.getRoute(DOC))?.version).toBe(2);
  });

  it('two stores on the same file: the second writer expecting version 1 loses to the first', async () => {
    const file = newDbFile();
    const one = openSqlite(file);
    const two = openSqlite(file);
    await routeDoc(one);
    const review = decision(DOC, 2, 'review', 'pass');
    const replay = decision(DOC, 2, 'replay', 'reject');
    expect((await one.supersede(review, auditOf(review))).applied).toBe(true);
    expect(await two.supersede(replay, auditOf(replay), { fieldVersion: fieldVersion(DOC, 2, 1) })).toEqual({
      applied: false,
      current: review,
    });
    expect(await two.fieldVersions(DOC)).toEqual([]);
    expect((await two.timeline(DOC)).map((r) => r.event)).toEqual(['routed', 'reviewed']);
  });

  it('rolls the whole decision back when part of its write fails (the field version here)', async () => {
    const store = openSqlite(newDbFile());
    await routeDoc(store);
    const v2 = decision(DOC, 2, 'review', 'pass');
    await store.supersede(v2, auditOf(v2), { fieldVersion: fieldVersion(DOC, 2, 9500) });
    const before = { route: await store.getRoute(DOC), events: await eventsOf(store), moves: await store.pendingMoves() };

    // Field version 2 exists already: the insert fails, and with it the decision, route update, move and audit.
    const v3 = decision(DOC, 3, 'replay', 'reject');
    await expect(async () => store.supersede(v3, auditOf(v3), { fieldVersion: fieldVersion(DOC, 2, 1) })).rejects.toThrow();

    expect((await store.decisions(DOC)).map((d) => d.version)).toEqual([1, 2]);
    expect(await store.getRoute(DOC)).toEqual(before.route);
    expect(await eventsOf(store)).toEqual(before.events);
    expect(await store.pendingMoves()).toEqual(before.moves);
    expect(await store.fieldVersions(DOC)).toEqual([fieldVersion(DOC, 2, 9500)]);
  });

  it.each([
    ['UPDATE decisions SET outcome = ? WHERE document_id = ?', ['reject', DOC]],
    ['DELETE FROM decisions WHERE document_id = ?', [DOC]],
    ['UPDATE field_versions SET fields = ? WHERE document_id = ?', ['{}', DOC]],
    ['DELETE FROM field_versions WHERE document_id = ?', [DOC]],
  ] as const)('refuses "%s" from another connection', async (sql, params) => {
    const file = newDbFile();
    const store = openSqlite(file);
    await routeDoc(store);
    const next = decision(DOC, 2, 'review', 'pass');
    const fv = fieldVersion(DOC, 2, 9500);
    await store.supersede(next, auditOf(next), { fieldVersion: fv });

    const raw = rawConnection(file);
    expect(() => raw.prepare(sql).run(...params)).toThrow(/append-only/);
    expect((await store.decisions(DOC)).map((d) => [d.version, d.outcome])).toEqual([
      [1, 'hold'],
      [2, 'pass'],
    ]);
    expect(await store.fieldVersions(DOC)).toEqual([fv]);
  });
});

/** The schema-1 DDL: the v2 schema without routes.version/kind/decided_at, decisions, field_versions and pending_moves. */
const SCHEMA_V1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE documents (document_id TEXT PRIMARY KEY, name TEXT NOT NULL, size INTEGER NOT NULL, first_seen_batch TEXT NOT NULL);
CREATE TABLE checkpoints (
  document_id TEXT NOT NULL, step TEXT NOT NULL, config_version TEXT NOT NULL, value TEXT NOT NULL,
  PRIMARY KEY (document_id, step, config_version)
) WITHOUT ROWID;
CREATE TABLE routes (
  document_id TEXT PRIMARY KEY,
  outcome TEXT NOT NULL CHECK (outcome IN ('pass','hold','reject')),
  batch_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  document_class TEXT,
  confidence REAL,
  reasons TEXT NOT NULL,
  location TEXT NOT NULL,
  routed_at TEXT NOT NULL
);
CREATE TABLE batches (
  batch_id TEXT PRIMARY KEY, execution_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running','completed','failed')),
  source TEXT NOT NULL, created_at TEXT NOT NULL, completed_at TEXT, owner_pid INTEGER NOT NULL,
  config_version TEXT NOT NULL, received INTEGER NOT NULL, summary TEXT
);
CREATE TABLE batch_documents (
  batch_id TEXT NOT NULL, document_id TEXT NOT NULL, name TEXT NOT NULL, position INTEGER NOT NULL,
  outcome TEXT CHECK (outcome IN ('pass','hold','reject','failed')), duplicate INTEGER NOT NULL DEFAULT 0,
  error_name TEXT, error_cause TEXT, reason_code TEXT,
  PRIMARY KEY (batch_id, document_id)
) WITHOUT ROWID;
CREATE TABLE audit (
  seq INTEGER PRIMARY KEY, at TEXT NOT NULL, execution_id TEXT NOT NULL, batch_id TEXT NOT NULL, document_id TEXT,
  step TEXT NOT NULL, attempt INTEGER NOT NULL, event TEXT NOT NULL, duration_ms REAL, outcome TEXT, error_name TEXT,
  reason_codes TEXT, note TEXT
);
CREATE INDEX audit_by_document ON audit (document_id, seq);
CREATE INDEX audit_attempts ON audit (execution_id, document_id, step, event);
CREATE INDEX batches_by_status ON batches (status, created_at);
CREATE INDEX batch_documents_by_document ON batch_documents (document_id);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
`;

/** A store as schema 1 left it: one document routed to hold, with its audit record. */
const schemaOneStore = (file: string): void => {
  const db = new Database(file);
  try {
    db.pragma('journal_mode = WAL');
    db.exec(SCHEMA_V1);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', '1')").run();
    db.prepare('INSERT INTO documents VALUES (?, ?, ?, ?)').run(DOC, 'invoice-42.pdf', 1234, 'b-old');
    db.prepare(
      `INSERT INTO routes (document_id, outcome, batch_id, execution_id, document_class, confidence, reasons, location, routed_at)
       VALUES (?, 'hold', 'b-old', 'x-old', 'invoice', 0.87, ?, '/data/routes/hold/invoice-42.pdf', ?)`,
    ).run(DOC, JSON.stringify([{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above the limit' }]), ROUTED_AT);
    db.prepare(
      `INSERT INTO audit (at, execution_id, batch_id, document_id, step, attempt, event, outcome)
       VALUES (?, 'x-old', 'b-old', ?, 'Route', 1, 'routed', 'hold')`,
    ).run(ROUTED_AT, DOC);
  } finally {
    db.close();
  }
};

const schemaVersionOf = (file: string): string | undefined => {
  const db = new Database(file, { readonly: true });
  try {
    return db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value;
  } finally {
    db.close();
  }
};

describe('SqliteStore: migrating a schema-1 store', () => {
  const legacyRoute: RouteRecord = {
    documentId: DOC,
    outcome: 'hold',
    batchId: 'b-old',
    executionId: 'x-old',
    documentClass: 'invoice',
    confidence: 0.87,
    reasons: [{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above the limit' }],
    location: '/data/routes/hold/invoice-42.pdf',
    routedAt: ROUTED_AT,
    version: 1,
    kind: 'pipeline',
    decidedAt: ROUTED_AT,
  };
  const legacyDecision: DecisionRecord = {
    documentId: DOC,
    version: 1,
    kind: 'pipeline',
    outcome: 'hold',
    location: '/data/routes/hold/invoice-42.pdf',
    decidedAt: ROUTED_AT,
    batchId: 'b-old',
    executionId: 'x-old',
    result: null,
    steps: null,
  };

  it('reads an old route as decision 1 of the pipeline, recorded with no result, and raises the schema to 3', async () => {
    const file = newDbFile();
    schemaOneStore(file);
    expect(schemaVersionOf(file)).toBe('1');

    const store = openSqlite(file);
    expect(await store.getRoute(DOC)).toEqual(legacyRoute);
    expect(await store.decisions(DOC)).toEqual([legacyDecision]);
    expect(await store.getDocument(DOC)).toMatchObject({ name: 'invoice-42.pdf', firstSeenBatch: 'b-old' });
    expect((await store.timeline(DOC)).map((r) => r.event)).toEqual(['routed']);
    store.close();
    expect(schemaVersionOf(file)).toBe('3');
  });

  it('refuses a store written by a newer docroute instead of downgrading it', () => {
    const file = newDbFile();
    openSqlite(file).close();
    const raw = new Database(file);
    raw.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    raw.close();
    expect(() => openSqlite(file)).toThrow(/written by a newer docroute \(schema 99/);
    expect(schemaVersionOf(file)).toBe('99');
  });

  it('is harmless to open a migrated store again', async () => {
    const file = newDbFile();
    schemaOneStore(file);
    openSqlite(file).close();
    const again = openSqlite(file);
    expect(await again.getRoute(DOC)).toEqual(legacyRoute);
    expect(await again.decisions(DOC)).toEqual([legacyDecision]);
    expect(await again.pendingMoves()).toEqual([]);
    again.close();
    expect(schemaVersionOf(file)).toBe('3');
  });

  it('continues the chain of a migrated route, append-only like any other', async () => {
    const file = newDbFile();
    schemaOneStore(file);
    const store = openSqlite(file);
    const next = decision(DOC, 2, 'review', 'pass');
    expect(await store.supersede(next, auditOf(next))).toEqual({ applied: true, current: next });
    expect(await store.getRoute(DOC)).toMatchObject({ version: 2, kind: 'review', outcome: 'pass', batchId: 'b-old' });
    expect(await store.pendingMoves()).toEqual([{ documentId: DOC, version: 2, previousLocations: ['/data/routes/hold/invoice-42.pdf'] }]);
    // A route recorded after the migration gets its decision 1 with the record.
    await routeDoc(store, OTHER);
    expect((await store.decisions(OTHER))[0]?.steps).toEqual(STEPS);

    const raw = rawConnection(file);
    expect(() => raw.prepare('DELETE FROM decisions WHERE document_id = ?').run(DOC)).toThrow(/append-only/);
  });

  it('records schema 3 in a new store', () => {
    const file = newDbFile();
    openSqlite(file).close();
    expect(schemaVersionOf(file)).toBe('3');
  });
});
