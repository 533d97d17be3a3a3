import { Engine, type RuleProperties, type TopLevelCondition } from 'json-rules-engine';
import type { FieldSet, Finding, Severity } from './document.js';
import { ConfigError } from './errors.js';
import { maskValue } from './mask.js';
import { isValidBic, isValidIban } from './normalize.js';
import type { RuleSpec } from '../config/schema.js';

const isMissing = (v: unknown): boolean => v === undefined || v === null || v === '';

const numberOf = (v: unknown): number | null => {
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && /^-?\d+(?:\.\d+)?$/.test(v.trim())) return Number(v);
  return null;
};

const DAY_MS = 86_400_000;
/** Days from an ISO date to another, or null when either is not a `YYYY-MM-DD` calendar date. */
const daysBetween = (from: unknown, to: unknown): number | null => {
  const t = (v: unknown): number | null => {
    if (typeof v !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return null;
    const ms = Date.parse(`${v}T00:00:00Z`);
    return Number.isNaN(ms) || new Date(ms).toISOString().slice(0, 10) !== v ? null : ms;
  };
  const a = t(from);
  const b = t(to);
  return a === null || b === null ? null : Math.round((b - a) / DAY_MS);
};

/** `sumEquals` configuration: the fields to add up, the field they must equal, and the slack allowed. */
interface SumSpec {
  readonly of: readonly string[];
  readonly equals: string;
  readonly tolerance?: number;
}
const isSumSpec = (v: unknown): v is SumSpec => {
  if (typeof v !== 'object' || v === null) return false;
  const { of, equals, tolerance } = v as Partial<Record<keyof SumSpec, unknown>>;
  return (
    Array.isArray(of) &&
    of.length > 0 &&
    of.every((x) => typeof x === 'string') &&
    typeof equals === 'string' &&
    (tolerance === undefined || (typeof tolerance === 'number' && tolerance >= 0))
  );
};

type Operator = (fact: unknown, value: unknown, today: string | undefined) => boolean;

/**
 * Operators beyond json-rules-engine's built-ins: the banking set. None throws on a missing or
 * malformed fact; they answer false (or, for the presence checks, "missing"), so a rule author
 * combines them with `fieldMissing` to say what an absent field means.
 */
const OPERATORS: Record<string, Operator> = {
  /** `value: true` fires when the field is absent; `false` when present. */
  missing: (fact, value) => isMissing(fact) === value,
  /** The same as `missing`, under the name rule authors expect. */
  fieldMissing: (fact, value) => isMissing(fact) === value,
  /** `value: false` fires when a present IBAN fails mod-97; absent IBANs never fire. */
  validIban: (fact, value) => typeof fact === 'string' && fact !== '' && isValidIban(fact) === value,
  /** `value: false` fires when a present BIC is not 8 or 11 characters of the ISO 9362 shape; absent never fires. */
  validBic: (fact, value) => typeof fact === 'string' && fact !== '' && isValidBic(fact) === value,
  /** `value` is a regular expression source, matched case-insensitively. */
  matchesRegex: (fact, value) => typeof fact === 'string' && typeof value === 'string' && new RegExp(value, 'iu').test(fact),
  /** True when the ISO date lies between `value` days ago and today (the `today` fact); never for future or unreadable dates. */
  dateWithinDays: (fact, value, today) => {
    const age = daysBetween(fact, today);
    return age !== null && typeof value === 'number' && age >= 0 && age <= value;
  },
  /** True when the amount (a number or numeric string) is greater than `value`. */
  amountAbove: (fact, value) => {
    const n = numberOf(fact);
    return n !== null && typeof value === 'number' && n > value;
  },
  /** Over the whole `fields` fact: true when every field in `of` and `equals` is a number and |Σ of − equals| ≤ tolerance (default 0.01). */
  sumEquals: (fact, value) => {
    if (!isSumSpec(value) || typeof fact !== 'object' || fact === null) return false;
    const fields = fact as Record<string, unknown>;
    const parts = value.of.map((f) => numberOf(fields[f]));
    const total = numberOf(fields[value.equals]);
    if (total === null || parts.some((p) => p === null)) return false;
    const sum = parts.reduce<number>((a, b) => a + (b ?? 0), 0);
    return Math.abs(sum - total) <= (value.tolerance ?? 0.01) + 1e-9;
  },
  /** True when the classification confidence is below `value`. */
  confidenceBelow: (fact, value) => typeof fact === 'number' && typeof value === 'number' && fact < value,
};

export interface RulesFacts {
  readonly documentClass: string;
  readonly confidence: number;
  readonly fields: Readonly<Record<string, string | number>>;
  /** The evaluation date (`YYYY-MM-DD`, from the clock), for `dateWithinDays`. */
  readonly today?: string;
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
const KNOWN_FACTS = new Set(['documentClass', 'confidence', 'fields', 'today']);

/**
 * The field a `fields` path names: `$.total`, `$['total']` or `$["total"]`, or null for any other
 * JSONPath. Fields are flat (name → string or number), so one segment is all a path needs; a
 * deeper or wildcard path would hide its field from the load-time check (see `fieldReferencesOf`).
 */
export const fieldOfPath = (path: string): string | null => {
  const m = /^\$(?:\.([^.[\]\s'"]+)|\[\s*'([^']+)'\s*\]|\[\s*"([^"]+)"\s*\])$/.exec(path.trim());
  return m ? (m[1] ?? m[2] ?? m[3] ?? null) : null;
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A condition's value may name another fact (json-rules-engine compares against it): `{ fact, path? }`. */
const factReferenceOf = (value: unknown): { fact: unknown; path?: unknown } | null =>
  isRecord(value) && 'fact' in value ? { fact: value['fact'], ...('path' in value ? { path: value['path'] } : {}) } : null;

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
  if (operator === 'sumEquals' && !isSumSpec(n['value'])) {
    return `${where}.value: expected { of: [field names], equals: field name, tolerance?: number ≥ 0 }`;
  }
  if ((operator === 'dateWithinDays' || operator === 'amountAbove' || operator === 'confidenceBelow') && typeof n['value'] !== 'number') {
    return `${where}.value: expected a number`;
  }
  if (operator === 'matchesRegex') {
    try {
      new RegExp(String(value), 'iu');
    } catch {
      return `${where}.value: expected a valid regular expression`;
    }
  }
  if (!('value' in n)) return `${where}.value: expected a value`;
  const ref = factReferenceOf(value);
  if (ref && (typeof ref.fact !== 'string' || !KNOWN_FACTS.has(ref.fact))) {
    return `${where}.value.fact: expected one of ${[...KNOWN_FACTS].join(', ')}`;
  }
  return null;
};

/** The placeholders a rule message may use; `{{fields.<name>}}` stands for any field. */
const TEMPLATE_FACTS = ['documentClass', 'confidence', 'today', 'ruleId'] as const;
type TemplateFact = (typeof TEMPLATE_FACTS)[number];
const EXPECTED_PLACEHOLDERS = [...TEMPLATE_FACTS.map((f) => `{{${f}}}`), '{{fields.<name>}}'].join(', ');

type TemplatePart =
  | { readonly kind: 'text'; readonly text: string }
  | { readonly kind: 'fact'; readonly name: TemplateFact }
  | { readonly kind: 'field'; readonly name: string };

const isTemplateFact = (s: string): s is TemplateFact => (TEMPLATE_FACTS as readonly string[]).includes(s);

/** At most this much of a malformed placeholder is quoted back (it is config text, never document data). */
const QUOTE_CHARS = 24;

/**
 * Splits a message into text and placeholders (`{{ name }}`, spaces allowed inside the braces), or
 * returns what is wrong: an unknown name, or a "{{" or "}}" that does not close a placeholder.
 */
const parseTemplate = (message: string): TemplatePart[] | string => {
  const parts: TemplatePart[] = [];
  const text = (t: string): string | null => {
    const stray = /\{\{|\}\}/.exec(t);
    if (stray) {
      const quoted = t.slice(stray.index, stray.index + QUOTE_CHARS);
      return `malformed placeholder "${quoted}"; expected one of ${EXPECTED_PLACEHOLDERS}`;
    }
    if (t !== '') parts.push({ kind: 'text', text: t });
    return null;
  };
  let last = 0;
  for (const m of message.matchAll(/\{\{([^{}]*)\}\}/g)) {
    const problem = text(message.slice(last, m.index));
    if (problem) return problem;
    last = m.index + m[0].length;
    const name = (m[1] ?? '').trim();
    const field = /^fields\.([a-z][a-z0-9_]*)$/.exec(name)?.[1];
    if (field !== undefined) parts.push({ kind: 'field', name: field });
    else if (isTemplateFact(name)) parts.push({ kind: 'fact', name });
    else return `unknown placeholder "${m[0]}"; expected one of ${EXPECTED_PLACEHOLDERS}`;
  }
  const problem = text(message.slice(last));
  return problem ?? parts;
};

/** What an absent value renders as. */
const MISSING = '(missing)';

/** Fills a message's placeholders from the facts; values of sensitive fields are masked. Never throws. */
const renderTemplate = (parts: readonly TemplatePart[], ruleId: string, facts: RulesFacts, sensitive: ReadonlySet<string>): string =>
  parts
    .map((part) => {
      switch (part.kind) {
        case 'text':
          return part.text;
        case 'field': {
          const value = facts.fields[part.name];
          if (value === undefined || isMissing(value)) return MISSING;
          return sensitive.has(part.name) ? maskValue(value) : String(value);
        }
        case 'fact':
          switch (part.name) {
            case 'documentClass':
              return facts.documentClass;
            case 'confidence':
              return Number.isFinite(facts.confidence) ? facts.confidence.toFixed(2) : MISSING;
            case 'today':
              return facts.today ?? MISSING;
            case 'ruleId':
              return ruleId;
          }
      }
    })
    .join('');

/** A field a rule reads, and where in the rule it is named (`conditions.all.0.path`, `fields.1`, `message`). */
export interface FieldReference {
  /** Null for a `fields` path that names no single field (`$..total`, `$.*`): what it reads cannot be checked. */
  readonly field: string | null;
  readonly at: string;
}

/** The fields one condition tree reads: `fields` paths, fact references in values, and `sumEquals` operands. */
const conditionFields = (node: unknown, where: string, into: FieldReference[]): void => {
  if (!isRecord(node)) return;
  for (const key of ['all', 'any'] as const) {
    const list = node[key];
    if (Array.isArray(list)) list.forEach((child, i) => conditionFields(child, `${where}.${key}.${i}`, into));
  }
  if ('not' in node) conditionFields(node['not'], `${where}.not`, into);
  const { fact, path, operator, value } = node;
  const named = (p: unknown, at: string): void => {
    if (p !== undefined) into.push({ field: typeof p === 'string' ? fieldOfPath(p) : null, at });
  };
  if (fact === 'fields') named(path, `${where}.path`);
  const ref = factReferenceOf(value);
  if (ref?.fact === 'fields') named(ref.path, `${where}.value.path`);
  if (operator === 'sumEquals' && isSumSpec(value)) {
    value.of.forEach((field, j) => into.push({ field, at: `${where}.value.of.${j}` }));
    into.push({ field: value.equals, at: `${where}.value.equals` });
  }
};

/**
 * Every field a rule names, in the order an author reads the rule: its conditions, its `fields`
 * list, then its message's `{{fields.x}}` placeholders. Paths are relative to the rule. A part
 * compileRules rejects (a malformed condition or placeholder) is passed over, not reported here.
 */
export const fieldReferencesOf = (rule: RuleSpec): FieldReference[] => {
  const refs: FieldReference[] = [];
  conditionFields(rule.conditions, 'conditions', refs);
  rule.fields.forEach((field, j) => refs.push({ field, at: `fields.${j}` }));
  const template = parseTemplate(rule.message);
  if (typeof template !== 'string') {
    for (const part of template) if (part.kind === 'field') refs.push({ field: part.name, at: 'message' });
  }
  return refs;
};

export interface CompileOptions {
  /**
   * Names of the fields whose values are masked when a message shows them (see
   * `sensitiveFieldNames` in src/config/field-spec.ts). Default: none.
   */
  readonly sensitiveFields?: ReadonlySet<string>;
}

/**
 * Compiles configured rules, one json-rules-engine instance per rule, so one rule cannot hide
 * another's finding. Bad rules (conditions or message placeholders) fail here, at load, with the
 * rule id and the path; a rule that still throws at run time becomes a hold finding naming that
 * rule (never a silent pass).
 *
 * A finding's message is the rule's message with its placeholders filled in. It is for reviewers
 * and the decision record; the audit trail records reason codes only.
 */
export const compileRules = (rules: readonly RuleSpec[], options: CompileOptions = {}): CompiledRules => {
  const sensitive = options.sensitiveFields ?? new Set<string>();
  /**
   * An engine for one rule, its operators bound to an evaluation date. Engines are kept per date
   * (the last two: a batch may run across midnight), so documents evaluated concurrently never
   * share a "today" and the engines are not rebuilt per document.
   */
  const engineFor = (props: RuleProperties, today: string | undefined): Engine => {
    const engine = new Engine([], { allowUndefinedFacts: true });
    for (const [name, fn] of Object.entries(OPERATORS)) engine.addOperator(name, (fact: unknown, value: unknown) => fn(fact, value, today));
    engine.addRule(props);
    return engine;
  };
  const compiled = rules.map((rule, i) => {
    const problem = checkCondition(rule.conditions, `rules.${i}.conditions`);
    if (problem) throw new ConfigError(`rule "${rule.id}": ${problem}`);
    const template = parseTemplate(rule.message);
    if (typeof template === 'string') throw new ConfigError(`rule "${rule.id}": rules.${i}.message: ${template}`);
    const props: RuleProperties = {
      name: rule.id,
      conditions: rule.conditions as unknown as TopLevelCondition,
      event: { type: rule.outcome, params: { ruleId: rule.id } },
    };
    // Building the first engine (no date) is also the load-time check of the conditions.
    const engines = new Map<string, Engine>();
    try {
      engines.set('', engineFor(props, undefined));
    } catch (err) {
      throw new ConfigError(`rule "${rule.id}": rules.${i}.conditions: ${err instanceof Error ? err.message : 'invalid'}`);
    }
    return { rule, props, engines, template };
  });
  const engineOf = (entry: (typeof compiled)[number], today: string | undefined): Engine => {
    const key = today ?? '';
    let engine = entry.engines.get(key);
    if (!engine) {
      engine = engineFor(entry.props, today);
      entry.engines.set(key, engine);
      const oldest = entry.engines.keys().next().value;
      if (entry.engines.size > 2 && oldest !== undefined) entry.engines.delete(oldest);
    }
    return engine;
  };
  return {
    evaluate: async (facts: RulesFacts): Promise<Finding[]> => {
      const findings: Finding[] = [];
      for (const entry of compiled) {
        const { rule, template } = entry;
        if (rule.classes.length > 0 && !rule.classes.includes(facts.documentClass)) continue;
        try {
          const { events } = await engineOf(entry, facts.today).run({ ...facts, fields: { ...facts.fields } });
          if (events.length === 0) continue;
          findings.push({
            ruleId: rule.id,
            reasonCode: rule.reasonCode,
            severity: rule.outcome satisfies Severity,
            message: renderTemplate(template, rule.id, facts, sensitive),
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

export const factsOf = (fieldSet: FieldSet, confidence: number, today?: string): RulesFacts => ({
  documentClass: fieldSet.documentClass,
  confidence,
  ...(today ? { today } : {}),
  fields: Object.fromEntries(Object.entries(fieldSet.fields).map(([k, f]) => [k, f.value])),
});
