import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadImage } from '@napi-rs/canvas';
import { degrees, PDFDocument, StandardFonts } from 'pdf-lib';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildPageText, createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';
import { CorruptDocumentError, DocumentTooLargeError, InvalidStepInputError, type DocumentReasonCode } from '../../src/domain/errors.js';

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
});

if (!existsSync(PUBLIC_PDFS)) {
  console.info(`skipping the public PDF corpus test: ${PUBLIC_PDFS} is absent`);
}
