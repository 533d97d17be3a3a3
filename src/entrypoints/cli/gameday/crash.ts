import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { childProcessEnv } from '../../../config/env.js';
import { CRASH_POINTS, type CrashPoint } from '../../../config/faults.js';
import { OUTCOMES } from '../../../domain/document.js';
import type { Check, ScenarioResult } from './report.js';
import { mulberry32 } from '../../../domain/random.js';

/**
 * The crash-mid-batch scenario: runs a batch through the real CLI, SIGKILLs it at random points
 * (from outside, or at a named crash point through DOCROUTE_FAULTS), sometimes kills the restart
 * too, then restarts it for good and proves that the interrupted batch was resumed (not
 * resubmitted), no document was lost or routed twice, the route folders are byte-identical to
 * those of a clean run, no temp file survived, and the audit trail tells a consistent story.
 *
 * Everything here reads the store read-only, from outside the process under test: a check that
 * shared code with the pipeline could share its bugs. Nothing printed carries document content:
 * only trial numbers, ids, counts and check names.
 */

export interface CrashScenarioOptions {
  /** Documents in the generated inbox (~50). */
  readonly docs: number;
  /** Trials; each gets a fresh data directory. */
  readonly trials: number;
  /** Seeds every random choice (kill kind, point, nth, delay, how many kills). */
  readonly seed: number;
  /** A directory the scenario owns: the inbox, the clean run and one data directory per trial. */
  readonly workDir: string;
  /** The argv prefix that starts the CLI, e.g. [process.execPath, '<root>/bin/docroute.js']. */
  readonly cli: readonly string[];
  /** Trials run side by side (default 1); each is its own child processes. */
  readonly concurrency?: number;
  /** Re-rolls of a trial whose first run finished before it could be killed (default 4). */
  readonly maxRerolls?: number;
  /** Keep the per-trial data directories (default: removed when the trial passed). */
  readonly keep?: boolean;
  /** One line per trial: ids, kill points and counts only. */
  readonly log?: (line: string) => void;
}

export type { Check, ScenarioResult };

/** What a clean, uninterrupted run produced: every trial must end up exactly here. */
export interface CrashReference {
  readonly documentIds: readonly string[];
  /** Route folder entry → link target or sha256 of the file. */
  readonly snapshot: Readonly<Record<string, string>>;
  /** Document → its decision record (the stored JSON) and where it was routed, relative to the data dir. */
  readonly decisions: Readonly<Record<string, string>>;
  readonly counts: { readonly pass: number; readonly hold: number; readonly reject: number; readonly failed: number };
  /** Per process, how often each crash point is reached in a full run (calibrates `nth`). */
  readonly reach: Readonly<Record<CrashPoint, number>>;
  /** Milliseconds from the batch being created to the process exiting. */
  readonly batchMs: number;
}

type KillPlan =
  | { readonly kind: 'external-after-routed'; readonly routed: number }
  | { readonly kind: 'external-after-delay'; readonly ms: number }
  /** Before the batch exists: while the inbox is copied into the object store (temp file + rename). */
  | { readonly kind: 'external-during-ingest'; readonly tempFilesSeen: number }
  | { readonly kind: 'fault'; readonly at: CrashPoint; readonly nth: number };

const killLabel = (p: KillPlan): string => {
  switch (p.kind) {
    case 'fault':
      return `fault ${p.at}#${p.nth}`;
    case 'external-after-routed':
      return `kill after ${p.routed} routed`;
    case 'external-after-delay':
      return `kill after ${p.ms} ms`;
    case 'external-during-ingest':
      return `kill at ingest temp file ${p.tempFilesSeen}`;
  }
};

// --- the inbox ---------------------------------------------------------------------------------

/** A text-layer invoice; deterministic bytes, unique per `n`. */
const invoicePdf = async (n: number, total: string, iban: string): Promise<Uint8Array> => {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  const lines = [
    'INVOICE',
    `Crash Trial Supplies ${n}`,
    `Invoice No: C-${String(n).padStart(5, '0')}`,
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    `Total Due: EUR ${total}`,
    `IBAN: ${iban}`,
    'Payment terms: 30 days net',
  ];
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font }));
  return doc.save({ useObjectStreams: false });
};

/**
 * The crash inbox: text-layer invoices under the default rules, so every route is exercised:
 * most pass, every 10th from the 4th is held (above the approval limit), every 10th from the 8th
 * is rejected (bad IBAN), and every 25th from the 20th is a truncated PDF (rejected as unreadable).
 * Text layers only: OCR would make each trial ten times slower without adding a crash seam.
 */
export const writeCrashInbox = async (dir: string, count: number): Promise<string[]> => {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    let bytes: Uint8Array;
    if (i % 25 === 19) {
      // Cut short, then marked: two truncated invoices could otherwise share their first bytes.
      const whole = await invoicePdf(i, `${100 + i}.00`, 'DE89 3704 0044 0532 0130 00');
      bytes = Buffer.concat([whole.subarray(0, Math.floor(whole.length * 0.6)), Buffer.from(`\n% truncated ${i}\n`)]);
    } else if (i % 10 === 3) {
      bytes = await invoicePdf(i, `${12_000 + i}.00`, 'DE89 3704 0044 0532 0130 00');
    } else if (i % 10 === 7) {
      bytes = await invoicePdf(i, `${100 + i}.00`, 'DE89 3704 0044 0532 0130 01');
    } else {
      bytes = await invoicePdf(i, `${100 + i}.00`, 'DE89 3704 0044 0532 0130 00');
    }
    const file = path.join(dir, `crash-${String(i).padStart(4, '0')}.pdf`);
    writeFileSync(file, bytes);
    files.push(file);
  }
  return files;
};

