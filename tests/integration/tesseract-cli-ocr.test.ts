import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas } from '@napi-rs/canvas';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createOcrEngine, decideOcrEngine } from '../../src/adapters/local/ocr-factory.js';
import { createTesseractCliOcr, detectTesseract } from '../../src/adapters/local/tesseract-cli-ocr.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
  StepTimeoutError,
} from '../../src/domain/errors.js';
import type { OcrEngine } from '../../src/ports/ocr-engine.js';
import { renderTextPage } from '../helpers/docs.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

const installed = await detectTesseract();
if (installed === null) {
  console.warn(
    'SKIPPED tesseract CLI tests: native tesseract is not installed (apt-get install tesseract-ocr tesseract-ocr-eng; .ci/run installs it in CI)',
  );
}

const readOrEmpty = (file: string): string => {
  try {
    return readFileSync(file, 'latin1');
  } catch {
    return ''; // the process or thread ended while we looked
  }
};

/** A kernel without CONFIG_PROC_CHILDREN has no per-thread `children` lists: then scan all of /proc. */
const HAS_CHILDREN_LISTS = existsSync(`/proc/${process.pid}/task/${process.pid}/children`);

const childPids = (): string[] => {
  if (HAS_CHILDREN_LISTS) {
    return readdirSync(`/proc/${process.pid}/task`).flatMap((tid) =>
      readOrEmpty(`/proc/${process.pid}/task/${tid}/children`).trim().split(/\s+/),
    );
  }
  return readdirSync('/proc').filter((entry) => {
    // "pid (comm) state ppid ...": comm may hold spaces, so split after its closing parenthesis.
    const stat = /^\d+$/.test(entry) ? readOrEmpty(`/proc/${entry}/stat`) : '';
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === process.pid;
  });
};

/**
 * Process ids of this process's children that run `tesseract` (Linux /proc, as in CI). Reads each
 * thread's `children` list where it can rather than scanning all of /proc: this samples every few
 * milliseconds and must not steal the CPU the processes it counts are using.
 */
const tesseractChildren = (): number[] =>
  childPids()
    .filter((pid) => pid !== '' && readOrEmpty(`/proc/${pid}/comm`).trim() === 'tesseract')
    .map(Number);

/** Samples the number of running tesseract children while `work` runs; returns the highest. */
const peakChildren = async (work: Promise<unknown>): Promise<number> => {
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, tesseractChildren().length);
  }, 10);
  try {
    await work;
  } finally {
    clearInterval(timer);
  }
  return peak;
};

