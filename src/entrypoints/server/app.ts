import path from 'node:path';
import { Hono, type Context, type MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { debugEnabled } from '../../config/env.js';
import {
  ArtifactMissingError,
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InvalidStepInputError,
  ModelOutputInvalidError,
  PipelineError,
  StepTimeoutError,
  ThrottledError,
  UnsupportedDocumentError,
} from '../../domain/errors.js';
import { registerApi } from './api.js';
import {
  SessionStore,
  authenticate,
  csrfProtection,
  errorResponse,
  principalOf,
  registerLoginRoutes,
  registerLogoutRoute,
  requireRole,
  type TokenAuthenticator,
} from './auth.js';
import { METRICS_CONTENT_TYPE, renderMetrics } from './metrics.js';
import { buildOpenApi } from './openapi.js';
import type { AppEnv, ServerDeps } from './types.js';
import { registerUi } from './ui/index.js';

/**
 * The server's skeleton: security headers, body limits, authentication, CSRF, errors, and the
 * core routes (/healthz, /login, /logout, /openapi.json, /metrics); then the JSON API and the UI.
 *
 * Everything but /healthz, /login and the console's static /assets/ needs a signed-in viewer at
 * least (deny by default); routes that need more call `requireRole` themselves.
 */

export interface AppOptions {
  readonly tokens: TokenAuthenticator;
  /** Where internal errors are reported (class name only; the stack with DOCROUTE_DEBUG=1). */
  readonly log?: (line: string) => void;
}

/** Room for the multipart envelope around an upload of exactly maxUploadBytes. */
export const MULTIPART_ALLOWANCE_BYTES = 64 * 1024;
/** Anonymous callers can only sign in (a form with a token): a small body is plenty. */
export const ANONYMOUS_BODY_BYTES = 64 * 1024;

const PUBLIC_PATHS = new Set(['/healthz', '/login']);
const isPublicPath = (p: string): boolean => PUBLIC_PATHS.has(p) || p.startsWith('/assets/');

const CSP = "default-src 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'; form-action 'self'";

const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  const h = c.res.headers;
  h.set('Content-Security-Policy', CSP);
  h.set('X-Content-Type-Options', 'nosniff');
  h.set('Referrer-Policy', 'same-origin');
  h.set('X-Frame-Options', 'DENY');
  h.set('Cross-Origin-Opener-Policy', 'same-origin');
  h.set('Cross-Origin-Resource-Policy', 'same-origin');
  // Pages and API answers carry customer data: nothing is cached unless a route says otherwise.
  if (!h.has('Cache-Control')) h.set('Cache-Control', 'no-store');
};

const isJsonContentType = (c: Context): boolean => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase() ?? '';
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
};

const MALFORMED_JSON = 'the request body is not valid JSON';

/**
 * A JSON body that does not parse is a 400 before any route sees it. The text is cached by Hono,
 * so a route's `c.req.json()` parses it again without reading the stream twice.
 */
const rejectMalformedJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  if (c.req.method !== 'GET' && c.req.method !== 'HEAD' && isJsonContentType(c)) {
    const text = await c.req.text();
    if (text.trim() !== '') {
      try {
        JSON.parse(text);
      } catch (e) {
        // Position only: V8's message quotes the body, which may carry data.
        const at = e instanceof Error ? /position (\d+)/.exec(e.message)?.[1] : undefined;
        return errorResponse(c, 400, 'MALFORMED_JSON', at ? `${MALFORMED_JSON} (at position ${at})` : MALFORMED_JSON, 'Bad request');
      }
    }
  }
  await next();
};

interface Mapped {
  readonly status: 400 | 404 | 413 | 415 | 422 | 500 | 502 | 503 | 504;
  readonly code: string;
  /** Safe to show: taxonomy messages never carry document data (see domain/errors.ts). */
  readonly message: string;
  readonly retryAfter?: number;
}

/** A taxonomy error's HTTP answer; null for anything else (which is never described). */
export const mapError = (err: unknown): Mapped | null => {
  if (!(err instanceof PipelineError)) return null;
  const m = err.message;
  if (err instanceof ConfigError || err instanceof InvalidStepInputError) return { status: 400, code: err.name, message: m };
  if (err instanceof ArtifactMissingError) return { status: 404, code: err.name, message: m };
  if (err instanceof DocumentTooLargeError) return { status: 413, code: err.name, message: m };
  if (err instanceof UnsupportedDocumentError) return { status: 415, code: err.name, message: m };
  if (err instanceof CorruptDocumentError) return { status: 422, code: err.name, message: m };
  if (err instanceof ThrottledError) return { status: 503, code: err.name, message: m, retryAfter: 5 };
  if (err instanceof DependencyUnavailableError) return { status: 503, code: err.name, message: m, retryAfter: 5 };
  if (err instanceof StepTimeoutError) return { status: 504, code: err.name, message: m };
  if (err instanceof ModelOutputInvalidError) return { status: 502, code: err.name, message: m };
  // ReconciliationError, InternalError: our fault, and their details are for the logs.
  return { status: 500, code: err.name, message: 'internal error' };
};

