import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createModelClassifier, modelVersionOf, readModelFile, writeModelFile } from '../../../../src/adapters/local/model-classifier.js';
import { LAYOUT_FEATURES } from '../../../../src/domain/classifier-model/layout-features.js';
import {
  DEFAULT_HYPERPARAMETERS,
  MODEL_FORMAT,
  prepare,
  quantise,
  trainModel,
  type ModelFile,
} from '../../../../src/domain/classifier-model/model.js';
import { DEFAULT_TEXT_FEATURES } from '../../../../src/domain/classifier-model/text-features.js';
import type { Extraction } from '../../../../src/domain/document.js';
import { ConfigError } from '../../../../src/domain/errors.js';

const TERMS = ['w:alpha', 'w:beta', 'w:gamma'];
const CLASSES = ['a', 'b', 'c'];
const DIMS = TERMS.length + LAYOUT_FEATURES.length;

/**
 * A hand-made model: class i has weight 2 on term i and nothing else (layout weight 0), so a
 * document whose only known term is "alpha" has logits [2, 0, 0].
 */
const handModel = (): Omit<ModelFile, 'version'> => {
  const w = new Float64Array(CLASSES.length * DIMS);
  CLASSES.forEach((_, c) => (w[c * DIMS + c] = 2));
  return {
    format: MODEL_FORMAT,
    createdAt: '2026-01-02T03:04:05.000Z',
    classes: CLASSES,
    text: { options: DEFAULT_TEXT_FEATURES, terms: TERMS, idf: [1, 1, 1] },
    layout: {
      names: LAYOUT_FEATURES,
      mean: LAYOUT_FEATURES.map(() => 0),
      std: LAYOUT_FEATURES.map(() => 1),
      weight: 0,
    },
    weights: quantise(w, CLASSES.length),
    bias: [0, 0, 0],
    temperature: 1,
    training: {
      documents: 3,
      perClass: { a: 1, b: 1, c: 1 },
      calibrationFolds: 0,
      hyperparameters: DEFAULT_HYPERPARAMETERS,
    },
  };
};

const extraction = (text: string, width = 595): Extraction => ({
  mediaType: 'application/pdf',
  pages: [{ page: 1, method: 'text-layer', text, confidence: 1, width, height: 842 }],
  text,
  confidence: 1,
  provenance: { engine: 'test' },
});

const withVersion = (model: Omit<ModelFile, 'version'>): ModelFile => ({ ...model, version: modelVersionOf(model) });

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'docroute-model-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('modelVersionOf', () => {
  it('is 16 hex characters, stable for the same content', () => {
    const v = modelVersionOf(handModel());
    expect(v).toMatch(/^[0-9a-f]{16}$/);
    expect(modelVersionOf(handModel())).toBe(v);
  });

  it('changes when any part of the content changes', () => {
    const m = handModel();
    const v = modelVersionOf(m);
    expect(modelVersionOf({ ...m, bias: [0, 0, 0.5] })).not.toBe(v);
    expect(modelVersionOf({ ...m, temperature: 1.5 })).not.toBe(v);
    expect(modelVersionOf({ ...m, text: { ...m.text, idf: [1, 1, 1.01] } })).not.toBe(v);
    expect(modelVersionOf({ ...m, createdAt: '2026-01-02T03:04:06.000Z' })).not.toBe(v);
  });
});

