/**
 * Generates the sample inbox in `examples/inbox/` (or the directory given as the first argument):
 * three text-layer invoices, an image-only "scanned" letter, a receipt photo and a truncated PDF.
 *
 *   npx tsx scripts/make-samples.ts [outDir]
 *
 * Every byte is derived from constants in this file so that two runs produce identical files and
 * the samples can be committed and diffed. All names, companies and numbers are fictional.
 *
 * Rasters are drawn without system fonts: each raster starts life as a pdf-lib page using the
 * PDF standard fonts and is rendered by pdfjs-dist with the font programs it ships in
 * `standard_fonts/`. That keeps the output identical on a bare machine with no fonts installed.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import type { Canvas } from '@napi-rs/canvas';
import { PDFDocument, StandardFonts, rgb } from 'pdf-lib';
import type { PDFFont, PDFPage } from 'pdf-lib';
import { getDocument } from 'pdfjs-dist/legacy/build/pdf.mjs';
import { mulberry32 } from '../src/domain/random.js';

const FIXED_DATE = new Date('2026-10-01T00:00:00Z');
const GENERATOR = 'docroute sample generator';
const A4: [number, number] = [595.28, 841.89];
const BLACK = rgb(0, 0, 0);
const DARK_GREY = rgb(0.25, 0.25, 0.25);

// ---------------------------------------------------------------------------------------------
// Small utilities
// ---------------------------------------------------------------------------------------------

interface Fonts {
  readonly regular: PDFFont;
  readonly bold: PDFFont;
}

/**
 * pdf-lib stamps the current time and its own name into the Info dictionary by default, which
 * would make every run differ; `updateMetadata: false` plus explicit values pins them.
 */
async function createPdf(title: string): Promise<{ doc: PDFDocument; fonts: Fonts }> {
  const doc = await PDFDocument.create({ updateMetadata: false });
  doc.setTitle(title);
  doc.setAuthor(GENERATOR);
  doc.setProducer(GENERATOR);
  doc.setCreator(GENERATOR);
  doc.setCreationDate(FIXED_DATE);
  doc.setModificationDate(FIXED_DATE);
  const regular = await doc.embedFont(StandardFonts.Helvetica);
  const bold = await doc.embedFont(StandardFonts.HelveticaBold);
  return { doc, fonts: { regular, bold } };
}

type Align = 'left' | 'right' | 'center';

interface TextOptions {
  readonly size?: number;
  readonly bold?: boolean;
  readonly align?: Align;
  readonly color?: ReturnType<typeof rgb>;
}

/**
 * Writes lines top-down. Each call to `line` is one pdf-lib `drawText`, so every logical line
 * lands in the text layer as one item, which keeps the extracted text predictable for tests.
 */
class PageWriter {
  y: number;

  constructor(
    readonly page: PDFPage,
    readonly fonts: Fonts,
    readonly left: number,
    readonly right: number,
    top: number,
  ) {
    this.y = page.getHeight() - top;
  }

  /** Draws `text` on the current baseline at `x` (or aligned within the margins) without advancing. */
  put(text: string, x: number, opts: TextOptions = {}): void {
    const size = opts.size ?? 11;
    const font = opts.bold === true ? this.fonts.bold : this.fonts.regular;
    const width = font.widthOfTextAtSize(text, size);
    const align = opts.align ?? 'left';
    const drawX = align === 'right' ? x - width : align === 'center' ? x - width / 2 : x;
    if (drawX < 0 || drawX + width > this.page.getWidth()) {
      // Clipped text would silently break the OCR checks, so fail loudly instead.
      throw new Error(`Text does not fit on the page: "${text}"`);
    }
    this.page.drawText(text, { x: drawX, y: this.y, size, font, color: opts.color ?? BLACK });
  }

  /** Draws one line and moves the baseline down by `size * leading`. */
  line(text: string, opts: TextOptions & { readonly leading?: number } = {}): void {
    const align = opts.align ?? 'left';
    const x = align === 'right' ? this.right : align === 'center' ? (this.left + this.right) / 2 : this.left;
    this.put(text, x, opts);
    this.down((opts.size ?? 11) * (opts.leading ?? 1.45));
  }

