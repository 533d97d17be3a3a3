/**
 * Figure 1, OCR throughput: the pipeline's OCR stage (our `tesseract` OcrEngine adapter, as Extract
 * calls it) in pages/s ÷ the native `tesseract` CLI run directly on the same pages, one process per
 * core with OMP_THREAD_LIMIT=1, launched by xargs so that nothing of ours is in its path.
 * Alternatives a user might pick instead, on the same pages in the same run: our tesseract.js
 * adapter (wasm), and OCRmyPDF when installed (`apt-get install ocrmypdf`), fed one PDF of the pages.
 *
 * Each engine is warmed up on one page (pool start, model load, version probe are not counted);
 * runs are interleaved in a rotating order; figures are medians. CPU per page is reported too: on
 * a shared machine it is the steadier figure. Target: ratio ≥ 0.95.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PDFDocument } from 'pdf-lib';
import { createTesseractCliOcr, detectTesseract } from '../../src/adapters/local/tesseract-cli-ocr.js';
import { createTesseractJsOcr } from '../../src/adapters/local/tesseract-js-ocr.js';
import type { OcrEngine } from '../../src/ports/ocr-engine.js';
import { cpuSeconds, freshDir, interleave, median, type BenchContext } from '../lib/common.js';
import { datasetScans, generatePages, type BenchPage } from '../lib/corpus.js';
import { figure, round, type FigureResult } from '../lib/report.js';

const DPI = 300;

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  readonly words: number;
}

const countWords = (text: string): number => text.split(/\s+/).filter((word) => word !== '').length;

const runEngine = async (engine: OcrEngine, pages: readonly BenchPage[]): Promise<Run> => {
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const results = await Promise.all(pages.map((page) => engine.recognize(page.png, 'image/png')));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpuSeconds: cpuSeconds() - cpuBefore, words: results.reduce((sum, r) => sum + countWords(r.text), 0) };
};

const exec = (command: string, args: readonly string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: [stdin === undefined ? 'ignore' : 'pipe', 'ignore', 'ignore'] });
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`${command} exited with ${String(code)}`));
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });

/** The native CLI, directly: `xargs -P <workers> tesseract page.png out`, OMP_THREAD_LIMIT=1. */
const runCli = async (pages: readonly BenchPage[], workers: number, outDir: string): Promise<Run> => {
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  await exec(
    'xargs',
    ['-0', '-P', String(workers), '-n', '1', 'sh', '-c', `exec tesseract "$1" "${outDir}/$(basename "$1" | tr . _)" 2>/dev/null`, 'sh'],
    { ...process.env, OMP_THREAD_LIMIT: '1' },
    `${pages.map((page) => page.file).join('\0')}\0`,
  );
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  const words = pages.reduce(
    (sum, page) => sum + countWords(readFileSync(path.join(outDir, `${path.basename(page.file).replace(/\./g, '_')}.txt`), 'utf8')),
    0,
  );
  return { seconds, cpuSeconds: cpu, words };
};

/** OCRmyPDF on one PDF of all the pages, text to a sidecar, no output PDF, `--jobs <workers>`. */
const runOcrmypdf = async (pdf: string, workers: number, outDir: string): Promise<Run> => {
  const sidecar = path.join(outDir, 'ocrmypdf.txt');
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  await exec('ocrmypdf', ['--quiet', '--jobs', String(workers), '--force-ocr', '--output-type', 'none', '--sidecar', sidecar, pdf, '-'], {
    ...process.env,
    OMP_THREAD_LIMIT: '1',
  });
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpuSeconds: cpuSeconds() - cpuBefore, words: countWords(readFileSync(sidecar, 'utf8')) };
};

