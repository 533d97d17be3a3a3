import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * `docroute eval extraction` end to end through the built CLI, on a labelled folder made from the
 * generated samples: one invoice2data-style invoice and one SROIE-style receipt.
 */

const INBOX = path.join(ROOT, 'examples', 'inbox');
const DATASETS = path.resolve(ROOT, '../shared/datasets');

interface EvalJson {
  dir: string;
  split: { name: string; seed: number; selected: number; found: number };
  documents: number;
  cached: number;
  errors: number;
  fields: { documentClass: string; field: string; n: number; correct: number; accuracy: number }[];
  classes: { documentClass: string; documents: number; n: number; correct: number; accuracy: number }[];
  overall: { n: number; correct: number; accuracy: number };
  cer: { cer: number } | null;
  results: {
    name: string;
    documentClass: string;
    cached: boolean;
    error: string | null;
    fields: { field: string; expected: unknown; extracted: unknown; correct: boolean }[];
  }[];
  report: string | null;
}

const labelledFolder = (): string => {
  const dir = path.join(tempDir('eval'), 'labelled');
  mkdirSync(path.join(dir, 'receipts'), { recursive: true });
  copyFileSync(path.join(INBOX, 'invoice-northwind.pdf'), path.join(dir, 'invoice-northwind.pdf'));
  writeFileSync(
    path.join(dir, 'invoice-northwind.expected.json'),
    JSON.stringify([
      {
        issuer: 'Northwind Office Supply GmbH',
        invoice_number: 'INV-2026-0412',
        date: '2026-10-03',
        amount: 1250,
        currency: 'EUR',
        lines: [{ name: 'Paper A4, 80 g', qty: 20 }],
      },
    ]),
  );
  // In a subfolder: the search is recursive.
  copyFileSync(path.join(INBOX, 'receipt-cafe.png'), path.join(dir, 'receipts', 'receipt-cafe.png'));
  writeFileSync(
    path.join(dir, 'receipts', 'receipt-cafe.json'),
    JSON.stringify({ company: 'Blue Door Cafe', date: '14/10/2026', address: '12 Harbour Street', total: '14.50' }),
  );
  // A JSON file with no document beside it is not ground truth.
  writeFileSync(path.join(dir, 'notes.json'), '{"company": "not a label"}');
  return dir;
};

