import { writeFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InvalidArgumentError, Option, type Command } from 'commander';
import { createKeywordClassifier } from '../../domain/keyword-classifier.js';
import { createModelClassifier, readModelFile } from '../../adapters/local/model-classifier.js';
import { interactiveStderr } from '../../config/env.js';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { classificationMetrics, suggestThresholds, type Prediction } from '../../domain/classification-metrics.js';
import { loadModel, prepare, shuffledByClass, stratifiedFolds, trainModel, type ModelFile } from '../../domain/classifier-model/model.js';
import { trainPaperlessReference } from '../../domain/classifier-model/reference-mlp.js';
import type { Extraction } from '../../domain/document.js';
import { toPipelineError } from '../../domain/errors.js';
import { hasText } from '../../domain/extract.js';
import { withRetry } from '../../domain/retry.js';
import { UNCLASSIFIED, type Classifier } from '../../ports/classifier.js';
import { createClassifier } from '../classifiers.js';
import { formatClassifyReport, renderClassifyHtml, type ClassifierRun, type ClassifyEvalReport } from './classify-report.js';
import { intAtLeast } from './args.js';
import { EXIT } from './exit-codes.js';
import { rel } from './format.js';
import { readLabelledFolder } from './labelled-classes.js';
import { extractLabelled, type ExtractedDocument, type Globals } from './train.js';
import { err } from './io.js';

/**
 * `docroute eval classify <dir>`: scores classifiers side by side on labelled documents, on the
 * same documents and the same folds: the zero-shot rules, the trained local model (k-fold
 * cross-validation or a held-out split, never scored on what it trained on), the Paperless-ngx-style
 * reference, and the LLM classifiers (with their token cost). Extraction goes through the
 * pipeline's checkpoints, so a second evaluation does not OCR again.
 */

export const EVAL_CLASSIFIERS = ['rules', 'local', 'reference', 'bedrock', 'openai-compatible'] as const;
export type EvalClassifier = (typeof EVAL_CLASSIFIERS)[number];

export interface EvalClassifyOptions {
  readonly classifier: EvalClassifier[];
  readonly folds: number;
  readonly split?: number;
  readonly model?: string;
  readonly seed: number;
  readonly limit?: number;
  readonly targetPrecision: number;
  readonly report?: string;
}

type Doc = ExtractedDocument & { extraction: Extraction };

/** Stratified train/test assignment: per class, a seeded shuffle, the first `share` to train. */
export const stratifiedSplit = (labels: readonly string[], share: number, seed: number): boolean[] => {
  const train = new Array<boolean>(labels.length).fill(false);
  for (const [, idx] of shuffledByClass(labels, seed)) {
    const n = Math.min(idx.length - 1, Math.max(1, Math.round(idx.length * share)));
    idx.slice(0, n).forEach((i) => (train[i] = true));
  }
  return train;
};

/** Up to `limit` documents, taken evenly across classes (seeded), so a quick run still has every class. */
const limitStratified = <T extends { doc: { label: string } }>(docs: readonly T[], limit: number, seed: number): T[] => {
  const folds = stratifiedFolds(
    docs.map((d) => d.doc.label),
    Math.max(1, Math.ceil(docs.length / limit)),
    seed,
  );
  return docs.filter((_, i) => folds[i] === 0).slice(0, limit);
};

const best = (p: ArrayLike<number>): number => {
  let b = 0;
  for (let i = 1; i < p.length; i++) if ((p[i] ?? 0) > (p[b] ?? 0)) b = i;
  return b;
};

interface Plan {
  /** Indices of documents scored, and for each the training indices of its model. */
  readonly groups: readonly { readonly train: readonly number[]; readonly test: readonly number[] }[];
  readonly protocol: ClassifyEvalReport['protocol'];
}

const planOf = (labels: readonly string[], o: EvalClassifyOptions): Plan => {
  const all = labels.map((_, i) => i);
  if (o.model) return { groups: [{ train: [], test: all }], protocol: { kind: 'all' } };
  if (o.split !== undefined) {
    const train = stratifiedSplit(labels, o.split, o.seed);
    const tr = all.filter((i) => train[i]);
    const te = all.filter((i) => !train[i]);
    return { groups: [{ train: tr, test: te }], protocol: { kind: 'split', train: tr.length, test: te.length, seed: o.seed } };
  }
  const folds = stratifiedFolds(labels, o.folds, o.seed);
  return {
    groups: Array.from({ length: o.folds }, (_, f) => ({
      train: all.filter((i) => folds[i] !== f),
      test: all.filter((i) => folds[i] === f),
    })),
    protocol: { kind: 'cv', folds: o.folds, seed: o.seed },
  };
};

