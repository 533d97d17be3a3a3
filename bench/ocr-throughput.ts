/**
 * OCR throughput: pages per second, side by side in one run on the same pages, so machine noise hits
 * every engine alike.
 *
 *   A   our `tesseract` OcrEngine adapter (native CLI, TSV on stdout)  — the pipeline's OCR stage
 *   B   the native `tesseract img.png out` CLI run directly by xargs   — the ceiling A must reach
 *   B+  B with the adapter's environment (tesseractProcessEnv)         — A vs B+ is the adapter's own cost
 *   C   our `tesseract-js` OcrEngine adapter (wasm worker threads)     — the fallback
 *
 * B runs one process per core with OMP_THREAD_LIMIT=1 (without it tesseract starts a thread per core
 * in every process and runs 3–6x slower), launched by xargs so that nothing of ours is in its path.
 * Each engine is warmed up on one page first (pool start, model load, version probe are not counted).
 * Runs are interleaved, in a rotating order, and each figure is the median of 3. Besides wall time,
 * the CPU each engine used per page is reported: on a shared machine it is the steadier figure.
 *
 * Pages: ~12 generated text pages (invoices, letters, tables, two columns, receipts, small print),
 * rendered from generated PDFs at 300 dpi through our pdfjs adapter, as the pipeline rasterises
 * scans. `--data` adds 20 scanned images from ../shared/datasets/classify. Text is never printed.
 *
 * Usage: npx tsx bench/ocr-throughput.ts [--quick] [--data] [--repeats 5]
 *   --quick  4 pages, workers = cores only, no B+: about a minute on 2 idle cores
 *   --repeats N  runs per engine and set, rounded up to odd (default 3): the median is reported
 * Writes bench/results/ocr-throughput.{md,json}.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PDFDocument, StandardFonts, type PDFFont } from 'pdf-lib';
import { createPdfjsPdfReader } from '../src/adapters/local/pdfjs-pdf-reader.js';
import { createTesseractCliOcr, detectTesseract, tesseractProcessEnv } from '../src/adapters/local/tesseract-cli-ocr.js';
import { createTesseractJsOcr } from '../src/adapters/local/tesseract-js-ocr.js';
import type { OcrEngine, OcrResult } from '../src/ports/ocr-engine.js';
import { mulberry32 } from '../src/domain/random.js';

const QUICK = process.argv.includes('--quick');
const DATA = process.argv.includes('--data');
const CORES = availableParallelism();
const repeatsArg = process.argv.indexOf('--repeats');
/** Odd, so the median is one run's figure. More repeats steady the figures on a busy machine. */
const REPEATS = repeatsArg >= 0 ? Math.max(1, Number(process.argv[repeatsArg + 1]) | 1) : 3;
const DPI = 300;
const PAGES = 12;
/** The lighter layouts (invoice, letter, table, columns), so that --quick stays under a minute on 2 cores. */
const QUICK_PAGES = 4;
const DATA_DIR = path.resolve(import.meta.dirname, '../../shared/datasets/classify');
const DATA_IMAGES = 20;

// ---------------------------------------------------------------------------------------------
// Pages

const WORDS = (
  'account amount balance bank billing client contract customer date delivery department description discount due ' +
  'invoice item order payment period price quantity receipt reference service shipping subtotal supplier tax total ' +
  'unit value agreement annual budget committee document meeting memo policy project quarter report review schedule ' +
  'section summary terms the of and to in for with on by from this that please note regarding attached following'
).split(' ');

type Layout = 'invoice' | 'letter' | 'table' | 'columns' | 'receipt' | 'small-print';

const LAYOUTS: readonly Layout[] = ['invoice', 'letter', 'table', 'columns', 'receipt', 'small-print'];

