import Database from 'better-sqlite3';
import type { DecisionKind, DocumentId, FieldValue, FinalOutcome, Outcome, Reason, RouteResult } from '../../domain/document.js';
import {
  auditRecordHash,
  chainFieldsOf,
  formatChainHead,
  GENESIS_HASH,
  parseChainHead,
  verifyAuditChain,
  type AuditChainRow,
  type ChainHead,
  type ChainVerdict,
} from '../../domain/audit-chain.js';
import { ConfigError, DependencyUnavailableError } from '../../domain/errors.js';
import { storageError } from '../storage-errors.js';
import { startWalCheckpointer, type WalCheckpointer } from './wal-checkpointer.js';
import type { AuditLog, AuditRecord, StoredAuditRecord } from '../../ports/audit-log.js';
import type { CheckpointKey, Checkpoints } from '../../ports/checkpoints.js';
import type { DecisionLog, DecisionRecord, FieldVersion } from '../../ports/decisions.js';
import type { BatchOutcomeRecord, DocumentRecord, Ledger, RouteRecord } from '../../ports/ledger.js';

export type BatchStatus = 'running' | 'completed' | 'failed';

export interface BatchRecord {
  readonly batchId: string;
  readonly executionId: string;
  readonly status: BatchStatus;
  readonly source: string;
  readonly createdAt: string;
  readonly completedAt: string | null;
  readonly ownerPid: number;
  readonly configVersion: string;
  readonly received: number;
  readonly summary: unknown;
}

export interface BatchCounts {
  readonly pass: number;
  readonly hold: number;
  readonly reject: number;
  readonly failed: number;
  readonly pending: number;
  readonly duplicates: number;
}

const SCHEMA_VERSION = 3;

const AUDIT_TRIGGERS = `
CREATE TRIGGER IF NOT EXISTS audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit is append-only'); END;`;

