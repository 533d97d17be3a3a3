/**
 * Tuning and evaluation of the default receipt and invoice field specs on the shared datasets.
 *
 *   npx tsx scripts/tune-fields.ts [--split tune|held-out|all] [--source ocr|boxes|both] [--verbose]
 *                                  [--invoices] [--tsv-dir DIR]
 *
 * Receipts are read two ways: native tesseract OCR of the photo (TSV cached in the temp directory,
 * never in the repository), and the dataset's ground-truth line boxes (perfect OCR), so extraction
 * errors can be told from OCR errors. The split is fixed: receipts sorted by name, even positions
 * for tuning, odd positions held out. The helpers are exported for the dataset integration test.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { DEFAULT_FIELDS } from '../src/config/default-fields.js';
import type { FieldSpec } from '../src/config/field-spec.js';
import type { BoundingBox, Extraction, FieldValue, Line, Word } from '../src/domain/document.js';
import { extractFields } from '../src/domain/extract-fields.js';
import { normalizeForComparison } from '../src/domain/fields/compare.js';

const run = promisify(execFile);

export const DATASETS = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../shared/datasets');
export const RECEIPTS_DIR = path.join(DATASETS, 'receipts');
export const INVOICES_DIR = path.join(DATASETS, 'pdfs/invoices');
export const RECEIPT_FIELDS = ['company', 'date', 'address', 'total'] as const;
export type ReceiptField = (typeof RECEIPT_FIELDS)[number];

export interface ReceiptCase {
  readonly id: string;
  readonly image: string;
  readonly truth: Readonly<Record<ReceiptField, string>>;
}

/** All receipts, sorted by name, split by position: even → tune, odd → held-out. */
export const receiptCases = (dir = RECEIPTS_DIR): { tune: ReceiptCase[]; heldOut: ReceiptCase[] } => {
  const ids = readdirSync(dir)
    .filter((f) => f.endsWith('.jpg'))
    .map((f) => f.slice(0, -4))
    .sort();
  const cases = ids.map((id): ReceiptCase => {
    const truth = JSON.parse(readFileSync(path.join(dir, `${id}.json`), 'utf8')) as Record<ReceiptField, string>;
    return { id, image: path.join(dir, `${id}.jpg`), truth };
  });
  return { tune: cases.filter((_, i) => i % 2 === 0), heldOut: cases.filter((_, i) => i % 2 === 1) };
};

const box = (left: number, top: number, width: number, height: number, pageW: number, pageH: number): BoundingBox => ({
  left: left / pageW,
  top: top / pageH,
  width: width / pageW,
  height: height / pageH,
});

const unionOf = (boxes: readonly BoundingBox[]): BoundingBox => {
  const left = Math.min(...boxes.map((b) => b.left));
  const top = Math.min(...boxes.map((b) => b.top));
  return {
    left,
    top,
    width: Math.max(...boxes.map((b) => b.left + b.width)) - left,
    height: Math.max(...boxes.map((b) => b.top + b.height)) - top,
  };
};

const extractionOf = (lines: Line[], width: number, height: number, method: 'ocr' | 'text-layer', engine: string): Extraction => {
  const words = lines.flatMap((l) => l.words);
  const confidence = words.length ? words.reduce((a, w) => a + w.confidence, 0) / words.length : 0;
  const text = lines.map((l) => l.text).join('\n');
  return {
    mediaType: 'image/jpeg',
    pages: [{ page: 1, method, text, confidence, width, height, lines }],
    text,
    confidence,
    provenance: { engine },
  };
};

/** Tesseract TSV → Extraction: words grouped by block/paragraph/line, boxes over the level-1 page size. */
export const tsvToExtraction = (tsv: string): Extraction => {
  let pageW = 1;
  let pageH = 1;
  const groups = new Map<string, Word[]>();
  for (const row of tsv.split('\n').slice(1)) {
    const c = row.split('\t');
    if (c.length < 12) continue;
    const [level, , blockN, parN, lineN, , left, top, width, height, conf] = c.slice(0, 11).map(Number);
    const text = c.slice(11).join('\t').trim();
    if (level === 1) {
      pageW = width ?? 1;
      pageH = height ?? 1;
    }
    if (level !== 5 || !text) continue;
    const key = `${blockN}/${parN}/${lineN}`;
    const word: Word = {
      text,
      confidence: Math.max(0, (conf ?? 0) / 100),
      box: box(left ?? 0, top ?? 0, width ?? 0, height ?? 0, pageW, pageH),
    };
    groups.set(key, [...(groups.get(key) ?? []), word]);
  }
  const lines: Line[] = [...groups.values()].map((words) => ({
    text: words.map((w) => w.text).join(' '),
    confidence: words.reduce((a, w) => a + w.confidence, 0) / words.length,
    box: unionOf(words.map((w) => w.box)),
    words,
  }));
  return extractionOf(lines, pageW, pageH, 'ocr', 'tesseract-tsv');
};