// --- seeded randomness -------------------------------------------------------------------------

const between = (r: () => number, lo: number, hi: number): number => lo + Math.floor(r() * (Math.max(lo, hi) - lo + 1));
/** Independent of the order trials run in, so concurrency does not change the plans. */
const trialSeed = (seed: number, trial: number, attempt: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 31) + trial * 7919 + attempt * 104729) >>> 0;

// --- reading the store from outside ------------------------------------------------------------

const DB = 'docroute.db';

/** Opens the store read-only, or null when it does not exist (yet). */
const openReadOnly = (dataDir: string): Database.Database | null => {
  const file = path.join(dataDir, DB);
  if (!existsSync(file)) return null;
  try {
    return new Database(file, { readonly: true, fileMustExist: true });
  } catch {
    return null;
  }
};

interface Probe {
  readonly routes: number;
  readonly batches: readonly { batchId: string; status: string; ownerPid: number }[];
}

const EMPTY_PROBE: Probe = { routes: 0, batches: [] };

const probeDb = (db: Database.Database): Probe => ({
  routes: (db.prepare('SELECT COUNT(*) AS n FROM routes').get() as { n: number }).n,
  batches: (
    db.prepare('SELECT batch_id, status, owner_pid FROM batches ORDER BY created_at').all() as {
      batch_id: string;
      status: string;
      owner_pid: number;
    }[]
  ).map((b) => ({ batchId: b.batch_id, status: b.status, ownerPid: b.owner_pid })),
});

/** One read-only connection kept across polls; reopened when the schema is not there yet. */
class StoreWatch {
  private db: Database.Database | null = null;
  constructor(private readonly dataDir: string) {}

  read(): Probe {
    this.db ??= openReadOnly(this.dataDir);
    if (!this.db) return EMPTY_PROBE;
    try {
      return probeDb(this.db);
    } catch {
      this.close();
      return EMPTY_PROBE;
    }
  }

  close(): void {
    this.db?.close();
    this.db = null;
  }
}

const probeOnce = (dataDir: string): Probe => {
  const w = new StoreWatch(dataDir);
  try {
    return w.read();
  } finally {
    w.close();
  }
};

// --- running the CLI ---------------------------------------------------------------------------

interface StageResult {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** Routes in the store when the process was gone. */
  readonly routedAtExit: number;
  readonly externalKill: boolean;
  /** Batch created → exit (ms), when the batch was seen. */
  readonly batchMs: number | null;
  readonly timedOut: boolean;
}

const STAGE_TIMEOUT_MS = 180_000;
/** How often an external kill looks at the store (a routed document takes ~20-60 ms). */
const POLL_MS = 3;
/** How often a run that is not killed from outside is looked at (only to time the clean run). */
const IDLE_POLL_MS = 25;

/** The ingest temp files in the object store right now. */
const ingestTempFiles = (dataDir: string): string[] => {
  try {
    return readdirSync(path.join(dataDir, 'objects')).filter((n) => n.startsWith('.ingest-'));
  } catch {
    return [];
  }
};

/**
 * Runs `docroute run <inbox> --data-dir <dir> --json`, watching the store; an external plan
 * SIGKILLs it after `routed` routes of the batch it owns, or `ms` after it owned the batch.
 */
