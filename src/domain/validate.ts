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

/**
 * Compiles configured rules into one json-rules-engine instance. Bad rules fail here, at load, with
 * the rule id; a rule that throws at run time becomes a hold finding (never a silent pass).
 */
export const compileRules = (rules: readonly RuleSpec[]): CompiledRules => {
  const byId = new Map(rules.map((r) => [r.id, r]));
  const engine = new Engine([], { allowUndefinedFacts: true });
  for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, fn);
  for (const [i, rule] of rules.entries()) {
    const props: RuleProperties = {
      name: rule.id,
      conditions: rule.conditions as unknown as TopLevelCondition,
      event: { type: rule.outcome, params: { ruleId: rule.id } },
    };
    try {
      engine.addRule(props);
    } catch (err) {
      throw new ConfigError(`rules.${i} ("${rule.id}"): invalid conditions: ${(err as Error).message}`);
    }
  }
  return {
    evaluate: async (facts: RulesFacts): Promise<Finding[]> => {
      const applicable = rules.filter((r) => r.classes.length === 0 || r.classes.includes(facts.documentClass));
      if (applicable.length === 0) return [];
      const findings: Finding[] = [];
      try {
        const { events } = await engine.run({ ...facts, fields: { ...facts.fields } });
        for (const event of events) {
          const rule = byId.get(String(event.params?.['ruleId']));
          if (!rule || !applicable.includes(rule)) continue;
          findings.push({
            ruleId: rule.id,
            reasonCode: rule.reasonCode,
            severity: rule.outcome satisfies Severity,
            message: rule.message,
            fields: rule.fields,
          });
        }
      } catch (err) {
        findings.push({
          ruleId: '(engine)',
          reasonCode: 'RULE_ERROR',
          severity: 'hold',
          message: `A rule failed to run (${err instanceof Error ? err.name : 'error'}); held for review.`,
          fields: [],
        });
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
