import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Block } from '@aws-sdk/client-textract';
import { describe, expect, it } from 'vitest';
import {
  TEXTRACT_MAPPING_ENGINE,
  TEXTRACT_OCR_ENGINE,
  TEXTRACT_PAGE_MISSING,
  extractionFromTextract,
} from '../../../../src/adapters/aws/textract-blocks.js';
import type { BoundingBox } from '../../../../src/domain/document.js';
import { DependencyUnavailableError, PipelineError } from '../../../../src/domain/errors.js';

/**
 * The Textract mapping against GetDocumentAnalysis responses shaped like the documented examples
 * (see tests/fixtures/textract/README.md). Expected values are read from the fixture blocks
 * themselves wherever possible, so a mapping that drops, reorders or rescales anything fails.
 */

interface Response {
  readonly DocumentMetadata: { readonly Pages: number };
  readonly JobStatus: string;
  readonly AnalyzeDocumentModelVersion?: string;
  readonly Blocks: Block[];
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../fixtures/textract');
const load = (name: string): Response => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as Response;

const TWO_PAGES = load('analysis-two-pages.json');
const BROKEN = load('analysis-missing-relationships.json');
const NO_PAGES = load('analysis-no-pages.json');

const map = (response: Response, extra: { pageSizes?: { width: number; height: number }[] } = {}) =>
  extractionFromTextract({
    blocks: response.Blocks,
    pages: response.DocumentMetadata.Pages,
    mediaType: 'application/pdf',
    ...(response.AnalyzeDocumentModelVersion === undefined ? {} : { modelVersion: response.AnalyzeDocumentModelVersion }),
    ...extra,
  });

const byId = (response: Response): Map<string, Block> => new Map(response.Blocks.map((b) => [b.Id ?? '', b]));

/** A fixture block's BoundingBox in the model's spelling. */
const box = (block: Block | undefined): BoundingBox => {
  const b = block?.Geometry?.BoundingBox;
  if (b === undefined) throw new Error('fixture block has no BoundingBox');
  return { left: b.Left ?? NaN, top: b.Top ?? NaN, width: b.Width ?? NaN, height: b.Height ?? NaN };
};

const childIds = (block: Block | undefined): string[] => block?.Relationships?.find((r) => r.Type === 'CHILD')?.Ids ?? [];

const round3 = (n: number): number => Math.round(n * 1000) / 1000;

const thrown = (fn: () => unknown): PipelineError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error('expected the mapping to throw');
};

