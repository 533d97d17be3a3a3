import type { Principal } from '../types.js';
import { html, type Html, type HtmlValue } from './html.js';

/** The console's pages, in navigation order. */
const NAV = [
  { key: 'dashboard', href: '/', label: 'Dashboard' },
  { key: 'documents', href: '/documents', label: 'Documents' },
  { key: 'review', href: '/review', label: 'Review queue' },
  { key: 'batches', href: '/batches', label: 'Batches' },
] as const;

export type NavKey = (typeof NAV)[number]['key'];

export const ASSET_CSS = '/assets/console.css';
export const ASSET_JS = '/assets/console.js';
export const ASSET_ICON = '/assets/favicon.svg';

/**
 * The page shell: header with navigation, the signed-in name and role, and logout (a POST with the
 * session's CSRF token). One stylesheet and one deferred script, both same-origin, so the
 * `default-src 'self'` CSP holds with no exceptions.
 */
export const page = (input: {
  readonly title: string;
  readonly nav: NavKey | null;
  readonly principal: Principal;
  readonly csrfToken: string | undefined;
  readonly body: HtmlValue;
}): Html =>
  html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="referrer" content="same-origin" />
        <title>${input.title} · docroute</title>
        <link rel="icon" href="${ASSET_ICON}" type="image/svg+xml" />
        <link rel="stylesheet" href="${ASSET_CSS}" />
        <script src="${ASSET_JS}" defer></script>
      </head>
      <body>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/">docroute</a>
          <nav aria-label="Main">
            <ul>
              ${NAV.map(
                (item) =>
                  html`<li><a href="${item.href}" ${item.key === input.nav ? html` aria-current="page"` : ''}>${item.label}</a></li>`,
              )}
            </ul>
          </nav>
          <div class="who">
            <span>Signed in as <strong>${input.principal.name}</strong> (${input.principal.role})</span>
            <form method="post" action="/logout">${csrfField(input.csrfToken)}<button type="submit">Log out</button></form>
          </div>
        </header>
        <main id="main" tabindex="-1">${input.body}</main>
      </body>
    </html> `;

/** The hidden CSRF field every form that POSTs carries (the auth middleware checks it). */
export const csrfField = (token: string | undefined): Html =>
  token ? html`<input type="hidden" name="_csrf" value="${token}" />` : html``;

export const badge = (outcome: string | null): Html =>
  outcome ? html`<span class="badge ${outcome}">${outcome.toUpperCase()}</span>` : html`<span class="badge pending">PENDING</span>`;

/** "2026-11-28 23:14:29Z": ISO times as people read them, to the second, in UTC. */
export const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '');

export const shortId = (id: string): string => id.slice(0, 12);

export const docLink = (id: string, text?: string): Html =>
  html`<a href="/documents/${encodeURIComponent(id)}"><code>${text ?? shortId(id)}</code></a>`;
