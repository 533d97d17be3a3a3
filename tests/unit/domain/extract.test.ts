import { describe, expect, it } from 'vitest';
import type { MediaType } from '../../../src/domain/document.js';
import {
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  UnsupportedDocumentError,
} from '../../../src/domain/errors.js';
import { extractText, type ExtractOptions } from '../../../src/domain/extract.js';
import type { OcrEngine, OcrResult } from '../../../src/ports/ocr-engine.js';
import type { PdfDocument, PdfPage, PdfReader } from '../../../src/ports/pdf-reader.js';

const OPTIONS: ExtractOptions = { maxFileBytes: 10_000, maxPages: 5, minTextChars: 20, dpi: 300 };

const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);
const PDF_BYTES = ascii('%PDF-1.7\n% fake body\n');
const PNG_BYTES = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3]);
const JPEG_BYTES = new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 0, 0x10]);
const TIFF_BYTES = new Uint8Array([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]);

const LONG_TEXT = 'Invoice No: INV-2026-0412 Total Due: EUR 1,250.00';

/** An in-memory OCR engine that records every call. */
class FakeOcr implements OcrEngine {
  readonly name = 'fake-ocr';
  readonly calls: { image: Uint8Array; mediaType: MediaType }[] = [];
  constructor(
    private readonly result: OcrResult | ((call: number) => OcrResult) = { text: 'ocr text', confidence: 0.8, width: 100, height: 200 },
    private readonly failWith?: Error,
  ) {}
  recognize(image: Uint8Array, mediaType: MediaType): Promise<OcrResult> {
    this.calls.push({ image, mediaType });
    if (this.failWith) return Promise.reject(this.failWith);
    return Promise.resolve(typeof this.result === 'function' ? this.result(this.calls.length) : this.result);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

interface FakePageSpec {
  readonly text: string;
  readonly width?: number;
  readonly height?: number;
}

/** An in-memory PDF reader: one document per `open`, pages from `specs`. */
class FakePdf implements PdfReader {
  opened = 0;
  closed = 0;
  readonly pagesRequested: number[] = [];
  readonly renders: { page: number; dpi: number }[] = [];
  constructor(
    private readonly specs: readonly FakePageSpec[],
    private readonly opts: { pageCount?: number; failOnPage?: number } = {},
  ) {}
  open(_bytes: Uint8Array): Promise<PdfDocument> {
    this.opened += 1;
    const doc: PdfDocument = {
      pageCount: this.opts.pageCount ?? this.specs.length,
      page: (n: number): Promise<PdfPage> => {
        this.pagesRequested.push(n);
        if (n === this.opts.failOnPage) return Promise.reject(new CorruptDocumentError(`page ${n} is broken`, 'CORRUPT_PDF'));
        const spec = this.specs[n - 1];
        if (!spec) return Promise.reject(new Error(`no page ${n}`));
        return Promise.resolve({
          page: n,
          width: spec.width ?? 595,
          height: spec.height ?? 842,
          text: spec.text,
          render: (dpi: number) => {
            this.renders.push({ page: n, dpi });
            return Promise.resolve({ png: new Uint8Array([0x89, n]), width: 2480, height: 3508 });
          },
        });
      },
      close: () => {
        this.closed += 1;
        return Promise.resolve();
      },
    };
    return Promise.resolve(doc);
  }
}

describe('extractText: input checks', () => {
  it('rejects an empty file as EMPTY_FILE without touching the ports', async () => {
    const pdf = new FakePdf([]);
    const ocr = new FakeOcr();
    const err = await extractText(new Uint8Array(), { pdf, ocr }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('EMPTY_FILE');
    expect(pdf.opened).toBe(0);
    expect(ocr.calls).toHaveLength(0);
  });

  it('rejects a file over maxFileBytes as TOO_LARGE', async () => {
    const big = new Uint8Array(OPTIONS.maxFileBytes + 1);
    big.set(PDF_BYTES);
    const pdf = new FakePdf([{ text: LONG_TEXT }]);
    const err = await extractText(big, { pdf, ocr: new FakeOcr() }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_LARGE');
    expect(pdf.opened).toBe(0);
  });

  it('accepts a file of exactly maxFileBytes', async () => {
    const exact = new Uint8Array(OPTIONS.maxFileBytes);
    exact.set(PDF_BYTES);
    const result = await extractText(exact, { pdf: new FakePdf([{ text: LONG_TEXT }]), ocr: new FakeOcr() }, OPTIONS);
    expect(result.mediaType).toBe('application/pdf');
  });

  it('rejects unknown bytes as UNSUPPORTED_TYPE', async () => {
    const ocr = new FakeOcr();
    const err = await extractText(ascii('hello, plain text'), { pdf: new FakePdf([]), ocr }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('UNSUPPORTED_TYPE');
    expect(ocr.calls).toHaveLength(0);
  });

  it('rejects a recognised but not yet supported image type as UNSUPPORTED_TYPE', async () => {
    const ocr = new FakeOcr();
    const err = await extractText(TIFF_BYTES, { pdf: new FakePdf([]), ocr }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('UNSUPPORTED_TYPE');
    expect((err as Error).message).toContain('image/tiff');
    expect(ocr.calls).toHaveLength(0);
  });

  it('rejects a PDF with too many pages as TOO_MANY_PAGES, reads no page, and closes it', async () => {
    const pdf = new FakePdf([], { pageCount: OPTIONS.maxPages + 1 });
    const err = await extractText(PDF_BYTES, { pdf, ocr: new FakeOcr() }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_MANY_PAGES');
    expect(pdf.pagesRequested).toEqual([]);
    expect(pdf.closed).toBe(1);
  });
});

describe('extractText: PDFs', () => {
  it('uses the text layer when it is long enough, without OCR', async () => {
    const pdf = new FakePdf([{ text: LONG_TEXT, width: 612, height: 792 }]);
    const ocr = new FakeOcr();
    const result = await extractText(PDF_BYTES, { pdf, ocr }, OPTIONS);
    expect(ocr.calls).toHaveLength(0);
    expect(pdf.renders).toEqual([]);
    expect(result).toEqual({
      mediaType: 'application/pdf',
      pages: [{ page: 1, method: 'text-layer', text: LONG_TEXT, confidence: 1, width: 612, height: 792 }],
      text: LONG_TEXT,
      confidence: 1,
      provenance: { engine: 'docroute-extract' },
    });
    expect(pdf.closed).toBe(1);
  });

  it('renders and OCRs a page whose text layer is too short, at the configured dpi', async () => {
    const pdf = new FakePdf([{ text: '  \n 12 ' }]);
    const ocr = new FakeOcr({ text: 'scanned words', confidence: 0.7, width: 2480, height: 3508 });
    const result = await extractText(PDF_BYTES, { pdf, ocr }, { ...OPTIONS, dpi: 150 });
    expect(pdf.renders).toEqual([{ page: 1, dpi: 150 }]);
    expect(ocr.calls).toHaveLength(1);
    expect(ocr.calls[0]?.mediaType).toBe('image/png');
    expect(ocr.calls[0]?.image).toEqual(new Uint8Array([0x89, 1]));
    // Page size stays in PDF points, not the raster's pixels.
    expect(result.pages).toEqual([{ page: 1, method: 'ocr', text: 'scanned words', confidence: 0.7, width: 595, height: 842 }]);
    expect(result.provenance).toEqual({ engine: 'docroute-extract', ocrEngine: 'fake-ocr' });
  });

  it('counts only non-whitespace characters against minTextChars', async () => {
    const spaced = 'a b c d e f g h i j k l m n o p q r s'; // 19 letters, 37 characters
    const pdf = new FakePdf([{ text: spaced }, { text: `${spaced} t` }]);
    const ocr = new FakeOcr();
    const result = await extractText(PDF_BYTES, { pdf, ocr }, OPTIONS);
    expect(result.pages.map((p) => p.method)).toEqual(['ocr', 'text-layer']);
    expect(ocr.calls).toHaveLength(1);
  });

  it('never OCRs when minTextChars is 0', async () => {
    const pdf = new FakePdf([{ text: '' }]);
    const ocr = new FakeOcr();
    const result = await extractText(PDF_BYTES, { pdf, ocr }, { ...OPTIONS, minTextChars: 0 });
    expect(ocr.calls).toHaveLength(0);
    expect(result.pages[0]?.method).toBe('text-layer');
  });

  it('mixes text-layer and OCR pages in order, joined with form feeds', async () => {
    const pdf = new FakePdf([{ text: LONG_TEXT }, { text: '' }, { text: `${LONG_TEXT} page 3` }, { text: 'x' }]);
    const ocr = new FakeOcr((n) => ({ text: `ocr ${n}`, confidence: 0.5, width: 1, height: 1 }));
    const result = await extractText(PDF_BYTES, { pdf, ocr }, OPTIONS);
    expect(result.pages.map((p) => [p.page, p.method])).toEqual([
      [1, 'text-layer'],
      [2, 'ocr'],
      [3, 'text-layer'],
      [4, 'ocr'],
    ]);
    expect(pdf.renders.map((r) => r.page)).toEqual([2, 4]);
    expect(result.text).toBe([LONG_TEXT, 'ocr 1', `${LONG_TEXT} page 3`, 'ocr 2'].join('\f'));
    expect(result.text.split('\f')).toHaveLength(4);
  });

  it('weights confidence by text length', async () => {
    // 30 characters at 1 (text layer) and 10 at 0.6 (OCR): (30 + 6) / 40 = 0.9.
    const pdf = new FakePdf([{ text: 'x'.repeat(30) }, { text: '' }]);
    const ocr = new FakeOcr({ text: 'y'.repeat(10), confidence: 0.6, width: 1, height: 1 });
    const result = await extractText(PDF_BYTES, { pdf, ocr }, OPTIONS);
    expect(result.confidence).toBeCloseTo(0.9, 10);
  });

  it('reports confidence 0 when no page has any text', async () => {
    const pdf = new FakePdf([{ text: '' }]);
    const ocr = new FakeOcr({ text: '', confidence: 0.9, width: 1, height: 1 });
    const result = await extractText(PDF_BYTES, { pdf, ocr }, OPTIONS);
    expect(result.confidence).toBe(0);
    expect(result.text).toBe('');
  });

  it('closes the document when a page fails to load, and propagates the error', async () => {
    const pdf = new FakePdf([{ text: LONG_TEXT }, { text: LONG_TEXT }], { failOnPage: 2 });
    const err = await extractText(PDF_BYTES, { pdf, ocr: new FakeOcr() }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CorruptDocumentError);
    expect(pdf.closed).toBe(1);
  });

  it('closes the document when OCR fails, and propagates the error unchanged', async () => {
    const pdf = new FakePdf([{ text: '' }]);
    const failure = new DependencyUnavailableError('engine down');
    const err = await extractText(PDF_BYTES, { pdf, ocr: new FakeOcr(undefined, failure) }, OPTIONS).catch((e: unknown) => e);
    expect(err).toBe(failure);
    expect(pdf.closed).toBe(1);
  });
});

describe('extractText: images', () => {
  it.each([
    ['image/png', PNG_BYTES],
    ['image/jpeg', JPEG_BYTES],
  ] as const)('sends %s straight to OCR as one page', async (mediaType, bytes) => {
    const pdf = new FakePdf([]);
    const ocr = new FakeOcr({ text: 'Blue Door Cafe Total 14.50', confidence: 0.82, width: 800, height: 1200 });
    const result = await extractText(bytes, { pdf, ocr }, OPTIONS);
    expect(pdf.opened).toBe(0);
    expect(ocr.calls).toEqual([{ image: bytes, mediaType }]);
    expect(result).toEqual({
      mediaType,
      pages: [{ page: 1, method: 'ocr', text: 'Blue Door Cafe Total 14.50', confidence: 0.82, width: 800, height: 1200 }],
      text: 'Blue Door Cafe Total 14.50',
      confidence: expect.closeTo(0.82, 10),
      provenance: { engine: 'docroute-extract', ocrEngine: 'fake-ocr' },
    });
  });
});