const buildPdf = async (index: number): Promise<Uint8Array> => {
  const random = mulberry32(1000 + index);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const sentence = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const amount = (): string => (random() * 5000).toFixed(2);

  const doc = await PDFDocument.create();
  const fonts: PDFFont[] = [
    await doc.embedFont(StandardFonts.Helvetica),
    await doc.embedFont(StandardFonts.TimesRoman),
    await doc.embedFont(StandardFonts.Courier),
  ];
  const font = fonts[index % fonts.length] as PDFFont;
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  const page = doc.addPage([612, 792]);
  const text = (value: string, x: number, y: number, size: number, face: PDFFont = font): void => {
    page.drawText(value, { x, y, size, font: face });
  };
  const layout = LAYOUTS[index % LAYOUTS.length] as Layout;

  switch (layout) {
    case 'invoice': {
      text('INVOICE', 72, 720, 22, bold);
      text(`Invoice No: INV-${String(10_000 + index)}`, 380, 724, 11);
      text('Date: 2026-03-14', 380, 708, 11);
      for (let i = 0; i < 14; i++) text(`${sentence(4)}   ${String(1 + Math.floor(random() * 9))}   ${amount()} EUR`, 72, 640 - i * 22, 12);
      text(`TOTAL DUE ${amount()} EUR`, 330, 250, 14, bold);
      text('IBAN DE89 3704 0044 0532 0130 00', 72, 120, 10);
      break;
    }
    case 'letter': {
      text('Dear customer,', 72, 700, 12);
      for (let i = 0; i < 30; i++) text(sentence(11), 72, 670 - i * 17, 11);
      text('Kind regards,', 72, 130, 12);
      break;
    }
    case 'table': {
      text('Quarterly summary', 72, 730, 16, bold);
      for (let row = 0; row < 28; row++) {
        for (let col = 0; col < 4; col++) text(col === 0 ? pick(WORDS) : amount(), 72 + col * 120, 690 - row * 21, 10);
      }
      break;
    }
    case 'columns': {
      for (let col = 0; col < 2; col++) {
        for (let i = 0; i < 40; i++) text(sentence(5), 60 + col * 260, 730 - i * 16, 10);
      }
      break;
    }
    case 'receipt': {
      for (let i = 0; i < 34; i++) text(`${pick(WORDS)} ${pick(WORDS)}  ${amount()}`, 200, 740 - i * 18, 11);
      text(`TOTAL ${amount()}`, 200, 110, 13, bold);
      break;
    }
    case 'small-print': {
      for (let i = 0; i < 62; i++) text(sentence(14), 54, 750 - i * 11.5, 8);
      break;
    }
  }
  return doc.save();
};

interface BenchPage {
  readonly name: string;
  readonly png: Uint8Array;
  readonly file: string;
}

const generatePages = async (count: number, dir: string): Promise<BenchPage[]> => {
  const reader = createPdfjsPdfReader();
  const pages: BenchPage[] = [];
  for (let i = 0; i < count; i++) {
    const pdf = await reader.open(await buildPdf(i));
    try {
      const { png } = await (await pdf.page(1)).render(DPI);
      const file = path.join(dir, `page-${String(i).padStart(2, '0')}.png`);
      writeFileSync(file, png);
      pages.push({ name: `${LAYOUTS[i % LAYOUTS.length] ?? 'page'}-${String(i)}`, png, file });
    } finally {
      await pdf.close();
    }
  }
  return pages;
};

/** Every k-th image over the sorted class folders: a spread of document types, the same every run. */
const datasetPages = (dir: string): BenchPage[] => {
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(path.join(dir, entry.name))
        .filter((name) => /\.(png|jpe?g|tiff?)$/i.test(name))
        .map((name) => path.join(dir, entry.name, name)),
    )
    .sort();
  const step = Math.max(1, Math.floor(files.length / DATA_IMAGES));
  return files
    .filter((_, i) => i % step === 0)
    .slice(0, DATA_IMAGES)
    .map((file) => ({ name: path.relative(dir, file), png: new Uint8Array(readFileSync(file)), file }));
};

// ---------------------------------------------------------------------------------------------
// Runners

/**
 * CPU seconds used so far by this process (all its threads: tesseract.js runs in worker threads) and
 * by the children it has waited for (tesseract processes, xargs and its children). Wall time on a
 * shared machine swings with other load; CPU per page does not, and is what throughput per core is.
 */
const CLOCK_TICKS_PER_SECOND = 100; // Linux USER_HZ (getconf CLK_TCK)