  /** Greedy word wrap; the standard fonts have exact metrics so no measuring surprises. */
  paragraph(text: string, opts: TextOptions & { readonly leading?: number } = {}): void {
    const size = opts.size ?? 11;
    const font = opts.bold === true ? this.fonts.bold : this.fonts.regular;
    const maxWidth = this.right - this.left;
    let current = '';
    for (const word of text.split(/\s+/)) {
      const candidate = current === '' ? word : `${current} ${word}`;
      if (current !== '' && font.widthOfTextAtSize(candidate, size) > maxWidth) {
        this.line(current, opts);
        current = word;
      } else {
        current = candidate;
      }
    }
    if (current !== '') this.line(current, opts);
  }

  rule(thickness = 0.8, dashed = false): void {
    this.page.drawLine({
      start: { x: this.left, y: this.y },
      end: { x: this.right, y: this.y },
      thickness,
      color: DARK_GREY,
      ...(dashed ? { dashArray: [6, 4] } : {}),
    });
  }

  down(points: number): void {
    this.y -= points;
  }
}

// ---------------------------------------------------------------------------------------------
// Invoices (text layer)
// ---------------------------------------------------------------------------------------------

interface LineItem {
  readonly description: string;
  readonly quantity: number;
  readonly unitPrice: string;
  readonly amount: string;
}

export interface InvoiceSpec {
  readonly issuer: string;
  readonly issuerAddress: readonly string[];
  readonly invoiceNo: string;
  readonly invoiceDate: string;
  readonly dueDate: string;
  readonly billTo: readonly string[];
  readonly items: readonly LineItem[];
  /** Lines between the items and the total, e.g. net amount and VAT. */
  readonly summary: readonly string[];
  readonly total: string;
  readonly bank: string;
  readonly iban: string;
  readonly bic: string;
  readonly terms: string;
}

export async function makeInvoicePdf(spec: InvoiceSpec): Promise<Uint8Array> {
  const { doc, fonts } = await createPdf(`Invoice ${spec.invoiceNo}`);
  const page = doc.addPage(A4);
  const w = new PageWriter(page, fonts, 56, A4[0] - 56, 64);

  w.line(spec.issuer, { size: 16, bold: true, leading: 1.4 });
  for (const address of spec.issuerAddress) w.line(address, { size: 10, color: DARK_GREY });
  w.down(18);
  w.line('INVOICE', { size: 24, bold: true, leading: 1.6 });
  w.line(`Invoice No: ${spec.invoiceNo}`);
  w.line(`Invoice Date: ${spec.invoiceDate}`);
  w.line(`Due Date: ${spec.dueDate}`);
  w.down(12);
  w.line('Bill To:', { bold: true });
  for (const address of spec.billTo) w.line(address);
  w.down(16);

  // Column header deliberately says "Amount", never "Total": field extraction looks for the
  // word "total" and must only find the "Total Due" line.
  const qtyX = 360;
  const unitX = 450;
  const amountX = w.right;
  w.put('Description', w.left, { bold: true });
  w.put('Qty', qtyX, { bold: true, align: 'right' });
  w.put('Unit Price', unitX, { bold: true, align: 'right' });
  w.put('Amount', amountX, { bold: true, align: 'right' });
  w.down(6);
  w.rule();
  w.down(16);
  for (const item of spec.items) {
    w.put(item.description, w.left);
    w.put(String(item.quantity), qtyX, { align: 'right' });
    w.put(item.unitPrice, unitX, { align: 'right' });
    w.put(item.amount, amountX, { align: 'right' });
    w.down(18);
  }
  w.rule();
  w.down(18);
  for (const summary of spec.summary) w.line(summary, { align: 'right' });
  w.line(`Total Due: ${spec.total}`, { bold: true, size: 13, align: 'right' });
  w.down(24);
  w.line('Payment details', { bold: true });
  w.line(`Bank: ${spec.bank}`);
  w.line(`IBAN: ${spec.iban}`);
  w.line(`BIC: ${spec.bic}`);
  w.line(`Payment terms: ${spec.terms}`);
  w.down(10);
  // Worded so that no second "invoice number ..." phrase competes with the real one.
  w.line('Please use the invoice reference when paying. Thank you for your business.', {
    size: 9.5,
    color: DARK_GREY,
  });
  return doc.save();
}

