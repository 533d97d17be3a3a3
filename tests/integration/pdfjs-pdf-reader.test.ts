import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { degrees, PDFDocument, StandardFonts } from 'pdf-lib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPageLines, buildPageText, createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';
import type { BoundingBox, Line } from '../../src/domain/document.js';
import { CorruptDocumentError, DocumentTooLargeError, InvalidStepInputError, type DocumentReasonCode } from '../../src/domain/errors.js';
import { assessTextLayer, type TextLayerAssessment } from '../../src/domain/text-quality.js';
import type { PdfPage } from '../../src/ports/pdf-reader.js';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const PUBLIC_PDFS = path.resolve(REPO_ROOT, '../shared/datasets/pdfs/public');

/** Two letter pages: the second carries /Rotate 90. Separate drawText calls on one baseline test line joining. */
const makeTextPdf = async (): Promise<Uint8Array> => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const first = doc.addPage([612, 792]);
  first.drawText('Invoice number 12345', { x: 72, y: 700, size: 24, font });
  first.drawText('Total amount due', { x: 72, y: 660, size: 18, font });
  first.drawText('EUR 99.50', { x: 300, y: 660, size: 18, font });
  first.drawText('Due date:', { x: 72, y: 620, size: 12, font });
  first.drawText('2024-01-31', { x: 200, y: 620, size: 12, font });
  const second = doc.addPage([612, 792]);
  second.setRotation(degrees(90));
  second.drawText('Rotated page', { x: 72, y: 700, size: 24, font });
  return doc.save();
};

/**
 * A letter page with a heading, a total near the bottom-right drawn in two runs, and a landscape
 * page made the usual way: a portrait page with /Rotate 90 whose text is drawn turned back by 90°,
 * so it reads left to right on screen.
 */
const makeLayoutPdf = async (): Promise<Uint8Array> => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const letter = doc.addPage([612, 792]);
  letter.drawText('Invoice 2024-0117', { x: 72, y: 720, size: 20, font });
  letter.drawText('TOTAL', { x: 400, y: 80, size: 14, font });
  letter.drawText('EUR 99.50', { x: 470, y: 80, size: 14, font });
  const landscape = doc.addPage([612, 792]);
  landscape.setRotation(degrees(90));
  const turned = { size: 18, font, rotate: degrees(90) };
  // On screen x grows with user y and y grows with user x (see pdfjs's viewport for /Rotate 90).
  landscape.drawText('Landscape statement', { ...turned, x: 60, y: 72 });
  landscape.drawText('TOTAL', { ...turned, x: 560, y: 560 });
  landscape.drawText('EUR 99.50', { ...turned, x: 560, y: 640 });
  return doc.save();
};

const boxesOf = (lines: readonly Line[]): BoundingBox[] => lines.flatMap((line) => [line.box, ...line.words.map((word) => word.box)]);

const expectBoxInPage = (box: BoundingBox, label: string): void => {
  expect(box.left, label).toBeGreaterThanOrEqual(0);
  expect(box.top, label).toBeGreaterThanOrEqual(0);
  expect(box.width, label).toBeGreaterThanOrEqual(0);
  expect(box.height, label).toBeGreaterThanOrEqual(0);
  expect(box.left + box.width, label).toBeLessThanOrEqual(1 + 1e-9);
  expect(box.top + box.height, label).toBeLessThanOrEqual(1 + 1e-9);
};

/**
 * Renders the page and checks the boxes against the ink: all ink falls in some line box (2 px of
 * slack at 72 dpi for anti-aliasing), and every word box holds ink. Word boxes split a run by
 * character count, so a word's edge can be off by part of a glyph: they are only held to the second.
 * This ties the boxes to what a viewer shows, rotation included.
 */
