import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseArgs } from '../../../bench/run.js';
import { engineFigure } from '../../../bench/figures/engine.js';
import { interleave, median } from '../../../bench/lib/common.js';
import {
  figure,
  ratioOf,
  renderMarkdown,
  stampOf,
  verdictOf,
  writeReport,
  type BenchReport,
  type FigureResult,
} from '../../../bench/lib/report.js';
import { tempDir } from '../../helpers/docs.js';

const dirs: string[] = [];
const newDir = (): string => {
  const d = tempDir('bench-report');
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const sample = (over: Partial<Parameters<typeof figure>[0]> = {}): FigureResult =>
  figure({
    id: 'ocr',
    title: '1. OCR throughput',
    measured: { label: 'pipeline', value: 1.9, unit: 'pages/s' },
    reference: { label: 'native CLI', value: 2, unit: 'pages/s' },
    ratioLabel: 'pipeline ÷ CLI',
    target: { op: '>=', value: 0.95, on: 'ratio' },
    tables: [{ title: 'alternatives', table: { columns: ['engine', 'pages/s'], rows: [['tesseract.js | wasm', 1.2]] } }],
    notes: ['a note'],
    seconds: 1.5,
    data: { any: 'thing' },
    ...over,
  });

const report = (figures: FigureResult[]): BenchReport => ({
  startedAt: '2026-11-29T07:00:00.000Z',
  mode: 'quick',
  data: null,
  machine: { node: 'v20', cores: 2, platform: 'linux x64', loadAverage: [0.5, 0.4, 0.3] },
  versions: { docroute: '0.1.0' },
  wallSeconds: 12,
  figures,
});

describe('bench report arithmetic', () => {
  it('computes the ratio as measured ÷ reference and never divides by zero', () => {
    expect(ratioOf(1.9, 2)).toBe(0.95);
    expect(ratioOf(1, 3, 3)).toBe(0.333);
    expect(ratioOf(1, 0)).toBeNaN();
    expect(ratioOf(Number.NaN, 1)).toBeNaN();
  });

  it('checks a target against the ratio or the measured value, in its direction', () => {
    const atLeast = { op: '>=', value: 0.95, on: 'ratio' } as const;
    expect(verdictOf(atLeast, 0.95, 0)).toBe('PASS');
    expect(verdictOf(atLeast, 0.94, 0)).toBe('MISS');
    const budget = { op: '<=', value: 1, on: 'measured' } as const;
    expect(verdictOf(budget, 99, 0.8)).toBe('PASS');
    expect(verdictOf(budget, 0.1, 1.2)).toBe('MISS');
    expect(verdictOf(atLeast, Number.NaN, 0)).toBe('MISS');
    expect(verdictOf(null, 1, 1)).toBe('INFO');
  });

  it('builds a figure whose ratio and verdict follow from its quantities', () => {
    expect(sample()).toMatchObject({ ratio: 0.95, verdict: 'PASS' });
    expect(sample({ measured: { label: 'pipeline', value: 1.8, unit: 'pages/s' } })).toMatchObject({ ratio: 0.9, verdict: 'MISS' });
    expect(sample({ target: { op: '<=', value: 1.1, on: 'ratio' }, measured: { label: 'x', value: 2.3, unit: 's' } })).toMatchObject({
      ratio: 1.15,
      verdict: 'MISS',
    });
  });

  it('takes the median of odd and even counts', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('interleaves variants in a rotating order', async () => {
    const order: string[] = [];
    const runs = await interleave(['a', 'b', 'c'], 3, (v, r) => {
      order.push(v);
      return Promise.resolve(`${v}${String(r)}`);
    });
    expect(order).toEqual(['a', 'b', 'c', 'b', 'c', 'a', 'c', 'a', 'b']);
    expect(runs.a).toEqual(['a0', 'a1', 'a2']);
  });
});

describe('bench report files', () => {
  it('writes <stamp> and latest, as Markdown and JSON with the same figures', () => {
    const dir = newDir();
    const miss = sample({ id: 'memory', title: '4. Memory', target: { op: '<=', value: 1.3, on: 'ratio' } });
    const r = report([sample(), { ...miss, ratio: Number.NaN, verdict: 'MISS' }]);
    const stamp = stampOf(new Date('2026-11-29T07:00:00.123Z'));
    expect(stamp).toBe('2026-11-29T07-00-00Z');
    const written = writeReport(r, dir, stamp);
    expect(written.map((f) => path.basename(f)).sort()).toEqual([`${stamp}.json`, `${stamp}.md`, 'latest.json', 'latest.md']);
    const json = JSON.parse(readFileSync(path.join(dir, 'latest.json'), 'utf8')) as BenchReport;
    expect(json.figures.map((f) => [f.id, f.ratio, f.verdict])).toEqual([
      ['ocr', 0.95, 'PASS'],
      ['memory', null, 'MISS'],
    ]);
    const md = readFileSync(path.join(dir, `${stamp}.md`), 'utf8');
    expect(md).toBe(readFileSync(path.join(dir, 'latest.md'), 'utf8'));
    expect(md).toContain('| 1. OCR throughput | 1.9 pages/s | 2 pages/s | 0.95 | ratio ≥ 0.95 | PASS |');
    expect(md).toContain('| 4. Memory | 1.9 pages/s | 2 pages/s | – | ratio ≤ 1.3 | MISS |');
    // A pipe inside a cell must not split the Markdown table.
    expect(md).toContain('| tesseract.js \\| wasm | 1.2 |');
  });

  it('renders every figure with its measured value, reference, ratio, target and verdict', () => {
    const md = renderMarkdown(report([sample()]));
    for (const part of [
      '## 1. OCR throughput',
      '- measured: 1.9 pages/s (pipeline)',
      '- reference: 2 pages/s (native CLI)',
      '**0.95**',
      '→ **PASS**',
    ]) {
      expect(md).toContain(part);
    }
  });
});

describe('bench options', () => {
  const defaults = { dataDir: '/nonexistent/datasets', outDir: '/tmp/out' };

  it('defaults to every figure, full mode, and no data when the datasets are absent', () => {
    expect(parseArgs([], defaults)).toEqual({
      quick: false,
      dataDir: null,
      only: ['ocr', 'text-pdf', 'engine', 'memory', 'scaling'],
      outDir: '/tmp/out',
    });
  });

  it('reads --quick, --only and --data, and refuses unknown figures and missing data dirs', () => {
    const dir = newDir();
    expect(parseArgs(['--quick', '--only', 'engine,memory', '--data', dir], defaults)).toMatchObject({
      quick: true,
      only: ['engine', 'memory'],
      dataDir: dir,
    });
    expect(parseArgs(['--no-data'], { ...defaults, dataDir: dir }).dataDir).toBeNull();
    expect(parseArgs([], { ...defaults, dataDir: dir }).dataDir).toBe(dir);
    expect(() => parseArgs(['--only', 'speed'], defaults)).toThrow(/unknown figure "speed"/);
    expect(() => parseArgs(['--data', path.join(dir, 'missing')], defaults)).toThrow(/does not exist/);
    expect(() => parseArgs(['--only'], defaults)).toThrow(/needs a value/);
  });
});

describe('a tiny engine figure', () => {
  it('measures every breakdown row side by side and derives overhead and ratio from them', async () => {
    const f = await engineFigure({ quick: true, dataDir: null, cores: 2, log: () => undefined }, { docsPerRound: 5, rounds: 1 });
    expect(f.id).toBe('engine');
    expect(f.target).toEqual({ op: '<=', value: 1, on: 'measured' });
    const rows = f.tables[0]?.table.rows ?? [];
    expect(rows.map((r) => String(r[0]))).toEqual([
      expect.stringMatching(/^ASL engine \+ real handlers \+ SQLite \(the local path: group commit/),
      expect.stringMatching(/^the same, every write its own transaction/),
      expect.stringMatching(/^handlers in a plain loop \+ in-memory/),
      expect.stringMatching(/^ASL engine alone/),
      expect.stringMatching(/^SQLite alone \(/),
      expect.stringMatching(/^SQLite alone, every write its own transaction/),
      expect.stringMatching(/^SHA-256/),
    ]);
    const full = Number(rows[0]?.[1]);
    const steps = Number(rows[2]?.[1]);
    expect(f.reference.value).toBe(steps);
    expect(f.measured.value).toBeCloseTo(full - steps, 3);
    expect(f.ratio).toBe(ratioOf(f.measured.value, steps));
    expect(f.verdict).toBe(f.measured.value <= 1 ? 'PASS' : 'MISS');
  });
});