const runStage = async (opts: {
  cli: readonly string[];
  inbox: string;
  dataDir: string;
  plan: KillPlan | null;
  seed: number;
}): Promise<StageResult> => {
  const { plan } = opts;
  const env = childProcessEnv(
    plan?.kind === 'fault'
      ? { NO_COLOR: '1', DOCROUTE_FAULTS: JSON.stringify({ seed: opts.seed, crash: { at: plan.at, nth: plan.nth } }) }
      : { NO_COLOR: '1' },
  );
  const [command, ...prefix] = opts.cli;
  if (!command) throw new Error('crash scenario: empty CLI command');
  const child = spawn(command, [...prefix, 'run', opts.inbox, '--data-dir', opts.dataDir, '--json'], {
    env,
    // Not the caller's directory: a docroute.config.yaml there must not change the runs.
    cwd: path.dirname(opts.inbox),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
  child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
  const state: { exit: { code: number | null; signal: NodeJS.Signals | null } | null } = { exit: null };
  const exited = new Promise<void>((resolve) =>
    child.on('exit', (code, signal) => {
      state.exit = { code, signal };
      resolve();
    }),
  );
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const watch = new StoreWatch(opts.dataDir);
  const started = performance.now();
  let ownedAt: number | null = null;
  // An object: the kill closure sets it, which a `let` would hide from the narrowing below.
  const killed = { external: false };
  let timedOut = false;
  const kill = (): void => {
    killed.external = child.kill('SIGKILL');
  };
  try {
    let killAt: number | null = null;
    const tempSeen = new Set<string>();
    // A run killed at a crash point needs no watching: it dies by itself.
    while (state.exit === null && plan?.kind !== 'fault') {
      const now = performance.now();
      if (now - started > STAGE_TIMEOUT_MS) {
        timedOut = true;
        child.kill('SIGKILL');
        break;
      }
      const probe = watch.read();
      const owned = probe.batches.some((b) => b.ownerPid === child.pid && b.status === 'running');
      if (owned && ownedAt === null) ownedAt = now;
      if (plan?.kind === 'external-after-routed' && owned && probe.routes >= plan.routed) {
        kill();
        break;
      }
      if (plan?.kind === 'external-after-delay' && ownedAt !== null) {
        killAt ??= ownedAt + plan.ms;
        if (now >= killAt) {
          kill();
          break;
        }
      }
      if (plan?.kind === 'external-during-ingest') {
        for (const n of ingestTempFiles(opts.dataDir)) tempSeen.add(n);
        // Ingest may finish between two looks: then the batch just created is killed at once.
        if (tempSeen.size >= plan.tempFilesSeen || probe.batches.length > 0) {
          kill();
          break;
        }
      }
      await Promise.race([exited, new Promise((r) => setTimeout(r, plan ? POLL_MS : IDLE_POLL_MS))]);
    }
    if (plan?.kind === 'fault') {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((r) => (timer = setTimeout(r, STAGE_TIMEOUT_MS)))]);
      clearTimeout(timer);
      if (state.exit === null) {
        timedOut = true;
        child.kill('SIGKILL');
      }
    }
    await exited;
    await closed;
  } finally {
    watch.close();
  }
  const exit = state.exit ?? { code: null, signal: null };
  return {
    code: exit.code,
    signal: exit.signal,
    stdout,
    stderr,
    routedAtExit: probeOnce(opts.dataDir).routes,
    externalKill: killed.external && exit.signal === 'SIGKILL',
    batchMs: ownedAt === null ? null : performance.now() - ownedAt,
    timedOut,
  };
};

const runSync = (
  cli: readonly string[],
  cwd: string,
  args: readonly string[],
  extraEnv: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } => {
  const [command, ...prefix] = cli;
  if (!command) throw new Error('crash scenario: empty CLI command');
  const r = spawnSync(command, [...prefix, ...args], {
    env: childProcessEnv({ NO_COLOR: '1', ...extraEnv }),
    cwd,
    encoding: 'utf8',
    timeout: STAGE_TIMEOUT_MS,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

/** What the CLI under test offers: DOCROUTE_FAULTS crash points, and `audit verify`. */
export const probeCli = (cli: readonly string[], scratch: string): { faults: boolean; auditVerify: boolean } => {
  const help = runSync(cli, scratch, ['--help']);
  const auditVerify = /^\s+audit\b/m.test(help.stdout) && /\bverify\b/.test(runSync(cli, scratch, ['audit', '--help']).stdout);
  // An invalid crash point must fail at start-up naming DOCROUTE_FAULTS; an older CLI ignores it.
  const empty = path.join(scratch, 'probe-inbox');
  mkdirSync(empty, { recursive: true });
  const r = runSync(cli, scratch, ['run', empty, '--data-dir', path.join(scratch, 'probe-data')], {
    DOCROUTE_FAULTS: JSON.stringify({ crash: { at: 'no-such-point', nth: 1 } }),
  });
  return { faults: r.code === 2 && /DOCROUTE_FAULTS/.test(r.stderr), auditVerify };
};

// --- what a data directory holds ---------------------------------------------------------------

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every route folder entry: symlinks by target (relative, so comparable across data dirs), files by hash. */
export const snapshotRoutes = (dataDir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const outcome of OUTCOMES) {
    const dir = path.join(dataDir, outcome);
    if (!existsSync(dir)) continue;
    for (const name of readdirSync(dir).sort()) {
      const p = path.join(dir, name);
      const st = lstatSync(p);
      out[`${outcome}/${name}`] = st.isSymbolicLink() ? `link ${readlinkSync(p)}` : `sha256 ${sha256(readFileSync(p))}`;
    }
  }
  return out;
};

/** Files a crash may leave behind: ingest temp files and route temp files, anywhere in the data dir. */
export const leftoverTempFiles = (dataDir: string): string[] => {
  const found: string[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.name.startsWith('.ingest-') || e.name.endsWith('.tmp')) found.push(path.relative(dataDir, p));
      if (e.isDirectory()) walk(p);
    }
  };
  if (existsSync(dataDir)) walk(dataDir);
  return found.sort();
};

interface AuditRow {
  seq: number;
  execution_id: string;
  batch_id: string;
  document_id: string | null;
  step: string;
  attempt: number;
  event: string;
}

interface BatchRow {
  batch_id: string;
  execution_id: string;
  status: string;
  received: number;
  summary: string | null;
}

