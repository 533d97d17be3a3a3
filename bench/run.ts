/**
 * `npm run bench`: the performance figures of issue 10, each a ratio measured side by side in the
 * same run, written to bench/results/<stamp>.{md,json} and bench/results/latest.{md,json}.
 *
 *   1 ocr       pipeline OCR stage ÷ native tesseract CLI (pages/s)          target ≥ 0.95
 *   2 text-pdf  pipeline on text-layer PDFs ÷ raw pdfjs-dist extraction      target ≤ 1.10
 *   3 engine    state machine + checkpoints + audit per document             target ≤ 1 ms
 *   4 memory    peak RSS at 10,000 documents ÷ at 100 (child processes)      target ≤ 1.3
 *   5 scaling   docs/s at concurrency 1, 2 and 4                             informational
 *
 * Usage: npm run bench -- [--quick] [--data <dir>] [--only <figure>[,<figure>]] [--out <dir>]
 *   --quick  fewer pages, documents and rounds (the memory figure keeps its 10,000-document batch)
 *   --data   datasets to add to the generated documents (default ../shared/datasets when present)
 *   --no-data  generated documents only
 */
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { CORES, type BenchContext } from './lib/common.js';
import { FIGURE_IDS, renderMarkdown, stampOf, writeReport, type BenchReport, type FigureId, type FigureResult } from './lib/report.js';

const ROOT = path.resolve(import.meta.dirname, '..');

export interface RunOptions {
  readonly quick: boolean;
  readonly dataDir: string | null;
  readonly only: readonly FigureId[];
  readonly outDir: string;
}

export const parseArgs = (argv: readonly string[], defaults: { dataDir: string; outDir: string }): RunOptions => {
  const value = (name: string): string | undefined => {
    const i = argv.indexOf(`--${name}`);
    if (i < 0) return undefined;
    const v = argv[i + 1];
    if (v === undefined || v.startsWith('--')) throw new Error(`--${name} needs a value`);
    return v;
  };
  const onlyArg = value('only');
  const only = onlyArg === undefined ? [...FIGURE_IDS] : onlyArg.split(',').map((s) => s.trim());
  for (const id of only) {
    if (!(FIGURE_IDS as readonly string[]).includes(id))
      throw new Error(`--only: unknown figure "${id}" (one of ${FIGURE_IDS.join(', ')})`);
  }
  const data = value('data');
  let dataDir: string | null;
  if (argv.includes('--no-data')) dataDir = null;
  else if (data !== undefined) {
    if (!existsSync(data)) throw new Error(`--data: ${data} does not exist`);
    dataDir = path.resolve(data);
  } else dataDir = existsSync(defaults.dataDir) ? defaults.dataDir : null;
  return { quick: argv.includes('--quick'), dataDir, only: only as FigureId[], outDir: path.resolve(value('out') ?? defaults.outDir) };
};

const runFigure = async (id: FigureId, ctx: BenchContext): Promise<FigureResult> => {
  switch (id) {
    case 'ocr':
      return (await import('./figures/ocr.js')).ocrFigure(ctx);
    case 'text-pdf':
      return (await import('./figures/text-pdf.js')).textPdfFigure(ctx);
    case 'engine':
      return (await import('./figures/engine.js')).engineFigure(ctx);
    case 'memory':
      return (await import('./figures/memory.js')).memoryFigure(ctx);
    case 'scaling':
      return (await import('./figures/scaling.js')).scalingFigure(ctx);
  }
};

const versionOf = (pkg: string): string => {
  try {
    // Read from node_modules: some packages' export maps hide their package.json from require.
    return (JSON.parse(readFileSync(path.join(ROOT, 'node_modules', pkg, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

const main = async (): Promise<void> => {
  const options = parseArgs(process.argv.slice(2), {
    dataDir: path.resolve(ROOT, '../shared/datasets'),
    outDir: path.join(ROOT, 'bench/results'),
  });
  const startedAt = new Date();
  const t0 = performance.now();
  const ctx: BenchContext = {
    quick: options.quick,
    dataDir: options.dataDir,
    cores: CORES,
    log: (line) => process.stderr.write(`${line}\n`),
  };
  ctx.log(`bench (${options.quick ? 'quick' : 'full'}): ${options.only.join(', ')}; data: ${options.dataDir ?? 'generated only'}`);
  const figures: FigureResult[] = [];
  for (const id of options.only) {
    ctx.log(`- ${id}`);
    figures.push(await runFigure(id, ctx));
  }
  const docroute = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    mode: options.quick ? 'quick' : 'full',
    data: options.dataDir,
    machine: { node: process.version, cores: CORES, platform: `${process.platform} ${process.arch}`, loadAverage: loadavg() },
    versions: {
      docroute: docroute.version,
      'pdfjs-dist': versionOf('pdfjs-dist'),
      'better-sqlite3': versionOf('better-sqlite3'),
      'aws-local-stepfunctions': versionOf('aws-local-stepfunctions'),
    },
    wallSeconds: (performance.now() - t0) / 1000,
    figures,
  };
  const written = writeReport(report, options.outDir, stampOf(startedAt));
  process.stdout.write(renderMarkdown(report));
  ctx.log(`written: ${written.map((f) => path.relative(process.cwd(), f)).join(', ')}`);
};

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) await main();
