/**
 * Figure 5, scaling: documents per second of the real pipeline at concurrency 1, 2 and 4
 * (config engine.maxConcurrency = extract.ocr.workers = c), on a mixed inbox of scans (OCR) and
 * text-layer PDFs, runs interleaved, fresh data dir per run. Informational: the headline ratio is
 * docs/s at 2 ÷ at 1; the note says what bounds the curve.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { freshDir, interleave, median, type BenchContext } from '../lib/common.js';
import { buildPdf, generatePages } from '../lib/corpus.js';
import { runPipeline, writeInbox } from '../lib/pipeline.js';
import { figure, round, type FigureResult } from '../lib/report.js';

const LEVELS = ['1', '2', '4'] as const;

export const scalingFigure = async (ctx: BenchContext): Promise<FigureResult> => {
  const started = performance.now();
  const { dir, remove } = freshDir('scaling');
  try {
    const scans = ctx.quick ? 2 : 12;
    const texts = ctx.quick ? 4 : 40;
    // Scans at 200 dpi: the OCR share of a typical mixed inbox without making --quick slow.
    const pages = await generatePages(scans, dir, 200);
    const docs = [
      ...pages.map((p, i) => ({ name: `scan-${String(i).padStart(3, '0')}.png`, bytes: new Uint8Array(readFileSync(p.file)) })),
      ...(await Promise.all(
        Array.from({ length: texts }, async (_, i) => ({
          name: `text-${String(i).padStart(3, '0')}.pdf`,
          bytes: await buildPdf(500 + i, 1 + (i % 3)),
        })),
      )),
    ];
    const inbox = writeInbox(path.join(dir, 'inbox'), docs);
    let runIndex = 0;
    const runs = await interleave(LEVELS, ctx.quick ? 1 : 3, async (level) => {
      const c = Number(level);
      const r = await runPipeline(inbox, path.join(dir, `data-${String(runIndex++)}`), { concurrency: c, ocrWorkers: c });
      ctx.log(`  scaling c=${level}: ${(r.documents / r.seconds).toFixed(2)} docs/s`);
      return r.documents / r.seconds;
    });
    const dps = (level: (typeof LEVELS)[number]): number => round(median(runs[level]), 3);
    const one = dps('1');
    return figure({
      id: 'scaling',
      title: '5. Scaling',
      measured: { label: `docs/s at concurrency 2 (${String(ctx.cores)} cores)`, value: dps('2'), unit: 'docs/s' },
      reference: { label: 'docs/s at concurrency 1', value: one, unit: 'docs/s' },
      ratioLabel: 'speed-up at concurrency 2 over 1',
      target: null,
      tables: [
        {
          title: `docs/s by concurrency (${String(scans)} scans + ${String(texts)} text PDFs)`,
          table: { columns: ['concurrency', 'docs/s', 'speed-up over 1'], rows: LEVELS.map((l) => [l, dps(l), round(dps(l) / one, 2)]) },
        },
      ],
      notes: [
        `On ${String(ctx.cores)} cores OCR (one tesseract process per slot) scales until the cores are busy; ` +
          'pdfjs, SQLite and the interpreter run on the one Node thread, so the text-PDF share does not scale, and concurrency above the core count adds contention, not throughput.',
      ],
      seconds: (performance.now() - started) / 1000,
      data: { scans, texts, runs },
    });
  } finally {
    remove();
  }
};