/** Width and height from a JPEG's SOF marker. */
export const jpegSize = (bytes: Uint8Array): { width: number; height: number } => {
  let i = 2;
  while (i + 9 < bytes.length) {
    if (bytes[i] !== 0xff) {
      i++;
      continue;
    }
    const marker = bytes[i + 1] ?? 0;
    const length = ((bytes[i + 2] ?? 0) << 8) | (bytes[i + 3] ?? 0);
    if (marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc) {
      return { height: ((bytes[i + 5] ?? 0) << 8) | (bytes[i + 6] ?? 0), width: ((bytes[i + 7] ?? 0) << 8) | (bytes[i + 8] ?? 0) };
    }
    i += 2 + length;
  }
  throw new Error('no JPEG frame header');
};

/** SROIE `.boxes.csv` (one quadrilateral and transcript per line) → Extraction with confidence 1. */
export const boxesToExtraction = (csv: string, width: number, height: number): Extraction => {
  const lines: Line[] = [];
  for (const row of csv.split(/\r?\n/)) {
    const c = row.split(',');
    if (c.length < 9) continue;
    const xs = [c[0], c[2], c[4], c[6]].map(Number);
    const ys = [c[1], c[3], c[5], c[7]].map(Number);
    const text = c.slice(8).join(',').trim();
    if (!text) continue;
    const x0 = Math.min(...xs);
    const y0 = Math.min(...ys);
    const lineBox = box(x0, y0, Math.max(...xs) - x0, Math.max(...ys) - y0, width, height);
    // Word boxes by share of characters: the dataset only boxes lines.
    const tokens = text.split(/\s+/);
    const total = text.length;
    let offset = 0;
    const words: Word[] = tokens.map((t) => {
      const start = text.indexOf(t, offset);
      offset = start + t.length;
      return {
        text: t,
        confidence: 1,
        box: {
          left: lineBox.left + (lineBox.width * start) / total,
          top: lineBox.top,
          width: (lineBox.width * t.length) / total,
          height: lineBox.height,
        },
      };
    });
    lines.push({ text, confidence: 1, box: lineBox, words });
  }
  return extractionOf(lines, width, height, 'ocr', 'sroie-boxes');
};

export const TSV_CACHE = path.join(tmpdir(), 'sroie-tsv');

/** The cached TSV of a receipt, running native tesseract when it is missing. */
export const ocrTsv = async (image: string, cacheDir = TSV_CACHE): Promise<string> => {
  const cached = path.join(cacheDir, `${path.basename(image, '.jpg')}.tsv`);
  if (existsSync(cached)) return readFileSync(cached, 'utf8');
  mkdirSync(cacheDir, { recursive: true });
  const { stdout } = await run('tesseract', [image, 'stdout', '--psm', '3', 'tsv'], {
    env: { ...process.env, OMP_THREAD_LIMIT: '1' },
    maxBuffer: 64 * 1024 * 1024,
  });
  const part = `${cached}.${process.pid}.part`;
  writeFileSync(part, stdout);
  renameSync(part, cached);
  return stdout;
};

/** Maps `fn` over `items`, at most `limit` at a time, keeping order. */
export const mapLimit = async <T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
};

export type Source = 'ocr' | 'boxes';

export const receiptExtraction = async (c: ReceiptCase, source: Source, cacheDir = TSV_CACHE): Promise<Extraction> => {
  if (source === 'ocr') return tsvToExtraction(await ocrTsv(c.image, cacheDir));
  const bytes = new Uint8Array(readFileSync(c.image));
  const { width, height } = jpegSize(bytes);
  return boxesToExtraction(readFileSync(c.image.replace(/\.jpg$/, '.boxes.csv'), 'utf8'), width, height);
};

export interface FieldScore {
  readonly field: ReceiptField;
  readonly correct: number;
  /** Receipts whose label for the field is not empty. */
  readonly labelled: number;
}

export interface Outcome {
  readonly id: string;
  readonly field: string;
  readonly expected: string;
  readonly got: FieldValue | undefined;
  readonly ok: boolean;
}

