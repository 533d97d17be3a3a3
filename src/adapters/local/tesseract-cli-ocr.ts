import { execFile, spawn, type ChildProcess } from 'node:child_process';
import type { BoundingBox, Line, Word } from '../../domain/document.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  InternalError,
  InvalidStepInputError,
  StepTimeoutError,
  type PipelineError,
} from '../../domain/errors.js';
import type { OcrEngine, OcrResult } from '../../ports/ocr-engine.js';
import { checkOcrImage, clamp01, normaliseBox } from './tesseract-js-ocr.js';

export interface TesseractCliOcrOptions {
  /** Most tesseract processes running at once; further calls wait in a queue. One per core is fastest. */
  readonly workers: number;
  /** Tesseract language code(s), e.g. `eng` or `eng+deu`. Defaults to `eng`. */
  readonly lang?: string;
  /** Page segmentation mode (`--psm`), 0–13. Defaults to 3: fully automatic, as the CLI does. */
  readonly psm?: number;
  /** The tesseract executable: a name looked up on PATH, or a path. Defaults to `tesseract`. */
  readonly binary?: string;
  /** Environment for the processes, over this process's environment and the settings of `tesseractProcessEnv`. */
  readonly env?: NodeJS.ProcessEnv;
}

/** The glibc tunable that backs malloc's heap with transparent huge pages (glibc 2.35+). */
const HUGE_PAGES_TUNABLE = 'glibc.malloc.hugetlb=1';

/**
 * The environment of every tesseract process: `base` (this process's environment) with two
 * settings added, and the caller's `overrides` over all of it.
 *
 * - OMP_THREAD_LIMIT=1: without it every process starts one OpenMP thread per core, and N processes
 *   on N cores thrash: measured 3–6x slower than one single-threaded process per core.
 * - glibc.malloc.hugetlb=1: a page at 300 dpi is a 33 MB RGBA bitmap plus grey and binary copies,
 *   and in 4 KB pages that is ~56,000 page faults per image, each costly in a VM. With huge pages
 *   they drop to ~1,000: measured 1.58 → 1.02 s CPU for a one-page invoice, 5.7 → 5.1 s for dense
 *   small print, 0.23 → 0.15 s for a blank page (mostly start-up); peak memory unchanged. Other libcs,
 *   older glibc and kernels with THP set to `never` ignore it. Added to any tunables already set.
 */
export const tesseractProcessEnv = (base: NodeJS.ProcessEnv, overrides: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const tunables = base.GLIBC_TUNABLES;
  return {
    ...base,
    OMP_THREAD_LIMIT: '1',
    GLIBC_TUNABLES:
      tunables === undefined || tunables === ''
        ? HUGE_PAGES_TUNABLE
        : tunables.includes('glibc.malloc.hugetlb')
          ? tunables
          : `${tunables}:${HUGE_PAGES_TUNABLE}`,
    ...overrides,
  };
};

/** Only used to classify a failure; the text itself never leaves this module (it can quote the image's bytes). */
const MAX_STDERR_BYTES = 64 * 1024;

/** `--version` and `--list-langs` answer in ~0.1 s; a binary that does not is not usable. */
const PROBE_TIMEOUT_MS = 10_000;

/** Tesseract's own words for "the language data is missing", printed before any image is read. */
const MISSING_LANGUAGE = /Failed loading language|Error opening data file|Could not initialize tesseract/;
/** Leptonica's words for "these bytes do not decode" (pixReadMemPng, pixReadMemJpeg, ...). */
const DECODE_FAILURE = /pixRead|no pix returned|cannot be read|tiff stream not opened/;

/** Language codes as tesseract names its traineddata files; refuses anything that could pass as a flag. */
const LANGUAGE_CODES = /^[A-Za-z0-9_]+(?:\+[A-Za-z0-9_]+)*$/;

// ---------------------------------------------------------------------------------------------
// TSV parsing

