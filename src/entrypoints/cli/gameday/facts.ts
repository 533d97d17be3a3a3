import { createHash } from 'node:crypto';
import { existsSync, lstatSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { OUTCOMES } from '../../../domain/document.js';

/**
 * What a data directory holds after a gameday run, read the way an auditor would: the SQLite store
 * opened read-only, the route folders and the object store from disk. Ids, counts and hashes only:
 * nothing here reads document text into the report.
 */

export interface BatchFacts {
  readonly batchId: string;
  readonly status: string;
  readonly received: number;
  readonly pass: number;
  readonly hold: number;
  readonly reject: number;
  readonly failed: number;
  /** Documents of the batch without an outcome (the batch failed before recording them). */
  readonly pending: readonly string[];
  /** The error a failed batch recorded (its name only), else null. */
  readonly error: string | null;
  /** Failed documents: id and error name. */
  readonly failures: readonly { documentId: string; errorName: string | null }[];
}

export interface AuditErrorFacts {
  /** `failed` step attempts with this error name (each is one injected fault a step saw). */
  readonly failed: number;
  /** Of those, how many were retried (a `retried` row for the next attempt). */
  readonly retried: number;
}

export interface DataFacts {
  /** documentId → outcome, from the routes table. */
  readonly routes: ReadonlyMap<string, string>;
  readonly routeRows: number;
  readonly routedAuditRows: number;
  readonly routedAuditDocuments: number;
  readonly batches: readonly BatchFacts[];
  readonly errors: Readonly<Record<string, AuditErrorFacts>>;
  /** `retried` rows: step attempts after the first. */
  readonly retriedRows: number;
  /** Failed step attempts by `<step>:<errorName>`. */
  readonly stepErrors: Readonly<Record<string, number>>;
  /** `entered` rows with no `succeeded`/`failed` row for the same attempt. */
  readonly unclosedAttempts: number;
  /** Of those, how many were never followed by a later attempt of the same step for the document. */
  readonly unclosedNotRetried: number;
  /** Route folder entries: `<outcome>/<entry>` → sha256 of the JSON, or of the original a link points to. */
  readonly folders: Readonly<Record<string, string>>;
  /** Leftover temp files in the route folders. */
  readonly strayTempFiles: number;
  /** Originals whose bytes no longer hash to their name. */
  readonly corruptOriginals: readonly string[];
  /** Ids of the originals in the object store. */
  readonly originals: ReadonlySet<string>;
}

const sha256 = (bytes: Uint8Array | string): string => createHash('sha256').update(bytes).digest('hex');

export const idOfBytes = (bytes: Uint8Array): string => sha256(bytes);

const folderFacts = (dataDir: string): { folders: Record<string, string>; strayTempFiles: number } => {
  const folders: Record<string, string> = {};
  let strayTempFiles = 0;
  for (const outcome of OUTCOMES) {
    const dir = path.join(dataDir, outcome);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      if (name.endsWith('.tmp')) {
        strayTempFiles += 1;
        continue;
      }
      // A link is compared by the bytes it leads to (the paths differ between data directories).
      const st = lstatSync(p);
      folders[`${outcome}/${name}`] = st.isSymbolicLink() || st.isFile() ? sha256(readFileSync(p)) : 'not-a-file';
    }
  }
  return { folders, strayTempFiles };
};

const originalFacts = (dataDir: string): { originals: Set<string>; corrupt: string[] } => {
  const root = path.join(dataDir, 'objects');
  const originals = new Set<string>();
  const corrupt: string[] = [];
  if (!existsSync(root)) return { originals, corrupt };
  for (const prefix of readdirSync(root)) {
    const dir = path.join(root, prefix);
    if (prefix.startsWith('.') || !lstatSync(dir).isDirectory()) continue;
    for (const id of readdirSync(dir)) {
      originals.add(id);
      if (sha256(readFileSync(path.join(dir, id))) !== id) corrupt.push(id);
    }
  }
  return { originals, corrupt };
};