describe('docroute eval extraction', () => {
  const dir = labelledFolder();
  const work = path.dirname(dir);
  const data = path.join(work, 'data');
  const reportFile = path.join(work, 'report.html');
  let first: ReturnType<typeof cli>;
  let json: EvalJson;

  beforeAll(() => {
    assertBuilt();
    first = cli(['eval', 'extraction', dir, '--json', '--report', reportFile, '--data-dir', data], { cwd: work });
    json = JSON.parse(first.stdout) as EvalJson;
  }, 180_000);

  it('scores both documents and reports per-field accuracy as JSON', () => {
    expect(first.code, first.stderr).toBe(EXIT.OK);
    expect(json.split).toEqual({ name: 'all', seed: 1, selected: 2, found: 2 });
    expect(json.documents).toBe(2);
    expect(json.errors).toBe(0);
    expect(json.cached).toBe(0);
    expect(json.results.map((r) => [r.name, r.documentClass])).toEqual([
      ['invoice-northwind.pdf', 'invoice'],
      [path.join('receipts', 'receipt-cafe.png'), 'receipt'],
    ]);
    for (const f of json.fields) {
      expect(f.accuracy).toBeCloseTo(f.n === 0 ? 0 : f.correct / f.n);
      expect(f.n).toBe(1);
    }
    expect(json.classes.map((c) => c.documentClass).sort()).toEqual(['invoice', 'receipt']);
    expect(json.overall.n).toBe(json.fields.reduce((s, f) => s + f.n, 0));
    expect(json.report).toBe(reportFile);
  });

  it('matches the fields the extractor gets right on the clean invoice', () => {
    const invoice = json.results.find((r) => r.documentClass === 'invoice');
    const byField = Object.fromEntries((invoice?.fields ?? []).map((f) => [f.field, f]));
    expect(byField['invoice_number']).toMatchObject({ expected: 'INV-2026-0412', extracted: 'INV-2026-0412', correct: true });
    expect(byField['total']).toMatchObject({ expected: 1250, extracted: 1250, correct: true });
    expect(json.fields.find((f) => f.documentClass === 'invoice' && f.field === 'total')?.accuracy).toBe(1);
    // Labels the class's field specs do not know are never scored.
    for (const r of json.results) expect(r.fields.map((f) => f.field)).not.toContain('lines');
  });

  it('writes a self-contained HTML report with the summary table', () => {
    expect(existsSync(reportFile)).toBe(true);
    const html = readFileSync(reportFile, 'utf8');
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<table class="summary">');
    expect(html).toContain('invoice_number');
    expect(html).toContain('<svg');
    expect(html).not.toMatch(/<script|<link\b/i);
  });

  it('keeps document text out of stderr', () => {
    for (const secret of ['Northwind Office', 'INV-2026-0412', 'Blue Door', 'Harbour', '1,250.00'])
      expect(first.stderr, secret).not.toContain(secret);
  });

  it('answers a second run from the extraction checkpoints, and prints a table', () => {
    const again = cli(['eval', 'extraction', dir, '--data-dir', data, '--json'], { cwd: work });
    expect(again.code).toBe(EXIT.OK);
    const second = JSON.parse(again.stdout) as EvalJson;
    expect(second.cached).toBe(2);
    expect(second.results.every((r) => r.cached)).toBe(true);
    expect(second.fields).toEqual(json.fields);

    const text = cli(['eval', 'extraction', dir, '--data-dir', data, '--class', 'invoice'], { cwd: work });
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout).toContain('split all (seed 1): 1 of 2 labelled documents, class invoice');
    expect(text.stdout).toMatch(/^class\s+field\s+n\s+correct\s+accuracy$/m);
    expect(text.stdout).toMatch(/^invoice\s+invoice_number\s+1\s+1\s+100\.0%$/m);
    expect(text.stdout).toContain('CER all: no transcripts');
  });

  it('splits into tune and holdout that together cover every document, and says which', () => {
    const halves = ['tune', 'holdout'].map((split) => {
      const r = cli(['eval', 'extraction', dir, '--data-dir', data, '--json', '--split', split, '--seed', '7'], { cwd: work });
      // A half can be empty for two documents: that is a usage error, not a crash.
      if (r.code === EXIT.USAGE) return [];
      expect(r.code).toBe(EXIT.OK);
      const parsed = JSON.parse(r.stdout) as EvalJson;
      expect(parsed.split).toMatchObject({ name: split, seed: 7, found: 2 });
      return parsed.results.map((x) => x.name);
    });
    expect([...(halves[0] ?? []), ...(halves[1] ?? [])].sort()).toEqual(json.results.map((r) => r.name).sort());
    const limited = JSON.parse(
      cli(['eval', 'extraction', dir, '--data-dir', data, '--json', '--limit', '1'], { cwd: work }).stdout,
    ) as EvalJson;
    expect(limited.documents).toBe(1);
  });

  it('exits 2 with a clear message when there is no ground truth, or on a bad flag', () => {
    const empty = tempDir('eval-empty');
    writeFileSync(path.join(empty, 'lonely.pdf'), 'not labelled');
    const r = cli(['eval', 'extraction', empty, '--data-dir', data]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('no ground truth found');
    expect(r.stderr).toContain('.expected.json');
    expect(cli(['eval', 'extraction', '/nonexistent/labelled']).code).toBe(EXIT.USAGE);
    expect(cli(['eval', 'extraction', dir, '--split', 'half']).code).toBe(EXIT.USAGE);
    expect(cli(['eval', 'extraction', dir, '--limit', '0']).code).toBe(EXIT.USAGE);
  });
});

const datasetsPresent = existsSync(path.join(DATASETS, 'pdfs', 'invoices'));
if (!datasetsPresent) console.warn(`cli-eval: skipping the dataset-backed eval: ${DATASETS} is absent`);

describe.skipIf(!datasetsPresent)(`docroute eval extraction on ${DATASETS}/pdfs/invoices`, () => {
  it('evaluates the five labelled invoices', () => {
    assertBuilt();
    const data = path.join(tempDir('eval-invoices'), 'data');
    const r = cli(['eval', 'extraction', '../shared/datasets/pdfs/invoices', '--json', '--data-dir', data]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    const json = JSON.parse(r.stdout) as EvalJson;
    expect(json.documents).toBe(5);
    expect(json.results.every((d) => d.documentClass === 'invoice')).toBe(true);
    // The PDF is preferred over its PNG rendering.
    expect(json.results.map((d) => d.name)).toContain('SammyMaystoneLinesTest.pdf');
    expect(json.fields.map((f) => f.field)).toEqual(expect.arrayContaining(['invoice_number', 'total']));
  }, 180_000);
});
