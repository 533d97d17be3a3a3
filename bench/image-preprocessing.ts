/**
 * Does image pre-processing help OCR, and which settings help most? Each page is recognised as it
 * is stored ("raw") and after the sharp image pipeline, by tesseract.js (the project's adapter) and,
 * when installed, by native tesseract (`tesseract stdin stdout tsv`, one thread per process).
 *
 * Three page sets:
 *   rvl        RVL-CDIP scans (~100 dpi greyscale) from classify/{letter,memo,invoice,news_article}.
 *              No ground truth: scored by mean word confidence, words with confidence > 0.8, and
 *              "dictionary words" (3+ letters, found in a word list built from the text layers of
 *              the English public PDFs in the dataset, so it is independent of the OCR engine).
 *   receipts   SROIE receipt photos (JPEG colour). Ground truth transcripts: scored by bag-of-words
 *              recall, precision and F1 as well.
 *   synthetic  Text pages (Times/Helvetica/Courier, 8-9 pt) rendered at 100 dpi: known text, no
 *              dataset needed. Scored like receipts.
 *
 * The sweep (native tesseract only, to keep the run under half an hour) varies target dpi, kernel,
 * upscale cap, colour and deskew to choose the defaults, and a page-by-page table shows whether a
 * difference is broad or one page's. Only numbers are written: never recognised or ground-truth text.
 *
 * Writes bench/results/image-preprocessing.{md,json}.
 * Usage: npx tsx bench/image-preprocessing.ts [--per-class 4] [--receipts 15] [--synthetic 6] [--no-sweep] [--no-js]
 */
import '../src/orchestration/local/polyfills.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createPdfjsPdfReader } from '../src/adapters/local/pdfjs-pdf-reader.js';
import { createSharpImagePipeline, type ResizeKernel } from '../src/adapters/local/sharp-image-pipeline.js';
import { createTesseractJsOcr } from '../src/adapters/local/tesseract-js-ocr.js';
import type { Line, MediaType } from '../src/domain/document.js';
import type { ImageOptions } from '../src/ports/image-pipeline.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const DATASETS = path.resolve(ROOT, '../shared/datasets');
const RESULTS = path.join(ROOT, 'bench/results');

const argNumber = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const flag = (name: string): boolean => process.argv.includes(`--${name}`);

const PER_CLASS = argNumber('per-class', 4);
const RECEIPTS = argNumber('receipts', 15);
const SYNTHETIC = argNumber('synthetic', 6);
const RVL_CLASSES = ['letter', 'memo', 'invoice', 'news_article'];

/** The pipeline defaults under test (config `extract.image`), deskew off as in the config default. */
const DEFAULTS: ImageOptions = { maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false };

interface Page {
  readonly set: 'rvl' | 'receipts' | 'synthetic';
  readonly name: string;
  readonly bytes: Uint8Array;
  readonly mediaType: MediaType;
  /** Ground-truth tokens, when known. */
  readonly truth?: readonly string[];
}

interface Variant {
  readonly id: string;
  readonly label: string;
  /** The sets the variant says something about (all when absent): a kernel only matters where pages are upscaled. */
  readonly sets?: readonly Page['set'][];
  /** null: the raw bytes. */
  readonly image: { readonly options: ImageOptions; readonly kernel: ResizeKernel; readonly maxUpscale: number } | null;
}

interface OcrWord {
  readonly text: string;
  /** In [0, 1]; undefined when the engine gave no word confidences. */
  readonly confidence: number | undefined;
}

interface OcrOutput {
  readonly text: string;
  readonly confidence: number;
  readonly words: readonly OcrWord[];
}

interface PageScore {
  readonly page: string;
  readonly set: Page['set'];
  readonly width: number;
  readonly height: number;
  readonly dpi: number | null;
  readonly prepareMs: number;
  readonly ocrMs: number;
  readonly confidence: number;
  readonly words: number;
  readonly confidentWords: number | null;
  readonly dictionaryWords: number;
  readonly recall: number | null;
  readonly precision: number | null;
}

// ---------------------------------------------------------------------------------------------
// Page sets

const sortedFiles = (dir: string, pattern: RegExp): string[] =>
  readdirSync(dir)
    .filter((f) => pattern.test(f))
    .sort();

