/**
 * Figure 2, text-native PDFs: end-to-end pipeline time on text-layer PDFs (runFiles on a fresh data
 * dir: ingest, the state machine, extract, classify, fields, validate, route, audit, aggregate)
 * ÷ raw pdfjs-dist text extraction of the same files in a tight loop (read the file, getDocument,
 * getTextContent of every page, destroy). Target ≤ 1.10.
 *
 * A third run, our pdfjs adapter alone (open, page().text, close), splits the gap: adapter ÷ raw is
 * what our line building adds to pdfjs, pipeline − adapter is everything else per document. A
 * fourth, the pipeline whose PDF reader answers from pages read beforehand (no parsing at all),
 * measures that "everything else" directly.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';
import { parseConfig } from '../../src/config/load.js';
import type { PdfDocument, PdfPage, PdfReader } from '../../src/ports/pdf-reader.js';
import { openRuntime } from '../../src/entrypoints/runtime.js';
import { freshDir, interleave, median, type BenchContext } from '../lib/common.js';
import { buildPdf, datasetPdfs } from '../lib/corpus.js';
import { runPipeline, writeInbox } from '../lib/pipeline.js';
import { figure, round, type FigureResult } from '../lib/report.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

const pdfjsRoot = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));

/** Raw pdfjs: the reference. The same load options as the adapter (font data, cmaps, no eval). */
const rawExtract = async (pdfjs: Pdfjs, files: readonly string[]): Promise<{ seconds: number; chars: number; pages: number }> => {
  const started = performance.now();
  let chars = 0;
  let pages = 0;
  for (const file of files) {
    const task = pdfjs.getDocument({
      data: new Uint8Array(await readFile(file)),
      standardFontDataUrl: `${path.join(pdfjsRoot, 'standard_fonts')}/`,
      cMapUrl: `${path.join(pdfjsRoot, 'cmaps')}/`,
      cMapPacked: true,
      useSystemFonts: false,
      disableFontFace: true,
      isEvalSupported: false,
      verbosity: pdfjs.VerbosityLevel.ERRORS,
    });
    const doc = await task.promise;
    for (let p = 1; p <= doc.numPages; p++) {
      const page = await doc.getPage(p);
      const content = await page.getTextContent();
      for (const item of content.items) if ('str' in item) chars += item.str.length;
      page.cleanup();
      pages += 1;
    }
    await task.destroy();
  }
  return { seconds: (performance.now() - started) / 1000, chars, pages };
};

/** Our adapter alone: what Extract asks of it for a text-layer PDF. */
const adapterExtract = async (files: readonly string[]): Promise<{ seconds: number; chars: number; pages: number }> => {
  const reader = createPdfjsPdfReader({ maxPages: 200 });
  const started = performance.now();
  let chars = 0;
  let pages = 0;
  for (const file of files) {
    const doc = await reader.open(new Uint8Array(await readFile(file)));
    try {
      for (let p = 1; p <= doc.pageCount; p++) {
        chars += (await doc.page(p)).text.length;
        pages += 1;
      }
    } finally {
      await doc.close();
    }
  }
  return { seconds: (performance.now() - started) / 1000, chars, pages };
};

/**
 * A PDF reader that answers from pages our adapter read beforehand (keyed by the bytes' SHA-256):
 * the pipeline over it does everything but parse PDFs.
 */

const preReadPdf = async (files: readonly string[]): Promise<PdfReader> => {
  const reader = createPdfjsPdfReader({ maxPages: 200 });
  const byHash = new Map<string, PdfPage[]>();
  const hashOf = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');
  for (const file of files) {
    const bytes = new Uint8Array(await readFile(file));
    const doc = await reader.open(bytes);
    try {
      const pages: PdfPage[] = [];
      for (let p = 1; p <= doc.pageCount; p++) pages.push(await doc.page(p));
      byHash.set(hashOf(bytes), pages);
    } finally {
      await doc.close();
    }
  }
  return {
    open: (bytes): Promise<PdfDocument> => {
      const pages = byHash.get(hashOf(bytes));
      if (pages === undefined) return reader.open(bytes);
      return Promise.resolve({
        pageCount: pages.length,
        page: (n: number) => Promise.resolve(pages[n - 1] as PdfPage),
        close: () => Promise.resolve(),
      });
    },
  };
};

type Variant = 'pipeline' | 'pdfjs' | 'adapter' | 'preRead';

/**
 * The first `limit` files whose every page the pipeline reads from the text layer: a page it OCRs
 * (too little text, a garbage layer) is work raw extraction does not do, so it is not comparable.
 * Decided by the pipeline's own Extract (runtime.extractFile) on a scratch data dir.
 */
const textOnly = async (files: readonly string[], scratch: string, limit: number): Promise<string[]> => {
  // An OCR engine that refuses: a file that needs OCR fails its probe, and no time goes to OCR.
  const refuse = { name: 'tesseract', recognize: () => Promise.reject(new Error('needs OCR')), close: () => Promise.resolve() };
  const runtime = await openRuntime(parseConfig({ dataDir: scratch }), { ocr: refuse });
  try {
    const kept: string[] = [];
    for (const file of files) {
      if (kept.length >= limit) break;
      try {
        const { extraction } = await runtime.extractFile(file);
        if (extraction.pages.length > 0 && extraction.pages.every((p) => p.method !== 'ocr')) kept.push(file);
      } catch {
        // needs OCR, or unreadable: not a text-native PDF
      }
    }
    return kept;
  } finally {
    await runtime.close();
  }
};

