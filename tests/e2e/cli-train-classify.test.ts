import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { tempDir, textPdf } from '../helpers/docs.js';

/**
 * The local classifier end to end through the built CLI: `train` on a labelled folder, the
 * pipeline classifying with the model it wrote, a per-class review threshold holding a confident
 * document with a reason that names the classifier, the confidence and the threshold, and
 * `eval classify` comparing classifiers side by side without extracting twice.
 */

const VOCAB: Record<string, readonly string[]> = {
  invoice: ['invoice', 'amount due', 'remit to', 'bill to', 'net 30', 'unit price', 'quantity', 'subtotal', 'tax'],
  letter: ['dear', 'sincerely', 'yours faithfully', 'regards', 'thank you for your letter', 'enclosed', 'kind regards'],
  memo: ['memorandum', 'to all staff', 'from', 'subject', 'cc', 'internal', 'please note', 'distribution'],
};
const FILLER = ['the', 'company', 'office', 'meeting', 'report', 'review', 'project', 'schedule', 'budget', 'plan'];

/** A deterministic pseudo-random document of a class: its own phrases among shared filler. */
const documentLines = (cls: string, n: number): string[] => {
  let seed = n * 7919 + cls.length * 104729;
  const rnd = (): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const own = VOCAB[cls] ?? [];
  return Array.from({ length: 12 }, (_, i) => {
    const words = Array.from({ length: 6 }, () =>
      rnd() < 0.45 ? own[Math.floor(rnd() * own.length)] : FILLER[Math.floor(rnd() * FILLER.length)],
    );
    return `${i === 0 ? cls.toUpperCase() : ''} ${words.join(' ')} ${n}`.trim();
  });
};

const CONFIG = (model: string | null, thresholds: Record<string, number> = {}): string =>
  [
    'classify:',
    ...(model ? ['  classifier: local', '  local:', `    model: ${model}`] : []),
    `  thresholds: ${JSON.stringify(thresholds)}`,
    '  classes:',
    '    - { name: invoice, description: "A supplier invoice.", keywords: [invoice, amount due, bill to] }',
    '    - { name: letter, description: "Correspondence to a person.", keywords: [dear, sincerely, regards] }',
    '    - { name: memo, description: "An internal memorandum.", keywords: [memorandum, subject, to all staff] }',
    'rules: []',
    '',
  ].join('\n');