export const INVOICES: Readonly<Record<string, InvoiceSpec>> = {
  'invoice-northwind.pdf': {
    issuer: 'Northwind Office Supply GmbH',
    issuerAddress: ['Lindenstrasse 42, 70173 Stuttgart, Germany', 'billing@northwind-office.example'],
    invoiceNo: 'INV-2026-0412',
    invoiceDate: '2026-10-03',
    dueDate: '2026-11-02',
    billTo: ['Riverside Analytics AG', 'Attn: Accounts Payable', 'Hafenweg 7, 20457 Hamburg, Germany'],
    items: [
      { description: 'Copy paper A4 80 g/m2, box of 5 reams', quantity: 40, unitPrice: '18.50', amount: '740.00' },
      { description: 'Toner cartridge, black, high yield', quantity: 2, unitPrice: '89.71', amount: '179.42' },
      { description: 'Desk organiser, bamboo', quantity: 2, unitPrice: '65.50', amount: '131.00' },
    ],
    // 740.00 + 179.42 + 131.00 = 1,050.42 net; 19 % VAT = 199.58; gross 1,250.00.
    summary: ['Net amount: EUR 1,050.42', 'VAT 19%: EUR 199.58'],
    total: 'EUR 1,250.00',
    bank: 'Commerzbank Stuttgart',
    iban: 'DE89 3704 0044 0532 0130 00',
    bic: 'COBADEFFXXX',
    terms: '30 days net',
  },
  'invoice-large-amount.pdf': {
    issuer: 'Harbor Freight Logistics Ltd',
    issuerAddress: ['Unit 9, Dockside Business Park, Southampton SO14 3XX, United Kingdom', 'accounts@harborfreight.example'],
    invoiceNo: 'HFL-88213',
    invoiceDate: '2026-09-18',
    dueDate: '2026-10-02',
    billTo: ['Riverside Analytics AG', 'Attn: Accounts Payable', 'Hafenweg 7, 20457 Hamburg, Germany'],
    items: [
      { description: 'Ocean freight, 40ft container, Southampton - Hamburg', quantity: 6, unitPrice: '7,150.00', amount: '42,900.00' },
      { description: 'Customs brokerage and documentation', quantity: 6, unitPrice: '450.00', amount: '2,700.00' },
      { description: 'Terminal handling charges', quantity: 6, unitPrice: '550.00', amount: '3,300.00' },
    ],
    summary: ['Net amount: EUR 48,900.00', 'VAT: EUR 0.00 (reverse charge)'],
    total: 'EUR 48,900.00',
    bank: 'Westminster Commercial Bank',
    iban: 'GB82 WEST 1234 5698 7654 32',
    bic: 'WESTGB2L',
    terms: '14 days net',
  },
  'invoice-bad-iban.pdf': {
    issuer: 'Contoso Cleaning Services',
    issuerAddress: ['Gartenstrasse 5, 60594 Frankfurt am Main, Germany', 'office@contoso-cleaning.example'],
    invoiceNo: 'CCS-1907',
    invoiceDate: '2026-10-21',
    dueDate: '2026-11-20',
    billTo: ['Riverside Analytics AG', 'Attn: Facilities', 'Hafenweg 7, 20457 Hamburg, Germany'],
    items: [
      { description: 'Office cleaning, monthly contract, October 2026', quantity: 1, unitPrice: '620.00', amount: '620.00' },
      { description: 'Window cleaning, ground and first floor', quantity: 1, unitPrice: '180.00', amount: '180.00' },
      { description: 'Washroom consumables', quantity: 4, unitPrice: '15.00', amount: '60.00' },
    ],
    // Prices include VAT: 860.00 / 1.19 = 722.69 net, 137.31 VAT.
    summary: ['Prices include VAT 19%: EUR 137.31'],
    total: 'EUR 860.00',
    bank: 'Commerzbank Frankfurt',
    // Last digit changed from a valid IBAN so the mod-97 check fails.
    iban: 'DE89 3704 0044 0532 0130 01',
    bic: 'COBADEFFXXX',
    terms: '30 days net',
  },
};