describe.skipIf(installed === null)('createTesseractCliOcr (native tesseract)', () => {
  let page: { png: Uint8Array; width: number; height: number };
  let small: { png: Uint8Array; width: number; height: number };
  let engine: OcrEngine;
  let scratch: string;

  beforeAll(async () => {
    page = await renderTextPage(300);
    small = await renderTextPage(100);
    engine = createTesseractCliOcr({ workers: 2 });
    scratch = mkdtempSync(path.join(tmpdir(), 'docroute-tesseract-'));
  });

  afterAll(async () => {
    await engine.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('detects the installation: version and languages', async () => {
    expect(installed?.version).toMatch(/^\d+\.\d+/);
    expect(installed?.langs).toContain('eng');
    expect(await detectTesseract(path.join(scratch, 'no-such-tesseract'))).toBeNull();
  });

  it('recognises a rendered page: words, lines with boxes, confidence, size and version', async () => {
    const result = await engine.recognize(page.png, 'image/png', { timeoutMs: 60_000 });
    expect(engine.name).toBe('tesseract');
    for (const word of ['INVOICE', '2024-0117', 'Northwind', 'Traders', 'Total', '1,250.00', 'EUR', 'Payment', 'TOTAL']) {
      expect(result.text).toContain(word);
    }
    expect(result.confidence).toBeGreaterThan(0.6);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect([result.width, result.height]).toEqual([page.width, page.height]);
    expect(result.engineVersion).toBe(installed?.version);
    expect(result.text.split('\n').filter((line) => line !== '')).toEqual(result.lines.map((line) => line.text));

    const words = result.lines.flatMap((line) => line.words);
    const total = words.find((word) => word.text === 'TOTAL');
    const invoice = words.find((word) => word.text === 'INVOICE');
    // Drawn at 72 pt from the left; "TOTAL" 150 pt from the bottom of a 792 pt page, "INVOICE" near the top.
    expect(total?.box.top).toBeGreaterThan(0.5);
    expect(total?.box.left).toBeCloseTo(72 / 612, 1);
    expect(invoice?.box.top).toBeLessThan(0.2);
    for (const line of result.lines) {
      expect(line.confidence).toBeGreaterThan(0.6);
      for (const { box } of [line, ...line.words]) {
        expect(box.left).toBeGreaterThanOrEqual(0);
        expect(box.top).toBeGreaterThanOrEqual(0);
        expect(box.width).toBeGreaterThan(0);
        expect(box.height).toBeGreaterThan(0);
        expect(box.left + box.width).toBeLessThanOrEqual(1);
        expect(box.top + box.height).toBeLessThanOrEqual(1);
      }
      // A line's box holds each of its words.
      for (const word of line.words) {
        expect(word.box.left).toBeGreaterThanOrEqual(line.box.left);
        expect(word.box.left + word.box.width).toBeLessThanOrEqual(line.box.left + line.box.width + 1e-9);
      }
    }
  });

  it('returns empty text, no lines and zero confidence for a blank image', async () => {
    const canvas = createCanvas(400, 300);
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 400, 300);
    const result = await engine.recognize(await canvas.encode('png'), 'image/png');
    expect(result).toEqual({ text: '', confidence: 0, width: 400, height: 300, lines: [], engineVersion: installed?.version });
  });

  it('reports undecodable images as CORRUPT_IMAGE and prints none of their bytes', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const stdout = vi.spyOn(process.stdout, 'write');
    const png = Buffer.from(page.png);
    const tiffHeaderOnly = Buffer.concat([
      Buffer.from('II*\u0000\u0008\u0000\u0000\u0000', 'latin1'),
      Buffer.from('SECRETDATA'.repeat(20)),
    ]);
    const jpegHeaderOnly = Buffer.concat([
      Buffer.from([0xff, 0xd8, 0xff, 0xc0, 0, 17, 8, 1, 0, 1, 0, 3, 1, 0x22, 0, 2, 0x11, 1, 3, 0x11, 1]),
      Buffer.from('SECRETDATA'.repeat(40)),
    ]);
    const inputs = [
      Buffer.concat([png.subarray(0, 33), Buffer.from('SECRETDATA'.repeat(40))]), // a valid IHDR, then garbage
      png.subarray(0, png.length / 3), // cut short
      jpegHeaderOnly,
      tiffHeaderOnly,
      Buffer.from('SECRETDATA'.repeat(10)),
    ];
    try {
      for (const bytes of inputs) {
        const error = await engine.recognize(bytes, 'image/png').catch((err: unknown) => err);
        expect(error).toBeInstanceOf(CorruptDocumentError);
        expect((error as CorruptDocumentError).reasonCode).toBe('CORRUPT_IMAGE');
        expect((error as Error).message).not.toContain('SECRET');
      }
      const printed = [...stderr.mock.calls, ...stdout.mock.calls].map(([chunk]) => String(chunk)).join('');
      expect(printed).not.toMatch(/SECR|ECRE|CRET|RETD|ETDA|TDAT|DATA|ATAS|TASE|ASEC/);
    } finally {
      vi.restoreAllMocks();
    }
  });

  it('never lets tesseract read a file named by the document: bytes that are a list of paths are not an image', async () => {
    // tesseract treats input it cannot identify as a list of image files to OCR, one per line.
    const onDisk = path.join(scratch, 'secret-page.png');
    writeFileSync(onDisk, small.png);
    const error = await engine.recognize(Buffer.from(`${onDisk}\n`), 'image/png').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(CorruptDocumentError);
  });

  it('refuses an image too large to OCR before starting a process', async () => {
    const header = Buffer.alloc(13);
    header.writeUInt32BE(40_000, 0);
    header.writeUInt32BE(40_000, 4);
    header[8] = 8;
    const ihdr = Buffer.concat([Buffer.from([0, 0, 0, 13]), Buffer.from('IHDR', 'latin1'), header, Buffer.alloc(4)]);
    const bomb = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), ihdr]);
    const error = await engine.recognize(bomb, 'image/png').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DocumentTooLargeError);
    expect((error as DocumentTooLargeError).reasonCode).toBe('IMAGE_TOO_LARGE');
  });

  it('kills a process past timeoutMs with StepTimeoutError, leaves none behind, and keeps working', async () => {
    const error = await engine.recognize(page.png, 'image/png', { timeoutMs: 1 }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(StepTimeoutError);
    expect((error as StepTimeoutError).retryable).toBe(true);
    // The job settles once its process has ended: a page this size takes a second, not a millisecond.
    expect(tesseractChildren()).toEqual([]);
    const after = await engine.recognize(small.png, 'image/png');
    expect(after.text).toContain('Northwind');
  });

  it('never runs more than `workers` processes at once, and queues the rest', async () => {
    const pool = createTesseractCliOcr({ workers: 2 });
    try {
      const work = Promise.all(Array.from({ length: 6 }, () => pool.recognize(small.png, 'image/png')));
      const peak = await peakChildren(work);
      for (const result of await work) expect(result.text).toContain('Northwind');
      expect(peak).toBe(2);
    } finally {
      await pool.close();
    }
  });

  it('close() kills running processes, fails queued jobs, and refuses later calls', async () => {
    const pool = createTesseractCliOcr({ workers: 1 });
    const jobs = [1, 2, 3].map(() => pool.recognize(page.png, 'image/png').catch((err: unknown) => err));
    await vi.waitFor(() => {
      expect(tesseractChildren()).toHaveLength(1);
    });
    await pool.close();
    expect(tesseractChildren()).toEqual([]);
    for (const outcome of await Promise.all(jobs)) expect(outcome).toBeInstanceOf(DependencyUnavailableError);
    await pool.close();
    await expect(pool.recognize(small.png, 'image/png')).rejects.toBeInstanceOf(InternalError);
  });

  it('translates a missing executable and missing language data, and refuses bad options', async () => {
    const missing = createTesseractCliOcr({ workers: 1, binary: path.join(scratch, 'no-such-tesseract') });
    await expect(missing.recognize(small.png, 'image/png')).rejects.toBeInstanceOf(DependencyUnavailableError);
    await missing.close();

    const noLanguage = createTesseractCliOcr({ workers: 1, lang: 'qqq' });
    const error = await noLanguage.recognize(small.png, 'image/png').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('tesseract-ocr-qqq');
    await noLanguage.close();

    expect(() => createTesseractCliOcr({ workers: 0 })).toThrow(ConfigError);
    expect(() => createTesseractCliOcr({ workers: 1, psm: 14 })).toThrow(ConfigError);
    expect(() => createTesseractCliOcr({ workers: 1, lang: '--tessdata-dir=/tmp' })).toThrow(ConfigError);
  });

  it('lets the process exit once the engine is closed, even with a job still running', () => {
    const script = `
      (async () => {
        const { createTesseractCliOcr } = await import('./src/adapters/local/tesseract-cli-ocr.ts');
        const engine = createTesseractCliOcr({ workers: 1 });
        const png = Buffer.from(process.env.OCR_TEST_PNG, 'base64');
        const result = await engine.recognize(png, 'image/png');
        console.log(result.text.includes('Northwind') ? 'ok' : 'wrong text');
        void engine.recognize(png, 'image/png').catch((err) => console.log(err.name));
        await engine.close();
      })();
    `;
    const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, OCR_TEST_PNG: Buffer.from(small.png).toString('base64') },
      timeout: 30_000,
      encoding: 'utf8',
    });
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim().split('\n')).toEqual(['ok', 'DependencyUnavailableError']);
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
  });
});

