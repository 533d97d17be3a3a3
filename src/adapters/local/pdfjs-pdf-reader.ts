import { createRequire } from 'node:module';
import path from 'node:path';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import {
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InvalidStepInputError,
  PipelineError,
} from '../../domain/errors.js';
import type { PdfDocument, PdfPage, PdfReader, RasterImage } from '../../ports/pdf-reader.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

export interface PdfjsPdfReaderOptions {
  /** `open` rejects a PDF with more pages than this with `TOO_MANY_PAGES`. Unlimited when absent. */
  readonly maxPages?: number;
}

/**
 * A rendered page is capped at this many pixels per side and in total, whatever dpi is asked for:
 * a PDF may declare a page of 200 inches (14400 pt) and turn a 300 dpi render into gigabytes.
 * The scale is reduced to fit; the returned size says what was actually rendered.
 */
const MAX_RASTER_SIDE = 10_000;
const MAX_RASTER_PIXELS = 50_000_000;

/**
 * Embedded images larger than this (in pixels) are skipped by pdfjs instead of being decoded:
 * a few KB of JBIG2 or Flate can otherwise expand into a multi-gigabyte bitmap. 100 MP still
 * covers an A3 scan at 600 dpi.
 */
const MAX_EMBEDDED_IMAGE_PIXELS = 100_000_000;

/** pdfjs's exception names, as they cross its worker boundary (the classes are not all exported). */
const PASSWORD_EXCEPTION = 'PasswordException';

// Loaded on first use: pdfjs is ~100 ms of module evaluation that CLI commands without PDFs skip.
let pdfjsModule: Promise<Pdfjs> | undefined;

const loadPdfjs = (): Promise<Pdfjs> => {
  pdfjsModule ??= import('pdfjs-dist/legacy/build/pdf.mjs').catch((err: unknown) => {
    pdfjsModule = undefined;
    throw new DependencyUnavailableError(`pdfjs-dist could not be loaded (${err instanceof Error ? err.name : typeof err})`);
  });
  return pdfjsModule;
};

/** Where pdfjs-dist's data files live, as the directory paths (ending in '/') its Node loaders expect. */
interface PdfjsDataPaths {
  readonly standardFontDataUrl: string;
  readonly cMapUrl: string;
  readonly wasmUrl: string;
  readonly iccUrl: string;
}

let dataPaths: PdfjsDataPaths | undefined;

const pdfjsDataPaths = (): PdfjsDataPaths => {
  if (dataPaths === undefined) {
    const root = path.dirname(createRequire(import.meta.url).resolve('pdfjs-dist/package.json'));
    const dir = (name: string): string => `${path.join(root, name)}/`;
    dataPaths = {
      standardFontDataUrl: dir('standard_fonts'),
      cMapUrl: dir('cmaps'),
      wasmUrl: dir('wasm'),
      iccUrl: dir('iccs'),
    };
  }
  return dataPaths;
};

/**
 * The part of pdfjs's canvas factory we use. Rendering MUST go through pdfjs's own factory: pdfjs
 * polyfills Path2D/DOMMatrix from the @napi-rs/canvas it resolves itself (it pins its own copy), and
 * a canvas from another copy rejects those objects ("not a valid enum value of type CanvasFillRule").
 */
interface NapiCanvas {
  encode(format: 'png'): Promise<Uint8Array>;
}
interface CanvasAndContext {
  canvas: NapiCanvas;
  context: unknown;
}
interface CanvasFactory {
  create(width: number, height: number): CanvasAndContext;
  destroy(canvasAndContext: CanvasAndContext): void;
}

/** Vendor errors stop here, and their messages (which can quote the document) never pass through. */
const toDocumentError = (err: unknown): PipelineError => {
  if (err instanceof PipelineError) return err;
  if (err instanceof Error && err.name === PASSWORD_EXCEPTION) {
    return new CorruptDocumentError('PDF is encrypted with a password', 'ENCRYPTED_PDF');
  }
  return new CorruptDocumentError('PDF could not be parsed', 'CORRUPT_PDF');
};

interface TextItemLike {
  readonly str: string;
  readonly transform: readonly number[];
  readonly width: number;
  readonly height: number;
  readonly hasEOL: boolean;
}

// getTextContent also yields marked-content markers, which carry no text.
const isTextItem = (item: unknown): item is TextItemLike =>
  typeof item === 'object' && item !== null && typeof (item as { str?: unknown }).str === 'string';

/**
 * Joins pdfjs's text runs into lines. pdfjs flags line ends it sees in the content stream
 * (`hasEOL`), but a producer can also start a new line by just moving the pen, so a jump in the
 * baseline by more than half the text height breaks the line too. Runs on one line that are visibly
 * apart get a space, unless pdfjs already emitted one. Content-stream order is kept: sorting by
 * position would interleave the columns of a multi-column page.
 */
