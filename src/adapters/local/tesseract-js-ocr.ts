import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import type Tesseract from 'tesseract.js';
import type { BoundingBox, Line, Word } from '../../domain/document.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
  InvalidStepInputError,
  StepTimeoutError,
  type PipelineError,
} from '../../domain/errors.js';
import type { OcrEngine, OcrResult } from '../../ports/ocr-engine.js';

type TesseractModule = typeof Tesseract;

export interface TesseractJsOcrOptions {
  /** Size of the worker pool; each worker is a thread with its own wasm engine and model. */
  readonly workers: number;
  /** Tesseract language code. Only `eng` ships with the project today. */
  readonly lang?: string;
}

/** Language code -> the npm package holding its traineddata. */
const LANGUAGE_PACKAGES: Readonly<Record<string, string>> = { eng: '@tesseract.js-data/eng' };
/** The integer-quantised `best` LSTM model: what tesseract.js itself loads for LSTM-only work. */
const LANGUAGE_DATA_DIR = '4.0.0_best_int';

/** Tesseract keeps coordinates in int16, so a wider or taller image cannot be recognised. */
const MAX_IMAGE_SIDE = 32_767;
/** A 20000 x 20000 blank page takes 15 s and 1.6 GB in one worker; 100 MP covers A3 at 600 dpi. */
const MAX_IMAGE_PIXELS = 100_000_000;

/** A healthy worker starts in well under a second; a stuck one would otherwise hang the first call. */
const WORKER_START_TIMEOUT_MS = 60_000;

/** What tesseract.js's worker reports when Leptonica cannot decode the bytes. */
const DECODE_FAILURE = /Error attempting to read image/;

export interface ImageSize {
  readonly width: number;
  readonly height: number;
}

/**
 * Reads an image's pixel size from its header, without decoding it, so a decompression bomb is
 * refused before it reaches a worker. Returns undefined when the bytes are not a PNG, JPEG, TIFF,
 * WebP or BMP with a readable header. For JPEG the size is after EXIF rotation, as Tesseract sees it.
 */
export const readImageSize = (bytes: Uint8Array): ImageSize | undefined => {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = bytes.byteLength;
  const ascii = (offset: number, length: number): string =>
    offset + length <= n ? String.fromCharCode(...bytes.subarray(offset, offset + length)) : '';

  try {
    // PNG: the signature, then IHDR.
    if (n >= 24 && view.getUint32(0) === 0x89504e47 && view.getUint32(4) === 0x0d0a1a0a && ascii(12, 4) === 'IHDR') {
      return { width: view.getUint32(16), height: view.getUint32(20) };
    }

    // JPEG: walk the marker segments up to the first start-of-frame.
    if (n >= 4 && bytes[0] === 0xff && bytes[1] === 0xd8) {
      let offset = 2;
      while (offset + 4 <= n) {
        if (bytes[offset] !== 0xff) return undefined;
        const marker = bytes[offset + 1] ?? 0;
        if (marker === 0xff) {
          offset += 1; // fill byte
          continue;
        }
        if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
          offset += 2; // no length field
          continue;
        }
        if (marker === 0xd9 || marker === 0xda) return undefined; // end of image or scan data before any frame
        const length = view.getUint16(offset + 2);
        const isStartOfFrame = marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 && marker !== 0xcc;
        if (isStartOfFrame) {
          const height = view.getUint16(offset + 5);
          const width = view.getUint16(offset + 7);
          return jpegOrientationSwapsAxes(bytes) ? { width: height, height: width } : { width, height };
        }
        offset += 2 + length;
      }
      return undefined;
    }

    // TIFF: the first IFD's ImageWidth (256) and ImageLength (257).
    const tiffOrder = ascii(0, 4);
    if (tiffOrder === 'II*\u0000' || tiffOrder === 'MM\u0000*') {
      const little = tiffOrder.startsWith('II');
      const ifd = view.getUint32(4, little);
      const count = view.getUint16(ifd, little);
      let width: number | undefined;
      let height: number | undefined;
      for (let i = 0; i < count; i++) {
        const entry = ifd + 2 + i * 12;
        const tag = view.getUint16(entry, little);
        if (tag !== 256 && tag !== 257) continue;
        const type = view.getUint16(entry + 2, little);
        const value = type === 3 ? view.getUint16(entry + 8, little) : view.getUint32(entry + 8, little);
        if (tag === 256) width = value;
        else height = value;
      }
      return width !== undefined && height !== undefined ? { width, height } : undefined;
    }

    // WebP: lossy (VP8), lossless (VP8L) or extended (VP8X).
    if (ascii(0, 4) === 'RIFF' && ascii(8, 4) === 'WEBP') {
      const chunk = ascii(12, 4);
      if (chunk === 'VP8 ' && n >= 30) {
        return { width: view.getUint16(26, true) & 0x3fff, height: view.getUint16(28, true) & 0x3fff };
      }
      if (chunk === 'VP8L' && n >= 25 && bytes[20] === 0x2f) {
        const bits = view.getUint32(21, true);
        return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
      }
      if (chunk === 'VP8X' && n >= 30) {
        const uint24 = (o: number): number => view.getUint16(o, true) | ((bytes[o + 2] ?? 0) << 16);
        return { width: uint24(24) + 1, height: uint24(27) + 1 };
      }
      return undefined;
    }

    // BMP: a BITMAPCOREHEADER has 16-bit sizes, later headers 32-bit (height < 0 means top-down).
    if (ascii(0, 2) === 'BM' && n >= 26) {
      const headerSize = view.getUint32(14, true);
      if (headerSize === 12) return { width: view.getUint16(18, true), height: view.getUint16(20, true) };
      return { width: Math.abs(view.getInt32(18, true)), height: Math.abs(view.getInt32(22, true)) };
    }
  } catch (err) {
    // A header that points past the end of the bytes.
    if (err instanceof RangeError) return undefined;
    throw err;
  }
  return undefined;
};

