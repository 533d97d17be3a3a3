import { describe, expect, it } from 'vitest';
import { parseTesseractTsv, tesseractProcessEnv } from '../../../../src/adapters/local/tesseract-cli-ocr.js';

const HEADER = 'level\tpage_num\tblock_num\tpar_num\tline_num\tword_num\tleft\ttop\twidth\theight\tconf\ttext';

const tsv = (...rows: string[]): string => [HEADER, ...rows].join('\n');

/**
 * What tesseract 5.3 prints for a 1000 x 2000 page with two blocks: a two-line paragraph and a
 * one-line block further down. Rows of levels 2–4 carry conf -1 and no text; the last row has no
 * trailing newline, as tesseract writes it.
 */
const PAGE = tsv(
  '1\t1\t0\t0\t0\t0\t0\t0\t1000\t2000\t-1\t',
  '2\t1\t1\t0\t0\t0\t100\t200\t500\t130\t-1\t',
  '3\t1\t1\t1\t0\t0\t100\t200\t500\t130\t-1\t',
  '4\t1\t1\t1\t1\t0\t100\t200\t400\t50\t-1\t',
  '5\t1\t1\t1\t1\t1\t100\t200\t200\t50\t96\tINVOICE',
  '5\t1\t1\t1\t1\t2\t350\t210\t150\t40\t90\t2024-0117',
  '4\t1\t1\t1\t2\t0\t100\t280\t500\t50\t-1\t',
  '5\t1\t1\t1\t2\t1\t100\t280\t300\t50\t80\tNorthwind',
  '5\t1\t1\t1\t2\t2\t450\t285\t150\t45\t100\tTraders',
  '2\t1\t2\t0\t0\t0\t100\t1500\t240\t60\t-1\t',
  '3\t1\t2\t1\t0\t0\t100\t1500\t240\t60\t-1\t',
  '4\t1\t2\t1\t1\t0\t100\t1500\t240\t60\t-1\t',
  '5\t1\t2\t1\t1\t1\t100\t1500\t100\t60\t70\tTOTAL',
  '5\t1\t2\t1\t1\t2\t220\t1500\t120\t60\t50\t99.00',
);

