import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, normalize, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * A read-only model of the Terraform under a root folder, built by parsing every `.tf` (and
 * `*.tfvars`) file with @cdktf/hcl2json. No terraform binary runs: expressions stay strings such as
 * "${var.key_arns[\"restricted\"]}", nested blocks are arrays of objects. The helpers below read
 * what the policy checks need and never guess: a value they cannot read is reported as such.
 */

type Parse = (fileName: string, contents: string) => Promise<unknown>;

// Loaded by name, not by a static import: the package's .d.ts carries `/// <reference lib="dom" />`,
// which would pull DOM types into the whole typecheck program (scripts/make-samples.ts then fails).
const HCL2JSON: string = '@cdktf/hcl2json';
const hcl2json = (await import(HCL2JSON)) as { parse?: Parse; default?: { parse?: Parse } };
const parse: Parse =
  hcl2json.parse ??
  hcl2json.default?.parse ??
  ((): never => {
    throw new Error(`${HCL2JSON} exports no parse()`);
  });

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const TERRAFORM_ROOT = join(REPO_ROOT, 'infra', 'terraform');

export type HclValue = string | number | boolean | null | HclValue[] | HclObject;
export interface HclObject {
  [key: string]: HclValue;
}

export type BlockKind = 'resource' | 'data' | 'module' | 'variable' | 'output' | 'provider';

/** One top-level block. `module` is the folder relative to the root ('modules/storage', 'envs/prod', '.'). */
export interface Block {
  readonly kind: BlockKind;
  readonly module: string;
  readonly file: string;
  /** Resource or data source type; '' for module calls, variables and outputs; the provider name for providers. */
  readonly type: string;
  readonly name: string;
  readonly body: HclObject;
}

export interface TfModule {
  readonly path: string;
  readonly dir: string;
  /** File names (not paths) of the folder's `.tf` files. */
  readonly files: readonly string[];
  readonly blocks: readonly Block[];
  readonly locals: ReadonlyMap<string, { readonly file: string; readonly value: HclValue }>;
  /** The `terraform {}` blocks with the file they sit in. */
  readonly terraform: readonly { readonly file: string; readonly body: HclObject }[];
  /** Merged `terraform.tfvars` / `*.auto.tfvars` values (environments). */
  readonly tfvars: HclObject;
  /** The parsed JSON of each `.tf` file, by file name. */
  readonly parsed: ReadonlyMap<string, HclObject>;
}

export interface TfModel {
  readonly root: string;
  readonly modules: ReadonlyMap<string, TfModule>;
}

const isObject = (v: HclValue | undefined): v is HclObject => typeof v === 'object' && v !== null && !Array.isArray(v);

const asObject = (v: unknown): HclObject => (typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as HclObject) : {});

const listTfDirs = (root: string): Map<string, { tf: string[]; tfvars: string[] }> => {
  const out = new Map<string, { tf: string[]; tfvars: string[] }>();
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry.startsWith('.')) continue; // .terraform, .terraform.lock.hcl
      const full = join(dir, entry);
      if (statSync(full).isDirectory()) {
        walk(full);
        continue;
      }
      const isTf = entry.endsWith('.tf');
      const isVars = entry === 'terraform.tfvars' || entry.endsWith('.auto.tfvars');
      if (!isTf && !isVars) continue;
      const rel = relative(root, dir).split(sep).join('/') || '.';
      const bucket = out.get(rel) ?? { tf: [], tfvars: [] };
      (isTf ? bucket.tf : bucket.tfvars).push(entry);
      out.set(rel, bucket);
    }
  };
  walk(root);
  return out;
};

const blocksOfKind = (kind: BlockKind, module: string, file: string, section: HclValue | undefined): Block[] => {
  const out: Block[] = [];
  if (!isObject(section)) return out;
  const typed = kind === 'resource' || kind === 'data';
  for (const [first, inner] of Object.entries(section)) {
    if (typed) {
      for (const [name, bodies] of Object.entries(asObject(inner))) {
        for (const body of asArray(bodies)) out.push({ kind, module, file, type: first, name, body: asObject(body) });
      }
    } else {
      for (const body of asArray(inner)) {
        out.push({ kind, module, file, type: kind === 'provider' ? first : '', name: first, body: asObject(body) });
      }
    }
  }
  return out;
};

/** Parses one HCL text; throws with the file name on a syntax error. */
export const parseHcl = async (fileName: string, text: string): Promise<HclObject> => {
  try {
    return asObject(await parse(fileName, text));
  } catch (error) {
    throw new Error(`cannot parse ${fileName}: ${String(error)}`, { cause: error });
  }
};

/** Loads every folder with `.tf` files under `root` (default infra/terraform), merged per folder. */
export const loadModel = async (root: string = TERRAFORM_ROOT): Promise<TfModel> => {
  const modules = new Map<string, TfModule>();
  let dirs: Map<string, { tf: string[]; tfvars: string[] }>;
  try {
    dirs = listTfDirs(root);
  } catch {
    return { root, modules };
  }
  for (const [path, { tf, tfvars }] of dirs) {
    if (tf.length === 0) continue;
    const dir = path === '.' ? root : join(root, path);
    const blocks: Block[] = [];
    const locals = new Map<string, { file: string; value: HclValue }>();
    const terraform: { file: string; body: HclObject }[] = [];
    const parsed = new Map<string, HclObject>();
    for (const name of tf) {
      const file = path === '.' ? name : `${path}/${name}`;
      const json = await parseHcl(file, readFileSync(join(dir, name), 'utf8'));
      parsed.set(name, json);
      blocks.push(
        ...blocksOfKind('resource', path, file, json['resource']),
        ...blocksOfKind('data', path, file, json['data']),
        ...blocksOfKind('module', path, file, json['module']),
        ...blocksOfKind('variable', path, file, json['variable']),
        ...blocksOfKind('output', path, file, json['output']),
        ...blocksOfKind('provider', path, file, json['provider']),
      );
      for (const l of asArray(json['locals'])) for (const [k, v] of Object.entries(asObject(l))) locals.set(k, { file, value: v });
      for (const t of asArray(json['terraform'])) terraform.push({ file, body: asObject(t) });
    }
    const vars: HclObject = {};
    for (const name of tfvars) Object.assign(vars, await parseHcl(`${path}/${name}`, readFileSync(join(dir, name), 'utf8')));
    modules.set(path, { path, dir, files: tf, blocks, locals, terraform, tfvars: vars, parsed });
  }
  return { root, modules };
};

// ---------------------------------------------------------------------------------------------
// Block access

export const allBlocks = (model: TfModel): Block[] => [...model.modules.values()].flatMap((m) => m.blocks);