/**
 * tesseract.js applies the EXIF orientation it finds with this exact pattern (a big-endian
 * Orientation tag in the first 500 bytes); orientations 5-8 turn the image by 90 degrees.
 */
const jpegOrientationSwapsAxes = (bytes: Uint8Array): boolean => {
  const match = /1 18 0 3 0 0 0 1 0 (\d)/.exec(Array.from(bytes.subarray(0, 500)).join(' '));
  const orientation = Number(match?.[1] ?? 1);
  return orientation >= 5 && orientation <= 8;
};

// Loaded on first use, so commands that never OCR do not pay for it.
let tesseractModule: Promise<TesseractModule> | undefined;

const loadTesseract = (): Promise<TesseractModule> => {
  tesseractModule ??= import('tesseract.js').then(
    (mod) => mod.default,
    (err: unknown) => {
      tesseractModule = undefined;
      throw new DependencyUnavailableError(`tesseract.js could not be loaded (${err instanceof Error ? err.name : typeof err})`);
    },
  );
  return tesseractModule;
};

const languageDataPath = async (lang: string): Promise<string> => {
  const pkg = LANGUAGE_PACKAGES[lang];
  if (pkg === undefined) throw new ConfigError(`OCR language "${lang}" has no language data package installed`);
  let dir: string;
  try {
    dir = path.join(path.dirname(createRequire(import.meta.url).resolve(`${pkg}/package.json`)), LANGUAGE_DATA_DIR);
    // Checked here because tesseract.js never settles a worker whose language file is missing.
    await access(path.join(dir, `${lang}.traineddata.gz`));
  } catch {
    throw new DependencyUnavailableError(`OCR language data for "${lang}" (${pkg}) is missing`);
  }
  return dir;
};

/**
 * Runs `spawn`, which must create exactly one worker thread synchronously (tesseract.js's
 * createWorker does, before its first await), and hands back that thread. tesseract.js only exposes
 * it once the worker is ready, too late to catch a thread that dies while starting: its 'error'
 * event would be unhandled and crash the process. Node announces each new thread with a 'worker'
 * event from a nextTick queued in the Worker constructor; ticks run in order, so the one event
 * between a tick queued just before `spawn` and one queued just after is this thread's.
 */
