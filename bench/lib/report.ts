/**
 * The bench report: one entry per figure, each a ratio of two things measured side by side in the
 * same run (these machines are noisy: a ratio of neighbours survives load that absolute times do
 * not). Rendered as Markdown and JSON into bench/results/<stamp>.{md,json} and latest.{md,json}.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const FIGURE_IDS = ['ocr', 'text-pdf', 'engine', 'memory', 'scaling'] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

export interface Quantity {
  readonly label: string;
  readonly value: number;
  readonly unit: string;
}

/** `>=` for throughput ratios (higher is better), `<=` for time, memory and overhead. */
export interface Target {
  readonly op: '>=' | '<=';
  readonly value: number;
  /** What the target is checked against: the ratio, or the measured value itself (an absolute budget). */
  readonly on: 'ratio' | 'measured';
}

export type Verdict = 'PASS' | 'MISS' | 'INFO';

export interface Table {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly (string | number)[])[];
}

export interface FigureResult {
  readonly id: FigureId;
  readonly title: string;
  readonly measured: Quantity;
  readonly reference: Quantity;
  /** measured ÷ reference, rounded; what `ratioLabel` says it is. */
  readonly ratio: number;
  readonly ratioLabel: string;
  readonly target: Target | null;
  readonly verdict: Verdict;
  /** Alternatives, breakdowns, per-setting rows. */
  readonly tables: readonly { readonly title: string; readonly table: Table }[];
  readonly notes: readonly string[];
  readonly seconds: number;
  readonly data: unknown;
}

export interface BenchReport {
  readonly startedAt: string;
  readonly mode: 'quick' | 'full';
  readonly data: string | null;
  readonly machine: { readonly node: string; readonly cores: number; readonly platform: string; readonly loadAverage: readonly number[] };
  readonly versions: Readonly<Record<string, string>>;
  readonly wallSeconds: number;
  readonly figures: readonly FigureResult[];
}

export const round = (value: number, digits = 3): number => {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
};

/** measured ÷ reference; NaN (rendered "–") when the reference is zero or missing. */
export const ratioOf = (measured: number, reference: number, digits = 2): number =>
  reference === 0 || !Number.isFinite(reference) || !Number.isFinite(measured) ? Number.NaN : round(measured / reference, digits);

export const verdictOf = (target: Target | null, ratio: number, measured: number): Verdict => {
  if (target === null) return 'INFO';
  const value = target.on === 'ratio' ? ratio : measured;
  if (!Number.isFinite(value)) return 'MISS';
  return (target.op === '>=' ? value >= target.value : value <= target.value) ? 'PASS' : 'MISS';
};

/** Builds a figure from its two quantities: the ratio and the verdict are computed, never typed in. */
export const figure = (f: Omit<FigureResult, 'ratio' | 'verdict'> & { readonly ratioDigits?: number }): FigureResult => {
  const { ratioDigits, ...rest } = f;
  const ratio = ratioOf(f.measured.value, f.reference.value, ratioDigits ?? 2);
  return { ...rest, ratio, verdict: verdictOf(f.target, ratio, f.measured.value) };
};

const cell = (value: string | number): string => {
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '–';
  return value.replace(/\|/g, '\\|');
};

export const markdownTable = (table: Table): string[] => [
  `| ${table.columns.map(cell).join(' | ')} |`,
  `| ${table.columns.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
  ...table.rows.map((row) => `| ${row.map(cell).join(' | ')} |`),
];

const quantity = (q: Quantity): string => `${cell(q.value)} ${q.unit} (${q.label})`;

export const targetText = (t: Target | null): string =>
  t === null ? 'none (informational)' : `${t.on === 'ratio' ? 'ratio' : 'measured'} ${t.op === '>=' ? '≥' : '≤'} ${String(t.value)}`;

export const renderMarkdown = (report: BenchReport): string => {
  const lines: string[] = [
    `# docroute bench (${report.mode})`,
    '',
    `${report.startedAt} · node ${report.machine.node} · ${String(report.machine.cores)} cores · load ${report.machine.loadAverage.map((l) => l.toFixed(1)).join(' ')} · ` +
      `${Object.entries(report.versions)
        .map(([k, v]) => `${k} ${v}`)
        .join(' · ')} · data: ${report.data ?? 'generated only'} · wall ${report.wallSeconds.toFixed(0)} s`,
    '',
    '## Summary',
    '',
    ...markdownTable({
      columns: ['figure', 'measured', 'reference', 'ratio', 'target', 'result'],
      rows: report.figures.map((f) => [
        f.title,
        `${cell(f.measured.value)} ${f.measured.unit}`,
        `${cell(f.reference.value)} ${f.reference.unit}`,
        f.ratio,
        targetText(f.target),
        f.verdict,
      ]),
    }),
    '',
  ];
  for (const f of report.figures) {
    lines.push(`## ${f.title}`, '');
    lines.push(`- measured: ${quantity(f.measured)}`);
    lines.push(`- reference: ${quantity(f.reference)}`);
    lines.push(`- ratio: **${cell(f.ratio)}** (${f.ratioLabel})`);
    lines.push(`- target: ${targetText(f.target)} → **${f.verdict}**`);
    lines.push(`- took ${f.seconds.toFixed(1)} s`, '');
    for (const t of f.tables) lines.push(`### ${t.title}`, '', ...markdownTable(t.table), '');
    if (f.notes.length > 0) lines.push(...f.notes.map((n) => `- ${n}`), '');
  }
  return `${lines.join('\n')}\n`;
};

/** `2026-11-29T07-20-48Z`: sortable, and safe in a file name. */
export const stampOf = (date: Date): string =>
  date
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-');

/** Writes <stamp>.{md,json} and latest.{md,json}; returns the paths written. */
export const writeReport = (report: BenchReport, dir: string, stamp: string): string[] => {
  mkdirSync(dir, { recursive: true });
  const md = renderMarkdown(report);
  // NaN is not JSON: a ratio that could not be computed is null.
  const json = `${JSON.stringify(report, (_, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), 2)}\n`;
  const written: string[] = [];
  for (const name of [stamp, 'latest']) {
    for (const [ext, body] of [
      ['md', md],
      ['json', json],
    ] as const) {
      const file = path.join(dir, `${name}.${ext}`);
      writeFileSync(file, body);
      written.push(file);
    }
  }
  return written;
};
