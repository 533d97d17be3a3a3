import { createHash, randomBytes } from 'node:crypto';
import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { loadModel, MODEL_FORMAT, type ModelFile } from '../../domain/classifier-model/model.js';
import type { Classification, Extraction } from '../../domain/document.js';
import { ConfigError } from '../../domain/errors.js';
import type { Classifier } from '../../ports/classifier.js';

/**
 * The trained local classifier, read from the JSON model file `docroute train` writes. The file is
 * checked when it is loaded, so a corrupt or foreign file fails the run at start with a ConfigError
 * rather than mid-batch.
 */

const ModelFileSchema = z
  .object({
    format: z.literal(MODEL_FORMAT),
    version: z.string().regex(/^[0-9a-f]{16}$/),
    createdAt: z.string(),
    classes: z.array(z.string().min(1)).min(2),
    text: z.object({
      options: z.object({ charMin: z.number().int().min(1), charMax: z.number().int().min(1), maxTokens: z.number().int().min(1) }),
      terms: z.array(z.string()),
      idf: z.array(z.number()),
    }),
    layout: z.object({ names: z.array(z.string()), mean: z.array(z.number()), std: z.array(z.number()), weight: z.number() }),
    weights: z.object({ encoding: z.literal('int8-row-scaled'), scales: z.array(z.number()), data: z.string() }),
    bias: z.array(z.number()),
    temperature: z.number().positive(),
    training: z.object({
      documents: z.number().int(),
      perClass: z.record(z.string(), z.number().int()),
      calibrationFolds: z.number().int(),
      hyperparameters: z.object({
        l2: z.number(),
        maxIterations: z.number().int(),
        minDf: z.number().int(),
        maxTerms: z.number().int(),
        layoutWeight: z.number(),
      }),
    }),
  })
  .refine(
    (m) =>
      m.text.terms.length === m.text.idf.length &&
      m.bias.length === m.classes.length &&
      m.weights.scales.length === m.classes.length &&
      m.layout.mean.length === m.layout.names.length &&
      m.layout.std.length === m.layout.names.length,
    'inconsistent sizes',
  );

/** The content hash a model file carries as its version (over everything but the version). */
export const modelVersionOf = (model: Omit<ModelFile, 'version'>): string => {
  // A full ModelFile is assignable here too: its old version must not become part of the hash.
  const { version: _old, ...content } = model as Omit<ModelFile, 'version'> & { version?: string };
  return createHash('sha256').update(JSON.stringify(content)).digest('hex').slice(0, 16);
};

/** Writes a model atomically (temp file + rename) and returns it with its version. */
export const writeModelFile = async (file: string, model: Omit<ModelFile, 'version'>): Promise<ModelFile> => {
  const { version: _old, ...content } = model as Omit<ModelFile, 'version'> & { version?: string };
  const withVersion: ModelFile = { ...content, version: modelVersionOf(content) };
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, `${JSON.stringify(withVersion)}\n`, { flag: 'wx' });
    await rename(tmp, file);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
  return withVersion;
};

export const readModelFile = async (file: string): Promise<ModelFile> => {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    const why = err instanceof SyntaxError ? 'is not valid JSON' : 'cannot be read';
    throw new ConfigError(`model file ${file} ${why}; train one with \`docroute train <dir> --out ${file}\``);
  }
  const parsed = ModelFileSchema.safeParse(raw);
  if (!parsed.success) {
    const format = (raw as { format?: unknown } | null)?.format;
    const hint = typeof format === 'string' && format !== MODEL_FORMAT ? ` (format "${format}"; this version reads "${MODEL_FORMAT}")` : '';
    throw new ConfigError(`model file ${file} is not a docroute classifier model${hint}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  // The version names the content: a hand-edited file would classify differently under the same name.
  const { version, ...content } = raw as Record<string, unknown>;
  if (modelVersionOf(content as unknown as Omit<ModelFile, 'version'>) !== version) {
    throw new ConfigError(
      `model file ${file} was changed after training (its content no longer matches version ${String(version)}); retrain it`,
    );
  }
  return parsed.data;
};

export interface ModelClassifierOptions {
  readonly topK: number;
  /** The configured class list; every class of the model must be in it. */
  readonly classes: readonly string[];
  readonly file?: string;
}

/** A Classifier over a loaded model. It reads layout too, so it classifies text-less pages. */
export const createModelClassifier = (model: ModelFile, options: ModelClassifierOptions): Classifier => {
  const unknown = model.classes.filter((c) => !options.classes.includes(c));
  if (unknown.length > 0) {
    throw new ConfigError(
      `the model${options.file ? ` ${options.file}` : ''} predicts class(es) not in classify.classes: ${unknown.join(', ')}; ` +
        'add them to classify.classes (with a description) or retrain without them',
    );
  }
  let loaded;
  try {
    loaded = loadModel(model);
  } catch (err) {
    throw new ConfigError(
      `model${options.file ? ` ${options.file}` : ''} cannot be used: ${err instanceof Error ? err.message : 'invalid'}`,
    );
  }
  return {
    name: 'local-model',
    needsText: false,
    classify: (extraction: Extraction): Promise<Classification> => {
      const p = loaded.probabilities(extraction);
      const ranked = model.classes
        // Rounded down and capped: a statistical model is never certain, even when float64 says 1.
        .map((documentClass, i) => ({ documentClass, score: Math.min(0.9999, Math.floor((p[i] ?? 0) * 1e4) / 1e4) }))
        .sort((a, b) => b.score - a.score || a.documentClass.localeCompare(b.documentClass));
      const best = ranked[0] ?? { documentClass: 'unclassified', score: 0 };
      return Promise.resolve({
        documentClass: best.documentClass,
        confidence: best.score,
        classifier: 'local-model',
        alternatives: ranked.slice(0, options.topK),
        model: model.version,
      });
    },
  };
};
