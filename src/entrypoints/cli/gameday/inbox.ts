import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { createPdfjsPdfReader } from '../../../adapters/local/pdfjs-pdf-reader.js';
import { mulberry32 } from '../../../domain/random.js';

/**
 * A generated gameday inbox, the same bytes for the same seed: text-layer invoices (pdf-lib) that
 * pass, hold and reject under the default rules, plus scanned pages (PNG, no text layer) so every
 * scenario also exercises OCR. Scans are rasterised from a pdf-lib page by pdfjs (its bundled
 * standard fonts, so no system fonts are needed) and then speckled on a @napi-rs/canvas like a
 * real scanner's dust.
 */

export type InboxKind = 'pass' | 'hold' | 'reject' | 'scan';

export interface GeneratedDoc {
  readonly name: string;
  readonly kind: InboxKind;
}

/** Which kind the i-th document is: a scan every 4th, a hold every 7th, a reject every 8th. */
export const kindOf = (i: number): InboxKind => (i % 4 === 1 ? 'scan' : i % 7 === 3 ? 'hold' : i % 8 === 6 ? 'reject' : 'pass');

const SUPPLIERS = ['Acme Supplies', 'Northwind Traders', 'Globex Office', 'Initech Services', 'Umbrella Parts', 'Stark Hardware'];
const VALID_IBAN = 'DE89 3704 0044 0532 0130 00';
const INVALID_IBAN = 'DE00 3704 0044 0532 0130 00';

const invoiceLines = (kind: InboxKind, n: number, random: () => number): string[] => {
  const supplier = SUPPLIERS[Math.floor(random() * SUPPLIERS.length)] ?? 'Acme Supplies';
  const amount = (100 + Math.floor(random() * 9000)).toFixed(2);
  const lines = [
    'INVOICE',
    `${supplier} ${n}`,
    `Invoice No: GD-${String(n).padStart(5, '0')}`,
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
  ];
  // A hold: the total is missing (rule invoice-total-missing).
  if (kind !== 'hold') lines.push(`Total Due: EUR ${amount}`);
  // A reject: the IBAN fails its checksum (rule iban-checksum).
  lines.push(`IBAN: ${kind === 'reject' ? INVALID_IBAN : VALID_IBAN}`, 'Payment terms: 30 days net');
  return lines;
};

const pdfOf = async (lines: readonly string[], size: number): Promise<Uint8Array> => {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  lines.forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * size * 1.8, size, font }));
  return doc.save({ useObjectStreams: false });
};

/** A scanned page: the invoice rasterised at 150 dpi, with seeded dust specks; PNG. */
const scanOf = async (lines: readonly string[], random: () => number): Promise<Uint8Array> => {
  const pdf = await createPdfjsPdfReader().open(await pdfOf(lines, 16));
  let raster;
  try {
    raster = await (await pdf.page(1)).render(150);
  } finally {
    await pdf.close();
  }
  // Only encoded bytes cross from pdfjs' canvas copy to ours (see scripts/make-samples.ts).
  const image = await loadImage(Buffer.from(raster.png));
  const canvas = createCanvas(raster.width, raster.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  ctx.fillStyle = 'rgb(120,120,120)';
  for (let i = 0; i < 60; i++) ctx.fillRect(Math.floor(random() * raster.width), Math.floor(random() * raster.height), 2, 2);
  return canvas.encode('png');
};

/** Writes `docs` documents into `dir`; returns them in inbox order. */
export const writeInbox = async (dir: string, options: { docs: number; seed: number }): Promise<GeneratedDoc[]> => {
  await mkdir(dir, { recursive: true });
  const random = mulberry32(options.seed);
  const out: GeneratedDoc[] = [];
  for (let i = 0; i < options.docs; i++) {
    const kind = kindOf(i);
    const n = options.seed * 1000 + i;
    const lines = invoiceLines(kind === 'scan' ? 'pass' : kind, n, random);
    const name = `${String(i).padStart(4, '0')}-${kind === 'scan' ? 'scan.png' : `invoice-${kind}.pdf`}`;
    const bytes = kind === 'scan' ? await scanOf(lines, random) : await pdfOf(lines, 11);
    await writeFile(path.join(dir, name), bytes);
    out.push({ name, kind });
  }
  return out;
};