const cpuSeconds = (): number => {
  const own = process.cpuUsage();
  let children = 0;
  try {
    // /proc/self/stat: fields after "(comm)"; cutime and cstime are the 14th and 15th of those.
    const stat = readFileSync('/proc/self/stat', 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    children = (Number(fields[13]) + Number(fields[14])) / CLOCK_TICKS_PER_SECOND;
  } catch {
    children = Number.NaN; // not Linux: no figure rather than a wrong one
  }
  return (own.user + own.system) / 1e6 + children;
};

interface Run {
  readonly seconds: number;
  readonly cpuSeconds: number;
  /** Recognised words per page, for a sanity check that A and B did the same work. */
  readonly words: number;
}

const countWords = (text: string): number => text.split(/\s+/).filter((word) => word !== '').length;

const runEngine = async (engine: OcrEngine, pages: readonly BenchPage[]): Promise<Run> => {
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  const results: OcrResult[] = await Promise.all(pages.map((page) => engine.recognize(page.png, 'image/png')));
  const seconds = (performance.now() - started) / 1000;
  return { seconds, cpuSeconds: cpuSeconds() - cpuBefore, words: results.reduce((sum, result) => sum + countWords(result.text), 0) };
};

/** B: `tesseract <png> <out>` per page through `xargs -P`, txt output, with `env`. */
const runCli = async (pages: readonly BenchPage[], workers: number, outDir: string, env: NodeJS.ProcessEnv): Promise<Run> => {
  const cpuBefore = cpuSeconds();
  const started = performance.now();
  await new Promise<void>((resolve, reject) => {
    const child = spawn(
      'xargs',
      ['-0', '-P', String(workers), '-n', '1', 'sh', '-c', `exec tesseract "$1" "${outDir}/$(basename "$1" | tr . _)" 2>/dev/null`, 'sh'],
      { env, stdio: ['pipe', 'ignore', 'ignore'] },
    );
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve();
      else reject(new Error(`xargs tesseract exited with ${String(code)}`));
    });
    child.stdin.end(`${pages.map((page) => page.file).join('\0')}\0`);
  });
  const seconds = (performance.now() - started) / 1000;
  const cpu = cpuSeconds() - cpuBefore;
  const words = pages.reduce(
    (sum, page) => sum + countWords(readFileSync(path.join(outDir, `${path.basename(page.file).replace(/\./g, '_')}.txt`), 'utf8')),
    0,
  );
  return { seconds, cpuSeconds: cpu, words };
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const round = (value: number, digits = 3): number => Math.round(value * 10 ** digits) / 10 ** digits;

interface Measured {
  readonly pagesPerSecond: number;
  /** Wall time over pages: with N workers, N pages run at once. */
  readonly msPerPage: number;
  readonly runsSeconds: readonly number[];
  /** CPU per page, all processes and threads of the engine together. */
  readonly cpuMsPerPage: number;
  readonly wordsPerPage: number;
}

const summarise = (runs: readonly Run[], pages: number): Measured => {
  const seconds = median(runs.map((run) => run.seconds));
  return {
    pagesPerSecond: round(pages / seconds),
    msPerPage: Math.round((seconds * 1000) / pages),
    runsSeconds: runs.map((run) => round(run.seconds, 2)),
    cpuMsPerPage: Math.round((median(runs.map((run) => run.cpuSeconds)) * 1000) / pages),
    wordsPerPage: Math.round(median(runs.map((run) => run.words)) / pages),
  };
};

/**
 * a: our tesseract adapter; b: the plain CLI (OMP_THREAD_LIMIT=1 only); t: the CLI with the
 * adapter's environment (tesseractProcessEnv), which separates what the adapter costs (a vs t) from
 * what its environment saves (t vs b); c: our tesseract-js adapter.
 */
type EngineKey = 'a' | 'b' | 't' | 'c';
const ENGINE_KEYS: readonly EngineKey[] = ['a', 'b', 't', 'c'];
/** --quick leaves out B+, a diagnostic, to stay near a minute; its columns then show "–". */
const RUN_KEYS: readonly EngineKey[] = QUICK ? ['a', 'b', 'c'] : ENGINE_KEYS;

