import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_CLASSES, DEFAULT_FIELDS, DEFAULT_RULES } from '../../../src/config/defaults.js';
import { CONFIG_FILE_NAME, loadConfig, parseConfig } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';

const dirs: string[] = [];
const tempDir = (): string => {
  const dir = mkdtempSync(path.join(tmpdir(), 'docroute-config-'));
  dirs.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** The ConfigError `fn` throws; fails the test when it throws nothing or something else. */
const configError = (fn: () => unknown): ConfigError => {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

const expectOneParagraph = (err: ConfigError): void => {
  expect(err.message).not.toMatch(/[\r\n]/);
  expect(err.message).not.toMatch(/\bat .*\.(?:ts|js):\d+/);
};

const customRule = (id: string, extra: Record<string, unknown> = {}) => ({
  id,
  conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'missing', value: true }] },
  outcome: 'hold',
  reasonCode: 'FIELD_MISSING',
  message: 'missing',
  ...extra,
});

describe('parseConfig', () => {
  it('fills in every default from an empty object', () => {
    const { config, source } = parseConfig({});
    expect(source).toBe('built-in defaults');
    expect(config.engine.maxConcurrency).toBe(2);
    expect(config.engine.retry).toEqual({ intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 30 });
    expect(config.extract).toEqual({
      minTextChars: 20,
      ocr: { engine: 'auto', workers: 2, lang: 'eng', dpi: 300, timeoutMs: 120_000 },
      image: { maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false },
      rateLimit: { pagesPerSecond: 20, burst: 20, maxWaitMs: 30_000 },
    });
    expect(config.limits).toEqual({ maxFileBytes: 50 * 1024 * 1024, maxPages: 200 });
    expect(config.classify).toEqual({
      classifier: 'rules',
      minConfidence: 0.5,
      thresholds: {},
      topK: 3,
      prices: {},
      classes: DEFAULT_CLASSES,
    });
    expect(config.fields).toEqual(DEFAULT_FIELDS);
    expect(config.rules).toEqual(DEFAULT_RULES);
    expect(config.dataDir).toBe('./.docroute');
  });

  it('treats null and undefined like an empty object (an empty YAML file)', () => {
    expect(parseConfig(null).version).toBe(parseConfig({}).version);
    expect(parseConfig(undefined).version).toBe(parseConfig({}).version);
  });

  it('has a stable version: same input, same hash, whatever the key order', () => {
    const a = parseConfig({});
    const b = parseConfig({});
    expect(a.version).toMatch(/^[0-9a-f]{16}$/);
    expect(b.version).toBe(a.version);
    expect(b.stepVersions).toEqual(a.stepVersions);
    const ordered = parseConfig({ limits: { maxPages: 10, maxFileBytes: 1000 } });
    const reversed = parseConfig({ limits: { maxFileBytes: 1000, maxPages: 10 } });
    expect(reversed.version).toBe(ordered.version);
  });

  it('equals the defaults when the defaults are written out explicitly', () => {
    const explicit = parseConfig({ classify: { classes: DEFAULT_CLASSES }, fields: DEFAULT_FIELDS, rules: DEFAULT_RULES });
    expect(explicit.version).toBe(parseConfig({}).version);
  });

  it('does not change versions for settings that do not change results', () => {
    const base = parseConfig({});
    const changed = parseConfig({ engine: { maxConcurrency: 8 }, watch: { intervalMs: 500 }, dataDir: '/elsewhere' });
    expect(changed.version).toBe(base.version);
    expect(changed.stepVersions).toEqual(base.stepVersions);
  });

  it('changing a rule changes the version and the validate step only', () => {
    const base = parseConfig({});
    const rules = DEFAULT_RULES.map((r) =>
      r.id === 'invoice-approval-limit'
        ? { ...r, conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'greaterThan', value: 20000 }] } }
        : r,
    );
    const changed = parseConfig({ rules });
    expect(changed.version).not.toBe(base.version);
    expect(changed.stepVersions.validate).not.toBe(base.stepVersions.validate);
    expect(changed.stepVersions.extract).toBe(base.stepVersions.extract);
    expect(changed.stepVersions.classify).toBe(base.stepVersions.classify);
    expect(changed.stepVersions.extractFields).toBe(base.stepVersions.extractFields);
  });

  it('changing fields re-runs field extraction and validation, not extraction or classification', () => {
    const base = parseConfig({});
    const changed = parseConfig({ fields: { ...DEFAULT_FIELDS, letter: [] } });
    expect(changed.stepVersions.extract).toBe(base.stepVersions.extract);
    expect(changed.stepVersions.classify).toBe(base.stepVersions.classify);
    expect(changed.stepVersions.extractFields).not.toBe(base.stepVersions.extractFields);
    expect(changed.stepVersions.validate).not.toBe(base.stepVersions.validate);
  });

  it('changing extract.ocr.dpi changes every step version', () => {
    const base = parseConfig({});
    const changed = parseConfig({ extract: { ocr: { dpi: 200 } } });
    expect(changed.version).not.toBe(base.version);
    for (const step of ['extract', 'classify', 'extractFields', 'validate'] as const) {
      expect(changed.stepVersions[step], step).not.toBe(base.stepVersions[step]);
    }
  });

  it('names the source in errors', () => {
    const err = configError(() => parseConfig({ engine: { maxConcurrency: 0 } }, '/etc/docroute.config.yaml'));
    expect(err.message).toContain('/etc/docroute.config.yaml');
  });

  it.each([
    ['engine.maxConcurrency: 0', { engine: { maxConcurrency: 0 } }, 'engine.maxConcurrency', />=\s*1/],
    ['a string for a number', { engine: { maxConcurrency: 'two' } }, 'engine.maxConcurrency', /expected number/],
    ['an unknown top-level key', { bogus: true }, '(top level)', /unknown key\(s\) "bogus"/],
    ['an unknown nested key', { extract: { ocr: { dpl: 300 } } }, 'extract.ocr', /unknown key\(s\) "dpl"/],
    [
      'a bad regex in fields',
      { fields: { invoice: [{ name: 'total', type: 'amount', pattern: '(' }] } },
      'fields.invoice.0.pattern',
      /expected a valid regular expression/,
    ],
    [
      'an unknown field type',
      { fields: { invoice: [{ name: 'total', type: 'money', pattern: 'x' }] } },
      'fields.invoice.0.type',
      /expected one of "text", "amount"/,
    ],
    [
      'a rule for an unknown class',
      { rules: [customRule('r1', { classes: ['invoice', 'memo'] })] },
      'rules.0.classes',
      /unknown class "memo".*expected one of invoice, receipt/,
    ],
    ['duplicate rule ids', { rules: [customRule('same'), customRule('same')] }, 'rules', /duplicate rule id "same"/],
    ['a badly formed rule id', { rules: [customRule('Bad Id')] }, 'rules.0.id', /expected a lowercase id/],
  ])('rejects %s with the path and what was expected', (_what, raw, where, expected) => {
    const err = configError(() => parseConfig(raw));
    expect(err.message).toContain(`${where}:`);
    expect(err.message).toMatch(expected);
    expectOneParagraph(err);
  });

  it('checks rule classes against configured classes, not only the defaults', () => {
    const classes = [{ name: 'memo', keywords: ['memo'] }];
    // The rule reads `total`, so the memo class must define it.
    const fields = { memo: [{ name: 'total', type: 'amount', pattern: 'total (\\S+)' }] };
    expect(parseConfig({ classify: { classes }, fields, rules: [customRule('r1', { classes: ['memo'] })] }).config.rules).toHaveLength(1);
    const err = configError(() => parseConfig({ classify: { classes }, fields, rules: [customRule('r1', { classes: ['invoice'] })] }));
    expect(err.message).toContain('unknown class "invoice"');
  });

  it('never echoes the offending value', () => {
    const err = configError(() =>
      parseConfig({ limits: { maxPages: 'SECRET-VALUE-123' }, notify: { webhook: { url: 'ftp://token-abc@example.com' } } }),
    );
    expect(err.message).toContain('limits.maxPages');
    expect(err.message).toContain('notify.webhook.url');
    expect(err.message).not.toContain('SECRET-VALUE-123');
    expect(err.message).not.toContain('token-abc');
    expectOneParagraph(err);
  });

  it('caps a long list of issues in one paragraph', () => {
    const rules = Array.from({ length: 12 }, (_, i) => ({ id: `r${i}` }));
    const err = configError(() => parseConfig({ rules }));
    expect(err.message).toMatch(/; and \d+ more\.$/);
    expectOneParagraph(err);
  });
});

