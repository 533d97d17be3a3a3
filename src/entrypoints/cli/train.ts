import { stat } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { writeModelFile } from '../../adapters/local/model-classifier.js';
import { createKeywordClassifier } from '../../domain/keyword-classifier.js';
import { interactiveStderr } from '../../config/env.js';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { classificationMetrics } from '../../domain/classification-metrics.js';
import { prepare, trainModel, type Prepared } from '../../domain/classifier-model/model.js';
import type { Extraction } from '../../domain/document.js';
import { DocumentError, toPipelineError } from '../../domain/errors.js';
import { openRuntime } from '../runtime.js';
import { mapLimit } from '../map-limit.js';
import { intAtLeast } from './args.js';
import { EXIT } from './exit-codes.js';
import { rel } from './format.js';
import { readLabelledFolder, type ClassLabelledDocument } from './labelled-classes.js';
import { out, err } from './io.js';

/**
 * `docroute train <dir>`: extracts every labelled document through the pipeline's own Extract
 * step (checkpointed, so a second run does not OCR again), trains the local classifier and writes
 * its model file. The calibration folds double as an honest estimate, printed with the model.
 */

export interface Globals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

export interface ExtractedDocument {
  readonly doc: ClassLabelledDocument;
  readonly extraction: Extraction | null;
  /** Why it could not be extracted: an error name and reason code, never content. */
  readonly error: string | null;
}

/**
 * Extracts labelled documents with the configured extraction (cached in the data dir's
 * checkpoints). A document that cannot be read is returned with its error, not thrown: a training
 * set with one corrupt scan is still a training set.
 */
export const extractLabelled = async (
  loaded: LoadedConfig,
  docs: readonly ClassLabelledDocument[],
  label: string,
): Promise<{ extracted: ExtractedDocument[]; cached: number; seconds: number }> => {
  const started = performance.now();
  // Extraction does not depend on the classifier; the rules one is a cheap stand-in, so a missing
  // model file (which `train` is about to write) cannot stop it.
  const runtime = await openRuntime(loaded, { classifier: createKeywordClassifier(loaded.config.classify.classes) });
  const progress = interactiveStderr();
  let done = 0;
  let cached = 0;
  try {
    const extracted = await mapLimit(docs, loaded.config.extract.ocr.workers, async (doc): Promise<ExtractedDocument> => {
      try {
        const r = await runtime.extractFile(doc.file);
        if (r.cached) cached += 1;
        return { doc, extraction: r.extraction, error: null };
      } catch (e) {
        const p = toPipelineError(e);
        return { doc, extraction: null, error: p instanceof DocumentError ? `${p.name} [${p.reasonCode}]` : p.name };
      } finally {
        done += 1;
        if (progress) process.stderr.write(`\r[${label}] extracting ${done}/${docs.length} (${cached} from cache)\x1b[K`);
      }
    });
    if (progress) process.stderr.write('\n');
    return { extracted, cached, seconds: (performance.now() - started) / 1000 };
  } finally {
    await runtime.close();
  }
};

export interface TrainOptions {
  readonly out: string;
  readonly folds: number;
  readonly seed: number;
}

