import { readdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { interactiveStderr } from '../../config/env.js';
import { loadConfig } from '../../config/load.js';
import type { FieldValue } from '../../domain/document.js';
import { DocumentError, ERROR_TAXONOMY } from '../../domain/errors.js';
import {
  characterErrorRate,
  compareFields,
  inSplit,
  invoiceGroundTruth,
  SPLITS,
  sroieGroundTruth,
  summarize,
  type DocumentResult,
  type EvalReport,
  type GroundTruth,
  type Split,
} from '../../domain/evaluation.js';
import { extractFields } from '../../domain/extract-fields.js';
import { openRuntime, type Runtime } from '../runtime.js';
import { mapLimit } from '../map-limit.js';
import { intAtLeast, integer } from './args.js';
import { EXIT } from './exit-codes.js';
import { rel, table } from './format.js';
import { renderHtmlReport } from './html-report.js';
import { out, err } from './io.js';

/**
 * `docroute eval extraction <dir>`: runs text and field extraction over a labelled folder and
 * scores it against the ground truth. Extraction goes through the pipeline's own checkpoints, so a
 * second evaluation of the same files does not read or OCR them again; only field extraction and
 * scoring are repeated, which is what one tunes.
 */

export const EVAL_CLASSES = ['receipt', 'invoice'] as const;
export type EvalClass = (typeof EVAL_CLASSES)[number];

export interface LabelledDocument {
  /** Absolute path of the document. */
  readonly file: string;
  /** Path relative to the evaluated folder: what reports show. */
  readonly name: string;
  /** The base name without extension: what the split hashes, so a PDF and its PNG rendering stay together. */
  readonly key: string;
  readonly documentClass: EvalClass;
  readonly truth: GroundTruth;
  /** `<name>.txt` beside the document, when there is one. */
  readonly transcript: string | null;
}

const INVOICE_SUFFIX = '.expected.json';
/** In order of preference: invoice2data ships some invoices as both a PDF and a PNG rendering. */
const INVOICE_DOCUMENTS = ['.pdf', '.png', '.jpg', '.jpeg'];
const RECEIPT_DOCUMENTS = ['.jpg', '.jpeg', '.png', '.pdf'];

const readJson = async (file: string): Promise<unknown> => {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as unknown;
  } catch {
    return undefined;
  }
};

/**
 * Finds documents with ground truth beside them, recursively (hidden entries skipped):
 * `<name>.pdf|png` + `<name>.expected.json` (invoice2data) and `<name>.jpg|png` + `<name>.json` (SROIE).
 * `unreadable` counts label files that are not valid JSON of either shape.
 */
export const findLabelledDocuments = async (root: string): Promise<{ documents: LabelledDocument[]; unreadable: number }> => {
  const documents: LabelledDocument[] = [];
  let unreadable = 0;
  const visit = async (dir: string): Promise<void> => {
    const entries = (await readdir(dir, { withFileTypes: true })).filter((e) => !e.name.startsWith('.'));
    // Lower-cased name → real name, so "X.JPG" pairs with "X.json".
    const files = new Map(entries.filter((e) => e.isFile()).map((e) => [e.name.toLowerCase(), e.name]));
    const sibling = (stem: string, extensions: readonly string[]): string | undefined => {
      for (const ext of extensions) {
        const real = files.get(`${stem}${ext}`.toLowerCase());
        if (real) return real;
      }
      return undefined;
    };
    for (const name of [...files.values()].sort()) {
      const lower = name.toLowerCase();
      if (!lower.endsWith('.json')) continue;
      const invoice = lower.endsWith(INVOICE_SUFFIX);
      const stem = name.slice(0, name.length - (invoice ? INVOICE_SUFFIX.length : '.json'.length));
      const doc = sibling(stem, invoice ? INVOICE_DOCUMENTS : RECEIPT_DOCUMENTS);
      // A JSON file with no document beside it is something else (a route decision, a config).
      if (!doc) continue;
      const json = await readJson(path.join(dir, name));
      const truth = invoice ? invoiceGroundTruth(json) : sroieGroundTruth(json);
      if (!truth) {
        unreadable += 1;
        continue;
      }
      const transcript = sibling(stem, ['.txt']);
      const file = path.join(dir, doc);
      documents.push({
        file,
        name: path.relative(root, file),
        key: stem,
        documentClass: invoice ? 'invoice' : 'receipt',
        truth,
        transcript: transcript ? path.join(dir, transcript) : null,
      });
    }
    for (const e of entries) if (e.isDirectory()) await visit(path.join(dir, e.name));
  };
  await visit(root);
  documents.sort((a, b) => a.name.localeCompare(b.name));
  return { documents, unreadable };
};