/** The store's facts the checks need, read once. */
const readStore = (dataDir: string) => {
  const db = openReadOnly(dataDir);
  if (!db) return null;
  try {
    return {
      audit: db
        .prepare('SELECT seq, execution_id, batch_id, document_id, step, attempt, event FROM audit ORDER BY seq')
        .all() as AuditRow[],
      batches: db.prepare('SELECT batch_id, execution_id, status, received, summary FROM batches ORDER BY created_at').all() as BatchRow[],
      batchDocs: db.prepare('SELECT batch_id, document_id, outcome, duplicate FROM batch_documents').all() as {
        batch_id: string;
        document_id: string;
        outcome: string | null;
        duplicate: number;
      }[],
      routes: db.prepare('SELECT document_id, outcome, location FROM routes').all() as {
        document_id: string;
        outcome: string;
        location: string;
      }[],
      decisions: db
        .prepare('SELECT document_id, version, outcome, location, result FROM decisions ORDER BY document_id, version')
        .all() as {
        document_id: string;
        version: number;
        outcome: string;
        location: string;
        result: string | null;
      }[],
    };
  } finally {
    db.close();
  }
};

const countBy = <T>(items: readonly T[], key: (t: T) => string): Map<string, number> => {
  const m = new Map<string, number>();
  for (const i of items) m.set(key(i), (m.get(key(i)) ?? 0) + 1);
  return m;
};

const brief = (items: readonly string[], max = 3): string =>
  items.length <= max ? items.join('; ') : `${items.slice(0, max).join('; ')}; … ${items.length - max} more`;

const check = (name: string, problems: readonly string[], ok: string): Check => ({
  name,
  passed: problems.length === 0,
  detail: problems.length === 0 ? ok : brief(problems),
});

const decisionKey = (dataDir: string, d: { outcome: string; location: string; result: string | null }): string =>
  `${d.outcome} ${path.relative(dataDir, d.location)} ${d.result ?? 'null'}`;

/** The reference a trial is compared with: what a clean run of the same inbox produced. */
export const referenceOf = (dataDir: string, batchMs = 0): CrashReference => {
  const store = readStore(dataDir);
  if (!store) throw new Error(`crash scenario: the clean run left no store in ${dataDir}`);
  const db = openReadOnly(dataDir);
  const checkpoints = db ? (db.prepare('SELECT COUNT(*) AS n FROM checkpoints').get() as { n: number }).n : 0;
  db?.close();
  const counts = { pass: 0, hold: 0, reject: 0, failed: 0 };
  for (const d of store.batchDocs) if (d.outcome && d.outcome in counts) counts[d.outcome as keyof typeof counts] += 1;
  const appends = store.audit.filter((r) =>
    ['entered', 'succeeded', 'failed', 'retried', 'duplicate', 'batch-completed'].includes(r.event),
  ).length;
  return {
    documentIds: [...new Set(store.batchDocs.map((d) => d.document_id))].sort(),
    snapshot: snapshotRoutes(dataDir),
    decisions: Object.fromEntries(store.decisions.map((d) => [d.document_id, decisionKey(dataDir, d)])),
    counts,
    reach: {
      'before-checkpoint-write': checkpoints,
      'after-checkpoint-write': checkpoints,
      'mid-route': store.routes.length,
      'after-audit-append': appends,
    },
    batchMs,
  };
};

/** Where a killed execution may stop inside a step: the step's own records, nothing after. */
const INSIDE_STEP_EVENTS = new Set(['routed', 'duplicate']);
/** Steps that record a failure without entering (the Catch targets' own records). */
const UNENTERED_FAILURES = new Set(['Pipeline', 'Admit']);

/**
 * The checks after the final restart, on the data directory alone. Each is named; each detail
 * names documents by id prefix and steps by name, never content.
 */