describe('extractionFromTextract: a two-page analysis', () => {
  const extraction = map(TWO_PAGES);
  const blocks = byId(TWO_PAGES);

  it('has one OCR page per PAGE block, in order, in normalised 1 x 1 units', () => {
    expect(extraction.mediaType).toBe('application/pdf');
    expect(extraction.pages.map((p) => [p.page, p.method, p.width, p.height, p.note])).toEqual([
      [1, 'ocr', 1, 1, undefined],
      [2, 'ocr', 1, 1, undefined],
    ]);
  });

  it("joins a page's lines with newlines and pages with form feeds, lines in the PAGE's reading order", () => {
    expect(extraction.pages.map((p) => p.text)).toEqual([
      'INVOICE 2026-114\nName: Ana Carolina\nTotal due: 1,250.00 EUR\nPaid by card\nPaid by cash',
      'Due date: 2026-12-31\nThank you for your business\nItem Amount',
    ]);
    expect(extraction.text).toBe(extraction.pages.map((p) => p.text).join('\f'));
    // Every LINE block of the response is mapped exactly once, in the order its PAGE lists it.
    for (const page of extraction.pages) {
      const pageBlock = TWO_PAGES.Blocks.find((b) => b.BlockType === 'PAGE' && b.Page === page.page);
      const listed = childIds(pageBlock)
        .map((id) => blocks.get(id))
        .filter((b) => b?.BlockType === 'LINE');
      expect(page.lines?.map((l) => l.text)).toEqual(listed.map((b) => b?.Text));
    }
  });

  it("keeps every line's box and confidence (/100) and its CHILD words with theirs", () => {
    const lines = extraction.pages.flatMap((p) => p.lines ?? []);
    const lineBlocks = TWO_PAGES.Blocks.filter((b) => b.BlockType === 'LINE');
    expect(lines).toHaveLength(lineBlocks.length);
    lines.forEach((line, i) => {
      const block = lineBlocks[i];
      expect(line.box).toEqual(box(block));
      expect(line.confidence).toBeCloseTo((block?.Confidence ?? NaN) / 100, 12);
      const wordBlocks = childIds(block).map((id) => blocks.get(id));
      expect(line.words.map((w) => w.text)).toEqual(wordBlocks.map((w) => w?.Text));
      line.words.forEach((word, j) => {
        expect(word.box).toEqual(box(wordBlocks[j]));
        expect(word.confidence).toBeCloseTo((wordBlocks[j]?.Confidence ?? NaN) / 100, 12);
      });
    });
    // The documented WORD example, by value: Textract's 0–100 becomes [0, 1].
    const name = lines[1]?.words[0];
    expect(name?.text).toBe('Name:');
    expect(name?.confidence).toBeCloseTo(0.9956285858154297, 12);
  });

  it("weights a page's confidence by word length, and the document's by page text length", () => {
    const expected = extraction.pages.map((page) => {
      const words = TWO_PAGES.Blocks.filter((b) => b.BlockType === 'WORD' && b.Page === page.page);
      const chars = words.reduce((n, w) => n + (w.Text ?? '').length, 0);
      return round3(words.reduce((n, w) => n + ((w.Confidence ?? 0) / 100) * (w.Text ?? '').length, 0) / chars);
    });
    expect(extraction.pages.map((p) => p.confidence)).toEqual(expected);
    const chars = extraction.pages.reduce((n, p) => n + p.text.length, 0);
    expect(extraction.confidence).toBe(round3(extraction.pages.reduce((n, p) => n + p.confidence * p.text.length, 0) / chars));
    expect(extraction.confidence).toBeGreaterThan(0.9);
    expect(extraction.confidence).toBeLessThan(1);
  });

  it('pairs each KEY with its VALUE, reading selection elements as SELECTED / NOT_SELECTED', () => {
    const keys = TWO_PAGES.Blocks.filter((b) => b.BlockType === 'KEY_VALUE_SET' && b.EntityTypes?.includes('KEY'));
    const valueOf = (key: Block): Block | undefined => blocks.get(key.Relationships?.find((r) => r.Type === 'VALUE')?.Ids?.[0] ?? '');
    expect(extraction.keyValues).toEqual([
      { page: 1, key: 'Name:', value: 'Ana Carolina', confidence: 0.935, keyBox: box(keys[0]), valueBox: box(valueOf(keys[0] as Block)) },
      {
        page: 1,
        key: 'Total due:',
        value: '1,250.00 EUR',
        confidence: 0.8825,
        keyBox: box(keys[1]),
        valueBox: box(valueOf(keys[1] as Block)),
      },
      { page: 1, key: 'Paid by card', value: 'SELECTED', confidence: 0.9, keyBox: box(keys[2]), valueBox: box(valueOf(keys[2] as Block)) },
      {
        page: 1,
        key: 'Paid by cash',
        value: 'NOT_SELECTED',
        confidence: 0.91,
        keyBox: box(keys[3]),
        valueBox: box(valueOf(keys[3] as Block)),
      },
      { page: 2, key: 'Due date:', value: '2026-12-31', confidence: 0.89, keyBox: box(keys[4]), valueBox: box(valueOf(keys[4] as Block)) },
    ]);
  });

  it('answers each QUERY under its alias from its ANSWER QUERY_RESULT, and leaves unanswered ones out', () => {
    const results = TWO_PAGES.Blocks.filter((b) => b.BlockType === 'QUERY_RESULT');
    expect(extraction.queryAnswers).toEqual([
      {
        page: 1,
        alias: 'invoice_number',
        question: 'What is the invoice number?',
        answer: '2026-114',
        confidence: 0.96,
        box: box(results[0]),
      },
      { page: 2, alias: 'due_date', question: 'What is the due date?', answer: '2026-12-31', confidence: 0.94, box: box(results[1]) },
    ]);
    expect(extraction.queryAnswers?.some((a) => a.alias === 'iban')).toBe(false);
  });

  it('does not turn TABLE or CELL blocks into text of their own (their words are already in lines)', () => {
    expect(extraction.text.match(/Item/g)).toHaveLength(1);
    expect(extraction.text.match(/Amount/g)).toHaveLength(1);
  });

  it('records the mapping and the Textract model version as provenance', () => {
    expect(extraction.provenance).toEqual({
      engine: TEXTRACT_MAPPING_ENGINE,
      engineVersion: '1',
      ocrEngine: TEXTRACT_OCR_ENGINE,
      ocrEngineVersion: '1.0',
    });
    const timed = extractionFromTextract({
      blocks: TWO_PAGES.Blocks,
      pages: 2,
      mediaType: 'image/tiff',
      startedAt: '2026-11-29T10:00:00.000Z',
      durationMs: 4200,
    });
    expect(timed.mediaType).toBe('image/tiff');
    expect(timed.provenance).toEqual({
      engine: TEXTRACT_MAPPING_ENGINE,
      engineVersion: '1',
      ocrEngine: TEXTRACT_OCR_ENGINE,
      startedAt: '2026-11-29T10:00:00.000Z',
      durationMs: 4200,
    });
  });

  it('uses page sizes when the caller knows them', () => {
    const sized = map(TWO_PAGES, {
      pageSizes: [
        { width: 595, height: 842 },
        { width: 0, height: 842 },
      ],
    });
    expect(sized.pages.map((p) => [p.width, p.height])).toEqual([
      [595, 842],
      [1, 1],
    ]);
    // Geometry stays in fractions of the page whatever the size.
    expect(sized.pages[0]?.lines).toEqual(extraction.pages[0]?.lines);
  });

  it('is deterministic', () => {
    expect(map(TWO_PAGES)).toEqual(extraction);
  });
});

