import { createRequire } from 'node:module';
import path from 'node:path';
import zlib from 'node:zlib';
import type { PDFDocumentLoadingTask, PDFDocumentProxy, PDFPageProxy } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { restoreNativeJson } from './native-json.js';
import {
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InvalidStepInputError,
  PipelineError,
} from '../../domain/errors.js';
import type { BoundingBox, Line, Word } from '../../domain/document.js';
import type { PdfDocument, PdfPage, PdfReader, RasterImage } from '../../ports/pdf-reader.js';

type Pdfjs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

export interface PdfjsPdfReaderOptions {
  /** `open` rejects a PDF with more pages than this with `TOO_MANY_PAGES`. Unlimited when absent. */
  readonly maxPages?: number;
  /**
   * `open` rejects a PDF with `DECOMPRESSED_TOO_LARGE` when one of its Flate streams inflates to
   * more than `stream` bytes, or all of them together to more than `total`. Default
   * MAX_DECOMPRESSED_BYTES.
   */
  readonly maxDecompressedBytes?: { readonly stream: number; readonly total: number };
}

/**
 * What a PDF's Flate streams may inflate to. pdfjs inflates a stream (content, image, font) whole
 * before it uses it, so a 1 MB stream of zeros that inflates to 1 GiB costs gigabytes of memory:
 * before this check, the first such bomb took the process to 10 GB. Per stream, 128 MiB holds
 * the raw pixels of an A4 page scanned at 600 dpi in colour (105 MB); the total bounds the time
 * the check itself may take (inflating runs at a few hundred MB/s) at 1 GiB, some 40 such pages.
 */
export const MAX_DECOMPRESSED_BYTES = { stream: 128 * 1024 * 1024, total: 1024 * 1024 * 1024 } as const;

/**
 * The largest page side, in points (after /UserUnit): ISO 32000's implementation limit is 14 400
 * units (200 inches). A larger page is refused with `PAGE_TOO_LARGE` instead of being rendered.
 */
export const MAX_PAGE_SIDE_POINTS = 14_400;

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

/** Flate filters applied in a row are inflated at most this many times over (3 covers every real producer). */
const MAX_FLATE_LAYERS = 3;
/** How far before a `stream` keyword its dictionary is looked for. */
const STREAM_DICT_LOOKBACK = 4096;

/** How many bytes `data` inflates to through `layers` Flate filters, counting stopped past `budget`. */
const inflatedSize = (data: Uint8Array, layers: number, budget: number): Promise<number> =>
  new Promise((resolve) => {
    // SYNC_FLUSH: a stream cut short still yields what it holds, without an error.
    // Output chunks sized to the input: small streams stay cheap, a bomb is counted in 1 MiB steps.
    const chunkSize = (layer: number): number =>
      layer > 0 ? 1 << 20 : Math.min(1 << 20, Math.max(zlib.constants.Z_DEFAULT_CHUNK, data.length * 4));
    const stages = Array.from({ length: layers }, (_, layer) =>
      zlib.createInflate({ finishFlush: zlib.constants.Z_SYNC_FLUSH, chunkSize: chunkSize(layer) }),
    );
    const last = stages[stages.length - 1];
    let size = 0;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      for (const stage of stages) stage.destroy();
      resolve(size);
    };
    stages.forEach((stage, i) => {
      stage.on('error', finish);
      const next = stages[i + 1];
      if (next) stage.pipe(next);
    });
    last?.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > budget) finish();
    });
    last?.on('end', finish);
    stages[0]?.end(data);
  });

/**
 * Measures what the file's Flate streams inflate to, before pdfjs sees them, and refuses the file
 * once a stream or the sum passes its limit: a decompression bomb is found in a streaming pass
 * with bounded memory, and stops being inflated as soon as it is one. Streams are found by their
 * `stream` keyword and their filters in the dictionary before it; data that does not inflate
 * (encrypted, corrupt) counts for what it yields.
 */