describe('writeModelFile / readModelFile', () => {
  it('writes the model with its version and reads it back equal', async () => {
    const file = path.join(dir, 'model.json');
    const written = await writeModelFile(file, handModel());
    expect(written.version).toBe(modelVersionOf(handModel()));
    expect(written).toEqual({ ...handModel(), version: written.version });
    const read = await readModelFile(file);
    expect(read).toEqual(written);
    expect(await readFile(file, 'utf8')).toMatch(/\}\n$/);
    // Atomic write: no temporary file is left beside it.
    expect(await readdir(dir)).toEqual(['model.json']);
  });

  it('replaces an existing file and the version follows the content', async () => {
    const file = path.join(dir, 'model.json');
    const first = await writeModelFile(file, handModel());
    const second = await writeModelFile(file, { ...handModel(), bias: [0.1, 0, 0] });
    expect(second.version).not.toBe(first.version);
    expect((await readModelFile(file)).version).toBe(second.version);
    expect(await readdir(dir)).toEqual(['model.json']);
  });

  it('round-trips a trained model', async () => {
    const texts: Record<string, string> = { apple: 'apple pear plum fruit orchard', stone: 'granite basalt quarry rock slate' };
    const extractions: Extraction[] = [];
    const labels: string[] = [];
    for (let i = 0; i < 6; i++) {
      for (const [label, text] of Object.entries(texts)) {
        extractions.push(extraction(`${text} item ${i}`, 590 + i * 3 + label.length));
        labels.push(label);
      }
    }
    const { model } = trainModel(
      extractions.map((e) => prepare(e)),
      labels,
      { createdAt: '2026-01-01T00:00:00.000Z', calibrationFolds: 3 },
    );
    const file = path.join(dir, 'trained.json');
    const written = await writeModelFile(file, model);
    const read = await readModelFile(file);
    expect(read).toEqual(written);
    const classifier = createModelClassifier(read, { topK: 2, classes: ['apple', 'stone', 'other'] });
    expect((await classifier.classify(extraction('apple pear orchard'))).documentClass).toBe('apple');
    expect((await classifier.classify(extraction('quarry granite slate'))).documentClass).toBe('stone');
  });

  it('refuses a hand-edited file (one idf changed) as changed after training', async () => {
    const file = path.join(dir, 'model.json');
    await writeModelFile(file, handModel());
    const raw = JSON.parse(await readFile(file, 'utf8')) as { text: { idf: number[] } };
    raw.text.idf[1] = 1.5;
    await writeFile(file, JSON.stringify(raw));
    const read = readModelFile(file);
    await expect(read).rejects.toBeInstanceOf(ConfigError);
    await expect(readModelFile(file)).rejects.toThrow(/changed after training/);
  });

  it('refuses a file whose version was edited', async () => {
    const file = path.join(dir, 'model.json');
    await writeModelFile(file, handModel());
    const raw = JSON.parse(await readFile(file, 'utf8')) as { version: string };
    raw.version = '0123456789abcdef';
    await writeFile(file, JSON.stringify(raw));
    await expect(readModelFile(file)).rejects.toThrow(/changed after training/);
  });

  it('refuses a file that is not JSON', async () => {
    const file = path.join(dir, 'model.json');
    await writeFile(file, '{"format": "docroute-classifier/1", ');
    await expect(readModelFile(file)).rejects.toBeInstanceOf(ConfigError);
    await expect(readModelFile(file)).rejects.toThrow(/not valid JSON/);
  });

  it('refuses a missing file as unreadable', async () => {
    const file = path.join(dir, 'absent.json');
    await expect(readModelFile(file)).rejects.toBeInstanceOf(ConfigError);
    await expect(readModelFile(file)).rejects.toThrow(/cannot be read/);
  });

  it('refuses a JSON file of another format, naming that format and the one it reads', async () => {
    const file = path.join(dir, 'model.json');
    await writeFile(file, JSON.stringify({ ...withVersion(handModel()), format: 'docroute-classifier/0' }));
    await expect(readModelFile(file)).rejects.toBeInstanceOf(ConfigError);
    await expect(readModelFile(file)).rejects.toThrow(`format "docroute-classifier/0"; this version reads "${MODEL_FORMAT}"`);
  });

  it('refuses JSON that is no model at all', async () => {
    const file = path.join(dir, 'model.json');
    for (const content of ['[1, 2, 3]', 'null', '{"hello": "world"}']) {
      await writeFile(file, content);
      await expect(readModelFile(file)).rejects.toThrow(/is not a docroute classifier model/);
    }
  });

  it('refuses a model whose sizes disagree (terms vs idf)', async () => {
    const file = path.join(dir, 'model.json');
    const m = handModel();
    await writeFile(file, JSON.stringify(withVersion({ ...m, text: { ...m.text, idf: [1, 1] } })));
    await expect(readModelFile(file)).rejects.toThrow(/inconsistent sizes/);
  });

  // writeModelFile must drop an existing version before hashing, or a model read and written again
  // would be refused as "changed after training".
  it('accepts a model it wrote from an already-versioned model (read, then written again)', async () => {
    const first = path.join(dir, 'first.json');
    const second = path.join(dir, 'second.json');
    await writeModelFile(first, handModel());
    const read: Omit<ModelFile, 'version'> = await readModelFile(first);
    await writeModelFile(second, read);
    expect(await readModelFile(second)).toEqual(await readModelFile(first));
  });
});