export interface ParsedTesseractTsv {
  /** Size of the (first) page, in pixels, from the level-1 row. 0 when tesseract gave none. */
  readonly width: number;
  readonly height: number;
  /** Number of level-1 (page) rows: 0 means tesseract decoded no image at all. */
  readonly pages: number;
  readonly lines: readonly Line[];
  readonly text: string;
  /** Mean word confidence weighted by word length, in [0, 1]; 0 without words. */
  readonly confidence: number;
}

/** The columns of `tesseract ... tsv`, in the order tesseract 4 and 5 write them. */
const TSV_COLUMNS = ['level', 'page_num', 'block_num', 'par_num', 'line_num', 'word_num', 'left', 'top', 'width', 'height', 'conf', 'text'];

/** The smallest box holding all of `boxes` (in pixels). */
const unionBox = (boxes: readonly BoundingBox[]): BoundingBox => {
  let left = Infinity;
  let top = Infinity;
  let right = -Infinity;
  let bottom = -Infinity;
  for (const box of boxes) {
    left = Math.min(left, box.left);
    top = Math.min(top, box.top);
    right = Math.max(right, box.left + box.width);
    bottom = Math.max(bottom, box.top + box.height);
  }
  return boxes.length === 0 ? { left: 0, top: 0, width: 0, height: 0 } : { left, top, width: right - left, height: bottom - top };
};

const mean = (values: readonly number[]): number => (values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length);

interface PixelWord {
  readonly text: string;
  readonly confidence: number;
  readonly box: BoundingBox;
}

interface LineGroup {
  readonly page: number;
  readonly blockKey: string;
  readonly words: PixelWord[];
}

/**
 * Parses the output of `tesseract <image> <out> tsv` into lines and words. Pure: no I/O.
 *
 * Words (level 5) are grouped by page/block/paragraph/line in the order tesseract wrote them, which
 * is its reading order; empty words are dropped, and a line without words with it. Boxes are
 * normalised by their page's level-1 row, confidences divided by 100 and clamped to [0, 1]. A line's
 * box is the union of its words (the same as tesseract's level-4 row) and its confidence the mean
 * of theirs. `text` has one line per line, and a blank line between blocks (and between pages).
 */
export const parseTesseractTsv = (tsv: string): ParsedTesseractTsv => {
  const rows = tsv.split('\n');
  let columns = new Map(TSV_COLUMNS.map((name, i) => [name, i]));
  const first = rows[0]?.replace(/\r$/, '').split('\t');
  if (first?.[0] === 'level') {
    columns = new Map(first.map((name, i) => [name, i]));
    rows.shift();
  }
  const textColumn = columns.get('text') ?? TSV_COLUMNS.length - 1;
  const pageSizes = new Map<number, { width: number; height: number }>();
  const groups = new Map<string, LineGroup>();
  let firstPage: { width: number; height: number } | undefined;

  for (const raw of rows) {
    const row = raw.replace(/\r$/, '');
    if (row === '') continue;
    const cells = row.split('\t');
    const int = (name: string): number => Number.parseInt(cells[columns.get(name) ?? -1] ?? '', 10);
    const level = int('level');
    const page = int('page_num');
    if (level === 1) {
      const size = { width: Math.max(0, int('width')), height: Math.max(0, int('height')) };
      pageSizes.set(page, size);
      firstPage ??= size;
      continue;
    }
    if (level !== 5) continue;
    // Words never hold a tab, but if one did it would have split the text cell: keep the rest.
    const text = cells.slice(textColumn).join('\t').trim();
    if (text === '') continue;
    const blockKey = `${page}/${int('block_num')}`;
    const key = `${blockKey}/${int('par_num')}/${int('line_num')}`;
    let group = groups.get(key);
    if (group === undefined) {
      group = { page, blockKey, words: [] };
      groups.set(key, group);
    }
    group.words.push({
      text,
      confidence: clamp01(Number.parseFloat(cells[columns.get('conf') ?? -1] ?? '') / 100),
      box: { left: int('left'), top: int('top'), width: int('width'), height: int('height') },
    });
  }

  const lines: Line[] = [];
  const textParts: string[] = [];
  let previousBlock: string | undefined;
  let weighted = 0;
  let characters = 0;
  for (const group of groups.values()) {
    const size = pageSizes.get(group.page) ?? firstPage ?? { width: 0, height: 0 };
    const words: Word[] = group.words.map((word) => ({
      text: word.text,
      confidence: word.confidence,
      box: normaliseBox(word.box, size.width, size.height),
    }));
    for (const word of group.words) {
      const length = word.text.length;
      weighted += word.confidence * length;
      characters += length;
    }
    const text = words.map((word) => word.text).join(' ');
    lines.push({
      text,
      confidence: mean(words.map((word) => word.confidence)),
      box: normaliseBox(unionBox(group.words.map((word) => word.box)), size.width, size.height),
      words,
    });
    if (previousBlock !== undefined && previousBlock !== group.blockKey) textParts.push('');
    textParts.push(text);
    previousBlock = group.blockKey;
  }

  return {
    width: firstPage?.width ?? 0,
    height: firstPage?.height ?? 0,
    pages: pageSizes.size,
    lines,
    text: textParts.join('\n'),
    confidence: characters === 0 ? 0 : weighted / characters,
  };
};

