import { access } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Worker as NodeWorker } from 'node:worker_threads';
import type Tesseract from 'tesseract.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
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

interface Pool {
  readonly scheduler: Tesseract.Scheduler;
  /** Every thread spawned for the pool, started or not, so that stopping it ends them all. */
  readonly threads: NodeWorker[];
  /** Rejecters of the jobs in flight: a pool that dies must fail them, as tesseract.js never would. */
  readonly inFlight: Set<(err: PipelineError) => void>;
  stopping: boolean;
}

const stopPool = async (pool: Pool, reason: PipelineError): Promise<void> => {
  if (pool.stopping) return;
  pool.stopping = true;
  for (const reject of pool.inFlight) reject(reason);
  pool.inFlight.clear();
  // tesseract.js's terminate does not wait for the threads to end; ending them here does, so the
  // process can exit as soon as close() resolves.
  await pool.scheduler.terminate();
  await Promise.all(pool.threads.map((thread) => thread.terminate()));
};

const describeFailure = (err: unknown): string => {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string') return code;
  return err instanceof Error ? err.name : 'no detail';
};

const startWorker = async (
  tesseract: TesseractModule,
  lang: string,
  langPath: string,
  pool: Pool,
  onCrash: () => void,
): Promise<Tesseract.Worker> => {
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
    pool.threads.push(thread);
    // Leptonica and Tesseract print diagnostics from the thread, and those can quote the
    // document's bytes (libpng names the chunk it choked on). Drop them.
    thread.stdout.unpipe(process.stdout).resume();
    thread.stderr.unpipe(process.stderr).resume();
    const onEnd = (err?: unknown): void => {
      if (started) onCrash();
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
    return worker;
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
 * An OcrEngine on tesseract.js (Tesseract compiled to wasm), fully offline: the language data comes
 * from an npm package. A pool of `workers` threads is started on the first `recognize` and shared by
 * concurrent calls. A failure other than an undecodable image retires the whole pool (its wasm
 * engines may be left aborted); the next call starts a fresh one.
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

  const startPool = async (): Promise<Pool> => {
    const langPath = await languageDataPath(lang);
    const tesseract = await loadTesseract();
    const pool: Pool = { scheduler: tesseract.createScheduler(), threads: [], inFlight: new Set(), stopping: false };
    const onCrash = (): void => {
      if (!pool.stopping) retire(pool, new DependencyUnavailableError('a tesseract.js worker stopped unexpectedly'));
    };
    const started = await Promise.allSettled(
      Array.from({ length: options.workers }, async () => {
        const worker = await startWorker(tesseract, lang, langPath, pool, onCrash);
        pool.scheduler.addWorker(worker);
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

  const run = (pool: Pool, image: Uint8Array): Promise<Tesseract.RecognizeResult> =>
    new Promise<Tesseract.RecognizeResult>((resolve, reject) => {
      if (pool.stopping) {
        reject(new DependencyUnavailableError('tesseract.js worker pool is stopping'));
        return;
      }
      pool.inFlight.add(reject);
      // The typings ask for a Buffer; at runtime any Uint8Array works. A view, not a copy:
      // tesseract.js copies the bytes itself before posting them to the thread.
      const buffer = Buffer.from(image.buffer, image.byteOffset, image.byteLength);
      void pool.scheduler
        .addJob('recognize', buffer, {}, { text: true })
        .then(resolve, (reason: unknown) => {
          const error = translateJobError(reason);
          if (error instanceof DependencyUnavailableError) retire(pool, error);
          reject(error);
        })
        .finally(() => pool.inFlight.delete(reject));
    });

  return {
    name: 'tesseract-js',

    recognize: async (image): Promise<OcrResult> => {
      if (closing !== undefined) throw new InternalError('tesseract-js OCR engine used after close');
      const size = readImageSize(image);
      if (size === undefined || size.width === 0 || size.height === 0) {
        throw new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE');
      }
      if (Math.max(size.width, size.height) > MAX_IMAGE_SIDE || size.width * size.height > MAX_IMAGE_PIXELS) {
        throw new DocumentTooLargeError(`image is ${String(size.width)} x ${String(size.height)} px, more than OCR accepts`, 'TOO_LARGE');
      }
      const pool = await getPool();
      const { data } = await run(pool, image);
      return {
        text: data.text.trimEnd(),
        confidence: Math.min(1, Math.max(0, data.confidence / 100)),
        width: size.width,
        height: size.height,
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