// ---------------------------------------------------------------------------------------------
// Rendering PDF pages to rasters
// ---------------------------------------------------------------------------------------------

const requireFromHere = createRequire(import.meta.url);
// pdfjs wants a directory URL with a trailing slash; in Node a plain file path works.
const STANDARD_FONT_DATA_URL = join(dirname(requireFromHere.resolve('pdfjs-dist/package.json')), 'standard_fonts') + '/';

interface Rgba {
  readonly width: number;
  readonly height: number;
  readonly data: Uint8ClampedArray;
}

/** The part of pdfjs' (untyped) canvas factory we use. */
interface PdfjsCanvasFactory {
  create(width: number, height: number): { canvas: unknown; context: PixelSource };
  destroy(canvasAndContext: { canvas: unknown; context: unknown }): void;
}

interface PixelSource {
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}

/**
 * Renders page 1 of `pdf` and returns raw RGBA pixels.
 *
 * pdfjs-dist 5 depends on its own copy of @napi-rs/canvas (0.1.x, nested under
 * node_modules/pdfjs-dist/node_modules) and installs that copy's Path2D/DOMMatrix/ImageData as
 * globals. A canvas from the project's @napi-rs/canvas 1.x then rejects those Path2D objects
 * ("not a valid enum value of type CanvasFillRule"), and drawing a canvas of one copy onto the
 * other segfaults. So pdfjs renders onto a canvas from its own factory and only raw pixels cross
 * over to our canvas.
 */
export async function renderPdfPage(pdf: Uint8Array, scale: number, background: string): Promise<Rgba> {
  const task = getDocument({
    // pdfjs may take ownership of the buffer; hand it a copy.
    data: pdf.slice(),
    standardFontDataUrl: STANDARD_FONT_DATA_URL,
    // Both are already the Node defaults; spelled out because rendering must never depend on
    // system fonts, or the rasters would differ between machines.
    disableFontFace: true,
    useSystemFonts: false,
    // pdfjs would otherwise compile PDF calculator functions with `new Function`; not needed here.
    isEvalSupported: false,
    verbosity: 0,
  });
  const doc = await task.promise;
  try {
    const page = await doc.getPage(1);
    const viewport = page.getViewport({ scale });
    const width = Math.ceil(viewport.width);
    const height = Math.ceil(viewport.height);
    const factory = doc.canvasFactory as PdfjsCanvasFactory;
    const target = factory.create(width, height);
    try {
      await page.render({
        canvas: target.canvas,
        canvasContext: target.context,
        viewport,
        background,
      }).promise;
      const { data } = target.context.getImageData(0, 0, width, height);
      return { width, height, data: new Uint8ClampedArray(data) };
    } finally {
      factory.destroy(target);
    }
  } finally {
    await doc.destroy();
  }
}

function toCanvas(raster: Rgba): Canvas {
  const canvas = createCanvas(raster.width, raster.height);
  canvas.getContext('2d').putImageData(new ImageData(raster.data, raster.width, raster.height), 0, 0);
  return canvas;
}

/**
 * Scanner-like grain: a small luminance jitter on every pixel plus a sprinkle of dust specks.
 * The same delta goes to all channels so the paper tint is kept.
 */