export const readDataFacts = (dataDir: string): DataFacts => {
  const file = path.join(dataDir, 'docroute.db');
  const { folders, strayTempFiles } = folderFacts(dataDir);
  const { originals, corrupt } = originalFacts(dataDir);
  if (!existsSync(file)) {
    return {
      routes: new Map(),
      routeRows: 0,
      routedAuditRows: 0,
      routedAuditDocuments: 0,
      batches: [],
      errors: {},
      stepErrors: {},
      retriedRows: 0,
      unclosedAttempts: 0,
      unclosedNotRetried: 0,
      folders,
      strayTempFiles,
      corruptOriginals: corrupt,
      originals,
    };
  }
  const db = new Database(file, { readonly: true, fileMustExist: true });
  try {
    const routeRows = db.prepare('SELECT document_id AS id, outcome FROM routes').all() as { id: string; outcome: string }[];
    const routed = db.prepare("SELECT COUNT(*) AS n, COUNT(DISTINCT document_id) AS d FROM audit WHERE event = 'routed'").get() as {
      n: number;
      d: number;
    };
    const batchRows = db
      .prepare('SELECT batch_id AS batchId, status, received, summary FROM batches ORDER BY created_at, batch_id')
      .all() as { batchId: string; status: string; received: number; summary: string | null }[];
    const docsOf = db.prepare('SELECT document_id AS id, outcome, error_name AS errorName FROM batch_documents WHERE batch_id = ?');
    const batches = batchRows.map((b): BatchFacts => {
      const docs = docsOf.all(b.batchId) as { id: string; outcome: string | null; errorName: string | null }[];
      const n = (o: string): number => docs.filter((d) => d.outcome === o).length;
      let error: string | null = null;
      try {
        const parsed = b.summary ? (JSON.parse(b.summary) as { error?: unknown }) : {};
        if (typeof parsed.error === 'string') error = parsed.error;
      } catch {
        // not JSON: no error name to report
      }
      return {
        batchId: b.batchId,
        status: b.status,
        received: b.received,
        error,
        pass: n('pass'),
        hold: n('hold'),
        reject: n('reject'),
        failed: n('failed'),
        pending: docs.filter((d) => d.outcome === null).map((d) => d.id),
        failures: docs.filter((d) => d.outcome === 'failed').map((d) => ({ documentId: d.id, errorName: d.errorName })),
      };
    });
    // Step attempts that failed, by error name; the Pipeline row is the final failure, not an attempt.
    const errorRows = db
      .prepare(
        `SELECT f.error_name AS name, COUNT(*) AS failed,
                SUM(EXISTS (SELECT 1 FROM audit r WHERE r.event = 'retried' AND r.execution_id = f.execution_id
                            AND r.document_id = f.document_id AND r.step = f.step AND r.attempt = f.attempt + 1)) AS retried
           FROM audit f
          WHERE f.event = 'failed' AND f.step <> 'Pipeline' AND f.error_name IS NOT NULL
          GROUP BY f.error_name`,
      )
      .all() as { name: string; failed: number; retried: number }[];
    const stepRows = db
      .prepare(
        `SELECT step, error_name AS name, COUNT(*) AS n FROM audit
          WHERE event = 'failed' AND step <> 'Pipeline' AND error_name IS NOT NULL GROUP BY step, error_name`,
      )
      .all() as { step: string; name: string; n: number }[];
    const retried = db.prepare("SELECT COUNT(*) AS n FROM audit WHERE event = 'retried'").get() as { n: number };
    const unclosed = db
      .prepare(
        `SELECT COUNT(*) AS n,
                SUM(NOT EXISTS (SELECT 1 FROM audit l WHERE l.event = 'entered' AND l.document_id = e.document_id
                                AND l.step = e.step AND l.seq > e.seq)) AS notRetried
           FROM audit e
          WHERE e.event = 'entered'
            AND NOT EXISTS (SELECT 1 FROM audit c WHERE c.event IN ('succeeded', 'failed') AND c.execution_id = e.execution_id
                            AND c.document_id = e.document_id AND c.step = e.step AND c.attempt = e.attempt)`,
      )
      .get() as { n: number; notRetried: number | null };
    return {
      routes: new Map(routeRows.map((r) => [r.id, r.outcome])),
      routeRows: routeRows.length,
      routedAuditRows: routed.n,
      routedAuditDocuments: routed.d,
      batches,
      errors: Object.fromEntries(errorRows.map((r) => [r.name, { failed: r.failed, retried: r.retried }])),
      stepErrors: Object.fromEntries(stepRows.map((r) => [`${r.step}:${r.name}`, r.n])),
      retriedRows: retried.n,
      unclosedAttempts: unclosed.n,
      unclosedNotRetried: unclosed.notRetried ?? 0,
      folders,
      strayTempFiles,
      corruptOriginals: corrupt,
      originals,
    };
  } finally {
    db.close();
  }
};