/** meta key of the audit chain's head (`<seq>:<hash>`), written with every append. */
const AUDIT_HEAD = 'audit_head';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
  document_id TEXT PRIMARY KEY,
  name TEXT NOT NULL,
  size INTEGER NOT NULL,
  first_seen_batch TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS checkpoints (
  document_id TEXT NOT NULL,
  step TEXT NOT NULL,
  config_version TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (document_id, step, config_version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS routes (
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
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY,
  execution_id TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('running','completed','failed')),
  source TEXT NOT NULL,
  created_at TEXT NOT NULL,
  completed_at TEXT,
  owner_pid INTEGER NOT NULL,
  config_version TEXT NOT NULL,
  received INTEGER NOT NULL,
  summary TEXT
);
CREATE TABLE IF NOT EXISTS batch_documents (
  batch_id TEXT NOT NULL,
  document_id TEXT NOT NULL,
  name TEXT NOT NULL,
  position INTEGER NOT NULL,
  outcome TEXT CHECK (outcome IN ('pass','hold','reject','failed')),
  duplicate INTEGER NOT NULL DEFAULT 0,
  error_name TEXT,
  error_cause TEXT,
  reason_code TEXT,
  PRIMARY KEY (batch_id, document_id)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS audit (
  seq INTEGER PRIMARY KEY, -- rowid order is append order: deletes are refused, so no AUTOINCREMENT needed
  at TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  document_id TEXT,
  step TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  event TEXT NOT NULL,
  duration_ms REAL,
  outcome TEXT,
  error_name TEXT,
  reason_codes TEXT,
  note TEXT,
  prev_hash TEXT, -- the chain (schema 3): see domain/audit-chain.ts; null only on a row written around the store
  hash TEXT
);
CREATE TABLE IF NOT EXISTS decisions (
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 1),
  kind TEXT NOT NULL CHECK (kind IN ('pipeline','review','replay')),
  outcome TEXT NOT NULL CHECK (outcome IN ('pass','hold','reject')),
  location TEXT NOT NULL,
  decided_at TEXT NOT NULL,
  batch_id TEXT NOT NULL,
  execution_id TEXT NOT NULL,
  result TEXT,
  steps TEXT,
  PRIMARY KEY (document_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS field_versions (
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL CHECK (version >= 2),
  fields TEXT NOT NULL,
  corrected TEXT NOT NULL,
  author TEXT NOT NULL,
  created_at TEXT NOT NULL,
  PRIMARY KEY (document_id, version)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS pending_moves (
  document_id TEXT NOT NULL,
  version INTEGER NOT NULL,
  previous_location TEXT NOT NULL,
  PRIMARY KEY (document_id, version)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS routes_by_outcome ON routes (outcome, routed_at);
CREATE INDEX IF NOT EXISTS audit_by_document ON audit (document_id, seq);
-- attempts() reads a document's few rows through audit_by_document: a third index on the audit
-- cost a page write per append for nothing (dropped from stores that had it).
DROP INDEX IF EXISTS audit_attempts;
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status, created_at);
CREATE INDEX IF NOT EXISTS batch_documents_by_document ON batch_documents (document_id);
${AUDIT_TRIGGERS}
CREATE TRIGGER IF NOT EXISTS decisions_no_update BEFORE UPDATE ON decisions BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS decisions_no_delete BEFORE DELETE ON decisions BEGIN SELECT RAISE(ABORT, 'decisions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS field_versions_no_update BEFORE UPDATE ON field_versions BEGIN SELECT RAISE(ABORT, 'field versions are append-only'); END;
CREATE TRIGGER IF NOT EXISTS field_versions_no_delete BEFORE DELETE ON field_versions BEGIN SELECT RAISE(ABORT, 'field versions are append-only'); END;
`;

const columnsOf = (db: Database.Database, table: string): Set<string> =>
  new Set(
    db
      .prepare<[], { name: string }>(`PRAGMA table_info(${table})`)
      .all()
      .map((c) => c.name),
  );

/**
 * Schema 1 → 2: routes gain the current decision's version, kind and time; every route of a
 * schema-1 store becomes decision 1 (its delivered record and step versions were not kept: null).
 * Schema 2 → 3: the audit rows are hash-chained in seq order (see chainExistingAudit).
 * The version row is INSERT OR IGNORE'd at 1 by new stores, then raised here, in one transaction.
 */
const migrate = (db: Database.Database): void => {
  // IMMEDIATE: two processes opening a schema-1 store at once must not both add the columns.
  db.transaction(() => {
    const stored = Number(db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema_version'").get()?.value ?? '0');
    if (stored > SCHEMA_VERSION) throw new NewerSchemaError(stored);
    const columns = columnsOf(db, 'routes');
    if (!columns.has('version')) db.exec('ALTER TABLE routes ADD COLUMN version INTEGER NOT NULL DEFAULT 1');
    if (!columns.has('kind')) db.exec("ALTER TABLE routes ADD COLUMN kind TEXT NOT NULL DEFAULT 'pipeline'");
    if (!columns.has('decided_at')) {
      db.exec('ALTER TABLE routes ADD COLUMN decided_at TEXT');
      db.exec('UPDATE routes SET decided_at = routed_at WHERE decided_at IS NULL');
    }
    db.exec(`INSERT OR IGNORE INTO decisions (document_id, version, kind, outcome, location, decided_at, batch_id, execution_id, result, steps)
             SELECT document_id, 1, 'pipeline', outcome, location, routed_at, batch_id, execution_id, NULL, NULL FROM routes
             WHERE NOT EXISTS (SELECT 1 FROM decisions d WHERE d.document_id = routes.document_id)`);
    const auditColumns = columnsOf(db, 'audit');
    if (!auditColumns.has('prev_hash')) db.exec('ALTER TABLE audit ADD COLUMN prev_hash TEXT');
    if (!auditColumns.has('hash')) db.exec('ALTER TABLE audit ADD COLUMN hash TEXT');
    if (stored < 3) chainExistingAudit(db);
    db.prepare("INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(
      String(SCHEMA_VERSION),
    );
  }).immediate();
};

/**
 * Chains the rows a schema-2 store holds, in seq order from the genesis hash, and records the
 * head. The append-only trigger refuses the UPDATE, so it is dropped and recreated inside the
 * migration's transaction: no other connection ever sees the table without it. Paged by seq so
 * memory stays flat however long the trail is (an open iterator would also keep the connection
 * busy for the UPDATEs). Tampering before this migration cannot be detected: the chain starts here.
 */
const chainExistingAudit = (db: Database.Database): void => {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  const page = db.prepare<[number], AuditRow>('SELECT * FROM audit WHERE seq > ? ORDER BY seq LIMIT 1000');
  const link = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?');
  let head: ChainHead | null = null;
  let after = Number.MIN_SAFE_INTEGER;
  for (;;) {
    const rows = page.all(after);
    if (rows.length === 0) break;
    for (const r of rows) {
      const prevHash = head?.hash ?? GENESIS_HASH;
      const hash = auditRecordHash(chainRowOf(r), prevHash);
      link.run(prevHash, hash, r.seq);
      head = { seq: r.seq, hash };
      after = r.seq;
    }
  }
  db.exec(AUDIT_TRIGGERS);
  if (head) writeHead(db, head);
};

const writeHead = (db: Database.Database, head: ChainHead): void => {
  db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value').run(
    AUDIT_HEAD,
    formatChainHead(head),
  );
};

/**
 * reason_codes as chained: the stored JSON array; text that is not one (never written by this
 * store) hashes as itself, so it stays deterministic and differs from any array it was edited from.
 */
const reasonCodesOf = (text: string | null): string[] | null => {
  if (text === null) return null;
  try {
    const v = JSON.parse(text) as unknown;
    if (Array.isArray(v) && v.every((c) => typeof c === 'string')) return v;
  } catch {
    // falls through: hashed as the raw text
  }
  return [text];
};

const chainRowOf = (r: AuditRow): AuditChainRow => ({
  seq: r.seq,
  at: r.at,
  executionId: r.execution_id,
  batchId: r.batch_id,
  documentId: r.document_id,
  step: r.step,
  attempt: r.attempt,
  event: r.event,
  durationMs: r.duration_ms,
  outcome: r.outcome,
  errorName: r.error_name,
  reasonCodes: reasonCodesOf(r.reason_codes),
  note: r.note,
  prevHash: r.prev_hash,
  hash: r.hash,
});

/** A store written by a newer docroute: refuse rather than misread (or downgrade) it. */
class NewerSchemaError extends Error {
  constructor(readonly version: number) {
    super(`schema ${version}`);
  }
}

/** Storage failures leave as taxonomy errors, as rejected promises (never synchronous throws). */
const guarded = <T>(what: string, fn: () => T): Promise<T> => {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(storageError(err, `${what} failed`));
  }
};

/**
 * What a queued write touches or a read reads: a table and a key in it (a document id, a batch
 * id, or '*' for all of it). A read flushes the queue only when it holds a write it could see.
 */
type Table = 'checkpoints' | 'audit' | 'documents' | 'routes' | 'decisions' | 'field_versions' | 'pending_moves' | 'batch_documents';

interface QueuedWrite {
  readonly what: string;
  readonly run: () => unknown;
  readonly resolve: (value: unknown) => void;
  readonly reject: (err: unknown) => void;
}

/** A constraint or trigger failure belongs to one write; anything else (full, I/O, busy) to the file. */
const isLogical = (err: unknown): boolean => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_CONSTRAINT');
};

/** Stores with queued writes, committed synchronously if the process exits before their turn. */
const openStores = new Set<SqliteStore>();
let exitHook = false;
const flushOnExit = (): void => {
  for (const s of openStores) s.flush();
};

interface AuditRow {
  seq: number;
  at: string;
  execution_id: string;
  batch_id: string;
  document_id: string | null;
  step: string;
  attempt: number;
  event: AuditRecord['event'];
  duration_ms: number | null;
  outcome: FinalOutcome | null;
  error_name: string | null;
  reason_codes: string | null;
  note: string | null;
  prev_hash: string | null;
  hash: string | null;
}

interface RouteRow {
  document_id: string;
  outcome: Outcome;
  batch_id: string;
  execution_id: string;
  document_class: string | null;
  confidence: number | null;
  reasons: string;
  location: string;
  routed_at: string;
  version: number;
  kind: DecisionKind;
  decided_at: string | null;
}

interface DecisionRow {
  document_id: string;
  version: number;
  kind: DecisionKind;
  outcome: Outcome;
  location: string;
  decided_at: string;
  batch_id: string;
  execution_id: string;
  result: string | null;
  steps: string | null;
}

const toDecision = (r: DecisionRow): DecisionRecord => ({
  documentId: r.document_id,
  version: r.version,
  kind: r.kind,
  outcome: r.outcome,
  location: r.location,
  decidedAt: r.decided_at,
  batchId: r.batch_id,
  executionId: r.execution_id,
  result: r.result ? (JSON.parse(r.result) as RouteResult) : null,
  steps: r.steps ? (JSON.parse(r.steps) as Record<string, string>) : null,
});

interface BatchRow {
  batch_id: string;
  execution_id: string;
  status: BatchStatus;
  source: string;
  created_at: string;
  completed_at: string | null;
  owner_pid: number;
  config_version: string;
  received: number;
  summary: string | null;
}

const toRoute = (r: RouteRow): RouteRecord => ({
  documentId: r.document_id,
  outcome: r.outcome,
  batchId: r.batch_id,
  executionId: r.execution_id,
  documentClass: r.document_class,
  confidence: r.confidence,
  reasons: JSON.parse(r.reasons) as Reason[],
  location: r.location,
  routedAt: r.routed_at,
  version: r.version,
  kind: r.kind,
  decidedAt: r.decided_at ?? r.routed_at,
});

const toBatch = (r: BatchRow): BatchRecord => ({
  batchId: r.batch_id,
  executionId: r.execution_id,
  status: r.status,
  source: r.source,
  createdAt: r.created_at,
  completedAt: r.completed_at,
  ownerPid: r.owner_pid,
  configVersion: r.config_version,
  received: r.received,
  summary: r.summary ? (JSON.parse(r.summary) as unknown) : null,
});

const toAudit = (r: AuditRow): StoredAuditRecord => ({
  seq: r.seq,
  at: r.at,
  executionId: r.execution_id,
  batchId: r.batch_id,
  documentId: r.document_id,
  step: r.step,
  attempt: r.attempt,
  event: r.event,
  ...(r.duration_ms !== null ? { durationMs: r.duration_ms } : {}),
  ...(r.outcome !== null ? { outcome: r.outcome } : {}),
  ...(r.error_name !== null ? { errorName: r.error_name } : {}),
  ...(r.reason_codes !== null ? { reasonCodes: JSON.parse(r.reason_codes) as string[] } : {}),
  ...(r.note !== null ? { note: r.note } : {}),
});

/**
 * The embedded store: checkpoints, audit trail and ledger in one SQLite file (WAL mode).
 *
 * Durability: WAL with synchronous=NORMAL. A committed transaction survives a process crash
 * (SIGKILL), which is what resume needs; a power loss may drop the last transactions, which the
 * checkpoints then simply recompute. `synchronous: 'full'` trades throughput for power-loss safety.
 *
 * Group commit: the async writes (checkpoints, audit, ledger, decisions) queue and commit together
 * in one IMMEDIATE transaction when the event loop next turns (`flush`), and each write's promise
 * resolves only after that COMMIT: "durable when it resolves" holds as before, but the writes that
 * the documents in flight issue within one turn share one commit instead of paying one each.
 * Writes commit in call order, so a crash loses a suffix of unresolved writes, never one in the
 * middle. A failure of the file (full, I/O, busy) rolls the group back and rejects all of it; a
 * constraint failure of one write rolls it back too, and the writes before it are then committed
 * one by one, the ones after it rejected (retryable): a write never commits after an earlier one
 * that did not. Reads
 * see every queued write first (a read flushes the queue when it holds a write to a table it
 * reads); the synchronous methods flush first too. `groupCommit: false` commits every write on
 * its own, as before (the benchmark's reference).
 */
export class SqliteStore implements Checkpoints, AuditLog, Ledger, DecisionLog {
  private readonly db: Database.Database;
  private readonly stmts;
  readonly groupCommit: boolean;
  private queue: QueuedWrite[] = [];
  private readonly dirty = new Map<Table, Set<string>>();
  private scheduled = false;
  private checkpointer: WalCheckpointer | undefined;
  /** During a group commit's transaction; `groupHead` is the chain head its appends reached. */
  private inGroup = false;
  private groupHead: ChainHead | undefined;

  /**
   * `checkpointer: 'background'` (long-running writers: `run`, `watch`, `serve`): WAL checkpoints
   * run on a worker thread instead of inside this connection's commits (wal-checkpointer.ts).
   */
  constructor(
    file: string,
    options: { synchronous?: 'normal' | 'full'; groupCommit?: boolean; checkpointer?: 'inline' | 'background' } = {},
  ) {
    this.groupCommit = options.groupCommit ?? true;
    try {
      this.db = new Database(file);
      this.db.pragma('journal_mode = WAL');
      this.db.pragma(`synchronous = ${options.synchronous === 'full' ? 'FULL' : 'NORMAL'}`);
      this.db.pragma('busy_timeout = 5000');
      this.db.exec(SCHEMA);
      migrate(this.db);
      if (options.checkpointer === 'background') {
        this.db.pragma('wal_autocheckpoint = 0');
        this.checkpointer = startWalCheckpointer(file, () => {
          if (this.db.open) this.db.pragma('wal_autocheckpoint = 1000');
        });
      }
    } catch (err) {
      if (err instanceof NewerSchemaError) {
        throw new ConfigError(
          `the store ${file} was written by a newer docroute (schema ${err.version}; this one reads up to ${SCHEMA_VERSION})`,
        );
      }
      throw new DependencyUnavailableError(`cannot open the SQLite store (${(err as { code?: string }).code ?? 'error'})`);
    }
    const db = this.db;
    this.stmts = {
      cpGet: db.prepare<[string, string, string], { value: string }>(
        'SELECT value FROM checkpoints WHERE document_id = ? AND step = ? AND config_version = ?',
      ),
      cpPut: db.prepare('INSERT OR IGNORE INTO checkpoints (document_id, step, config_version, value) VALUES (?, ?, ?, ?)'),
      auditInsert: db.prepare(
        `INSERT INTO audit (seq, at, execution_id, batch_id, document_id, step, attempt, event, duration_ms, outcome, error_name, reason_codes, note, prev_hash, hash)
         VALUES (@seq, @at, @execution_id, @batch_id, @document_id, @step, @attempt, @event, @duration_ms, @outcome, @error_name, @reason_codes, @note, @prev_hash, @hash)`,
      ),
      auditLastSeq: db.prepare<[], { seq: number; hash: string | null }>('SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1'),
      auditHeadGet: db.prepare<[], { value: string }>(`SELECT value FROM meta WHERE key = '${AUDIT_HEAD}'`),
      auditHeadPut: db.prepare(
        `INSERT INTO meta (key, value) VALUES ('${AUDIT_HEAD}', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      ),
      attempts: db.prepare<[string, string, string], { n: number }>(
        "SELECT COUNT(*) AS n FROM audit INDEXED BY audit_by_document WHERE document_id = ? AND execution_id = ? AND step = ? AND event = 'entered'",
      ),
      timeline: db.prepare<[string], AuditRow>('SELECT * FROM audit WHERE document_id = ? ORDER BY seq'),
      docInsert: db.prepare('INSERT OR IGNORE INTO documents (document_id, name, size, first_seen_batch) VALUES (?, ?, ?, ?)'),
      docGet: db.prepare<[string], { document_id: string; name: string; size: number; first_seen_batch: string }>(
        'SELECT * FROM documents WHERE document_id = ?',
      ),
      docByPrefix: db.prepare<[string], { document_id: string }>(
        "SELECT document_id FROM documents WHERE document_id LIKE ? || '%' LIMIT 2",
      ),
      routeGet: db.prepare<[string], RouteRow>('SELECT * FROM routes WHERE document_id = ?'),
      routeInsert: db.prepare(
        `INSERT OR IGNORE INTO routes (document_id, outcome, batch_id, execution_id, document_class, confidence, reasons, location, routed_at, version, kind, decided_at)
         VALUES (@document_id, @outcome, @batch_id, @execution_id, @document_class, @confidence, @reasons, @location, @routed_at, 1, 'pipeline', @routed_at)`,
      ),
      routeSupersede: db.prepare(
        `UPDATE routes SET outcome = @outcome, document_class = @document_class, confidence = @confidence, reasons = @reasons,
           location = @location, version = @version, kind = @kind, decided_at = @decided_at
         WHERE document_id = @document_id AND version = @version - 1`,
      ),
      decisionInsert: db.prepare(
        `INSERT INTO decisions (document_id, version, kind, outcome, location, decided_at, batch_id, execution_id, result, steps)
         VALUES (@document_id, @version, @kind, @outcome, @location, @decided_at, @batch_id, @execution_id, @result, @steps)`,
      ),
      decisionsOf: db.prepare<[string], DecisionRow>('SELECT * FROM decisions WHERE document_id = ? ORDER BY version'),
      decisionAt: db.prepare<[string, number], DecisionRow>('SELECT * FROM decisions WHERE document_id = ? AND version = ?'),
      fieldVersionInsert: db.prepare(
        `INSERT INTO field_versions (document_id, version, fields, corrected, author, created_at)
         VALUES (@document_id, @version, @fields, @corrected, @author, @created_at)`,
      ),
      fieldVersionsOf: db.prepare<
        [string],
        { document_id: string; version: number; fields: string; corrected: string; author: string; created_at: string }
      >('SELECT * FROM field_versions WHERE document_id = ? ORDER BY version'),
      moveInsert: db.prepare('INSERT OR IGNORE INTO pending_moves (document_id, version, previous_location) VALUES (?, ?, ?)'),
      moveDelete: db.prepare('DELETE FROM pending_moves WHERE document_id = ? AND version <= ?'),
      movesPending: db.prepare<[], { document_id: string; version: number; previous_location: string }>(
        'SELECT document_id, version, previous_location FROM pending_moves ORDER BY document_id, version',
      ),
      routesByOutcome: db.prepare<[string, number], RouteRow>(
        'SELECT * FROM routes WHERE outcome = ? ORDER BY routed_at, document_id LIMIT ?',
      ),
      batchDocInsert: db.prepare('INSERT OR IGNORE INTO batch_documents (batch_id, document_id, name, position) VALUES (?, ?, ?, ?)'),
      batchDocOutcome: db.prepare(
        `INSERT INTO batch_documents (batch_id, document_id, name, position, outcome, duplicate, error_name, error_cause, reason_code)
         VALUES (@batch_id, @document_id, COALESCE((SELECT name FROM documents WHERE document_id = @document_id), ''), -1, @outcome, @duplicate, @error_name, @error_cause, @reason_code)
         ON CONFLICT (batch_id, document_id) DO UPDATE SET outcome = excluded.outcome, duplicate = excluded.duplicate,
           error_name = excluded.error_name, error_cause = excluded.error_cause, reason_code = excluded.reason_code`,
      ),
      batchDocs: db.prepare<
        [string],
        {
          document_id: string;
          name: string;
          outcome: FinalOutcome | null;
          duplicate: number;
          error_name: string | null;
          error_cause: string | null;
          reason_code: string | null;
        }
      >(
        'SELECT document_id, name, outcome, duplicate, error_name, error_cause, reason_code FROM batch_documents WHERE batch_id = ? ORDER BY position, document_id',
      ),
      batchMembership: db.prepare<[string], { batch_id: string; outcome: FinalOutcome | null; duplicate: number }>(
        `SELECT bd.batch_id, bd.outcome, bd.duplicate FROM batch_documents bd JOIN batches b ON b.batch_id = bd.batch_id
         WHERE bd.document_id = ? ORDER BY b.created_at`,
      ),
      batchInsert: db.prepare(
        `INSERT INTO batches (batch_id, execution_id, status, source, created_at, owner_pid, config_version, received)
         VALUES (?, ?, 'running', ?, ?, ?, ?, ?)`,
      ),
      batchFinish: db.prepare('UPDATE batches SET status = ?, completed_at = ?, summary = ? WHERE batch_id = ?'),
      batchClaim: db.prepare(
        "UPDATE batches SET owner_pid = ?, execution_id = ? WHERE batch_id = ? AND status = 'running' AND owner_pid = ?",
      ),
      batchGet: db.prepare<[string], BatchRow>('SELECT * FROM batches WHERE batch_id = ?'),
      batchesRunning: db.prepare<[], BatchRow>("SELECT * FROM batches WHERE status = 'running' ORDER BY created_at"),
      batchesRecent: db.prepare<[number], BatchRow>('SELECT * FROM batches ORDER BY created_at DESC, rowid DESC LIMIT ?'),
      batchCounts: db.prepare<
        [string],
        { pass: number; hold: number; reject: number; failed: number; pending: number; duplicates: number }
      >(
        `SELECT COALESCE(SUM(outcome = 'pass'), 0) AS pass, COALESCE(SUM(outcome = 'hold'), 0) AS hold,
                COALESCE(SUM(outcome = 'reject'), 0) AS reject, COALESCE(SUM(outcome = 'failed'), 0) AS failed,
                COALESCE(SUM(outcome IS NULL), 0) AS pending, COALESCE(SUM(duplicate), 0) AS duplicates
         FROM batch_documents WHERE batch_id = ?`,
      ),
    };
  }

  close(): void {
    this.flush();
    openStores.delete(this);
    // The thread's connection closes first: closing this one last, SQLite copies the WAL back
    // into the file and removes it, so the file is whole when close() returns.
    this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  // --- Group commit --------------------------------------------------------------------------

  /** Queues a write for the next group commit; it resolves with `fn`'s result once committed. */
  private write<T>(what: string, touches: readonly (readonly [Table, string | null])[], fn: () => T): Promise<T> {
    if (!this.groupCommit) return guarded(what, () => this.immediate(fn));
    if (!this.db.open) return Promise.reject(new DependencyUnavailableError(`${what} failed (the store is closed)`));
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ what, run: fn, resolve: resolve as (v: unknown) => void, reject });
      for (const [table, key] of touches) {
        const keys = this.dirty.get(table) ?? new Set<string>();
        keys.add(key ?? '*');
        this.dirty.set(table, keys);
      }
      if (!this.scheduled) {
        this.scheduled = true;
        if (!exitHook) {
          exitHook = true;
          process.on('exit', flushOnExit);
        }
        openStores.add(this);
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  /** Before a read of `key` in `table` ('*': all of it): commits the queue if it holds a write there. */
  private readsOf(table: Table, key = '*'): void {
    const keys = this.dirty.get(table);
    if (keys && (key === '*' || keys.has('*') || keys.has(key))) this.flush();
  }

  /** Commits every queued write now, in one IMMEDIATE transaction; settles their promises. */
  flush(): void {
    const ops = this.queue;
    if (ops.length === 0) return;
    this.queue = [];
    this.dirty.clear();
    if (!this.db.open) {
      for (const op of ops) op.reject(new DependencyUnavailableError(`${op.what} failed (the store is closed)`));
      return;
    }
    let values: unknown[];
    try {
      values = this.commitGroup(ops);
    } catch (err) {
      if (ops.length === 1 || !isLogical(err)) {
        for (const op of ops) op.reject(storageError(err, `${op.what} failed`));
        return;
      }
      // One write failed on its own (a constraint): nothing of the group was applied. Commit the
      // writes one by one instead, in order, up to the failing one, which is rejected with its
      // error; the writes after it are rejected too (retryable), so that a write never commits
      // after an earlier one that did not (a step's `succeeded` after its failed `entered`).
      let failed = false;
      for (const op of ops) {
        if (failed) {
          op.reject(new DependencyUnavailableError(`${op.what} failed (an earlier write of its group failed)`));
          continue;
        }
        try {
          op.resolve(this.commitGroup([op])[0]);
        } catch (e) {
          failed = true;
          op.reject(storageError(e, `${op.what} failed`));
        }
      }
      return;
    }
    ops.forEach((op, i) => op.resolve(values[i]));
  }

  /** The head the current group's appends reached (set by insertAudit, behind the type checker's back). */
  private reachedHead(): ChainHead | undefined {
    return this.groupHead;
  }

  /** Runs `ops` in one IMMEDIATE transaction (all or none); the audit head is written once, at the end. */
  private commitGroup(ops: readonly QueuedWrite[]): unknown[] {
    return this.immediate(() => {
      this.inGroup = true;
      this.groupHead = undefined;
      try {
        const values = ops.map((op) => op.run());
        const head = this.reachedHead();
        if (head) this.stmts.auditHeadPut.run(formatChainHead(head));
        return values;
      } finally {
        this.inGroup = false;
        this.groupHead = undefined;
      }
    });
  }

  // --- Checkpoints -------------------------------------------------------------------------

  get<T>(key: CheckpointKey): Promise<T | undefined> {
    this.readsOf('checkpoints', key.documentId);
    const row = this.stmts.cpGet.get(key.documentId, key.step, key.configVersion);
    return Promise.resolve(row ? (JSON.parse(row.value) as T) : undefined);
  }

  put(key: CheckpointKey, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    return this.write('writing a checkpoint', [['checkpoints', key.documentId]], () => {
      this.stmts.cpPut.run(key.documentId, key.step, key.configVersion, json);
    });
  }

  /** A write transaction that takes the write lock at BEGIN (every one that appends to the audit chain). */
  private immediate<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
  }

  // --- AuditLog ----------------------------------------------------------------------------

  append(r: AuditRecord): Promise<void> {
    // IMMEDIATE: the write lock is taken before the head is read, so two processes appending to
    // one file (`serve` and `run`) queue on busy_timeout instead of both chaining from one head.
    return this.write('appending an audit record', [['audit', r.documentId]], () => this.insertAudit(r));
  }

  /**
   * The one way an audit row is written (append, recordRoute, supersede), always inside an
   * IMMEDIATE transaction. It links to the head recorded in meta (the last hash this store
   * wrote) at the seq after both that head and the last row: cost, two indexed point reads, paid
   * once per group commit (which then carries the head along and records it once, at its end). A
   * tail cut off behind the store's back thus stays visible as a gap, and a row put in behind
   * its back as a row the chain skips, even after later appends.
   */
  private insertAudit(r: AuditRecord): void {
    let seq: number;
    let prevHash: string;
    if (this.groupHead) {
      // Within a group commit (the write lock held throughout): the head this group wrote last.
      seq = this.groupHead.seq + 1;
      prevHash = this.groupHead.hash;
    } else {
      const head = this.readHead();
      const last = this.stmts.auditLastSeq.get();
      seq = Math.max(head?.seq ?? 0, last?.seq ?? 0) + 1;
      prevHash = head?.hash ?? last?.hash ?? GENESIS_HASH;
    }
    const fields = chainFieldsOf(r, seq);
    const hash = auditRecordHash(fields, prevHash);
    this.stmts.auditInsert.run({
      seq,
      prev_hash: prevHash,
      hash,
      at: r.at,
      execution_id: r.executionId,
      batch_id: r.batchId,
      document_id: r.documentId,
      step: r.step,
      attempt: r.attempt,
      event: r.event,
      duration_ms: r.durationMs ?? null,
      outcome: r.outcome ?? null,
      error_name: r.errorName ?? null,
      reason_codes: r.reasonCodes ? JSON.stringify(r.reasonCodes) : null,
      note: r.note ?? null,
    });
    // A group commit records the head once, at its end; anything else with every row.
    if (this.inGroup) this.groupHead = { seq, hash };
    else this.stmts.auditHeadPut.run(formatChainHead({ seq, hash }));
  }

  private readHead(): ChainHead | null {
    const v = this.stmts.auditHeadGet.get()?.value;
    return v === undefined ? null : parseChainHead(v);
  }

  /** The chain's head as recorded with the last append (null: nothing appended yet). */
  auditHead(): ChainHead | null {
    this.flush();
    return this.readHead();
  }

  /**
   * Walks the whole chain in one read transaction (a consistent snapshot while `serve` or `run`
   * keep appending), streaming the rows: memory stays flat. See domain/audit-chain.ts.
   */
  verifyAuditChain(anchor?: ChainHead): ChainVerdict {
    this.flush();
    return this.db.transaction(() => {
      // A head that does not parse counts as missing: only this store writes it.
      const recordedHead = this.readHead();
      const db = this.db;
      return verifyAuditChain({
        // A fresh statement per pass: a statement cannot be iterated twice at once.
        rows: function* () {
          for (const r of db.prepare<[], AuditRow>('SELECT * FROM audit ORDER BY seq').iterate()) yield chainRowOf(r);
        },
        recordedHead,
        ...(anchor ? { anchor } : {}),
      });
    })();
  }

  /**
   * Audit rows with their links, in seq order, `at` in [since, until) (ISO instants; either may be
   * omitted). Streams: iterate it, and use the store for nothing else until the iteration ends.
   */
  *auditRows(range: { since?: string; until?: string } = {}): Generator<AuditChainRow> {
    this.flush();
    const stmt = this.db.prepare<[string, string], AuditRow>('SELECT * FROM audit WHERE at >= ? AND at < ? ORDER BY seq');
    // '' sorts before and '\uffff' after every ISO instant.
    for (const r of stmt.iterate(range.since ?? '', range.until ?? '\uffff')) yield chainRowOf(r);
  }

  attempts(executionId: string, documentId: DocumentId, step: string): Promise<number> {
    this.readsOf('audit', documentId);
    return Promise.resolve(this.stmts.attempts.get(documentId, executionId, step)?.n ?? 0);
  }

  timeline(documentId: DocumentId): Promise<StoredAuditRecord[]> {
    this.readsOf('audit', documentId);
    return Promise.resolve(this.stmts.timeline.all(documentId).map(toAudit));
  }

  // --- Ledger ------------------------------------------------------------------------------

  registerDocument(doc: DocumentRecord): Promise<void> {
    return this.write('registering a document', [['documents', doc.documentId]], () => {
      this.stmts.docInsert.run(doc.documentId, doc.name, doc.size, doc.firstSeenBatch);
    });
  }

  getDocument(documentId: DocumentId): Promise<DocumentRecord | null> {
    this.readsOf('documents', documentId);
    const r = this.stmts.docGet.get(documentId);
    return Promise.resolve(r ? { documentId: r.document_id, name: r.name, size: r.size, firstSeenBatch: r.first_seen_batch } : null);
  }

  addToBatch(batchId: string, docs: readonly { documentId: DocumentId; name: string }[]): Promise<void> {
    return this.write('adding documents to a batch', [['batch_documents', batchId]], () => {
      docs.forEach((d, i) => this.stmts.batchDocInsert.run(batchId, d.documentId, d.name, i));
    });
  }

  getRoute(documentId: DocumentId): Promise<RouteRecord | null> {
    this.readsOf('routes', documentId);
    const r = this.stmts.routeGet.get(documentId);
    return Promise.resolve(r ? toRoute(r) : null);
  }

  recordRoute(
    route: RouteRecord,
    audit: AuditRecord,
    decision?: { result: RouteResult; steps: Readonly<Record<string, string>> },
  ): Promise<{ first: boolean; record: RouteRecord }> {
    return this.write(
      'recording a route',
      [
        ['routes', route.documentId],
        ['decisions', route.documentId],
        ['audit', audit.documentId],
      ],
      () => this.recordRouteSync(route, audit, decision),
    );
  }

  private recordRouteSync(
    route: RouteRecord,
    audit: AuditRecord,
    decision?: { result: RouteResult; steps: Readonly<Record<string, string>> },
  ): { first: boolean; record: RouteRecord } {
    const first = this.immediate(() => {
      const info = this.stmts.routeInsert.run({
        document_id: route.documentId,
        outcome: route.outcome,
        batch_id: route.batchId,
        execution_id: route.executionId,
        document_class: route.documentClass,
        confidence: route.confidence,
        reasons: JSON.stringify(route.reasons),
        location: route.location,
        routed_at: route.routedAt,
      });
      if (info.changes !== 1) return false;
      this.stmts.decisionInsert.run({
        document_id: route.documentId,
        version: 1,
        kind: 'pipeline',
        outcome: route.outcome,
        location: route.location,
        decided_at: route.routedAt,
        batch_id: route.batchId,
        execution_id: route.executionId,
        result: decision ? JSON.stringify(decision.result) : null,
        steps: decision ? JSON.stringify(decision.steps) : null,
      });
      this.insertAudit(audit);
      return true;
    });
    const stored = this.stmts.routeGet.get(route.documentId);
    if (!stored) throw new DependencyUnavailableError('route write was not readable back');
    return { first, record: toRoute(stored) };
  }

  recordOutcome(
    batchId: string,
    documentId: DocumentId,
    outcome: FinalOutcome,
    detail: { duplicate: boolean; errorName?: string | undefined; errorCause?: string | undefined; reasonCode?: string | undefined },
  ): Promise<void> {
    return this.write('recording an outcome', [['batch_documents', batchId]], () => {
      this.stmts.batchDocOutcome.run({
        batch_id: batchId,
        document_id: documentId,
        outcome,
        duplicate: detail.duplicate ? 1 : 0,
        error_name: detail.errorName ?? null,
        error_cause: detail.errorCause ?? null,
        reason_code: detail.reasonCode ?? null,
      });
    });
  }

  batchOutcomes(batchId: string): Promise<BatchOutcomeRecord[]> {
    this.readsOf('batch_documents', batchId);
    return Promise.resolve(
      this.stmts.batchDocs.all(batchId).map((r) => ({
        documentId: r.document_id,
        name: r.name,
        outcome: r.outcome,
        duplicate: r.duplicate === 1,
        errorName: r.error_name,
        errorCause: r.error_cause,
        reasonCode: r.reason_code,
      })),
    );
  }

  // --- DecisionLog -------------------------------------------------------------------------

  decisions(documentId: DocumentId): Promise<DecisionRecord[]> {
    this.readsOf('decisions', documentId);
    return Promise.resolve(this.stmts.decisionsOf.all(documentId).map(toDecision));
  }

  supersede(
    next: DecisionRecord,
    audit: AuditRecord,
    options: { fieldVersion?: FieldVersion } = {},
  ): Promise<{ applied: boolean; current: DecisionRecord | null }> {
    return this.write(
      'recording a decision',
      [
        ['routes', next.documentId],
        ['decisions', next.documentId],
        ['field_versions', next.documentId],
        ['pending_moves', next.documentId],
        ['audit', audit.documentId],
      ],
      () => this.supersedeSync(next, audit, options),
    );
  }

  private supersedeSync(
    next: DecisionRecord,
    audit: AuditRecord,
    options: { fieldVersion?: FieldVersion },
  ): { applied: boolean; current: DecisionRecord | null } {
    const applied = this.immediate(() => {
      const previous = this.stmts.routeGet.get(next.documentId);
      if (!previous || previous.version !== next.version - 1) return false;
      const info = this.stmts.routeSupersede.run({
        document_id: next.documentId,
        outcome: next.outcome,
        document_class: next.result?.documentClass ?? null,
        confidence: next.result?.confidence ?? null,
        reasons: JSON.stringify(next.result?.reasons ?? []),
        location: next.location,
        version: next.version,
        kind: next.kind,
        decided_at: next.decidedAt,
      });
      if (info.changes !== 1) return false;
      this.stmts.decisionInsert.run({
        document_id: next.documentId,
        version: next.version,
        kind: next.kind,
        outcome: next.outcome,
        location: next.location,
        decided_at: next.decidedAt,
        batch_id: next.batchId,
        execution_id: next.executionId,
        result: next.result ? JSON.stringify(next.result) : null,
        steps: next.steps ? JSON.stringify(next.steps) : null,
      });
      const fv = options.fieldVersion;
      if (fv) {
        this.stmts.fieldVersionInsert.run({
          document_id: fv.documentId,
          version: fv.version,
          fields: JSON.stringify(fv.fields),
          corrected: JSON.stringify(fv.corrected),
          author: fv.author,
          created_at: fv.createdAt,
        });
      }
      this.stmts.moveInsert.run(next.documentId, next.version, previous.location);
      this.insertAudit(audit);
      return true;
    });
    const route = this.stmts.routeGet.get(next.documentId);
    const current = route ? this.stmts.decisionAt.get(next.documentId, route.version) : undefined;
    return { applied, current: current ? toDecision(current) : null };
  }

  fieldVersions(documentId: DocumentId): Promise<FieldVersion[]> {
    this.readsOf('field_versions', documentId);
    return Promise.resolve(
      this.stmts.fieldVersionsOf.all(documentId).map((r) => ({
        documentId: r.document_id,
        version: r.version,
        fields: JSON.parse(r.fields) as Record<string, FieldValue>,
        corrected: JSON.parse(r.corrected) as string[],
        author: r.author,
        createdAt: r.created_at,
      })),
    );
  }

  pendingMoves(): Promise<{ documentId: DocumentId; version: number; previousLocations: string[] }[]> {
    this.readsOf('pending_moves');
    const byDoc = new Map<string, { documentId: DocumentId; version: number; previousLocations: string[] }>();
    for (const r of this.stmts.movesPending.all()) {
      const m = byDoc.get(r.document_id) ?? { documentId: r.document_id, version: r.version, previousLocations: [] };
      m.version = Math.max(m.version, r.version);
      if (!m.previousLocations.includes(r.previous_location)) m.previousLocations.push(r.previous_location);
      byDoc.set(r.document_id, m);
    }
    return Promise.resolve([...byDoc.values()]);
  }

  moved(documentId: DocumentId, version: number): Promise<void> {
    return this.write('clearing a pending move', [['pending_moves', documentId]], () => {
      this.stmts.moveDelete.run(documentId, version);
    });
  }

  // --- Batches and queries (embedded-mode only; used by the CLI) ----------------------------

  getDocumentSync(documentId: DocumentId): DocumentRecord | null {
    this.flush();
    const r = this.stmts.docGet.get(documentId);
    return r ? { documentId: r.document_id, name: r.name, size: r.size, firstSeenBatch: r.first_seen_batch } : null;
  }

  /** Documents whose current route is `outcome`, oldest first (the review queue for `hold`). */
  routesWithOutcome(outcome: Outcome, limit = 10_000): RouteRecord[] {
    this.flush();
    return this.stmts.routesByOutcome.all(outcome, limit).map(toRoute);
  }

  createBatch(
    b: {
      batchId: string;
      executionId: string;
      source: string;
      createdAt: string;
      ownerPid: number;
      configVersion: string;
      documents: readonly { documentId: DocumentId; name: string; size: number }[];
    },
    extra?: {
      /** Written after the batch, in the same transaction (`batch-started`, `received`). */
      readonly audit?: readonly AuditRecord[];
      /** Routes decided at admission (refused inbox entries), recorded after the audit records. */
      readonly routes?: readonly {
        readonly route: RouteRecord;
        readonly audit: AuditRecord;
        readonly decision?: { result: RouteResult; steps: Readonly<Record<string, string>> };
      }[];
    },
  ): AuditRecord[] {
    // One transaction: a crash leaves the batch with all of its `received` records and admission
    // routes, or none of them (never a batch that a resume would run without its `received` rows).
    this.flush();
    return this.immediate(() => {
      this.stmts.batchInsert.run(b.batchId, b.executionId, b.source, b.createdAt, b.ownerPid, b.configVersion, b.documents.length);
      b.documents.forEach((d, i) => {
        this.stmts.docInsert.run(d.documentId, d.name, d.size, b.batchId);
        this.stmts.batchDocInsert.run(b.batchId, d.documentId, d.name, i);
      });
      const written: AuditRecord[] = [];
      for (const r of extra?.audit ?? []) {
        this.insertAudit(r);
        written.push(r);
      }
      for (const r of extra?.routes ?? []) if (this.recordRouteSync(r.route, r.audit, r.decision).first) written.push(r.audit);
      return written;
    });
  }

  /** Takes over an interrupted batch; false when another live process claimed it first. */
  claimBatch(batchId: string, previousPid: number, pid: number, executionId: string): boolean {
    this.flush();
    return this.stmts.batchClaim.run(pid, executionId, batchId, previousPid).changes === 1;
  }

  finishBatch(batchId: string, status: Exclude<BatchStatus, 'running'>, completedAt: string, summary: unknown): void {
    this.flush();
    this.stmts.batchFinish.run(status, completedAt, summary === undefined ? null : JSON.stringify(summary), batchId);
  }

  getBatch(batchId: string): BatchRecord | null {
    this.flush();
    const r = this.stmts.batchGet.get(batchId);
    return r ? toBatch(r) : null;
  }

  runningBatches(): BatchRecord[] {
    this.flush();
    return this.stmts.batchesRunning.all().map(toBatch);
  }

  recentBatches(limit: number): BatchRecord[] {
    this.flush();
    return this.stmts.batchesRecent.all(limit).map(toBatch);
  }

  batchCounts(batchId: string): BatchCounts {
    this.flush();
    return this.stmts.batchCounts.get(batchId) ?? { pass: 0, hold: 0, reject: 0, failed: 0, pending: 0, duplicates: 0 };
  }

  /** The batch's input documents in their original order (for resuming it). */
  batchInput(batchId: string): { documentId: DocumentId; name: string }[] {
    this.flush();
    return this.db
      .prepare<[string], { document_id: string; name: string }>(
        'SELECT document_id, name FROM batch_documents WHERE batch_id = ? AND position >= 0 ORDER BY position',
      )
      .all(batchId)
      .map((r) => ({ documentId: r.document_id, name: r.name }));
  }

  batchMembership(documentId: DocumentId): { batchId: string; outcome: FinalOutcome | null; duplicate: boolean }[] {
    this.flush();
    return this.stmts.batchMembership
      .all(documentId)
      .map((r) => ({ batchId: r.batch_id, outcome: r.outcome, duplicate: r.duplicate === 1 }));
  }

  /** Resolves a full id or a unique prefix (≥ 8 hex chars). */
  resolveDocumentId(prefix: string): DocumentId | null {
    this.flush();
    const p = prefix.toLowerCase();
    if (!/^[0-9a-f]{8,64}$/.test(p)) return null;
    const rows = this.stmts.docByPrefix.all(p);
    return rows.length === 1 && rows[0] ? rows[0].document_id : null;
  }
}