const spawnCapturingThread = <T>(spawn: () => T): Promise<{ result: T; thread: NodeWorker | undefined }> =>
  new Promise((resolve) => {
    let armed = false;
    let thread: NodeWorker | undefined;
    const onWorker = (worker: NodeWorker): void => {
      if (armed) thread ??= worker;
    };
    process.nextTick(() => {
      armed = true;
    });
    process.on('worker', onWorker);
    const result = spawn();
    process.nextTick(() => {
      process.off('worker', onWorker);
      resolve({ result, thread });
    });
  });

/** One started tesseract.js worker and the thread it runs on. */
interface Member {
  readonly worker: Tesseract.Worker;
  readonly thread: NodeWorker | undefined;
}

interface Waiter {
  readonly take: (member: Member) => void;
}

/**
 * Our own dispatch instead of tesseract.js's Scheduler: the Scheduler never says which worker runs
 * a job, and a timed-out job must end exactly that worker (wasm cannot be interrupted otherwise).
 */
interface Pool {
  readonly tesseract: TesseractModule;
  readonly langPath: string;
  readonly idle: Member[];
  readonly waiting: Waiter[];
  readonly members: Set<Member>;
  /** Every thread spawned for the pool, started or not, so that stopping it ends them all. */
  readonly threads: Set<NodeWorker>;
  /** Threads this adapter ended on purpose (a timed-out job): their exit is not a crash. */
  readonly dismissed: WeakSet<NodeWorker>;
  /** Rejecters of the jobs in flight: a pool that dies must fail them, as tesseract.js never would. */
  readonly inFlight: Set<(err: PipelineError) => void>;
  stopping: boolean;
}

const stopPool = async (pool: Pool, reason: PipelineError): Promise<void> => {
  if (pool.stopping) return;
  pool.stopping = true;
  for (const reject of pool.inFlight) reject(reason);
  pool.inFlight.clear();
  pool.waiting.length = 0;
  pool.idle.length = 0;
  // tesseract.js's terminate does not wait for the threads to end; ending them here does, so the
  // process can exit as soon as close() resolves.
  await Promise.all([...pool.members].map((member) => member.worker.terminate().catch(() => undefined)));
  await Promise.all([...pool.threads].map((thread) => thread.terminate()));
};

const acquire = (pool: Pool): Promise<Member> => {
  const member = pool.idle.pop();
  if (member !== undefined) return Promise.resolve(member);
  return new Promise((take) => pool.waiting.push({ take }));
};

const release = (pool: Pool, member: Member): void => {
  if (pool.stopping) return;
  const waiter = pool.waiting.shift();
  if (waiter === undefined) pool.idle.push(member);
  else waiter.take(member);
};

const describeFailure = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'no detail';
};

const startWorker = async (lang: string, pool: Pool, onCrash: (thread: NodeWorker) => void): Promise<Member> => {
  const { tesseract, langPath } = pool;
  let started = false;
  let fail: (detail: string) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => {
    fail = (detail) => {
      reject(new DependencyUnavailableError(`tesseract.js worker failed to start (${detail})`));
    };
  });
  // Observed through the race below; until then a rejection must not count as unhandled.
  void failed.catch(() => undefined);
  const timer = setTimeout(() => {
    fail('timed out');
  }, WORKER_START_TIMEOUT_MS);
  timer.unref();

  const { result: starting, thread } = await spawnCapturingThread(() =>
    tesseract.createWorker(lang, tesseract.OEM.LSTM_ONLY, {
      langPath,
      cacheMethod: 'none',
      gzip: true,
      // No `logger` key: tesseract.js calls it for every progress message, and an explicit
      // `undefined` replaces its no-op default and throws from its message listener.
      // Without an errorHandler tesseract.js rethrows every failed job (a bad image included) from
      // that same listener, as an uncaught exception. After start, failures reach the job's own
      // promise; before, this is the only signal, as tesseract.js never settles the start promise.
      errorHandler: () => {
        if (!started) fail('initialisation failed');
      },
    }),
  );
  void starting.catch(() => undefined);
  if (thread !== undefined) {
    pool.threads.add(thread);
    // Leptonica and Tesseract print diagnostics from the thread, and those can quote the
    // document's bytes (libpng names the chunk it choked on). Drop them.
    thread.stdout.unpipe(process.stdout).resume();
    thread.stderr.unpipe(process.stderr).resume();
    const onEnd = (err?: unknown): void => {
      if (started) onCrash(thread);
      else fail(err === undefined || typeof err === 'number' ? 'thread exited' : describeFailure(err));
    };
    thread.on('error', onEnd);
    thread.on('exit', onEnd);
  }
  try {
    const worker = await Promise.race([starting, failed]);
    // Whole-page documents: automatic segmentation, as the tesseract CLI does by default.
    await Promise.race([worker.setParameters({ tessedit_pageseg_mode: tesseract.PSM.AUTO }), failed]);
    started = true;
    return { worker, thread };
  } catch (err) {
    if (err instanceof DependencyUnavailableError) throw err;
    throw new DependencyUnavailableError(`tesseract.js worker failed to start (${describeFailure(err)})`);
  } finally {
    clearTimeout(timer);
  }
};

