import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import type { z } from 'zod';
import { OUTCOMES } from '../domain/document.js';
import { ConfigError } from '../domain/errors.js';
import { compileRules, fieldReferencesOf } from '../domain/validate.js';
import { DEFAULT_CLASSES, DEFAULT_FIELDS, DEFAULT_RULES } from './defaults.js';
import { sensitiveFieldNames } from './field-spec.js';
import { ConfigSchema, type Config, type FieldSpec, type RuleSpec } from './schema.js';

export const CONFIG_FILE_NAME = 'docroute.config.yaml';

export interface LoadedConfig {
  readonly config: Config;
  /** Where it came from: a file path, or "built-in defaults". */
  readonly source: string;
  /** Hash of everything that changes a document's result (classes, fields, rules, limits, extraction). */
  readonly version: string;
  /** Hash of the rules alone: the ruleset version recorded with every decision. */
  readonly rulesetVersion: string;
  /**
   * Per-step versions: each hashes the config its step reads plus the version of the step before.
   * Checkpoints are keyed by them, so a rule change re-runs Validate but never re-OCRs.
   */
  readonly stepVersions: StepVersions;
}

export interface StepVersions {
  readonly extract: string;
  readonly classify: string;
  readonly extractFields: string;
  readonly validate: string;
}

/** Turns zod issues into one readable paragraph: path, then what was expected. Never echoes values. */
const describeIssues = (issues: readonly z.core.$ZodIssue[]): string =>
  issues
    .slice(0, 8)
    .map((i) => {
      const where = i.path.length ? i.path.map(String).join('.') : '(top level)';
      let what: string = i.message;
      if (i.code === 'invalid_type') what = `expected ${i.expected}`;
      else if (i.code === 'unrecognized_keys') what = `unknown key(s) ${i.keys.map((k) => `"${k}"`).join(', ')}`;
      else if (i.code === 'invalid_value') what = `expected one of ${i.values.map((v) => JSON.stringify(v)).join(', ')}`;
      return `${where}: ${what}`;
    })
    .join('; ') + (issues.length > 8 ? `; and ${issues.length - 8} more` : '');

const canonical = (value: unknown): string =>
  JSON.stringify(value, (_k, v: unknown) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );

const hash = (...parts: unknown[]): string => createHash('sha256').update(canonical(parts)).digest('hex').slice(0, 16);

/**
 * `classifierVersion` is what the config cannot show: the content version of a local model file.
 * The runtime passes it once it has loaded the model.
 */
export const stepVersionsOf = (config: Config, classifierVersion = '', extractor?: string): StepVersions => {
  // Worker counts, timeouts and rate limits change how fast, not what the step produces.
  const { workers: _w, timeoutMs: _t, ...ocr } = config.extract.ocr;
  const { rateLimit: _r, ...extractConfig } = config.extract;
  // `extractor` names an extraction service that replaces the local one (Textract on AWS): then the
  // local OCR settings do not shape the result, the service and its mapping version do.
  const extract = extractor
    ? hash('extract/2', config.limits, { extractor, fields: analysisQueryConfig(config) })
    : hash('extract/2', config.limits, { ...extractConfig, ocr });
  // Thresholds and prices do not change what the classifier answers; they are read later.
  const { minConfidence, thresholds, prices: _p, ...classifyConfig } = config.classify;
  const classify = hash('classify/2', extract, classifyConfig, classifierVersion);
  const extractFields = hash('fields/1', classify, config.fields);
  const validate = hash('validate/2', extractFields, config.rules, minConfidence, thresholds);
  return { extract, classify, extractFields, validate };
};

/** The field questions an analysis service is asked (Textract QUERIES): they change what Extract returns there. */
const analysisQueryConfig = (config: Config): [string, string][] =>
  Object.values(config.fields)
    .flat()
    .flatMap((f) => (f.query ? [[f.name, f.query] as [string, string]] : []))
    .sort(([a], [b]) => a.localeCompare(b));

