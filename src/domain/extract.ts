import type { Extraction, MediaType, PageText, Provenance } from './document.js';
import { DocumentTooLargeError, UnsupportedDocumentError } from './errors.js';
import { sniffMediaType } from './sniff.js';
import { assessTextLayer } from './text-quality.js';
import type { Clock } from '../ports/clock.js';
import type { ImageOptions, ImagePipeline } from '../ports/image-pipeline.js';
import type { OcrEngine, OcrResult } from '../ports/ocr-engine.js';
import type { PdfReader } from '../ports/pdf-reader.js';
import type { RateLimiter } from '../ports/rate-limiter.js';

export interface ExtractOptions {
  readonly maxFileBytes: number;
  readonly maxPages: number;
  /** A PDF page whose (usable) text layer is shorter than this is OCRed. */
  readonly minTextChars: number;
  /** Resolution PDF pages are rendered at for OCR. */
  readonly dpi: number;
  /** Budget per OCRed page; past it the page fails with StepTimeoutError (retried by the state machine). */
  readonly ocrTimeoutMs: number;
  readonly image: ImageOptions;
}

export interface ExtractDeps {
  readonly pdf: PdfReader;
  readonly ocr: OcrEngine;
  readonly images: ImagePipeline;
  /** Every OCRed page takes one token, as every Textract page will on AWS. */
  readonly limiter: RateLimiter;
  readonly clock: Clock;
}

/** The limiter key shared by everything that OCRs pages. */
export const OCR_RATE_KEY = 'ocr-pages';

const IMAGE_TYPES: ReadonlySet<MediaType> = new Set(['image/png', 'image/jpeg', 'image/tiff', 'image/webp', 'image/bmp']);

const meaningfulChars = (text: string): number => text.replace(/\s+/g, '').length;

/** Whether any page has text. A text-less extraction still carries its pages' sizes and methods. */
export const hasText = (extraction: Extraction): boolean => extraction.pages.some((p) => meaningfulChars(p.text) > 0);

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

/**
 * Reads a document's text: the PDF text layer where it is real, OCR for scanned or garbled pages
 * and for images (pre-processed: greyscale, upscaled when low-resolution, optionally deskewed).
 * Throws DocumentErrors (terminal, routed to reject) for empty, oversized, unsupported or corrupt
 * input. A page without text is not an error here: some classes (folders, handwriting) are told
 * apart by their layout; the Classify step decides (see `hasText`). StepTimeoutError (retryable) when a page's OCR overruns its budget.
 */
export const extractText = async (bytes: Uint8Array, deps: ExtractDeps, options: ExtractOptions): Promise<Extraction> => {
  const started = deps.clock.now();
  if (bytes.length === 0) throw new UnsupportedDocumentError('file is empty', 'EMPTY_FILE');
  if (bytes.length > options.maxFileBytes) {
    throw new DocumentTooLargeError(`file is ${bytes.length} bytes; the limit is ${options.maxFileBytes}`);
  }
  const mediaType = sniffMediaType(bytes);
  if (!mediaType) throw new UnsupportedDocumentError('file type is not supported (expected PDF, PNG, JPEG, TIFF or WebP)');

  let ocrVersion: string | undefined;
  const ocr = async (png: Uint8Array): Promise<OcrResult> => {
    await deps.limiter.acquire(OCR_RATE_KEY, 1);
    const r = await deps.ocr.recognize(png, 'image/png', { timeoutMs: options.ocrTimeoutMs });
    ocrVersion ??= r.engineVersion;
    return r;
  };

  const pages: PageText[] = [];
  let ocrDpi: number | undefined;
  if (IMAGE_TYPES.has(mediaType)) {
    const count = await deps.images.pageCount(bytes, mediaType);
    if (count > options.maxPages) {
      throw new DocumentTooLargeError(`image has ${count} pages; the limit is ${options.maxPages}`, 'TOO_MANY_PAGES');
    }
    for (let n = 1; n <= count; n++) {
      const prepared = await deps.images.prepare(bytes, mediaType, n, options.image);
      const r = await ocr(prepared.png);
      ocrDpi = prepared.dpi;
      pages.push({
        page: n,
        method: 'ocr',
        text: r.text,
        confidence: round3(r.confidence),
        width: prepared.originalWidth,
        height: prepared.originalHeight,
        rotation: 0,
        dpi: prepared.dpi,
        lines: r.lines,
        ...(prepared.deskewDegrees !== 0 ? { note: `DESKEWED ${prepared.deskewDegrees.toFixed(1)}°` } : {}),
      });
    }
  } else {
    const doc = await deps.pdf.open(bytes);
    try {
      if (doc.pageCount > options.maxPages) {
        throw new DocumentTooLargeError(`PDF has ${doc.pageCount} pages; the limit is ${options.maxPages}`, 'TOO_MANY_PAGES');
      }
      for (let n = 1; n <= doc.pageCount; n++) {
        const page = await doc.page(n);
        const quality = assessTextLayer(page.text);
        if (quality.usable && meaningfulChars(page.text) >= options.minTextChars) {
          pages.push({
            page: n,
            method: 'text-layer',
            text: page.text,
            confidence: 1,
            width: page.width,
            height: page.height,
            rotation: page.rotation,
            lines: page.lines,
          });
          continue;
        }
        const raster = await page.render(options.dpi);
        const r = await ocr(raster.png);
        ocrDpi = options.dpi;
        pages.push({
          page: n,
          method: 'ocr',
          text: r.text,
          confidence: round3(r.confidence),
          width: page.width,
          height: page.height,
          rotation: page.rotation,
          dpi: options.dpi,
          lines: r.lines,
          // Why this page was OCRed although it had a text layer: the audit of "why OCR".
          ...(meaningfulChars(page.text) > 0 && !quality.usable ? { note: `TEXT_LAYER_${quality.reason}` } : {}),
        });
      }
    } finally {
      // A failing close must not mask the error that got us here (or fail a good extraction).
      await doc.close().catch(() => undefined);
    }
  }

  const weighted = pages.reduce((n, p) => n + p.text.length, 0);
  const confidence = weighted === 0 ? 0 : pages.reduce((sum, p) => sum + p.confidence * p.text.length, 0) / weighted;
  const usedOcr = pages.some((p) => p.method === 'ocr');
  const provenance: Provenance = {
    engine: 'docroute-extract',
    engineVersion: '2',
    ...(usedOcr ? { ocrEngine: deps.ocr.name } : {}),
    ...(usedOcr && ocrVersion ? { ocrEngineVersion: ocrVersion } : {}),
    ...(ocrDpi !== undefined ? { dpi: ocrDpi } : {}),
    startedAt: started.toISOString(),
    durationMs: deps.clock.now().getTime() - started.getTime(),
  };
  return {
    mediaType,
    pages,
    text: pages.map((p) => p.text).join('\f'),
    confidence: round3(confidence),
    provenance,
  };
};
