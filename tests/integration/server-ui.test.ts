import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Hono } from 'hono';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteTokenStore } from '../../src/adapters/local/sqlite-tokens.js';
import { parseConfig } from '../../src/config/load.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { createApp } from '../../src/entrypoints/server/app.js';
import type { AppEnv } from '../../src/entrypoints/server/types.js';
import { escapeHtml, html, raw } from '../../src/entrypoints/server/ui/html.js';
import { documentPage, type DocumentPageData } from '../../src/entrypoints/server/ui/pages/document.js';
import type { OcrEngine } from '../../src/ports/ocr-engine.js';
import { passingInvoice, tempDir, textPdf } from '../helpers/docs.js';

/**
 * The web console through app.request(): real SQLite, the real pipeline on text-layer PDFs (no
 * OCR: the OCR engine refuses), real tokens and browser sessions.
 */

// No "/" in a file name, so no closing tag; an unclosed <script> would swallow the page all the same.
const EVIL_NAME = 'inv <script>alert(1)<!--&"x\'.pdf';
const IBAN = 'DE89 3704 0044 0532 0130 00';

const noOcr: OcrEngine = {
  name: 'refusing',
  recognize: () => Promise.reject(new Error('no OCR in this test')),
  close: () => Promise.resolve(),
};

/** An invoice above the 10,000 approval limit: held for review. */
const largeInvoice = (): Promise<Uint8Array> =>
  textPdf([
    'INVOICE',
    'Contoso Heavy Industries',
    'Invoice No: L-00042',
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    'Total Due: EUR 48,500.00',
    `IBAN: ${IBAN}`,
    'Payment terms: 30 days net',
  ]);

let runtime: Runtime | undefined;
let app: Hono<AppEnv>;
let heldId: string;
let passId: string;
let batchId: string;
const tokens: Record<'viewer' | 'reviewer', string> = { viewer: '', reviewer: '' };
let tokenStore: SqliteTokenStore | undefined;

interface Session {
  readonly cookie: string;
  readonly csrf: string;
}
const sessions: Partial<Record<'viewer' | 'reviewer', Session>> = {};

const signIn = async (role: 'viewer' | 'reviewer'): Promise<Session> => {
  const existing = sessions[role];
  if (existing) return existing;
  const res = await app.request('/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: tokens[role], next: '/' }).toString(),
  });
  expect(res.status).toBe(303);
  const cookies = res.headers.getSetCookie().map((c) => c.split(';')[0]!);
  const csrf = cookies.find((c) => c.startsWith('docroute_csrf='))!.slice('docroute_csrf='.length);
  const session: Session = { cookie: cookies.join('; '), csrf };
  sessions[role] = session;
  return session;
};

const get = async (role: 'viewer' | 'reviewer', url: string): Promise<Response> => {
  const s = await signIn(role);
  return app.request(url, { headers: { Cookie: s.cookie } });
};

/** Markup with runs of whitespace collapsed and void elements without " /", so assertions ignore formatting. */
const flat = (text: string): string =>
  text
    .replace(/\s+/g, ' ')
    .replace(/ ?\/?>/g, (m) => (m.includes('/') ? '>' : m.trim()))
    .replace(/> </g, '><');

const page = async (role: 'viewer' | 'reviewer', url: string): Promise<string> => {
  const res = await get(role, url);
  expect(res.status, url).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^text\/html/);
  return flat(await res.text());
};

const postReview = async (
  role: 'viewer' | 'reviewer',
  id: string,
  fields: Record<string, string>,
  options: { csrf?: boolean } = {},
): Promise<Response> => {
  const s = await signIn(role);
  const body = new URLSearchParams(options.csrf === false ? fields : { _csrf: s.csrf, ...fields });
  return app.request(`/documents/${id}/review`, {
    method: 'POST',
    headers: { Cookie: s.cookie, 'Content-Type': 'application/x-www-form-urlencoded' },
    body: body.toString(),
  });
};

/** The page's markup must not carry inline script or style: the CSP (default-src 'self') would block them. */
const expectNoInlineCode = (text: string): void => {
  expect(text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/i);
  expect(text).not.toMatch(/<style[\s>]/i);
  expect(text).not.toMatch(/\sstyle=/i);
  expect(text).not.toMatch(/\son[a-z]+=/i);
};