function addGrain(canvas: Canvas, seed: number, amplitude: number, specks: number): void {
  const ctx = canvas.getContext('2d');
  const image = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const data = image.data;
  const random = mulberry32(seed);
  if (amplitude > 0) {
    for (let i = 0; i < data.length; i += 4) {
      // Sum of two uniforms: a cheap triangular distribution, mostly small deltas.
      const delta = Math.round((random() + random() - 1) * amplitude);
      data[i] = (data[i] ?? 0) + delta;
      data[i + 1] = (data[i + 1] ?? 0) + delta;
      data[i + 2] = (data[i + 2] ?? 0) + delta;
    }
  }
  ctx.putImageData(image, 0, 0);
  for (let n = 0; n < specks; n++) {
    const x = random() * canvas.width;
    const y = random() * canvas.height;
    const shade = Math.round(90 + random() * 90);
    ctx.fillStyle = `rgba(${shade}, ${shade}, ${shade}, 0.55)`;
    ctx.beginPath();
    ctx.arc(x, y, 0.6 + random() * 1.1, 0, Math.PI * 2);
    ctx.fill();
  }
}

// ---------------------------------------------------------------------------------------------
// Scanned letter (image-only PDF)
// ---------------------------------------------------------------------------------------------

const LETTER_DPI = 200;

async function makeLetterSourcePdf(): Promise<Uint8Array> {
  const { doc, fonts } = await createPdf('Change of correspondence address');
  const page = doc.addPage(A4);
  const w = new PageWriter(page, fonts, 72, A4[0] - 72, 72);

  // Body text is 12 pt and nothing is smaller than 11 pt: at 200 dpi that is >= 30 px per em,
  // comfortably inside what OCR engines read reliably.
  w.line('Kestrel Mutual Bank plc', { size: 17, bold: true, leading: 1.5 });
  for (const address of ['Customer Relations', '45 Alder Lane', 'Bristol BS1 6XY', 'United Kingdom']) {
    w.line(address, { size: 11 });
  }
  w.down(20);
  w.line('12 October 2026', { size: 12 });
  w.down(14);
  for (const address of ['Ms. Ana Rivera', 'Flat 3, 18 Linden Road', 'Bath BA1 5QT']) w.line(address, { size: 12 });
  w.down(22);
  w.line('Re: Change of correspondence address', { size: 12, bold: true });
  w.down(10);
  w.line('Dear Ms. Rivera,', { size: 12, leading: 2 });
  w.paragraph(
    'We are writing to let you know that our Account Holder Services team is moving to a new office. ' +
      'From 2 November 2026, please send all letters and forms about your account to our new ' +
      'correspondence address: Kestrel Mutual Bank plc, Account Holder Services, PO Box 7710, ' +
      'Bristol BS99 2KM.',
    { size: 12, leading: 1.5 },
  );
  w.down(10);
  w.paragraph(
    'Post sent to our old address will be forwarded until 31 January 2027, so there is nothing ' +
      'you need to do straight away. Our telephone number and online banking details stay the same. ' +
      'If you have any questions, please call us on 0117 496 0382, Monday to Friday, 9am to 5pm.',
    { size: 12, leading: 1.5 },
  );
  w.down(18);
  w.line('Yours sincerely,', { size: 12 });
  w.down(40);
  w.line('Daniel Okafor', { size: 12 });
  w.line('Customer Relations', { size: 12 });
  return doc.save();
}

export async function makeScannedLetterPdf(): Promise<{ pdf: Uint8Array; jpeg: Uint8Array }> {
  const source = await makeLetterSourcePdf();
  const page = toCanvas(await renderPdfPage(source, LETTER_DPI / 72, '#ffffff'));

  const scan = createCanvas(page.width, page.height);
  const ctx = scan.getContext('2d');
  // Slightly grey paper; 'multiply' turns the rendered white into the tint and keeps black ink black.
  ctx.fillStyle = 'rgb(236, 234, 228)';
  ctx.fillRect(0, 0, scan.width, scan.height);
  ctx.save();
  ctx.translate(scan.width / 2, scan.height / 2);
  ctx.rotate((0.4 * Math.PI) / 180);
  ctx.globalCompositeOperation = 'multiply';
  ctx.drawImage(page, -page.width / 2, -page.height / 2);
  ctx.restore();
  addGrain(scan, 0x5ca77e12, 6, 220);

  // JPEG, like a real scanner's output; grain would bloat a PNG several times over.
  const jpeg = new Uint8Array(await scan.encode('jpeg', 72));

  const { doc } = await createPdf('Scanned document');
  const pdfPage = doc.addPage(A4);
  const image = await doc.embedJpg(jpeg);
  pdfPage.drawImage(image, { x: 0, y: 0, width: A4[0], height: A4[1] });
  return { pdf: await doc.save(), jpeg };
}

