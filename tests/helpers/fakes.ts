import type { Line, MediaType } from '../../src/domain/document.js';
import { CorruptDocumentError } from '../../src/domain/errors.js';
import type { Clock } from '../../src/ports/clock.js';
import type { ImageOptions, ImagePipeline, PreparedImage } from '../../src/ports/image-pipeline.js';
import type { OcrEngine, OcrResult, RecognizeOptions } from '../../src/ports/ocr-engine.js';
import type { PdfDocument, PdfPage, PdfReader } from '../../src/ports/pdf-reader.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';

/** In-memory port fakes that record what they were asked, for unit and engine tests. */

export const ocrResult = (text: string, confidence = 0.8, lines: readonly Line[] = []): OcrResult => ({
  text,
  confidence,
  width: 100,
  height: 200,
  lines,
  engineVersion: 'fake-1',
});

export class FakeOcr implements OcrEngine {
  readonly name = 'fake-ocr';
  readonly calls: { image: Uint8Array; mediaType: MediaType; options: RecognizeOptions | undefined }[] = [];
  constructor(private readonly result: OcrResult | Error | ((call: number) => OcrResult | Error) = ocrResult('ocr text')) {}
  recognize(image: Uint8Array, mediaType: MediaType, options?: RecognizeOptions): Promise<OcrResult> {
    this.calls.push({ image, mediaType, options });
    const r = typeof this.result === 'function' ? this.result(this.calls.length) : this.result;
    return r instanceof Error ? Promise.reject(r) : Promise.resolve(r);
  }
  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface FakePageSpec {
  readonly text: string;
  readonly width?: number;
  readonly height?: number;
  readonly rotation?: 0 | 90 | 180 | 270;
  readonly lines?: readonly Line[];
}

export class FakePdf implements PdfReader {
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
          rotation: spec.rotation ?? 0,
          text: spec.text,
          lines: spec.lines ?? [],
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

/** An image pipeline that passes the bytes through, as `pages` pages of the given size. */
export class FakeImages implements ImagePipeline {
  readonly prepared: { page: number; options: ImageOptions }[] = [];
  constructor(private readonly opts: { pages?: number; width?: number; height?: number; dpi?: number; fail?: Error } = {}) {}
  pageCount(): Promise<number> {
    return this.opts.fail ? Promise.reject(this.opts.fail) : Promise.resolve(this.opts.pages ?? 1);
  }
  prepare(bytes: Uint8Array, _type: MediaType, page: number, options: ImageOptions): Promise<PreparedImage> {
    this.prepared.push({ page, options });
    return Promise.resolve({
      page,
      png: bytes,
      width: (this.opts.width ?? 800) * 2,
      height: (this.opts.height ?? 1200) * 2,
      originalWidth: this.opts.width ?? 800,
      originalHeight: this.opts.height ?? 1200,
      dpi: this.opts.dpi ?? 300,
      deskewDegrees: 0,
    });
  }
}

export class CountingLimiter implements RateLimiter {
  readonly acquired: { key: string; cost: number }[] = [];
  acquire(key: string, cost = 1): Promise<void> {
    this.acquired.push({ key, cost });
    return Promise.resolve();
  }
}

export const fixedClock = (iso = '2026-11-28T12:00:00.000Z'): Clock => ({ now: () => new Date(iso) });

export const IMAGE_OPTIONS: ImageOptions = { maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false };