describe('extractionFromTextract: missing relationships and ids', () => {
  const extraction = map(BROKEN);

  it('skips what it cannot resolve instead of failing', () => {
    expect(extraction.pages).toHaveLength(2);
    const page = extraction.pages[0];
    // PAGE 1 lists no children: its lines come from their Page field, in response order. A line
    // without words keeps Textract's text; a line with neither is dropped.
    expect(page?.lines?.map((l) => [l.text, l.words.map((w) => w.text)])).toEqual([
      ['Reference No.', ['Reference', 'No.']],
      ['Handwritten note', []],
      ['Signature:', ['Signature:']],
      ['Date:', ['Date:']],
    ]);
    expect(page?.text).toBe('Reference No.\nHandwritten note\nSignature:\nDate:');
  });

  it('keeps a KEY without a (resolvable) VALUE as an empty field, and skips a KEY without words', () => {
    expect(extraction.keyValues?.map((kv) => [kv.key, kv.value, kv.valueBox])).toEqual([
      ['Signature:', '', null],
      ['Date:', '', null],
    ]);
  });

  it('asks were made, none answered: queryAnswers is empty, not absent', () => {
    expect(extraction.queryAnswers).toEqual([]);
  });

  it('keeps a page Textract declared but did not return as an empty page with a note', () => {
    expect(extraction.pages[1]).toEqual({
      page: 2,
      method: 'ocr',
      text: '',
      confidence: 0,
      width: 1,
      height: 1,
      lines: [],
      note: TEXTRACT_PAGE_MISSING,
    });
    expect(extraction.text.endsWith('\f')).toBe(true);
  });
});