export const checkDataDir = (dataDir: string, ref: CrashReference): { checks: Check[]; danglingEntered: number } => {
  const store = readStore(dataDir);
  if (!store) {
    const missing = [{ name: 'store', passed: false, detail: 'no store in the data directory' }];
    return { checks: missing, danglingEntered: 0 };
  }
  const short = (id: string | null): string => (id ?? '-').slice(0, 12);
  const expected = new Set(ref.documentIds);

  // No document lost: every input is in a batch with an outcome, has a route and a `routed` record.
  const lost: string[] = [];
  const inBatches = new Set(store.batchDocs.map((d) => d.document_id));
  const routeOf = new Map(store.routes.map((r) => [r.document_id, r]));
  const routedAudit = countBy(
    store.audit.filter((r) => r.event === 'routed'),
    (r) => r.document_id ?? '',
  );
  for (const id of ref.documentIds) {
    if (!inBatches.has(id)) lost.push(`${short(id)} is in no batch`);
    else if (!routeOf.has(id)) lost.push(`${short(id)} has no route`);
    else if (!routedAudit.has(id)) lost.push(`${short(id)} has no routed record`);
  }
  for (const d of store.batchDocs) if (d.outcome === null) lost.push(`${short(d.document_id)} has no outcome in ${d.batch_id}`);

  // None routed twice: one route, one `routed` record, one decision, one folder entry, no duplicates.
  const twice: string[] = [];
  for (const [id, n] of routedAudit) if (n !== 1) twice.push(`${short(id)} has ${n} routed records`);
  for (const [id, n] of countBy(store.decisions, (d) => d.document_id)) if (n !== 1) twice.push(`${short(id)} has ${n} decisions`);
  for (const r of store.routes) if (!expected.has(r.document_id)) twice.push(`${short(r.document_id)} is routed but not an input`);
  const entries = countBy(
    Object.keys(snapshotRoutes(dataDir)).filter((k) => !k.endsWith('.json')),
    (k) => k.slice(k.indexOf('/') + 1, k.indexOf('/') + 13),
  );
  for (const [prefix, n] of entries) if (n !== 1) twice.push(`${prefix} has ${n} route folder entries`);
  for (const d of store.batchDocs) if (d.duplicate) twice.push(`${short(d.document_id)} was counted as a duplicate`);
  for (const r of store.audit) if (r.event === 'duplicate') twice.push(`${short(r.document_id)} has a duplicate record`);

  // Outputs: the route folders and the decision records, as the clean run left them.
  const differ: string[] = [];
  const snap = snapshotRoutes(dataDir);
  for (const k of new Set([...Object.keys(snap), ...Object.keys(ref.snapshot)])) {
    if (snap[k] !== ref.snapshot[k])
      differ.push(`${k}: ${snap[k] === undefined ? 'missing' : ref.snapshot[k] === undefined ? 'extra' : 'differs'}`);
  }
  const decided = new Map<string, string>();
  for (const d of store.decisions) decided.set(d.document_id, decisionKey(dataDir, d));
  for (const id of ref.documentIds) if (decided.get(id) !== ref.decisions[id]) differ.push(`${short(id)}: decision record differs`);

  // Batches: all completed and reconciled (received = pass + hold + reject + failed).
  const unfinished: string[] = [];
  for (const b of store.batches) {
    if (b.status !== 'completed') unfinished.push(`${b.batch_id} is ${b.status}`);
    const s = b.summary ? (JSON.parse(b.summary) as Record<string, unknown>) : null;
    const n = (k: string): number => (typeof s?.[k] === 'number' ? s[k] : NaN);
    if (!s || s['reconciled'] !== true || n('received') !== n('pass') + n('hold') + n('reject') + n('failed')) {
      unfinished.push(`${b.batch_id} is not reconciled`);
    }
    if (n('received') !== b.received) unfinished.push(`${b.batch_id} summarises ${n('received')} of ${b.received}`);
  }

  // The audit trail.
  const audit: string[] = [];
  let danglingEntered = 0;
  const received = countBy(
    store.audit.filter((r) => r.event === 'received'),
    (r) => `${r.batch_id}|${r.document_id ?? ''}`,
  );
  for (const d of store.batchDocs) {
    const n = received.get(`${d.batch_id}|${d.document_id}`) ?? 0;
    if (n !== 1) audit.push(`${short(d.document_id)} has ${n} received records in ${d.batch_id}`);
  }
  const firstReceived = new Map<string, number>();
  for (const r of store.audit)
    if (r.event === 'received' && r.document_id && !firstReceived.has(r.document_id)) firstReceived.set(r.document_id, r.seq);
  for (const r of store.audit) {
    if (r.event !== 'routed') continue;
    const at = firstReceived.get(r.document_id ?? '');
    if (at === undefined || at > r.seq) audit.push(`${short(r.document_id)} was routed without being received`);
  }
  const completedExecutions = new Set(store.audit.filter((r) => r.event === 'batch-completed').map((r) => r.execution_id));
  for (const b of store.batches) {
    if (!completedExecutions.has(b.execution_id)) audit.push(`${b.batch_id}: its last execution has no batch-completed record`);
    const started = store.audit.filter((r) => r.event === 'batch-started' && r.batch_id === b.batch_id).length;
    if (started !== 1) audit.push(`${b.batch_id} has ${started} batch-started records`);
  }
  // Each entered (execution, document, step, attempt) closes with exactly one succeeded or failed.
  // Only a killed execution may leave one open, and then nothing follows for that document in it.
  const steps = new Map<string, { entered: AuditRow[]; closed: number }>();
  const key = (r: AuditRow): string => `${r.execution_id}|${r.document_id ?? ''}|${r.step}|${r.attempt}`;
  for (const r of store.audit) {
    if (r.document_id === null || !['entered', 'succeeded', 'failed'].includes(r.event)) continue;
    const s = steps.get(key(r)) ?? { entered: [], closed: 0 };
    if (r.event === 'entered') s.entered.push(r);
    else if (s.entered.length === 0 && UNENTERED_FAILURES.has(r.step)) continue;
    else s.closed += 1;
    steps.set(key(r), s);
  }
  const lastSeq = new Map<string, number>();
  for (const r of store.audit)
    if (r.document_id && !INSIDE_STEP_EVENTS.has(r.event)) lastSeq.set(`${r.execution_id}|${r.document_id}`, r.seq);
  for (const [k, s] of steps) {
    const [execution = '', doc = '', step = ''] = k.split('|');
    if (s.entered.length === 0) audit.push(`${short(doc)} ${step}: ${s.closed} closing record(s) without entered`);
    else if (s.entered.length > 1) audit.push(`${short(doc)} ${step}: entered ${s.entered.length} times with one attempt number`);
    else if (s.closed > 1) audit.push(`${short(doc)} ${step}: closed ${s.closed} times`);
    else if (s.closed === 0) {
      danglingEntered += 1;
      const entered = s.entered[0];
      if (completedExecutions.has(execution)) audit.push(`${short(doc)} ${step}: never closed in a completed execution`);
      else if (entered && lastSeq.get(`${execution}|${doc}`) !== entered.seq)
        audit.push(`${short(doc)} ${step}: left open, yet the document went on`);
    }
  }

  return {
    checks: [
      check('no document lost', lost, `${ref.documentIds.length} documents, each in its batch with a route and a routed record`),
      check('none routed twice', twice, 'one route, one routed record, one decision and one folder entry per document'),
      check(
        'outputs identical to a clean run',
        differ,
        `${Object.keys(ref.snapshot).length} route folder files and ${ref.documentIds.length} decision records`,
      ),
      check('no temp files left', leftoverTempFiles(dataDir), 'no .ingest-* or *.tmp file'),
      check(
        'batches completed and reconciled',
        unfinished,
        `${store.batches.length} batch(es) completed, received = pass + hold + reject + failed`,
      ),
      check('audit consistent', audit, 'every entered closed once (open only in killed executions); received before routed'),
    ],
    danglingEntered,
  };
};

