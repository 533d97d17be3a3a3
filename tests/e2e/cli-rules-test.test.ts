import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it, vi } from 'vitest';
import { DEFAULT_FIELDS } from '../../src/config/defaults.js';
import { parseConfig } from '../../src/config/load.js';
import { registerRulesCommand, type RulesTestReport } from '../../src/entrypoints/cli/rules-test.js';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * `docroute rules test` on the starter ruleset and on broken inputs. The command is driven
 * in-process through commander (as main.ts registers it), capturing stdout, stderr and the exit
 * code; the starter ruleset passing its own fixtures is what keeps the rule fixtures running in CI.
 */

const STARTER = path.join(ROOT, 'examples', 'rules', 'starter.yaml');
const FIXTURES = path.join(ROOT, 'examples', 'rules', 'fixtures');

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const rulesTest = async (args: readonly string[], options: { json?: boolean } = {}): Promise<Run> => {
  const program = new Command('docroute').option('--json').exitOverride();
  const state: { code: number | null } = { code: null };
  registerRulesCommand(program, { globals: () => program.opts<{ json?: boolean }>(), setCode: (c) => (state.code = c) });
  const stdout: string[] = [];
  const stderr: string[] = [];
  const capture = (stream: NodeJS.WriteStream, sink: string[]) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      sink.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      return true;
    });
  const outSpy = capture(process.stdout, stdout);
  const errSpy = capture(process.stderr, stderr);
  try {
    await program.parseAsync(['node', 'docroute', ...(options.json ? ['--json'] : []), 'rules', 'test', ...args]);
  } finally {
    outSpy.mockRestore();
    errSpy.mockRestore();
  }
  return { code: state.code, stdout: stdout.join(''), stderr: stderr.join('') };
};

const ONE_RULE = [
  'rules:',
  '  - id: invoice-total-missing',
  '    classes: [invoice]',
  '    conditions: { all: [{ fact: fields, path: $.total, operator: fieldMissing, value: true }] }',
  '    outcome: hold',
  '    reasonCode: FIELD_MISSING',
  '    message: The invoice total was not found.',
  '    fields: [total]',
  '',
].join('\n');

