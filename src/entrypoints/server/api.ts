import { createHash } from 'node:crypto';
import { decisionAuthor } from '../../domain/decision-record.js';
import path from 'node:path';
import type { Context, Hono } from 'hono';
import type { z } from 'zod';
import { SqliteQueries, type DocumentFilter, type DocumentRow } from '../../adapters/local/sqlite-queries.js';
import { sensitiveFieldNames } from '../../config/field-spec.js';
import type { FieldValue, RouteResult } from '../../domain/document.js';
import { ArtifactMissingError } from '../../domain/errors.js';
import { maskValue } from '../../domain/mask.js';
import { sniffMediaType } from '../../domain/sniff.js';
import type { DecisionRecord } from '../../ports/decisions.js';
import { documentStatus } from '../cli/inspect.js';
import { newId } from '../runtime.js';
import { layoutSourceOf, loadLayout } from './api-layout.js';
import { createPageRenderer, type PageResult } from './api-pages.js';
import {
  ListBatchesQuery,
  ListDocumentsQuery,
  LayoutQuery,
  PageParams,
  PageQuery,
  ReviewQueueQuery,
  ReviewRequest,
  UploadQuery,
  openapiPaths,
  openapiSchemas,
} from './api-schemas.js';
import { queueUpload, uploadName } from './api-uploads.js';
import { jsonError, requireRole } from './auth.js';
import type { AppEnv, ServerDeps } from './types.js';

/**
 * The JSON API under /api/v1: documents (list, detail, original, layout, page images, upload,
 * review), the review queue and batches. Every answer is JSON (`{ error: { code, message } }` on
 * failure) except the original and the page images.
 *
 * Uploads are queued in `deps.uploadsDir`; the layout of that folder, which the serve loop drains,
 * is described in api-uploads.ts (`queueUpload`, `listQueued`, `removeQueued` are re-exported here).
 *
 * Nothing here logs: requests carry document names, reasons and field values, which are customer
 * data. Errors name the field that is wrong, never echo what was in it.
 */

export { listQueued, queueUpload, removeQueued, uploadName, type QueuedUpload } from './api-uploads.js';

/** At most this many files per upload request (the core's body limit bounds their total size). */
const MAX_FILES_PER_UPLOAD = 50;

type Json = Record<string, unknown>;

const bad = (c: Context, message: string): Response => jsonError(c, 400, 'BAD_REQUEST', message);

const unknownDocument = (c: Context): Response =>
  jsonError(c, 404, 'NOT_FOUND', 'no document matches this id (use a full id or a unique prefix of 8+ hex characters)');

/** A user-supplied key, safe to quote in an error message. */
const quoteKey = (key: string): string => JSON.stringify(key.slice(0, 40));

/** The issues of a failed parse, naming the fields (never the values given). */
export const describeIssues = (error: z.ZodError): string =>
  error.issues
    .slice(0, 3)
    .map((issue) => {
      // Paths can hold client-chosen keys (a correction's field name): bounded, never a value.
      const where = issue.path.map((p) => String(p).slice(0, 40)).join('.');
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => `${where ? `${where}.` : ''}${quoteKey(k)}: unknown field`).join('; ');
      }
      return `${where || '(body)'}: ${issue.message}`;
    })
    .join('; ');

type Parsed<T> = { ok: true; value: T } | { ok: false; response: Response };

const parseQuery = <S extends z.ZodType>(c: Context, schema: S): Parsed<z.output<S>> => {
  for (const [key, values] of Object.entries(c.req.queries())) {
    if (values.length > 1) return { ok: false, response: bad(c, `${quoteKey(key)}: given more than once`) };
  }
  const parsed = schema.safeParse(c.req.query());
  return parsed.success ? { ok: true, value: parsed.data } : { ok: false, response: bad(c, describeIssues(parsed.error)) };
};

// --- Cursors -------------------------------------------------------------------------------

/**
 * A cursor is the keyset position of a page's last row plus a fingerprint of the filters it was
 * made under, base64url-encoded JSON. It is opaque to clients; one made for other filters, or for
 * another list, is refused rather than silently giving a wrong page.
 */
interface Cursor {
  readonly v: 1;
  readonly k: 'documents' | 'batches';
  readonly s: number;
  readonly t?: string;
  readonly f: string;
}

const fingerprint = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('base64url').slice(0, 12);