const checkDecompressedSize = async (bytes: Uint8Array, limits: { readonly stream: number; readonly total: number }): Promise<void> => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let total = 0;
  let at = buf.indexOf('stream');
  while (at >= 0) {
    const next = at + 'stream'.length;
    const isEnd = at >= 3 && buf.toString('latin1', at - 3, at) === 'end';
    let dataAt = -1;
    if (!isEnd && buf[next] === 0x0a) dataAt = next + 1;
    else if (!isEnd && buf[next] === 0x0d) dataAt = buf[next + 1] === 0x0a ? next + 2 : next + 1;
    if (dataAt >= 0) {
      const head = buf.toString('latin1', Math.max(0, at - STREAM_DICT_LOOKBACK), at);
      const dict = head.slice(head.lastIndexOf(' obj') + 1);
      const layers = Math.min(MAX_FLATE_LAYERS, dict.split('/FlateDecode').length - 1);
      const end = buf.indexOf('endstream', dataAt);
      if (layers > 0) {
        const budget = Math.min(limits.stream, limits.total - total);
        const size = await inflatedSize(buf.subarray(dataAt, end < 0 ? buf.length : end), layers, budget);
        total += size;
        if (size > limits.stream || total > limits.total) {
          const what =
            size > limits.stream
              ? `a stream inflates to more than ${String(limits.stream)}`
              : `streams inflate to more than ${String(limits.total)}`;
          throw new DocumentTooLargeError(`PDF ${what} bytes`, 'DECOMPRESSED_TOO_LARGE');
        }
      }
      if (end >= 0) {
        at = buf.indexOf('stream', end + 'endstream'.length);
        continue;
      }
    }
    at = buf.indexOf('stream', next);
  }
};

/** pdfjs's exception names, as they cross its worker boundary (the classes are not all exported). */
const PASSWORD_EXCEPTION = 'PasswordException';

// Loaded on first use: pdfjs is ~100 ms of module evaluation that CLI commands without PDFs skip.
let pdfjsModule: Promise<Pdfjs> | undefined;