/** A document error's reason code says more than its class name; anything else is reported by name only. */
const errorLabel = (e: unknown): string => {
  if (e instanceof DocumentError) return `${e.name} (${e.reasonCode})`;
  return e instanceof Error ? e.name : typeof e;
};

/**
 * Scores one document. `runFailure` marks an error that says nothing about the document but about
 * the run (OCR down, a bug); a document error (corrupt, unsupported) is a result like any other.
 */
const evaluateDocument = async (runtime: Runtime, doc: LabelledDocument): Promise<{ result: DocumentResult; runFailure: boolean }> => {
  const specFields = (runtime.loaded.config.fields[doc.documentClass] ?? []).map((s) => s.name);
  let documentId: string | null = null;
  let cached = false;
  let extracted: Record<string, FieldValue> = {};
  let cer: DocumentResult['cer'] = null;
  let error: string | null = null;
  let runFailure = false;
  try {
    const result = await runtime.extractFile(doc.file);
    ({ documentId, cached } = result);
    const fieldSet = extractFields(result.extraction, doc.documentClass, runtime.loaded.config.fields);
    extracted = Object.fromEntries(Object.entries(fieldSet.fields).map(([k, f]) => [k, f.value]));
    if (doc.transcript) cer = characterErrorRate(await readFile(doc.transcript, 'utf8'), result.extraction.text);
  } catch (e) {
    error = errorLabel(e);
    runFailure = !(e instanceof Error && ERROR_TAXONOMY[e.name] === 'document');
  }
  const { compared, skipped } = compareFields(doc.truth, specFields, extracted);
  return {
    result: { name: doc.name, documentClass: doc.documentClass, documentId, cached, error, fields: compared, skippedFields: skipped, cer },
    runFailure,
  };
};

const pct = (x: number): string => `${(x * 100).toFixed(1)}%`;

/** The terminal summary: one row per field, a total per class, then CER and what was not scored. */
export const formatEvalReport = (report: EvalReport, reportFile: string | null): string => {
  const s = report.summary;
  const lines: string[] = [];
  const sp = report.split;
  lines.push(`Extraction eval of ${report.dir}`);
  lines.push(
    `  split ${sp.name} (seed ${sp.seed}): ${sp.selected} of ${sp.found} labelled documents` +
      `${report.documentClass ? `, class ${report.documentClass}` : ''}${report.limit !== null ? `, limit ${report.limit}` : ''}`,
  );
  lines.push(`  ${s.documents} evaluated, ${s.cached} from cache, ${s.errors} could not be extracted`);
  lines.push('');
  const rows: string[][] = [];
  for (const c of s.classes) {
    for (const f of s.fields.filter((x) => x.documentClass === c.documentClass))
      rows.push([c.documentClass, f.field, String(f.n), String(f.correct), pct(f.accuracy)]);
    rows.push([c.documentClass, '(all fields)', String(c.n), String(c.correct), pct(c.accuracy)]);
  }
  const header = ['class', 'field', 'n', 'correct', 'accuracy'];
  // Numbers read best right-aligned; `table` pads on the right, so pad them on the left first.
  for (const col of [2, 3, 4]) {
    const width = Math.max(...[header, ...rows].map((r) => (r[col] ?? '').length));
    for (const r of rows) r[col] = (r[col] ?? '').padStart(width);
  }
  lines.push(table(rows, header));
  lines.push('');
  const cerLine = (label: string, c: EvalReport['summary']['cer']): string =>
    c
      ? `CER ${label}: ${pct(c.cer)} (${c.distance} edits / ${c.referenceChars} chars; mean per document ${pct(c.meanCer)}, ${c.documents} with a transcript)`
      : `CER ${label}: no transcripts`;
  if (s.classes.length > 1) for (const c of s.classes) lines.push(cerLine(c.documentClass, c.cer));
  lines.push(cerLine('all', s.cer));
  for (const c of s.classes)
    if (c.skippedFields.length) lines.push(`Not evaluated (${c.documentClass} has no field spec): ${c.skippedFields.join(', ')}`);
  const failed = report.documents.filter((d) => d.error !== null);
  if (failed.length) {
    lines.push(`Could not be extracted (${failed.length}):`);
    for (const d of failed) lines.push(`  ${d.name}: ${d.error ?? ''}`);
  }
  if (reportFile) lines.push(`Report: ${rel(reportFile)}`);
  return lines.join('\n');
};

export interface EvalGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

export interface EvalOptions {
  readonly split: Split;
  readonly seed: number;
  readonly limit?: number;
  readonly class?: EvalClass;
  readonly report?: string;
}