describe('train, classify with the model, eval classify', () => {
  const work = tempDir('train');
  const labelled = path.join(work, 'labelled');
  const inbox = path.join(work, 'inbox');
  const data = path.join(work, 'data');
  const model = path.join(work, 'model.json');
  let train: ReturnType<typeof cli>;

  beforeAll(async () => {
    assertBuilt();
    for (const cls of Object.keys(VOCAB)) {
      mkdirSync(path.join(labelled, cls), { recursive: true });
      for (let n = 0; n < 9; n++) writeFileSync(path.join(labelled, cls, `${cls}-${n}.pdf`), await textPdf(documentLines(cls, n)));
    }
    mkdirSync(inbox, { recursive: true });
    writeFileSync(path.join(inbox, 'new-invoice.pdf'), await textPdf(documentLines('invoice', 101)));
    writeFileSync(path.join(inbox, 'new-memo.pdf'), await textPdf(documentLines('memo', 102)));
    writeFileSync(path.join(work, 'base.yaml'), CONFIG(null));
    train = cli(
      ['train', labelled, '--out', model, '--folds', '3', '--config', path.join(work, 'base.yaml'), '--data-dir', data, '--json'],
      {
        cwd: work,
      },
    );
  }, 180_000);

  it('trains a model file from <class>/<files> and reports a held-out estimate', () => {
    expect(train.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(train.code).toBe(EXIT.OK);
    const summary = JSON.parse(train.stdout) as {
      documents: number;
      classes: string[];
      version: string;
      outOfFold: { folds: number; accuracy: number } | null;
      classesMissingFromConfig: string[];
    };
    expect(summary.documents).toBe(27);
    expect(summary.classes).toEqual(['invoice', 'letter', 'memo']);
    expect(summary.outOfFold?.folds).toBe(3);
    expect(summary.outOfFold?.accuracy).toBeGreaterThan(0.8);
    expect(summary.classesMissingFromConfig).toEqual([]);
    const file = JSON.parse(readFileSync(model, 'utf8')) as { format: string; version: string; classes: string[] };
    expect(file.format).toBe('docroute-classifier/1');
    expect(file.version).toBe(summary.version);
  });

  it('routes with the model, and a per-class threshold holds a confident document with a reason naming classifier, confidence and threshold', () => {
    const cfg = path.join(work, 'local.yaml');
    // The synthetic classes are easy (confidence ≈ 0.9999): only a threshold of 1 holds one for certain.
    writeFileSync(cfg, CONFIG(model, { memo: 1 }));
    const run = cli(['run', inbox, '--config', cfg, '--data-dir', data], { cwd: work });
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(run.code).toBe(EXIT.OK);
    const invoice = JSON.parse(cli(['status', path.join(inbox, 'new-invoice.pdf'), '--data-dir', data, '--json']).stdout) as {
      outcome: string;
      documentClass: string;
    };
    expect(invoice).toMatchObject({ outcome: 'pass', documentClass: 'invoice' });
    // The decision record names the classifier with its model version, and the ruleset version.
    const passed = readdirSync(path.join(data, 'pass')).filter((f) => f.endsWith('.json'));
    expect(passed).toHaveLength(1);
    const decision = JSON.parse(readFileSync(path.join(data, 'pass', passed[0] ?? ''), 'utf8')) as {
      classifier: string;
      rulesetVersion: string;
    };
    const modelVersion = (JSON.parse(readFileSync(model, 'utf8')) as { version: string }).version;
    expect(decision.classifier).toBe(`local-model (${modelVersion})`);
    expect(decision.rulesetVersion).toMatch(/^[0-9a-f]{16}$/);
    const memo = cli(['status', path.join(inbox, 'new-memo.pdf'), '--data-dir', data]);
    expect(memo.stdout).toMatch(/Route\s+HOLD/);
    expect(memo.stdout).toMatch(/LOW_CONFIDENCE: Classified as memo by local-model with confidence [01]\.\d\d, below the threshold 1\.00/);
    const trace = cli(['trace', path.join(inbox, 'new-memo.pdf'), '--data-dir', data]).stdout;
    const version = (JSON.parse(readFileSync(model, 'utf8')) as { version: string }).version;
    expect(trace).toContain(`local-model (${version}): memo`);
  });

  it('config check loads the model named in config, and names a missing one', () => {
    const cfg = path.join(work, 'check.yaml');
    writeFileSync(cfg, CONFIG(model));
    const ok = cli(['config', 'check', '--config', cfg, '--json'], { cwd: work });
    expect(ok.code).toBe(EXIT.OK);
    const version = (JSON.parse(readFileSync(model, 'utf8')) as { version: string }).version;
    expect(JSON.parse(ok.stdout)).toMatchObject({ classifier: { name: 'local-model', version } });
    writeFileSync(cfg, CONFIG(path.join(work, 'no-such-model.json')));
    const missing = cli(['config', 'check', '--config', cfg], { cwd: work });
    expect(missing.code).toBe(EXIT.USAGE);
    expect(missing.stderr).toContain('no-such-model.json');
    expect(missing.stderr).toContain('docroute train');
  });

  it('refuses to start with a model file that was edited after training', () => {
    const edited = path.join(work, 'edited.json');
    const json = JSON.parse(readFileSync(model, 'utf8')) as { temperature: number };
    writeFileSync(edited, JSON.stringify({ ...json, temperature: json.temperature * 2 }));
    const cfg = path.join(work, 'edited.yaml');
    writeFileSync(cfg, CONFIG(edited));
    const run = cli(['run', inbox, '--config', cfg, '--data-dir', path.join(work, 'data-edited')], { cwd: work });
    expect(run.code).toBe(EXIT.USAGE);
    expect(run.stderr).toContain('changed after training');
    expect(run.stderr).not.toMatch(/at .*\.js:\d+/);
  });

  it('compares rules, local and the reference side by side, with an HTML heat map, extracting only once', () => {
    const report = path.join(work, 'eval.html');
    const args = ['eval', 'classify', labelled, '--folds', '3', '--config', path.join(work, 'base.yaml'), '--data-dir', data, '--json'];
    const r = cli([...args, '--report', report], { cwd: work });
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(EXIT.OK);
    const json = JSON.parse(r.stdout) as {
      documents: number;
      protocol: { kind: string; folds: number };
      runs: { classifier: string; metrics: { accuracy: number; macroF1: number; confusion: number[][] } }[];
      extraction: { cached: number };
    };
    expect(json.documents).toBe(27);
    expect(json.protocol).toMatchObject({ kind: 'cv', folds: 3 });
    expect(json.runs.map((x) => x.classifier)).toEqual(['rules', 'local', 'paperless-reference']);
    const local = json.runs[1];
    expect(local?.metrics.macroF1).toBeGreaterThan(0.8);
    expect(local?.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(27);
    // `train` extracted these documents already: nothing is read again.
    expect(json.extraction.cached).toBe(27);
    expect(existsSync(report)).toBe(true);
    const html = readFileSync(report, 'utf8');
    expect(html.match(/<svg/g)?.length).toBe(6);
    const text = cli(
      args.filter((a) => a !== '--json'),
      { cwd: work },
    );
    expect(text.stdout).toMatch(/local\s+\d+\.\d%\s+\d+\.\d%/);
  });

  it('explains a folder without labels', () => {
    const empty = path.join(work, 'empty');
    mkdirSync(empty);
    const r = cli(['train', empty, '--data-dir', data], { cwd: work });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('at least two classes');
  });
});
