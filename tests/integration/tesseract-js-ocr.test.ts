import { spawnSync } from 'node:child_process';
import { deflateSync } from 'node:zlib';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createTesseractJsOcr, readImageSize } from '../../src/adapters/local/tesseract-js-ocr.js';
import { ConfigError, CorruptDocumentError, DocumentTooLargeError, InternalError, StepTimeoutError } from '../../src/domain/errors.js';
import type { OcrEngine } from '../../src/ports/ocr-engine.js';
import { PNG_SIGNATURE, pngChunk } from '../helpers/png.js';
import { renderTextPage, TEXT_PAGE_LINES as LINES } from '../helpers/docs.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** A PNG whose header is valid and whose body is not, so only the decoder can tell. */
const corruptPng = (): Uint8Array => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(640, 0);
  header.writeUInt32BE(480, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return new Uint8Array(Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), Buffer.from('SECRETDATA'.repeat(40), 'latin1')]));
};

/** A tiny file that claims a huge greyscale image: a decompression bomb's header. */
const hugePngHeader = (width: number, height: number): Uint8Array => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8;
  return new Uint8Array(
    Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('IHDR', header),
      pngChunk('IDAT', deflateSync(Buffer.alloc(64))),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
};

/** Uncompressed 24-bit BMP and 8-bit greyscale TIFF headers, as scanners write them. */
const bmpHeader = (width: number, height: number): Uint8Array => {
  const bytes = Buffer.alloc(54);
  bytes.write('BM', 0, 'latin1');
  bytes.writeUInt32LE(40, 14);
  bytes.writeInt32LE(width, 18);
  bytes.writeInt32LE(-height, 22); // top-down
  return new Uint8Array(bytes);
};

const tiffHeader = (width: number, height: number, bigEndian: boolean): Uint8Array => {
  const bytes = Buffer.alloc(8 + 2 + 2 * 12 + 4);
  const u16 = (value: number, offset: number): number =>
    bigEndian ? bytes.writeUInt16BE(value, offset) : bytes.writeUInt16LE(value, offset);
  const u32 = (value: number, offset: number): number =>
    bigEndian ? bytes.writeUInt32BE(value, offset) : bytes.writeUInt32LE(value, offset);
  bytes.write(bigEndian ? 'MM' : 'II', 0, 'latin1');
  u16(42, 2);
  u32(8, 4);
  u16(2, 8);
  // ImageWidth as SHORT, ImageLength as LONG: both types occur in the wild.
  u16(256, 10);
  u16(3, 12);
  u32(1, 14);
  u16(width, 18);
  u16(257, 22);
  u16(4, 24);
  u32(1, 26);
  u32(height, 30);
  return new Uint8Array(bytes);
};

describe('readImageSize', () => {
  it('reads PNG, JPEG and WebP headers written by a real encoder', async () => {
    const canvas = createCanvas(321, 123);
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 321, 123);
    for (const format of ['png', 'jpeg', 'webp'] as const) {
      const bytes = format === 'png' ? await canvas.encode('png') : await canvas.encode(format);
      expect(readImageSize(bytes), format).toEqual({ width: 321, height: 123 });
    }
  });

  it('reads BMP and TIFF headers in both byte orders', () => {
    expect(readImageSize(bmpHeader(850, 1100))).toEqual({ width: 850, height: 1100 });
    expect(readImageSize(tiffHeader(850, 1100, false))).toEqual({ width: 850, height: 1100 });
    expect(readImageSize(tiffHeader(850, 1100, true))).toEqual({ width: 850, height: 1100 });
  });

  it('returns undefined for garbage and for headers cut short', () => {
    expect(readImageSize(new Uint8Array(Buffer.from('not an image at all')))).toBeUndefined();
    expect(readImageSize(new Uint8Array(0))).toBeUndefined();
    expect(readImageSize(Buffer.concat([PNG_SIGNATURE, Buffer.from('garbage')]))).toBeUndefined();
    expect(readImageSize(new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a]))).toBeUndefined();
    expect(readImageSize(tiffHeader(10, 10, false).subarray(0, 20))).toBeUndefined();
  });
});