// ---------------------------------------------------------------------------------------------
// Probing the binary

interface ProbeResult {
  readonly ok: boolean;
  /** stdout and stderr together: old versions print `--version` to stderr. Never document data. */
  readonly output: string;
  readonly notFound: boolean;
}

const probe = (binary: string, args: readonly string[], env?: NodeJS.ProcessEnv): Promise<ProbeResult> =>
  new Promise((resolve) => {
    execFile(
      binary,
      args,
      { timeout: PROBE_TIMEOUT_MS, killSignal: 'SIGKILL', env: { ...process.env, ...env }, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = (error as { code?: unknown } | null)?.code;
        resolve({ ok: error === null, output: `${stdout}\n${stderr}`, notFound: code === 'ENOENT' || code === 'EACCES' });
      },
    );
  });

const parseVersion = (output: string): string | undefined => /tesseract\s+v?(\d+\.\d+(?:\.\d+)?[^\s]*)/i.exec(output)?.[1];

/** Versions by binary, shared by engines and detectTesseract: a `--version` costs a process. */
const versions = new Map<string, Promise<string | undefined>>();

const engineVersionOf = (binary: string, env?: NodeJS.ProcessEnv): Promise<string | undefined> => {
  let version = versions.get(binary);
  if (version === undefined) {
    version = probe(binary, ['--version'], env).then((result) => {
      const parsed = parseVersion(result.output);
      // Not remembered: a binary that is missing now may be installed by the next call.
      if (parsed === undefined) versions.delete(binary);
      return parsed;
    });
    versions.set(binary, version);
  }
  return version;
};

/** The Debian/Ubuntu command that installs tesseract with `lang` (e.g. chi_sim → tesseract-ocr-chi-sim). */
export const tesseractInstallHint = (lang: string): string =>
  `apt-get install tesseract-ocr ${lang
    .split('+')
    .map((code) => `tesseract-ocr-${code.replaceAll('_', '-').toLowerCase()}`)
    .join(' ')}`;

export interface TesseractInstallation {
  /** e.g. "5.3.0". */
  readonly version: string;
  /** Installed language data, e.g. ["eng", "osd"]. */
  readonly langs: string[];
}

/**
 * Finds a usable native tesseract: its version and installed languages, or null when the binary is
 * missing, fails, or does not say which version it is.
 */