const expectBoxesOnInk = async (page: PdfPage): Promise<void> => {
  const { createCanvas } = await import('@napi-rs/canvas');
  const raster = await page.render(72);
  const image = await loadImage(Buffer.from(raster.png));
  const canvas = createCanvas(image.width, image.height);
  const context = canvas.getContext('2d');
  context.drawImage(image, 0, 0);
  const { data } = context.getImageData(0, 0, image.width, image.height);
  const slack = 2;
  const toPixels = (box: BoundingBox) => ({
    x0: box.left * image.width - slack,
    y0: box.top * image.height - slack,
    x1: (box.left + box.width) * image.width + slack,
    y1: (box.top + box.height) * image.height + slack,
    ink: 0,
  });
  const lineBoxes = page.lines.map((line) => toPixels(line.box));
  const wordBoxes = page.lines.flatMap((line) => line.words).map((word) => toPixels(word.box));
  let ink = 0;
  let outside = 0;
  for (let y = 0; y < image.height; y += 1) {
    for (let x = 0; x < image.width; x += 1) {
      if ((data[(y * image.width + x) * 4] ?? 255) >= 160) continue;
      ink += 1;
      const inside = (b: ReturnType<typeof toPixels>): boolean => x + 0.5 >= b.x0 && x + 0.5 <= b.x1 && y + 0.5 >= b.y0 && y + 0.5 <= b.y1;
      if (!lineBoxes.some(inside)) outside += 1;
      for (const word of wordBoxes) if (inside(word)) word.ink += 1;
    }
  }
  expect(ink).toBeGreaterThan(100);
  expect(outside).toBe(0);
  for (const word of wordBoxes) expect(word.ink).toBeGreaterThan(0);
};