describe('createTesseractJsOcr', () => {
  let page: { png: Uint8Array; width: number; height: number };
  let engine: OcrEngine;

  beforeAll(async () => {
    page = await renderTextPage(200);
    engine = createTesseractJsOcr({ workers: 2 });
  });

  afterAll(async () => {
    await engine.close();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('refuses languages without installed data, and bad pool sizes, as configuration errors', () => {
    expect(() => createTesseractJsOcr({ workers: 1, lang: 'deu' })).toThrow(ConfigError);
    expect(() => createTesseractJsOcr({ workers: 0 })).toThrow(ConfigError);
    expect(() => createTesseractJsOcr({ workers: 1.5 })).toThrow(ConfigError);
  });

  it('recognises a rendered page: words, confidence and size', async () => {
    const result = await engine.recognize(page.png, 'image/png');
    expect(engine.name).toBe('tesseract-js');
    for (const word of ['INVOICE', '2024-0117', 'Northwind', 'Traders', 'Total', '1,250.00', 'EUR', 'Payment']) {
      expect(result.text).toContain(word);
    }
    expect(result.confidence).toBeGreaterThan(0.5);
    expect(result.confidence).toBeLessThanOrEqual(1);
    expect([result.width, result.height]).toEqual([1700, 2200]);
    expect(result.engineVersion).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('returns lines and words with boxes normalised to the image, as the native adapter does', async () => {
    const result = await engine.recognize(page.png, 'image/png');
    expect(result.lines.map((line) => line.text)).toEqual([...LINES, 'TOTAL 1,250.00']);
    const words = result.lines.flatMap((line) => line.words);
    const total = words.find((word) => word.text === 'TOTAL');
    const invoice = words.find((word) => word.text === 'INVOICE');
    // Drawn at 72 pt from the left; "TOTAL" 150 pt from the bottom of a 792 pt page, "INVOICE" near the top.
    expect(total?.box.top).toBeGreaterThan(0.5);
    expect(total?.box.left).toBeCloseTo(72 / 612, 1);
    expect(invoice?.box.top).toBeLessThan(0.2);
    for (const line of result.lines) {
      expect(line.confidence).toBeGreaterThan(0.5);
      expect(line.confidence).toBeLessThanOrEqual(1);
      expect(line.text).toBe(line.words.map((word) => word.text).join(' '));
      for (const { box, confidence } of [line, ...line.words]) {
        expect(confidence).toBeGreaterThanOrEqual(0);
        expect(box.width).toBeGreaterThan(0);
        expect(box.height).toBeGreaterThan(0);
        expect(box.left + box.width).toBeLessThanOrEqual(1);
        expect(box.top + box.height).toBeLessThanOrEqual(1);
      }
      for (const word of line.words) {
        expect(word.box.left).toBeGreaterThanOrEqual(line.box.left);
        expect(word.box.top).toBeGreaterThanOrEqual(line.box.top);
      }
    }
  });

  it('runs concurrent calls on the 2-worker pool, and accepts a JPEG', async () => {
    const image = await loadImage(Buffer.from(page.png));
    const canvas = createCanvas(image.width, image.height);
    canvas.getContext('2d').drawImage(image, 0, 0);
    const jpeg = await canvas.encode('jpeg', 90);

    const inputs = [page.png, jpeg, page.png, jpeg];
    const results = await Promise.all(inputs.map((bytes, i) => engine.recognize(bytes, i % 2 === 0 ? 'image/png' : 'image/jpeg')));
    for (const result of results) {
      expect(result.text).toContain('Northwind');
      expect(result.confidence).toBeGreaterThan(0.5);
      expect([result.width, result.height]).toEqual([1700, 2200]);
    }
  });

  it('returns empty text and zero confidence for a blank image', async () => {
    const canvas = createCanvas(400, 300);
    const context = canvas.getContext('2d');
    context.fillStyle = '#fff';
    context.fillRect(0, 0, 400, 300);
    const result = await engine.recognize(await canvas.encode('png'), 'image/png');
    expect(result).toEqual({ text: '', confidence: 0, width: 400, height: 300, lines: [], engineVersion: expect.any(String) });
  });

  it('reports an undecodable image as CORRUPT_IMAGE, prints none of it, and keeps the pool working', async () => {
    const stderr = vi.spyOn(process.stderr, 'write');
    const stdout = vi.spyOn(process.stdout, 'write');
    for (const bytes of [corruptPng(), Buffer.concat([PNG_SIGNATURE, Buffer.from('SECRETDATA'.repeat(10))])]) {
      const error = await engine.recognize(bytes, 'image/png').catch((err: unknown) => err);
      expect(error).toBeInstanceOf(CorruptDocumentError);
      expect((error as CorruptDocumentError).reasonCode).toBe('CORRUPT_IMAGE');
      expect((error as Error).message).not.toContain('SECRET');
    }
    // Both workers must survive: two concurrent calls need both.
    const after = await Promise.all([engine.recognize(page.png, 'image/png'), engine.recognize(page.png, 'image/png')]);
    for (const result of after) expect(result.text).toContain('INVOICE');
    // libpng would print the chunk name it choked on: four bytes of the document.
    const printed = [...stderr.mock.calls, ...stdout.mock.calls].map(([chunk]) => String(chunk)).join('');
    expect(printed).not.toMatch(/SECR|ECRE|CRET|RETD|ETDA|TDAT|DATA|ATAS|TASE|ASEC/);
  });

  it('refuses an image too large to OCR before decoding it', async () => {
    const error = await engine.recognize(hugePngHeader(40_000, 40_000), 'image/png').catch((err: unknown) => err);
    expect(error).toBeInstanceOf(DocumentTooLargeError);
    expect((error as DocumentTooLargeError).reasonCode).toBe('IMAGE_TOO_LARGE');
  });

  it('abandons a job past timeoutMs with StepTimeoutError, replaces only that worker, and keeps serving', async () => {
    const tesseract = (await import('tesseract.js')).default;
    const createWorker = vi.spyOn(tesseract, 'createWorker');
    // One job times out while the other worker finishes its own: only the stuck worker is replaced.
    const [ok, timedOut] = await Promise.all([
      engine.recognize(page.png, 'image/png', { timeoutMs: 60_000 }),
      engine.recognize(page.png, 'image/png', { timeoutMs: 1 }).catch((err: unknown) => err),
    ]);
    expect(ok.text).toContain('Northwind');
    expect(timedOut).toBeInstanceOf(StepTimeoutError);
    expect((timedOut as StepTimeoutError).retryable).toBe(true);
    // Both workers serve again: two concurrent calls need both, the replacement included.
    const after = await Promise.all([engine.recognize(page.png, 'image/png'), engine.recognize(page.png, 'image/png')]);
    for (const result of after) expect(result.text).toContain('INVOICE');
    expect(createWorker).toHaveBeenCalledTimes(1);
  });

  it('starts the pool once under concurrent first calls, closes twice, and refuses use after close', async () => {
    const tesseract = (await import('tesseract.js')).default;
    const createWorker = vi.spyOn(tesseract, 'createWorker');
    const fresh = createTesseractJsOcr({ workers: 2 });
    const small = await renderTextPage(100);
    const results = await Promise.all([1, 2, 3, 4].map(() => fresh.recognize(small.png, 'image/png')));
    expect(results.every((result) => result.text.includes('Northwind'))).toBe(true);
    expect(createWorker).toHaveBeenCalledTimes(2);
    await fresh.close();
    await fresh.close();
    await expect(fresh.recognize(small.png, 'image/png')).rejects.toBeInstanceOf(InternalError);
  });
});

describe('process lifetime', () => {
  const runChild = (nodeArgs: string[], script: string, png: Uint8Array) =>
    spawnSync(process.execPath, ['--import', 'tsx', ...nodeArgs, '-e', script], {
      cwd: REPO_ROOT,
      env: { ...process.env, OCR_TEST_PNG: Buffer.from(png).toString('base64') },
      timeout: 30_000,
      encoding: 'utf8',
    });

  // CommonJS `-e` with a dynamic import: worker threads inherit the parent's flags.
  const script = `
    (async () => {
      const { createTesseractJsOcr } = await import('./src/adapters/local/tesseract-js-ocr.ts');
      const engine = createTesseractJsOcr({ workers: 2 });
      try {
        const result = await engine.recognize(Buffer.from(process.env.OCR_TEST_PNG, 'base64'), 'image/png');
        console.log(result.text.includes('Northwind') ? 'ok' : 'wrong text');
      } catch (err) {
        console.log(err.name);
      } finally {
        await engine.close();
      }
    })();
  `;

  it('lets the process exit once the engine is closed', async () => {
    const child = runChild([], script, (await renderTextPage(100)).png);
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('ok');
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
  });

  it('turns a worker thread that dies while starting into DependencyUnavailableError, and still exits', async () => {
    // Node refuses to start a worker thread under --input-type, which makes a deterministic crash.
    const child = runChild(['--input-type=commonjs'], script, (await renderTextPage(100)).png);
    expect(child.error).toBeUndefined();
    expect(child.stdout.trim()).toBe('DependencyUnavailableError');
    expect(child.status).toBe(0);
  });
});