const tokens = (text: string): string[] => text.toLowerCase().match(/[a-z0-9]+/g) ?? [];

const rvlPages = (): Page[] =>
  RVL_CLASSES.flatMap((cls) => {
    const dir = path.join(DATASETS, 'classify', cls);
    return sortedFiles(dir, /\.png$/i)
      .slice(0, PER_CLASS)
      .map((f): Page => ({ set: 'rvl', name: `${cls}/${f}`, bytes: readFileSync(path.join(dir, f)), mediaType: 'image/png' }));
  });

const receiptPages = (): Page[] => {
  const dir = path.join(DATASETS, 'receipts');
  return sortedFiles(dir, /\.jpg$/i)
    .slice(0, RECEIPTS)
    .map((f): Page => ({
      set: 'receipts',
      name: f,
      bytes: readFileSync(path.join(dir, f)),
      mediaType: 'image/jpeg',
      truth: tokens(readFileSync(path.join(dir, f.replace(/\.jpg$/i, '.txt')), 'utf8')),
    }));
};

/** A small seeded generator, so the synthetic pages are the same on every run. */
const prng = (seed: number): (() => number) => {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
};

const WORD_POOL = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over man ' +
  'me even most made after also did many before must through back years where much your way well down should because ' +
  'each just those people how too little state good very make world still own see men work long get here between both ' +
  'life being under never day same another know while last might us great old year off come since against go came right ' +
  'used take three invoice payment account balance received order number total amount customer service report company ' +
  'department management committee meeting agreement contract schedule budget program research product market office'
).split(' ');

const syntheticPages = async (): Promise<Page[]> => {
  const reader = createPdfjsPdfReader();
  const fonts = [StandardFonts.TimesRoman, StandardFonts.Helvetica, StandardFonts.Courier];
  const sizes = [8, 9, 10];
  const pages: Page[] = [];
  for (let n = 0; n < SYNTHETIC; n++) {
    const random = prng(1000 + n);
    const doc = await PDFDocument.create();
    const font = await doc.embedFont(fonts[n % fonts.length] ?? StandardFonts.TimesRoman);
    const size = sizes[Math.floor(n / fonts.length) % sizes.length] ?? 9;
    const pdfPage = doc.addPage([612, 792]);
    const lines: string[] = [];
    for (let y = 740; y > 60; y -= size * 1.6) {
      const words: string[] = [];
      while (font.widthOfTextAtSize(words.join(' '), size) < 440) {
        const r = random();
        words.push(r < 0.08 ? String(Math.floor(random() * 100_000)) : (WORD_POOL[Math.floor(random() * WORD_POOL.length)] ?? 'the'));
      }
      words.pop();
      const line = words.join(' ');
      pdfPage.drawText(line, { x: 72, y, size, font });
      lines.push(line);
    }
    const pdf = await reader.open(await doc.save());
    try {
      const { png } = await (await pdf.page(1)).render(100);
      pages.push({
        set: 'synthetic',
        name: `synthetic-${String(n)}-${String(size)}pt`,
        bytes: png,
        mediaType: 'image/png',
        truth: tokens(lines.join('\n')),
      });
    } finally {
      await pdf.close();
    }
  }
  return pages;
};

/**
 * A word list independent of the OCR engine: words of 3+ letters seen at least twice in the text
 * layers of the dataset's English public-record PDFs.
 */
const buildWordList = async (): Promise<Set<string>> => {
  const dir = path.join(DATASETS, 'pdfs/public');
  const sources = [
    'federal-register-2020-17221.pdf',
    'scotus-transcript-p1.pdf',
    'cupertino_usd_4-6-16.pdf',
    'la-precinct-bulletin-2014-p1.pdf',
    'chelsea_pdta.pdf',
    'WARN-Report-for-7-1-2015-to-03-25-2016.pdf',
  ];
  const counts = new Map<string, number>();
  const reader = createPdfjsPdfReader();
  for (const file of sources) {
    const full = path.join(dir, file);
    if (!existsSync(full)) continue;
    const pdf = await reader.open(readFileSync(full));
    try {
      for (let p = 1; p <= pdf.pageCount; p++) {
        for (const word of (await pdf.page(p)).text.toLowerCase().match(/[a-z]{3,}/g) ?? []) counts.set(word, (counts.get(word) ?? 0) + 1);
      }
    } finally {
      await pdf.close();
    }
  }
  for (const word of WORD_POOL) counts.set(word, 2);
  return new Set([...counts].filter(([, n]) => n >= 2).map(([w]) => w));
};