// --- one trial ---------------------------------------------------------------------------------

interface TrialOutcome {
  readonly trial: number;
  readonly checks: Check[];
  readonly kills: readonly { plan: KillPlan; routedAtKill: number; beforeBatch: boolean }[];
  readonly rerolls: number;
  readonly secondKillMissed: boolean;
  readonly resumes: number;
  readonly danglingEntered: number;
  readonly ms: number;
}

interface TrialContext {
  readonly opts: CrashScenarioOptions;
  readonly inbox: string;
  readonly ref: CrashReference;
  readonly faults: boolean;
  readonly auditVerify: boolean;
}

/**
 * A kill plan for a run that will own a batch with `routedSoFar` of its documents routed. The
 * first kill of a trial takes its kind round-robin from `slot` (so every crash point and every
 * external kind is covered); where it lands, and the second kill, are random.
 */
const planKill = (r: () => number, ctx: TrialContext, useFaults: boolean, routedSoFar: number, slot?: number): KillPlan => {
  const { docs } = ctx.opts;
  const left = Math.max(1 / docs, (docs - routedSoFar) / docs);
  if (useFaults) {
    const at = CRASH_POINTS[slot ?? between(r, 0, CRASH_POINTS.length - 1)] ?? 'mid-route';
    // Within the first ~80% of what the run has left to do, so it rarely finishes first.
    return { kind: 'fault', at, nth: between(r, 1, Math.max(1, Math.floor(ctx.ref.reach[at] * left * 0.8))) };
  }
  const kind = slot === undefined ? between(r, 0, 1) : slot % 3;
  if (kind === 0) return { kind: 'external-after-routed', routed: between(r, routedSoFar === 0 ? 0 : routedSoFar + 1, docs - 2) };
  if (kind === 2) return { kind: 'external-during-ingest', tempFilesSeen: between(r, 1, 5) };
  return { kind: 'external-after-delay', ms: between(r, 0, Math.floor(ctx.ref.batchMs * left * 0.8)) };
};