describe('parseTesseractTsv', () => {
  it('groups words into lines in reading order, with a blank line between blocks', () => {
    const parsed = parseTesseractTsv(PAGE);
    expect(parsed.text).toBe('INVOICE 2024-0117\nNorthwind Traders\n\nTOTAL 99.00');
    expect(parsed.lines.map((line) => line.text)).toEqual(['INVOICE 2024-0117', 'Northwind Traders', 'TOTAL 99.00']);
    expect(parsed.lines.map((line) => line.words.map((word) => word.text))).toEqual([
      ['INVOICE', '2024-0117'],
      ['Northwind', 'Traders'],
      ['TOTAL', '99.00'],
    ]);
    expect([parsed.width, parsed.height, parsed.pages]).toEqual([1000, 2000, 1]);
  });

  it('normalises boxes by the page size: Textract geometry, origin top-left', () => {
    const [first, , total] = parseTesseractTsv(PAGE).lines;
    expect(first?.words[0]?.box).toEqual({ left: 0.1, top: 0.1, width: 0.2, height: 0.025 });
    // A line's box is the union of its words: 100..500 x 200..250.
    expect(first?.box).toEqual({ left: 0.1, top: 0.1, width: 0.4, height: 0.025 });
    expect(total?.box.top).toBe(0.75);
    expect(total?.box.left).toBeCloseTo(0.1);
    expect(total?.box.width).toBeCloseTo(0.24);
  });

  it('turns confidences into [0, 1]: words /100, lines the mean of their words, the page weighted by word length', () => {
    const parsed = parseTesseractTsv(PAGE);
    expect(parsed.lines[0]?.words.map((word) => word.confidence)).toEqual([0.96, 0.9]);
    expect(parsed.lines[0]?.confidence).toBeCloseTo(0.93);
    expect(parsed.lines[2]?.confidence).toBeCloseTo(0.6);
    // INVOICE 7, 2024-0117 9, Northwind 9, Traders 7, TOTAL 5, 99.00 5 characters.
    const expected = (0.96 * 7 + 0.9 * 9 + 0.8 * 9 + 1 * 7 + 0.7 * 5 + 0.5 * 5) / 42;
    expect(parsed.confidence).toBeCloseTo(expected, 10);
  });

  it('clamps confidences and boxes that fall outside their range', () => {
    const parsed = parseTesseractTsv(
      tsv(
        '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t',
        '5\t1\t1\t1\t1\t1\t90\t-5\t30\t20\t101.5\tedge',
        '5\t1\t1\t1\t1\t2\t0\t0\t10\t10\t-1\tlow',
      ),
    );
    const [edge, low] = parsed.lines[0]?.words ?? [];
    expect(edge?.confidence).toBe(1);
    expect(low?.confidence).toBe(0);
    // 90..120 x -5..15 on a 100 x 100 page: cut to the page, not moved onto it.
    expect(edge?.box.left).toBe(0.9);
    expect(edge?.box.top).toBe(0);
    expect(edge?.box.width).toBeCloseTo(0.1, 12);
    expect(edge?.box.height).toBeCloseTo(0.15, 12);
  });

  it('drops empty words, and lines left without words', () => {
    const parsed = parseTesseractTsv(
      tsv(
        '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t',
        '5\t1\t1\t1\t1\t1\t0\t0\t10\t10\t95\t ',
        '5\t1\t1\t1\t2\t1\t0\t20\t10\t10\t95\t',
        '5\t1\t1\t1\t2\t2\t20\t20\t10\t10\t95\tkept',
      ),
    );
    expect(parsed.lines.map((line) => line.text)).toEqual(['kept']);
    expect(parsed.text).toBe('kept');
  });

  it('gives empty text and zero confidence for a blank page, and no page for output without one', () => {
    const blank = parseTesseractTsv(`${tsv('1\t1\t0\t0\t0\t0\t0\t0\t400\t300\t-1\t')}\n`);
    expect(blank).toEqual({ width: 400, height: 300, pages: 1, lines: [], text: '', confidence: 0 });
    // An unreadable TIFF: tesseract exits 0 having written only the header.
    expect(parseTesseractTsv(`${HEADER}\n`).pages).toBe(0);
    expect(parseTesseractTsv('').pages).toBe(0);
  });

  it('accepts CRLF line ends and output without a header row', () => {
    const crlf = parseTesseractTsv(PAGE.replaceAll('\n', '\r\n'));
    expect(crlf.text).toBe('INVOICE 2024-0117\nNorthwind Traders\n\nTOTAL 99.00');
    const headless = parseTesseractTsv(PAGE.split('\n').slice(1).join('\n'));
    expect(headless.lines).toEqual(parseTesseractTsv(PAGE).lines);
  });

  it('normalises each page of a multi-page image by its own size, and separates pages like blocks', () => {
    const parsed = parseTesseractTsv(
      tsv(
        '1\t1\t0\t0\t0\t0\t0\t0\t100\t100\t-1\t',
        '5\t1\t1\t1\t1\t1\t50\t50\t10\t10\t90\tone',
        '1\t2\t0\t0\t0\t0\t0\t0\t200\t400\t-1\t',
        '5\t2\t1\t1\t1\t1\t50\t50\t10\t10\t90\ttwo',
      ),
    );
    expect(parsed.text).toBe('one\n\ntwo');
    expect(parsed.lines[1]?.box).toEqual({ left: 0.25, top: 0.125, width: 0.05, height: 0.025 });
    expect([parsed.width, parsed.height, parsed.pages]).toEqual([100, 100, 2]);
  });
});

describe('tesseractProcessEnv', () => {
  it('runs tesseract single-threaded with huge pages, over the inherited environment', () => {
    expect(tesseractProcessEnv({ PATH: '/usr/bin', OMP_THREAD_LIMIT: '8' })).toEqual({
      PATH: '/usr/bin',
      OMP_THREAD_LIMIT: '1',
      GLIBC_TUNABLES: 'glibc.malloc.hugetlb=1',
    });
  });

  it('adds to tunables already set, keeps an explicit hugetlb choice, and lets the caller override anything', () => {
    expect(tesseractProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.arena_max=2' }).GLIBC_TUNABLES).toBe(
      'glibc.malloc.arena_max=2:glibc.malloc.hugetlb=1',
    );
    expect(tesseractProcessEnv({ GLIBC_TUNABLES: 'glibc.malloc.hugetlb=0' }).GLIBC_TUNABLES).toBe('glibc.malloc.hugetlb=0');
    expect(tesseractProcessEnv({}, { OMP_THREAD_LIMIT: '2', GLIBC_TUNABLES: '' })).toEqual({ OMP_THREAD_LIMIT: '2', GLIBC_TUNABLES: '' });
  });
});
