import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, Hono, MiddlewareHandler } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { TokenIdentity, TokenRole } from '../../adapters/local/sqlite-tokens.js';
import { ROLE_RANK, type AppEnv, type Principal, type Role } from './types.js';

/**
 * Who is calling, and may they.
 *
 * - **Bearer tokens** (`Authorization: Bearer drt_…`) for scripts: checked against the token
 *   store on every request. A browser never attaches them on its own, so they need no CSRF check.
 * - **Browser sessions** for the console: `POST /login` with a token opens an in-memory session
 *   (random id, 8 h idle expiry) in the `docroute_session` cookie (HttpOnly, SameSite=Strict).
 *   The session re-checks its token on every request, so revoking the token ends the session.
 *   Unsafe requests on a session need the session's CSRF token (`X-CSRF-Token` header or `_csrf`
 *   form field, also readable from the `docroute_csrf` cookie) and, when the browser says where
 *   the request comes from (`Origin`, else `Referer`), the same host.
 *
 * Tokens are never logged, echoed or put in a URL; a failed sign-in says only that it failed.
 */

// Compile-time check that the token store's roles are exactly the server's roles.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _rolesMatch: Same<TokenRole, Role> = true;

/** What the auth layer needs from the token store (SqliteTokenStore in production). */
export interface TokenAuthenticator {
  authenticate(token: string): TokenIdentity | null;
  /** The identity of a token that is still active, by id; null once revoked. */
  active(tokenId: string): TokenIdentity | null;
}

export const SESSION_COOKIE = 'docroute_session';
export const CSRF_COOKIE = 'docroute_csrf';
export const CSRF_HEADER = 'X-CSRF-Token';
export const CSRF_FIELD = '_csrf';
export const SESSION_IDLE_MS = 8 * 60 * 60 * 1000;
/** Sessions are only opened with a valid token, but memory is bounded all the same. */
const MAX_SESSIONS = 10_000;

const UNSAFE_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

// ---------------------------------------------------------------------------------------------
// Error responses shared by the server's parts

/** Machine endpoints answer in JSON; everything else is a page for a person. */
export const isApiPath = (path: string): boolean =>
  path === '/api' || path.startsWith('/api/') || path === '/openapi.json' || path === '/metrics' || path === '/healthz';

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);

type ErrorStatus = 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503 | 504;

/** `{ error: { code, message } }`, the one error shape of the JSON API. */
export const jsonError = (c: Context, status: ErrorStatus, code: string, message: string): Response =>
  c.json({ error: { code, message } }, status);