const encodeCursor = (cursor: Cursor): string => Buffer.from(JSON.stringify(cursor), 'utf8').toString('base64url');

const decodeCursor = (raw: string, kind: Cursor['k'], filters: string): Cursor | 'invalid' | 'other-filters' => {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    return 'invalid';
  }
  if (typeof value !== 'object' || value === null) return 'invalid';
  const c = value as Partial<Cursor>;
  if (c.v !== 1 || c.k !== kind || typeof c.s !== 'number' || !Number.isSafeInteger(c.s) || typeof c.f !== 'string') return 'invalid';
  if (c.t !== undefined && (typeof c.t !== 'string' || c.t.length > 40)) return 'invalid';
  if (c.f !== filters) return 'other-filters';
  return { v: 1, k: kind, s: c.s, f: c.f, ...(c.t !== undefined ? { t: c.t } : {}) };
};

const cursorProblem = (c: Context, problem: 'invalid' | 'other-filters'): Response =>
  bad(
    c,
    problem === 'invalid'
      ? 'cursor: not a cursor of this list (pass back `nextCursor` unchanged)'
      : 'cursor: it was made for other filters; start again without a cursor',
  );

// --- Times ---------------------------------------------------------------------------------

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;

/** ISO instant of a `from` bound (inclusive); null when it is not a real date. */
const lowerBound = (value: string): string | null => {
  const t = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  return Number.isFinite(t) ? new Date(t).toISOString() : null;
};

/** ISO instant just after a `to` bound (exclusive): the next day for a date, the next millisecond for a time. */
const upperBound = (value: string): string | null => {
  const t = Date.parse(DATE_ONLY.test(value) ? `${value}T00:00:00.000Z` : value);
  if (!Number.isFinite(t)) return null;
  return new Date(DATE_ONLY.test(value) ? t + 86_400_000 : t + 1).toISOString();
};

// --- Views ---------------------------------------------------------------------------------

const listItem = (r: DocumentRow): Json => ({
  documentId: r.documentId,
  name: r.name,
  route: r.route,
  class: r.documentClass,
  confidence: r.confidence,
  status: r.status,
  decidedAt: r.decidedAt,
  decision: r.decision,
  reasonCodes: r.reasonCodes,
  firstSeenAt: r.firstSeenAt,
});

/** A decision of the chain, without where it was filed (a server path) or its field values. */
const decisionView = (d: DecisionRecord, fallback: RouteResult | null = null): Json => {
  const result = d.result ?? fallback;
  const info = result?.decision;
  return {
    version: d.version,
    kind: d.kind,
    outcome: d.outcome,
    decidedAt: d.decidedAt,
    batchId: d.batchId,
    reviewer: info?.reviewer ?? null,
    reason: info?.reason ?? null,
    replayedFrom: info?.replayedFrom ?? null,
    supersedes: info?.supersedes ?? null,
    reasons: result?.reasons ?? [],
    findings: result?.findings ?? [],
    documentClass: result?.documentClass ?? null,
    confidence: result?.confidence ?? null,
    classifier: result?.classifier ?? null,
    configVersion: result?.configVersion || null,
    rulesetVersion: result?.rulesetVersion || null,
    correctedFields: info?.correctedFields ?? [],
  };
};

const whoDecided = (d: DecisionRecord | null): Json | null =>
  d
    ? {
        version: d.version,
        kind: d.kind,
        outcome: d.outcome,
        decidedAt: d.decidedAt,
        reviewer: d.result?.decision?.reviewer ?? null,
      }
    : null;

const describeDecision = (d: DecisionRecord): string =>
  `decision ${d.version} (${decisionAuthor(d.kind, d.result?.decision)}, ${d.decidedAt})`;