const zodPaths = (err: Error): string | null => {
  if (err.name !== 'ZodError') return null;
  const issues = (err as Error & { issues?: { path?: readonly PropertyKey[] }[] }).issues ?? [];
  const paths = [...new Set(issues.map((i) => (i.path ?? []).map(String).join('.') || '(body)'))];
  return paths.join(', ');
};

const httpStatuses = new Set([400, 401, 403, 404, 405, 409, 413, 415, 422, 429]);

export const createApp = (deps: ServerDeps, options: AppOptions): Hono<AppEnv> => {
  const app = new Hono<AppEnv>();
  const log =
    options.log ??
    ((line: string): void => {
      process.stderr.write(`${line}\n`);
    });
  const sessions = new SessionStore(deps.now);
  const dbFile = path.join(deps.runtime.dataDir, 'docroute.db');

  app.use('*', securityHeaders);

  app.get('/healthz', (c) => {
    try {
      deps.runtime.store.recentBatches(1);
      return c.json({ status: 'ok', store: 'ok' });
    } catch {
      return c.json({ status: 'unavailable', store: 'unreachable' }, 503);
    }
  });

  app.use('*', authenticate(options.tokens, sessions));
  // Deny by default, before any body is read: anonymous callers reach /login and /assets/ only.
  const viewer = requireRole('viewer');
  const denyByDefault: MiddlewareHandler<AppEnv> = (c, next) => (isPublicPath(c.req.path) ? next() : viewer(c, next));
  app.use('*', denyByDefault);
  const tooLarge = (c: Context): Response =>
    errorResponse(c, 413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${deps.maxUploadBytes} bytes`, 'Too large');
  const signedInLimit = bodyLimit({ maxSize: deps.maxUploadBytes + MULTIPART_ALLOWANCE_BYTES, onError: tooLarge });
  const anonymousLimit = bodyLimit({ maxSize: ANONYMOUS_BODY_BYTES, onError: tooLarge });
  const limitBody: MiddlewareHandler<AppEnv> = (c, next) => (principalOf(c) ? signedInLimit(c, next) : anonymousLimit(c, next));
  app.use('*', limitBody);
  app.use('*', rejectMalformedJson);
  registerLoginRoutes(app, { tokens: options.tokens, sessions });
  app.use('*', csrfProtection());
  registerLogoutRoute(app, { sessions });

  app.get('/metrics', (c) => c.body(renderMetrics(dbFile, deps.now()), 200, { 'Content-Type': METRICS_CONTENT_TYPE }));

  const api = registerApi(app, deps);
  const openapi = buildOpenApi(api);
  app.get('/openapi.json', (c) => c.json(openapi));

  registerUi(app, deps);

  app.notFound((c) => errorResponse(c, 404, 'NOT_FOUND', `nothing at ${c.req.method} ${c.req.path}`, 'Not found'));

  app.onError((err, c) => {
    if (err instanceof HTTPException) {
      const status = httpStatuses.has(err.status) ? (err.status as 400) : 500;
      return errorResponse(
        c,
        status,
        status === 500 ? 'INTERNAL' : `HTTP_${status}`,
        status === 500 ? 'internal error' : err.message || 'request refused',
      );
    }
    const mapped = mapError(err);
    if (mapped) {
      if (mapped.retryAfter !== undefined) c.header('Retry-After', String(mapped.retryAfter));
      if (mapped.status === 500) log(`docroute serve: ${c.req.method} ${c.req.path} failed: ${mapped.code}`);
      return errorResponse(c, mapped.status, mapped.code, mapped.message, mapped.status >= 500 ? 'Server error' : 'Request refused');
    }
    if (err.name === 'SyntaxError' && isJsonContentType(c)) return errorResponse(c, 400, 'MALFORMED_JSON', MALFORMED_JSON, 'Bad request');
    const fields = zodPaths(err);
    if (fields !== null)
      return errorResponse(c, 400, 'INVALID_REQUEST', `the request does not match the schema at: ${fields}`, 'Bad request');
    // Unknown errors may carry data in their message: the class name only, the stack on request.
    log(`docroute serve: ${c.req.method} ${c.req.path} failed: internal error (${err.name})`);
    if (debugEnabled()) log(err.stack ?? err.message);
    return errorResponse(c, 500, 'INTERNAL', 'internal error', 'Server error');
  });

  return app;
};