/** A minimal, self-contained error page (no scripts, no external assets). */
export const htmlError = (c: Context, status: ErrorStatus, title: string, message: string): Response =>
  c.html(
    `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
      `<title>${escapeHtml(title)} · docroute</title></head><body><main><h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>` +
      `<p><a href="/">docroute console</a></p></main></body></html>`,
    status,
  );

/** An error in the shape the caller expects: JSON for the API, a page otherwise. */
export const errorResponse = (c: Context, status: ErrorStatus, code: string, message: string, title = code): Response =>
  isApiPath(c.req.path) ? jsonError(c, status, code, message) : htmlError(c, status, title, message);

// ---------------------------------------------------------------------------------------------
// Sessions

export interface Session {
  readonly tokenId: string;
  readonly csrf: string;
  lastSeen: number;
}

const sessionKey = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');

/**
 * In-memory browser sessions: a restart signs everyone out, which is acceptable for a console
 * on one machine. Keyed by the hash of the session id, so the map holds no usable cookie values.
 */
export class SessionStore {
  private readonly sessions = new Map<string, Session>();

  constructor(
    private readonly now: () => Date,
    private readonly idleMs = SESSION_IDLE_MS,
  ) {}

  open(tokenId: string): { id: string; csrf: string } {
    this.sweep();
    while (this.sessions.size >= MAX_SESSIONS) {
      const oldest = this.sessions.keys().next();
      if (oldest.done) break;
      this.sessions.delete(oldest.value);
    }
    const id = randomBytes(32).toString('base64url');
    const csrf = randomBytes(32).toString('base64url');
    this.sessions.set(sessionKey(id), { tokenId, csrf, lastSeen: this.now().getTime() });
    return { id, csrf };
  }

  /** The live session for a cookie value, its idle timer restarted; null when unknown or expired. */
  get(id: string): Session | null {
    const key = sessionKey(id);
    const s = this.sessions.get(key);
    if (!s) return null;
    const now = this.now().getTime();
    if (now - s.lastSeen > this.idleMs) {
      this.sessions.delete(key);
      return null;
    }
    s.lastSeen = now;
    // Re-insert: the map's order stays least-recently-used first, for the eviction in open().
    this.sessions.delete(key);
    this.sessions.set(key, s);
    return s;
  }

  close(id: string): void {
    this.sessions.delete(sessionKey(id));
  }

  get size(): number {
    return this.sessions.size;
  }

  private sweep(): void {
    const now = this.now().getTime();
    for (const [key, s] of this.sessions) if (now - s.lastSeen > this.idleMs) this.sessions.delete(key);
  }
}

// ---------------------------------------------------------------------------------------------
// Middleware

/** The caller, or undefined before `authenticate` found one (the context's type cannot say so). */
export const principalOf = (c: Context<AppEnv>): Principal | undefined => c.get('principal');

/** True when the request came over https (directly, or through a proxy that says so). */
const isHttps = (c: Context): boolean => new URL(c.req.url).protocol === 'https:' || c.req.header('x-forwarded-proto') === 'https';

/**
 * Identifies the caller: a Bearer token (a wrong one is refused at once, never ignored), else a
 * live session cookie. Sets `principal` (absent for anonymous callers: `requireRole` decides)
 * and, for sessions, `csrfToken`. Reads no body.
 */
export const authenticate =
  (tokens: TokenAuthenticator, sessions: SessionStore): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    c.set('csrfToken', undefined);
    const header = c.req.header('authorization');
    // Other schemes are not ours (a proxy's Basic auth may pass through): they fall through to the cookie.
    if (header !== undefined && /^Bearer(\s|$)/i.test(header)) {
      const match = /^Bearer +(\S+) *$/i.exec(header);
      const identity = match?.[1] ? tokens.authenticate(match[1]) : null;
      if (!identity) {
        c.header('WWW-Authenticate', 'Bearer realm="docroute"');
        return jsonError(c, 401, 'UNAUTHENTICATED', 'the bearer token is not valid (unknown, malformed or revoked)');
      }
      c.set('principal', { ...identity, via: 'bearer' });
      await next();
      return;
    }
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) {
      const session = sessions.get(sid);
      const identity = session ? tokens.active(session.tokenId) : null;
      if (session && identity) {
        c.set('principal', { ...identity, via: 'session' });
        c.set('csrfToken', session.csrf);
      } else {
        // Expired, unknown, or its token was revoked: forget it on both sides.
        sessions.close(sid);
        deleteCookie(c, SESSION_COOKIE, { path: '/' });
      }
    }
    await next();
  };

/** The host an `Origin` or `Referer` header names, or null when it is absent; 'opaque' for `null` and junk. */
const sourceHost = (c: Context): string | null => {
  const origin = c.req.header('origin');
  const referer = c.req.header('referer');
  const value = origin ?? referer;
  if (value === undefined || value === '') return null;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url.host : 'opaque';
  } catch {
    return 'opaque';
  }
};

/**
 * Same-origin check on where the browser says a request comes from. Hosts are compared, not
 * schemes: behind a TLS-terminating proxy the server sees http while the browser sends https.
 */
export const sameOrigin = (c: Context): boolean => {
  const from = sourceHost(c);
  if (from === null) return true;
  // The node adapter builds the request URL from the Host header.
  return from === new URL(c.req.url).host;
};

/** Compares hashes of the two values, so neither their content nor their length leaks through timing. */
const constantTimeEqual = (a: string, b: string): boolean => {
  const x = createHash('sha256').update(a, 'utf8').digest();
  const y = createHash('sha256').update(b, 'utf8').digest();
  return timingSafeEqual(x, y);
};

const formContentType = (c: Context): boolean => {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  return type === 'application/x-www-form-urlencoded' || type === 'multipart/form-data';
};

/**
 * CSRF protection for session-authenticated unsafe requests (Bearer calls need none). Runs after
 * `authenticate` and after the body limit, because a form's `_csrf` field means reading the body.
 */
export const csrfProtection = (): MiddlewareHandler<AppEnv> => async (c, next) => {
  const principal = principalOf(c);
  if (principal?.via !== 'session' || !UNSAFE_METHODS.has(c.req.method)) {
    await next();
    return;
  }
  if (!sameOrigin(c)) return errorResponse(c, 403, 'CROSS_ORIGIN', 'cross-origin requests are refused', 'Forbidden');
  const expected = c.get('csrfToken');
  const cookie = getCookie(c, CSRF_COOKIE);
  let presented = c.req.header(CSRF_HEADER);
  if (presented === undefined && formContentType(c)) {
    const field = (await c.req.parseBody())[CSRF_FIELD];
    presented = typeof field === 'string' ? field : undefined;
  }
  if (!expected || !cookie || !presented || !constantTimeEqual(presented, cookie) || !constantTimeEqual(presented, expected)) {
    return errorResponse(
      c,
      403,
      'CSRF_TOKEN_INVALID',
      `this request needs the session's CSRF token (the ${CSRF_HEADER} header or the ${CSRF_FIELD} form field); reload the page and try again`,
      'Forbidden',
    );
  }
  await next();
};

/**
 * 401 without a principal (pages: a redirect to /login that comes back here), 403 below `role`.
 * viewer < reviewer < admin.
 */