/** Writes a classic (uncompressed xref) PDF from object bodies numbered 1..n; object 1 is the catalog. */
const writeRawPdf = (objects: readonly string[], trailerExtra = ''): Uint8Array => {
  let out = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(out.length);
    out += `${String(i + 1)} 0 obj\n${body}\nendobj\n`;
  });
  const xref = out.length;
  out += `xref\n0 ${String(objects.length + 1)}\n0000000000 65535 f \n`;
  out += offsets.map((offset) => `${String(offset).padStart(10, '0')} 00000 n \n`).join('');
  out += `trailer\n<< /Size ${String(objects.length + 1)} /Root 1 0 R ${trailerExtra}>>\n`;
  out += `startxref\n${String(xref)}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(out, 'latin1'));
};

const stream = (content: string): string => `<< /Length ${String(content.length)} >>\nstream\n${content}\nendstream`;

/**
 * A PDF whose standard security handler wants a user password: the /U entry is not what the empty
 * password produces, so pdfjs cannot open it without one. pdf-lib cannot write encrypted files.
 */
const makeEncryptedPdf = (): Uint8Array => {
  const hex = (byte: number, length: number): string => byte.toString(16).padStart(2, '0').repeat(length);
  const id = `<${hex(0xab, 16)}>`;
  return writeRawPdf(
    [
      '<< /Type /Catalog /Pages 2 0 R >>',
      '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
      stream(''),
      `<< /Filter /Standard /V 1 /R 2 /Length 40 /P -4 /O <${hex(0x11, 32)}> /U <${hex(0x22, 32)}> >>`,
    ],
    `/Encrypt 5 0 R /ID [${id} ${id}] `,
  );
};

/**
 * Japanese text in a non-embedded CID font with a predefined CMap (Shift-JIS, 90ms-RKSJ-H), as
 * older Japanese producers write it. pdfjs can only map the codes with its packed CMap files.
 */
const makeCjkPdf = (): Uint8Array =>
  writeRawPdf([
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>',
    // 日本語 in Shift-JIS.
    stream('BT /F1 24 Tf 72 700 Td <93FA967B8CEA> Tj ET'),
    '<< /Type /Font /Subtype /Type0 /BaseFont /MS-Mincho /Encoding /90ms-RKSJ-H /DescendantFonts [6 0 R] >>',
    '<< /Type /Font /Subtype /CIDFontType2 /BaseFont /MS-Mincho /CIDSystemInfo << /Registry (Adobe) /Ordering (Japan1) /Supplement 2 >> /FontDescriptor 7 0 R >>',
    '<< /Type /FontDescriptor /FontName /MS-Mincho /Flags 4 /FontBBox [0 -141 1000 859] /ItalicAngle 0 /Ascent 859 /Descent -141 /CapHeight 700 /StemV 80 >>',
  ]);

/** A PDF with a wrong startxref: pdfjs recovers by indexing every object, and warns about it at its default verbosity. */
const makeRecoverablePdf = async (): Promise<Uint8Array> => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  doc.addPage([612, 792]).drawText('Recovered page text', { x: 72, y: 700, size: 24, font });
  const source = Buffer.from(await doc.save({ useObjectStreams: false })).toString('latin1');
  return new Uint8Array(Buffer.from(source.replace(/startxref\n\d+/, 'startxref\n999999'), 'latin1'));
};

const expectDocumentError = async (
  promise: Promise<unknown>,
  errorClass: typeof CorruptDocumentError | typeof DocumentTooLargeError,
  reasonCode: DocumentReasonCode,
): Promise<Error> => {
  const error = await promise.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(error).toBeInstanceOf(errorClass);
  expect((error as CorruptDocumentError).reasonCode).toBe(reasonCode);
  return error as Error;
};

describe('createPdfjsPdfReader', () => {
  const reader = createPdfjsPdfReader();
  let textPdf: Uint8Array;

  beforeAll(async () => {
    textPdf = await makeTextPdf();
  });

  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('loads pdfjs on the first open, not on import', async () => {
    // pdfjs installs a DOMMatrix polyfill when it loads: its absence shows the import was deferred.
    expect(globalThis).not.toHaveProperty('DOMMatrix');
    await (await reader.open(textPdf)).close();
    expect(globalThis).toHaveProperty('DOMMatrix');
  });

  it('reads the text layer as lines, with page count and sizes', async () => {
    const doc = await reader.open(textPdf);
    try {
      expect(doc.pageCount).toBe(2);
      const first = await doc.page(1);
      expect(first.page).toBe(1);
      expect(first.width).toBe(612);
      expect(first.height).toBe(792);
      expect(first.text).toBe('Invoice number 12345\nTotal amount due EUR 99.50\nDue date: 2024-01-31');

      const second = await doc.page(2);
      // The size is after /Rotate.
      expect(second.width).toBe(792);
      expect(second.height).toBe(612);
      expect(second.text).toBe('Rotated page');
    } finally {
      await doc.close();
    }
  });

  it('gives lines and words with boxes on the upright page, in the order of the text', async () => {
    const doc = await reader.open(await makeLayoutPdf());
    try {
      const page = await doc.page(1);
      expect(page.rotation).toBe(0);
      expect(page.text).toBe('Invoice 2024-0117\nTOTAL EUR 99.50');
      expect(page.lines.map((line) => line.text).join('\n')).toBe(page.text);
      expect(page.lines.map((line) => line.words.map((word) => word.text))).toEqual([
        ['Invoice', '2024-0117'],
        ['TOTAL', 'EUR', '99.50'],
      ]);
      for (const line of page.lines) {
        expect(line.confidence).toBe(1);
        for (const word of line.words) expect(word.confidence).toBe(1);
      }
      const total = page.lines[1]?.words[0];
      expect(total?.box.top).toBeGreaterThan(0.8);
      expect(total?.box.left).toBeGreaterThan(0.5);
      // 14 pt Helvetica: the box spans about one em of the 792 pt page, and starts at x = 400 pt.
      expect((total?.box.height ?? 0) * 792).toBeGreaterThan(10);
      expect((total?.box.height ?? 0) * 792).toBeLessThan(18);
      expect(total?.box.left).toBeCloseTo(400 / 612, 3);
      // Words are estimated within their run, and stay inside their line.
      const [first, second] = page.lines[0]?.words ?? [];
      expect(first && second && first.box.left + first.box.width <= second.box.left).toBe(true);
      for (const box of boxesOf(page.lines)) expectBoxInPage(box, 'page 1');
      await expectBoxesOnInk(page);
    } finally {
      await doc.close();
    }
  });

  it('reports /Rotate and puts boxes on the page as it is shown', async () => {
    const doc = await reader.open(await makeLayoutPdf());
    try {
      const page = await doc.page(2);
      expect(page.rotation).toBe(90);
      expect([page.width, page.height]).toEqual([792, 612]);
      // The runs go up the page in user space, and still make lines.
      expect(page.text).toBe('Landscape statement\nTOTAL EUR 99.50');
      const [title, totalLine] = page.lines;
      // Shown upright: lines are wide and short, the title at the top-left, the total at the bottom-right.
      for (const line of page.lines) expect(line.box.width * page.width).toBeGreaterThan(3 * line.box.height * page.height);
      expect(title?.box.top).toBeLessThan(0.2);
      expect(title?.box.left).toBeCloseTo(72 / 792, 3);
      expect(totalLine?.box.top).toBeGreaterThan(0.8);
      expect(totalLine?.box.left).toBeGreaterThan(0.5);
      const words = totalLine?.words ?? [];
      expect(words.map((word) => word.text)).toEqual(['TOTAL', 'EUR', '99.50']);
      for (let i = 1; i < words.length; i += 1) {
        expect(words[i]?.box.left).toBeGreaterThan((words[i - 1]?.box.left ?? 1) + (words[i - 1]?.box.width ?? 1) - 1e-9);
      }
      for (const box of boxesOf(page.lines)) expectBoxInPage(box, 'page 2');
      await expectBoxesOnInk(page);
    } finally {
      await doc.close();
    }
  });

  it('puts unrotated text on a /Rotate 90 page where a viewer shows it: running down the page', async () => {
    const doc = await reader.open(textPdf);
    try {
      const page = await doc.page(2);
      expect(page.rotation).toBe(90);
      const box = page.lines[0]?.box;
      // Drawn at user (72, 700): shown at x = 700 of 792 and y = 72 of 612, reading downwards.
      expect(box?.top).toBeCloseTo(72 / 612, 3);
      expect(box?.left).toBeGreaterThan(0.85);
      expect((box?.height ?? 0) * page.height).toBeGreaterThan(3 * (box?.width ?? 1) * page.width);
      await expectBoxesOnInk(page);
    } finally {
      await doc.close();
    }
  });

  it('reads CJK text through a predefined CMap', async () => {
    const doc = await reader.open(makeCjkPdf());
    try {
      expect((await doc.page(1)).text).toBe('日本語');
    } finally {
      await doc.close();
    }
  });

  it('leaves the caller bytes intact (pdfjs transfers what it is given)', async () => {
    const plain = textPdf.slice();
    const buffer = Buffer.from(textPdf);
    for (const bytes of [plain, buffer]) {
      const doc = await reader.open(bytes);
      await doc.close();
      expect(bytes.byteLength).toBe(textPdf.byteLength);
      expect(Buffer.compare(bytes, textPdf)).toBe(0);
    }
  });

  it('renders a page to a PNG of the size the dpi implies, rotation included', async () => {
    const doc = await reader.open(textPdf);
    try {
      const raster = await (await doc.page(1)).render(200);
      expect(raster.width).toBe(1700);
      expect(raster.height).toBe(2200);
      const image = await loadImage(Buffer.from(raster.png));
      expect(image.width).toBe(1700);
      expect(image.height).toBe(2200);

      const rotated = await (await doc.page(2)).render(72);
      expect([rotated.width, rotated.height]).toEqual([792, 612]);
      const rotatedImage = await loadImage(Buffer.from(rotated.png));
      expect([rotatedImage.width, rotatedImage.height]).toEqual([792, 612]);
    } finally {
      await doc.close();
    }
  });

  it('renders on white and draws the text', async () => {
    const { createCanvas } = await import('@napi-rs/canvas');
    const doc = await reader.open(textPdf);
    try {
      const raster = await (await doc.page(1)).render(72);
      const image = await loadImage(Buffer.from(raster.png));
      const canvas = createCanvas(image.width, image.height);
      const context = canvas.getContext('2d');
      context.drawImage(image, 0, 0);
      const { data } = context.getImageData(0, 0, image.width, image.height);
      let dark = 0;
      for (let i = 0; i < data.length; i += 4) if ((data[i] ?? 255) < 128) dark += 1;
      // An opaque white corner, and some ink where the first line is.
      expect(Array.from(data.subarray(0, 4))).toEqual([255, 255, 255, 255]);
      expect(dark).toBeGreaterThan(500);
    } finally {
      await doc.close();
    }
  });

  it('caps the raster size whatever the dpi', async () => {
    const doc = await PDFDocument.create();
    doc.addPage([14_400, 100]);
    const opened = await reader.open(await doc.save());
    try {
      const raster = await (await opened.page(1)).render(72);
      expect(raster.width).toBe(10_000);
      expect(raster.height).toBe(69);
      const image = await loadImage(Buffer.from(raster.png));
      expect(image.width).toBe(10_000);
    } finally {
      await opened.close();
    }
  });

  it('reads an image-only page as empty text', async () => {
    const source = await reader.open(textPdf);
    const raster = await (await source.page(1)).render(50);
    await source.close();
    const doc = await PDFDocument.create();
    const png = await doc.embedPng(raster.png);
    doc.addPage([612, 792]).drawImage(png, { x: 0, y: 0, width: 612, height: 792 });
    const opened = await reader.open(await doc.save());
    try {
      expect((await opened.page(1)).text).toBe('');
    } finally {
      await opened.close();
    }
  });

  it('rejects a truncated, garbage or empty file as CORRUPT_PDF without quoting pdfjs', async () => {
    const inputs = [
      textPdf.subarray(0, Math.floor(textPdf.byteLength / 2)),
      new Uint8Array(Buffer.from('%PDF-1.7\nnot really a pdf')),
      new Uint8Array(Buffer.from('hello world')),
      new Uint8Array(0),
    ];
    for (const bytes of inputs) {
      const error = await expectDocumentError(reader.open(bytes), CorruptDocumentError, 'CORRUPT_PDF');
      expect(error.message).toBe('[CORRUPT_PDF] PDF could not be parsed');
    }
  });

  it('rejects a password-protected PDF as ENCRYPTED_PDF', async () => {
    const error = await expectDocumentError(reader.open(makeEncryptedPdf()), CorruptDocumentError, 'ENCRYPTED_PDF');
    expect(error.name).toBe('CorruptDocumentError');
    expect(error.message).toBe('[ENCRYPTED_PDF] PDF is encrypted with a password');
  });

  it('enforces maxPages at open', async () => {
    await expectDocumentError(createPdfjsPdfReader({ maxPages: 1 }).open(textPdf), DocumentTooLargeError, 'TOO_MANY_PAGES');
    const doc = await createPdfjsPdfReader({ maxPages: 2 }).open(textPdf);
    await doc.close();
  });

  it('refuses pages out of range and bad dpi as caller errors', async () => {
    const doc = await reader.open(textPdf);
    try {
      await expect(doc.page(0)).rejects.toBeInstanceOf(InvalidStepInputError);
      await expect(doc.page(3)).rejects.toBeInstanceOf(InvalidStepInputError);
      await expect((await doc.page(1)).render(0)).rejects.toBeInstanceOf(InvalidStepInputError);
    } finally {
      await doc.close();
    }
  });

  it('can be closed twice', async () => {
    const doc = await reader.open(textPdf);
    await doc.close();
    await doc.close();
  });

  it('prints nothing while parsing, recovering and rendering', async () => {
    const spies = (['log', 'info', 'warn', 'error'] as const).map((method) =>
      vi.spyOn(console, method).mockImplementation(() => undefined),
    );
    const recovered = await reader.open(await makeRecoverablePdf());
    try {
      const page = await recovered.page(1);
      expect(page.text).toBe('Recovered page text');
      await page.render(36);
    } finally {
      await recovered.close();
    }
    await reader.open(makeEncryptedPdf()).catch(() => undefined);
    await reader.open(textPdf.subarray(0, 100)).catch(() => undefined);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });
});

describe('buildPageText', () => {
  const item = (str: string, x: number, y: number, width: number, hasEOL = false) => ({
    str,
    transform: [10, 0, 0, 10, x, y],
    width,
    height: 10,
    hasEOL,
  });

  it('breaks lines on hasEOL and on a baseline jump, and skips marked content', () => {
    const text = buildPageText([
      item('Hello', 0, 100, 25),
      { type: 'beginMarkedContent' },
      item('world', 30, 100, 25, true),
      item('Second', 0, 88, 30),
      item('line', 0, 76, 20),
      item('  ', 0, 64, 10, true),
    ]);
    expect(text).toBe('Hello world\nSecond\nline');
  });

  it('keeps sub- and superscripts on their line and does not double spaces', () => {
    const text = buildPageText([item('x', 0, 100, 5), item('2', 5, 104, 4), item('a ', 20, 100, 10), item('b', 40, 100, 5)]);
    expect(text).toBe('x2 a b');
  });

  it('puts the runs of one line left to right, whatever order the producer wrote them in', () => {
    // A table row written amount first, with pdfjs's word spaces spanning the jumps between cells.
    const text = buildPageText([
      item('37,499.96', 500, 100, 45),
      item(' ', 545, 100, -505),
      item('BAIN, J', 0, 100, 35),
      item(' ', 35, 100, 65),
      item('DIRECTOR', 100, 100, 40, true),
    ]);
    expect(text).toBe('BAIN, J DIRECTOR 37,499.96');
  });

  it('measures lines along their own baseline, so text turned by 90° still makes lines', () => {
    const turned = (str: string, x: number, y: number, width: number, hasEOL = false) => ({
      str,
      transform: [0, 10, -10, 0, x, y],
      width,
      height: 10,
      hasEOL,
    });
    const text = buildPageText([
      turned('Total', 100, 50, 25),
      turned('due', 100, 80, 15),
      turned('Next', 88, 50, 20),
      turned('line', 88, 75, 20),
    ]);
    expect(text).toBe('Total due\nNext line');
    // A run in another direction starts a line of its own.
    expect(buildPageText([item('Across', 0, 100, 30), turned('Up', 40, 100, 10)])).toBe('Across\nUp');
  });
});

describe('buildPageLines', () => {
  // A 200 x 100 pt page without rotation: pdfjs's viewport flips y so the origin is top-left.
  const viewport = { transform: [1, 0, 0, -1, 0, 100], width: 200, height: 100 };
  const styles = { F1: { ascent: 0.8, descent: -0.2, vertical: false } };
  const run = (str: string, x: number, y: number, width: number) => ({
    str,
    transform: [10, 0, 0, 10, x, y],
    width,
    height: 10,
    hasEOL: false,
    fontName: 'F1',
  });

  it('splits runs into words and gives each a share of the run by character count', () => {
    const [line] = buildPageLines([run('ab cdef', 20, 50, 70)], viewport, styles);
    expect(line?.text).toBe('ab cdef');
    expect(line?.words.map((word) => word.text)).toEqual(['ab', 'cdef']);
    const [ab, cdef] = line?.words ?? [];
    // 7 characters over 70 pt: "ab" is 0–20, "cdef" 30–70; from 0.8 em above the baseline to 0.2 em below.
    expect(ab?.box.left).toBeCloseTo(20 / 200);
    expect(ab?.box.width).toBeCloseTo(20 / 200);
    expect(cdef?.box.left).toBeCloseTo(50 / 200);
    expect(cdef?.box.width).toBeCloseTo(40 / 200);
    expect(ab?.box.top).toBeCloseTo((100 - 58) / 100);
    expect(ab?.box.height).toBeCloseTo(10 / 100);
    expect(line?.box).toEqual({ left: ab?.box.left, top: ab?.box.top, width: expect.closeTo(0.35) as number, height: ab?.box.height });
  });

  it('keeps a word whole across runs, and counts astral characters once', () => {
    const [line] = buildPageLines([run('Invo', 0, 50, 20), run('ice 𠀀x', 20, 50, 30)], viewport, styles);
    expect(line?.words.map((word) => word.text)).toEqual(['Invoice', '𠀀x']);
    expect(line?.words[0]?.box.width).toBeCloseTo(35 / 200);
    expect(line?.words[1]?.box.left).toBeCloseTo(40 / 200);
  });

  it('lays vertical writing down the page, centred on the pen', () => {
    // pdfjs gives a vertical run's advance as `height` and the font size as `width`.
    const vertical = { str: '日本語', transform: [10, 0, 0, 10, 100, 90], width: 10, height: 30, hasEOL: false, fontName: 'V' };
    const [line] = buildPageLines([vertical], viewport, { V: { vertical: true } });
    expect(line?.words.map((word) => word.text)).toEqual(['日本語']);
    expect(line?.box.left).toBeCloseTo(95 / 200);
    expect(line?.box.width).toBeCloseTo(10 / 200);
    expect(line?.box.top).toBeCloseTo(10 / 100);
    expect(line?.box.height).toBeCloseTo(30 / 100);
  });

  it('clamps boxes to the page and falls back on a default ascent for odd fonts', () => {
    const lines = buildPageLines([{ ...run('edge', 190, 95, 40), fontName: 'odd' }], viewport, { odd: { ascent: 9, descent: 3 } });
    const box = lines[0]?.box;
    expect(box).toBeDefined();
    if (box) expectBoxInPage(box, 'clamped');
    expect(box?.top).toBe(0);
    expect((box?.left ?? 0) + (box?.width ?? 0)).toBe(1);
  });
});

describe.skipIf(!existsSync(PUBLIC_PDFS))(`public PDFs in ${PUBLIC_PDFS}`, () => {
  const files = existsSync(PUBLIC_PDFS)
    ? readdirSync(PUBLIC_PDFS)
        .filter((name) => name.toLowerCase().endsWith('.pdf'))
        .sort()
    : [];

  it('opens every PDF and reads page 1 text', async () => {
    expect(files.length).toBeGreaterThan(0);
    const reader = createPdfjsPdfReader();
    let withText = 0;
    for (const name of files) {
      const doc = await reader.open(new Uint8Array(readFileSync(path.join(PUBLIC_PDFS, name))));
      try {
        expect(doc.pageCount, name).toBeGreaterThan(0);
        const page = await doc.page(1);
        expect(typeof page.text, name).toBe('string');
        expect(page.width, name).toBeGreaterThan(0);
        if (page.text.trim().length > 0) withText += 1;
      } finally {
        await doc.close();
      }
    }
    // These are text PDFs from table-extraction test suites: nearly all have a text layer.
    expect(withText).toBeGreaterThanOrEqual(Math.ceil(files.length * 0.8));
  });

  /** What the corpus walk keeps per file: no text, only verdicts and geometry checks. */
  interface FileReport {
    readonly pageCount: number;
    readonly rotations: number[];
    readonly verdicts: { readonly page: number; readonly assessment: TextLayerAssessment }[];
  }
  const reports = new Map<string, FileReport>();
  const pagesPerFile = 10;

  // One walk over the corpus (the first pages of each file keep it to a few seconds) serves the tests below.
  beforeAll(async () => {
    const reader = createPdfjsPdfReader();
    for (const name of files) {
      const doc = await reader.open(new Uint8Array(readFileSync(path.join(PUBLIC_PDFS, name))));
      try {
        const report: FileReport = { pageCount: doc.pageCount, rotations: [], verdicts: [] };
        for (let number = 1; number <= Math.min(doc.pageCount, pagesPerFile); number += 1) {
          const page = await doc.page(number);
          const label = `${name} p${String(number)}`;
          report.rotations.push(page.rotation);
          expect(page.lines.map((line) => line.text).join('\n'), label).toBe(page.text);
          for (const box of boxesOf(page.lines)) expectBoxInPage(box, label);
          if (page.text.trim().length > 0) report.verdicts.push({ page: number, assessment: assessTextLayer(page.text) });
        }
        reports.set(name, report);
      } finally {
        await doc.close();
      }
    }
  });

  it('opens the 65-page file whole', () => {
    expect(reports.get('chelsea_pdta.pdf')?.pageCount).toBe(65);
  });

  it('judges every text layer usable except the one with a broken font encoding', () => {
    const unusable: string[] = [];
    for (const [name, report] of reports) {
      if (name === 'issue-192-example.pdf') continue;
      for (const { page, assessment } of report.verdicts) {
        if (!assessment.usable) unusable.push(`${name} p${String(page)}: ${assessment.reason} ${assessment.score.toFixed(2)}`);
      }
    }
    expect(unusable).toEqual([]);
    const broken = reports.get('issue-192-example.pdf')?.verdicts ?? [];
    expect(broken.length).toBeGreaterThan(0);
    for (const { assessment } of broken) expect(assessment).toMatchObject({ usable: false, reason: 'GARBAGE_ENCODING' });
  });

  it("accepts the scan's OCR layer", () => {
    const verdicts = reports.get('pr-136-example.pdf')?.verdicts ?? [];
    expect(verdicts.length).toBeGreaterThan(0);
    for (const { assessment } of verdicts) expect(assessment.usable).toBe(true);
  });

  it('reports the rotated NICS table as rotated, with the same lines turned onto the shown page', async () => {
    expect(reports.get('nics-background-checks-2015-11-rotated.pdf')?.rotations).toEqual([90]);
    expect(reports.get('nics-background-checks-2015-11.pdf')?.rotations).toEqual([0]);
    const reader = createPdfjsPdfReader();
    const firstPage = async (name: string): Promise<PdfPage> => {
      const doc = await reader.open(new Uint8Array(readFileSync(path.join(PUBLIC_PDFS, name))));
      try {
        return await doc.page(1);
      } finally {
        await doc.close();
      }
    };
    const plain = await firstPage('nics-background-checks-2015-11.pdf');
    const rotated = await firstPage('nics-background-checks-2015-11-rotated.pdf');
    expect([rotated.width, rotated.height]).toEqual([plain.height, plain.width]);
    expect(rotated.text).toBe(plain.text);
    expect(rotated.lines.length).toBe(plain.lines.length);
    // The same content with /Rotate 90: each box turns a quarter clockwise onto the portrait page.
    plain.lines.forEach((line, i) => {
      const turned = rotated.lines[i]?.box;
      expect(turned?.left).toBeCloseTo(1 - line.box.top - line.box.height, 6);
      expect(turned?.top).toBeCloseTo(line.box.left, 6);
      expect(turned?.width).toBeCloseTo(line.box.height, 6);
      expect(turned?.height).toBeCloseTo(line.box.width, 6);
    });
    // Reading order on the page as written: words left to right within every line, and rows top to
    // bottom. The producer wrote the title and two footnotes after the table, hence a few jumps back up.
    for (const line of plain.lines) {
      for (let i = 1; i < line.words.length; i += 1) {
        expect(line.words[i]?.box.left ?? 0).toBeGreaterThanOrEqual(line.words[i - 1]?.box.left ?? 1);
      }
    }
    let upward = 0;
    for (let i = 1; i < plain.lines.length; i += 1)
      if ((plain.lines[i]?.box.top ?? 0) < (plain.lines[i - 1]?.box.top ?? 0) - 0.002) upward += 1;
    expect(upward).toBeLessThanOrEqual(3);
    expect(plain.lines.length).toBeGreaterThan(50);
  });
});

if (!existsSync(PUBLIC_PDFS)) {
  console.info(`skipping the public PDF corpus test: ${PUBLIC_PDFS} is absent`);
}