export const scoreReceipts = (
  cases: readonly ReceiptCase[],
  extractions: readonly Extraction[],
  specs: Readonly<Record<string, readonly FieldSpec[]>> = DEFAULT_FIELDS,
): { scores: FieldScore[]; outcomes: Outcome[] } => {
  const outcomes: Outcome[] = [];
  cases.forEach((c, i) => {
    const extraction = extractions[i];
    if (!extraction) return;
    const { fields } = extractFields(extraction, 'receipt', specs);
    for (const field of RECEIPT_FIELDS) {
      const expected = c.truth[field];
      if (!expected.trim()) continue;
      const got = fields[field]?.value;
      const want = normalizeForComparison(field, expected);
      outcomes.push({ id: c.id, field, expected, got, ok: want !== '' && normalizeForComparison(field, got) === want });
    }
  });
  const scores = RECEIPT_FIELDS.map((field) => {
    const mine = outcomes.filter((o) => o.field === field);
    return { field, correct: mine.filter((o) => o.ok).length, labelled: mine.length };
  });
  return { scores, outcomes };
};

export const formatScores = (scores: readonly FieldScore[]): string =>
  scores.map((s) => `${s.field} ${((100 * s.correct) / Math.max(1, s.labelled)).toFixed(1)}% (${s.correct}/${s.labelled})`).join('  ');

const invoices = async (): Promise<void> => {
  // Scratch only: the PDF text layer comes from the local pdfjs adapter.
  const { createPdfjsPdfReader } = await import('../src/adapters/local/pdfjs-pdf-reader.js');
  const fields = ['issuer', 'invoice_number', 'date', 'total', 'currency'] as const;
  const totals = Object.fromEntries(fields.map((f) => [f, 0])) as Record<(typeof fields)[number], number>;
  const files = readdirSync(INVOICES_DIR).filter((f) => f.endsWith('.pdf'));
  for (const file of files) {
    const pdf = await createPdfjsPdfReader().open(new Uint8Array(readFileSync(path.join(INVOICES_DIR, file))));
    const pages = [];
    for (let n = 1; n <= pdf.pageCount; n++) {
      const p = await pdf.page(n);
      pages.push({ page: n, method: 'text-layer' as const, text: p.text, confidence: 1, width: p.width, height: p.height, lines: p.lines });
    }
    await pdf.close();
    const extraction: Extraction = {
      mediaType: 'application/pdf',
      pages,
      text: pages.map((p) => p.text).join('\f'),
      confidence: 1,
      provenance: { engine: 'pdfjs' },
    };
    const expected =
      (
        JSON.parse(readFileSync(path.join(INVOICES_DIR, file.replace(/\.pdf$/, '.expected.json')), 'utf8')) as Record<string, unknown>[]
      )[0] ?? {};
    const got = extractFields(extraction, 'invoice', DEFAULT_FIELDS).fields;
    const row: string[] = [];
    for (const f of fields) {
      const want = expected[f === 'total' ? 'amount' : f] as FieldValue | undefined;
      const value = got[f]?.value;
      const ok = want !== undefined && normalizeForComparison(f, value) === normalizeForComparison(f, want);
      if (ok) totals[f]++;
      row.push(`${f}=${ok ? 'ok' : want === undefined ? 'unlabelled' : value === undefined ? 'not found' : 'different'}`);
    }
    console.log(`  ${file}: ${row.join(' ')}`);
  }
  console.log(`invoices: ${fields.map((f) => `${f} ${totals[f]}/${files.length}`).join('  ')}`);
};

const main = async (): Promise<void> => {
  const args = process.argv.slice(2);
  const arg = (name: string, fallback: string): string => {
    const i = args.indexOf(name);
    return i >= 0 ? (args[i + 1] ?? fallback) : fallback;
  };
  const split = arg('--split', 'tune');
  const sources = arg('--source', 'both') === 'both' ? (['ocr', 'boxes'] as const) : [arg('--source', 'ocr') as Source];
  const verbose = args.includes('--verbose');
  const { tune, heldOut } = receiptCases();
  const cases = split === 'tune' ? tune : split === 'held-out' ? heldOut : [...tune, ...heldOut];
  console.log(`split ${split}: ${cases.length} receipts (${cases.map((c) => c.id.replace('sroie_', '')).join(' ')})`);
  for (const source of sources) {
    const extractions = await mapLimit(cases, 2, (c) => receiptExtraction(c, source, arg('--tsv-dir', TSV_CACHE)));
    const { scores, outcomes } = scoreReceipts(cases, extractions);
    console.log(`${source}: ${formatScores(scores)}`);
    // Which receipts miss which field, for the tuning split only: the held-out split is for
    // reporting. Values are not printed; open the receipt's .json and .txt to compare.
    if (verbose && split === 'tune') {
      for (const o of outcomes.filter((x) => !x.ok))
        console.log(`  ${o.id} ${o.field}: ${o.got === undefined ? 'not found' : 'different'}`);
    }
  }
  if (args.includes('--invoices')) await invoices();
};

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