describe.skipIf(installed === null)('createOcrEngine (native tesseract installed)', () => {
  it('auto picks native tesseract and says why', async () => {
    const engine = await createOcrEngine({ engine: 'auto', workers: 1, lang: 'eng' });
    try {
      expect(engine.name).toBe('tesseract');
      expect(engine.decision).toEqual({
        engine: 'tesseract',
        reason: `auto: native tesseract ${installed?.version ?? ''} found with eng`,
        tesseractVersion: installed?.version,
      });
    } finally {
      await engine.close();
    }
  });

  it('auto falls back to tesseract.js when the language is missing; "tesseract" refuses with an install hint', async () => {
    const decision = await decideOcrEngine({ engine: 'auto', lang: 'eng+qqq' });
    expect(decision.engine).toBe('tesseract-js');
    expect(decision.reason).toContain('qqq');
    const error = await createOcrEngine({ engine: 'tesseract', workers: 1, lang: 'eng+qqq' }).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('apt-get install tesseract-ocr tesseract-ocr-qqq');
  });
});

describe('createOcrEngine (without native tesseract)', () => {
  const absent = (): Promise<null> => Promise.resolve(null);

  it('auto falls back to tesseract.js; "tesseract" is a configuration error naming the packages', async () => {
    const engine = await createOcrEngine({ engine: 'auto', workers: 1, lang: 'eng' }, absent);
    expect(engine.name).toBe('tesseract-js');
    expect(engine.decision.engine).toBe('tesseract-js');
    expect(engine.decision.reason).toMatch(/^auto: native tesseract not found/);
    await engine.close();

    const error = await createOcrEngine({ engine: 'tesseract', workers: 1, lang: 'eng' }, absent).catch((err: unknown) => err);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain('apt-get install tesseract-ocr tesseract-ocr-eng');
    expect((error as Error).message).not.toContain('\n');
  });

  it('"tesseract-js" never probes for the binary', async () => {
    const detect = vi.fn(absent);
    const engine = await createOcrEngine({ engine: 'tesseract-js', workers: 1, lang: 'eng' }, detect);
    expect(engine.name).toBe('tesseract-js');
    expect(detect).not.toHaveBeenCalled();
    await engine.close();
  });
});
