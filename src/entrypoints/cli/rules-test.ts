import { readFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Command } from 'commander';
import { z } from 'zod';
import { sensitiveFieldNames } from '../../config/field-spec.js';
import { checkRuleClasses, checkRuleFields, loadConfig, parseConfig, parseYamlText } from '../../config/load.js';
import { RuleSchema, type RuleSpec } from '../../config/schema.js';
import type { Finding, Outcome } from '../../domain/document.js';
import { ConfigError } from '../../domain/errors.js';
import { decide } from '../../domain/route.js';
import { compileRules, type CompiledRules } from '../../domain/validate.js';
import { EXIT } from './exit-codes.js';
import { rel } from './format.js';
import { out, err } from './io.js';

/**
 * `docroute rules test <rules> <fixtures>`: runs a ruleset against hand-written facts and checks
 * the route each fixture expects, so a rule change is tested in CI before it reaches a document.
 * Fixtures test rules, not classification: the confidence threshold is off (minConfidence 0).
 * Output names rule ids and reason codes only, never the facts (which stand in for document data).
 */

export interface RulesTestGlobals {
  json?: boolean | undefined;
  /** The configuration whose classes and fields a plain rules file is checked against (global --config). */
  config?: string | undefined;
}

/** A finding's reason code when its rule threw at run time (see compileRules). */
const RULE_ERROR = 'RULE_ERROR';

export const RulesListSchema = z.array(RuleSchema);

const isoDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'expected an ISO date like "2026-03-31"')
  .refine(
    (s) => {
      const ms = Date.parse(`${s}T00:00:00Z`);
      return !Number.isNaN(ms) && new Date(ms).toISOString().startsWith(s);
    },
    { error: 'expected a real calendar date' },
  );

export const FixtureSchema = z
  .object({
    name: z.string().min(1),
    description: z.string().optional(),
    facts: z
      .object({
        documentClass: z.string().min(1),
        confidence: z.number().min(0).max(1).default(1),
        fields: z.record(z.string(), z.union([z.string(), z.number()], { error: 'expected a string or a number' })).default({}),
        /** The pipeline's clock supplies it; a fixture should pin it, or date rules age with the calendar. */
        today: isoDate.optional(),
      })
      .strict(),
    expect: z
      .object({
        outcome: z.enum(['pass', 'hold', 'reject']),
        /** The exact set of the findings' reason codes. */
        reasonCodes: z.array(z.string().min(1)).optional(),
        /** The exact set of rule ids that fire. */
        rules: z.array(z.string().min(1)).optional(),
      })
      .strict(),
  })
  .strict();

export type Fixture = z.output<typeof FixtureSchema>;

interface LoadedFixture {
  readonly file: string;
  readonly fixture: Fixture;
}

export interface FixtureResult {
  readonly name: string;
  readonly file: string;
  readonly ok: boolean;
  readonly expected: Fixture['expect'];
  readonly actual: { readonly outcome: Outcome; readonly reasonCodes: string[]; readonly rules: string[] };
  /** What differs, in words; empty when the fixture passed. */
  readonly problems: string[];
}