export const detectTesseract = async (binary = 'tesseract'): Promise<TesseractInstallation | null> => {
  const [versionProbe, langsProbe] = await Promise.all([probe(binary, ['--version']), probe(binary, ['--list-langs'])]);
  const version = versionProbe.ok ? parseVersion(versionProbe.output) : undefined;
  if (version === undefined || !langsProbe.ok) return null;
  versions.set(binary, Promise.resolve(version));
  // After a header line ('List of available languages in "..." (2):'), one code per line.
  const langs = langsProbe.output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => /^[A-Za-z0-9_]+$/.test(line));
  return { version, langs };
};

// ---------------------------------------------------------------------------------------------
// The engine

/** A queued image. `start` runs it once a slot is free; `fail` ends it unrun (on close). */
interface Job {
  readonly start: () => Promise<void>;
  readonly fail: (error: PipelineError) => void;
}

/** What a tesseract process did, for classifying its end. */
interface RunOutcome {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: Buffer;
  readonly stderr: string;
  readonly spawnError: NodeJS.ErrnoException | undefined;
  readonly timedOut: boolean;
}

/**
 * An OcrEngine on the native `tesseract` CLI: one process per image, the image on stdin and TSV on
 * stdout, at most `workers` processes at once. Each process runs single-threaded (OMP_THREAD_LIMIT=1)
 * so that `workers` equal to the number of cores uses them all without oversubscription.
 *
 * Images are checked before a process starts: tesseract treats input it does not recognise as an
 * image as a *list of file names* and OCRs those files, so bytes such as "/etc/passwd\n" would make
 * it read the server's files. Only PNG, JPEG, TIFF, WebP and BMP with a readable header get through.
 *
 * `timeoutMs` counts from the moment the image's process starts, not while it waits in the queue:
 * it is a budget for this image's work, and queue time is bounded by the other jobs' budgets.
 */