const runOf = (
  classifier: string,
  predictions: Prediction[],
  errors: { name: string; error: string }[],
  seconds: ClassifierRun['seconds'],
  o: EvalClassifyOptions,
  extra: Partial<ClassifierRun> = {},
): ClassifierRun => ({
  classifier,
  metrics: classificationMetrics(predictions),
  predictions,
  errors,
  seconds,
  thresholds: suggestThresholds(predictions, { targetPrecision: o.targetPrecision }),
  ...extra,
});

/** A zero-shot or LLM classifier over the documents to score (retrying as the state machine would). */
const scoreFixed = async (
  name: string,
  classifier: Classifier,
  docs: readonly Doc[],
  test: readonly number[],
  loaded: LoadedConfig,
  o: EvalClassifyOptions,
  extra: { modelId?: string } = {},
): Promise<ClassifierRun> => {
  const started = performance.now();
  const retry = loaded.config.engine.retry;
  const predictions: Prediction[] = [];
  const errors: { name: string; error: string }[] = [];
  let inputTokens = 0;
  let outputTokens = 0;
  let metered = 0;
  const progress = interactiveStderr();
  let done = 0;
  for (const i of test) {
    const d = docs[i] as Doc;
    let predicted = UNCLASSIFIED;
    let confidence = 0;
    // As in the pipeline: a text-only classifier is not called for a page without text.
    if (!classifier.needsText || hasText(d.extraction)) {
      try {
        const c = await withRetry(() => classifier.classify(d.extraction), {
          maxAttempts: retry.maxAttempts + 1,
          intervalMs: retry.intervalSeconds * 1000,
          backoffRate: retry.backoffRate,
          maxDelayMs: retry.maxDelaySeconds * 1000,
          sleep: (ms) => sleep(ms),
          random: Math.random,
        });
        predicted = c.documentClass;
        confidence = c.confidence;
        if (c.usage) {
          inputTokens += c.usage.inputTokens;
          outputTokens += c.usage.outputTokens;
          metered += 1;
        }
      } catch (e) {
        errors.push({ name: d.doc.name, error: toPipelineError(e).name });
      }
    }
    predictions.push({ name: d.doc.name, truth: d.doc.label, predicted, confidence });
    done += 1;
    if (progress && classifier.needsText && name !== 'rules') process.stderr.write(`\r[eval] ${name} ${done}/${test.length}\x1b[K`);
  }
  if (progress && name !== 'rules') process.stderr.write('\n');
  const seconds = { classify: (performance.now() - started) / 1000 };
  const price = extra.modelId ? loaded.config.classify.prices[extra.modelId] : undefined;
  const cost =
    extra.modelId !== undefined
      ? {
          inputTokens,
          outputTokens,
          documents: metered,
          usdPer1000:
            price && metered > 0
              ? ((inputTokens * price.inputPerMillion + outputTokens * price.outputPerMillion) / 1e6 / metered) * 1000
              : null,
        }
      : undefined;
  return runOf(name, predictions, errors, seconds, o, {
    ...(extra.modelId ? { model: extra.modelId } : {}),
    ...(cost ? { cost } : {}),
  });
};

const scoreLocal = (docs: readonly Doc[], plan: Plan, o: EvalClassifyOptions): ClassifierRun => {
  const prepared = docs.map((d) => prepare(d.extraction));
  const labels = docs.map((d) => d.doc.label);
  const predictions: Prediction[] = [];
  let train = 0;
  let classify = 0;
  const progress = interactiveStderr();
  plan.groups.forEach((g, n) => {
    const t0 = performance.now();
    const { model } = trainModel(
      g.train.map((i) => prepared[i] as (typeof prepared)[number]),
      g.train.map((i) => labels[i] ?? ''),
      { createdAt: new Date().toISOString(), seed: o.seed },
    );
    const loaded = loadModel({ ...model, version: 'eval' });
    const t1 = performance.now();
    for (const i of g.test) {
      const p = loaded.probabilitiesOf(prepared[i] as (typeof prepared)[number]);
      const b = best(p);
      predictions.push({
        name: (docs[i] as Doc).doc.name,
        truth: labels[i] ?? '',
        predicted: model.classes[b] ?? '',
        confidence: p[b] ?? 0,
      });
    }
    train += (t1 - t0) / 1000;
    classify += (performance.now() - t1) / 1000;
    if (progress)
      process.stderr.write(`\r[eval] local model: ${n + 1}/${plan.groups.length} trained\x1b[K${n + 1 === plan.groups.length ? '\n' : ''}`);
  });
  return runOf('local', predictions, [], { train, classify }, o);
};

