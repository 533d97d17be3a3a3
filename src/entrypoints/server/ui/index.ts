import path from 'node:path';
import type { Context, Hono } from 'hono';
import { SqliteQueries, type DocumentFilter } from '../../../adapters/local/sqlite-queries.js';
import { sensitiveFieldNames } from '../../../config/field-spec.js';
import { DOCUMENT_ID_PATTERN } from '../../../domain/document.js';
import type { Correction, ReviewAction } from '../../../domain/review.js';
import type { ReviewResult } from '../../../orchestration/review.js';
import type { RouteRecord } from '../../../ports/ledger.js';
import { documentStatus } from '../../cli/inspect.js';
import { newId } from '../../runtime.js';
import { layoutSourceOf, loadLayout } from '../api-layout.js';
import { requireRole, setLoginPage } from '../auth.js';
import { ROLE_RANK, type AppEnv, type Principal, type ServerDeps } from '../types.js';
import { CONSOLE_JS } from './assets/app.js';
import { CONSOLE_ICON } from './assets/icon.js';
import { CONSOLE_CSS } from './assets/styles.js';
import { html, type Html } from './html.js';
import { ASSET_CSS, ASSET_ICON, ASSET_JS, page, type NavKey } from './layout.js';
import { batchPage, batchesPage } from './pages/batches.js';
import { dashboardPage } from './pages/dashboard.js';
import { documentPage, type DocumentPageData } from './pages/document.js';
import { documentsPage, ROUTE_FILTERS, STATUS_FILTERS, type DocumentsFilter } from './pages/documents.js';
import { loginPage } from './pages/login.js';
import { reviewQueuePage } from './pages/review-queue.js';

/**
 * The web console: server-rendered pages over the same runtime, store and review service as the
 * CLI and the JSON API. Every page needs a signed-in viewer (the app's guard); deciding a review
 * needs the reviewer role, and the decision is recorded under the signed-in token's name, never a
 * name taken from the form. Pages work without script; /assets/console.js adds keyboard shortcuts.
 */

const PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 200;
const BATCH_PAGE_SIZE = 25;
/** Previous-page links keep this many earlier cursors in the URL; older pages are reached from "Newest". */
const MAX_TRAIL = 30;
const DAYS = 14;
/** The review queue shows the oldest this many (and says how many more wait). */
const QUEUE_LIMIT = 500;

type Ctx = Context<AppEnv>;

const principalOf = (c: Ctx): Principal => c.get('principal');

const canReview = (p: Principal): boolean => ROLE_RANK[p.role] >= ROLE_RANK.reviewer;

/** A single query value, trimmed, or '' (repeated parameters: the first). */
const param = (c: Ctx, name: string, max: number): string => {
  const v = c.req.query(name);
  return typeof v === 'string' ? v.trim().slice(0, max) : '';
};

const positiveInt = (s: string): number | null => (/^[1-9]\d{0,15}$/.test(s) ? Number(s) : null);

