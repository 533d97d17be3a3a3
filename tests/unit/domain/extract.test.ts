import { describe, expect, it } from 'vitest';
import {
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  StepTimeoutError,
  UnsupportedDocumentError,
} from '../../../src/domain/errors.js';
import { extractText, hasText, OCR_RATE_KEY, type ExtractOptions } from '../../../src/domain/extract.js';
import { CountingLimiter, FakeImages, FakeOcr, FakePdf, fixedClock, IMAGE_OPTIONS, ocrResult } from '../../helpers/fakes.js';

const OPTIONS: ExtractOptions = { maxFileBytes: 10_000, maxPages: 5, minTextChars: 20, dpi: 300, ocrTimeoutMs: 5000, image: IMAGE_OPTIONS };

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const PDF_BYTES = ascii('%PDF-1.7\n% fake body\n');
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG_BYTES = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const TIFF_BYTES = new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]);

const LONG_TEXT = 'Invoice No: INV-2026-0412 Total Due: EUR 1,250.00';
/** Private-use and control characters: what a broken font encoding leaves in a text layer. */
const GARBAGE =
  '\ue000\ue013\u0001\ue0a1\ue044 \ue012\u0002\ue0f0\ue031\ue077 \ue001\ue002\u0003\ue004\ue005\ue006 \ue007\ue008\ue009\ue00a';

const deps = ({
  pdf = new FakePdf([]),
  ocr = new FakeOcr(),
  images = new FakeImages(),
  limiter = new CountingLimiter(),
}: { pdf?: FakePdf; ocr?: FakeOcr; images?: FakeImages; limiter?: CountingLimiter } = {}) => ({
  pdf,
  ocr,
  images,
  limiter,
  clock: fixedClock(),
});