beforeAll(async () => {
  const dir = tempDir('server-ui');
  const inbox = path.join(dir, 'inbox');
  mkdirSync(inbox);
  writeFileSync(path.join(inbox, EVIL_NAME), await largeInvoice());
  writeFileSync(path.join(inbox, 'invoice-ok.pdf'), await passingInvoice(7));
  const dataDir = path.join(dir, 'data');
  const rt = await openRuntime(parseConfig({ dataDir }), { ocr: noOcr });
  runtime = rt;
  const { files } = await listInbox([inbox]);
  const run = (await rt.runFiles(files, 'test'))!;
  expect(run.summary).toMatchObject({ received: 2, pass: 1, hold: 1 });
  batchId = run.batchId;
  const outcomes = await rt.store.batchOutcomes(run.batchId);
  heldId = outcomes.find((o) => o.outcome === 'hold')!.documentId;
  passId = outcomes.find((o) => o.outcome === 'pass')!.documentId;

  const ts = new SqliteTokenStore(path.join(dataDir, 'docroute.db'));
  tokenStore = ts;
  tokens.viewer = ts.create({ name: 'vera', role: 'viewer' }).token;
  tokens.reviewer = ts.create({ name: 'rita', role: 'reviewer' }).token;
  app = createApp(
    {
      runtime: rt,
      uploadsDir: path.join(dir, 'uploads'),
      maxUploadBytes: 1_000_000,
      processQueued: () => Promise.resolve(null),
      now: () => new Date(),
    },
    { tokens: ts, log: () => undefined },
  );
});

afterAll(async () => {
  await runtime?.close();
  tokenStore?.close();
});

describe('html templates', () => {
  it('escapes every interpolated value unless it is markup built by html or raw', () => {
    const name = '<img src=x onerror=alert(1)>"\'`&';
    expect(html`<td title="${name}">${name}</td>`.toString()).toBe(`<td title="${escapeHtml(name)}">${escapeHtml(name)}</td>`);
    expect(escapeHtml(name)).not.toMatch(/[<>"'`]/);
    expect(
      html`<ul>
        ${['a<b', html`<li>ok</li>`, null, undefined, false, 3]}
      </ul>`
        .toString()
        .replace(/\s+/g, ''),
    ).toBe('<ul>a&lt;b<li>ok</li>3</ul>');
    expect(html`${raw('<br>')}`.toString()).toBe('<br>');
  });
});

describe('the document page rendering', () => {
  it('flags a confidence below 0.8, dashes its box, and masks a sensitive value in the table and on the image', () => {
    const documentId = 'a'.repeat(64);
    const box = { left: 0.1, top: 0.2, width: 0.3, height: 0.02 };
    const data = {
      status: { documentId, name: 'scan.png', state: 'routed', outcome: 'hold', reasons: [], batches: [] },
      size: 10,
      view: {
        documentId,
        current: { version: 1, outcome: 'hold', decidedAt: '2026-11-01T00:00:00.000Z' },
        record: { documentClass: 'invoice', confidence: 0.9, classifier: 'rules', findings: [], rulesetVersion: '' },
        chain: [],
        fields: {
          total: { value: 12, confidence: 0.42, sensitive: false, corrected: false },
          iban: { value: 'DE89370400440532013000', confidence: 0.99, sensitive: true, corrected: false },
        },
        fieldVersions: [],
      },
      timeline: [],
      pageCount: 1,
      page: 1,
      layout: {
        page: 1,
        method: 'ocr',
        words: [{ box, confidence: 0.5 }],
        fields: [
          { name: 'total', box, confidence: 0.42, sensitive: false, locator: 'label' },
          { name: 'iban', box, confidence: 0.99, sensitive: true, locator: 'label' },
        ],
      },
      specs: [],
      sensitive: new Set(['iban']),
      canReview: false,
      csrfToken: undefined,
      notice: null,
      problem: null,
      draft: null,
    } as unknown as DocumentPageData;
    const text = flat(documentPage(data).toString());
    expect(text).toMatch(
      /<tr class="low"><th scope="row">total<\/th><td>12<\/td><td class="num conf">0\.42<span class="flag">LOW<\/span><\/td>/,
    );
    expect(text).toMatch(/<g class="field low"><title>total<\/title>/);
    expect(text).toContain('••••3000');
    expect(text).not.toContain('DE89');
    expect(text).toMatch(/<rect class="mask" x="97" y="197" width="306" height="26">/);
    expect(text).toContain('1 word box (OCR), 2 field boxes on this page');
  });
});

describe('the console requires a session', () => {
  it.each(['/', '/documents', '/review', '/batches', '/documents/0123456789abcdef', '/batches/b-1'])(
    'GET %s redirects to /login',
    async (url) => {
      const res = await app.request(url);
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toBe(`/login?next=${encodeURIComponent(url)}`);
    },
  );

  it('a review POST without a session is refused and records nothing', async () => {
    const res = await app.request(`/documents/${heldId}/review`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: 'action=approve&reason=nope',
    });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/login/);
    expect((await runtime!.store.getRoute(heldId))?.outcome).toBe('hold');
  });

  it('the sign-in page is the console-styled one, and the assets are public', async () => {
    const login = await app.request('/login');
    const text = flat(await login.text());
    expect(text).toContain('href="/assets/console.css"');
    expect(text).toContain('name="token"');
    expectNoInlineCode(text);
    const css = await app.request('/assets/console.css');
    expect(css.status).toBe(200);
    expect(css.headers.get('content-type')).toMatch(/^text\/css/);
    const js = await app.request('/assets/console.js');
    expect(js.status).toBe(200);
    expect(js.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await js.text()).toContain("'use strict'");
  });
});

