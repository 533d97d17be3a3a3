import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { FieldSet, Finding, Severity } from './document.js';
import { ConfigError } from './errors.js';
import { isValidIban } from './normalize.js';
import type { RuleSpec } from '../config/schema.js';

const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';

/** Operators beyond json-rules-engine's built-ins. A later rules issue adds the full banking set. */
const OPERATORS: Record<string, (fact: unknown, value: unknown) => boolean> = {
  /** `value: true` fires when the field is absent; `false` when present. */
  missing: (fact, value) => isMissing(fact) === value,
  /** `value: false` fires when a present IBAN fails mod-97; absent IBANs never fire. */
  validIban: (fact, value) => typeof fact === 'string' && fact !== '' && isValidIban(fact) === value,
  /** `value` is a regular expression source, matched case-insensitively. */
  matchesRegex: (fact, value) => typeof fact === 'string' && typeof value === 'string' && new RegExp(value, 'iu').test(fact),
};

export interface RulesFacts {
  readonly documentClass: string;
  readonly confidence: number;
  readonly fields: Readonly<Record<string, string | number>>;
}

export interface CompiledRules {
  evaluate(facts: RulesFacts): Promise<Finding[]>;
}

/** json-rules-engine's own operators, plus ours. */
const BUILTIN_OPERATORS = new Set([
  'equal',
  'notEqual',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
]);
const KNOWN_FACTS = new Set(['documentClass', 'confidence', 'fields']);

/** Walks a condition tree and reports the first problem as "path: what was expected". */
const checkCondition = (node: unknown, where: string): string | null => {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) return `${where}: expected a condition object`;
  const n = node as Record<string, unknown>;
  for (const key of ['all', 'any'] as const) {
    if (key in n) {
      const list = n[key];
      if (!Array.isArray(list) || list.length === 0) return `${where}.${key}: expected a non-empty list of conditions`;
      for (const [i, child] of list.entries()) {
        const problem = checkCondition(child, `${where}.${key}.${i}`);
        if (problem) return problem;
      }
      return null;
    }
  }
  if ('not' in n) return checkCondition(n['not'], `${where}.not`);
  const { fact, operator, value } = n;
  if (typeof fact !== 'string' || !KNOWN_FACTS.has(fact)) return `${where}.fact: expected one of ${[...KNOWN_FACTS].join(', ')}`;
  if (typeof operator !== 'string' || !(BUILTIN_OPERATORS.has(operator) || operator in OPERATORS)) {
    return `${where}.operator: unknown operator ${JSON.stringify(operator)}; expected one of ${[...BUILTIN_OPERATORS, ...Object.keys(OPERATORS)].join(', ')}`;
  }
  if (operator === 'matchesRegex') {
    try {
      new RegExp(String(value), 'iu');
    } catch {
      return `${where}.value: expected a valid regular expression`;
    }
  }
  if (!('value' in n)) return `${where}.value: expected a value`;
  return null;
};

/**
 * Compiles configured rules, one json-rules-engine instance per rule, so one rule cannot hide
 * another's finding. Bad rules fail here, at load, with the rule id and the path; a rule that
 * still throws at run time becomes a hold finding naming that rule (never a silent pass).
 */
export const compileRules = (rules: readonly RuleSpec[]): CompiledRules => {
  const compiled = rules.map((rule, i) => {
    const problem = checkCondition(rule.conditions, `rules.${i}.conditions`);
    if (problem) throw new ConfigError(`rule "${rule.id}": ${problem}`);
    const engine = new Engine([], { allowUndefinedFacts: true });
    for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, fn);
    const props: RuleProperties = {
      name: rule.id,
      conditions: rule.conditions as unknown as TopLevelCondition,
      event: { type: rule.outcome, params: { ruleId: rule.id } },
    };
    try {
      engine.addRule(props);
    } catch (err) {
      throw new ConfigError(`rule "${rule.id}": rules.${i}.conditions: ${err instanceof Error ? err.message : 'invalid'}`);
    }
    return { rule, engine };
  });
  return {
    evaluate: async (facts: RulesFacts): Promise<Finding[]> => {
      const findings: Finding[] = [];
      for (const { rule, engine } of compiled) {
        if (rule.classes.length > 0 && !rule.classes.includes(facts.documentClass)) continue;
        try {
          const { events } = await engine.run({ ...facts, fields: { ...facts.fields } });
          if (events.length === 0) continue;
          findings.push({
            ruleId: rule.id,
            reasonCode: rule.reasonCode,
            severity: rule.outcome satisfies Severity,
            message: rule.message,
            fields: rule.fields,
          });
        } catch (err) {
          findings.push({
            ruleId: rule.id,
            reasonCode: 'RULE_ERROR',
            severity: 'hold',
            message: `Rule ${rule.id} failed to run (${err instanceof Error ? err.name : 'error'}); held for review.`,
            fields: rule.fields,
          });
        }
      }
      return findings.sort((a, b) => a.ruleId.localeCompare(b.ruleId));
    },
  };
};

export const factsOf = (fieldSet: FieldSet, confidence: number): RulesFacts => ({
  documentClass: fieldSet.documentClass,
  confidence,
  fields: Object.fromEntries(Object.entries(fieldSet.fields).map(([k, f]) => [k, f.value])),
});