export const commandEvalExtraction = async (dir: string, options: EvalOptions, globals: EvalGlobals): Promise<number> => {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    err(`docroute eval extraction: ${dir} is not a directory`);
    return EXIT.USAGE;
  }
  const { documents: found, unreadable } = await findLabelledDocuments(path.resolve(dir));
  if (unreadable > 0) err(`docroute eval extraction: ignored ${unreadable} ground-truth file(s) that are not valid JSON of a known shape`);
  if (found.length === 0) {
    err(
      `docroute eval extraction: no ground truth found in ${dir}. Expected documents with labels beside them: ` +
        '<name>.jpg + <name>.json (SROIE receipt: company, date, address, total) or ' +
        '<name>.pdf|png + <name>.expected.json (invoice: a list with one object: issuer, amount, date, invoice_number, currency).',
    );
    return EXIT.USAGE;
  }
  const selected = found
    .filter((d) => !options.class || d.documentClass === options.class)
    .filter((d) => inSplit(d.key, options.split, options.seed))
    .slice(0, options.limit ?? Number.POSITIVE_INFINITY);
  if (selected.length === 0) {
    err(
      `docroute eval extraction: none of the ${found.length} labelled documents in ${dir} is left after` +
        `${options.class ? ` --class ${options.class}` : ''} --split ${options.split} --seed ${options.seed}`,
    );
    return EXIT.USAGE;
  }

  const loaded = loadConfig({ file: globals.config, dataDir: globals.dataDir });
  const progress = interactiveStderr();
  if (!globals.json)
    err(
      `docroute eval extraction: ${selected.length} document(s), split ${options.split} (seed ${options.seed}), data in ${rel(loaded.config.dataDir)}`,
    );
  const runtime = await openRuntime(loaded);
  let evaluated: { result: DocumentResult; runFailure: boolean }[];
  try {
    let done = 0;
    // The OCR pool runs this many pages at once; more in flight would only queue.
    evaluated = await mapLimit(selected, loaded.config.extract.ocr.workers, async (doc) => {
      const result = await evaluateDocument(runtime, doc);
      done += 1;
      if (progress) process.stderr.write(`\r[eval] ${done}/${selected.length} documents\x1b[K`);
      return result;
    });
    if (progress) process.stderr.write('\n');
  } finally {
    await runtime.close();
  }
  const documents = evaluated.map((e) => e.result);

  const report: EvalReport = {
    dir,
    split: { name: options.split, seed: options.seed, selected: selected.length, found: found.length },
    documentClass: options.class ?? null,
    limit: options.limit ?? null,
    configVersion: loaded.version,
    generatedAt: new Date().toISOString(),
    summary: summarize(documents),
    documents,
  };
  const reportFile = options.report ? path.resolve(options.report) : null;
  if (reportFile) await writeFile(reportFile, renderHtmlReport(report));

  if (globals.json) {
    const { summary, documents: results, ...rest } = report;
    out(JSON.stringify({ ...rest, ...summary, results, report: reportFile }, null, 2));
  } else {
    out(formatEvalReport(report, reportFile));
  }
  // Low accuracy is a result; a document the run could not extract for reasons of its own (OCR
  // down, a bug) makes the numbers untrustworthy, as a failed document does for `run`.
  return evaluated.some((e) => e.runFailure) ? EXIT.DOCUMENTS_FAILED : EXIT.OK;
};

/** Adds `eval extraction` to the program; `globals` reads the program-wide options at action time. */
export const registerEvalCommand = (program: Command, deps: { globals: () => EvalGlobals; setCode: (code: number) => void }): Command => {
  const evalCommand = program.command('eval').description('measure the pipeline against labelled documents');
  evalCommand
    .command('extraction')
    .description('score text and field extraction against ground truth beside the documents (SROIE receipts, invoice2data invoices)')
    .argument('<dir>', 'folder with documents and their ground truth, searched recursively')
    .addOption(new Option('--split <split>', 'which half of the documents, by a hash of their names').choices(SPLITS).default('all'))
    .addOption(new Option('--seed <n>', 'seed of the split').default(1).argParser(integer))
    .addOption(new Option('--limit <n>', 'evaluate at most this many documents (after the split)').argParser(intAtLeast('--limit', 1)))
    .addOption(new Option('--class <class>', 'only this document class').choices(EVAL_CLASSES))
    .option('--report <file.html>', 'also write a self-contained HTML report')
    .action(async (dir: string, o: EvalOptions) => {
      deps.setCode(await commandEvalExtraction(dir, o, deps.globals()));
    });
  return evalCommand;
};