/** `Content-Disposition: attachment` with an ASCII fallback name and the UTF-8 name (RFC 6266/5987). */
const attachment = (name: string): string => {
  const clean = uploadName(name);
  const ascii = clean.replace(/[^\x20-\x7e]/g, '_').replace(/["\\%;]/g, '_') || 'document';
  const utf8 = encodeURIComponent(clean).replace(/['()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${ascii}"; filename*=UTF-8''${utf8}`;
};

const isJsonRequest = (c: Context): boolean => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

// --- Routes --------------------------------------------------------------------------------

export interface RegisteredApi {
  readonly openapiPaths: Record<string, unknown>;
  readonly openapiSchemas: Record<string, unknown>;
  /** Closes the API's read-only store connection (optional: it closes with the process). */
  readonly close: () => void;
}

export const registerApi = (app: Hono<AppEnv>, deps: ServerDeps): RegisteredApi => {
  const { runtime } = deps;
  const store = runtime.store;
  const config = runtime.loaded.config;
  const sensitive = sensitiveFieldNames(config.fields);
  let queries: SqliteQueries | undefined;
  // Opened on first use: the runtime has created the store file by then.
  const reads = (): SqliteQueries => (queries ??= new SqliteQueries(path.join(runtime.dataDir, 'docroute.db')));
  const pages = createPageRenderer({ maxPages: config.limits.maxPages, maxPixels: config.extract.image.maxPixels });

  const viewer = requireRole('viewer');
  const reviewer = requireRole('reviewer');
  const admin = requireRole('admin');

  /** A full id or a unique prefix of 8+ hex characters; null when nothing (or more than one) matches. */
  const resolve = (c: Context): string | null => store.resolveDocumentId(c.req.param('id') ?? '');

  /** A path under the data directory is shown relative to it; anything else (a configured folder, a URI) as is. */
  const displayLocation = (location: string | null): string | null => {
    if (location === null) return null;
    const rel = path.relative(runtime.dataDir, location);
    return rel && !rel.startsWith('..') && !path.isAbsolute(rel) ? rel : location;
  };

  // POST /api/v1/documents ------------------------------------------------------------------
  app.post('/api/v1/documents', admin, async (c) => {
    const query = parseQuery(c, UploadQuery);
    if (!query.ok) return query.response;
    const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
    if (type !== 'multipart/form-data') {
      return jsonError(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send multipart/form-data with one or more `file` parts');
    }
    let form: Record<string, unknown>;
    try {
      form = await c.req.parseBody({ all: true });
    } catch {
      return bad(c, 'the multipart body could not be parsed');
    }
    const raw = form['file'];
    const parts = raw === undefined ? [] : Array.isArray(raw) ? (raw as unknown[]) : [raw];
    if (parts.length === 0) return bad(c, 'file: at least one file part is required');
    if (parts.length > MAX_FILES_PER_UPLOAD) return bad(c, `file: at most ${MAX_FILES_PER_UPLOAD} files per request`);
    const files: File[] = [];
    for (const [i, part] of parts.entries()) {
      if (!(part instanceof File)) return bad(c, `file: part ${i + 1} is not a file (send it with a filename)`);
      if (part.size > deps.maxUploadBytes) {
        return jsonError(
          c,
          413,
          'PAYLOAD_TOO_LARGE',
          `file: part ${i + 1} is ${part.size} bytes, more than the limit of ${deps.maxUploadBytes} bytes`,
        );
      }
      files.push(part);
    }
    const queued: { uploadId: string; name: string; size: number; documentId: string }[] = [];
    for (const file of files) {
      const q = await queueUpload(deps.uploadsDir, file.name, new Uint8Array(await file.arrayBuffer()), deps.now());
      queued.push({ uploadId: q.id, name: q.name, size: q.size, documentId: q.documentId });
    }
    if (query.value.process !== 'now') return c.json({ queued }, 202);

    try {
      await deps.processQueued();
    } catch (err) {
      return jsonError(
        c,
        503,
        'PROCESSING_FAILED',
        `the upload is queued, but running the batch failed (${err instanceof Error ? err.name : 'error'}); the serve loop tries again`,
      );
    }
    const documents: Json[] = [];
    const batchIds: string[] = [];
    for (const item of queued) {
      const status = await documentStatus(store, item.documentId);
      const latest = status?.batches.at(-1)?.batchId;
      if (latest && !batchIds.includes(latest)) batchIds.push(latest);
      documents.push({
        ...item,
        status: status?.state ?? 'received',
        route: status?.outcome ?? null,
        reasonCodes: status?.reasons.map((r) => r.code) ?? [],
        decision: status?.decision?.version ?? null,
      });
    }
    const batches = batchIds.flatMap((batchId) => {
      const b = store.getBatch(batchId);
      if (!b) return [];
      const counts = store.batchCounts(batchId);
      return [
        {
          batchId,
          status: b.status,
          received: b.received,
          counts,
          reconciled: counts.pending === 0 && b.received === counts.pass + counts.hold + counts.reject + counts.failed,
        },
      ];
    });
    return c.json({ batches, documents }, 200);
  });

  // GET /api/v1/documents -------------------------------------------------------------------
  app.get('/api/v1/documents', viewer, (c) => {
    const parsed = parseQuery(c, ListDocumentsQuery);
    if (!parsed.ok) return parsed.response;
    const q = parsed.value;
    const from = q.from === undefined ? undefined : lowerBound(q.from);
    const to = q.to === undefined ? undefined : upperBound(q.to);
    if (from === null) return bad(c, 'from: not a real date');
    if (to === null) return bad(c, 'to: not a real date');
    const filter: DocumentFilter = {
      dateOn: q.dateOn,
      ...(q.route !== undefined ? { route: q.route } : {}),
      ...(q.class !== undefined ? { documentClass: q.class } : {}),
      ...(q.status !== undefined ? { status: q.status } : {}),
      ...(q.batch !== undefined ? { batchId: q.batch } : {}),
      ...(from !== undefined ? { from } : {}),
      ...(to !== undefined ? { to } : {}),
      ...(q.q !== undefined ? { q: q.q } : {}),
    };
    const filters = fingerprint(['documents', filter]);
    let after: number | null = null;
    if (q.cursor !== undefined) {
      const cursor = decodeCursor(q.cursor, 'documents', filters);
      if (typeof cursor === 'string') return cursorProblem(c, cursor);
      after = cursor.s;
    }
    const rows = reads().listDocuments(filter, after, q.limit + 1);
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > q.limit && last ? encodeCursor({ v: 1, k: 'documents', s: last.seq, f: filters }) : null;
    return c.json({ items: page.map(listItem), nextCursor });
  });

  // GET /api/v1/documents/:id ---------------------------------------------------------------
  app.get('/api/v1/documents/:id', viewer, async (c) => {
    const id = resolve(c);
    const status = id ? await documentStatus(store, id) : null;
    if (!id || !status) return unknownDocument(c);
    const view = status.state === 'routed' ? await runtime.review.show(id) : null;
    const timeline = await store.timeline(id);
    const masked = (fields: Readonly<Record<string, FieldValue>>): Record<string, FieldValue> =>
      Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, sensitive.has(k) ? maskValue(v) : v]));
    return c.json({
      documentId: id,
      name: status.name,
      status: status.state,
      route: status.outcome,
      class: status.documentClass,
      confidence: status.confidence,
      reasons: status.reasons,
      batchId: status.batchId,
      batches: status.batches,
      lastStep: status.lastStep,
      decision: view ? decisionView(view.current, view.record) : null,
      fields: view?.fields
        ? Object.fromEntries(
            Object.entries(view.fields).map(([k, f]) => [
              k,
              { ...f, value: f.sensitive || sensitive.has(k) ? maskValue(f.value) : f.value },
            ]),
          )
        : null,
      findings: view?.record.findings ?? [],
      chain: view?.chain.map((d) => decisionView(d)) ?? [],
      fieldVersions:
        view?.fieldVersions.map((v) => ({
          version: v.version,
          corrected: v.corrected,
          author: v.author,
          createdAt: v.createdAt,
          fields: masked(v.fields),
        })) ?? [],
      timeline: timeline.map(({ documentId: _d, ...r }) => r),
    });
  });

  // GET /api/v1/documents/:id/original ------------------------------------------------------
  app.get('/api/v1/documents/:id/original', viewer, async (c) => {
    const id = resolve(c);
    const doc = id ? await store.getDocument(id) : null;
    if (!id || !doc) return unknownDocument(c);
    let bytes: Uint8Array;
    try {
      bytes = await runtime.objects.get(id);
    } catch (err) {
      if (err instanceof ArtifactMissingError) return jsonError(c, 404, 'ORIGINAL_MISSING', 'the original is not in the object store');
      throw err;
    }
    return c.body(new Uint8Array(bytes), 200, {
      'Content-Type': sniffMediaType(bytes) ?? 'application/octet-stream',
      'Content-Disposition': attachment(doc.name),
      'X-Content-Type-Options': 'nosniff',
      'Cache-Control': 'private, no-store',
    });
  });

  // GET /api/v1/documents/:id/layout --------------------------------------------------------
  app.get('/api/v1/documents/:id/layout', viewer, async (c) => {
    const parsed = parseQuery(c, LayoutQuery);
    if (!parsed.ok) return parsed.response;
    const id = resolve(c);
    if (!id || !(await store.getDocument(id))) return unknownDocument(c);
    const layout = await loadLayout(layoutSourceOf(store, runtime.checkpoints), id, sensitive, parsed.value.page);
    if (!layout) return jsonError(c, 404, 'NO_LAYOUT', 'no extraction is recorded for the current decision of this document');
    if (parsed.value.page !== undefined && layout.pages.length === 0) {
      return jsonError(c, 404, 'NO_SUCH_PAGE', `page: the document has ${layout.pageCount} page(s)`);
    }
    return c.json(layout);
  });

  // GET /api/v1/documents/:id/pages/:n ------------------------------------------------------
  app.get('/api/v1/documents/:id/pages/:n', viewer, async (c) => {
    const params = PageParams.safeParse(c.req.param());
    if (!params.success) return bad(c, describeIssues(params.error));
    const query = parseQuery(c, PageQuery);
    if (!query.ok) return query.response;
    const id = resolve(c);
    if (!id || !(await store.getDocument(id))) return unknownDocument(c);
    let result: PageResult;
    try {
      result = await pages.page(id, params.data.n, query.value.dpi, async () => {
        const bytes = await runtime.objects.get(id);
        return { mediaType: sniffMediaType(bytes), bytes };
      });
    } catch (err) {
      if (err instanceof ArtifactMissingError) return jsonError(c, 404, 'ORIGINAL_MISSING', 'the original is not in the object store');
      throw err;
    }
    switch (result.kind) {
      case 'png':
        return c.body(new Uint8Array(result.png), 200, {
          'Content-Type': 'image/png',
          // Content-addressed: page n of this document never changes.
          'Cache-Control': 'private, max-age=3600',
          'X-Content-Type-Options': 'nosniff',
        });
      case 'no-page':
        return jsonError(c, 404, 'NO_SUCH_PAGE', `n: the document has ${result.pageCount} page(s)`);
      case 'unrenderable':
        return jsonError(c, 422, 'NOT_RENDERABLE', result.reason);
    }
  });

  // POST /api/v1/documents/:id/review -------------------------------------------------------
  app.post('/api/v1/documents/:id/review', reviewer, async (c) => {
    if (!isJsonRequest(c)) return jsonError(c, 415, 'UNSUPPORTED_MEDIA_TYPE', 'send the review as application/json');
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return bad(c, '(body): expected a JSON object');
    }
    if (isObject(body) && 'reviewer' in body) {
      return bad(c, 'reviewer: not accepted; the decision is recorded under the name of the token that sends it');
    }
    const parsed = ReviewRequest.safeParse(body);
    if (!parsed.success) return bad(c, describeIssues(parsed.error));
    const id = resolve(c);
    if (!id || !(await store.getDocument(id))) return unknownDocument(c);
    const principal = c.get('principal');
    const result = await runtime.review.decide(id, {
      action: parsed.data.action,
      reviewer: principal.name,
      reason: parsed.data.reason,
      corrections: Object.entries(parsed.data.corrections ?? {}).map(([field, raw]) => ({ field, raw })),
      reviewId: newId('rv', deps.now()),
    });
    switch (result.kind) {
      case 'invalid':
        return bad(c, result.problem);
      case 'not-routed':
        return jsonError(c, 404, 'NOT_ROUTED', 'the document has not been routed yet; there is nothing to review');
      case 'not-held':
        return c.json(
          {
            error: {
              code: 'NOT_HELD',
              message: `the document is not awaiting review: it is ${result.current.outcome} by ${describeDecision(result.current)}; a decision is made once`,
            },
            current: whoDecided(result.current),
          },
          409,
        );
      case 'lost-race':
        return c.json(
          {
            error: {
              code: 'LOST_RACE',
              message: `another decision was recorded first${result.current ? ` (${describeDecision(result.current)})` : ''}; yours was not recorded`,
            },
            current: whoDecided(result.current),
          },
          409,
        );
      case 'decided':
        return c.json({
          documentId: id,
          decision: decisionView(result.decision),
          previous: { version: result.previous.version, outcome: result.previous.outcome },
          stillFiring: result.stillFiring,
          // A failed delivery leaves the decision standing; the next command (or the serve loop) retries the move.
          delivery: result.move ? { location: displayLocation(result.move.location), error: result.move.error } : null,
        });
    }
  });

  // GET /api/v1/review-queue ----------------------------------------------------------------
  app.get('/api/v1/review-queue', viewer, (c) => {
    const parsed = parseQuery(c, ReviewQueueQuery);
    if (!parsed.ok) return parsed.response;
    const held = store.routesWithOutcome('hold', parsed.value.limit);
    return c.json({
      total: reads().heldCount(),
      items: held.map((r) => ({
        documentId: r.documentId,
        name: store.getDocumentSync(r.documentId)?.name ?? '',
        heldSince: r.decidedAt,
        decision: r.version,
        class: r.documentClass,
        confidence: r.confidence,
        reasonCodes: r.reasons.map((x) => x.code),
      })),
    });
  });

  // GET /api/v1/batches ---------------------------------------------------------------------
  app.get('/api/v1/batches', viewer, (c) => {
    const parsed = parseQuery(c, ListBatchesQuery);
    if (!parsed.ok) return parsed.response;
    const { limit } = parsed.value;
    const filters = fingerprint(['batches']);
    let after: { createdAt: string; seq: number } | null = null;
    if (parsed.value.cursor !== undefined) {
      const cursor = decodeCursor(parsed.value.cursor, 'batches', filters);
      if (typeof cursor === 'string') return cursorProblem(c, cursor);
      if (cursor.t === undefined) return cursorProblem(c, 'invalid');
      after = { createdAt: cursor.t, seq: cursor.s };
    }
    const rows = reads().listBatches(after, limit + 1);
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json({
      items: page.map(({ seq: _s, ...b }) => ({
        ...b,
        reconciled: b.counts.pending === 0 && b.received === b.counts.pass + b.counts.hold + b.counts.reject + b.counts.failed,
      })),
      nextCursor: rows.length > limit && last ? encodeCursor({ v: 1, k: 'batches', s: last.seq, t: last.createdAt, f: filters }) : null,
    });
  });

  // GET /api/v1/batches/:id -----------------------------------------------------------------
  app.get('/api/v1/batches/:id', viewer, async (c) => {
    const ref = c.req.param('id');
    const batch = ref === 'latest' ? (store.recentBatches(1)[0] ?? null) : store.getBatch(ref);
    if (!batch) return jsonError(c, 404, 'NOT_FOUND', 'no such batch (use a batch id, or `latest`)');
    const docs = await store.batchOutcomes(batch.batchId);
    const groups = ['pass', 'hold', 'reject', 'failed', 'pending'] as const;
    const documents = Object.fromEntries(groups.map((g) => [g, [] as Json[]])) as Record<(typeof groups)[number], Json[]>;
    for (const d of docs) {
      const route = await store.getRoute(d.documentId);
      // A later decision (a review or replay) may have moved it since: the batch keeps its own outcome.
      const now =
        route && route.version > 1 && route.outcome !== d.outcome
          ? { outcome: route.outcome, decision: route.version, kind: route.kind }
          : null;
      documents[d.outcome ?? 'pending'].push({
        documentId: d.documentId,
        name: d.name,
        duplicate: d.duplicate,
        reasonCode: d.reasonCode,
        errorName: d.errorName,
        now,
      });
    }
    const counts = {
      pass: documents.pass.length,
      hold: documents.hold.length,
      reject: documents.reject.length,
      failed: documents.failed.length,
      pending: documents.pending.length,
      duplicates: docs.filter((d) => d.duplicate).length,
    };
    const summary = batch.summary as { reasons?: unknown } | null;
    const reasons = isObject(summary?.reasons) ? (summary.reasons as Record<string, number>) : null;
    return c.json({
      batchId: batch.batchId,
      status: batch.status,
      source: batch.source,
      createdAt: batch.createdAt,
      completedAt: batch.completedAt,
      received: batch.received,
      counts,
      reconciled: counts.pending === 0 && batch.received === counts.pass + counts.hold + counts.reject + counts.failed,
      reasons,
      documents,
    });
  });

  return {
    openapiPaths: openapiPaths(),
    openapiSchemas: openapiSchemas(),
    close: () => queries?.close(),
  };
};