export interface RulesTestReport {
  readonly rules: string;
  readonly fixtures: string;
  readonly passed: number;
  readonly failed: number;
  readonly results: FixtureResult[];
  readonly coverage: {
    /** Rules no fixture makes fire. */
    readonly neverFired: string[];
    /** Rules that fire on every fixture of their classes: nothing shows they can stay quiet. */
    readonly neverQuiet: string[];
  };
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const valueAt = (root: unknown, at: readonly PropertyKey[]): unknown =>
  at.reduce<unknown>((v, k) => (typeof v === 'object' && v !== null ? (v as Record<PropertyKey, unknown>)[k] : undefined), root);

/** One issue as "path: what was expected". Never echoes a value. */
const describeIssue = (issue: z.core.$ZodIssue, root: unknown, prefix: readonly PropertyKey[]): string => {
  const full = [...prefix, ...issue.path];
  const where = full.length > 0 ? full.map(String).join('.') : '(top level)';
  let what: string = issue.message;
  if (issue.code === 'invalid_type') {
    const expected = issue.expected === 'record' ? 'object' : issue.expected;
    what = valueAt(root, issue.path) === undefined ? `required (expected ${expected})` : `expected ${expected}`;
  } else if (issue.code === 'unrecognized_keys') what = `unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  else if (issue.code === 'invalid_value') what = `expected one of ${issue.values.map((v) => JSON.stringify(v)).join(', ')}`;
  return `${where}: ${what}`;
};

/**
 * Issues of a list of items (rules or fixtures) as one paragraph, each naming its item by its
 * author-given id or name when it has one.
 */
const describeListIssues = (
  issues: readonly z.core.$ZodIssue[],
  root: unknown,
  prefix: readonly PropertyKey[],
  label: (index: number) => string | null,
): string => {
  const shown = issues.slice(0, 8).map((issue) => {
    const index = typeof issue.path[0] === 'number' ? issue.path[0] : null;
    const name = index === null ? null : label(index);
    return `${name ? `${name}: ` : ''}${describeIssue(issue, root, prefix)}`;
  });
  return shown.join('; ') + (issues.length > 8 ? `; and ${issues.length - 8} more` : '');
};

/** Reads and parses a YAML (or JSON, which is YAML) file; problems are ConfigErrors naming the file. */
const readYaml = async (file: string, what: string): Promise<unknown> => {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`Cannot read ${what} ${rel(file)}: ${(e as NodeJS.ErrnoException).code ?? 'read error'}.`);
  }
  return parseYamlText(text, `${what[0]?.toUpperCase() ?? ''}${what.slice(1)} ${rel(file)}`);
};

const quotedId = (raw: unknown, key: 'id' | 'name', kind: string): string | null => {
  const v = isRecord(raw) ? raw[key] : undefined;
  return typeof v === 'string' && v !== '' ? `${kind} "${v}"` : null;
};

/**
 * A rules file: a list of rules, or an object with a `rules:` key (so a docroute config file
 * works too; then the whole config is checked, including rule classes and fields against its own).
 *
 * A plain rules file is checked against the configuration `docroute run` would load (`config`,
 * else $DOCROUTE_CONFIG, else ./docroute.config.yaml, else the built-in defaults): the classes its
 * rules name and the fields they read must exist there, as they must when the rules run.
 */
export const loadRules = async (
  file: string,
  options: { config?: string | undefined } = {},
): Promise<{ rules: RuleSpec[]; compiled: CompiledRules }> => {
  const raw = await readYaml(file, 'rules file');
  const list: unknown = Array.isArray(raw) ? raw : isRecord(raw) && 'rules' in raw ? raw['rules'] : undefined;
  if (list === undefined) {
    throw new ConfigError(
      `Invalid rules in ${rel(file)}: expected a list of rules, or an object with a "rules:" key (like a config file).`,
    );
  }
  const parsed = RulesListSchema.safeParse(list);
  if (!parsed.success) {
    const detail = describeListIssues(parsed.error.issues, list, ['rules'], (i) =>
      quotedId(Array.isArray(list) ? (list[i] as unknown) : undefined, 'id', 'rule'),
    );
    throw new ConfigError(`Invalid rules in ${rel(file)}: ${detail}.`);
  }
  const rules = parsed.data;
  const ids = new Set<string>();
  for (const [i, rule] of rules.entries()) {
    if (ids.has(rule.id)) throw new ConfigError(`Invalid rules in ${rel(file)}: rules.${i}.id: duplicate rule id "${rule.id}".`);
    ids.add(rule.id);
  }
  // The rules themselves first, so that their errors name the rules file.
  try {
    compileRules(rules);
  } catch (e) {
    if (e instanceof ConfigError) throw new ConfigError(`Invalid rules in ${rel(file)}: ${e.message}.`);
    throw e;
  }
  // Anything beyond `rules:` makes it a config file: check it as `docroute run` would, against its own classes and fields.
  const isConfig = isRecord(raw) && Object.keys(raw).some((k) => k !== 'rules');
  const { config, source } = isConfig ? parseConfig(raw, rel(file)) : loadConfig({ file: options.config });
  if (!isConfig) {
    const classNames = config.classify.classes.map((c) => c.name);
    try {
      checkRuleClasses(rules, classNames);
      checkRuleFields(rules, config.fields, classNames);
    } catch (e) {
      if (!(e instanceof ConfigError)) throw e;
      const against =
        source === 'built-in defaults'
          ? 'checked against the built-in classes and fields; pass --config <file> to check against your configuration'
          : `checked against the classes and fields of ${rel(source)}`;
      throw new ConfigError(`Invalid rules in ${rel(file)}: ${e.message} (${against}).`);
    }
  }
  // Compiled as the pipeline compiles them: messages mask the configuration's sensitive fields.
  return { rules, compiled: compileRules(rules, { sensitiveFields: sensitiveFieldNames(config.fields) }) };
};

const FIXTURE_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

const fixtureFiles = async (target: string): Promise<string[]> => {
  const st = await stat(target).catch(() => null);
  if (!st) throw new ConfigError(`${rel(target)}: no such file or directory.`);
  if (st.isFile()) return [target];
  const entries = await readdir(target, { withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && FIXTURE_EXTENSIONS.has(path.extname(e.name).toLowerCase()))
    .map((e) => path.join(target, e.name))
    .sort((a, b) => a.localeCompare(b));
};

/** Fixture files hold one fixture or a list; rule ids and reason codes they expect must exist. */
export const loadFixtures = async (target: string, rules: readonly RuleSpec[]): Promise<LoadedFixture[]> => {
  const files = await fixtureFiles(target);
  const ruleIds = new Set(rules.map((r) => r.id));
  const codes = new Set([...rules.map((r) => r.reasonCode), RULE_ERROR]);
  const loaded: LoadedFixture[] = [];
  for (const file of files) {
    const raw = await readYaml(file, 'fixture file');
    const single = isRecord(raw);
    if (!single && !Array.isArray(raw)) {
      throw new ConfigError(`Invalid fixture file ${rel(file)}: expected a fixture (name, facts, expect) or a list of fixtures.`);
    }
    const list: unknown[] = single ? [raw] : (raw as unknown[]);
    const parsed = z.array(FixtureSchema).safeParse(list);
    if (!parsed.success) {
      // A single fixture's paths start at its own keys, as the author wrote them.
      const issues = single ? parsed.error.issues.map((i) => ({ ...i, path: i.path.slice(1) })) : parsed.error.issues;
      const detail = single
        ? issues
            .slice(0, 8)
            .map((i) => describeIssue(i, raw, []))
            .join('; ')
        : describeListIssues(issues, list, [], (i) => quotedId(list[i], 'name', 'fixture'));
      const name = single ? quotedId(raw, 'name', 'fixture') : null;
      throw new ConfigError(`Invalid fixture in ${rel(file)}: ${name ? `${name}: ` : ''}${detail}.`);
    }
    for (const [i, fixture] of parsed.data.entries()) {
      const at = single ? 'expect' : `${i}.expect`;
      for (const [j, id] of (fixture.expect.rules ?? []).entries()) {
        if (!ruleIds.has(id)) {
          throw new ConfigError(
            `Invalid fixture in ${rel(file)}: fixture "${fixture.name}": ${at}.rules.${j}: no rule "${id}" in the ruleset.`,
          );
        }
      }
      for (const [j, code] of (fixture.expect.reasonCodes ?? []).entries()) {
        if (!codes.has(code)) {
          throw new ConfigError(
            `Invalid fixture in ${rel(file)}: fixture "${fixture.name}": ${at}.reasonCodes.${j}: no rule in the ruleset has reason code "${code}".`,
          );
        }
      }
      loaded.push({ file, fixture });
    }
  }
  if (loaded.length === 0) throw new ConfigError(`No fixtures in ${rel(target)} (expected *.yaml, *.yml or *.json files).`);
  return loaded;
};

const uniqueSorted = (values: Iterable<string>): string[] => [...new Set(values)].sort((a, b) => a.localeCompare(b));

const sameSet = (a: readonly string[], b: readonly string[]): boolean => {
  const x = uniqueSorted(a);
  const y = uniqueSorted(b);
  return x.length === y.length && x.every((v, i) => v === y[i]);
};

const list = (values: readonly string[]): string => (values.length > 0 ? values.join(', ') : 'none');

/** What the pipeline's clock would give: today's date in UTC. Fixtures should pin `today` instead. */
const todayUtc = (): string => new Date().toISOString().slice(0, 10);

export const runFixture = async (compiled: CompiledRules, { file, fixture }: LoadedFixture): Promise<FixtureResult> => {
  const { documentClass, confidence, fields } = fixture.facts;
  const facts = { documentClass, confidence, fields, today: fixture.facts.today ?? todayUtc() };
  const findings: Finding[] = await compiled.evaluate(facts);
  const decision = decide({ documentClass, confidence, classifier: 'fixture', alternatives: [] }, findings, { minConfidence: 0 });
  const actual = {
    outcome: decision.outcome,
    reasonCodes: uniqueSorted(findings.map((f) => f.reasonCode)),
    rules: uniqueSorted(findings.map((f) => f.ruleId)),
  };
  const { expect } = fixture;
  const problems: string[] = [];
  if (decision.outcome !== expect.outcome) problems.push(`expected ${expect.outcome}, got ${decision.outcome}`);
  if (expect.reasonCodes && !sameSet(expect.reasonCodes, actual.reasonCodes)) {
    problems.push(`expected reason codes ${list(uniqueSorted(expect.reasonCodes))}, got ${list(actual.reasonCodes)}`);
  }
  if (expect.rules && !sameSet(expect.rules, actual.rules)) problems.push(`expected rules ${list(uniqueSorted(expect.rules))} to fire`);
  return { name: fixture.name, file, ok: problems.length === 0, expected: expect, actual, problems };
};

/** Which rules the fixtures never show firing, or never show staying quiet on a document of their classes. */
const coverageOf = (
  rules: readonly RuleSpec[],
  fixtures: readonly LoadedFixture[],
  results: readonly FixtureResult[],
): RulesTestReport['coverage'] => {
  const neverFired: string[] = [];
  const neverQuiet: string[] = [];
  for (const rule of rules) {
    const applies = (c: string): boolean => rule.classes.length === 0 || rule.classes.includes(c);
    const relevant = results.filter((_, i) => applies(fixtures[i]?.fixture.facts.documentClass ?? ''));
    if (!relevant.some((r) => r.actual.rules.includes(rule.id))) neverFired.push(rule.id);
    if (!relevant.some((r) => !r.actual.rules.includes(rule.id))) neverQuiet.push(rule.id);
  }
  return { neverFired, neverQuiet };
};

export const commandRulesTest = async (rulesFile: string, fixturesPath: string, globals: RulesTestGlobals): Promise<number> => {
  let report: RulesTestReport;
  try {
    const rulesAt = path.resolve(rulesFile);
    const { rules, compiled } = await loadRules(rulesAt, { config: globals.config });
    const fixtures = await loadFixtures(path.resolve(fixturesPath), rules);
    const results: FixtureResult[] = [];
    for (const f of fixtures) results.push(await runFixture(compiled, f));
    const failed = results.filter((r) => !r.ok).length;
    report = {
      rules: rel(rulesAt),
      fixtures: rel(path.resolve(fixturesPath)),
      passed: results.length - failed,
      failed,
      results: results.map((r) => ({ ...r, file: rel(r.file) })),
      coverage: coverageOf(rules, fixtures, results),
    };
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    err(`docroute rules test: ${e.message}`);
    return EXIT.USAGE;
  }

  if (globals.json) {
    out(JSON.stringify(report, null, 2));
  } else {
    for (const r of report.results) {
      if (r.ok) out(`✓ ${r.name}`);
      else out(`✗ ${r.name} (${r.file}): ${r.problems.join('; ')}; fired: ${list(r.actual.rules)}`);
    }
    out('');
    out(`${report.passed} passed, ${report.failed} failed`);
    const { neverFired, neverQuiet } = report.coverage;
    if (neverFired.length > 0) out(`note: no fixture makes these rules fire: ${neverFired.join(', ')}`);
    if (neverQuiet.length > 0) out(`note: no fixture shows these rules staying quiet: ${neverQuiet.join(', ')}`);
  }
  return report.failed > 0 ? EXIT.CHECKS_FAILED : EXIT.OK;
};

export const registerRulesCommand = (
  program: Command,
  deps: { globals: () => RulesTestGlobals; setCode: (code: number) => void },
): Command => {
  const rules = program.command('rules').description('work with validation rules');
  rules
    .command('test')
    .description(
      `run a ruleset against fixtures (facts plus the expected route); exit ${EXIT.CHECKS_FAILED} when any fixture fails. ` +
        'The classes and fields the rules read are checked against --config (else ./docroute.config.yaml, else the built-in defaults)',
    )
    .argument('<rules>', 'YAML or JSON file: a list of rules, or an object with a rules: key (a config file works)')
    .argument('<fixtures>', 'folder of *.yaml|*.yml|*.json fixture files, or one file')
    .action(async (rulesFile: string, fixtures: string) => {
      deps.setCode(await commandRulesTest(rulesFile, fixtures, deps.globals()));
    });
  return rules;
};
