import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { tempDir } from '../helpers/docs.js';

/**
 * The Extract step on real public PDFs, through the embedded runtime (real pdfjs, real OCR engine):
 * a garbage text layer is detected and the page OCRed instead; a scan with an OCR layer keeps it.
 */
const PUBLIC = path.resolve(import.meta.dirname, '../../../shared/datasets/pdfs/public');
const present = existsSync(PUBLIC);
if (!present) console.warn(`skipping extract-dataset tests: ${PUBLIC} is absent (the shared datasets are not in a fresh clone)`);

describe.skipIf(!present)('Extract on the public PDFs', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await openRuntime(parseConfig({ dataDir: tempDir('extract-ds') }));
  });
  afterAll(async () => {
    await runtime.close();
  });

  it('OCRs the page whose text layer is garbage (broken font encoding), and says why', async () => {
    const { extraction } = await runtime.extractFile(path.join(PUBLIC, 'issue-192-example.pdf'));
    const page = extraction.pages[0]!;
    expect(page.method).toBe('ocr');
    expect(page.note).toBe('TEXT_LAYER_GARBAGE_ENCODING');
    expect(page.confidence).toBeGreaterThan(0.5);
    expect(page.lines?.length ?? 0).toBeGreaterThan(3);
    // Real words came back: mostly letters with vowels, unlike the garbage layer.
    const words = extraction.text.split(/\s+/).filter((w) => /^[A-Za-z]{4,}$/.test(w));
    expect(words.filter((w) => /[aeiou]/i.test(w)).length / Math.max(1, words.length)).toBeGreaterThan(0.8);
    expect(extraction.provenance.ocrEngine).toMatch(/^tesseract/);
  }, 120_000);

  it('keeps the existing OCR layer of a scan, and the text layer of a rotated table', async () => {
    const scan = await runtime.extractFile(path.join(PUBLIC, 'pr-136-example.pdf'));
    expect(scan.extraction.pages.every((p) => p.method === 'text-layer')).toBe(true);
    const rotated = await runtime.extractFile(path.join(PUBLIC, 'nics-background-checks-2015-11-rotated.pdf'));
    expect(rotated.extraction.pages[0]).toMatchObject({ method: 'text-layer', rotation: 90 });
    const boxes = rotated.extraction.pages.flatMap((p) => p.lines ?? []).map((l) => l.box);
    expect(boxes.length).toBeGreaterThan(20);
    for (const b of boxes) {
      expect(b.left).toBeGreaterThanOrEqual(0);
      expect(b.top).toBeGreaterThanOrEqual(0);
      expect(b.left + b.width).toBeLessThanOrEqual(1.0001);
      expect(b.top + b.height).toBeLessThanOrEqual(1.0001);
    }
    // A second extraction of the same bytes comes from the checkpoint, without reading again.
    expect((await runtime.extractFile(path.join(PUBLIC, 'pr-136-example.pdf'))).cached).toBe(true);
  }, 120_000);
});
