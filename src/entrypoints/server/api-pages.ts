import { createPdfjsPdfReader } from '../../adapters/local/pdfjs-pdf-reader.js';
import type { MediaType } from '../../domain/document.js';
import { PipelineError } from '../../domain/errors.js';
import type { PdfReader } from '../../ports/pdf-reader.js';

/**
 * Page images for the review screen: PDF pages rendered by the pipeline's pdfjs reader, image
 * pages through sharp, as PNG. Renders are kept in a small in-memory LRU (documents are
 * content-addressed, so a page never changes), concurrent requests for one page share one render,
 * and at most two renders run at a time (pdfjs renders on the calling thread).
 */

export type PageResult =
  | { readonly kind: 'png'; readonly png: Uint8Array; readonly width: number; readonly height: number }
  | { readonly kind: 'no-page'; readonly pageCount: number }
  | { readonly kind: 'unrenderable'; readonly reason: string };

export interface PageRendererOptions {
  readonly maxPages: number;
  /** Images with more pixels are not decoded (the Extract step's pixel-bomb limit). */
  readonly maxPixels: number;
  /** How many renders to keep, and how many bytes of PNG at most. */
  readonly cacheEntries?: number;
  readonly cacheBytes?: number;
}

/** Image pages are scaled down to this longest side for display; nobody reviews at 6000 px. */
const MAX_IMAGE_SIDE = 2400;
const MAX_CONCURRENT = 2;

type SharpConstructor = (typeof import('sharp'))['default'];
let sharpModule: Promise<SharpConstructor> | undefined;
const loadSharp = (): Promise<SharpConstructor> => {
  sharpModule ??= import('sharp').then((m) => m.default);
  return sharpModule;
};

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

export const createPageRenderer = (options: PageRendererOptions) => {
  const maxEntries = options.cacheEntries ?? 24;
  const maxBytes = options.cacheBytes ?? 48 * 1024 * 1024;
  const pdf: PdfReader = createPdfjsPdfReader({ maxPages: options.maxPages });
  const cache = new Map<string, Promise<PageResult>>();
  const sizes = new Map<string, number>();
  let cachedBytes = 0;

  let running = 0;
  const waiting: (() => void)[] = [];
  const limited = async <T>(fn: () => Promise<T>): Promise<T> => {
    if (running >= MAX_CONCURRENT) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await fn();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  };

  const evict = (): void => {
    for (const key of cache.keys()) {
      if (cache.size <= maxEntries && cachedBytes <= maxBytes) return;
      cache.delete(key);
      cachedBytes -= sizes.get(key) ?? 0;
      sizes.delete(key);
    }
  };

  const renderPdf = async (bytes: Uint8Array, page: number, dpi: number): Promise<PageResult> => {
    const doc = await pdf.open(bytes);
    try {
      if (page > doc.pageCount) return { kind: 'no-page', pageCount: doc.pageCount };
      const raster = await (await doc.page(page)).render(dpi);
      return { kind: 'png', png: raster.png, width: raster.width, height: raster.height };
    } finally {
      await doc.close();
    }
  };

  const renderImage = async (bytes: Uint8Array, page: number): Promise<PageResult> => {
    const sharp = await loadSharp();
    const meta = await sharp(asBuffer(bytes), { limitInputPixels: false }).metadata();
    const pages = meta.format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1;
    if (page > pages) return { kind: 'no-page', pageCount: pages };
    if (meta.width * meta.height > options.maxPixels) return { kind: 'unrenderable', reason: 'the image has more pixels than allowed' };
    const { data, info } = await sharp(asBuffer(bytes), { page: page - 1, limitInputPixels: options.maxPixels, autoOrient: true })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .resize({ width: MAX_IMAGE_SIDE, height: MAX_IMAGE_SIDE, fit: 'inside', withoutEnlargement: true })
      .png()
      .toBuffer({ resolveWithObject: true });
    return { kind: 'png', png: new Uint8Array(data), width: info.width, height: info.height };
  };

  const render = async (mediaType: MediaType, bytes: Uint8Array, page: number, dpi: number): Promise<PageResult> => {
    try {
      return await limited(() => (mediaType === 'application/pdf' ? renderPdf(bytes, page, dpi) : renderImage(bytes, page)));
    } catch (err) {
      // Vendor messages can quote the document: only our own taxonomy's words pass.
      return { kind: 'unrenderable', reason: err instanceof PipelineError ? err.message : 'the page could not be rendered' };
    }
  };

  return {
    /** The page as PNG; `load` is called only on a cache miss. */
    page: (
      documentId: string,
      page: number,
      dpi: number,
      load: () => Promise<{ mediaType: MediaType | null; bytes: Uint8Array }>,
    ): Promise<PageResult> => {
      const key = `${documentId}:${String(page)}:${String(dpi)}`;
      const hit = cache.get(key);
      if (hit) {
        // Refresh its place in the LRU order.
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const pending = (async (): Promise<PageResult> => {
        const { mediaType, bytes } = await load();
        if (!mediaType) return { kind: 'unrenderable', reason: 'the document is not a PDF or an image' };
        return render(mediaType, bytes, page, mediaType === 'application/pdf' ? dpi : 0);
      })();
      cache.set(key, pending);
      pending.then(
        (result) => {
          if (result.kind !== 'png') {
            if (cache.get(key) === pending) cache.delete(key);
            return;
          }
          if (cache.get(key) !== pending) return;
          sizes.set(key, result.png.byteLength);
          cachedBytes += result.png.byteLength;
          evict();
        },
        () => {
          if (cache.get(key) === pending) cache.delete(key);
        },
      );
      return pending;
    },
  };
};

export type PageRenderer = ReturnType<typeof createPageRenderer>;