describe('pages', () => {
  it('the header names the signed-in token, its role, and offers logout with the CSRF token', async () => {
    const res = await get('viewer', '/');
    expect(res.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(res.headers.get('cache-control')).toBe('no-store');
    const text = await page('viewer', '/');
    const s = await signIn('viewer');
    expect(text).toContain('Signed in as <strong>vera</strong> (viewer)');
    expect(text).toContain('action="/logout"');
    expect(text).toContain(`name="_csrf" value="${s.csrf}"`);
    expect(text).toMatch(/<a href="\/" aria-current="page">Dashboard<\/a>/);
  });

  it('the dashboard shows counts, the per-day chart, recent batches and the oldest held document', async () => {
    const text = await page('viewer', '/');
    expect(text).toContain('<a href="/documents?route=pass">1</a>');
    expect(text).toContain('<a href="/documents?route=hold">1</a>');
    expect(text).toMatch(/<svg viewBox="0 0 \d+ \d+" role="img"/);
    expect(text).toContain(`href="/documents/${heldId}"`);
    expect(text).toContain('received 2 = pass 1 + hold 1 + reject 0 + failed 0');
    expect(text).toContain('invoice');
    expectNoInlineCode(text);
  });

  it('HTML-escapes a document name containing <script> on every page that shows it', async () => {
    const escaped = escapeHtml(EVIL_NAME);
    for (const url of ['/documents', `/documents/${heldId}`, '/review', `/batches/${batchId}`, '/']) {
      const text = await page('reviewer', url);
      expect(text, url).not.toContain('<script>alert');
      expect(text, url).toContain(escaped);
      expectNoInlineCode(text);
    }
  });

  it('masks sensitive values everywhere: the IBAN shows only its last four characters', async () => {
    const digits = IBAN.replace(/\s/g, '');
    for (const role of ['viewer', 'reviewer'] as const) {
      for (const url of [`/documents/${heldId}`, `/documents/${passId}`, '/documents', '/review', '/']) {
        const text = await page(role, url);
        expect(text, url).not.toContain(digits);
        expect(text, url).not.toContain(IBAN);
        expect(text, url).not.toContain(digits.slice(0, 12));
      }
    }
    const detail = await page('reviewer', `/documents/${heldId}`);
    expect(detail).toContain('••••3000');
  });

  it('the document page shows the viewer with overlays, fields with confidence, findings, chain and timeline', async () => {
    const text = await page('viewer', `/documents/${heldId}`);
    expect(text).toContain(`<img src="/api/v1/documents/${heldId}/pages/1?dpi=144"`);
    expect(text).toMatch(/<svg class="overlay" viewBox="0 0 1000 1000" preserveAspectRatio="none"/);
    expect(text).toMatch(/<rect class="word" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+">/);
    expect(text).toMatch(/<g class="field( low)?"><title>total<\/title><rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+"><\/g>/);
    // The IBAN's place on the page image is covered, whatever the toggles say.
    expect(text).toMatch(/<rect class="mask" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+">/);
    expect(text).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
    expect(text).toContain('invoice-approval-limit');
    expect(text).toContain('Decision chain');
    expect(text).toContain('id="timeline"');
    expect(text).toContain('routed');
    expect(text).toMatch(/<th scope="row">total<\/th><td>48500<\/td>/);
  });

  it('a viewer sees no review form on a held document', async () => {
    const text = await page('viewer', `/documents/${heldId}`);
    expect(text).not.toContain('<form class="review"');
    expect(text).not.toContain(`/documents/${heldId}/review`);
    expect(text).toContain('Deciding it needs the reviewer role');
  });

  it('a reviewer gets the review form with the CSRF field, a required reason and a correction per field', async () => {
    const s = await signIn('reviewer');
    const text = await page('reviewer', `/documents/${heldId}`);
    const form = /<form class="review"[\s\S]*?<\/form>/.exec(text)?.[0] ?? '';
    expect(form).toContain(`action="/documents/${heldId}/review"`);
    expect(form).toContain('method="post"');
    expect(form).toContain(`<input type="hidden" name="_csrf" value="${s.csrf}">`);
    expect(form).toMatch(/<input type="text" id="reason" name="reason" required/);
    expect(form).toMatch(/<label class="block" for="reason">/);
    expect(form).toContain('name="set.total"');
    expect(form).toContain('name="set.iban"');
    // A sensitive field's input never carries its value.
    expect(form).toMatch(/name="set\.iban" autocomplete="off" value=""/);
    // No form on a document that is not held.
    expect(await page('reviewer', `/documents/${passId}`)).not.toContain('<form class="review"');
  });

  it('the review queue lists held documents with the shortcuts documented', async () => {
    const text = await page('viewer', '/review');
    expect(text).toContain('<table id="queue">');
    expect(text).toContain(`data-href="/documents/${heldId}"`);
    expect(text).not.toContain(`data-href="/documents/${passId}"`);
    expect(text).toContain('<kbd>j</kbd>');
    expect(text).toContain('<kbd>a</kbd>');
  });

  it('the documents list filters by route and search, and pages with Next/Previous', async () => {
    const held = await page('viewer', '/documents?route=hold');
    expect(held).toContain(`/documents/${heldId}"`);
    expect(held).not.toContain(`/documents/${passId}"`);
    const search = await page('viewer', `/documents?q=${passId.slice(0, 10)}`);
    expect(search).toContain(`/documents/${passId}"`);
    expect(search).not.toContain(`/documents/${heldId}"`);
    const byName = await page('viewer', '/documents?q=invoice-ok');
    expect(byName).toContain(`/documents/${passId}"`);

    const first = await page('viewer', '/documents?limit=1');
    const next = /<a href="(\/documents\?[^"]+)" rel="next">Next<\/a>/.exec(first)?.[1];
    expect(next).toBeDefined();
    const second = await page('viewer', next!.replaceAll('&amp;', '&'));
    expect(second).not.toMatch(/rel="next"/);
    const prev = /<a href="(\/documents\?[^"]*)" rel="prev">Previous<\/a>/.exec(second)?.[1];
    expect(prev).toBeDefined();
    const firstIds = [...first.matchAll(/href="\/documents\/([0-9a-f]{64})"/g)].map((m) => m[1]);
    const secondIds = [...second.matchAll(/href="\/documents\/([0-9a-f]{64})"/g)].map((m) => m[1]);
    expect(new Set([...firstIds, ...secondIds])).toEqual(new Set([heldId, passId]));
    expect(await page('viewer', prev!.replaceAll('&amp;', '&'))).toContain(`/documents/${firstIds[0]!}"`);
  });

  it('the batches pages show the reconciliation line', async () => {
    const list = await page('viewer', '/batches');
    expect(list).toContain(`href="/batches/${batchId}"`);
    expect(list).toContain('(reconciled)');
    const one = await page('viewer', `/batches/${batchId}`);
    expect(one).toContain('received 2 = pass 1 + hold 1 + reject 0 + failed 0');
    expect(one).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
    expect((await get('viewer', '/batches/b-nope')).status).toBe(404);
  });

  it('an id prefix redirects to the full id; an unknown id is a 404 page', async () => {
    const res = await get('viewer', `/documents/${heldId.slice(0, 12)}`);
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/documents/${heldId}`);
    const missing = await get('viewer', `/documents/${'0'.repeat(64)}`);
    expect(missing.status).toBe(404);
  });
});

describe('deciding a review through the form', () => {
  it('refuses a POST without the CSRF token, and one from a viewer', async () => {
    const noCsrf = await postReview('reviewer', heldId, { action: 'approve', reason: 'ok' }, { csrf: false });
    expect(noCsrf.status).toBe(403);
    const viewer = await postReview('viewer', heldId, { action: 'approve', reason: 'ok' });
    expect(viewer.status).toBe(403);
    expect((await runtime!.store.getRoute(heldId))?.outcome).toBe('hold');
  });

  it('an empty reason or an invalid correction comes back with the problem and the typed input (never a sensitive value)', async () => {
    const empty = await postReview('reviewer', heldId, { action: 'approve', reason: '   ' });
    expect(empty.status).toBe(422);
    expect(await empty.text()).toContain('a reason is required');

    const bad = await postReview('reviewer', heldId, {
      action: 'reject',
      reason: 'Amount <wrong>',
      'set.total': 'not a number',
      'set.iban': 'GB00 SECRET 9999',
    });
    expect(bad.status).toBe(422);
    const text = flat(await bad.text());
    expect(text).toContain('is not a valid amount');
    expect(text).toContain('value="Amount &lt;wrong&gt;"');
    expect(text).toContain('value="not a number"');
    expect(text).not.toContain('SECRET');
    expect(text).toMatch(/id="action-reject" value="reject" checked>/);
    expect(text).not.toMatch(/id="action-approve" value="approve" required checked/);
    expect((await runtime!.store.getRoute(heldId))?.outcome).toBe('hold');
  });

  it('a form loaded before another decision is refused with 409 (the version it was made on is stale)', async () => {
    const res = await postReview('reviewer', heldId, { action: 'approve', reason: 'looks fine', version: '7' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('The decision changed while you were looking');
    expect((await runtime!.store.getRoute(heldId))?.outcome).toBe('hold');
  });

  it('approves with a reason, redirects back, and the page shows PASS with the reviewer and reason in the timeline', async () => {
    const res = await postReview('reviewer', heldId, { action: 'approve', reason: 'PO 4471 covers this amount', version: '1' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe(`/documents/${heldId}?decided=2`);
    const text = await page('reviewer', res.headers.get('location')!);
    expect(text).toContain('Decision 2 recorded: PASS by rita.');
    expect(text).toMatch(/<h1><span class="badge pass">PASS<\/span>/);
    const timeline = /<table id="timeline">[\s\S]*?<\/table>/.exec(text)?.[0] ?? '';
    expect(timeline).toContain('reviewed');
    expect(timeline).toContain('by rita: &quot;PO 4471 covers this amount&quot;');
    expect(text).not.toContain('<form class="review"');
    expect((await runtime!.store.getRoute(heldId))?.outcome).toBe('pass');
  });

  it('a second decision is refused with 409 and nothing changes', async () => {
    const res = await postReview('reviewer', heldId, { action: 'reject', reason: 'too late' });
    expect(res.status).toBe(409);
    expect(await res.text()).toContain('is not awaiting review');
    expect((await runtime!.store.decisions(heldId)).length).toBe(2);
  });
});

describe('multi-page documents', () => {
  it('the page selector links every page, marks the current one, and clamps a page beyond the end', async () => {
    const doc = await PDFDocument.create({ updateMetadata: false });
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const lines = [
      ['INVOICE', 'Invoice No: M-00001', 'Total Due: EUR 120.00'],
      ['Terms and conditions', 'Page two of two'],
    ];
    for (const pageLines of lines) {
      const p = doc.addPage([595, 842]);
      pageLines.forEach((line, i) => p.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font }));
    }
    const dir = tempDir('server-ui-pages');
    writeFileSync(path.join(dir, 'two-pages.pdf'), await doc.save({ useObjectStreams: false }));
    const { files } = await listInbox([dir]);
    const run = (await runtime!.runFiles(files, 'test'))!;
    const id = (await runtime!.store.batchOutcomes(run.batchId))[0]!.documentId;

    const second = await page('viewer', `/documents/${id}?page=2`);
    expect(second).toContain('Page 2 of 2');
    expect(second).toContain(`<a href="/documents/${id}?page=1">1</a>`);
    expect(second).toContain(`<a href="/documents/${id}?page=2" aria-current="page">2</a>`);
    expect(second).toContain(`<img src="/api/v1/documents/${id}/pages/2?dpi=144"`);
    const beyond = await page('viewer', `/documents/${id}?page=9`);
    expect(beyond).toContain('Page 2 of 2');
  });
});
