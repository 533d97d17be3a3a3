import type { Line } from '../domain/document.js';

/** A raster image handed to OCR: encoded PNG bytes plus its size. */
export interface RasterImage {
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
}

export interface PdfPage {
  /** 1-based. */
  readonly page: number;
  /** Size in PDF points, after the page's /Rotate. */
  readonly width: number;
  readonly height: number;
  /** The page's /Rotate, normalised to 0, 90, 180 or 270. */
  readonly rotation: 0 | 90 | 180 | 270;
  /** The text layer, in reading order, lines separated by `\n`. Empty when the page has none. */
  readonly text: string;
  /** The text layer as lines and words with boxes (0–1, upright page); confidence 1. */
  readonly lines: readonly Line[];
  /** Renders the page for OCR. */
  render(dpi: number): Promise<RasterImage>;
}

export interface PdfDocument {
  readonly pageCount: number;
  /** Pages are loaded lazily so a long PDF is never held in memory whole. */
  page(pageNumber: number): Promise<PdfPage>;
  close(): Promise<void>;
}

/**
 * Opens PDFs.
 * Contract: `open` MUST throw `CorruptDocumentError('...', 'CORRUPT_PDF')` for bytes that do not parse
 * and `CorruptDocumentError('...', 'ENCRYPTED_PDF')` for a PDF that needs a password. Messages never
 * contain the document's text.
 */
export interface PdfReader {
  open(bytes: Uint8Array): Promise<PdfDocument>;
}
