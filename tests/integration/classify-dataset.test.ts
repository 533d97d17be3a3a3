import { copyFileSync, existsSync, mkdirSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLabelledFolder } from '../../src/entrypoints/cli/labelled-classes.js';
import { extractLabelled } from '../../src/entrypoints/cli/train.js';
import { parseConfig } from '../../src/config/load.js';
import { classificationMetrics } from '../../src/domain/classification-metrics.js';
import { prepare, trainModel } from '../../src/domain/classifier-model/model.js';
import { tempDir } from '../helpers/docs.js';

/**
 * The local classifier on real scans: three RVL-CDIP classes, eight pages each, OCRed by the
 * configured engine, trained with 3 calibration folds. The held-out (out-of-fold) predictions must
 * be far above chance (1/3). The full 17-class figure comes from `docroute eval classify`
 * (README, Classification); this keeps a real-data check in CI at a cost of ~24 OCRed pages.
 */

const CLASSIFY = path.resolve(import.meta.dirname, '../../../shared/datasets/classify');
const present = existsSync(path.join(CLASSIFY, 'labels.csv'));
if (!present) console.warn(`skipping classify-dataset tests: ${CLASSIFY} is absent (the shared datasets are not in a fresh clone)`);

const CLASSES = ['email', 'resume', 'news_article'];
const PER_CLASS = 8;

describe.skipIf(!present)('local classifier on RVL-CDIP scans', () => {
  it('learns three classes from eight scans each, far above chance on held-out pages', async () => {
    const dir = tempDir('classify-ds');
    const labelled = path.join(dir, 'labelled');
    for (const cls of CLASSES) {
      mkdirSync(path.join(labelled, cls), { recursive: true });
      for (const f of readdirSync(path.join(CLASSIFY, cls)).sort().slice(0, PER_CLASS)) {
        copyFileSync(path.join(CLASSIFY, cls, f), path.join(labelled, cls, f));
      }
    }
    const folder = await readLabelledFolder(labelled);
    expect(folder.documents).toHaveLength(CLASSES.length * PER_CLASS);
    const loaded = parseConfig({ dataDir: path.join(dir, 'data') });
    const { extracted } = await extractLabelled(loaded, folder.documents, 'test');
    expect(extracted.every((e) => e.extraction !== null)).toBe(true);
    const docs = extracted.flatMap((e) => (e.extraction ? [prepare(e.extraction)] : []));
    const labels = extracted.map((e) => e.doc.label);
    const { model, outOfFold } = trainModel(docs, labels, { createdAt: '2026-01-01T00:00:00.000Z', calibrationFolds: 3 });
    expect(model.classes).toEqual([...CLASSES].sort());
    const metrics = classificationMetrics(
      labels.map((truth, i) => ({
        name: String(i),
        truth,
        predicted: outOfFold?.predicted[i] ?? '',
        confidence: outOfFold?.confidence[i] ?? 0,
      })),
    );
    expect(metrics.accuracy).toBeGreaterThanOrEqual(0.75);
    // Calibrated confidences are not wildly off on held-out pages.
    expect(metrics.ece).toBeLessThan(0.25);
  }, 300_000);
});