export const commandTrain = async (dir: string, options: TrainOptions, globals: Globals): Promise<number> => {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    err(`docroute train: ${dir} is not a directory`);
    return EXIT.USAGE;
  }
  const folder = await readLabelledFolder(path.resolve(dir));
  for (const p of folder.problems.slice(0, 20)) err(`docroute train: ${p}`);
  const perClass = new Map<string, number>();
  for (const d of folder.documents) perClass.set(d.label, (perClass.get(d.label) ?? 0) + 1);
  if (perClass.size < 2) {
    err(
      `docroute train: ${dir} has ${folder.documents.length} labelled document(s) in ${perClass.size} class(es); training needs at least two classes. ` +
        'Lay it out as <class>/<files>, or put a labels.csv (file,label) at its root.',
    );
    return EXIT.USAGE;
  }
  const loaded = loadConfig({ file: globals.config, dataDir: globals.dataDir });
  if (!globals.json) {
    err(
      `docroute train: ${folder.documents.length} document(s) in ${perClass.size} classes (${folder.layout}); data in ${rel(loaded.config.dataDir)}`,
    );
  }
  const { extracted, cached, seconds: extractSeconds } = await extractLabelled(loaded, folder.documents, 'train');
  const usable = extracted.filter((e): e is ExtractedDocument & { extraction: Extraction } => e.extraction !== null);
  const failed = extracted.filter((e) => e.extraction === null);
  for (const f of failed.slice(0, 20)) err(`docroute train: skipped ${f.doc.name}: ${f.error ?? ''}`);
  const classes = new Set(usable.map((u) => u.doc.label));
  if (classes.size < 2) {
    err('docroute train: fewer than two classes are left after skipping unreadable documents');
    return EXIT.DOCUMENTS_FAILED;
  }

  const trainStarted = performance.now();
  const docs: Prepared[] = usable.map((u) => prepare(u.extraction));
  const labels = usable.map((u) => u.doc.label);
  const progress = interactiveStderr() && !globals.json;
  const result = trainModel(docs, labels, {
    calibrationFolds: options.folds,
    seed: options.seed,
    createdAt: new Date().toISOString(),
    onProgress: (done, total) => {
      if (progress) process.stderr.write(`\r[train] fitting ${done}/${total}\x1b[K${done === total ? '\n' : ''}`);
    },
  });
  const trainSeconds = (performance.now() - trainStarted) / 1000;
  const outFile = path.resolve(options.out);
  const model = await writeModelFile(outFile, result.model);
  const size = (await stat(outFile)).size;

  const oof = result.outOfFold
    ? classificationMetrics(
        usable.map((u, i) => ({
          name: u.doc.name,
          truth: u.doc.label,
          predicted: result.outOfFold?.predicted[i] ?? '',
          confidence: result.outOfFold?.confidence[i] ?? 0,
        })),
      )
    : null;
  const configured = new Set(loaded.config.classify.classes.map((c) => c.name));
  const notConfigured = model.classes.filter((c) => !configured.has(c));
  const summary = {
    model: outFile,
    version: model.version,
    bytes: size,
    classes: model.classes,
    documents: usable.length,
    skipped: failed.map((f) => ({ name: f.doc.name, error: f.error })),
    terms: model.text.terms.length,
    temperature: model.temperature,
    outOfFold: oof ? { folds: model.training.calibrationFolds, accuracy: oof.accuracy, macroF1: oof.macroF1, ece: oof.ece } : null,
    seconds: { extract: extractSeconds, train: trainSeconds },
    extractedFromCache: cached,
    classesMissingFromConfig: notConfigured,
  };
  if (globals.json) {
    out(JSON.stringify(summary, null, 2));
  } else {
    const pct = (x: number): string => `${(x * 100).toFixed(1)} %`;
    out(`Model: ${rel(outFile)} (version ${model.version}, ${(size / 1024).toFixed(0)} KiB)`);
    out(
      `  ${usable.length} documents, ${model.classes.length} classes, ${model.text.terms.length} terms, temperature ${model.temperature.toFixed(3)}`,
    );
    if (oof) {
      out(
        `  held-out estimate (${model.training.calibrationFolds}-fold): accuracy ${pct(oof.accuracy)}, macro-F1 ${pct(oof.macroF1)}, calibration error ${pct(oof.ece)}`,
      );
    }
    out(`  time: extraction ${extractSeconds.toFixed(1)} s (${cached} from cache), training ${trainSeconds.toFixed(1)} s`);
    if (failed.length) out(`  skipped ${failed.length} unreadable document(s)`);
    out(`Use it: set classify.classifier: local and classify.local.model: ${rel(outFile)}`);
    if (notConfigured.length) {
      out(`  note: classify.classes in ${loaded.source} lacks ${notConfigured.join(', ')}; add them before using the model`);
    }
  }
  return failed.length > 0 ? EXIT.DOCUMENTS_FAILED : EXIT.OK;
};

export const registerTrainCommand = (program: Command, deps: { globals: () => Globals; setCode: (code: number) => void }): void => {
  program
    .command('train')
    .description('train the local classifier from labelled documents (<class>/<files> or labels.csv)')
    .argument('<dir>', 'folder of labelled documents')
    .option('-o, --out <file>', 'model file to write', 'docroute.model.json')
    .addOption(new Option('--folds <k>', 'calibration folds (0: no calibration)').default(5).argParser(intAtLeast('--folds', 0)))
    .addOption(new Option('--seed <n>', 'seed of the folds').default(1).argParser(intAtLeast('--seed', 0)))
    .action(async (dir: string, o: TrainOptions) => {
      deps.setCode(await commandTrain(dir, o, deps.globals()));
    });
};
