import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { restoreNativeJson } from '../../../../src/adapters/local/native-json.js';

/**
 * pdfjs-dist's legacy build replaces the global JSON functions with slow polyfills on Node 20; the
 * PDF reader puts the native ones back once pdfjs (and its worker module) is loaded. core-js makes
 * its polyfills print as native code and behave the same, so the checks compare identities, in
 * fresh processes (a test worker may have loaded pdfjs already).
 */

const run = (body: string): string =>
  execFileSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', body], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  }).trim();

const reader = JSON.stringify(path.resolve('src/adapters/local/pdfjs-pdf-reader.ts'));
const docs = JSON.stringify(path.resolve('tests/helpers/docs.ts'));

describe('native JSON after pdfjs', () => {
  it('loading pdfjs by itself replaces JSON.stringify and JSON.parse (what the reader undoes)', () => {
    const out = run(`
      const s = JSON.stringify, p = JSON.parse;
      await import('pdfjs-dist/legacy/build/pdf.mjs');
      console.log(JSON.stringify === s, JSON.parse === p);`);
    expect(out).toBe('false false');
  });

  it('reading a PDF through the reader leaves the native JSON functions in place', () => {
    const out = run(`
      const s = JSON.stringify, p = JSON.parse;
      const { createPdfjsPdfReader } = await import(${reader});
      const { textPdf } = await import(${docs});
      const doc = await createPdfjsPdfReader({ maxPages: 10 }).open(await textPdf(['INVOICE', 'Total Due: EUR 12.00']));
      const text = (await doc.page(1)).text;
      await doc.close();
      console.log(text.includes('INVOICE'), JSON.stringify === s, JSON.parse === p);`);
    expect(out).toBe('true true true');
  });

  it('restoreNativeJson puts back functions something replaced, and says so', () => {
    const native = JSON.stringify;
    const slow = (value: unknown): string => `slow:${String(value)}`;
    JSON.stringify = slow as typeof JSON.stringify;
    expect(JSON.stringify(1)).toBe('slow:1');
    restoreNativeJson();
    expect(JSON.stringify).not.toBe(slow);
    expect(JSON.stringify(1)).toBe('1');
    expect(restoreNativeJson()).toBe(false);
    JSON.stringify = native;
  });
});