// ---------------------------------------------------------------------------------------------
// OCR engines

type Engine = (image: Uint8Array, mediaType: MediaType) => Promise<OcrOutput>;

const nativeTesseractAvailable = (): boolean => spawnSync('tesseract', ['--version'], { stdio: 'ignore' }).status === 0;

/** Native tesseract over stdin/stdout; TSV gives word confidences. stderr is dropped: warnings only, and this bench prints no page data. */
const nativeTesseract: Engine = (image) =>
  new Promise((resolve, reject) => {
    const child = spawn('tesseract', ['stdin', 'stdout', 'tsv'], {
      env: { ...process.env, OMP_THREAD_LIMIT: '1' },
      stdio: ['pipe', 'pipe', 'ignore'],
    });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) {
        reject(new Error(`tesseract exited with ${String(code)}`));
        return;
      }
      const words: OcrWord[] = [];
      for (const row of Buffer.concat(chunks).toString('utf8').split('\n').slice(1)) {
        const cols = row.split('\t');
        if (cols[0] !== '5' || cols.length < 12) continue;
        const text = cols.slice(11).join('\t').trim();
        const conf = Number(cols[10]);
        if (text.length > 0 && conf >= 0) words.push({ text, confidence: conf / 100 });
      }
      const confidence = words.length > 0 ? words.reduce((s, w) => s + (w.confidence ?? 0), 0) / words.length : 0;
      resolve({ text: words.map((w) => w.text).join(' '), confidence, words });
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(image);
  });

const tesseractJs = (ocr: ReturnType<typeof createTesseractJsOcr>): Engine => {
  return async (image, mediaType) => {
    const result = await ocr.recognize(image, mediaType);
    // Word confidences when the adapter gives geometry; the mean confidence otherwise.
    const lines = (result.lines as readonly Line[] | undefined) ?? [];
    const words: OcrWord[] = lines.flatMap((line) => line.words.map((w) => ({ text: w.text, confidence: w.confidence })));
    return {
      text: result.text,
      confidence: result.confidence,
      words: words.length > 0 ? words : (result.text.match(/\S+/g) ?? []).map((text) => ({ text, confidence: undefined })),
    };
  };
};

// ---------------------------------------------------------------------------------------------
// Scoring

const bagOfWords = (ocr: readonly string[], truth: readonly string[]): { recall: number; precision: number } => {
  const remaining = new Map<string, number>();
  for (const t of truth) remaining.set(t, (remaining.get(t) ?? 0) + 1);
  let matched = 0;
  for (const t of ocr) {
    const left = remaining.get(t) ?? 0;
    if (left > 0) {
      matched++;
      remaining.set(t, left - 1);
    }
  }
  return { recall: truth.length > 0 ? matched / truth.length : 0, precision: ocr.length > 0 ? matched / ocr.length : 0 };
};