describe('extractText: input checks', () => {
  it('rejects an empty file as EMPTY_FILE without touching the ports', async () => {
    const d = deps();
    const err = await extractText(new Uint8Array(), d, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('EMPTY_FILE');
    expect(d.pdf.opened).toBe(0);
    expect(d.ocr.calls).toHaveLength(0);
  });

  it('rejects a file over maxFileBytes as TOO_LARGE', async () => {
    const big = new Uint8Array(OPTIONS.maxFileBytes + 1);
    big.set(PDF_BYTES);
    const d = deps({ pdf: new FakePdf([{ text: LONG_TEXT }]) });
    const err = await extractText(big, d, OPTIONS).catch((e: unknown) => e);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_LARGE');
    expect(d.pdf.opened).toBe(0);
  });

  it('accepts a file of exactly maxFileBytes', async () => {
    const exact = new Uint8Array(OPTIONS.maxFileBytes);
    exact.set(PDF_BYTES);
    const result = await extractText(exact, deps({ pdf: new FakePdf([{ text: LONG_TEXT }]) }), OPTIONS);
    expect(result.mediaType).toBe('application/pdf');
  });

  it('rejects unknown bytes as UNSUPPORTED_TYPE', async () => {
    const d = deps();
    const err = await extractText(ascii('hello, plain text'), d, OPTIONS).catch((e: unknown) => e);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('UNSUPPORTED_TYPE');
    expect(d.ocr.calls).toHaveLength(0);
  });

  it('rejects a PDF with too many pages as TOO_MANY_PAGES, reads no page, and closes it', async () => {
    const pdf = new FakePdf([], { pageCount: OPTIONS.maxPages + 1 });
    const err = await extractText(PDF_BYTES, deps({ pdf }), OPTIONS).catch((e: unknown) => e);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_MANY_PAGES');
    expect(pdf.pagesRequested).toEqual([]);
    expect(pdf.closed).toBe(1);
  });

  it('rejects a multi-page image with too many pages before preparing any', async () => {
    const images = new FakeImages({ pages: OPTIONS.maxPages + 1 });
    const err = await extractText(TIFF_BYTES, deps({ images }), OPTIONS).catch((e: unknown) => e);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_MANY_PAGES');
    expect(images.prepared).toEqual([]);
  });

  it('returns a text-less page with its size, for the Classify step to judge (hasText false)', async () => {
    const x = await extractText(PNG_BYTES, deps({ ocr: new FakeOcr(ocrResult('  \n ')) }), OPTIONS);
    expect(x.pages).toHaveLength(1);
    expect(x.pages[0]?.width).toBeGreaterThan(0);
    expect(hasText(x)).toBe(false);
    const withText = await extractText(PNG_BYTES, deps({ ocr: new FakeOcr(ocrResult('a')) }), OPTIONS);
    expect(hasText(withText)).toBe(true);
  });
});

describe('extractText: PDFs', () => {
  it('uses a real text layer with its geometry, without OCR', async () => {
    const lines = [{ text: LONG_TEXT, confidence: 1, box: { left: 0.1, top: 0.1, width: 0.5, height: 0.02 }, words: [] }];
    const d = deps({ pdf: new FakePdf([{ text: LONG_TEXT, width: 612, height: 792, rotation: 90, lines }]) });
    const result = await extractText(PDF_BYTES, d, OPTIONS);
    expect(d.ocr.calls).toHaveLength(0);
    expect(d.limiter.acquired).toEqual([]);
    expect(result.pages).toEqual([
      { page: 1, method: 'text-layer', text: LONG_TEXT, confidence: 1, width: 612, height: 792, rotation: 90, lines },
    ]);
    expect(result.provenance).toEqual({
      engine: 'docroute-extract',
      engineVersion: '2',
      startedAt: '2026-11-28T12:00:00.000Z',
      durationMs: 0,
    });
    expect(d.pdf.closed).toBe(1);
  });

  it('OCRs a page whose text layer is too short, at the configured dpi, through the rate limiter, with the page timeout', async () => {
    const d = deps({ pdf: new FakePdf([{ text: '  \n 12 ' }]), ocr: new FakeOcr(ocrResult('scanned words on a page', 0.7)) });
    const result = await extractText(PDF_BYTES, d, { ...OPTIONS, dpi: 150 });
    expect(d.pdf.renders).toEqual([{ page: 1, dpi: 150 }]);
    expect(d.ocr.calls).toEqual([{ image: new Uint8Array([0x89, 1]), mediaType: 'image/png', options: { timeoutMs: 5000 } }]);
    expect(d.limiter.acquired).toEqual([{ key: OCR_RATE_KEY, cost: 1 }]);
    // Page size stays in PDF points, not the raster's pixels.
    expect(result.pages[0]).toMatchObject({ page: 1, method: 'ocr', confidence: 0.7, width: 595, height: 842, dpi: 150 });
    expect(result.pages[0]?.note).toBe('TEXT_LAYER_TOO_SHORT');
    expect(result.provenance).toMatchObject({ ocrEngine: 'fake-ocr', ocrEngineVersion: 'fake-1', dpi: 150 });
  });

  it('OCRs a page whose text layer is garbage, and says why', async () => {
    const d = deps({ pdf: new FakePdf([{ text: GARBAGE.repeat(4) }]), ocr: new FakeOcr(ocrResult('the real words of the page')) });
    const result = await extractText(PDF_BYTES, d, OPTIONS);
    expect(d.ocr.calls).toHaveLength(1);
    expect(result.pages[0]?.method).toBe('ocr');
    expect(result.pages[0]?.note).toMatch(/^TEXT_LAYER_/);
    expect(result.text).toBe('the real words of the page');
  });

  it('counts only non-whitespace characters against minTextChars', async () => {
    const spaced = 'a b c d e f g h i j k l m n o p q r s'; // 19 letters
    const d = deps({ pdf: new FakePdf([{ text: spaced }, { text: `${spaced} t` }]) });
    const result = await extractText(PDF_BYTES, d, OPTIONS);
    expect(result.pages.map((p) => p.method)).toEqual(['ocr', 'text-layer']);
  });

  it('mixes text-layer and OCR pages in order, joined with form feeds', async () => {
    const pdf = new FakePdf([{ text: LONG_TEXT }, { text: '' }, { text: `${LONG_TEXT} page 3` }, { text: 'x' }]);
    const d = deps({ pdf, ocr: new FakeOcr((n) => ocrResult(`ocr ${n}`, 0.5)) });
    const result = await extractText(PDF_BYTES, d, OPTIONS);
    expect(result.pages.map((p) => [p.page, p.method])).toEqual([
      [1, 'text-layer'],
      [2, 'ocr'],
      [3, 'text-layer'],
      [4, 'ocr'],
    ]);
    expect(result.text).toBe([LONG_TEXT, 'ocr 1', `${LONG_TEXT} page 3`, 'ocr 2'].join('\f'));
  });

  it('weights confidence by text length', async () => {
    // 30 characters at 1 (text layer) and 10 at 0.6 (OCR): (30 + 6) / 40 = 0.9.
    const d = deps({ pdf: new FakePdf([{ text: 'x'.repeat(30) }, { text: '' }]), ocr: new FakeOcr(ocrResult('y'.repeat(10), 0.6)) });
    expect((await extractText(PDF_BYTES, d, OPTIONS)).confidence).toBeCloseTo(0.9, 3);
  });

  it('closes the document when a page fails to load, and propagates the error', async () => {
    const pdf = new FakePdf([{ text: LONG_TEXT }, { text: LONG_TEXT }], { failOnPage: 2 });
    const err = await extractText(PDF_BYTES, deps({ pdf }), OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptDocumentError);
    expect(pdf.closed).toBe(1);
  });

  it.each([new DependencyUnavailableError('engine down'), new StepTimeoutError('page took too long')])(
    'closes the document when OCR fails (%s), and propagates the error unchanged',
    async (failure) => {
      const pdf = new FakePdf([{ text: '' }]);
      const err = await extractText(PDF_BYTES, deps({ pdf, ocr: new FakeOcr(failure) }), OPTIONS).catch((e: unknown) => e);
      expect(err).toBe(failure);
      expect(pdf.closed).toBe(1);
    },
  );
});

describe('extractText: images', () => {
  it.each([
    ['image/png', PNG_BYTES],
    ['image/jpeg', JPEG_BYTES],
    ['image/tiff', TIFF_BYTES],
  ] as const)('prepares %s with the image options, then OCRs the prepared PNG', async (mediaType, bytes) => {
    const images = new FakeImages({ width: 800, height: 1200, dpi: 288 });
    const d = deps({ images, ocr: new FakeOcr(ocrResult('Blue Door Cafe Total 14.50', 0.82)) });
    const result = await extractText(bytes, d, OPTIONS);
    expect(d.pdf.opened).toBe(0);
    expect(images.prepared).toEqual([{ page: 1, options: IMAGE_OPTIONS }]);
    expect(d.ocr.calls).toEqual([{ image: bytes, mediaType: 'image/png', options: { timeoutMs: 5000 } }]);
    expect(result.mediaType).toBe(mediaType);
    expect(result.pages).toEqual([
      {
        page: 1,
        method: 'ocr',
        text: 'Blue Door Cafe Total 14.50',
        confidence: 0.82,
        width: 800,
        height: 1200,
        rotation: 0,
        dpi: 288,
        lines: [],
      },
    ]);
  });

  it('OCRs every page of a multi-page image, each through the limiter', async () => {
    const images = new FakeImages({ pages: 3 });
    const d = deps({ images, ocr: new FakeOcr((n) => ocrResult(`page ${n} text`)) });
    const result = await extractText(TIFF_BYTES, d, OPTIONS);
    expect(result.pages.map((p) => p.text)).toEqual(['page 1 text', 'page 2 text', 'page 3 text']);
    expect(d.limiter.acquired).toHaveLength(3);
  });

  it('propagates a pixel-bomb refusal from the image pipeline', async () => {
    const bomb = new DocumentTooLargeError('image has 10000000000 pixels', 'IMAGE_TOO_LARGE');
    const d = deps({ images: new FakeImages({ fail: bomb }) });
    const err = await extractText(PNG_BYTES, d, OPTIONS).catch((e: unknown) => e);
    expect(err).toBe(bomb);
    expect(d.ocr.calls).toHaveLength(0);
  });
});
