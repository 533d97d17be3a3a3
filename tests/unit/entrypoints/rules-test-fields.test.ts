import { existsSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CONFIG_FILE_NAME } from '../../../src/config/load.js';
import { ConfigError } from '../../../src/domain/errors.js';
import { loadRules } from '../../../src/entrypoints/cli/rules-test.js';
import { tempDir } from '../../helpers/docs.js';

/**
 * `docroute rules test` checks the classes and fields a plain rules file reads against the
 * configuration `docroute run` would load: --config, else $DOCROUTE_CONFIG, else
 * ./docroute.config.yaml, else the built-in defaults.
 */

const dir = tempDir('rules-fields');
afterAll(() => rmSync(dir, { recursive: true, force: true }));
beforeEach(() => {
  vi.unstubAllEnvs();
  // No configuration from the environment: the built-in defaults unless a test passes --config.
  vi.stubEnv('DOCROUTE_CONFIG', '');
});

const write = (name: string, lines: readonly string[]): string => {
  const file = path.join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
};

const ruleLines = (field: string, classes = '[invoice]'): string[] => [
  `  - id: reads-${field}`,
  `    classes: ${classes}`,
  `    conditions: { all: [{ fact: fields, path: $.${field}, operator: fieldMissing, value: true }] }`,
  '    outcome: hold',
  '    reasonCode: FIELD_MISSING',
  `    message: The ${field} ({{fields.${field}}}) was not found.`,
];

const SUBTOTAL_CONFIG = [
  'fields:',
  '  invoice:',
  "    - { name: subtotal, type: amount, pattern: 'subtotal (\\S+)' }",
  '    - { name: iban, type: iban, pattern: "iban (\\\\S+)" }',
];

const loadError = async (file: string, config?: string): Promise<string> => {
  try {
    await loadRules(file, config === undefined ? {} : { config });
  } catch (err) {
    if (err instanceof ConfigError) return err.message;
    throw err;
  }
  throw new Error('expected a ConfigError');
};

describe('loadRules field check', () => {
  it('runs from a folder without a docroute.config.yaml (else the defaults tests below would read it)', () => {
    expect(existsSync(path.join(process.cwd(), CONFIG_FILE_NAME))).toBe(false);
  });

  it('accepts a plain rules file reading built-in fields', async () => {
    const file = write('known.yaml', ['rules:', ...ruleLines('total')]);
    expect((await loadRules(file)).rules.map((r) => r.id)).toEqual(['reads-total']);
  });

  it('rejects an unknown field against the built-in fields, saying how to check against a configuration', async () => {
    const file = write('typo.yaml', ['rules:', ...ruleLines('totl')]);
    const text = await loadError(file);
    expect(text).toContain(
      'typo.yaml: rules.0.conditions.all.0.path: unknown field "totl" (rule "reads-totl"); fields of invoice: issuer,',
    );
    expect(text).toContain('(checked against the built-in classes and fields; pass --config <file> to check against your configuration).');
    expect(text).not.toMatch(/[\r\n]/);
  });

  it('checks against the fields of --config', async () => {
    const config = write('subtotal.config.yaml', [...SUBTOTAL_CONFIG, 'rules: []']);
    const file = write('subtotal-rules.yaml', ['rules:', ...ruleLines('subtotal')]);
    expect(await loadError(file)).toContain('unknown field "subtotal"');
    expect((await loadRules(file, { config })).rules).toHaveLength(1);
    const total = write('total-rules.yaml', ['rules:', ...ruleLines('total')]);
    const text = await loadError(total, config);
    expect(text).toContain('unknown field "total" (rule "reads-total"); fields of invoice: subtotal, iban');
    expect(text).toContain('(checked against the classes and fields of ');
    expect(text).toContain('subtotal.config.yaml).');
  });

  it('checks rule classes against the classes of the configuration', async () => {
    const file = write('memo.yaml', ['rules:', ...ruleLines('total', '[memo]')]);
    expect(await loadError(file)).toContain('rules.0.classes: unknown class "memo" (rule "reads-total"); expected one of invoice, receipt');
  });

  it('checks a rules file that is itself a config against its own fields, not --config', async () => {
    const own = write('own.config.yaml', [...SUBTOTAL_CONFIG, 'rules:', ...ruleLines('subtotal')]);
    expect((await loadRules(own)).rules).toHaveLength(1);
    const typo = write('own-typo.config.yaml', [...SUBTOTAL_CONFIG, 'rules:', ...ruleLines('total')]);
    const text = await loadError(typo, own);
    expect(text).toMatch(/^Invalid configuration in .*own-typo\.config\.yaml: rules\.0\.conditions\.all\.0\.path: unknown field "total"/);
  });

  it('names the rules file for a bad placeholder', async () => {
    const file = write('placeholder.yaml', ['rules:', ...ruleLines('total').map((l) => l.replace('{{fields.total}}', '{{foo}}'))]);
    expect(await loadError(file)).toMatch(
      /^Invalid rules in .*placeholder\.yaml: rule "reads-total": rules\.0\.message: unknown placeholder "\{\{foo\}\}"/,
    );
  });
});