describe('docroute rules test', () => {
  const work = tempDir('rules-test');

  it('passes the starter ruleset on all its fixtures, each rule shown firing and staying quiet', async () => {
    const text = await rulesTest([STARTER, FIXTURES]);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(EXIT.OK);
    expect(text.stdout).not.toContain('✗');
    expect(text.stdout).toMatch(/^\d+ passed, 0 failed$/m);

    const json = await rulesTest([STARTER, FIXTURES], { json: true });
    expect(json.code).toBe(EXIT.OK);
    const report = JSON.parse(json.stdout) as RulesTestReport;
    expect(report.failed).toBe(0);
    expect(report.passed).toBe(report.results.length);
    expect(report.coverage).toEqual({ neverFired: [], neverQuiet: [] });
    // At least one passing fixture per class.
    for (const file of ['invoice.yaml', 'receipt.yaml', 'bank-statement.yaml']) {
      expect(report.results.some((r) => r.file.endsWith(file) && r.actual.outcome === 'pass')).toBe(true);
    }
  });

  it('ships a starter ruleset that is a valid config and reads only fields its classes extract', () => {
    const raw = parseYaml(readFileSync(STARTER, 'utf8')) as unknown;
    const { config } = parseConfig(raw, STARTER);
    expect(config.rules.length).toBeGreaterThanOrEqual(8);
    expect(config.rules.length).toBeLessThanOrEqual(12);
    for (const rule of config.rules) {
      expect(rule.classes.length, rule.id).toBeGreaterThan(0);
      for (const cls of rule.classes) {
        const names = new Set((DEFAULT_FIELDS[cls] ?? []).map((f) => f.name));
        for (const field of rule.fields) expect(names.has(field), `${rule.id}: ${cls}.${field}`).toBe(true);
      }
    }
  });

  it('fails a fixture expecting the wrong outcome with exit 1, naming it, without echoing its facts', async () => {
    const dir = path.join(work, 'wrong');
    mkdirSync(dir);
    writeFileSync(
      path.join(dir, 'invoices.yaml'),
      [
        '- name: total present passes',
        '  facts: { documentClass: invoice, today: "2026-06-30", fields: { invoice_number: INV-1, total: 12 } }',
        '  expect: { outcome: pass }',
        '- name: missing total wrongly expected to pass',
        '  facts: { documentClass: invoice, today: "2026-06-30", fields: { invoice_number: SECRET-4711 } }',
        '  expect: { outcome: pass, rules: [] }',
        '',
      ].join('\n'),
    );
    const r = await rulesTest([STARTER, dir]);
    expect(r.code).toBe(EXIT.CHECKS_FAILED);
    expect(r.stdout).toContain('✓ total present passes');
    expect(r.stdout).toMatch(
      /✗ missing total wrongly expected to pass \(.*invoices\.yaml\): expected pass, got hold.*fired: invoice-total-missing/,
    );
    expect(r.stdout).toMatch(/^1 passed, 1 failed$/m);
    expect(r.stdout).not.toContain('SECRET-4711');

    const json = await rulesTest([STARTER, dir], { json: true });
    expect(json.code).toBe(EXIT.CHECKS_FAILED);
    const report = JSON.parse(json.stdout) as RulesTestReport;
    expect(report).toMatchObject({ passed: 1, failed: 1 });
    expect(report.results[1]).toMatchObject({
      name: 'missing total wrongly expected to pass',
      ok: false,
      actual: { outcome: 'hold', reasonCodes: ['FIELD_MISSING'], rules: ['invoice-total-missing'] },
    });
    expect(json.stdout).not.toContain('SECRET-4711');
  });

  it('rejects a rules file with an unknown operator with exit 2, naming the file, the rule and the path', async () => {
    const file = path.join(work, 'unknown-operator.yaml');
    writeFileSync(
      file,
      [
        ONE_RULE.trimEnd(),
        '  - id: iban-shape',
        '    conditions: { all: [{ fact: fields, path: $.iban, operator: looksLikeIban, value: false }] }',
        '    outcome: reject',
        '    reasonCode: INVALID_IBAN',
        '    message: The IBAN looks wrong.',
        '',
      ].join('\n'),
    );
    const r = await rulesTest([file, FIXTURES]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('unknown-operator.yaml');
    expect(r.stderr).toContain('rule "iban-shape"');
    expect(r.stderr).toContain('rules.1.conditions.all.0.operator: unknown operator "looksLikeIban"');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
  });

  it('rejects a rule that does not match the schema with exit 2, naming the rule and the path', async () => {
    const file = path.join(work, 'bad-rule.yaml');
    writeFileSync(file, ONE_RULE.replace('outcome: hold', 'outcome: maybe'));
    const r = await rulesTest([file, FIXTURES]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('bad-rule.yaml');
    expect(r.stderr).toContain('rule "invoice-total-missing": rules.0.outcome: expected one of "hold", "reject"');
  });

  it('rejects a rules file that is not YAML with exit 2, naming the file', async () => {
    const file = path.join(work, 'broken.yaml');
    writeFileSync(file, 'rules:\n  - id: [unclosed\n');
    const r = await rulesTest([file, FIXTURES]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toMatch(/broken\.yaml is not valid YAML at line \d+, column \d+/);
  });

  it('rejects a fixture file without `expect` with exit 2, naming the file and the path', async () => {
    const rules = path.join(work, 'one-rule.yaml');
    writeFileSync(rules, ONE_RULE);
    const dir = path.join(work, 'no-expect');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'fixture.yaml'), 'name: forgot the expectation\nfacts: { documentClass: invoice }\n');
    const r = await rulesTest([rules, dir]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('fixture.yaml');
    expect(r.stderr).toContain('fixture "forgot the expectation": expect: required');
  });

  it('rejects a fixture expecting a rule the ruleset does not have with exit 2', async () => {
    const rules = path.join(work, 'one-rule-2.yaml');
    writeFileSync(rules, ONE_RULE);
    const file = path.join(work, 'typo.yaml');
    writeFileSync(file, '- name: typo\n  facts: { documentClass: invoice }\n  expect: { outcome: hold, rules: [invoice-totl-missing] }\n');
    const r = await rulesTest([rules, file]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('0.expect.rules.0: no rule "invoice-totl-missing"');
  });
});

describe('docroute rules test through the built CLI', () => {
  it('runs the starter fixtures (as CI does) and exits 0', () => {
    assertBuilt();
    const r = cli(['rules', 'test', 'examples/rules/starter.yaml', 'examples/rules/fixtures']);
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/\d+ passed, 0 failed/);
  });
});
