import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertBuilt, BIN, cli, ROOT } from '../helpers/cli.js';
import { tempDir, textPdf } from '../helpers/docs.js';

/**
 * The console in a real browser: Debian's chromium driven by playwright-core, against the built
 * CLI's `docroute serve` on a temporary data directory. A reviewer signs in with a token, finds a
 * held invoice in the review queue with the keyboard, approves it with a reason, and sees the
 * decision on the document page. Screenshots of each step go to test-results/; with
 * DOCROUTE_UPDATE_SCREENSHOTS=1 the document page also goes to docs/images/ for the README.
 */

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) {
  console.warn(`tests/browser: skipped, ${CHROMIUM} is missing (apt-get install chromium)`);
}

const SHOTS = path.join(ROOT, 'test-results', 'console');
const README_SHOT = path.join(ROOT, 'docs', 'images', 'console-document.png');
const REASON = 'PO 4471 covers this amount';
const NAME = 'invoice-contoso-48500.pdf';

const heldInvoice = (): Promise<Uint8Array> =>
  textPdf([
    'INVOICE',
    'Contoso Heavy Industries',
    'Invoice No: L-00042',
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    'Total Due: EUR 48,500.00',
    'IBAN: DE89 3704 0044 0532 0130 00',
    'Payment terms: 30 days net',
  ]);

/** `docroute tokens create --json`: the token, shown once. */
const createToken = (dataDir: string, name: string, role: string): string => {
  const r = cli(['--data-dir', dataDir, '--json', 'tokens', 'create', '--name', name, '--role', role]);
  expect(r.code, r.stderr).toBe(0);
  return (JSON.parse(r.stdout) as { token: string }).token;
};

const serverEnv = (): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  delete env['DOCROUTE_CONFIG'];
  delete env['DOCROUTE_DATA_DIR'];
  return env;
};

/** Starts `docroute serve --port 0` and resolves with its base URL once it listens. */
const startServer = (dir: string, dataDir: string): Promise<{ child: ChildProcess; base: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, '--data-dir', dataDir, 'serve', '--port', '0', '--batch-interval-ms', '500'], {
      cwd: dir,
      env: serverEnv(),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`docroute serve did not start: ${stderr}`)), 60_000);
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
      const m = /listening on (http:\/\/[^\s]+)/.exec(stdout);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve({ child, base: m[1] });
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`docroute serve exited with ${String(code)}: ${stderr}`));
    });
  });