export const createTesseractCliOcr = (options: TesseractCliOcrOptions): OcrEngine => {
  const lang = options.lang ?? 'eng';
  const psm = options.psm ?? 3;
  const binary = options.binary ?? 'tesseract';
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    throw new ConfigError(`OCR workers must be a positive integer, got ${String(options.workers)}`);
  }
  if (!LANGUAGE_CODES.test(lang)) throw new ConfigError(`OCR language "${lang}" is not a tesseract language code (e.g. eng, eng+deu)`);
  if (!Number.isInteger(psm) || psm < 0 || psm > 13)
    throw new ConfigError(`tesseract page segmentation mode must be 0–13, got ${String(psm)}`);

  const env = tesseractProcessEnv(process.env, options.env);
  const args = ['stdin', 'stdout', '-l', lang, '--psm', String(psm), 'tsv'];
  const queue: Job[] = [];
  const running = new Set<ChildProcess>();
  /** Slots taken: running processes plus the occasional `--version` probe. */
  let busy = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  const exited = new Set<Promise<void>>();

  const runProcess = (image: Uint8Array, timeoutMs: number | undefined): Promise<RunOutcome> =>
    new Promise((resolve) => {
      const child = spawn(binary, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
      running.add(child);
      const stdout: Buffer[] = [];
      let stderr = '';
      let spawnError: NodeJS.ErrnoException | undefined;
      let timedOut = false;
      let timer: NodeJS.Timeout | undefined;
      if (timeoutMs !== undefined) {
        timer = setTimeout(() => {
          timedOut = true;
          child.kill('SIGKILL');
        }, timeoutMs);
      }
      child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));
      child.stderr.setEncoding('latin1');
      child.stderr.on('data', (chunk: string) => {
        if (stderr.length < MAX_STDERR_BYTES) stderr += chunk;
      });
      // A process that dies (or is killed) before reading all of stdin makes the write fail with
      // EPIPE; its exit status tells what happened.
      child.stdin.on('error', () => undefined);
      child.on('error', (err: NodeJS.ErrnoException) => {
        spawnError ??= err;
      });
      const done = new Promise<void>((resolveDone) => {
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          running.delete(child);
          resolveDone();
          resolve({ code, signal, stdout: Buffer.concat(stdout), stderr, spawnError, timedOut });
        });
      });
      exited.add(done);
      void done.then(() => exited.delete(done));
      child.stdin.end(image);
    });

  const translate = (outcome: RunOutcome): PipelineError | ParsedTesseractTsv => {
    if (outcome.spawnError !== undefined) {
      return outcome.spawnError.code === 'ENOENT'
        ? new DependencyUnavailableError(`tesseract executable "${binary}" not found (apt-get install tesseract-ocr)`)
        : new DependencyUnavailableError(`tesseract executable "${binary}" could not be started (${outcome.spawnError.code ?? 'no code'})`);
    }
    if (outcome.timedOut) return new StepTimeoutError('tesseract did not finish within its time budget');
    if (closed) return new DependencyUnavailableError('tesseract OCR engine closed');
    if (outcome.signal !== null) return new DependencyUnavailableError(`tesseract was stopped by ${outcome.signal}`);
    if (MISSING_LANGUAGE.test(outcome.stderr)) {
      return new ConfigError(`tesseract has no language data for "${lang}" (${tesseractInstallHint(lang)})`);
    }
    if (outcome.code !== 0) {
      return DECODE_FAILURE.test(outcome.stderr)
        ? new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE')
        : new DependencyUnavailableError(`tesseract failed with exit code ${String(outcome.code)}`);
    }
    const parsed = parseTesseractTsv(outcome.stdout.toString('utf8'));
    // An unreadable TIFF exits 0 with no page at all.
    if (parsed.pages === 0) return new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE');
    return parsed;
  };

  const pump = (): void => {
    while (!closed && busy < options.workers) {
      const job = queue.shift();
      if (job === undefined) break;
      busy += 1;
      void job.start().finally(() => {
        busy -= 1;
        pump();
      });
    }
  };

  const submit = (image: Uint8Array, timeoutMs: number | undefined): Promise<{ parsed: ParsedTesseractTsv; version: string | undefined }> =>
    new Promise((resolve, reject) => {
      queue.push({
        start: async () => {
          try {
            // Asked inside the slot, so even this probe respects `workers`; one process per binary,
            // none at all when detectTesseract has answered already.
            const version = await engineVersionOf(binary, options.env);
            if (closed) throw new DependencyUnavailableError('tesseract OCR engine closed');
            const result = translate(await runProcess(image, timeoutMs));
            if (result instanceof Error) reject(result);
            else resolve({ parsed: result, version });
          } catch (err) {
            reject(
              err instanceof DependencyUnavailableError
                ? err
                : new InternalError(`tesseract job failed (${err instanceof Error ? err.name : typeof err})`),
            );
          }
        },
        fail: reject,
      });
      pump();
    });

  return {
    name: 'tesseract',

    recognize: async (image, _mediaType, recognizeOptions): Promise<OcrResult> => {
      if (closed) throw new InternalError('tesseract OCR engine used after close');
      const timeoutMs = recognizeOptions?.timeoutMs;
      if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
        throw new InvalidStepInputError('OCR timeoutMs must be a positive number');
      }
      const size = checkOcrImage(image);
      const { parsed, version: engineVersion } = await submit(image, timeoutMs);
      return {
        text: parsed.text,
        confidence: parsed.confidence,
        width: parsed.width > 0 ? parsed.width : size.width,
        height: parsed.height > 0 ? parsed.height : size.height,
        lines: parsed.lines,
        ...(engineVersion === undefined ? {} : { engineVersion }),
      };
    },

    close: () => {
      closing ??= (async () => {
        closed = true;
        const closedError = new DependencyUnavailableError('tesseract OCR engine closed');
        for (const job of queue.splice(0)) job.fail(closedError);
        for (const child of running) child.kill('SIGKILL');
        await Promise.all([...exited]);
      })();
      return closing;
    },
  };
};