const scoreReference = (docs: readonly Doc[], plan: Plan, o: EvalClassifyOptions): ClassifierRun => {
  const predictions: Prediction[] = [];
  let train = 0;
  let classify = 0;
  for (const g of plan.groups) {
    const t0 = performance.now();
    const predict = trainPaperlessReference(
      g.train.map((i) => ({ text: (docs[i] as Doc).extraction.text, label: (docs[i] as Doc).doc.label })),
      { seed: o.seed },
    );
    const t1 = performance.now();
    for (const i of g.test) {
      const d = docs[i] as Doc;
      const p = predict(d.extraction.text);
      predictions.push({ name: d.doc.name, truth: d.doc.label, predicted: p.documentClass, confidence: p.confidence });
    }
    train += (t1 - t0) / 1000;
    classify += (performance.now() - t1) / 1000;
  }
  return runOf('paperless-reference', predictions, [], { train, classify }, o);
};

const scoreModelFile = async (
  file: string,
  docs: readonly Doc[],
  test: readonly number[],
  loaded: LoadedConfig,
  o: EvalClassifyOptions,
) => {
  const model: ModelFile = await readModelFile(path.resolve(file));
  const classifier = createModelClassifier(model, { topK: loaded.config.classify.topK, classes: model.classes });
  const run = await scoreFixed('local', classifier, docs, test, loaded, o);
  return { ...run, model: model.version };
};

export const commandEvalClassify = async (dir: string, o: EvalClassifyOptions, globals: Globals): Promise<number> => {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    err(`docroute eval classify: ${dir} is not a directory`);
    return EXIT.USAGE;
  }
  if (o.model && o.classifier.includes('reference')) {
    err('docroute eval classify: --model scores a trained model on every document; the reference must be trained, so leave it out');
    return EXIT.USAGE;
  }
  const folder = await readLabelledFolder(path.resolve(dir));
  for (const p of folder.problems.slice(0, 20)) err(`docroute eval classify: ${p}`);
  if (new Set(folder.documents.map((d) => d.label)).size < 2) {
    err(`docroute eval classify: ${dir} needs labelled documents of at least two classes (<class>/<files> or labels.csv)`);
    return EXIT.USAGE;
  }
  const loaded = loadConfig({ file: globals.config, dataDir: globals.dataDir });
  const { extracted, cached, seconds: extractSeconds } = await extractLabelled(loaded, folder.documents, 'eval');
  const unreadable = extracted.filter((e) => e.extraction === null);
  for (const u of unreadable.slice(0, 20)) err(`docroute eval classify: skipped ${u.doc.name}: ${u.error ?? ''}`);
  let docs = extracted.filter((e): e is Doc => e.extraction !== null);
  if (o.limit !== undefined) docs = limitStratified(docs, o.limit, o.seed);
  const labels = docs.map((d) => d.doc.label);
  const classes = [...new Set(labels)].sort();
  const smallest = Math.min(...classes.map((c) => labels.filter((l) => l === c).length));
  if (!o.model && o.split === undefined && (o.classifier.includes('local') || o.classifier.includes('reference')) && smallest < o.folds) {
    err(`docroute eval classify: a class has only ${smallest} document(s), fewer than --folds ${o.folds}`);
    return EXIT.USAGE;
  }
  const configured = new Set(loaded.config.classify.classes.map((c) => c.name));
  const unknownToConfig = classes.filter((c) => !configured.has(c));
  if (unknownToConfig.length && o.classifier.some((c) => c === 'rules' || c === 'bedrock' || c === 'openai-compatible')) {
    err(
      `docroute eval classify: classify.classes in ${loaded.source} lacks ${unknownToConfig.join(', ')}: the rules and LLM classifiers cannot predict them` +
        ' (see examples/classify/rvl-classes.yaml)',
    );
  }
  const plan = planOf(labels, o);
  const test = plan.groups.flatMap((g) => g.test);
  if (!globals.json)
    err(`docroute eval classify: ${docs.length} document(s), ${classes.length} classes, classifiers ${o.classifier.join(', ')}`);

  const runs: ClassifierRun[] = [];
  for (const name of o.classifier) {
    if (name === 'local') runs.push(o.model ? await scoreModelFile(o.model, docs, test, loaded, o) : scoreLocal(docs, plan, o));
    else if (name === 'reference') runs.push(scoreReference(docs, plan, o));
    else if (name === 'rules')
      runs.push(
        await scoreFixed(
          'rules',
          createKeywordClassifier(loaded.config.classify.classes, { topK: loaded.config.classify.topK }),
          docs,
          test,
          loaded,
          o,
        ),
      );
    else {
      const chosen = await createClassifier(loaded, name);
      runs.push(await scoreFixed(name, chosen.classifier, docs, test, loaded, o, chosen.modelId ? { modelId: chosen.modelId } : {}));
    }
  }
  const report: ClassifyEvalReport = {
    dir,
    documents: docs.length,
    classes,
    protocol: plan.protocol,
    generatedAt: new Date().toISOString(),
    configVersion: loaded.version,
    runs,
  };
  const reportFile = o.report ? path.resolve(o.report) : null;
  if (reportFile) await writeFile(reportFile, renderClassifyHtml(report));
  if (globals.json)
    process.stdout.write(
      `${JSON.stringify(
        {
          ...report,
          report: reportFile,
          extraction: { cached, seconds: extractSeconds },
          unreadable: unreadable.map((u) => ({ name: u.doc.name, error: u.error })),
        },
        null,
        2,
      )}\n`,
    );
  else process.stdout.write(`${formatClassifyReport(report, reportFile ? rel(reportFile) : null)}\n`);
  // Provider failures make the comparison untrustworthy, as a failed document does for `run`.
  return runs.some((r) => r.errors.length > 0) ? EXIT.DOCUMENTS_FAILED : EXIT.OK;
};

