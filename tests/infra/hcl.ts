import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
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
 */
export const resolve = (mod: TfModule, v: HclValue | undefined, depth = 0): Resolved => {
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
      if (name in mod.tfvars) base = resolve(mod, mod.tfvars[name], depth + 1);
      else if (decl !== undefined && 'default' in decl.body) base = resolve(mod, decl.body['default'], depth + 1);
    } else {
      const local = mod.locals.get(name);
      if (local !== undefined) base = resolve(mod, local.value, depth + 1);
    }
    return base.known ? walk(base.value, path, expr) : unknown(expr);
  }
  const wrapped = /^(?:toset|tolist|distinct)\((.+)\)$/.exec(expr);
  if (wrapped !== null) return resolve(mod, `\${${wrapped[1] ?? ''}}`, depth + 1);
  const nullTest = /^(.+?)\s*(==|!=)\s*null\s*\?\s*(.+?)\s*:\s*(.+)$/.exec(expr);
  if (nullTest !== null) {
    const [, subject = '', op, whenTrue = '', whenFalse = ''] = nullTest;
    const s = resolve(mod, `\${${subject}}`, depth + 1);
    if (!s.known) return unknown(expr);
    const isNull = s.value === null;
    return resolve(mod, `\${${(op === '==') === isNull ? whenTrue : whenFalse}}`, depth + 1);
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