export const buildPageText = (items: readonly unknown[]): string => {
  const lines: string[] = [];
  let line = '';
  let lastY: number | undefined;
  let lastEndX: number | undefined;
  let lastHeight = 0;

  const endLine = (): void => {
    const trimmed = line.trimEnd();
    if (trimmed.length > 0) lines.push(trimmed);
    line = '';
    lastY = undefined;
    lastEndX = undefined;
  };

  for (const item of items) {
    if (!isTextItem(item)) continue;
    if (item.str.length > 0) {
      const x = item.transform[4] ?? 0;
      const y = item.transform[5] ?? 0;
      if (lastY !== undefined && Math.abs(y - lastY) > Math.max(lastHeight, item.height, 1) / 2) {
        endLine();
      } else if (
        lastEndX !== undefined &&
        item.height > 0 &&
        x - lastEndX > item.height * 0.2 &&
        !/\s$/.test(line) &&
        !/^\s/.test(item.str)
      ) {
        line += ' ';
      }
      line += item.str;
      lastY = y;
      lastEndX = x + item.width;
      if (item.height > 0) lastHeight = item.height;
    }
    if (item.hasEOL) endLine();
  }
  endLine();
  return lines.join('\n');
};

const renderPage = async (page: PDFPageProxy, canvasFactory: CanvasFactory, dpi: number): Promise<RasterImage> => {
  if (!Number.isFinite(dpi) || dpi <= 0) throw new InvalidStepInputError('render dpi must be a positive number');
  const unscaled = page.getViewport({ scale: 1 });
  let scale = dpi / 72;
  const longestSide = Math.max(unscaled.width, unscaled.height) * scale;
  if (longestSide > MAX_RASTER_SIDE) scale *= MAX_RASTER_SIDE / longestSide;
  const pixels = unscaled.width * unscaled.height * scale * scale;
  if (pixels > MAX_RASTER_PIXELS) scale *= Math.sqrt(MAX_RASTER_PIXELS / pixels);

  const viewport = page.getViewport({ scale });
  // Rounded, not ceiled: 612 pt at 200 dpi is 1700.0000000000002 px, and must stay 1700.
  const width = Math.min(MAX_RASTER_SIDE, Math.max(1, Math.round(viewport.width)));
  const height = Math.min(MAX_RASTER_SIDE, Math.max(1, Math.round(viewport.height)));
  const target = canvasFactory.create(width, height);
  try {
    await page.render({
      canvas: null,
      canvasContext: target.context as never,
      viewport,
      background: '#ffffff',
    }).promise;
    const png = await target.canvas.encode('png');
    return { png, width, height };
  } finally {
    canvasFactory.destroy(target);
    // Drops the page's decoded images and operator list; text and size are already captured.
    page.cleanup();
  }
};

const openPage = async (doc: PDFDocumentProxy, pageNumber: number): Promise<PdfPage> => {
  const proxy = await doc.getPage(pageNumber);
  const content = await proxy.getTextContent();
  const { width, height } = proxy.getViewport({ scale: 1 });
  const canvasFactory = doc.canvasFactory as CanvasFactory;
  return {
    page: pageNumber,
    width,
    height,
    text: buildPageText(content.items),
    render: async (dpi) => {
      try {
        return await renderPage(proxy, canvasFactory, dpi);
      } catch (err) {
        throw toDocumentError(err);
      }
    },
  };
};

const wrapDocument = (task: PDFDocumentLoadingTask, doc: PDFDocumentProxy): PdfDocument => {
  let closed: Promise<void> | undefined;
  return {
    pageCount: doc.numPages,
    page: async (pageNumber) => {
      if (!Number.isInteger(pageNumber) || pageNumber < 1 || pageNumber > doc.numPages) {
        throw new InvalidStepInputError(`page ${String(pageNumber)} is outside 1..${String(doc.numPages)}`);
      }
      try {
        return await openPage(doc, pageNumber);
      } catch (err) {
        throw toDocumentError(err);
      }
    },
    close: () => {
      // Destroying the task also destroys the document and its (in-process) worker.
      closed ??= task.destroy().catch(() => undefined);
      return closed;
    },
  };
};

/**
 * A PdfReader on pdfjs-dist. In Node pdfjs parses on the calling thread (its "fake worker"), so
 * callers bound concurrency themselves.
 */
export const createPdfjsPdfReader = (options: PdfjsPdfReaderOptions = {}): PdfReader => ({
  open: async (bytes) => {
    const pdfjs = await loadPdfjs();
    let task: PDFDocumentLoadingTask | undefined;
    try {
      task = pdfjs.getDocument({
        // A copy: pdfjs transfers the buffer to its worker, which detaches the caller's bytes.
        // `new Uint8Array(x)` copies, whereas `Buffer#slice` would only make a view.
        data: new Uint8Array(bytes),
        ...pdfjsDataPaths(),
        cMapPacked: true,
        useSystemFonts: false,
        disableFontFace: true,
        isEvalSupported: false,
        maxImageSize: MAX_EMBEDDED_IMAGE_PIXELS,
        // Warnings can quote the document (font names, text), and we never log document data.
        verbosity: pdfjs.VerbosityLevel.ERRORS,
      });
      const doc = await task.promise;
      if (options.maxPages !== undefined && doc.numPages > options.maxPages) {
        throw new DocumentTooLargeError(
          `PDF has ${String(doc.numPages)} pages, more than the limit of ${String(options.maxPages)}`,
          'TOO_MANY_PAGES',
        );
      }
      return wrapDocument(task, doc);
    } catch (err) {
      await task?.destroy().catch(() => undefined);
      throw toDocumentError(err);
    }
  },
});