interface SetResult {
  readonly set: string;
  readonly pages: number;
  readonly workers: number;
  readonly engines: Readonly<Record<EngineKey, Measured>>;
  /** Throughput ratios from wall time, the bench's target: a/b ≥ 0.95. */
  readonly aOverB: number;
  readonly aOverT: number;
  readonly cOverB: number;
  /** The same ratios from CPU per page: throughput per core, whatever else the machine was doing. */
  readonly aOverBByCpu: number;
  readonly aOverTByCpu: number;
  readonly cOverBByCpu: number;
  /** One-minute load average when the set finished: above the core count, wall times are inflated. */
  readonly loadAverage: number;
}

const measureSet = async (set: string, pages: readonly BenchPage[], workers: number, outDir: string): Promise<SetResult> => {
  const native = createTesseractCliOcr({ workers });
  const wasm = createTesseractJsOcr({ workers });
  try {
    // Warm-up: tesseract.js starts its pool and loads the model; the adapter probes the version.
    const warm = pages[0];
    if (warm !== undefined) await Promise.all([native.recognize(warm.png, 'image/png'), wasm.recognize(warm.png, 'image/png')]);
    const runners: Record<EngineKey, () => Promise<Run>> = {
      a: () => runEngine(native, pages),
      b: () => runCli(pages, workers, outDir, { ...process.env, OMP_THREAD_LIMIT: '1' }),
      t: () => runCli(pages, workers, outDir, tesseractProcessEnv(process.env)),
      c: () => runEngine(wasm, pages),
    };
    const runs: Record<EngineKey, Run[]> = { a: [], b: [], t: [], c: [] };
    for (let repeat = 0; repeat < REPEATS; repeat++) {
      // Rotate the order so that no engine always runs first (cold caches) or last (other load).
      for (let k = 0; k < RUN_KEYS.length; k++) {
        const key = RUN_KEYS[(repeat + k) % RUN_KEYS.length] ?? 'a';
        const run = await runners[key]();
        runs[key].push(run);
        process.stderr.write(
          `  ${set} workers=${String(workers)} ${key}: ${(run.seconds / pages.length).toFixed(3)} s/page wall, ${(run.cpuSeconds / pages.length).toFixed(3)} s/page CPU\n`,
        );
      }
    }
    const engines = {
      a: summarise(runs.a, pages.length),
      b: summarise(runs.b, pages.length),
      t: summarise(runs.t, pages.length),
      c: summarise(runs.c, pages.length),
    };
    const byWall = (x: Measured, y: Measured): number => round(x.pagesPerSecond / y.pagesPerSecond, 2);
    const byCpu = (x: Measured, y: Measured): number => round(y.cpuMsPerPage / x.cpuMsPerPage, 2);
    return {
      set,
      pages: pages.length,
      workers,
      engines,
      aOverB: byWall(engines.a, engines.b),
      aOverT: byWall(engines.a, engines.t),
      cOverB: byWall(engines.c, engines.b),
      aOverBByCpu: byCpu(engines.a, engines.b),
      aOverTByCpu: byCpu(engines.a, engines.t),
      cOverBByCpu: byCpu(engines.c, engines.b),
      loadAverage: round(loadavg()[0] ?? Number.NaN, 1),
    };
  } finally {
    await Promise.all([native.close(), wasm.close()]);
  }
};

// ---------------------------------------------------------------------------------------------

const tableRow = (cells: readonly (string | number)[]): string =>
  `| ${cells.map((cell) => (typeof cell === 'number' && Number.isNaN(cell) ? '–' : String(cell))).join(' | ')} |`;