const stopServer = async (child: ChildProcess): Promise<void> => {
  if (child.exitCode !== null || child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(timer);
};

describe.skipIf(!haveChromium)('the web console in chromium', () => {
  let server: { child: ChildProcess; base: string } | undefined;
  let context: BrowserContext | undefined;
  let profile: string | undefined;
  let base = '';
  let reviewer = '';
  let documentId = '';
  const problems: string[] = [];

  beforeAll(async () => {
    assertBuilt();
    const dir = tempDir('console');
    const dataDir = path.join(dir, 'data');
    const admin = createToken(dataDir, 'ada', 'admin');
    reviewer = createToken(dataDir, 'rita', 'reviewer');
    server = await startServer(dir, dataDir);
    base = server.base;

    // The held invoice, through the API with an admin token, processed before the answer.
    const form = new FormData();
    form.append('file', new Blob([await heldInvoice()], { type: 'application/pdf' }), NAME);
    const res = await fetch(`${base}/api/v1/documents?process=now`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${admin}` },
      body: form,
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { documents: { documentId: string; route: string }[] };
    expect(body.documents[0]?.route).toBe('hold');
    documentId = body.documents[0]!.documentId;

    rmSync(SHOTS, { recursive: true, force: true });
    mkdirSync(SHOTS, { recursive: true });
    profile = tempDir('chromium-profile');
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
      viewport: { width: 1360, height: 900 },
      deviceScaleFactor: 1,
    });
  }, 180_000);

  afterAll(async () => {
    await context?.close();
    if (server) await stopServer(server.child);
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  /** A page that records console errors (CSP violations are reported there) and failed requests. */
  const open = async (): Promise<Page> => {
    const page = context!.pages()[0] ?? (await context!.newPage());
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    return page;
  };

  const shot = (page: Page, name: string): Promise<Buffer> => page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });

  it('signs in, finds the held invoice in the queue, approves it with a reason, and shows the decision', async () => {
    const page = await open();

    // 1. Any page sends an anonymous browser to the sign-in page, which comes back after.
    await page.goto(`${base}/review`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await shot(page, '01-login');
    await page.getByLabel('API token').fill(reviewer);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(`${base}/review`);
    await expect.poll(() => page.getByText('Signed in as').textContent()).toContain('rita');

    // 2. The review queue lists the invoice; j selects it, Enter opens it.
    const row = page.locator('#queue tbody tr');
    await expect.poll(() => row.count()).toBe(1);
    expect(await row.first().textContent()).toContain(NAME);
    await shot(page, '02-review-queue');
    await page.keyboard.press('j');
    await expect.poll(() => row.first().getAttribute('class')).toContain('selected');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/documents/${documentId}`);

    // 3. The document page: the page image with word and field boxes, fields, findings, the form.
    const image = page.locator('.viewer img');
    await expect
      .poll(() =>
        image.evaluate((el) => {
          const img = el as unknown as { complete: boolean; naturalWidth: number };
          return img.complete && img.naturalWidth > 0;
        }),
      )
      .toBe(true);
    expect(await page.locator('svg.overlay rect.word, svg.overlay .word').count()).toBeGreaterThan(10);
    expect(await page.locator('svg.overlay g.field').count()).toBeGreaterThan(0);
    expect(await page.locator('svg.overlay rect.mask').count()).toBe(1);
    expect(await page.locator('h1').textContent()).toContain('HOLD');
    expect(await page.locator('body').textContent()).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
    expect(await page.locator('body').textContent()).toContain('••••3000');
    expect(await page.locator('body').textContent()).not.toContain('0532');
    await shot(page, '03-document-held');
    if (process.env['DOCROUTE_UPDATE_SCREENSHOTS'] === '1') {
      mkdirSync(path.dirname(README_SHOT), { recursive: true });
      await page.screenshot({ path: README_SHOT, fullPage: false });
    }

    // 4. `a` chooses approve and puts the cursor in the reason; Enter in the reason submits.
    await page.keyboard.press('a');
    expect(await page.locator('#action-approve').isChecked()).toBe(true);
    expect(await page.evaluate('document.activeElement && document.activeElement.id')).toBe('reason');
    await page.keyboard.type(REASON);
    await shot(page, '04-approving');
    await page.keyboard.press('Enter');
    await page.waitForURL(`${base}/documents/${documentId}?decided=2`);

    // 5. PASS, the notice, and the timeline names the reviewer and the reason.
    expect(await page.locator('h1').textContent()).toContain('PASS');
    expect(await page.getByRole('status').textContent()).toContain('Decision 2 recorded: PASS by rita');
    const reviewed = page.locator('#timeline tr', { hasText: 'reviewed' });
    expect(await reviewed.count()).toBe(1);
    expect(await reviewed.textContent()).toContain(`by rita: "${REASON}"`);
    expect(await page.locator('form.review').count()).toBe(0);
    await page.locator('#timeline').scrollIntoViewIfNeeded();
    await shot(page, '05-document-passed');

    // 6. The queue is empty now, and the dashboard and batches pages render.
    await page.goto(`${base}/review`);
    expect(await page.locator('body').textContent()).toContain('Nothing awaits review.');
    await page.goto(`${base}/`);
    expect(await page.locator('.chart svg').count()).toBe(1);
    await shot(page, '06-dashboard');
    await page.goto(`${base}/documents`);
    expect(await page.locator('tbody tr').count()).toBe(1);
    await page.getByLabel('Route').selectOption('hold');
    await page.getByRole('button', { name: 'Filter' }).click();
    await page.waitForURL(/route=hold/);
    expect(await page.locator('body').textContent()).toContain('No documents match.');
    await page.goto(`${base}/documents`);
    await shot(page, '07-documents');
    await page.goto(`${base}/batches`);
    expect(await page.locator('body').textContent()).toContain('(reconciled)');
    await shot(page, '08-batches');

    // 7. Logging out ends the session.
    await page.getByRole('button', { name: 'Log out' }).click();
    await page.waitForURL(`${base}/login`);
    await page.goto(`${base}/documents`);
    expect(new URL(page.url()).pathname).toBe('/login');

    // No CSP violation, script error or failed asset on the way.
    expect(problems).toEqual([]);
  }, 180_000);
});