export const requireRole =
  (role: Role): MiddlewareHandler<AppEnv> =>
  async (c, next) => {
    const principal = principalOf(c);
    if (!principal) {
      if (isApiPath(c.req.path)) {
        c.header('WWW-Authenticate', 'Bearer realm="docroute"');
        return jsonError(c, 401, 'UNAUTHENTICATED', 'sign in: send `Authorization: Bearer <token>` (see `docroute tokens create`)');
      }
      const url = new URL(c.req.url);
      const back = c.req.method === 'GET' ? `${url.pathname}${url.search}` : '/';
      return c.redirect(`/login?next=${encodeURIComponent(safeNext(back))}`, 303);
    }
    if (ROLE_RANK[principal.role] < ROLE_RANK[role]) {
      return errorResponse(
        c,
        403,
        'FORBIDDEN',
        `this needs the ${role} role; the token "${principal.name}" has ${principal.role}`,
        'Forbidden',
      );
    }
    await next();
  };

// ---------------------------------------------------------------------------------------------
// Browser sign-in

/** Where to go after signing in: a local path only (never `//host`, never a scheme), else `/`. */
export const safeNext = (next: unknown): string =>
  typeof next === 'string' && /^\/(?![/\\])[^\s\\]*$/.test(next) && !next.startsWith('/login') ? next : '/';

export interface LoginView {
  /** Local path to return to; post it back as the `next` field. */
  readonly next: string;
  /** Why the last attempt failed (never contains the token), or null. */
  readonly error: string | null;
}

/** Renders the sign-in page. The form posts `token` and `next` to `/login`. */
export type LoginPageRenderer = (view: LoginView) => string;

export const defaultLoginPage: LoginPageRenderer = ({ next, error }) =>
  [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">',
    '<title>Sign in · docroute</title></head><body><main>',
    '<h1>Sign in to docroute</h1>',
    error ? `<p role="alert">${escapeHtml(error)}</p>` : '',
    '<form method="post" action="/login">',
    `<input type="hidden" name="next" value="${escapeHtml(next)}">`,
    '<p><label for="token">API token</label><br>',
    '<input id="token" name="token" type="password" autocomplete="current-password" required size="60" autofocus></p>',
    '<p><button type="submit">Sign in</button></p>',
    '</form>',
    '<p>No token? An administrator creates one with <code>docroute tokens create --name &lt;you&gt; --role reviewer</code>.</p>',
    '</main></body></html>',
  ].join('\n');

const loginPages = new WeakMap<object, LoginPageRenderer>();

/**
 * The hook for restyling the sign-in page: the UI calls this from `registerUi`. The page must keep
 * the contract of `defaultLoginPage` (a form posting `token` and `next` to /login, no inline script).
 */
export const setLoginPage = (app: Hono<AppEnv>, render: LoginPageRenderer): void => {
  loginPages.set(app, render);
};

/**
 * `GET /login`, `POST /login` (form field `token`), `POST /logout`. Register the login routes
 * before `csrfProtection` (a stale session cookie must not block signing in again) and logout
 * after it.
 */
export const registerLoginRoutes = (app: Hono<AppEnv>, deps: { tokens: TokenAuthenticator; sessions: SessionStore }): void => {
  const page = (c: Context<AppEnv>, view: LoginView, status: 200 | 401 | 403): Response => {
    c.header('Cache-Control', 'no-store');
    return c.html((loginPages.get(app) ?? defaultLoginPage)(view), status);
  };

  app.get('/login', (c) => page(c, { next: safeNext(c.req.query('next')), error: null }, 200));

  app.post('/login', async (c) => {
    // Login CSRF: a foreign page must not sign a browser in with someone else's token.
    if (!sameOrigin(c)) return page(c, { next: '/', error: 'Sign-in from another site is refused.' }, 403);
    const body = formContentType(c) ? await c.req.parseBody() : {};
    const token = typeof body['token'] === 'string' ? body['token'].trim() : '';
    const next = safeNext(body['next']);
    const identity = token ? deps.tokens.authenticate(token) : null;
    if (!identity) return page(c, { next, error: 'That token is not valid: it is unknown, mistyped or revoked.' }, 401);
    const old = getCookie(c, SESSION_COOKIE);
    if (old) deps.sessions.close(old);
    const session = deps.sessions.open(identity.tokenId);
    const secure = isHttps(c);
    setCookie(c, SESSION_COOKIE, session.id, { httpOnly: true, sameSite: 'Strict', path: '/', ...(secure ? { secure: true } : {}) });
    // Readable by the console's pages (double submit); useless without the HttpOnly session cookie.
    setCookie(c, CSRF_COOKIE, session.csrf, { sameSite: 'Strict', path: '/', ...(secure ? { secure: true } : {}) });
    return c.redirect(next, 303);
  });
};

export const registerLogoutRoute = (app: Hono<AppEnv>, deps: { sessions: SessionStore }): void => {
  app.post('/logout', (c) => {
    const sid = getCookie(c, SESSION_COOKIE);
    if (sid) deps.sessions.close(sid);
    deleteCookie(c, SESSION_COOKIE, { path: '/' });
    deleteCookie(c, CSRF_COOKIE, { path: '/' });
    return c.redirect('/login', 303);
  });
};