// ---------------------------------------------------------------------------------------------
// Receipt photo (PNG)
// ---------------------------------------------------------------------------------------------

const RECEIPT_SIZE = { width: 600, height: 1100 };
const SLIP_SIZE: [number, number] = [500, 1010];

async function makeReceiptSlipPdf(): Promise<Uint8Array> {
  // The slip page is rendered at scale 1, so 1 pt = 1 px: 32 px text has a ~23 px cap height.
  const { doc, fonts } = await createPdf('Receipt');
  const page = doc.addPage(SLIP_SIZE);
  const w = new PageWriter(page, fonts, 34, SLIP_SIZE[0] - 34, 70);
  const size = 32;
  const row = (label: string, amount: string, bold = false): void => {
    w.put(label, w.left, { size, bold });
    w.put(amount, w.right, { size, bold, align: 'right' });
    w.down(size * 1.4);
  };

  w.line('Blue Door Cafe', { size: 38, bold: true, align: 'center', leading: 1.3 });
  w.line('12 Harbour Street', { size, align: 'center', leading: 1.5 });
  w.rule(1.5, true);
  w.down(size * 1.5);
  w.line('RECEIPT', { size, bold: true, align: 'center', leading: 1.4 });
  w.line('Date: 2026-10-14 08:42', { size, leading: 1.4 });
  w.line('Table 4   Server: Mia', { size, leading: 1.1 });
  w.rule(1.5, true);
  w.down(size * 1.5);
  row('Flat white', '3.80');
  row('Croissant', '2.90');
  row('Orange juice', '4.20');
  row('Bagel', '3.60');
  w.down(-size * 0.3);
  w.rule(1.5, true);
  w.down(size * 1.5);
  row('SUBTOTAL', '14.50');
  row('TOTAL', '14.50', true);
  row('CASH', '20.00');
  row('CHANGE', '5.50');
  w.down(-size * 0.3);
  w.rule(1.5, true);
  w.down(size * 1.6);
  w.line('Thank you for your visit!', { size, align: 'center', leading: 1.5 });
  w.line('bluedoorcafe.example', { size, align: 'center' });
  return doc.save();
}

export async function makeReceiptPng(): Promise<Uint8Array> {
  const slip = toCanvas(await renderPdfPage(await makeReceiptSlipPdf(), 1, '#fdfdfb'));

  const photo = createCanvas(RECEIPT_SIZE.width, RECEIPT_SIZE.height);
  const ctx = photo.getContext('2d');
  // A soft top-to-bottom gradient reads as a table lit from one side, and compresses well.
  const table = ctx.createLinearGradient(0, 0, 0, photo.height);
  table.addColorStop(0, 'rgb(212, 212, 208)');
  table.addColorStop(1, 'rgb(196, 196, 191)');
  ctx.fillStyle = table;
  ctx.fillRect(0, 0, photo.width, photo.height);

  ctx.save();
  ctx.translate(photo.width / 2, photo.height / 2);
  ctx.rotate((-0.6 * Math.PI) / 180);
  ctx.shadowColor = 'rgba(0, 0, 0, 0.28)';
  ctx.shadowBlur = 14;
  ctx.shadowOffsetX = 4;
  ctx.shadowOffsetY = 6;
  ctx.drawImage(slip, -slip.width / 2, -slip.height / 2);
  ctx.restore();
  // No per-pixel grain here: it would multiply the PNG size; a few specks are enough.
  addGrain(photo, 0x0cafe001, 0, 90);
  return new Uint8Array(await photo.encode('png'));
}