const translateJobError = (reason: unknown): PipelineError =>
  DECODE_FAILURE.test(String(reason))
    ? new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE')
    : new DependencyUnavailableError('tesseract.js failed while recognising an image');

/**
 * Checks an image before any engine decodes it: a readable PNG, JPEG, TIFF, WebP or BMP header,
 * within the size Tesseract accepts. Shared by the OCR adapters so that both refuse the same
 * images with the same reason codes.
 */
export const checkOcrImage = (image: Uint8Array): ImageSize => {
  const size = readImageSize(image);
  if (size === undefined || size.width === 0 || size.height === 0) {
    throw new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE');
  }
  if (Math.max(size.width, size.height) > MAX_IMAGE_SIDE || size.width * size.height > MAX_IMAGE_PIXELS) {
    throw new DocumentTooLargeError(`image is ${String(size.width)} x ${String(size.height)} px, more than OCR accepts`, 'IMAGE_TOO_LARGE');
  }
  return size;
};

/** Confidences and fractions of a page live in [0, 1]; anything not a number counts as 0. */
export const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

/** One axis of a box in pixels as [start, length] fractions of `size`, cut to the page when it overhangs. */
const normaliseSpan = (start: number, length: number, size: number): [number, number] => {
  const from = start / size;
  const to = (start + length) / size;
  // Divided directly when inside, so a box stays exact (0.3 - 0.1 is not 0.2 in floating point).
  if (from >= 0 && to <= 1) return [from, length / size];
  const lo = clamp01(from);
  return [lo, Math.max(0, clamp01(to) - lo)];
};

/** Pixels to fractions of the page, cut so a box never leaves it. */
export const normaliseBox = (box: BoundingBox, pageWidth: number, pageHeight: number): BoundingBox => {
  if (!(pageWidth > 0 && pageHeight > 0)) return { left: 0, top: 0, width: 0, height: 0 };
  const [left, width] = normaliseSpan(box.left, box.width, pageWidth);
  const [top, height] = normaliseSpan(box.top, box.height, pageHeight);
  return { left, top, width, height };
};

/** A tesseract.js box (corners, in pixels) as a fraction of the image, cut to it. */
const normaliseBbox = (bbox: Tesseract.Bbox, size: ImageSize): BoundingBox =>
  normaliseBox({ left: bbox.x0, top: bbox.y0, width: bbox.x1 - bbox.x0, height: bbox.y1 - bbox.y0 }, size.width, size.height);

/**
 * Tesseract's block tree flattened to lines in reading order, in the model the native CLI adapter
 * produces: empty words dropped, a line's box the union of its words, its confidence their mean.
 */