describe('extractionFromTextract: ordering, geometry and malformed input', () => {
  const geometry = (left: number, top: number, width: number, height: number) => ({
    BoundingBox: { Left: left, Top: top, Width: width, Height: height },
  });
  const word = (id: string, text: string, confidence: number, page?: number): Block => ({
    BlockType: 'WORD',
    Id: id,
    Text: text,
    Confidence: confidence,
    Geometry: geometry(0.1, 0.1, 0.1, 0.02),
    ...(page === undefined ? {} : { Page: page }),
  });
  const line = (id: string, words: string[], page?: number): Block => ({
    BlockType: 'LINE',
    Id: id,
    Confidence: 90,
    Geometry: geometry(0.1, 0.1, 0.5, 0.02),
    Relationships: [{ Type: 'CHILD', Ids: words }],
    ...(page === undefined ? {} : { Page: page }),
  });

  it("follows the PAGE's CHILD order, not the order blocks arrive in", () => {
    const blocks: Block[] = [
      { BlockType: 'PAGE', Id: 'p', Page: 1, Relationships: [{ Type: 'CHILD', Ids: ['l-2', 'l-1'] }] },
      line('l-1', ['w-1'], 1),
      word('w-1', 'second', 99, 1),
      line('l-2', ['w-2'], 1),
      word('w-2', 'first', 99, 1),
    ];
    expect(extractionFromTextract({ blocks, pages: 1, mediaType: 'image/png' }).text).toBe('first\nsecond');
  });

  it('numbers PAGE blocks without a Page field by their order (synchronous-style responses)', () => {
    const blocks: Block[] = [
      { BlockType: 'PAGE', Id: 'p1', Relationships: [{ Type: 'CHILD', Ids: ['l1'] }] },
      line('l1', ['w1']),
      word('w1', 'one', 99),
      { BlockType: 'PAGE', Id: 'p2', Relationships: [{ Type: 'CHILD', Ids: ['l2'] }] },
      line('l2', ['w2']),
      word('w2', 'two', 99),
    ];
    const extraction = extractionFromTextract({ blocks, pages: 0, mediaType: 'application/pdf' });
    expect(extraction.pages.map((p) => [p.page, p.text])).toEqual([
      [1, 'one'],
      [2, 'two'],
    ]);
  });

  it('cuts boxes that overhang the page, and clamps confidences to [0, 1]', () => {
    const blocks: Block[] = [
      { BlockType: 'PAGE', Id: 'p', Page: 1, Relationships: [{ Type: 'CHILD', Ids: ['l'] }] },
      { ...line('l', ['w'], 1), Confidence: 100.4 },
      { ...word('w', 'edge', -3, 1), Geometry: geometry(-0.02, 0.97, 0.1, 0.05) },
    ];
    const [l] = extractionFromTextract({ blocks, pages: 1, mediaType: 'image/png' }).pages[0]?.lines ?? [];
    expect(l?.confidence).toBe(1);
    expect(l?.words[0]?.confidence).toBe(0);
    const b = l?.words[0]?.box;
    expect(b?.left).toBe(0);
    expect(b?.top).toBeCloseTo(0.97, 12);
    expect(b?.width).toBeCloseTo(0.08, 12);
    expect(b?.height).toBeCloseTo(0.03, 12);
  });

  it('gives a block without geometry an empty box', () => {
    const blocks: Block[] = [
      { BlockType: 'PAGE', Id: 'p', Page: 1, Relationships: [{ Type: 'CHILD', Ids: ['l'] }] },
      line('l', ['w'], 1),
      { BlockType: 'WORD', Id: 'w', Text: 'bare', Confidence: 80, Page: 1 },
    ];
    const [l] = extractionFromTextract({ blocks, pages: 1, mediaType: 'image/png' }).pages[0]?.lines ?? [];
    expect(l?.words[0]?.box).toEqual({ left: 0, top: 0, width: 0, height: 0 });
  });

  it('refuses a response without any PAGE block, without quoting the document', () => {
    const err = thrown(() => map(NO_PAGES));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toMatch(/no PAGE block/);
    for (const b of NO_PAGES.Blocks) if (b.Text !== undefined) expect(err.message).not.toContain(b.Text);
  });

  it('refuses Blocks that are not a list', () => {
    const err = thrown(() => extractionFromTextract({ blocks: { Blocks: [] } as unknown as Block[], pages: 1, mediaType: 'image/png' }));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toMatch(/not a list/);
  });
});
