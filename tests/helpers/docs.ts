import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';

export const tempDir = (prefix: string): string => mkdtempSync(path.join(tmpdir(), `docroute-${prefix}-`));

/** A one-page text-layer PDF with the given lines; deterministic bytes. */
export const textPdf = async (lines: readonly string[]): Promise<Uint8Array> => {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font }));
  return doc.save({ useObjectStreams: false });
};

/** An invoice that the default config passes (unique per `n`). */
export const passingInvoice = (n: number): Promise<Uint8Array> =>
  textPdf([
    'INVOICE',
    `Acme Test Supplies ${n}`,
    `Invoice No: T-${String(n).padStart(5, '0')}`,
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    `Total Due: EUR ${100 + n}.00`,
    'IBAN: DE89 3704 0044 0532 0130 00',
    'Payment terms: 30 days net',
  ]);

/** Writes `count` passing invoices into `dir` and returns their paths. */
export const writeInvoices = async (dir: string, count: number, offset = 0): Promise<string[]> => {
  mkdirSync(dir, { recursive: true });
  const files: string[] = [];
  for (let i = 0; i < count; i++) {
    const file = path.join(dir, `invoice-${String(offset + i).padStart(4, '0')}.pdf`);
    writeFileSync(file, await passingInvoice(offset + i));
    files.push(file);
  }
  return files;
};

/** A minimal valid PNG signature followed by junk: sniffed as PNG, so the OCR port is called. */
export const fakePng = (tag: string): Uint8Array =>
  new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...new TextEncoder().encode(tag)]);

export const TEXT_PAGE_LINES = ['INVOICE 2024-0117', 'Northwind Traders', 'Total amount due 1,250.00 EUR', 'Payment within 30 days'];

/**
 * A letter page of plain text rendered at `dpi`, the way the pipeline rasterises scanned pages:
 * TEXT_PAGE_LINES at the top, and "TOTAL 1,250.00" low on the page. For the OCR engine tests.
 */
export const renderTextPage = async (dpi: number): Promise<{ png: Uint8Array; width: number; height: number }> => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([612, 792]);
  TEXT_PAGE_LINES.forEach((line, i) => {
    page.drawText(line, { x: 72, y: 700 - i * 36, size: 18, font });
  });
  page.drawText('TOTAL 1,250.00', { x: 72, y: 150, size: 18, font });
  const pdf = await createPdfjsPdfReader().open(await doc.save());
  try {
    return await (await pdf.page(1)).render(dpi);
  } finally {
    await pdf.close();
  }
};