export const linesFromBlocks = (blocks: readonly Tesseract.Block[] | null, size: ImageSize): Line[] => {
  const lines: Line[] = [];
  for (const block of blocks ?? []) {
    for (const paragraph of block.paragraphs) {
      for (const line of paragraph.lines) {
        const kept = line.words.filter((word) => word.text.trim() !== '');
        if (kept.length === 0) continue;
        const words: Word[] = kept.map((word) => ({
          text: word.text.trim(),
          confidence: clamp01(word.confidence / 100),
          box: normaliseBbox(word.bbox, size),
        }));
        const union: Tesseract.Bbox = {
          x0: Math.min(...kept.map((word) => word.bbox.x0)),
          y0: Math.min(...kept.map((word) => word.bbox.y0)),
          x1: Math.max(...kept.map((word) => word.bbox.x1)),
          y1: Math.max(...kept.map((word) => word.bbox.y1)),
        };
        lines.push({
          text: words.map((word) => word.text).join(' '),
          confidence: words.reduce((sum, word) => sum + word.confidence, 0) / words.length,
          box: normaliseBbox(union, size),
          words,
        });
      }
    }
  }
  return lines;
};

let packageVersion: string | undefined;

/** The tesseract.js package version, e.g. "7.0.0": what decides its results, with the model. */
const tesseractJsVersion = (): string | undefined => {
  try {
    packageVersion ??= (createRequire(import.meta.url)('tesseract.js/package.json') as { version?: string }).version;
  } catch {
    // Not worth failing a recognition over: the version is provenance only.
  }
  return packageVersion;
};

/**
 * An OcrEngine on tesseract.js (Tesseract compiled to wasm), fully offline: the language data comes
 * from an npm package. A pool of `workers` threads is started on the first `recognize` and shared by
 * concurrent calls. A failure other than an undecodable image retires the whole pool (its wasm
 * engines may be left aborted); the next call starts a fresh one. A job past its `timeoutMs`
 * (counted from when a worker takes it, not while it waits) ends its worker's thread, the only way
 * to stop wasm mid-page, and a fresh worker takes its place while the others carry on.
 */