export const textPdfFigure = async (ctx: BenchContext): Promise<FigureResult> => {
  const started = performance.now();
  const { dir, remove } = freshDir('text');
  try {
    // Generated: documents of 1–4 pages in the six layouts (one-page documents alone would measure
    // per-document fixed costs, not extraction).
    const count = ctx.quick ? 12 : 200;
    const generated = await Promise.all(
      Array.from({ length: count }, async (_, i) => ({
        name: `doc-${String(i).padStart(4, '0')}.pdf`,
        bytes: await buildPdf(i, 1 + (i % 4)),
      })),
    );
    const inboxes: { set: string; inbox: string }[] = [
      { set: `generated × ${String(count)}`, inbox: writeInbox(path.join(dir, 'generated'), generated) },
    ];
    if (ctx.dataDir !== null) {
      const real = await textOnly(datasetPdfs(ctx.dataDir, 100), path.join(dir, 'probe'), ctx.quick ? 4 : 100);
      if (real.length > 0) {
        const inbox = path.join(dir, 'dataset');
        writeInbox(
          inbox,
          await Promise.all(real.map(async (file) => ({ name: path.basename(file), bytes: new Uint8Array(await readFile(file)) }))),
        );
        inboxes.push({ set: `dataset pdfs/public (text layer only) × ${String(real.length)}`, inbox });
      }
    }
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    const rows: (string | number)[][] = [];
    let pipelineTotal = 0;
    let pdfjsTotal = 0;
    const data: unknown[] = [];
    const restShare: { set: string; share: number }[] = [];
    for (const { set, inbox } of inboxes) {
      const files = readdirSync(inbox)
        .sort()
        .map((name) => path.join(inbox, name));
      const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
      // Warm-up: module loading, JIT, font data.
      await rawExtract(pdfjs, files.slice(0, 3));
      await adapterExtract(files.slice(0, 3));
      let runIndex = 0;
      let pages = 0;
      const openSeconds: number[] = [];
      const preRead = await preReadPdf(files);
      const runs = await interleave<Variant, number>(['pipeline', 'pdfjs', 'adapter', 'preRead'], ctx.quick ? 2 : 5, async (variant) => {
        if (variant === 'pdfjs') {
          const r = await rawExtract(pdfjs, files);
          pages = r.pages;
          return r.seconds;
        }
        if (variant === 'adapter') return (await adapterExtract(files)).seconds;
        const r = await runPipeline(inbox, path.join(dir, `data-${String(runIndex++)}`), variant === 'preRead' ? { pdf: preRead } : {});
        openSeconds.push(r.openSeconds);
        if (r.summary?.pass === undefined || r.summary.failed > 0) throw new Error('text-pdf: pipeline run had failures');
        return r.seconds;
      });
      const p = median(runs.pipeline);
      const raw = median(runs.pdfjs);
      const adapter = median(runs.adapter);
      const rest = median(runs.preRead);
      restShare.push({ set: set.split(' × ')[0] ?? set, share: round(rest / raw, 2) });
      pipelineTotal += p;
      pdfjsTotal += raw;
      const perDoc = (s: number): number => round((s * 1000) / files.length, 2);
      rows.push([
        set,
        pages,
        Math.round(bytes / 1024),
        perDoc(p),
        perDoc(raw),
        perDoc(adapter),
        round(p / raw, 2),
        round(adapter / raw, 2),
        perDoc(p - adapter),
        perDoc(rest),
      ]);
      data.push({ set, documents: files.length, pages, bytes, runs, openSeconds });
      ctx.log(`  text-pdf ${set}: pipeline ${perDoc(p)} ms/doc, pdfjs ${perDoc(raw)} ms/doc, adapter ${perDoc(adapter)} ms/doc`);
    }
    return figure({
      id: 'text-pdf',
      title: '2. Text-native PDFs',
      measured: { label: 'pipeline end to end (runFiles), all sets', value: round(pipelineTotal, 3), unit: 's' },
      reference: { label: 'raw pdfjs-dist getTextContent, tight loop, same files', value: round(pdfjsTotal, 3), unit: 's' },
      ratioLabel: 'pipeline time ÷ raw pdfjs time (lower is faster)',
      target: { op: '<=', value: 1.1, on: 'ratio' },
      tables: [
        {
          title: 'Per set (medians; ms per document)',
          table: {
            columns: [
              'set',
              'pages',
              'KB',
              'pipeline',
              'raw pdfjs',
              'our pdfjs adapter',
              'pipeline ÷ raw',
              'adapter ÷ raw',
              'pipeline − adapter',
              'pipeline, PDFs pre-read',
            ],
            rows,
          },
        },
      ],
      notes: [
        'Runtime start-up (openRuntime, ~0.1–0.3 s once per process) is not counted; every pipeline run uses a fresh data dir, so nothing is answered from a checkpoint.',
        '"pipeline − adapter" is the per-document cost of everything but PDF parsing: ingest (hash, copy, fsync), SQLite (checkpoints, audit, ledger), classify, field extraction, validation, routing (links and JSON), the interpreter.',
        `"pipeline, PDFs pre-read" measures that directly: the same run with a PDF reader that answers from pages read beforehand (no parsing at all). It takes ${restShare.map((r) => `${String(r.share)}× the raw-pdfjs time (${r.set})`).join(', ')}: the pipeline's own work besides parsing (classification, field extraction, validation, the checkpoints that carry the extraction between steps, the audit, routing, the interpreter) is itself of the order of the reference, so the ≤ 1.10 target cannot be met on one thread by trimming overheads; it bounds the ratio at about 1 + that share.`,
      ],
      seconds: (performance.now() - started) / 1000,
      data,
    });
  } finally {
    remove();
  }
};