describe('loadConfig', () => {
  it('uses the built-in defaults when there is no file, with dataDir resolved against cwd', () => {
    const cwd = tempDir();
    const loaded = loadConfig({ cwd, env: {} });
    expect(loaded.source).toBe('built-in defaults');
    expect(loaded.version).toBe(parseConfig({}).version);
    expect(loaded.config.dataDir).toBe(path.join(cwd, '.docroute'));
  });

  it('reads docroute.config.yaml from cwd', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, CONFIG_FILE_NAME), 'engine:\n  maxConcurrency: 5\n');
    const loaded = loadConfig({ cwd, env: {} });
    expect(loaded.source).toBe(path.join(cwd, CONFIG_FILE_NAME));
    expect(loaded.config.engine.maxConcurrency).toBe(5);
  });

  it('reports a YAML syntax error with its line and no file content', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, CONFIG_FILE_NAME), 'dataDir: ./secret-dir\nengine:\n  maxConcurrency: 2\n bad: 1\n');
    const err = configError(() => loadConfig({ cwd, env: {} }));
    expect(err.message).toMatch(/not valid YAML at line 4\b/);
    expect(err.message).toContain(path.join(cwd, CONFIG_FILE_NAME));
    expect(err.message).not.toContain('secret-dir');
    expectOneParagraph(err);
  });

  it('reports schema errors with the file as the source', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, CONFIG_FILE_NAME), 'engine:\n  maxConcurrency: 0\n');
    const err = configError(() => loadConfig({ cwd, env: {} }));
    expect(err.message).toContain(`Invalid configuration in ${path.join(cwd, CONFIG_FILE_NAME)}: engine.maxConcurrency:`);
  });

  it('fails when an explicit --config file does not exist', () => {
    const cwd = tempDir();
    const err = configError(() => loadConfig({ cwd, file: 'missing.yaml', env: {} }));
    expect(err.message).toContain(path.join(cwd, 'missing.yaml'));
    expect(err.message).toContain('does not exist');
  });

  it('resolves a relative dataDir against the config file directory, not cwd', () => {
    const cwd = tempDir();
    const configDir = path.join(cwd, 'conf');
    mkdirSync(configDir);
    writeFileSync(path.join(configDir, 'custom.yaml'), 'dataDir: ./data\n');
    const loaded = loadConfig({ cwd, file: 'conf/custom.yaml', env: {} });
    expect(loaded.source).toBe(path.join(configDir, 'custom.yaml'));
    expect(loaded.config.dataDir).toBe(path.join(configDir, 'data'));
  });

  it('finds the file through DOCROUTE_CONFIG', () => {
    const cwd = tempDir();
    writeFileSync(path.join(cwd, 'env.yaml'), 'engine:\n  maxConcurrency: 3\n');
    expect(loadConfig({ cwd, env: { DOCROUTE_CONFIG: 'env.yaml' } }).config.engine.maxConcurrency).toBe(3);
  });

  it('lets --data-dir win over the file and the environment, resolved against cwd', () => {
    // The file lives in a subdirectory, so resolving against it instead of cwd would show.
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'conf'));
    writeFileSync(path.join(cwd, 'conf', 'custom.yaml'), 'dataDir: ./from-file\n');
    const loaded = loadConfig({ cwd, file: 'conf/custom.yaml', dataDir: 'from-flag', env: { DOCROUTE_DATA_DIR: 'from-env' } });
    expect(loaded.config.dataDir).toBe(path.join(cwd, 'from-flag'));
    expect(loadConfig({ cwd, file: 'conf/custom.yaml', dataDir: '/abs/data', env: {} }).config.dataDir).toBe('/abs/data');
  });

  it('lets DOCROUTE_DATA_DIR win over the file, resolved against cwd', () => {
    const cwd = tempDir();
    mkdirSync(path.join(cwd, 'conf'));
    writeFileSync(path.join(cwd, 'conf', 'custom.yaml'), 'dataDir: ./from-file\n');
    const loaded = loadConfig({ cwd, file: 'conf/custom.yaml', env: { DOCROUTE_DATA_DIR: 'from-env' } });
    expect(loaded.config.dataDir).toBe(path.join(cwd, 'from-env'));
  });

  it('does not change the version when only the data directory differs', () => {
    const cwd = tempDir();
    expect(loadConfig({ cwd, dataDir: 'x', env: {} }).version).toBe(loadConfig({ cwd, env: {} }).version);
  });
});