const list = (v: string): EvalClassifier[] => {
  const names = v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const n of names) {
    if (!(EVAL_CLASSIFIERS as readonly string[]).includes(n))
      throw new InvalidArgumentError(`unknown classifier "${n}"; expected ${EVAL_CLASSIFIERS.join(', ')}`);
  }
  if (names.length === 0) throw new InvalidArgumentError('name at least one classifier');
  return [...new Set(names)] as EvalClassifier[];
};
const share = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('--split is the training share, between 0 and 1 (e.g. 0.8)');
  return n;
};
const precision = (v: string): number => {
  const n = Number(v);
  if (!(n > 0 && n <= 1)) throw new InvalidArgumentError('--target-precision must be in (0, 1]');
  return n;
};

export const registerEvalClassifyCommand = (
  evalCommand: Command,
  deps: { globals: () => Globals; setCode: (code: number) => void },
): void => {
  evalCommand
    .command('classify')
    .description('score classifiers side by side on labelled documents (<class>/<files> or labels.csv)')
    .argument('<dir>', 'folder of labelled documents')
    .addOption(
      new Option('--classifier <list>', `comma-separated: ${EVAL_CLASSIFIERS.join(', ')}`)
        .default(['rules', 'local', 'reference'])
        .argParser(list),
    )
    .addOption(
      new Option('--folds <k>', 'k-fold cross-validation for the trained classifiers').default(5).argParser(intAtLeast('--folds', 2)),
    )
    .addOption(new Option('--split <share>', 'instead of folds: train on this share (stratified), score the rest').argParser(share))
    .option('--model <file>', 'score this trained model file as "local" on every document (no training)')
    .addOption(new Option('--seed <n>', 'seed of folds and splits').default(1).argParser(intAtLeast('--seed', 0)))
    .addOption(new Option('--limit <n>', 'at most this many documents, spread evenly over the classes').argParser(intAtLeast('--limit', 2)))
    .addOption(
      new Option('--target-precision <p>', 'suggest per-class review thresholds that reach this precision')
        .default(0.9)
        .argParser(precision),
    )
    .option('--report <file.html>', 'also write a self-contained HTML report with confusion heat maps')
    .action(async (dir: string, o: EvalClassifyOptions) => {
      deps.setCode(await commandEvalClassify(dir, o, deps.globals()));
    });
};