/** The ruleset's version: a hash of the rules as loaded (defaults filled in). */
export const rulesetVersionOf = (rules: Config['rules']): string => hash('ruleset/1', rules);

export const configVersionOf = (config: Config): string => {
  const relevant = {
    limits: config.limits,
    extract: config.extract,
    classify: config.classify,
    fields: config.fields,
    rules: config.rules,
  };
  return createHash('sha256').update(canonical(relevant)).digest('hex').slice(0, 16);
};

/**
 * Every class a rule names must be one of `classNames`. Throws a ConfigError
 * `rules.<i>.classes: unknown class "memo" (rule "r1"); expected one of ...` (callers prefix the source).
 */
export const checkRuleClasses = (rules: readonly RuleSpec[], classNames: readonly string[]): void => {
  const known = new Set(classNames);
  for (const [i, rule] of rules.entries()) {
    for (const c of rule.classes) {
      if (!known.has(c)) {
        throw new ConfigError(`rules.${i}.classes: unknown class "${c}" (rule "${rule.id}"); expected one of ${classNames.join(', ')}`);
      }
    }
  }
};

/**
 * Every field a rule reads (condition paths, `sumEquals` operands, its `fields` list and the
 * `{{fields.x}}` placeholders of its message) must be defined in `fields` for at least one of the
 * rule's classes, or of any class in `classNames` when the rule names none. A field no class
 * extracts is a typo or a missing field spec: the rule would read it as absent on every document.
 * A `fields` path must name its field (`$.total`, `$['total']`), so that it can be checked.
 * Throws a ConfigError `rules.<i>.<path>: unknown field "totl" (rule "id"); fields of invoice: ...`
 * (callers prefix the source).
 */
export const checkRuleFields = (
  rules: readonly RuleSpec[],
  fields: Readonly<Record<string, readonly FieldSpec[]>>,
  classNames: readonly string[] = Object.keys(fields),
): void => {
  for (const [i, rule] of rules.entries()) {
    const classes = rule.classes.length > 0 ? rule.classes : classNames;
    const namesOf = (c: string): string[] => (fields[c] ?? []).map((f) => f.name);
    const known = new Set(classes.flatMap(namesOf));
    for (const { field, at } of fieldReferencesOf(rule)) {
      if (field === null) {
        throw new ConfigError(`rules.${i}.${at}: expected a field path like "$.total" or "$['total']" (rule "${rule.id}")`);
      }
      if (!known.has(field)) {
        const listed = classes.map((c) => `${c}: ${namesOf(c).join(', ') || 'none'}`);
        throw new ConfigError(
          `rules.${i}.${at}: unknown field "${field}" (rule "${rule.id}"); fields of ${listed.join('; ') || 'no class'}`,
        );
      }
    }
  }
};

/** Validates a parsed object (from YAML or code) into a complete Config. */
export const parseConfig = (raw: unknown, source = 'built-in defaults'): LoadedConfig => {
  const result = ConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    throw new ConfigError(`Invalid configuration in ${source}: ${describeIssues(result.error.issues)}.`);
  }
  const parsed = result.data;
  const config: Config = {
    ...parsed,
    classify: { ...parsed.classify, classes: parsed.classify.classes ?? DEFAULT_CLASSES },
    fields: parsed.fields ?? DEFAULT_FIELDS,
    rules: parsed.rules ?? DEFAULT_RULES,
  };
  const ids = new Set<string>();
  for (const rule of config.rules) {
    if (ids.has(rule.id)) throw new ConfigError(`Invalid configuration in ${source}: rules: duplicate rule id "${rule.id}".`);
    ids.add(rule.id);
  }
  const classNames = config.classify.classes.map((c) => c.name);
  try {
    checkRuleClasses(config.rules, classNames);
    // Conditions and message placeholders first: the field check reads a well-formed rule.
    compileRules(config.rules, { sensitiveFields: sensitiveFieldNames(config.fields) });
    checkRuleFields(config.rules, config.fields, classNames);
  } catch (err) {
    if (err instanceof ConfigError) throw new ConfigError(`Invalid configuration in ${source}: ${err.message}.`);
    throw err;
  }
  return {
    config,
    source,
    version: configVersionOf(config),
    rulesetVersion: rulesetVersionOf(config.rules),
    stepVersions: stepVersionsOf(config),
  };
};