export const createTesseractJsOcr = (options: TesseractJsOcrOptions): OcrEngine => {
  const lang = options.lang ?? 'eng';
  if (LANGUAGE_PACKAGES[lang] === undefined) {
    throw new ConfigError(
      `OCR language "${lang}" is not available: its language data package (@tesseract.js-data/${lang}) is not installed`,
    );
  }
  if (!Number.isInteger(options.workers) || options.workers < 1) {
    throw new ConfigError(`OCR workers must be a positive integer, got ${String(options.workers)}`);
  }

  let current: Promise<Pool> | undefined;
  // The pool `current` resolved to, kept synchronously so a retired pool is never handed out again.
  let active: Pool | undefined;
  let closing: Promise<void> | undefined;

  const retire = (pool: Pool, reason: PipelineError): void => {
    if (active === pool) {
      active = undefined;
      current = undefined;
    }
    void stopPool(pool, reason);
  };

  const onCrash = (pool: Pool, thread: NodeWorker): void => {
    if (!pool.stopping && !pool.dismissed.has(thread)) {
      retire(pool, new DependencyUnavailableError('a tesseract.js worker stopped unexpectedly'));
    }
  };

  /** Ends a worker that started after its pool was stopped. */
  const stopPoolMember = async (member: Member): Promise<void> => {
    await member.worker.terminate().catch(() => undefined);
    await member.thread?.terminate();
  };

  /** Ends a worker stuck on a job and starts another in its place. */
  const replace = (pool: Pool, member: Member): void => {
    pool.members.delete(member);
    if (member.thread !== undefined) {
      pool.dismissed.add(member.thread);
      const thread = member.thread;
      void thread.terminate().then(() => pool.threads.delete(thread));
    }
    void member.worker.terminate().catch(() => undefined);
    if (pool.stopping) return;
    startWorker(lang, pool, (thread) => {
      onCrash(pool, thread);
    }).then(
      (fresh) => {
        pool.members.add(fresh);
        if (pool.stopping) void stopPoolMember(fresh);
        else release(pool, fresh);
      },
      (err: unknown) => {
        // Without a replacement the pool is short of a worker for good: start afresh next call.
        retire(
          pool,
          err instanceof DependencyUnavailableError ? err : new DependencyUnavailableError('tesseract.js worker failed to restart'),
        );
      },
    );
  };

  const startPool = async (): Promise<Pool> => {
    const langPath = await languageDataPath(lang);
    const tesseract = await loadTesseract();
    const pool: Pool = {
      tesseract,
      langPath,
      idle: [],
      waiting: [],
      members: new Set(),
      threads: new Set(),
      dismissed: new WeakSet(),
      inFlight: new Set(),
      stopping: false,
    };
    const started = await Promise.allSettled(
      Array.from({ length: options.workers }, async () => {
        const member = await startWorker(lang, pool, (thread) => {
          onCrash(pool, thread);
        });
        pool.members.add(member);
        pool.idle.push(member);
      }),
    );
    const failure = started.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) {
      await stopPool(pool, new DependencyUnavailableError('tesseract.js worker pool failed to start'));
      throw failure.reason;
    }
    // A worker that started and then died before its siblings were ready has already stopped the pool.
    if (pool.stopping) throw new DependencyUnavailableError('a tesseract.js worker stopped while the pool was starting');
    return pool;
  };

  const getPool = (): Promise<Pool> => {
    current ??= startPool().then(
      (pool) => {
        active = pool;
        return pool;
      },
      (err: unknown) => {
        current = undefined;
        throw err;
      },
    );
    return current;
  };

  const run = (pool: Pool, image: Uint8Array, timeoutMs: number | undefined): Promise<Tesseract.RecognizeResult> =>
    new Promise<Tesseract.RecognizeResult>((resolve, reject) => {
      if (pool.stopping) {
        reject(new DependencyUnavailableError('tesseract.js worker pool is stopping'));
        return;
      }
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        pool.inFlight.delete(fail);
        outcome();
      };
      const fail = (err: PipelineError): void => {
        settle(() => {
          reject(err);
        });
      };
      pool.inFlight.add(fail);
      void acquire(pool)
        .then((member) => {
          if (settled || pool.stopping) {
            release(pool, member);
            return;
          }
          let timer: NodeJS.Timeout | undefined;
          if (timeoutMs !== undefined) {
            timer = setTimeout(() => {
              if (settled) return;
              fail(new StepTimeoutError('tesseract.js did not finish within its time budget'));
              replace(pool, member);
            }, timeoutMs);
          }
          // The typings ask for a Buffer; at runtime any Uint8Array works. A view, not a copy:
          // tesseract.js copies the bytes itself before posting them to the thread.
          const buffer = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
          member.worker.recognize(buffer, {}, { text: true, blocks: true }).then(
            (result) => {
              clearTimeout(timer);
              if (settled) return;
              release(pool, member);
              settle(() => {
                resolve(result);
              });
            },
            (reason: unknown) => {
              clearTimeout(timer);
              if (settled) return;
              const error = translateJobError(reason);
              if (error instanceof DependencyUnavailableError) retire(pool, error);
              else release(pool, member);
              fail(error);
            },
          );
        })
        // Nothing above should throw; if it does, the job must still settle, and not as an unhandled rejection.
        .catch((err: unknown) => {
          fail(new InternalError(`tesseract.js job failed (${err instanceof Error ? err.name : typeof err})`));
        });
    });

  return {
    name: 'tesseract-js',

    recognize: async (image, _mediaType, recognizeOptions): Promise<OcrResult> => {
      if (closing !== undefined) throw new InternalError('tesseract-js OCR engine used after close');
      const timeoutMs = recognizeOptions?.timeoutMs;
      if (timeoutMs !== undefined && (!Number.isFinite(timeoutMs) || timeoutMs <= 0)) {
        throw new InvalidStepInputError('OCR timeoutMs must be a positive number');
      }
      const size = checkOcrImage(image);
      const pool = await getPool();
      const { data } = await run(pool, image, timeoutMs);
      const engineVersion = tesseractJsVersion();
      return {
        text: data.text.trimEnd(),
        confidence: clamp01(data.confidence / 100),
        width: size.width,
        height: size.height,
        lines: linesFromBlocks(data.blocks, size),
        ...(engineVersion === undefined ? {} : { engineVersion }),
      };
    },

    close: () => {
      closing ??= (async () => {
        const pending = current;
        current = undefined;
        active = undefined;
        const pool = await pending?.catch(() => undefined);
        if (pool !== undefined) await stopPool(pool, new DependencyUnavailableError('tesseract-js OCR engine closed'));
      })();
      return closing;
    },
  };
};