const runVariant = async (
  engine: Engine,
  concurrency: number,
  pages: readonly Page[],
  variant: Variant,
  dictionary: ReadonlySet<string>,
): Promise<PageScore[]> => {
  const pipeline = variant.image ? createSharpImagePipeline({ kernel: variant.image.kernel, maxUpscale: variant.image.maxUpscale }) : null;
  const scores: PageScore[] = new Array<PageScore>(pages.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < pages.length) {
      const i = next++;
      const page = pages[i]!;
      const t0 = performance.now();
      let image = page.bytes;
      let mediaType = page.mediaType;
      let size = { width: 0, height: 0 };
      let dpi: number | null = null;
      if (pipeline && variant.image) {
        const prepared = await pipeline.prepare(page.bytes, page.mediaType, 1, variant.image.options);
        image = prepared.png;
        mediaType = 'image/png';
        size = { width: prepared.width, height: prepared.height };
        dpi = prepared.dpi;
      } else {
        const raw = await createSharpImagePipeline().prepare(page.bytes, page.mediaType, 1, { ...DEFAULTS, upscaleBelowDpi: 0 });
        size = { width: raw.originalWidth, height: raw.originalHeight };
        dpi = raw.dpi;
      }
      const t1 = performance.now();
      const out = await engine(image, mediaType);
      const t2 = performance.now();
      const ocrTokens = tokens(out.text);
      const truthScore = page.truth ? bagOfWords(ocrTokens, page.truth) : null;
      const withConfidence = out.words.filter((w) => w.confidence !== undefined);
      scores[i] = {
        page: page.name,
        set: page.set,
        ...size,
        dpi,
        prepareMs: variant.image ? t1 - t0 : 0,
        ocrMs: t2 - t1,
        confidence: out.confidence,
        words: out.words.length,
        // null only when the engine gave words without confidences; a page with no words counts 0.
        confidentWords: withConfidence.length === out.words.length ? withConfidence.filter((w) => (w.confidence ?? 0) > 0.8).length : null,
        dictionaryWords: (out.text.toLowerCase().match(/[a-z]{3,}/g) ?? []).filter((w) => dictionary.has(w)).length,
        recall: truthScore?.recall ?? null,
        precision: truthScore?.precision ?? null,
      };
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return scores;
};

interface Summary {
  readonly engine: string;
  readonly variant: string;
  readonly label: string;
  readonly set: Page['set'];
  readonly pages: number;
  readonly meanConfidence: number;
  readonly meanWords: number;
  readonly meanConfidentWords: number | null;
  readonly meanDictionaryWords: number;
  readonly recall: number | null;
  readonly precision: number | null;
  readonly f1: number | null;
  readonly meanOcrMs: number;
  readonly meanPrepareMs: number;
  readonly meanDpi: number | null;
}

const mean = (values: readonly number[]): number => (values.length > 0 ? values.reduce((a, b) => a + b, 0) / values.length : 0);

const summarise = (engine: string, variant: Variant, set: Page['set'], scores: readonly PageScore[]): Summary => {
  const confident = scores.map((s) => s.confidentWords).filter((n): n is number => n !== null);
  const recalls = scores.map((s) => s.recall).filter((n): n is number => n !== null);
  const precisions = scores.map((s) => s.precision).filter((n): n is number => n !== null);
  const recall = recalls.length > 0 ? mean(recalls) : null;
  const precision = precisions.length > 0 ? mean(precisions) : null;
  const dpis = scores.map((s) => s.dpi).filter((n): n is number => n !== null);
  return {
    engine,
    variant: variant.id,
    label: variant.label,
    set,
    pages: scores.length,
    meanConfidence: mean(scores.map((s) => s.confidence)),
    meanWords: mean(scores.map((s) => s.words)),
    meanConfidentWords: confident.length === scores.length ? mean(confident) : null,
    meanDictionaryWords: mean(scores.map((s) => s.dictionaryWords)),
    recall,
    precision,
    f1: recall !== null && precision !== null && recall + precision > 0 ? (2 * recall * precision) / (recall + precision) : null,
    meanOcrMs: mean(scores.map((s) => s.ocrMs)),
    meanPrepareMs: mean(scores.map((s) => s.prepareMs)),
    meanDpi: dpis.length > 0 ? mean(dpis) : null,
  };
};

// ---------------------------------------------------------------------------------------------
// Variants

const prepared = (
  id: string,
  label: string,
  options: Partial<ImageOptions>,
  kernel: ResizeKernel = 'lanczos3',
  maxUpscale = 3,
  sets?: readonly Page['set'][],
): Variant => ({
  id,
  label,
  image: { options: { ...DEFAULTS, ...options }, kernel, maxUpscale },
  ...(sets ? { sets } : {}),
});

const RAW: Variant = { id: 'raw', label: 'raw bytes', image: null };
const DEFAULT_VARIANT = prepared('default', 'grey, upscale <200 dpi to 300 (lanczos3, cap 3x)', {});

/** Pages that the defaults upscale by 2-3x: where target and kernel make a difference. */
const UPSCALED: readonly Page['set'][] = ['rvl', 'synthetic'];

const SWEEP: Variant[] = [
  prepared('no-upscale', 'grey + density only, no upscale', { upscaleBelowDpi: 0 }),
  prepared('t200', 'target 200 dpi', { upscaleBelowDpi: 200, targetDpi: 200 }, 'lanczos3', 5),
  prepared('t250', 'target 250 dpi', { upscaleBelowDpi: 250, targetDpi: 250 }, 'lanczos3', 5),
  prepared('t300-cap5', 'target 300 dpi, cap 5x', { upscaleBelowDpi: 300, targetDpi: 300 }, 'lanczos3', 5, UPSCALED),
  prepared('t400-cap5', 'target 400 dpi, cap 5x', { upscaleBelowDpi: 400, targetDpi: 400 }, 'lanczos3', 5, UPSCALED),
  // When enlarging, libvips uses its bicubic interpolator for every kernel but nearest and linear
  // (cubic, mitchell, lanczos2/3 and mks2013/2021 give identical bytes), so linear is the one alternative.
  prepared('k-linear', 'kernel linear', {}, 'linear', 3, UPSCALED),
  prepared('colour', 'colour kept (no greyscale)', { grayscale: false }, 'lanczos3', 3, ['receipts']),
  prepared('deskew', 'default + deskew', { deskew: true }, 'lanczos3', 3, ['rvl', 'receipts']),
];

// ---------------------------------------------------------------------------------------------

const fmt = (n: number | null, digits = 3): string => (n === null ? '–' : n.toFixed(digits));

type PairedMetric = 'dictionaryWords' | 'confidence' | 'recall';

/** Page by page, how often `variant` beat `baseline` on a metric: means alone hide whether a gain is broad or one page's. */
const paired = (baseline: readonly PageScore[], variant: readonly PageScore[], metric: PairedMetric): string => {
  const before = new Map(baseline.map((s) => [s.page, s[metric]]));
  let better = 0;
  let worse = 0;
  let same = 0;
  let sum = 0;
  for (const score of variant) {
    const a = before.get(score.page);
    const b = score[metric];
    if (a === undefined || a === null || b === null) continue;
    sum += b - a;
    if (b - a > 1e-9) better++;
    else if (a - b > 1e-9) worse++;
    else same++;
  }
  const n = better + worse + same;
  return n === 0 ? '–' : `${String(better)} / ${String(worse)} / ${String(same)} (Δ ${(sum / n).toFixed(3)})`;
};

const pairedTable = (perPage: Readonly<Record<string, PageScore[]>>): string => {
  const rows: string[] = [];
  const row = (label: string, baseline: readonly PageScore[] | undefined, variant: readonly PageScore[] | undefined): void => {
    if (!baseline || !variant) return;
    rows.push(
      `| ${label} | ${String(variant.length)} | ${paired(baseline, variant, 'dictionaryWords')} | ${paired(baseline, variant, 'confidence')} | ` +
        `${paired(baseline, variant, 'recall')} |`,
    );
  };
  for (const engine of ['tesseract-native', 'tesseract-js'])
    row(`${engine}: default vs raw`, perPage[`${engine}/raw`], perPage[`${engine}/default`]);
  for (const variant of SWEEP)
    row(`tesseract-native: ${variant.id} vs default`, perPage['tesseract-native/default'], perPage[`tesseract-native/${variant.id}`]);
  return (
    '| comparison | pages | dict words: better / worse / same (mean Δ) | mean conf | recall |\n' +
    '|---|---:|---|---|---|\n' +
    rows.join('\n')
  );
};

const table = (rows: readonly Summary[]): string => {
  const head =
    '| engine | set | variant | pages | mean dpi | mean conf | words | words conf>0.8 | dict words | recall | precision | F1 | OCR ms | prep ms |\n' +
    '|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n';
  return (
    head +
    rows
      .map(
        (r) =>
          `| ${r.engine} | ${r.set} | ${r.variant} | ${String(r.pages)} | ${fmt(r.meanDpi, 0)} | ${fmt(r.meanConfidence)} | ${fmt(r.meanWords, 1)} | ` +
          `${fmt(r.meanConfidentWords, 1)} | ${fmt(r.meanDictionaryWords, 1)} | ${fmt(r.recall)} | ${fmt(r.precision)} | ${fmt(r.f1)} | ` +
          `${fmt(r.meanOcrMs, 0)} | ${fmt(r.meanPrepareMs, 0)} |`,
      )
      .join('\n')
  );
};

const writeResults = (summaries: readonly Summary[], perPage: Readonly<Record<string, PageScore[]>>): void => {
  mkdirSync(RESULTS, { recursive: true });
  const options = { perClass: PER_CLASS, receipts: RECEIPTS, synthetic: SYNTHETIC, classes: RVL_CLASSES, defaults: DEFAULTS };
  writeFileSync(path.join(RESULTS, 'image-preprocessing.json'), `${JSON.stringify({ options, summaries, perPage }, null, 2)}\n`);
  const bySet = (set: Page['set']): Summary[] => summaries.filter((s) => s.set === set);
  const md = [
    '# Image pre-processing and OCR',
    '',
    `Generated by \`npx tsx bench/image-preprocessing.ts\`. Pages: RVL-CDIP ${String(PER_CLASS)} per class from ${RVL_CLASSES.join(', ')}; ` +
      `${String(RECEIPTS)} SROIE receipts; ${String(SYNTHETIC)} synthetic 100 dpi text pages. Native tesseract runs one thread per process, ` +
      'two processes; tesseract.js two workers. OCR and prep times are wall-clock on a shared 2-core machine: compare them within a run only.',
    '',
    '"words conf>0.8" counts words whose confidence is above 0.8; "dict words" counts words of 3+ letters found in a word list built from the',
    "dataset's English public PDFs. Recall, precision and F1 are bag-of-words scores against the ground truth (receipts and synthetic pages only).",
    '',
    ...(['rvl', 'receipts', 'synthetic'] as const).flatMap((set) =>
      bySet(set).length > 0 ? [`## ${set}`, '', table(bySet(set)), ''] : [],
    ),
    '## Page by page',
    '',
    'Pages where the variant scored higher / lower / the same as its baseline, and the mean per-page difference.',
    '',
    pairedTable(perPage),
    '',
    '## Variants',
    '',
    ...[RAW, DEFAULT_VARIANT, ...SWEEP].map((v) => `- \`${v.id}\`: ${v.label}${v.sets ? ` (${v.sets.join(', ')} only)` : ''}`),
    '',
  ].join('\n');
  writeFileSync(path.join(RESULTS, 'image-preprocessing.md'), md);
};

const main = async (): Promise<void> => {
  const haveDatasets = existsSync(path.join(DATASETS, 'classify'));
  if (!haveDatasets) console.log(`no datasets at ${DATASETS}: only the synthetic pages are measured`);
  const pages: Page[] = [...(haveDatasets ? [...rvlPages(), ...receiptPages()] : []), ...(await syntheticPages())];
  const dictionary = haveDatasets ? await buildWordList() : new Set(WORD_POOL);
  console.log(`pages: ${String(pages.length)}; word list: ${String(dictionary.size)} words`);

  const native = nativeTesseractAvailable();
  const jsOcr = flag('no-js') ? undefined : createTesseractJsOcr({ workers: 2 });
  // The comparison the defaults rest on first; the sweep (native only, to keep the run short) after it.
  const runs: { engine: string; ocr: Engine; variant: Variant }[] = [];
  for (const variant of [RAW, DEFAULT_VARIANT]) {
    if (native) runs.push({ engine: 'tesseract-native', ocr: nativeTesseract, variant });
    if (jsOcr) runs.push({ engine: 'tesseract-js', ocr: tesseractJs(jsOcr), variant });
  }
  if (native && !flag('no-sweep')) runs.push(...SWEEP.map((variant) => ({ engine: 'tesseract-native', ocr: nativeTesseract, variant })));

  const summaries: Summary[] = [];
  const perPage: Record<string, PageScore[]> = {};
  try {
    for (const { engine, ocr, variant } of runs) {
      const t0 = performance.now();
      const subset = pages.filter((p) => variant.sets?.includes(p.set) ?? true);
      const scores = await runVariant(ocr, 2, subset, variant, dictionary);
      perPage[`${engine}/${variant.id}`] = scores;
      for (const set of ['rvl', 'receipts', 'synthetic'] as const) {
        const ofSet = scores.filter((s) => s.set === set);
        if (ofSet.length > 0) summaries.push(summarise(engine, variant, set, ofSet));
      }
      // Written after every run, so a long sweep can be read (or stopped) half-way.
      writeResults(summaries, perPage);
      console.log(`${engine} ${variant.id}: ${String(subset.length)} pages, ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    await jsOcr?.close();
  }
  console.log(readFileSync(path.join(RESULTS, 'image-preprocessing.md'), 'utf8'));
};

await main();