export interface LoadOptions {
  /** Explicit path (from --config). */
  readonly file?: string | undefined;
  readonly cwd?: string;
  /** Overrides the configured data directory (from --data-dir). */
  readonly dataDir?: string | undefined;
  readonly env?: NodeJS.ProcessEnv;
}

/** Parses YAML; a syntax error becomes a ConfigError "<what> is not valid YAML at line L, column C." */
export const parseYamlText = (text: string, what: string): unknown => {
  try {
    return parseYaml(text);
  } catch (err) {
    const where = err instanceof YAMLParseError && err.linePos ? ` at line ${err.linePos[0].line}, column ${err.linePos[0].col}` : '';
    throw new ConfigError(`${what} is not valid YAML${where}.`);
  }
};

/**
 * Route folders from a config file are relative to that file, like dataDir. The three outcomes
 * must not share a folder: entries are named by document, so withdrawing a superseded entry from a
 * shared folder would delete the current one.
 */
const resolveRouteFolders = (route: Config['route'], fileDir: string, dataDir: string, source: string): Config['route'] => {
  const destinations = Object.fromEntries(
    OUTCOMES.map((o) => {
      const d = route.destinations[o];
      return [o, d.folder ? { ...d, folder: path.resolve(fileDir, d.folder) } : d];
    }),
  ) as Config['route']['destinations'];
  const seen = new Map<string, string>();
  for (const o of OUTCOMES) {
    const folder = destinations[o].folder ?? path.join(dataDir, o);
    const other = seen.get(folder);
    if (other)
      throw new ConfigError(
        `Invalid configuration in ${source}: route.destinations.${o}.folder: the ${o} and ${other} routes share the folder ${folder}; give each outcome its own.`,
      );
    seen.set(folder, o);
  }
  return { ...route, destinations };
};

/**
 * Finds and loads the config: --config, else $DOCROUTE_CONFIG, else ./docroute.config.yaml, else the
 * built-in defaults. A relative `dataDir` or `classify.local.model` from a config file is resolved
 * against that file's folder; --data-dir, $DOCROUTE_DATA_DIR and the default against the current directory.
 */
export const loadConfig = (options: LoadOptions = {}): LoadedConfig => {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const explicit = options.file ?? env['DOCROUTE_CONFIG'];
  const candidate = explicit ? path.resolve(cwd, explicit) : path.join(cwd, CONFIG_FILE_NAME);
  let loaded: LoadedConfig;
  if (existsSync(candidate)) {
    let text: string;
    try {
      text = readFileSync(candidate, 'utf8');
    } catch (err) {
      throw new ConfigError(`Cannot read configuration file ${candidate}: ${(err as NodeJS.ErrnoException).code ?? 'read error'}.`);
    }
    loaded = parseConfig(parseYamlText(text, `Configuration file ${candidate}`), candidate);
  } else if (explicit) {
    throw new ConfigError(`Configuration file ${candidate} does not exist.`);
  } else {
    loaded = parseConfig({});
  }
  const dataDir = options.dataDir ?? env['DOCROUTE_DATA_DIR'] ?? loaded.config.dataDir;
  const fileDir = path.isAbsolute(loaded.source) ? path.dirname(loaded.source) : cwd;
  const base = !options.dataDir && !env['DOCROUTE_DATA_DIR'] ? fileDir : cwd;
  const { classify } = loaded.config;
  return {
    ...loaded,
    config: {
      ...loaded.config,
      dataDir: path.resolve(base, dataDir),
      // A model file named in a config file is relative to that file, like dataDir.
      classify: classify.local
        ? { ...classify, local: { ...classify.local, model: path.resolve(fileDir, classify.local.model) } }
        : classify,
      route: resolveRouteFolders(loaded.config.route, fileDir, path.resolve(base, dataDir), loaded.source),
    },
  };
};