// ---------------------------------------------------------------------------------------------
// Corrupt bank statement
// ---------------------------------------------------------------------------------------------

async function makeStatementPdf(): Promise<Uint8Array> {
  const { doc, fonts } = await createPdf('Statement of account');
  const page = doc.addPage(A4);
  const w = new PageWriter(page, fonts, 56, A4[0] - 56, 64);
  w.line('Kestrel Mutual Bank plc', { size: 16, bold: true });
  w.line('Statement of Account', { size: 14, bold: true, leading: 1.8 });
  w.line('Account holder: Riverside Analytics Ltd');
  w.line('Sort code: 40-12-76    Account number: 31926819');
  w.line('Statement period: 2026-09-01 to 2026-09-30');
  w.down(10);
  w.line('Opening balance: GBP 12,480.15', { bold: true });
  w.down(6);
  const transactions: readonly (readonly [string, string, string])[] = [
    ['2026-09-02', 'Card payment, Blue Door Cafe', '-14.50'],
    ['2026-09-05', 'Transfer from Harbor Freight Logistics Ltd', '2,400.00'],
    ['2026-09-09', 'Direct debit, Northwind Office Supply GmbH', '-1,250.00'],
    ['2026-09-15', 'Salary payments, September', '-6,820.00'],
    ['2026-09-22', 'Customer receipt, invoice RA-2026-118', '5,115.40'],
    ['2026-09-28', 'Account fee', '-12.00'],
  ];
  for (const [date, text, amount] of transactions) {
    w.put(date, w.left);
    w.put(text, w.left + 80);
    w.put(amount, w.right, { align: 'right' });
    w.down(17);
  }
  w.down(6);
  w.line('Closing balance: GBP 11,899.05', { bold: true });
  return doc.save();
}

/**
 * Keeps the first 40 % of a valid PDF and appends junk. pdf-lib writes the catalog, page tree and
 * cross-reference stream at the end, so nothing that locates the pages survives, yet the file
 * still starts with `%PDF-` and sniffs as a PDF.
 */
export async function makeCorruptStatementPdf(): Promise<Uint8Array> {
  const valid = await makeStatementPdf();
  const head = valid.subarray(0, Math.floor(valid.length * 0.4));
  const junk = new TextEncoder().encode('\n\u0000\u0000 trailer <</Size 0 >> garbage \u00ff\u00fe\n');
  const out = new Uint8Array(head.length + junk.length);
  out.set(head, 0);
  out.set(junk, head.length);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Entry point
// ---------------------------------------------------------------------------------------------

export async function makeSamples(outDir: string): Promise<Record<string, number>> {
  await mkdir(outDir, { recursive: true });
  const files: Record<string, Uint8Array> = {};
  for (const [name, spec] of Object.entries(INVOICES)) files[name] = await makeInvoicePdf(spec);
  files['scanned-letter.pdf'] = (await makeScannedLetterPdf()).pdf;
  files['receipt-cafe.png'] = await makeReceiptPng();
  files['corrupt-statement.pdf'] = await makeCorruptStatementPdf();

  const sizes: Record<string, number> = {};
  for (const [name, bytes] of Object.entries(files)) {
    await writeFile(join(outDir, name), bytes);
    sizes[name] = bytes.length;
  }
  return sizes;
}

const isMain = process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  // The default is anchored to the repository, not the cwd, so running from elsewhere cannot
  // scatter samples around; an explicit argument is taken relative to the cwd as usual.
  const outDir = process.argv[2] !== undefined ? resolve(process.argv[2]) : fileURLToPath(new URL('../examples/inbox', import.meta.url));
  const sizes = await makeSamples(outDir);
  for (const [name, size] of Object.entries(sizes)) {
    process.stdout.write(`${name.padEnd(26)} ${String(size).padStart(8)} bytes\n`);
  }
  process.stdout.write(`Wrote ${Object.keys(sizes).length} files to ${outDir}\n`);
}
