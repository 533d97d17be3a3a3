/**
 * Generated documents for the bench: text-layer PDFs in six layouts (invoice, letter, table, two
 * columns, receipt, small print) and their 300 dpi renders, the "scans". Seeded: the same bytes
 * every run. Datasets (../shared/datasets) are optional extras, never required. Text is never printed.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { PDFDocument, StandardFonts, type PDFFont, type PDFPage } from 'pdf-lib';
import { createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';
import { mulberry32 } from '../../src/domain/random.js';

const WORDS = (
  'account amount balance bank billing client contract customer date delivery department description discount due ' +
  'invoice item order payment period price quantity receipt reference service shipping subtotal supplier tax total ' +
  'unit value agreement annual budget committee document meeting memo policy project quarter report review schedule ' +
  'section summary terms the of and to in for with on by from this that please note regarding attached following'
).split(' ');

export type Layout = 'invoice' | 'letter' | 'table' | 'columns' | 'receipt' | 'small-print';
export const LAYOUTS: readonly Layout[] = ['invoice', 'letter', 'table', 'columns', 'receipt', 'small-print'];

interface Fonts {
  readonly faces: readonly PDFFont[];
  readonly bold: PDFFont;
}

const drawLayout = (page: PDFPage, layout: Layout, index: number, fonts: Fonts, random: () => number): void => {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;
  const sentence = (n: number): string => Array.from({ length: n }, () => pick(WORDS)).join(' ');
  const amount = (): string => (random() * 5000).toFixed(2);
  const font = fonts.faces[index % fonts.faces.length] as PDFFont;
  const text = (value: string, x: number, y: number, size: number, face: PDFFont = font): void => {
    page.drawText(value, { x, y, size, font: face });
  };
  switch (layout) {
    case 'invoice': {
      text('INVOICE', 72, 720, 22, fonts.bold);
      text(`Invoice No: INV-${String(10_000 + index)}`, 380, 724, 11);
      text('Invoice Date: 2026-03-14', 380, 708, 11);
      for (let i = 0; i < 14; i++) text(`${sentence(4)}   ${String(1 + Math.floor(random() * 9))}   ${amount()} EUR`, 72, 640 - i * 22, 12);
      text(`Total Due: EUR ${amount()}`, 330, 250, 14, fonts.bold);
      text('IBAN: DE89 3704 0044 0532 0130 00', 72, 120, 10);
      break;
    }
    case 'letter': {
      text('Dear customer,', 72, 700, 12);
      for (let i = 0; i < 30; i++) text(sentence(11), 72, 670 - i * 17, 11);
      text('Kind regards,', 72, 130, 12);
      break;
    }
    case 'table': {
      text('Quarterly summary', 72, 730, 16, fonts.bold);
      for (let row = 0; row < 28; row++) {
        for (let col = 0; col < 4; col++) text(col === 0 ? pick(WORDS) : amount(), 72 + col * 120, 690 - row * 21, 10);
      }
      break;
    }
    case 'columns': {
      for (let col = 0; col < 2; col++) {
        for (let i = 0; i < 40; i++) text(sentence(5), 60 + col * 260, 730 - i * 16, 10);
      }
      break;
    }
    case 'receipt': {
      for (let i = 0; i < 34; i++) text(`${pick(WORDS)} ${pick(WORDS)}  ${amount()}`, 200, 740 - i * 18, 11);
      text(`TOTAL ${amount()}`, 200, 110, 13, fonts.bold);
      break;
    }
    case 'small-print': {
      for (let i = 0; i < 62; i++) text(sentence(14), 54, 750 - i * 11.5, 8);
      break;
    }
  }
};

/**
 * A text-layer PDF of `pages` pages, the first in layout `index % 6` and the next ones cycling on;
 * unique bytes per index (so every document is a new document id).
 */
export const buildPdf = async (index: number, pages = 1): Promise<Uint8Array> => {
  const random = mulberry32(1000 + index);
  const doc = await PDFDocument.create({ updateMetadata: false });
  const fonts: Fonts = {
    faces: [
      await doc.embedFont(StandardFonts.Helvetica),
      await doc.embedFont(StandardFonts.TimesRoman),
      await doc.embedFont(StandardFonts.Courier),
    ],
    bold: await doc.embedFont(StandardFonts.HelveticaBold),
  };
  for (let p = 0; p < pages; p++) {
    drawLayout(doc.addPage([612, 792]), LAYOUTS[(index + p) % LAYOUTS.length] as Layout, index, fonts, random);
  }
  return doc.save({ useObjectStreams: false });
};

export interface BenchPage {
  readonly name: string;
  readonly png: Uint8Array;
  readonly file: string;
}

/** `count` one-page documents rendered at `dpi` through our pdfjs adapter, as the pipeline rasterises scans. */
export const generatePages = async (count: number, dir: string, dpi = 300): Promise<BenchPage[]> => {
  const reader = createPdfjsPdfReader();
  const pages: BenchPage[] = [];
  for (let i = 0; i < count; i++) {
    const pdf = await reader.open(await buildPdf(i));
    try {
      const { png } = await (await pdf.page(1)).render(dpi);
      const file = path.join(dir, `page-${String(i).padStart(3, '0')}.png`);
      writeFileSync(file, png);
      pages.push({ name: `${LAYOUTS[i % LAYOUTS.length] ?? 'page'}-${String(i)}`, png, file });
    } finally {
      await pdf.close();
    }
  }
  return pages;
};

/** Every k-th image over the sorted class folders of datasets/classify: a spread of types, the same every run. */
export const datasetScans = (datasets: string, count: number): BenchPage[] => {
  const dir = path.join(datasets, 'classify');
  if (!existsSync(dir)) return [];
  const files = readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .flatMap((entry) =>
      readdirSync(path.join(dir, entry.name))
        .filter((name) => /\.(png|jpe?g|tiff?)$/i.test(name))
        .map((name) => path.join(dir, entry.name, name)),
    )
    .sort();
  const step = Math.max(1, Math.floor(files.length / count));
  return files
    .filter((_, i) => i % step === 0)
    .slice(0, count)
    .map((file) => ({ name: path.relative(dir, file), png: new Uint8Array(readFileSync(file)), file }));
};

/**
 * The text-layer PDFs of datasets/pdfs/public, smallest first. Left out: the one whose text layer
 * is garbage (the pipeline OCRs it, by design, which raw text extraction does not).
 */
const OCRED_BY_DESIGN = new Set(['issue-192-example.pdf']);

export const datasetPdfs = (datasets: string, count: number): string[] => {
  const dir = path.join(datasets, 'pdfs', 'public');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.pdf') && !OCRED_BY_DESIGN.has(name))
    .map((name) => path.join(dir, name))
    .sort()
    .slice(0, count);
};