describe('createModelClassifier', () => {
  it('refuses a model whose classes are not all configured, listing them', () => {
    const model = withVersion(handModel());
    expect(() => createModelClassifier(model, { topK: 3, classes: ['a'], file: 'models/m.json' })).toThrow(ConfigError);
    expect(() => createModelClassifier(model, { topK: 3, classes: ['a'], file: 'models/m.json' })).toThrow(
      /models\/m\.json predicts class\(es\) not in classify\.classes: b, c;/,
    );
    expect(() => createModelClassifier(model, { topK: 3, classes: ['c', 'b', 'a', 'extra'] })).not.toThrow();
  });

  it('turns a model that cannot be loaded into a ConfigError', () => {
    const m = handModel();
    const names = [...m.layout.names];
    names[1] = 'renamed';
    const model = withVersion({ ...m, layout: { ...m.layout, names } });
    expect(() => createModelClassifier(model, { topK: 3, classes: CLASSES })).toThrow(ConfigError);
    expect(() => createModelClassifier(model, { topK: 3, classes: CLASSES, file: 'm.json' })).toThrow(/model m\.json cannot be used/);
  });

  it('classifies with calibrated scores, best first, at most topK alternatives', async () => {
    const model = withVersion(handModel());
    const classifier = createModelClassifier(model, { topK: 2, classes: CLASSES });
    expect(classifier.name).toBe('local-model');
    expect(classifier.needsText).toBe(false);
    const r = await classifier.classify(extraction('Alpha and more'));
    // logits [2, 0, 0]: p(a) = e² / (e² + 2), rounded down to 4 decimals.
    const pa = Math.exp(2) / (Math.exp(2) + 2);
    expect(r.documentClass).toBe('a');
    expect(r.confidence).toBe(Math.floor(pa * 1e4) / 1e4); // rounded down, never up to certainty
    expect(r.confidence).toBe(r.alternatives[0]?.score);
    expect(r.confidence).toBeGreaterThanOrEqual(0);
    expect(r.confidence).toBeLessThanOrEqual(1);
    expect(r.classifier).toBe('local-model');
    expect(r.model).toBe(model.version);
    // b and c tie; the tie is broken by name.
    expect(r.alternatives).toEqual([
      { documentClass: 'a', score: Math.floor(pa * 1e4) / 1e4 },
      { documentClass: 'b', score: Math.floor(((1 - pa) / 2) * 1e4) / 1e4 },
    ]);
    const g = await classifier.classify(extraction('gamma'));
    expect(g.documentClass).toBe('c');
    expect(g.alternatives.map((x) => x.documentClass)).toEqual(['c', 'a']);
  });

  it('lists every class when topK exceeds them, scores sorted and in [0, 1]', async () => {
    const classifier = createModelClassifier(withVersion(handModel()), { topK: 10, classes: CLASSES });
    const r = await classifier.classify(extraction('beta beta gamma'));
    expect(r.alternatives).toHaveLength(3);
    expect(r.documentClass).toBe(r.alternatives[0]?.documentClass);
    for (let i = 1; i < r.alternatives.length; i++) {
      expect(r.alternatives[i]!.score).toBeLessThanOrEqual(r.alternatives[i - 1]!.score);
    }
    expect(r.alternatives.every((x) => x.score >= 0 && x.score <= 1)).toBe(true);
    expect(r.alternatives.reduce((s, x) => s + x.score, 0)).toBeCloseTo(1, 3);
  });

  it('classifies a page without text (it does not need text)', async () => {
    const classifier = createModelClassifier(withVersion(handModel()), { topK: 3, classes: CLASSES });
    const r = await classifier.classify(extraction(''));
    expect(CLASSES).toContain(r.documentClass);
    expect(Number.isFinite(r.confidence)).toBe(true);
    // Equal logits: a third each.
    expect(r.confidence).toBeCloseTo(1 / 3, 4);
  });

  it('applies the temperature', async () => {
    const hot = createModelClassifier(withVersion({ ...handModel(), temperature: 2 }), { topK: 3, classes: CLASSES });
    const r = await hot.classify(extraction('alpha'));
    expect(r.confidence).toBeCloseTo(Math.exp(1) / (Math.exp(1) + 2), 4);
  });
});