const loadPdfjs = (): Promise<Pdfjs> => {
  pdfjsModule ??= (async () => {
    const pdfjs = await import('pdfjs-dist/legacy/build/pdf.mjs');
    // The worker module too, now rather than on the first document: pdfjs runs it in this thread
    // (its "fake worker", found on globalThis.pdfjsWorker), and evaluating it replaces the global
    // JSON functions as pdf.mjs does. Both loaded, the native ones are put back (native-json.ts).
    const g = globalThis as { pdfjsWorker?: unknown };
    g.pdfjsWorker ??= await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    restoreNativeJson();
    return pdfjs;
  })().catch((err: unknown) => {
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
  readonly fontName?: string;
  readonly dir?: string;
}

// getTextContent also yields marked-content markers, which carry no text.
const isTextItem = (item: unknown): item is TextItemLike =>
  typeof item === 'object' && item !== null && typeof (item as { str?: unknown }).str === 'string';

/** A piece of a line's text: a text run, or a space we inserted between two runs (no geometry). */
interface LinePiece {
  readonly str: string;
  readonly item: TextItemLike | null;
}

/**
 * Runs whose directions differ by more than this (cosine; about 25°) are never on one line: a
 * rotated label next to a table is a line of its own.
 */
const MIN_SAME_DIRECTION = 0.9;

/** The unit vector of a run's baseline in user space; (1, 0) for a degenerate transform. */
const baselineDirection = (transform: readonly number[]): readonly [number, number] => {
  const [a = 1, b = 0] = transform;
  const length = Math.hypot(a, b);
  return length > 0 ? [a / length, b / length] : [1, 0];
};

/** A run placed in its line's frame: where it starts and ends along the baseline. */
interface PlacedRun {
  readonly item: TextItemLike;
  readonly start: number;
  readonly end: number;
}

/**
 * Splits pdfjs's text runs into lines, in content-stream order. pdfjs flags line ends it sees in the
 * content stream (`hasEOL`), but a producer can also start a new line by just moving the pen, so a
 * jump in the baseline by more than half the text height breaks the line too, and so does a change
 * of direction. Positions are measured along and across the line's own baseline, not the page's x
 * and y: a landscape page is often a portrait page with /Rotate 90 whose text matrix turns the text
 * back, so its lines run up the page in user space (for ordinary text the two are the same).
 */
const splitLines = (items: readonly unknown[]): PlacedRun[][] => {
  const lines: PlacedRun[][] = [];
  let line: PlacedRun[] = [];
  let direction: readonly [number, number] | undefined;
  let lastAcross: number | undefined;
  let lastHeight = 0;

  const endLine = (): void => {
    if (line.length > 0) lines.push(line);
    line = [];
    direction = undefined;
    lastAcross = undefined;
  };

  for (const item of items) {
    if (!isTextItem(item)) continue;
    if (item.str.length > 0) {
      const [ux, uy] = baselineDirection(item.transform);
      if (direction !== undefined && ux * direction[0] + uy * direction[1] < MIN_SAME_DIRECTION) endLine();
      const x = item.transform[4] ?? 0;
      const y = item.transform[5] ?? 0;
      let [dx, dy] = direction ?? [ux, uy];
      if (lastAcross !== undefined && Math.abs(y * dx - x * dy - lastAcross) > Math.max(lastHeight, item.height, 1) / 2) {
        endLine();
        [dx, dy] = [ux, uy];
      }
      direction ??= [ux, uy];
      const start = x * dx + y * dy;
      line.push({ item, start, end: start + item.width });
      lastAcross = y * dx - x * dy;
      if (item.height > 0) lastHeight = item.height;
    }
    if (item.hasEOL) endLine();
  }
  endLine();
  return lines;
};

/**
 * Joins pdfjs's text runs into lines of text. Lines keep content-stream order: sorting lines by
 * position would interleave the columns of a multi-column page. Within a line, whose runs share a
 * baseline, runs are put left to right (producers of tables often write a row's cells in any order);
 * not for right-to-left text, whose runs pdfjs already gives in logical order. Runs that are visibly
 * apart get a space, unless there is one already. Lines are untrimmed; blank lines are dropped.
 */
const groupLines = (items: readonly unknown[]): LinePiece[][] => {
  const lines: LinePiece[][] = [];
  for (const runs of splitLines(items)) {
    const ordered = runs.some(({ item }) => item.dir === 'rtl') ? runs : [...runs].sort((a, b) => a.start - b.start);
    const pieces: LinePiece[] = [];
    let text = '';
    let lastEnd: number | undefined;
    for (const { item, start, end } of ordered) {
      if (item.str.trim().length === 0) {
        // pdfjs's own word spaces. Their width spans whatever gap they stand for (up to a jump across
        // a table), so they say nothing about where ink ends; and one space is enough.
        if (text.length > 0 && !/\s$/.test(text)) {
          pieces.push({ str: item.str, item });
          text += item.str;
        }
        continue;
      }
      if (lastEnd !== undefined && item.height > 0 && start - lastEnd > item.height * 0.2 && !/\s$/.test(text)) {
        pieces.push({ str: ' ', item: null });
        text += ' ';
      }
      pieces.push({ str: item.str, item });
      text += item.str;
      lastEnd = lastEnd === undefined ? end : Math.max(lastEnd, end);
    }
    if (text.trim().length > 0) lines.push(pieces);
  }
  return lines;
};

const lineText = (pieces: readonly LinePiece[]): string =>
  pieces
    .map((piece) => piece.str)
    .join('')
    .trimEnd();

/** The page's text layer: lines in content-stream order, joined by '\n' (see `groupLines`). */
export const buildPageText = (items: readonly unknown[]): string => groupLines(items).map(lineText).join('\n');

/** What `buildPageLines` needs of a pdfjs viewport at scale 1: user space → upright page, y down. */
export interface PageViewportLike {
  readonly transform: readonly number[];
  readonly width: number;
  readonly height: number;
}

/** What `buildPageLines` needs of pdfjs's per-font styles (ascent and descent in em). */
export interface TextStyleLike {
  readonly ascent?: number;
  readonly descent?: number;
  readonly vertical?: boolean;
}

/**
 * pdfjs reports the font's ascent and descent in em, but some fonts carry none or nonsense (0, or
 * several em from a broken descriptor). Like pdfjs's own text layer, fall back to 0.8 em above the
 * baseline and whatever is left of 1 em below it.
 */
const DEFAULT_ASCENT = 0.8;

const fontExtent = (style: TextStyleLike | undefined): { ascent: number; descent: number } => {
  const ascent = style?.ascent;
  const descent = style?.descent;
  const goodDescent = descent !== undefined && descent <= 0 && descent >= -1 ? descent : undefined;
  if (ascent !== undefined && ascent > 0 && ascent <= 1.5) return { ascent, descent: goodDescent ?? ascent - 1 };
  if (goodDescent !== undefined) return { ascent: 1 + goodDescent, descent: goodDescent };
  return { ascent: DEFAULT_ASCENT, descent: DEFAULT_ASCENT - 1 };
};

/** An axis-aligned box in upright page units (points at scale 1), y down. */
interface Extent {
  minX: number;
  minY: number;
  maxX: number;
  maxY: number;
}

const unionExtent = (a: Extent | undefined, b: Extent): Extent =>
  a === undefined
    ? { ...b }
    : { minX: Math.min(a.minX, b.minX), minY: Math.min(a.minY, b.minY), maxX: Math.max(a.maxX, b.maxX), maxY: Math.max(a.maxY, b.maxY) };

const clamp01 = (value: number): number => (Number.isFinite(value) ? Math.min(1, Math.max(0, value)) : 0);

const toBox = (extent: Extent, viewport: PageViewportLike): BoundingBox => {
  const left = clamp01(extent.minX / viewport.width);
  const top = clamp01(extent.minY / viewport.height);
  return {
    left,
    top,
    width: clamp01(extent.maxX / viewport.width) - left,
    height: clamp01(extent.maxY / viewport.height) - top,
  };
};

/**
 * Maps a slice of a run to the upright page. A run's transform places its baseline origin in user
 * space and its x/y axes give the text direction and the glyphs' "up"; pdfjs gives the run's advance
 * (`width`, or `height` for vertical fonts) but not each glyph's, so a slice of characters [from, to)
 * of `count` gets the same fraction of the advance. The four corners go through the viewport
 * transform, which applies the page's /Rotate and view box, and the box is their bounding box.
 */
const sliceExtent = (
  item: TextItemLike,
  style: TextStyleLike | undefined,
  viewport: PageViewportLike,
  from: number,
  to: number,
  count: number,
): Extent => {
  const [, , c = 0, d = 1, e = 0, f = 0] = item.transform;
  const [ux, uy] = baselineDirection(item.transform);
  // The font size is the length of the glyphs' "up" axis in user space.
  const size = Math.hypot(c, d);
  const vx = size > 0 ? c / size : -uy;
  const vy = size > 0 ? d / size : ux;
  const corners: (readonly [number, number])[] = [];
  if (style?.vertical === true) {
    // Vertical writing: glyphs are centred on the origin and advance down the text space's y axis.
    const half = item.width / 2;
    const start = (item.height * from) / count;
    const end = (item.height * to) / count;
    for (const across of [-half, half]) {
      for (const along of [start, end]) corners.push([e + ux * across - vx * along, f + uy * across - vy * along]);
    }
  } else {
    const { ascent, descent } = fontExtent(style);
    const start = (item.width * from) / count;
    const end = (item.width * to) / count;
    for (const along of [start, end]) {
      for (const up of [descent * size, ascent * size]) corners.push([e + ux * along + vx * up, f + uy * along + vy * up]);
    }
  }
  const [ta = 1, tb = 0, tc = 0, td = 1, te = 0, tf = 0] = viewport.transform;
  let extent: Extent | undefined;
  for (const [x, y] of corners) {
    const px = ta * x + tc * y + te;
    const py = tb * x + td * y + tf;
    extent = unionExtent(extent, { minX: px, minY: py, maxX: px, maxY: py });
  }
  return extent ?? { minX: 0, minY: 0, maxX: 0, maxY: 0 };
};

/**
 * The page's text layer as lines and words with boxes, in the same lines and order as
 * `buildPageText`, so `lines.map(l => l.text).join('\n')` is the page text. Words are the
 * line's whitespace-separated tokens; a word may span runs (producers often split a word where
 * kerning changes). Boxes are fractions of the upright page (after /Rotate), origin top-left.
 * A text layer is what the producer wrote, so every confidence is 1.
 */
export const buildPageLines = (
  items: readonly unknown[],
  viewport: PageViewportLike,
  styles: Readonly<Record<string, TextStyleLike>> = {},
): Line[] => {
  const lines: Line[] = [];
  for (const pieces of groupLines(items)) {
    const words: Word[] = [];
    let wordText = '';
    let wordExtent: Extent | undefined;
    const endWord = (): void => {
      if (wordText.length > 0 && wordExtent !== undefined) {
        words.push({ text: wordText, confidence: 1, box: toBox(wordExtent, viewport) });
      }
      wordText = '';
      wordExtent = undefined;
    };
    for (const { str, item } of pieces) {
      if (item === null) {
        endWord();
        continue;
      }
      // Code points, not UTF-16 units: a CJK extension or emoji glyph is one character of advance.
      const chars = Array.from(str);
      const style = item.fontName === undefined ? undefined : styles[item.fontName];
      let start = 0;
      while (start < chars.length) {
        if (/\s/.test(chars[start] ?? '')) {
          endWord();
          start += 1;
          continue;
        }
        let end = start;
        while (end < chars.length && !/\s/.test(chars[end] ?? '')) end += 1;
        wordText += chars.slice(start, end).join('');
        wordExtent = unionExtent(wordExtent, sliceExtent(item, style, viewport, start, end, chars.length));
        start = end;
      }
    }
    endWord();
    let lineExtent: Extent | undefined;
    for (const word of words) {
      const { left, top, width, height } = word.box;
      lineExtent = unionExtent(lineExtent, { minX: left, minY: top, maxX: left + width, maxY: top + height });
    }
    if (lineExtent === undefined) continue;
    lines.push({
      text: lineText(pieces),
      confidence: 1,
      box: {
        left: lineExtent.minX,
        top: lineExtent.minY,
        width: lineExtent.maxX - lineExtent.minX,
        height: lineExtent.maxY - lineExtent.minY,
      },
      words,
    });
  }
  return lines;
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

/**
 * pdfjs already reduces /Rotate to 0–359 and ignores values that are not multiples of 90, but the
 * port promises exactly one of four values, so anything else is folded onto the nearest quarter turn.
 */
const normaliseRotation = (degrees: number): PdfPage['rotation'] => {
  const quarterTurns = Number.isFinite(degrees) ? Math.round(degrees / 90) : 0;
  const rotation = (((quarterTurns % 4) + 4) % 4) * 90;
  return rotation === 90 || rotation === 180 || rotation === 270 ? rotation : 0;
};

const openPage = async (doc: PDFDocumentProxy, pageNumber: number): Promise<PdfPage> => {
  const proxy = await doc.getPage(pageNumber);
  const viewport = proxy.getViewport({ scale: 1 });
  // Checked before the content is read: a page of 10^7 pt would otherwise be rendered for OCR.
  const side = Math.max(viewport.width, viewport.height) * (proxy.userUnit || 1);
  if (!(side <= MAX_PAGE_SIDE_POINTS)) {
    throw new DocumentTooLargeError(
      `page ${String(pageNumber)} is larger than ${String(MAX_PAGE_SIDE_POINTS)} pt on a side`,
      'PAGE_TOO_LARGE',
    );
  }
  const content = await proxy.getTextContent();
  const lines = buildPageLines(content.items, viewport, content.styles);
  const canvasFactory = doc.canvasFactory as CanvasFactory;
  return {
    page: pageNumber,
    width: viewport.width,
    height: viewport.height,
    rotation: normaliseRotation(proxy.rotate),
    text: lines.map((line) => line.text).join('\n'),
    lines,
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
    await checkDecompressedSize(bytes, options.maxDecompressedBytes ?? MAX_DECOMPRESSED_BYTES);
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