export const resources = (model: TfModel, type?: string): Block[] =>
  allBlocks(model).filter((b) => b.kind === 'resource' && (type === undefined || b.type === type));

export const dataSources = (model: TfModel, type?: string): Block[] =>
  allBlocks(model).filter((b) => b.kind === 'data' && (type === undefined || b.type === type));

export const moduleCalls = (model: TfModel, inModule?: string): Block[] =>
  allBlocks(model).filter((b) => b.kind === 'module' && (inModule === undefined || b.module === inModule));

export const variables = (mod: TfModule): Block[] => mod.blocks.filter((b) => b.kind === 'variable');
export const outputs = (mod: TfModule): Block[] => mod.blocks.filter((b) => b.kind === 'output');
export const providers = (mod: TfModule, name?: string): Block[] =>
  mod.blocks.filter((b) => b.kind === 'provider' && (name === undefined || b.type === name));

export const variable = (mod: TfModule, name: string): Block | undefined => variables(mod).find((b) => b.name === name);
export const output = (mod: TfModule, name: string): Block | undefined => outputs(mod).find((b) => b.name === name);

/** Folders under `modules/` and `envs/` by their short name. */
export const childModules = (model: TfModel, parent: 'modules' | 'envs'): TfModule[] =>
  [...model.modules.values()].filter((m) => m.path.startsWith(`${parent}/`) && m.path.split('/').length === 2);

/** `modules/storage/main.tf aws_s3_bucket.incoming` */
export const where = (b: Block): string => {
  switch (b.kind) {
    case 'resource':
      return `${b.file} ${b.type}.${b.name}`;
    case 'data':
      return `${b.file} data.${b.type}.${b.name}`;
    case 'module':
      return `${b.file} module.${b.name}`;
    case 'variable':
      return `${b.file} var.${b.name}`;
    case 'output':
      return `${b.file} output.${b.name}`;
    case 'provider':
      return `${b.file} provider.${b.type}`;
  }
};

/** hcl2json gives nested blocks as arrays; tolerate a single object too. */
export const asArray = (v: HclValue | undefined): HclValue[] => (v === undefined || v === null ? [] : Array.isArray(v) ? v : [v]);

/** Nested blocks by path: `nested(body, 'rule', 'apply_server_side_encryption_by_default')`. */
export const nested = (body: HclObject, ...path: string[]): HclObject[] => {
  let level: HclObject[] = [body];
  for (const key of path) level = level.flatMap((b) => asArray(b[key]).filter(isObject));
  return level;
};

/** A block's own nested blocks plus the `content` of its `dynamic "<name>"` blocks. */
export const nestedWithDynamic = (body: HclObject, name: string): { body: HclObject; dynamic: boolean }[] => [
  ...nested(body, name).map((b) => ({ body: b, dynamic: false })),
  ...nested(body, 'dynamic', name, 'content').map((b) => ({ body: b, dynamic: true })),
];

// ---------------------------------------------------------------------------------------------
// Expressions

/** The text of a value as it appears in the JSON (strings verbatim, everything else as JSON). */
export const text = (v: HclValue | undefined): string => (typeof v === 'string' ? v : v === undefined ? '' : JSON.stringify(v));

/** Every string leaf of a value, one per line: expressions keep their real quotes (unlike JSON text). */
export const source = (v: HclValue | undefined): string => {
  if (typeof v === 'string') return v;
  if (Array.isArray(v)) return v.map(source).join('\n');
  if (typeof v === 'object' && v !== null) return Object.values(v).map(source).join('\n');
  return v === undefined ? '' : String(v);
};

/** A string that is exactly one interpolation, "${...}", unwrapped; otherwise undefined. */
export const soleExpression = (v: HclValue | undefined): string | undefined => {
  if (typeof v !== 'string' || !v.startsWith('${') || !v.endsWith('}')) return undefined;
  // "${a}-${b}" is a template, not one expression: the braces must balance only at the very end.
  let depth = 0;
  for (let i = 1; i < v.length; i += 1) {
    const c = v[i];
    if (c === '{') depth += 1;
    else if (c === '}') {
      depth -= 1;
      if (depth === 0 && i !== v.length - 1) return undefined;
    }
  }
  return v.slice(2, -1).trim();
};

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Does the value mention `var.<name>` (as a whole identifier)? */
export const refsVar = (v: HclValue | undefined, name: string): boolean => new RegExp(`\\bvar\\.${escape(name)}\\b`).test(source(v));

/** Does the value mention the resource `<type>.<name>` (not a data source of the same type)? */
export const refsResource = (v: HclValue | undefined, type: string, name: string): boolean =>
  new RegExp(`(?<![.\\w])${escape(type)}\\.${escape(name)}\\b`).test(source(v));

/** Does the value mention the data source `data.<type>.<name>`? */
export const refsData = (v: HclValue | undefined, type: string, name: string): boolean =>
  new RegExp(`\\bdata\\.${escape(type)}\\.${escape(name)}\\b`).test(source(v));

const KEY_REF = /\bvar\.key_arns(?:\[\s*"([a-z_-]+)"\s*\]|\.([a-z_]+))/g;

/** The classifications of every `var.key_arns["<c>"]` / `var.key_arns.<c>` in the value. */
export const keyClassifications = (v: HclValue | undefined): string[] =>
  [...source(v).matchAll(KEY_REF)].map((m) => m[1] ?? m[2] ?? '').filter((c) => c !== '');

/** The single classification a key argument names, or undefined if it is anything else. */
export const keyClassification = (v: HclValue | undefined): string | undefined => {
  const expr = soleExpression(v);
  if (expr === undefined) return undefined;
  const m = /^var\.key_arns(?:\[\s*"([a-z_-]+)"\s*\]|\.([a-z_]+))$/.exec(expr);
  return m === null ? undefined : (m[1] ?? m[2]);
};

/** Is the value literally true (hcl2json gives `true`; a quoted "true" counts too)? */
export const isTrue = (v: HclValue | undefined): boolean => v === true || v === 'true';

/** A list of literal strings, or undefined when any element (or the whole) is an expression. */
export const literalStrings = (v: HclValue | undefined): string[] | undefined => {
  if (!Array.isArray(v)) return undefined;
  const out: string[] = [];
  for (const item of v) {
    if (typeof item !== 'string' || item.includes('${')) return undefined;
    out.push(item);
  }
  return out;
};

export type Resolved = { readonly known: true; readonly value: HclValue } | { readonly known: false; readonly expr: string };

const unknown = (expr: string): Resolved => ({ known: false, expr });