const runTrial = async (ctx: TrialContext, trial: number): Promise<TrialOutcome> => {
  const { opts, inbox, ref } = ctx;
  const started = performance.now();
  const maxRerolls = opts.maxRerolls ?? 4;
  for (let attempt = 0; ; attempt++) {
    const r = mulberry32(trialSeed(opts.seed, trial, attempt));
    const useFaults = ctx.faults && trial % 2 === 1;
    const twice = r() < 0.35;
    const dataDir = path.join(opts.workDir, `trial-${String(trial).padStart(3, '0')}-${attempt}`);
    rmSync(dataDir, { recursive: true, force: true });
    const fail = (name: string, detail: string): TrialOutcome => ({
      trial,
      checks: [{ name, passed: false, detail: `${detail} (data dir ${dataDir})` }],
      kills: [],
      rerolls: attempt,
      secondKillMissed: false,
      resumes: 0,
      danglingEntered: 0,
      ms: performance.now() - started,
    });

    const kills: { plan: KillPlan; routedAtKill: number; beforeBatch: boolean }[] = [];
    const stage = (plan: KillPlan | null): Promise<StageResult> =>
      runStage({ cli: opts.cli, inbox, dataDir, plan, seed: opts.seed + trial });
    /** After a kill: the batch it left running (null: killed before there was one), or why there is none. */
    const interrupted = (s: StageResult): { batchId: string | null } | { finished: true } | { error: string } => {
      if (s.timedOut) return { error: 'the run did not finish in time' };
      if (s.code !== null) return s.code === 0 ? { finished: true } : { error: `the run exited ${s.code} before the kill` };
      if (s.signal !== 'SIGKILL') return { error: `the run died of ${s.signal ?? 'nothing'}` };
      const batches = probeOnce(dataDir).batches;
      const running = batches.filter((b) => b.status === 'running');
      const first = running[0];
      if (running.length === 1 && first) return { batchId: first.batchId };
      if (batches.length === 0) return { batchId: null };
      return running.length === 0 ? { finished: true } : { error: `${running.length} batches left running` };
    };

    // Trial 0 kills as soon as the batch exists: the seam between creating a batch and recording
    // its documents as received, which no crash point covers.
    const plan1: KillPlan =
      trial === 0 && !useFaults
        ? { kind: 'external-after-routed', routed: 0 }
        : planKill(r, ctx, useFaults, 0, (trial >> 1) % (useFaults ? CRASH_POINTS.length : 3));
    const s1 = await stage(plan1);
    const i1 = interrupted(s1);
    if ('error' in i1) return fail('kill interrupted the batch', `${killLabel(plan1)}: ${i1.error}`);
    if ('finished' in i1) {
      opts.log?.(`trial ${trial}: ${killLabel(plan1)} came after the batch finished; re-rolling`);
      if (attempt >= maxRerolls) return fail('kill interrupted the batch', `${attempt + 1} plans in a row came after the batch finished`);
      rmSync(dataDir, { recursive: true, force: true });
      continue;
    }
    kills.push({ plan: plan1, routedAtKill: s1.routedAtExit, beforeBatch: i1.batchId === null });
    let batchId = i1.batchId;

    let final: StageResult | null = null;
    let secondKillMissed = false;
    if (twice) {
      const plan2 = planKill(r, ctx, useFaults, s1.routedAtExit);
      const s2 = await stage(plan2);
      const i2 = interrupted(s2);
      if ('error' in i2) return fail('kill interrupted the batch', `second ${killLabel(plan2)}: ${i2.error}`);
      if ('finished' in i2) {
        secondKillMissed = true;
        final = s2;
      } else {
        if (batchId !== null && i2.batchId !== batchId) {
          return fail('batch resumed, not resubmitted', 'the restart left a different batch running');
        }
        batchId = i2.batchId;
        kills.push({ plan: plan2, routedAtKill: s2.routedAtExit, beforeBatch: i2.batchId === null });
      }
    }
    final ??= await stage(null);

    // The final restart resumed the interrupted batch, and that batch is the only one (killed
    // before the batch existed, the restart created it: then it is the only one, not resumed).
    const resumed: string[] = [];
    if (final.code !== 0) resumed.push(`the final run exited ${final.code ?? final.signal ?? 'without a code'}`);
    try {
      const out = JSON.parse(final.stdout) as { runs: { batchId: string; resumed: boolean; summary: Record<string, unknown> | null }[] };
      const run = out.runs[0];
      if (out.runs.length !== 1 || !run) resumed.push(`the final run reported ${out.runs.length} batches`);
      else {
        if (batchId !== null && (!run.resumed || run.batchId !== batchId))
          resumed.push('the final run did not resume the interrupted batch');
        if (batchId === null && run.resumed) resumed.push('the final run resumed a batch, yet none was left running');
        const s = run.summary ?? {};
        for (const k of ['pass', 'hold', 'reject', 'failed'] as const) {
          if (s[k] !== ref.counts[k]) resumed.push(`${k} ${String(s[k])}, the clean run ${ref.counts[k]}`);
        }
        if (s['received'] !== opts.docs) resumed.push(`received ${String(s['received'])} of ${opts.docs}`);
      }
    } catch {
      resumed.push('the final run printed no JSON report');
    }
    const batches = probeOnce(dataDir).batches;
    if (batches.length !== 1) resumed.push(`${batches.length} batches in the store`);

    // Every run after a kill that left the batch running resumed it.
    const resumes = kills.filter((k) => !k.beforeBatch).length;
    const { checks, danglingEntered } = checkDataDir(dataDir, ref);
    const all = [check('batch resumed, not resubmitted', resumed, 'the interrupted batch, resumed, is the only batch'), ...checks];
    if (ctx.auditVerify) {
      const v = runSync(opts.cli, opts.workDir, ['audit', 'verify', '--data-dir', dataDir]);
      all.push(
        check(
          'audit verify',
          v.code === 0 ? [] : [`docroute audit verify exited ${v.code ?? 'without a code'}`],
          'docroute audit verify exits 0',
        ),
      );
    }
    const passed = all.every((c) => c.passed);
    opts.log?.(
      `trial ${trial}: ${kills.map((k) => `${killLabel(k.plan)} (${k.routedAtKill} routed)`).join(', then ')}${
        secondKillMissed ? ', second kill missed' : ''
      } in ${((performance.now() - started) / 1000).toFixed(1)} s → ${
        passed
          ? 'ok'
          : `FAILED: ${all
              .filter((c) => !c.passed)
              .map((c) => c.name)
              .join(', ')}`
      }`,
    );
    if (passed && !opts.keep) rmSync(dataDir, { recursive: true, force: true });
    return {
      trial,
      checks: passed ? all : all.map((c) => (c.passed ? c : { ...c, detail: `${c.detail} (data dir ${dataDir})` })),
      kills,
      rerolls: attempt,
      secondKillMissed,
      resumes,
      danglingEntered,
      ms: performance.now() - started,
    };
  }
};

// --- the scenario ------------------------------------------------------------------------------