const main = async (): Promise<void> => {
  const installation = await detectTesseract();
  if (installation === null) {
    process.stderr.write('native tesseract is not installed: apt-get install tesseract-ocr tesseract-ocr-eng\n');
    process.exitCode = 1;
    return;
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'docroute-ocr-bench-'));
  try {
    const outDir = path.join(dir, 'out');
    mkdirSync(outDir);
    const generated = await generatePages(QUICK ? QUICK_PAGES : PAGES, dir);
    const sets: { name: string; pages: BenchPage[] }[] = [{ name: `generated, ${String(DPI)} dpi`, pages: generated }];
    if (DATA) {
      if (existsSync(DATA_DIR)) sets.push({ name: 'dataset scans', pages: datasetPages(DATA_DIR) });
      else process.stderr.write(`--data: ${DATA_DIR} is absent, skipping the dataset pages\n`);
    }
    const workerCounts = QUICK || CORES === 1 ? [CORES] : [1, CORES];

    const results: SetResult[] = [];
    for (const set of sets) {
      for (const workers of workerCounts) results.push(await measureSet(set.name, set.pages, workers, outDir));
    }

    const result = {
      tesseract: installation.version,
      tesseractJs: (createRequire(import.meta.url)('tesseract.js/package.json') as { version: string }).version,
      cores: CORES,
      quick: QUICK,
      repeats: REPEATS,
      node: process.version,
      results,
    };
    const label = (r: SetResult): string => `${r.set} × ${String(r.pages)}`;
    const md = [
      `# OCR throughput (tesseract ${installation.version}, tesseract.js ${result.tesseractJs}, ${String(CORES)} cores, median of ${String(REPEATS)})`,
      '',
      '- **A**: our `tesseract` adapter, the pipeline OCR stage (stdin → TSV, its own environment)',
      '- **B**: the native CLI run directly: `xargs -P <workers> tesseract img.png out`, OMP_THREAD_LIMIT=1',
      '- **B+**: B with the adapter’s environment (`tesseractProcessEnv`: also glibc huge pages): A vs B+ is what the adapter costs',
      '- **C**: our `tesseract-js` adapter (wasm worker threads)',
      '',
      'Warm-up excluded; runs interleaved in rotating order. ms/page = wall time / pages (N workers run N pages at once).',
      '',
      '## Throughput (wall time)',
      '',
      tableRow([
        'pages',
        'workers',
        'A pages/s',
        'B pages/s',
        'B+ pages/s',
        'C pages/s',
        'A ms/page',
        'B ms/page',
        'B+ ms/page',
        'C ms/page',
        'A/B',
        'A/B+',
        'C/B',
        'load',
      ]),
      tableRow(['---', ...Array<string>(13).fill('---:')]),
      ...results.map((r) =>
        tableRow([
          label(r),
          r.workers,
          ...ENGINE_KEYS.map((key) => r.engines[key].pagesPerSecond),
          ...ENGINE_KEYS.map((key) => r.engines[key].msPerPage),
          r.aOverB,
          r.aOverT,
          r.cOverB,
          r.loadAverage,
        ]),
      ),
      '',
      '## CPU per page (all processes and threads; insensitive to other load on the machine)',
      '',
      tableRow(['pages', 'workers', 'A CPU ms', 'B CPU ms', 'B+ CPU ms', 'C CPU ms', 'A/B', 'A/B+', 'C/B', 'words/page A, B, B+, C']),
      tableRow(['---', ...Array<string>(8).fill('---:'), '---']),
      ...results.map((r) =>
        tableRow([
          label(r),
          r.workers,
          ...ENGINE_KEYS.map((key) => r.engines[key].cpuMsPerPage),
          r.aOverBByCpu,
          r.aOverTByCpu,
          r.cOverBByCpu,
          ENGINE_KEYS.map((key) => (Number.isNaN(r.engines[key].wordsPerPage) ? '–' : String(r.engines[key].wordsPerPage))).join(', '),
        ]),
      ),
      '',
      `Target: A/B ≥ 0.95 at workers = cores. Ratios are throughput ratios (higher is faster). Load average at the end: ${String(loadavg()[0]?.toFixed(1))} on ${String(CORES)} cores; above the core count, trust the CPU table.`,
      '',
    ].join('\n');
    const resultsDir = path.resolve(import.meta.dirname, 'results');
    mkdirSync(resultsDir, { recursive: true });
    writeFileSync(path.join(resultsDir, 'ocr-throughput.json'), `${JSON.stringify(result, null, 2)}\n`);
    writeFileSync(path.join(resultsDir, 'ocr-throughput.md'), md);
    process.stdout.write(md);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

await main();