/** Walks `.a.b["c"]` into a resolved value. */
const walk = (value: HclValue, path: string, expr: string): Resolved => {
  let current: HclValue = value;
  for (const m of path.matchAll(/\.([\w-]+)|\["([^"]*)"\]|\[(\d+)\]/g)) {
    const key = m[1] ?? m[2];
    if (key !== undefined && isObject(current) && key in current) current = current[key] ?? null;
    else if (m[3] !== undefined && Array.isArray(current) && Number(m[3]) < current.length) current = current[Number(m[3])] ?? null;
    else return unknown(expr);
  }
  return { known: true, value: current };
};

/**
 * Evaluates the simplest expressions a module uses for its inputs: literals, `var.x` (from
 * tfvars, then the variable's default), `local.x`, attribute and index access on them
 * (`var.delivery_pipeline.approval_before`), and `x == null ? a : b`. Anything else is unknown.
 * With `input`, `var.x` is what that function says (a caller's argument, see `callers`).
 */
export const resolve = (mod: TfModule, v: HclValue | undefined, depth = 0, input?: (name: string) => Resolved): Resolved => {
  if (v === undefined) return unknown('');
  const expr = soleExpression(v);
  if (expr === undefined) {
    if (typeof v === 'string' && v.includes('${')) return unknown(v);
    return { known: true, value: v };
  }
  if (depth > 8) return unknown(expr);
  const ref = /^(var|local)\.([\w-]+)((?:\.[\w-]+|\["[^"]*"\]|\[\d+\])*)$/.exec(expr);
  if (ref !== null) {
    const [, kind, name = '', path = ''] = ref;
    let base: Resolved = unknown(expr);
    if (kind === 'var') {
      const decl = variable(mod, name);
      if (input !== undefined) base = input(name);
      else if (name in mod.tfvars) base = resolve(mod, mod.tfvars[name], depth + 1);
      else if (decl !== undefined && 'default' in decl.body) base = resolve(mod, decl.body['default'], depth + 1);
    } else {
      const local = mod.locals.get(name);
      if (local !== undefined) base = resolve(mod, local.value, depth + 1, input);
    }
    return base.known ? walk(base.value, path, expr) : unknown(expr);
  }
  const wrapped = /^(?:toset|tolist|distinct)\((.+)\)$/.exec(expr);
  if (wrapped !== null) return resolve(mod, `\${${wrapped[1] ?? ''}}`, depth + 1, input);
  const nullTest = /^(.+?)\s*(==|!=)\s*null\s*\?\s*(.+?)\s*:\s*(.+)$/.exec(expr);
  if (nullTest !== null) {
    const [, subject = '', op, whenTrue = '', whenFalse = ''] = nullTest;
    const s = resolve(mod, `\${${subject}}`, depth + 1, input);
    if (!s.known) return unknown(expr);
    const isNull = s.value === null;
    return resolve(mod, `\${${(op === '==') === isNull ? whenTrue : whenFalse}}`, depth + 1, input);
  }
  if (expr === 'null') return { known: true, value: null };
  if (expr === 'true' || expr === 'false') return { known: true, value: expr === 'true' };
  if (/^-?\d+(\.\d+)?$/.test(expr)) return { known: true, value: Number(expr) };
  if (/^"[^"$]*"$/.test(expr)) return { known: true, value: expr.slice(1, -1) };
  return unknown(expr);
};

// ---------------------------------------------------------------------------------------------
// Instances (count / for_each)

/** One instance of a resource: for_each keys expanded where the collection is readable. */
export interface Instance {
  readonly block: Block;
  /** The for_each key, or undefined for a single instance (or an unreadable for_each). */
  readonly key: string | undefined;
  /** `aws_s3_bucket.kms["incoming"]` */
  readonly address: string;
  /** The body with `each.key` / `each.value[.attr]` replaced by the instance's literals. */
  readonly body: HclObject;
}

const hclString = (s: string): string => JSON.stringify(s);

const substituteEach = (body: HclObject, key: string, value: HclValue): HclObject => {
  const json = JSON.stringify(body);
  // Inside the JSON text, HCL's quotes are escaped: "${var.key_arns[each.value.classification]}".
  const quoted = (s: string): string => JSON.stringify(hclString(s)).slice(1, -1);
  const replaced = json
    .replace(/\beach\.value\.([\w-]+)\b/g, (whole, attr: string) => {
      const v = isObject(value) ? value[attr] : undefined;
      return typeof v === 'string' ? quoted(v) : whole;
    })
    .replace(/\beach\.key\b/g, quoted(key))
    .replace(/\beach\.value\b(?!\.)/g, (whole) => (typeof value === 'string' ? quoted(value) : whole));
  return JSON.parse(replaced) as HclObject;
};

/** The instances of a resource or data source, expanding a for_each whose collection resolves. */
export const instances = (model: TfModel, block: Block): Instance[] => {
  const base = `${block.kind === 'data' ? 'data.' : ''}${block.type}.${block.name}`;
  const single: Instance[] = [{ block, key: undefined, address: base, body: block.body }];
  const forEach = block.body['for_each'];
  if (forEach === undefined) return single;
  const mod = model.modules.get(block.module);
  const expr = soleExpression(forEach) ?? '';
  const inner = /^toset\((.+)\)$/.exec(expr)?.[1] ?? expr;
  const collection = mod === undefined ? unknown(expr) : resolve(mod, `\${${inner}}`);
  if (!collection.known) return single;
  const entries: [string, HclValue][] = Array.isArray(collection.value)
    ? collection.value.filter((x): x is string => typeof x === 'string').map((x) => [x, x])
    : isObject(collection.value)
      ? Object.entries(collection.value)
      : [];
  if (entries.length === 0) return single;
  return entries.map(([key, value]) => ({
    block,
    key,
    address: `${base}[${hclString(key)}]`,
    body: substituteEach(block.body, key, value),
  }));
};

/** Does the value refer to this instance (`aws_s3_bucket.kms["incoming"]`, or `aws_s3_bucket.logs`)? */
export const refsInstance = (v: HclValue | undefined, inst: Instance): boolean => {
  const t = source(v);
  const { type, name } = inst.block;
  if (inst.key === undefined) return refsResource(v, type, name);
  return (
    t.includes(`${type}.${name}[${hclString(inst.key)}]`) || new RegExp(`(?<![.\\w])${escape(type)}\\.${escape(name)}(?![\\w\\[])`).test(t)
  );
};

/**
 * The text of the arguments of the first call of `fn(...)` inside an expression, split at
 * top-level commas; undefined when the expression does not call it.
 */
export const callArguments = (v: HclValue | undefined, fn: string): string[] | undefined => {
  const s = text(v);
  const start = new RegExp(`\\b${escape(fn)}\\(`).exec(s);
  if (start === null) return undefined;
  const args: string[] = [];
  let depth = 0;
  let quoted = false;
  let current = '';
  for (let i = start.index + start[0].length; i < s.length; i += 1) {
    const c = s[i] ?? '';
    if (quoted) {
      current += c;
      if (c === '\\') {
        current += s[i + 1] ?? '';
        i += 1;
      } else if (c === '"') quoted = false;
      continue;
    }
    if (c === '"') quoted = true;
    if ('([{'.includes(c)) depth += 1;
    if (')]}'.includes(c)) {
      if (depth === 0) {
        args.push(current.trim());
        return args;
      }
      depth -= 1;
    }
    if (c === ',' && depth === 0) {
      args.push(current.trim());
      current = '';
      continue;
    }
    current += c;
  }
  return undefined;
};

/**
 * Reads an HCL expression that is an object or tuple literal (for example the argument of
 * `jsonencode(...)` or `templatefile(..., {...})`) by parsing it as an attribute value.
 * Returns undefined when it is not a literal hcl2json can read.
 */
export const readLiteral = async (expression: string): Promise<HclValue | undefined> => {
  try {
    const json = await parse('expression.tf', `value = ${expression}\n`);
    const value = asObject(json)['value'];
    if (typeof value === 'string' && soleExpression(value) !== undefined) return undefined;
    return value;
  } catch {
    return undefined;
  }
};

// ---------------------------------------------------------------------------------------------
// Evaluation of collections: for_each, dynamic blocks, for expressions, locals maps
//
// Policy documents may be data-driven: `for_each = toset(var.functions)` on the data source, and
// `dynamic "statement" { for_each = concat(local.common[each.key], local.extra[each.key]) ... }`
// over locals that are literal maps, `{ for fn in var.functions : fn => [...] }` expressions and
// `cond ? [...] : []`. `evaluate` reads that much of HCL and nothing more: any other function,
// operator or reference makes the result unknown, and the caller reports it. Values that are not
// collections (ARNs built from resources, `var.x`, ...) stay as their expression text, as
// everywhere else in this model, with the iterators in them replaced by their values.
//
// A conditional whose condition depends on module inputs (`var.` or `local.`) contributes both
// branches (the policy is checked for every configuration); one that depends only on literals and
// iterators (`each.key == "classify"`) takes its branch. A for expression's `if` filter likewise
// keeps an element unless it is decidedly false.

/** The module folder a module call's `source` points at, relative to the model root. */
export const calledModulePath = (call: Block): string | undefined => {
  const src = call.body['source'];
  if (typeof src !== 'string' || !src.startsWith('.')) return undefined;
  return normalize(join(call.module, src)).split(sep).join('/');
};

/** Where a module's variables get their values. */
export interface Caller {
  /** `envs/prod module.pipeline`, or `the defaults of modules/x` when nobody calls it. */
  readonly label: string;
  readonly input: (name: string) => Resolved;
}

/**
 * Each instantiated call of the module (its argument, else the variable's tfvars or default); a
 * call whose `count` resolves to 0 is skipped. A module nobody instantiates reads its own
 * tfvars and defaults.
 */
export const callers = (model: TfModel, mod: TfModule): Caller[] => {
  const own = (name: string): Resolved => resolve(mod, `\${var.${name}}`);
  const out: Caller[] = [];
  for (const call of allBlocks(model).filter((b) => b.kind === 'module' && calledModulePath(b) === mod.path)) {
    const env = model.modules.get(call.module);
    if (env === undefined) continue;
    if (call.body['count'] !== undefined) {
      const count = resolve(env, call.body['count']);
      if (count.known && count.value === 0) continue;
    }
    out.push({
      label: `${call.module} module.${call.name}`,
      input: (name) => (call.body[name] !== undefined ? resolve(env, call.body[name]) : own(name)),
    });
  }
  return out.length > 0 ? out : [{ label: `the defaults of ${mod.path === '.' ? 'the root module' : mod.path}`, input: own }];
};

export type Evaluated =
  | { readonly known: true; readonly value: HclValue }
  | {
      readonly known: false;
      readonly expr: string;
      readonly reason: string;
      /** A missing attribute, key or element of a known value (what `try`/`lookup` fall back on). */
      readonly missing?: boolean;
    };

export interface EvalContext {
  readonly model: TfModel;
  readonly mod: TfModule;
  readonly caller: Caller;
  /** Iterators in scope: `each`, a dynamic block's iterator ({ key, value }), a for expression's names. */
  readonly scope: ReadonlyMap<string, HclValue>;
  readonly depth: number;
  /** Evaluated locals and parsed literals, shared by every context derived from one root. */
  readonly cache: Map<string, Promise<Evaluated>>;
}

export const evalContext = (model: TfModel, mod: TfModule, caller: Caller): EvalContext => ({
  model,
  mod,
  caller,
  scope: new Map(),
  depth: 0,
  cache: new Map(),
});

const withScope = (ctx: EvalContext, bindings: Readonly<Record<string, HclValue>>): EvalContext => ({
  ...ctx,
  scope: new Map([...ctx.scope, ...Object.entries(bindings)]),
  depth: ctx.depth + 1,
});

const deeper = (ctx: EvalContext): EvalContext => ({ ...ctx, depth: ctx.depth + 1 });
const unscoped = (ctx: EvalContext): EvalContext => ({ ...ctx, scope: new Map(), depth: ctx.depth + 1 });

const known = (value: HclValue): Evaluated => ({ known: true, value });
const cannot = (expr: string, reason: string, missing = false): Evaluated => ({ known: false, expr, reason, missing });

interface Layout {
  /** Bracket depth of each character of code; -1 inside string literals and comments. */
  readonly depth: readonly number[];
  /** Is the character code (not string text, not a comment)? Interpolations inside strings are code. */
  readonly code: readonly boolean[];
  /** A heredoc, or unbalanced brackets or quotes: nothing is read from such text. */
  readonly broken: boolean;
}

/** The structure of an expression's source (`template`: the text is a string's content, e.g. a leaf value). */
const layout = (src: string, template = false): Layout => {
  const depth = new Array<number>(src.length).fill(-1);
  const code = new Array<boolean>(src.length).fill(false);
  // Frames: brackets; '"' a quoted string; 'T' the template the whole text is; '${' an interpolation.
  const stack: string[] = template ? ['T'] : [];
  const inString = (): boolean => stack.some((f) => f === '"' || f === 'T');
  const brackets = (): number => stack.filter((f) => f === '(' || f === '[' || f === '{').length;
  let i = 0;
  while (i < src.length) {
    const c = src[i] ?? '';
    const next = src[i + 1] ?? '';
    const top = stack.at(-1);
    if (top === '"' || top === 'T') {
      if (c === '\\' && top === '"') i += 2;
      else if ((c === '$' || c === '%') && next === c && src[i + 2] === '{')
        i += 3; // $${ is a literal ${
      else if ((c === '$' || c === '%') && next === '{') {
        stack.push('${');
        i += 2;
      } else {
        if (c === '"' && top === '"') stack.pop();
        i += 1;
      }
      continue;
    }
    if (c === '#' || (c === '/' && next === '/')) {
      while (i < src.length && src[i] !== '\n') i += 1;
      continue;
    }
    if (c === '/' && next === '*') {
      const end = src.indexOf('*/', i + 2);
      if (end < 0) return { depth, code, broken: true };
      i = end + 2;
      continue;
    }
    if (c === '<' && next === '<') return { depth, code, broken: true }; // heredoc
    if (c === '"') {
      stack.push('"');
      i += 1;
      continue;
    }
    code[i] = true;
    if (c === '(' || c === '[' || c === '{') {
      depth[i] = inString() ? -1 : brackets();
      stack.push(c);
    } else if (c === ')' || c === ']' || c === '}') {
      const open = stack.pop();
      const matches = open === '${' ? c === '}' : open !== undefined && '([{'.indexOf(open) === ')]}'.indexOf(c);
      if (!matches) return { depth, code, broken: true };
      depth[i] = inString() ? -1 : brackets();
    } else depth[i] = inString() ? -1 : brackets();
    i += 1;
  }
  return { depth, code, broken: stack.length !== (template ? 1 : 0) };
};

const atTop = (lay: Layout, i: number): boolean => lay.code[i] === true && lay.depth[i] === 0;

/** Is the whole text one group `open … close` (nothing outside it)? */
const enclosed = (src: string, lay: Layout, open: string, close: string): boolean => {
  if (src.length < 2 || src[0] !== open || src[src.length - 1] !== close) return false;
  if (!atTop(lay, 0) || !atTop(lay, src.length - 1)) return false;
  for (let i = 1; i < src.length - 1; i += 1) if (atTop(lay, i)) return false;
  return true;
};

/** Top-level indices where `token` starts. */
const topLevel = (src: string, lay: Layout, token: string): number[] => {
  const out: number[] = [];
  for (let i = 0; i + token.length <= src.length; i += 1) {
    if (atTop(lay, i) && src.startsWith(token, i)) out.push(i);
  }
  return out;
};

/** Splits at top-level commas (a trailing comma gives no empty last part). */
const splitTopLevel = (src: string): string[] | undefined => {
  const lay = layout(src);
  if (lay.broken) return undefined;
  const parts: string[] = [];
  let last = 0;
  for (const i of topLevel(src, lay, ',')) {
    parts.push(src.slice(last, i).trim());
    last = i + 1;
  }
  const rest = src.slice(last).trim();
  if (rest !== '') parts.push(rest);
  return parts;
};

/** `cond ? a : b` at the top level, split; undefined when the text is not a conditional. */
const splitConditional = (src: string, lay: Layout): [string, string, string] | undefined => {
  const q = topLevel(src, lay, '?')[0];
  if (q === undefined) return undefined;
  let nested = 0;
  for (let i = q + 1; i < src.length; i += 1) {
    if (!atTop(lay, i)) continue;
    if (src[i] === '?') nested += 1;
    else if (src[i] === ':') {
      if (nested === 0) return [src.slice(0, q).trim(), src.slice(q + 1, i).trim(), src.slice(i + 1).trim()];
      nested -= 1;
    }
  }
  return undefined;
};

type Step = { readonly attr: string } | { readonly index: string };

const IDENT = /^[A-Za-z_][\w-]*/;

/** `root.a["b"][0][expr]` as its root and steps; undefined when the text is anything else. */
const parseReference = (src: string): { root: string; steps: Step[] } | undefined => {
  const root = IDENT.exec(src)?.[0];
  if (root === undefined) return undefined;
  const lay = layout(src);
  if (lay.broken) return undefined;
  const steps: Step[] = [];
  let i = root.length;
  while (i < src.length) {
    if (src[i] === '.') {
      const attr = /^[\w-]+/.exec(src.slice(i + 1))?.[0];
      if (attr === undefined) return undefined;
      steps.push({ attr });
      i += 1 + attr.length;
    } else if (src[i] === '[') {
      let j = i + 1;
      while (j < src.length && !(src[j] === ']' && lay.code[j] === true && lay.depth[j] === lay.depth[i])) j += 1;
      if (j >= src.length) return undefined;
      steps.push({ index: src.slice(i + 1, j).trim() });
      i = j + 1;
    } else return undefined;
  }
  return { root, steps };
};

const isScalar = (v: HclValue): v is string | number | boolean | null => v === null || typeof v !== 'object';

const parsedLiteral = (ctx: EvalContext, src: string): Promise<Evaluated> => {
  const key = `literal:${src}`;
  let hit = ctx.cache.get(key);
  if (hit === undefined) {
    hit = readLiteral(src).then((v) => (v === undefined ? cannot(src, 'not a literal hcl2json can read') : known(v)));
    ctx.cache.set(key, hit);
  }
  return hit;
};

/** A value that must be a collection: an expression string is evaluated first. */
const materialize = async (ctx: EvalContext, v: HclValue): Promise<Evaluated> => {
  const expr = soleExpression(v);
  return expr === undefined ? known(v) : evaluate(unscoped(ctx), expr);
};

/** The entries a for_each or for expression iterates: [index, element] of a list, [key, value] of a map. */
export const collectionEntries = async (ctx: EvalContext, v: HclValue): Promise<{ entries: [HclValue, HclValue][] } | Evaluated> => {
  const m = await materialize(ctx, v);
  if (!m.known) return m;
  if (Array.isArray(m.value)) return { entries: m.value.map((x, i): [HclValue, HclValue] => [i, x]) };
  if (isObject(m.value)) return { entries: Object.entries(m.value) };
  return cannot(text(v), 'not a list or map');
};

const evalLocal = (ctx: EvalContext, name: string): Promise<Evaluated> => {
  const key = `local:${name}`;
  let hit = ctx.cache.get(key);
  if (hit === undefined) {
    const local = ctx.mod.locals.get(name);
    hit =
      local === undefined
        ? Promise.resolve(cannot(`local.${name}`, `${ctx.mod.path} has no local ${name}`, true))
        : evaluateValue(unscoped(ctx), local.value);
    ctx.cache.set(key, hit);
  }
  return hit;
};

const evalReference = async (ctx: EvalContext, src: string, ref: { root: string; steps: Step[] }): Promise<Evaluated> => {
  const steps = [...ref.steps];
  let current: Evaluated;
  if (ctx.scope.has(ref.root)) current = known(ctx.scope.get(ref.root) ?? null);
  else if (ref.root === 'local' || ref.root === 'var') {
    const first = steps.shift();
    if (first === undefined || !('attr' in first)) return cannot(src, `${ref.root} without a name`);
    if (ref.root === 'local') current = await evalLocal(ctx, first.attr);
    else {
      const r = ctx.caller.input(first.attr);
      current = r.known ? known(r.value) : cannot(src, `var.${first.attr} cannot be read for ${ctx.caller.label}`);
    }
  } else if (ref.root === 'each') return cannot(src, 'each is unknown: the block has no readable for_each');
  else return cannot(src, `${ref.root}.… is not evaluated here`);
  for (const step of steps) {
    if (!current.known) return current;
    const container = await materialize(ctx, current.value);
    if (!container.known) return container;
    let key: HclValue;
    if ('attr' in step) key = step.attr;
    else {
      const k = await evaluate(deeper(ctx), step.index);
      if (!k.known) return k;
      key = k.value;
    }
    const c = container.value;
    if (isObject(c) && (typeof key === 'string' || typeof key === 'number')) {
      current =
        String(key) in c ? known(c[String(key)] ?? null) : cannot(src, `no ${JSON.stringify(key)} in ${text(c).slice(0, 60)}`, true);
    } else if (Array.isArray(c) && typeof key !== 'object' && Number.isInteger(Number(key))) {
      const n = Number(key);
      current = n >= 0 && n < c.length ? known(c[n] ?? null) : cannot(src, `no element ${n}`, true);
    } else return cannot(src, `cannot index ${text(c).slice(0, 60)} with ${JSON.stringify(key)}`);
  }
  return current;
};

/** Decides a condition: true/false, or undefined when it depends on module inputs or cannot be read. */
const decide = async (ctx: EvalContext, cond: string): Promise<boolean | undefined> => {
  const lay = layout(cond);
  if (lay.broken) return undefined;
  for (const m of cond.matchAll(/(?<![\w.])(?:var|local)\./g)) if (lay.code[m.index] === true) return undefined;
  const r = await evaluate(deeper(ctx), cond);
  return r.known && typeof r.value === 'boolean' ? r.value : undefined;
};

/** Both branches of an undecided conditional: lists concatenated, maps merged. */
const union = (src: string, a: HclValue, b: HclValue): Evaluated => {
  if (a === null) return known(b);
  if (b === null) return known(a);
  if (Array.isArray(a) && Array.isArray(b)) return known([...a, ...b]);
  if (isObject(a) && isObject(b) && Object.keys(a).every((k) => !(k in b))) return known({ ...a, ...b });
  return cannot(src, 'an undecided conditional whose branches cannot be combined');
};

const evalFor = async (ctx: EvalContext, src: string, objectForm: boolean): Promise<Evaluated> => {
  const inner = src.slice(1, -1).trim();
  const head = /^for\s+([A-Za-z_][\w-]*)(?:\s*,\s*([A-Za-z_][\w-]*))?\s+in\s+/.exec(inner);
  if (head === null) return cannot(src, 'not a for expression');
  const rest = inner.slice(head[0].length);
  const restLayout = layout(rest);
  const colon = topLevel(rest, restLayout, ':')[0];
  if (restLayout.broken || colon === undefined) return cannot(src, 'cannot read the for expression');
  let body = rest.slice(colon + 1);
  const bodyLayout = layout(body);
  const ifAt = [...body.matchAll(/(?<=\s)if(?=[\s(])/g)].map((m) => m.index).find((i) => atTop(bodyLayout, i));
  const filter = ifAt === undefined ? undefined : body.slice(ifAt + 2).trim();
  if (ifAt !== undefined) body = body.slice(0, ifAt);
  let keyExpr = '';
  if (objectForm) {
    const arrow = topLevel(body, layout(body), '=>')[0];
    if (arrow === undefined) return cannot(src, 'no => in the for expression');
    keyExpr = body.slice(0, arrow).trim();
    body = body.slice(arrow + 2);
  }
  const valueExpr = body.trim();
  if (valueExpr.endsWith('...')) return cannot(src, 'grouping (...) is not evaluated here');
  const coll = await evaluate(deeper(ctx), rest.slice(0, colon).trim());
  if (!coll.known) return coll;
  const listed = await collectionEntries(ctx, coll.value);
  if (!('entries' in listed)) return listed;
  const [first = '', second] = [head[1], head[2]];
  const list: HclValue[] = [];
  const map: HclObject = {};
  for (const [k, v] of listed.entries) {
    const scoped = withScope(ctx, second === undefined ? { [first]: v } : { [first]: k, [second]: v });
    if (filter !== undefined && (await decide(scoped, filter)) === false) continue;
    const value = await evaluate(scoped, valueExpr);
    if (!value.known) return value;
    if (!objectForm) {
      list.push(value.value);
      continue;
    }
    const key = await evaluate(scoped, keyExpr);
    if (!key.known) return key;
    if (typeof key.value !== 'string' && typeof key.value !== 'number') return cannot(src, `key ${text(key.value)} is not a string`);
    if (String(key.value) in map) return cannot(src, `duplicate key ${String(key.value)}`);
    map[String(key.value)] = value.value;
  }
  return known(objectForm ? map : list);
};

const evalCall = async (ctx: EvalContext, src: string, name: string, args: string[]): Promise<Evaluated> => {
  const c = deeper(ctx);
  switch (name) {
    case 'concat': {
      const out: HclValue[] = [];
      for (const a of args) {
        const r = await evaluate(c, a);
        if (!r.known) return r;
        const list = await materialize(c, r.value);
        if (!list.known) return list;
        if (!Array.isArray(list.value)) return cannot(src, `concat of ${a}, which is not a list`);
        out.push(...list.value);
      }
      return known(out);
    }
    case 'tolist':
    case 'toset': {
      if (args.length !== 1) return cannot(src, `${name} takes one argument`);
      const r = await evaluate(c, args[0] ?? '');
      if (!r.known) return r;
      const list = await materialize(c, r.value);
      if (!list.known) return list;
      if (!Array.isArray(list.value)) return cannot(src, `${name} of a value that is not a list`);
      if (name === 'tolist') return list;
      if (!list.value.every(isScalar)) return cannot(src, 'toset of values that are not strings');
      return known([...new Set(list.value.map((x) => String(x)))]);
    }
    case 'lookup': {
      if (args.length < 2 || args.length > 3) return cannot(src, 'lookup takes two or three arguments');
      const [mapArg = '', keyArg = '', fallback] = args;
      const m = await evaluate(c, mapArg);
      if (!m.known) return m;
      const obj = await materialize(c, m.value);
      const key = await evaluate(c, keyArg);
      if (!obj.known) return obj;
      if (!key.known) return key;
      if (!isObject(obj.value) || typeof key.value !== 'string') return cannot(src, 'lookup on something that is not a map');
      if (key.value in obj.value) return known(obj.value[key.value] ?? null);
      return fallback === undefined ? cannot(src, `no ${key.value} and no default`, true) : evaluate(c, fallback);
    }
    case 'try': {
      for (const a of args) {
        const r = await evaluate(c, a);
        if (r.known) return r;
        if (r.missing !== true) return r; // not an error Terraform would catch: we cannot tell
      }
      return cannot(src, 'every argument of try fails', true);
    }
    default:
      return cannot(src, `function ${name}() is not evaluated here`);
  }
};

/**
 * Evaluates an expression's source text (without `${ }`). Known results may hold expression
 * strings as leaves (an ARN, `var.x`); collections are evaluated as far as the grammar above goes.
 */
export const evaluate = async (ctx: EvalContext, source: string): Promise<Evaluated> => {
  const src = source.trim();
  if (ctx.depth > 48) return cannot(src, 'nested too deeply');
  if (src === '') return cannot(src, 'empty expression');
  const lay = layout(src);
  if (lay.broken) return cannot(src, 'unbalanced brackets, quotes or a heredoc');
  if (enclosed(src, lay, '(', ')')) return evaluate(deeper(ctx), src.slice(1, -1));
  const conditional = splitConditional(src, lay);
  if (conditional !== undefined) {
    const [cond, whenTrue, whenFalse] = conditional;
    const decided = await decide(ctx, cond);
    if (decided !== undefined) return evaluate(deeper(ctx), decided ? whenTrue : whenFalse);
    const a = await evaluate(deeper(ctx), whenTrue);
    if (!a.known) return a;
    const b = await evaluate(deeper(ctx), whenFalse);
    if (!b.known) return b;
    const [ma, mb] = [await materialize(ctx, a.value), await materialize(ctx, b.value)];
    if (!ma.known) return ma;
    if (!mb.known) return mb;
    return union(src, ma.value, mb.value);
  }
  for (const op of ['==', '!=']) {
    const at = topLevel(src, lay, op).find((i) => !'=!<>'.includes(src[i - 1] ?? '') && src[i + 2] !== '=');
    if (at === undefined) continue;
    const [l, r] = [await evaluate(deeper(ctx), src.slice(0, at)), await evaluate(deeper(ctx), src.slice(at + 2))];
    if (!l.known) return l;
    if (!r.known) return r;
    if (!isScalar(l.value) || !isScalar(r.value) || soleExpression(l.value) !== undefined || soleExpression(r.value) !== undefined)
      return cannot(src, 'a comparison of values that are not literals');
    return known((l.value === r.value) === (op === '=='));
  }
  for (const [open, close] of [
    ['[', ']'],
    ['{', '}'],
  ] as const) {
    if (!enclosed(src, lay, open, close)) continue;
    if (/^for\s/.test(src.slice(1).trim())) return evalFor(ctx, src, open === '{');
    const literal = await parsedLiteral(ctx, src);
    return literal.known ? bindValue(ctx, literal.value) : literal;
  }
  const call = /^([a-z_]\w*)\(/.exec(src);
  if (call !== null && enclosed(src.slice(call[1]?.length ?? 0), layout(src.slice(call[1]?.length ?? 0)), '(', ')')) {
    const args = splitTopLevel(src.slice((call[1]?.length ?? 0) + 1, -1));
    return args === undefined ? cannot(src, 'cannot split the arguments') : evalCall(ctx, src, call[1] ?? '', args);
  }
  const ref = parseReference(src);
  if (ref !== undefined && !['null', 'true', 'false'].includes(src)) return evalReference(ctx, src, ref);
  if (src === 'null') return known(null);
  if (src === 'true' || src === 'false') return known(src === 'true');
  if (/^-?\d+(\.\d+)?$/.test(src)) return known(Number(src));
  if (/^"(?:[^"\\$%]|\\.|[$%](?!\{))*"$/.test(src)) {
    try {
      return known(JSON.parse(src) as string);
    } catch {
      return cannot(src, 'a string literal with escapes JSON does not share');
    }
  }
  return cannot(src, 'an expression this model does not evaluate');
};

/** A scope iterator's reference inside text: `each.key`, `statement.value.sid`, `fn`. */
interface ScopeRef {
  readonly start: number;
  readonly end: number;
  readonly root: string;
  readonly steps: readonly string[];
}

const scopeRefs = (s: string, lay: Layout, scope: ReadonlyMap<string, HclValue>): ScopeRef[] => {
  const out: ScopeRef[] = [];
  for (let i = 0; i < s.length; i += 1) {
    if (lay.code[i] !== true || /[\w.]/.test(s[i - 1] ?? '')) continue;
    const root = IDENT.exec(s.slice(i))?.[0];
    if (root === undefined) continue;
    if (!scope.has(root)) {
      i += root.length - 1;
      continue;
    }
    const steps: string[] = [];
    let end = i + root.length;
    for (;;) {
      const m = /^(?:\.([\w-]+)|\["([^"\\$%]*)"\]|\[(\d+)\])/.exec(s.slice(end));
      if (m === null) break;
      steps.push(m[1] ?? m[2] ?? m[3] ?? '');
      end += m[0].length;
    }
    out.push({ start: i, end, root, steps });
    i = end - 1;
  }
  return out;
};

/**
 * A leaf string with the iterators in scope applied: a whole `${...}` is evaluated where it can be
 * (`${statement.value.actions}` → the list); otherwise each iterator reference that is a single
 * value is written in as a literal (`${aws_sqs_queue.dlq[fn].arn}` → `${aws_sqs_queue.dlq["notify"].arn}`).
 */
const bindLeaf = async (ctx: EvalContext, s: string): Promise<Evaluated> => {
  if (!s.includes('${') && !s.includes('%{')) return known(s);
  const lay = layout(s, true);
  if (lay.broken) return cannot(s, 'unbalanced interpolation');
  const refs = scopeRefs(s, lay, ctx.scope);
  if (refs.length === 0) return known(s);
  const sole = soleExpression(s);
  if (sole !== undefined) {
    const r = await evaluate(deeper(ctx), sole);
    if (r.known) return r;
  }
  let out = '';
  let last = 0;
  for (const ref of refs) {
    let v: HclValue = ctx.scope.get(ref.root) ?? null;
    for (const step of ref.steps) {
      if (isObject(v) && step in v) v = v[step] ?? null;
      else if (Array.isArray(v) && /^\d+$/.test(step) && Number(step) < v.length) v = v[Number(step)] ?? null;
      else return cannot(s, `${s.slice(ref.start, ref.end)} does not exist`, true);
    }
    if (!isScalar(v) || (typeof v === 'string' && (v.includes('${') || v.includes('%{'))))
      return cannot(s, `${s.slice(ref.start, ref.end)} is ${text(v).slice(0, 60)}, not a single literal value`);
    out += s.slice(last, ref.start) + (typeof v === 'string' ? JSON.stringify(v) : String(v));
    last = ref.end;
  }
  out += s.slice(last);
  return known(out.replace(/\$\{"([^"\\$%{}]*)"\}/g, '$1'));
};

/** A literal structure with the iterators in scope applied to its leaves. */
const bindValue = async (ctx: EvalContext, v: HclValue): Promise<Evaluated> => {
  if (ctx.scope.size === 0) return known(v);
  if (typeof v === 'string') return bindLeaf(ctx, v);
  if (Array.isArray(v)) {
    const out: HclValue[] = [];
    for (const x of v) {
      const r = await bindValue(ctx, x);
      if (!r.known) return r;
      out.push(r.value);
    }
    return known(out);
  }
  if (isObject(v)) {
    const out: HclObject = {};
    for (const [k, x] of Object.entries(v)) {
      const r = await bindValue(ctx, x);
      if (!r.known) return r;
      out[k] = r.value;
    }
    return known(out);
  }
  return known(v);
};

/** An attribute value as written (a `${...}` string, a template or a literal structure), evaluated. */
export const evaluateValue = async (ctx: EvalContext, v: HclValue | undefined): Promise<Evaluated> => {
  if (v === undefined) return cannot('', 'no value');
  const expr = soleExpression(v);
  return expr === undefined ? bindValue(ctx, v) : evaluate(ctx, expr);
};

export interface Unreadable {
  /** Where in the block: `dynamic "statement"`, `dynamic "statement"[3] > dynamic "condition"`, `statement[0] > sid`. */
  readonly path: string;
  readonly expr: string;
  readonly reason: string;
}

const META = new Set(['for_each', 'count', 'depends_on', 'provider', 'lifecycle']);

/**
 * A block body with its `dynamic` blocks expanded (their content once per element, the iterator
 * bound) and the iterators in scope applied to every attribute. Static nested blocks come first,
 * then the dynamic ones in order. What cannot be evaluated is left out and listed.
 */
export const expandBlock = async (
  ctx: EvalContext,
  body: HclObject,
  path = '',
  top = true,
): Promise<{ body: HclObject; unreadable: Unreadable[] }> => {
  const out: HclObject = {};
  const unreadable: Unreadable[] = [];
  const at = (s: string): string => (path === '' ? s : `${path} > ${s}`);
  for (const [k, v] of Object.entries(body)) {
    if (k === 'dynamic' || (top && META.has(k))) continue;
    if (Array.isArray(v) && v.length > 0 && v.every(isObject)) {
      const blocks: HclValue[] = [];
      for (const [i, b] of v.entries()) {
        const r = await expandBlock(ctx, b, at(`${k}[${i}]`), false);
        blocks.push(r.body);
        unreadable.push(...r.unreadable);
      }
      out[k] = blocks;
      continue;
    }
    const r = await bindValue(ctx, v);
    if (!r.known) unreadable.push({ path: at(k), expr: text(v), reason: r.reason });
    else if (r.value !== null) out[k] = r.value;
  }
  const dynamic = body['dynamic'];
  for (const [label, blocks] of Object.entries(isObject(dynamic) ? dynamic : {})) {
    for (const dyn of asArray(blocks).filter(isObject)) {
      const iterator = soleExpression(dyn['iterator']) ?? (typeof dyn['iterator'] === 'string' ? dyn['iterator'] : label);
      const where = at(`dynamic "${label}"`);
      const coll = await evaluateValue(ctx, dyn['for_each']);
      const listed = coll.known ? await collectionEntries(ctx, coll.value) : coll;
      if (!('entries' in listed)) {
        unreadable.push({ path: where, expr: text(dyn['for_each']), reason: listed.known ? 'not a collection' : listed.reason });
        continue;
      }
      const expanded = asArray(out[label]);
      for (const [i, [key, value]] of listed.entries.entries()) {
        for (const content of nested(dyn, 'content')) {
          const r = await expandBlock(withScope(ctx, { [iterator]: { key, value } }), content, `${where}[${i}]`, false);
          expanded.push(r.body);
          unreadable.push(...r.unreadable);
        }
      }
      out[label] = expanded;
    }
  }
  return { body: out, unreadable };
};

/** One instance of a block for a caller: its for_each key (undefined without for_each) and scope. */
export interface Expanded {
  readonly key: string | undefined;
  /** `data.aws_iam_policy_document.fn["ingest"]` */
  readonly address: string;
  readonly ctx: EvalContext;
}

/**
 * The instances of a block as one caller configures it, with `each` in scope. An unreadable
 * for_each gives the unexpanded block (its `each` references stay unresolved) and the reason.
 */
export const expandInstances = async (ctx: EvalContext, block: Block): Promise<{ instances: Expanded[]; unreadable?: Unreadable }> => {
  const base = `${block.kind === 'data' ? 'data.' : ''}${block.type}.${block.name}`;
  const forEach = block.body['for_each'];
  if (forEach === undefined) return { instances: [{ key: undefined, address: base, ctx }] };
  const coll = await evaluateValue(ctx, forEach);
  const listed = coll.known ? await collectionEntries(ctx, coll.value) : coll;
  const unexpanded = (reason: string): { instances: Expanded[]; unreadable: Unreadable } => ({
    instances: [{ key: undefined, address: base, ctx }],
    unreadable: { path: 'for_each', expr: text(forEach), reason },
  });
  if (!('entries' in listed)) return unexpanded(listed.known ? 'not a collection' : listed.reason);
  const instances: Expanded[] = [];
  for (const [k, v] of listed.entries) {
    // A set of strings: each.key = each.value = the element; a map: its key and value.
    const key = typeof k === 'number' ? v : k;
    if (typeof key !== 'string') return unexpanded(`for_each element ${text(key)} is not a string`);
    instances.push({ key, address: `${base}[${hclString(key)}]`, ctx: withScope(ctx, { each: { key, value: v } }) });
  }
  return { instances };
};