const quantile = (sorted: readonly number[], q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;

export const runCrashScenario = async (opts: CrashScenarioOptions): Promise<ScenarioResult> => {
  const began = performance.now();
  mkdirSync(opts.workDir, { recursive: true });
  const inbox = path.join(opts.workDir, 'inbox');
  rmSync(inbox, { recursive: true, force: true });
  await writeCrashInbox(inbox, opts.docs);
  const { faults, auditVerify } = probeCli(opts.cli, opts.workDir);

  // The reference: one clean, uninterrupted run of the same inbox.
  const cleanDir = path.join(opts.workDir, 'clean');
  rmSync(cleanDir, { recursive: true, force: true });
  const clean = await runStage({ cli: opts.cli, inbox, dataDir: cleanDir, plan: null, seed: opts.seed });
  if (clean.code !== 0) {
    return {
      scenario: 'crash-mid-batch',
      passed: false,
      checks: [{ name: 'clean run', passed: false, detail: `the clean run exited ${clean.code ?? clean.signal ?? 'without a code'}` }],
      numbers: { documents: opts.docs },
    };
  }
  const ref = referenceOf(cleanDir, clean.batchMs ?? 0);
  const self = checkDataDir(cleanDir, ref).checks.filter((c) => !c.passed);
  if (ref.documentIds.length !== opts.docs) {
    self.push({ name: 'inbox', passed: false, detail: `${ref.documentIds.length} distinct documents, not ${opts.docs}` });
  }
  const ctx: TrialContext = { opts, inbox, ref, faults, auditVerify };

  const outcomes: TrialOutcome[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.trials) {
      const t = next++;
      outcomes.push(await runTrial(ctx, t));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(opts.concurrency ?? 1, opts.trials)) }, () => worker()));
  outcomes.sort((a, b) => a.trial - b.trial);

  // One check per property across all trials; a failure names its trial.
  const names: string[] = [];
  for (const o of outcomes) for (const c of o.checks) if (!names.includes(c.name)) names.push(c.name);
  const checks: Check[] = [
    check(
      'clean run',
      self.map((c) => `${c.name}: ${c.detail}`),
      `${opts.docs} documents: pass ${ref.counts.pass}, hold ${ref.counts.hold}, reject ${ref.counts.reject}, failed ${ref.counts.failed}`,
    ),
    ...names.map((name) => {
      const failed = outcomes.flatMap((o) =>
        o.checks.filter((c) => c.name === name && !c.passed).map((c) => `trial ${o.trial}: ${c.detail}`),
      );
      const ran = outcomes.filter((o) => o.checks.some((c) => c.name === name)).length;
      return check(name, failed, `${ran} of ${outcomes.length} trials`);
    }),
  ];
  const faultTrials = outcomes.filter((o) => o.kills.some((k) => k.plan.kind === 'fault')).length;
  checks.push(
    check(
      'kill mix',
      faults
        ? faultTrials === 0 && opts.trials > 1
          ? ['no trial was killed at a crash point']
          : []
        : ['this CLI does not honour DOCROUTE_FAULTS: every kill was external'],
      `${outcomes.length - faultTrials} trials killed from outside, ${faultTrials} at crash points`,
    ),
  );

  const kills = outcomes.flatMap((o) => o.kills);
  const routed = kills.map((k) => k.routedAtKill).sort((a, b) => a - b);
  const numbers: Record<string, number> = {
    documents: opts.docs,
    trials: outcomes.length,
    kills: kills.length,
    'trials killed twice': outcomes.filter((o) => o.kills.length === 2).length,
    'second kills missed': outcomes.filter((o) => o.secondKillMissed).length,
    're-rolled (finished before the kill)': outcomes.reduce((n, o) => n + o.rerolls, 0),
    resumes: outcomes.reduce((n, o) => n + o.resumes, 0),
    'kills before the batch existed': kills.filter((k) => k.beforeBatch).length,
    'steps left open by kills': outcomes.reduce((n, o) => n + o.danglingEntered, 0),
    'fault layer': faults ? 1 : 0,
    'audit verify': auditVerify ? 1 : 0,
    'routed at kill: min': routed[0] ?? 0,
    'routed at kill: p25': quantile(routed, 0.25),
    'routed at kill: median': quantile(routed, 0.5),
    'routed at kill: p75': quantile(routed, 0.75),
    'routed at kill: max': routed.at(-1) ?? 0,
    seconds: Math.round((performance.now() - began) / 100) / 10,
  };
  const fifth = Math.max(1, Math.ceil(opts.docs / 5));
  for (let lo = 0; lo < opts.docs; lo += fifth) {
    const hi = Math.min(opts.docs - 1, lo + fifth - 1);
    numbers[`routed at kill: ${lo}-${hi}`] = routed.filter((n) => n >= lo && n <= hi).length;
  }
  for (const k of kills) {
    const label = k.plan.kind === 'fault' ? `kill point: ${k.plan.at}` : `kill point: ${k.plan.kind}`;
    numbers[label] = (numbers[label] ?? 0) + 1;
  }
  return { scenario: 'crash-mid-batch', passed: checks.every((c) => c.passed), checks, numbers };
};