const ocrmypdfVersion = async (): Promise<string | null> =>
  new Promise((resolve) => {
    const child = spawn('ocrmypdf', ['--version'], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', () => resolve(null));
    child.on('close', (code) => resolve(code === 0 ? out.trim() : null));
  });

/** One PDF holding the pages as 300 dpi images: what a scanner hands OCRmyPDF. */
const pagesPdf = async (pages: readonly BenchPage[], file: string): Promise<void> => {
  const doc = await PDFDocument.create();
  for (const page of pages) {
    const image = page.file.endsWith('.png') ? await doc.embedPng(page.png) : await doc.embedJpg(page.png);
    const scale = 72 / DPI;
    doc
      .addPage([image.width * scale, image.height * scale])
      .drawImage(image, { x: 0, y: 0, width: image.width * scale, height: image.height * scale });
  }
  writeFileSync(file, await doc.save());
};

type EngineKey = 'pipeline' | 'cli' | 'tesseractJs' | 'ocrmypdf';
const LABELS: Record<EngineKey, string> = {
  pipeline: 'pipeline OCR stage (tesseract adapter)',
  cli: 'native tesseract CLI, direct (xargs, OMP_THREAD_LIMIT=1)',
  tesseractJs: 'tesseract.js adapter (wasm)',
  ocrmypdf: 'OCRmyPDF --jobs N (sidecar text)',
};

interface Measured {
  readonly pagesPerSecond: number;
  readonly cpuMsPerPage: number;
  readonly wordsPerPage: number;
  readonly runsSeconds: readonly number[];
}

const summarise = (runs: readonly Run[], pages: number): Measured => ({
  pagesPerSecond: round(pages / median(runs.map((r) => r.seconds))),
  cpuMsPerPage: Math.round((median(runs.map((r) => r.cpuSeconds)) * 1000) / pages),
  wordsPerPage: Math.round(median(runs.map((r) => r.words)) / pages),
  runsSeconds: runs.map((r) => round(r.seconds, 2)),
});

interface SetResult {
  readonly set: string;
  readonly pages: number;
  readonly workers: number;
  readonly engines: Partial<Record<EngineKey, Measured>>;
}

const measureSet = async (
  ctx: BenchContext,
  set: string,
  pages: readonly BenchPage[],
  dir: string,
  hasOcrmypdf: boolean,
): Promise<SetResult> => {
  const workers = ctx.cores;
  const outDir = path.join(dir, 'out');
  mkdirSync(outDir, { recursive: true });
  const pdf = path.join(dir, `${set.replace(/\W+/g, '-')}.pdf`);
  if (hasOcrmypdf) await pagesPdf(pages, pdf);
  const native = createTesseractCliOcr({ workers });
  const wasm = createTesseractJsOcr({ workers });
  try {
    const warm = pages[0];
    if (warm !== undefined) await Promise.all([native.recognize(warm.png, 'image/png'), wasm.recognize(warm.png, 'image/png')]);
    const runners: Record<EngineKey, () => Promise<Run>> = {
      pipeline: () => runEngine(native, pages),
      cli: () => runCli(pages, workers, outDir),
      tesseractJs: () => runEngine(wasm, pages),
      ocrmypdf: () => runOcrmypdf(pdf, workers, outDir),
    };
    // The headline pair runs 2 (quick) or 5 times; the alternatives, slower and informational, 1 or 3.
    const rounds = ctx.quick ? 2 : 5;
    const altRounds = ctx.quick ? 1 : 3;
    const keys: EngineKey[] = ['pipeline', 'cli', 'tesseractJs', ...(hasOcrmypdf ? (['ocrmypdf'] as const) : [])];
    const runs = await interleave(keys, rounds, async (key, r) => {
      if (r >= altRounds && (key === 'tesseractJs' || key === 'ocrmypdf')) return null;
      const run = await runners[key]();
      ctx.log(
        `  ocr ${set} ${key}: ${(run.seconds / pages.length).toFixed(3)} s/page wall, ${(run.cpuSeconds / pages.length).toFixed(3)} s/page CPU`,
      );
      return run;
    });
    const engines: Partial<Record<EngineKey, Measured>> = {};
    for (const key of keys)
      engines[key] = summarise(
        runs[key].filter((r): r is Run => r !== null),
        pages.length,
      );
    return { set, pages: pages.length, workers, engines };
  } finally {
    await Promise.all([native.close(), wasm.close()]);
  }
};

export const ocrFigure = async (ctx: BenchContext): Promise<FigureResult> => {
  const started = performance.now();
  const installation = await detectTesseract();
  if (installation === null) throw new Error('native tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng');
  const ocrmypdf = await ocrmypdfVersion();
  const { dir, remove } = freshDir('ocr');
  try {
    // Quick: one set of 4 pages, the dataset's real scans when present, else generated pages.
    const scans = ctx.dataDir === null ? [] : datasetScans(ctx.dataDir, ctx.quick ? 4 : 20);
    const sets: { name: string; pages: BenchPage[] }[] = [];
    if (!ctx.quick || scans.length === 0) {
      sets.push({ name: `generated ${String(DPI)} dpi`, pages: await generatePages(ctx.quick ? 4 : 12, dir, DPI) });
    }
    if (scans.length > 0) sets.push({ name: 'dataset scans', pages: scans });
    const results: SetResult[] = [];
    for (const set of sets) results.push(await measureSet(ctx, set.name, set.pages, dir, ocrmypdf !== null));

    // The headline: all pages of all sets, pages/s from the summed median times.
    const total = (key: EngineKey): { pages: number; seconds: number; cpuMs: number } =>
      results.reduce(
        (acc, r) => {
          const m = r.engines[key];
          if (m === undefined) return acc;
          return {
            pages: acc.pages + r.pages,
            seconds: acc.seconds + r.pages / m.pagesPerSecond,
            cpuMs: acc.cpuMs + m.cpuMsPerPage * r.pages,
          };
        },
        { pages: 0, seconds: 0, cpuMs: 0 },
      );
    const pps = (key: EngineKey): number => {
      const t = total(key);
      return t.pages === 0 ? Number.NaN : round(t.pages / t.seconds);
    };
    const cpuPerPage = (key: EngineKey): number => {
      const t = total(key);
      return t.pages === 0 ? Number.NaN : Math.round(t.cpuMs / t.pages);
    };
    const cli = pps('cli');
    const rows = results.flatMap((r) =>
      (Object.keys(r.engines) as EngineKey[]).map((key) => {
        const m = r.engines[key] as Measured;
        const base = r.engines.cli as Measured;
        return [
          `${r.set} × ${String(r.pages)}`,
          LABELS[key],
          m.pagesPerSecond,
          round(m.pagesPerSecond / base.pagesPerSecond, 2),
          m.cpuMsPerPage,
          round(base.cpuMsPerPage / m.cpuMsPerPage, 2),
          m.wordsPerPage,
        ];
      }),
    );
    const pageCount = results.reduce((sum, r) => sum + r.pages, 0);
    return figure({
      id: 'ocr',
      title: '1. OCR throughput',
      measured: { label: LABELS.pipeline, value: pps('pipeline'), unit: 'pages/s' },
      reference: { label: LABELS.cli, value: cli, unit: 'pages/s' },
      ratioLabel: 'pipeline pages/s ÷ native CLI pages/s (higher is faster)',
      target: { op: '>=', value: 0.95, on: 'ratio' },
      tables: [
        {
          title: 'Per page set and engine (vs the native CLI of the same set)',
          table: {
            columns: ['pages', 'engine', 'pages/s', '÷ CLI', 'CPU ms/page', 'CLI CPU ÷ engine CPU', 'words/page'],
            rows,
          },
        },
        {
          title: 'What a user might pick instead (all pages)',
          table: {
            columns: ['engine', 'pages/s', 'ratio to the native CLI', 'CPU ms/page'],
            rows: (['pipeline', 'tesseractJs', 'ocrmypdf'] as const).map((key) => [
              key === 'ocrmypdf' && ocrmypdf === null ? `${LABELS[key]}: not installed` : LABELS[key],
              pps(key),
              round(pps(key) / cli, 2),
              cpuPerPage(key),
            ]),
          },
        },
      ],
      notes: [
        `${String(pageCount)} pages, ${String(ctx.cores)} workers (one per core); tesseract ${installation.version}, tesseract.js ${
          (createRequire(import.meta.url)('tesseract.js/package.json') as { version: string }).version
        }, OCRmyPDF ${ocrmypdf ?? 'not installed'}.`,
        'The adapter runs faster than the plain CLI because of its process environment (tesseractProcessEnv: OMP_THREAD_LIMIT=1 and glibc transparent huge pages), not because it skips work: the words per page match.',
        'OCRmyPDF also rasterises and assembles a PDF per page; it is what a user might run instead, not a like-for-like OCR call.',
      ],
      seconds: (performance.now() - started) / 1000,
      data: { tesseract: installation.version, ocrmypdf, results },
    });
  } finally {
    remove();
  }
};