export const registerUi = (app: Hono<AppEnv>, deps: ServerDeps): void => {
  const { runtime } = deps;
  const store = runtime.store;
  const config = runtime.loaded.config;
  const sensitive = sensitiveFieldNames(config.fields);
  const classNames = config.classify.classes.map((c) => c.name);
  const dbFile = path.join(runtime.dataDir, 'docroute.db');
  // A read-only connection of its own, opened on first use (the store creates the file).
  let queries: SqliteQueries | undefined;
  const q = (): SqliteQueries => (queries ??= new SqliteQueries(dbFile));

  setLoginPage(app, loginPage);

  const render = (c: Ctx, title: string, nav: NavKey | null, body: Html, status: 200 | 404 | 409 | 422 = 200): Response =>
    c.html(page({ title, nav, principal: principalOf(c), csrfToken: c.get('csrfToken'), body }).toString(), status);

  const notFound = (c: Ctx, what: string): Response =>
    render(
      c,
      'Not found',
      null,
      html`<h1>Not found</h1>
        <p>${what}</p>
        <p><a href="/documents">All documents</a></p>`,
      404,
    );

  // --- Assets: public (the sign-in page uses the stylesheet), immutable per server build ------

  const asset = (body: string, type: string) => (c: Ctx) =>
    c.body(body, 200, { 'Content-Type': type, 'Cache-Control': 'public, max-age=300' });
  app.get(ASSET_CSS, asset(CONSOLE_CSS, 'text/css; charset=utf-8'));
  app.get(ASSET_JS, asset(CONSOLE_JS, 'text/javascript; charset=utf-8'));
  app.get(ASSET_ICON, asset(CONSOLE_ICON, 'image/svg+xml'));
  // Browsers ask for /favicon.ico on their own; point them at the icon instead of a 404.
  app.get('/favicon.ico', (c) => c.redirect(ASSET_ICON, 301));

  // --- Dashboard -------------------------------------------------------------------------------

  app.get('/', (c) => {
    const now = deps.now();
    const today = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
    const days = Array.from({ length: DAYS }, (_, i) => new Date(today - (DAYS - 1 - i) * 86_400_000).toISOString().slice(0, 10));
    const perDay = q().firstSeenPerDay(days[0] ?? '');
    const oldest = store.routesWithOutcome('hold', 1)[0];
    return render(
      c,
      'Dashboard',
      'dashboard',
      dashboardPage({
        routes: q().routeCounts(),
        classes: q().classCounts(),
        perDay: days.map((day) => ({ day, count: perDay.get(day) ?? 0 })),
        batches: q().listBatches(null, 8),
        oldestHeld: oldest
          ? { documentId: oldest.documentId, name: store.getDocumentSync(oldest.documentId)?.name ?? '', heldSince: oldest.decidedAt }
          : null,
        held: q().heldCount(),
        now,
      }),
    );
  });

  // --- Documents -------------------------------------------------------------------------------

  app.get('/documents', (c) => {
    const route = ROUTE_FILTERS.find((r) => r === param(c, 'route', 16));
    const status = STATUS_FILTERS.find((r) => r === param(c, 'status', 16));
    const filter: DocumentsFilter = {
      route: route ?? '',
      status: status ?? '',
      documentClass: param(c, 'class', 64),
      batch: param(c, 'batch', 100),
      q: param(c, 'q', 200),
    };
    const query: DocumentFilter = {
      ...(route ? { route } : {}),
      ...(status ? { status } : {}),
      ...(filter.documentClass ? { documentClass: filter.documentClass } : {}),
      ...(filter.batch ? { batchId: filter.batch } : {}),
      ...(filter.q ? { q: filter.q } : {}),
    };
    const after = positiveInt(param(c, 'after', 20));
    const trail = param(c, 'trail', 20 * MAX_TRAIL)
      .split(',')
      .map(positiveInt)
      .filter((n): n is number => n !== null)
      .slice(-MAX_TRAIL);
    const limitParam = positiveInt(param(c, 'limit', 4));
    const limit = limitParam !== null && limitParam <= MAX_PAGE_SIZE ? limitParam : PAGE_SIZE;
    const rows = q().listDocuments(query, after, limit + 1);
    const more = rows.length > limit;
    const shown = rows.slice(0, limit);
    const base = new URLSearchParams();
    if (limit !== PAGE_SIZE) base.set('limit', String(limit));
    if (filter.q) base.set('q', filter.q);
    if (filter.route) base.set('route', filter.route);
    if (filter.documentClass) base.set('class', filter.documentClass);
    if (filter.status) base.set('status', filter.status);
    if (filter.batch) base.set('batch', filter.batch);
    const qs = (afterSeq: number | null, trailSeqs: readonly number[]): string => {
      const p = new URLSearchParams(base);
      if (afterSeq !== null) p.set('after', String(afterSeq));
      if (trailSeqs.length) p.set('trail', trailSeqs.join(','));
      const text = p.toString();
      return text ? `?${text}` : '';
    };
    const last = shown.at(-1);
    const classes = [...new Set([...classNames, ...(filter.documentClass ? [filter.documentClass] : [])])];
    return render(
      c,
      'Documents',
      'documents',
      documentsPage({
        filter,
        classes,
        rows: shown,
        nextQuery: more && last ? qs(last.seq, after === null ? [] : [...trail, after].slice(-MAX_TRAIL)) : null,
        prevQuery: after === null ? null : qs(trail.at(-1) ?? null, trail.slice(0, -1)),
        firstQuery: after === null || trail.length === 0 ? null : qs(null, []),
      }),
    );
  });

  /** Everything the document page shows, for one page of the document. */
  const loadDocument = async (
    id: string,
    pageNumber: number,
    c: Ctx,
  ): Promise<Omit<DocumentPageData, 'notice' | 'problem' | 'draft'> | null> => {
    const status = await documentStatus(store, id);
    if (!status) return null;
    const view = status.state === 'routed' ? await runtime.review.show(id) : null;
    // The same layout as GET /api/v1/documents/:id/layout: the current decision's checkpoints.
    const layouts = view ? await loadLayout(layoutSourceOf(store, runtime.checkpoints), id, sensitive) : null;
    const pageCount = layouts?.pageCount ?? 0;
    const shownPage = Math.min(Math.max(1, pageNumber), Math.max(1, pageCount));
    const layout = layouts?.pages.find((p) => p.page === shownPage) ?? null;
    const principal = principalOf(c);
    return {
      status,
      size: store.getDocumentSync(id)?.size ?? null,
      view,
      timeline: await store.timeline(id),
      pageCount,
      page: shownPage,
      layout,
      specs: config.fields[view?.record.documentClass ?? ''] ?? [],
      sensitive,
      canReview: canReview(principal),
      csrfToken: c.get('csrfToken'),
    };
  };

  /** A full id, or a unique prefix (redirected to the full id); null when nothing matches. */
  const resolve = (ref: string): string | null => {
    const lower = ref.toLowerCase();
    if (DOCUMENT_ID_PATTERN.test(lower)) return store.getDocumentSync(lower) ? lower : null;
    return store.resolveDocumentId(lower);
  };

  app.get('/documents/:id', async (c) => {
    const ref = c.req.param('id');
    const id = resolve(ref);
    if (!id) return notFound(c, 'No document has this id (or the prefix matches more than one).');
    const pageNumber = positiveInt(param(c, 'page', 6)) ?? 1;
    if (id !== ref) return c.redirect(`/documents/${id}${pageNumber > 1 ? `?page=${pageNumber}` : ''}`, 303);
    const data = await loadDocument(id, pageNumber, c);
    if (!data) return notFound(c, 'No document has this id.');
    const decided = positiveInt(param(c, 'decided', 6));
    const decision = decided !== null ? data.view?.chain.find((d) => d.version === decided) : undefined;
    const notice = decision
      ? `Decision ${decision.version} recorded: ${decision.outcome.toUpperCase()} by ${decision.result?.decision?.reviewer ?? 'a reviewer'}.` +
        (param(c, 'delivery', 8) === 'pending' ? ' Moving the document failed; the next docroute command retries it.' : '')
      : null;
    return render(c, data.status.name || id.slice(0, 12), null, documentPage({ ...data, notice, problem: null, draft: null }));
  });

  // --- Review: a plain form POST, then a redirect back (works without script) -------------------

  app.post('/documents/:id/review', requireRole('reviewer'), async (c) => {
    const id = c.req.param('id').toLowerCase();
    if (!DOCUMENT_ID_PATTERN.test(id) || !store.getDocumentSync(id)) return notFound(c, 'No document has this id.');
    const body = await c.req.parseBody();
    const text = (name: string): string => {
      const v = body[name];
      return typeof v === 'string' ? v : '';
    };
    const actionText = text('action');
    const reason = text('reason');
    const corrections: Correction[] = Object.entries(body)
      .filter((e): e is [string, string] => e[0].startsWith('set.') && typeof e[1] === 'string' && e[1].trim() !== '')
      .map(([k, v]) => ({ field: k.slice(4), raw: v.trim() }));
    // What comes back into the form when it is refused: never a sensitive value.
    const draft = {
      action: actionText,
      reason: reason.slice(0, 2000),
      corrections: Object.fromEntries(corrections.filter((x) => !sensitive.has(x.field)).map((x) => [x.field, x.raw.slice(0, 500)])),
    };
    const again = async (status: 404 | 409 | 422, problem: string): Promise<Response> => {
      const data = await loadDocument(id, 1, c);
      if (!data) return notFound(c, 'No document has this id.');
      return render(c, data.status.name || id.slice(0, 12), null, documentPage({ ...data, notice: null, problem, draft }), status);
    };

    if (actionText !== 'approve' && actionText !== 'reject') return again(422, 'Choose approve or reject.');
    const action: ReviewAction = actionText;
    if (corrections.some((x) => !/^[a-z][a-z0-9_]*$/.test(x.field) || x.raw.length > 500)) {
      return again(422, 'A correction names an unknown field or is too long.');
    }
    const expected = positiveInt(text('version'));
    const current = await runtime.review.show(id);
    if (current && expected !== null && current.current.version !== expected) {
      return again(
        409,
        `The decision changed while you were looking (now decision ${current.current.version}, ${current.current.outcome.toUpperCase()}); yours was not recorded. Check the page again.`,
      );
    }
    const result: ReviewResult = await runtime.review.decide(id, {
      action,
      reviewer: principalOf(c).name,
      reason,
      corrections,
      reviewId: newId('rv', deps.now()),
    });
    switch (result.kind) {
      case 'decided': {
        const pending = result.move?.error ? '&delivery=pending' : '';
        return c.redirect(`/documents/${id}?decided=${result.decision.version}${pending}`, 303);
      }
      case 'invalid':
        return again(422, `Not recorded: ${result.problem}.`);
      case 'not-routed':
        return again(409, 'This document has not been routed yet; there is nothing to review.');
      case 'not-held':
        return again(
          409,
          `This document is not awaiting review: it is ${result.current.outcome.toUpperCase()} (decision ${result.current.version}). A decision is made once; it is never overwritten.`,
        );
      case 'lost-race':
        return again(409, 'Another decision was recorded first; yours was not recorded.');
    }
  });

  // --- Review queue ------------------------------------------------------------------------------

  app.get('/review', (c) => {
    const held = store
      .routesWithOutcome('hold', QUEUE_LIMIT)
      .map((r: RouteRecord) => ({ ...r, name: store.getDocumentSync(r.documentId)?.name ?? '' }));
    return render(
      c,
      'Review queue',
      'review',
      reviewQueuePage({ held, total: q().heldCount(), now: deps.now(), canReview: canReview(principalOf(c)) }),
    );
  });

  // --- Batches -----------------------------------------------------------------------------------

  app.get('/batches', (c) => {
    const cursor = /^(\d{4}-\d{2}-\d{2}T[\d:.]+Z)\|([1-9]\d{0,15})$/.exec(param(c, 'after', 80));
    const after = cursor?.[1] && cursor[2] ? { createdAt: cursor[1], seq: Number(cursor[2]) } : null;
    const rows = q().listBatches(after, BATCH_PAGE_SIZE + 1);
    const shown = rows.slice(0, BATCH_PAGE_SIZE);
    const last = shown.at(-1);
    return render(
      c,
      'Batches',
      'batches',
      batchesPage({
        batches: shown,
        next: rows.length > BATCH_PAGE_SIZE && last ? `${last.createdAt}|${last.seq}` : null,
        first: after === null,
      }),
    );
  });

  app.get('/batches/:id', async (c) => {
    const batchId = c.req.param('id');
    const batch = batchId.length <= 100 ? store.getBatch(batchId) : null;
    if (!batch) return notFound(c, 'No batch has this id.');
    const documents = await store.batchOutcomes(batchId);
    const now = new Map<string, RouteRecord>();
    for (const d of documents) {
      const route = await store.getRoute(d.documentId);
      if (route) now.set(d.documentId, route);
    }
    const summary = batch.summary as { reasons?: Record<string, number> } | null;
    const reasons = summary?.reasons && typeof summary.reasons === 'object' ? summary.reasons : null;
    return render(
      c,
      `Batch ${batchId}`,
      'batches',
      batchPage({
        batch: {
          seq: 0,
          batchId: batch.batchId,
          status: batch.status,
          source: batch.source,
          createdAt: batch.createdAt,
          completedAt: batch.completedAt,
          received: batch.received,
          counts: store.batchCounts(batchId),
          reasons,
        },
        executionId: batch.executionId,
        configVersion: batch.configVersion,
        documents,
        now,
      }),
    );
  });
};
