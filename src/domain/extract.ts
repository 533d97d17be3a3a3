import type { Extraction, MediaType, PageText } from './document.js';
import { DocumentTooLargeError, UnsupportedDocumentError } from './errors.js';
import { sniffMediaType } from './sniff.js';
import type { OcrEngine } from '../ports/ocr-engine.js';
import type { PdfReader } from '../ports/pdf-reader.js';

export interface ExtractOptions {
  readonly maxFileBytes: number;
  readonly maxPages: number;
  /** A PDF page whose text layer is shorter than this is OCRed. */
  readonly minTextChars: number;
  readonly dpi: number;
}

export interface ExtractDeps {
  readonly pdf: PdfReader;
  readonly ocr: OcrEngine;
}

/** Images tesseract reads directly. TIFF/WebP/BMP decoding arrives with the image pipeline. */
const OCR_IMAGE_TYPES: ReadonlySet<MediaType> = new Set(['image/png', 'image/jpeg']);

const meaningfulChars = (text: string): number => text.replace(/\s+/g, '').length;

const summarise = (mediaType: MediaType, pages: PageText[], ocrEngine: string | undefined): Extraction => {
  const totalChars = pages.reduce((n, p) => n + p.text.length, 0);
  const confidence = totalChars === 0 ? 0 : pages.reduce((sum, p) => sum + p.confidence * p.text.length, 0) / totalChars;
  return {
    mediaType,
    pages,
    text: pages.map((p) => p.text).join('\f'),
    confidence,
    provenance: ocrEngine ? { engine: 'docroute-extract', ocrEngine } : { engine: 'docroute-extract' },
  };
};

/**
 * Reads a document's text: the PDF text layer where it is real, OCR for scanned pages and images.
 * Throws DocumentErrors (terminal, routed to reject) for empty, oversized, unsupported or corrupt input.
 */
export const extractText = async (bytes: Uint8Array, deps: ExtractDeps, options: ExtractOptions): Promise<Extraction> => {
  if (bytes.length === 0) throw new UnsupportedDocumentError('file is empty', 'EMPTY_FILE');
  if (bytes.length > options.maxFileBytes) {
    throw new DocumentTooLargeError(`file is ${bytes.length} bytes; the limit is ${options.maxFileBytes}`);
  }
  const mediaType = sniffMediaType(bytes);
  if (!mediaType) throw new UnsupportedDocumentError('file type is not supported (expected PDF, PNG or JPEG)');

  if (mediaType !== 'application/pdf') {
    if (!OCR_IMAGE_TYPES.has(mediaType)) {
      throw new UnsupportedDocumentError(`${mediaType} is not supported yet (expected PDF, PNG or JPEG)`);
    }
    const r = await deps.ocr.recognize(bytes, mediaType);
    return summarise(
      mediaType,
      [{ page: 1, method: 'ocr', text: r.text, confidence: r.confidence, width: r.width, height: r.height }],
      deps.ocr.name,
    );
  }

  const doc = await deps.pdf.open(bytes);
  try {
    if (doc.pageCount > options.maxPages) {
      throw new DocumentTooLargeError(`PDF has ${doc.pageCount} pages; the limit is ${options.maxPages}`, 'TOO_MANY_PAGES');
    }
    const pages: PageText[] = [];
    let usedOcr = false;
    for (let n = 1; n <= doc.pageCount; n++) {
      const page = await doc.page(n);
      if (meaningfulChars(page.text) >= options.minTextChars) {
        pages.push({ page: n, method: 'text-layer', text: page.text, confidence: 1, width: page.width, height: page.height });
        continue;
      }
      const raster = await page.render(options.dpi);
      const r = await deps.ocr.recognize(raster.png, 'image/png');
      usedOcr = true;
      pages.push({ page: n, method: 'ocr', text: r.text, confidence: r.confidence, width: page.width, height: page.height });
    }
    return summarise(mediaType, pages, usedOcr ? deps.ocr.name : undefined);
  } finally {
    // A failing close must not mask the error that got us here (or fail a good extraction).
    await doc.close().catch(() => undefined);
  }
};
