/**
 * Bundles one Lambda function per `src/entrypoints/lambda/<fn>.handler.ts` and zips each as
 * `build/lambda/<fn>.zip` (plus `<fn>.meta.json`, esbuild's metafile: what went into the bundle).
 *
 *   tsx scripts/build-lambda.ts [--out <dir>] [--entry <name>=<file> ...]
 *
 * `--entry` replaces the handler files (tests point it at fixtures); `--out` moves the output.
 *
 * Decisions:
 * - ESM, as `index.mjs` (handler `index.handler`). The Node.js 20 runtime loads `.mjs` as an ES
 *   module, which keeps the source's semantics (import.meta, top-level await for init work) and
 *   lets esbuild tree-shake the ESM builds of Powertools and the AWS SDK. CommonJS dependencies
 *   that call `require()` for Node built-ins (aws-xray-sdk-core) get a real `require` from the
 *   banner's createRequire, because esbuild cannot turn those calls into imports.
 * - The AWS SDK is bundled, not taken from the runtime. The runtime's SDK version is whatever AWS
 *   ships that week; bundling runs the exact version our adapters and tests were written against
 *   (package-lock.json), and one minified file loads no slower than the runtime's node_modules.
 * - Minified, with a linked source map (no sources content, to keep the zip small) so that
 *   NODE_OPTIONS=--enable-source-maps gives readable stack traces.
 * - Byte-reproducible zips: output is built in memory against a fixed virtual out dir (so source
 *   map paths do not depend on --out), entries are sorted, and every entry has the same mtime
 *   (DOS timestamp only) and mode.
 * - The build fails if a bundle contains a module that must never reach Lambda (FORBIDDEN_MODULES):
 *   local adapters, the CLI, native modules, OCR and PDF rendering. Textract reads the document on
 *   AWS, so pdfjs-dist is not needed there either.
 */
import { mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { ZipFile } from 'yazl';
import { FUNCTION_NAMES } from '../src/orchestration/definition.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const HANDLER_DIR = 'src/entrypoints/lambda';
const HANDLER_SUFFIX = '.handler.ts';
const DEFAULT_OUT = 'build/lambda';
const ENTRY_FILE = 'index.mjs';
/** The DOS epoch, built from local fields: DOS timestamps are local time, so every zone agrees. */
const ZIP_MTIME = new Date(1980, 0, 1, 0, 0, 0);
const ZIP_MODE = 0o100644;

export interface ForbiddenRule {
  readonly name: string;
  readonly why: string;
  /** Matches a bundled input path (relative to the project root, `/`-separated). */
  readonly input: RegExp;
  /** Matches an import left external (a bare specifier). */
  readonly external?: RegExp;
}

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const pkg = (name: string, why: string): ForbiddenRule => ({
  name,
  why,
  input: new RegExp(`(^|/)node_modules/${escape(name)}(/|$)`),
  external: new RegExp(`^${escape(name)}(/|$)`),
});
const dir = (prefix: string, why: string): ForbiddenRule => ({ name: prefix, why, input: new RegExp(`^${escape(prefix)}`) });

export const FORBIDDEN_MODULES: readonly ForbiddenRule[] = [
  dir('src/adapters/local/', 'local adapters belong to the embedded runtime (file system, SQLite, tesseract)'),
  dir('src/orchestration/local/', 'the local engine; Step Functions runs the definition on AWS'),
  dir('src/entrypoints/cli/', 'the CLI'),
  pkg('better-sqlite3', 'native module; the AWS build uses DynamoDB'),
  pkg('sharp', 'native module; Textract reads images on AWS'),
  pkg('@img', "sharp's native binaries"),
  pkg('@napi-rs/canvas', 'native module, used only to render PDF pages for local OCR'),
  pkg('tesseract.js', 'local OCR; Textract reads the document on AWS'),
  pkg('tesseract.js-core', 'local OCR'),
  pkg('@tesseract.js-data', 'local OCR language data'),
  pkg('pdfjs-dist', 'PDF text and rendering for local OCR; Textract reads the document on AWS'),
  pkg('commander', 'the CLI'),
  pkg('aws-local-stepfunctions', 'the local engine'),
];

export interface Violation {
  readonly rule: string;
  readonly why: string;
  /** The offending module: a bundled input path or an external specifier. */
  readonly module: string;
  /** Import chain from the entry point to the module. */
  readonly via: readonly string[];
  /** How many bundled modules (or external imports) the rule matched. */
  readonly modules: number;
}

/**
 * The modules in a bundle that must never reach Lambda, each with the import chain that brought it
 * in (so the fix is obvious). Pure: reads esbuild's metafile only.
 */
export const findForbiddenModules = (metafile: Metafile, rules: readonly ForbiddenRule[] = FORBIDDEN_MODULES): Violation[] => {
  const inputs = metafile.inputs;
  const importers = new Set(Object.values(inputs).flatMap((i) => i.imports.filter((imp) => !imp.external).map((imp) => imp.path)));
  const entries = Object.keys(inputs).filter((p) => !importers.has(p));
  // Breadth-first from the entries: the first importer found gives the shortest chain.
  const parent = new Map<string, string | null>(entries.map((e) => [e, null]));
  const queue = [...entries];
  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    for (const imp of inputs[next]?.imports ?? []) {
      if (imp.external || parent.has(imp.path)) continue;
      parent.set(imp.path, next);
      queue.push(imp.path);
    }
  }
  const chain = (p: string): string[] => {
    const out: string[] = [];
    for (let at: string | null | undefined = p; at; at = parent.get(at)) out.unshift(at);
    return out;
  };

  const found: Omit<Violation, 'modules'>[] = [];
  for (const [input, meta] of Object.entries(inputs)) {
    const rule = rules.find((r) => r.input.test(input));
    if (rule) found.push({ rule: rule.name, why: rule.why, module: input, via: chain(input) });
    for (const imp of meta.imports) {
      if (!imp.external) continue;
      const ext = rules.find((r) => r.external?.test(imp.path));
      if (ext) found.push({ rule: ext.name, why: ext.why, module: imp.path, via: [...chain(input), imp.path] });
    }
  }
  // One violation per rule: where the bundle first reaches it (a package is many files).
  const byRule = new Map<string, Violation>();
  for (const v of found) {
    const seen = byRule.get(v.rule);
    const first = !seen || v.via.length < seen.via.length || (v.via.length === seen.via.length && v.module < seen.module);
    byRule.set(v.rule, { ...(first ? v : seen), modules: (seen?.modules ?? 0) + 1 });
  }
  return [...byRule.values()].sort((a, b) => (a.module < b.module ? -1 : a.module > b.module ? 1 : 0));
};

export interface LambdaEntry {
  readonly name: string;
  /** Path of the entry file, relative to the project root or absolute. */
  readonly file: string;
}

export interface BuiltLambda {
  readonly name: string;
  readonly zipPath: string;
  readonly bundleBytes: number;
  readonly zipBytes: number;
  readonly inputs: number;
  readonly violations: readonly Violation[];
}

/** The handler files, one per function; fails if they and FUNCTION_NAMES disagree. */
export const handlerEntries = async (root = ROOT): Promise<LambdaEntry[]> => {
  const files = (await readdir(path.join(root, HANDLER_DIR))).filter((f) => f.endsWith(HANDLER_SUFFIX)).sort();
  const names = files.map((f) => f.slice(0, -HANDLER_SUFFIX.length));
  const missing = FUNCTION_NAMES.filter((fn) => !names.includes(fn));
  const extra = names.filter((n) => !(FUNCTION_NAMES as readonly string[]).includes(n));
  if (missing.length || extra.length) {
    throw new Error(
      `handler files and FUNCTION_NAMES disagree: missing ${missing.join(', ') || 'none'}; no such function ${extra.join(', ') || 'none'}`,
    );
  }
  return names.map((name) => ({ name, file: path.join(HANDLER_DIR, `${name}${HANDLER_SUFFIX}`) }));
};

/** A zip of in-memory files, byte-for-byte the same for the same files. */
export const zipFiles = (files: readonly { name: string; data: Uint8Array }[]): Promise<Buffer> =>
  new Promise((resolve, reject) => {
    const zip = new ZipFile();
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (c: Buffer) => chunks.push(c));
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
    zip.outputStream.on('error', reject);
    for (const f of [...files].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      zip.addBuffer(Buffer.from(f.data), f.name, { mtime: ZIP_MTIME, mode: ZIP_MODE, compress: true, forceDosTimestamp: true });
    }
    zip.end();
  });

const bundle = async (entry: LambdaEntry, root: string) => {
  // A fixed out dir (never written to): source map paths are the same wherever --out points.
  const virtualOut = path.join(root, DEFAULT_OUT, entry.name);
  const result = await build({
    absWorkingDir: root,
    entryPoints: { index: path.resolve(root, entry.file) },
    outdir: virtualOut,
    outExtension: { '.js': '.mjs' },
    write: false,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    // Prefer packages' ESM builds: they tree-shake, and they are what the .mjs entry expects.
    mainFields: ['module', 'main'],
    minify: true,
    sourcemap: 'linked',
    sourcesContent: false,
    metafile: true,
    logLevel: 'silent',
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
  });
  const files = result.outputFiles.map((f) => ({ name: path.relative(virtualOut, f.path).split(path.sep).join('/'), data: f.contents }));
  return { files, metafile: result.metafile };
};

export interface BuildOptions {
  readonly outDir?: string;
  readonly entries?: readonly LambdaEntry[];
  readonly root?: string;
}

/**
 * Builds every entry. Zips only bundles that pass the forbidden-module check; the caller decides
 * what a violation means (the CLI exits non-zero).
 */
export const buildLambdas = async (options: BuildOptions = {}): Promise<BuiltLambda[]> => {
  const root = options.root ?? ROOT;
  const outDir = path.resolve(root, options.outDir ?? DEFAULT_OUT);
  const entries = options.entries ?? (await handlerEntries(root));
  await mkdir(outDir, { recursive: true });

  const built = await Promise.all(
    entries.map(async (entry): Promise<BuiltLambda> => {
      const { files, metafile } = await bundle(entry, root);
      const violations = findForbiddenModules(metafile);
      const zipPath = path.join(outDir, `${entry.name}.zip`);
      await writeFile(path.join(outDir, `${entry.name}.meta.json`), `${JSON.stringify(metafile, null, 1)}\n`);
      let zipBytes = 0;
      if (violations.length) {
        await rm(zipPath, { force: true });
      } else {
        const zip = await zipFiles(files);
        await writeFile(zipPath, zip);
        zipBytes = zip.length;
      }
      return {
        name: entry.name,
        zipPath,
        bundleBytes: files.find((f) => f.name === ENTRY_FILE)?.data.length ?? 0,
        zipBytes,
        inputs: Object.keys(metafile.inputs).length,
        violations,
      };
    }),
  );

  // A function that no longer exists leaves no stale zip behind. Only our own outputs (a zip with
  // its metafile) are removed, and only when building the real handler set.
  if (!options.entries) {
    const keep = new Set(built.map((b) => b.name));
    for (const f of await readdir(outDir)) {
      const name = f.endsWith('.meta.json') ? f.slice(0, -'.meta.json'.length) : undefined;
      if (name === undefined || keep.has(name)) continue;
      await rm(path.join(outDir, f));
      await rm(path.join(outDir, `${name}.zip`), { force: true });
    }
  }
  return built.sort((a, b) => a.name.localeCompare(b.name));
};

const kb = (n: number): string => `${(n / 1024).toFixed(1)} KiB`;

export const sizeTable = (built: readonly BuiltLambda[]): string => {
  const rows = [
    ['function', 'index.mjs', 'zip', 'modules'],
    ...built.map((b) => [b.name, kb(b.bundleBytes), b.violations.length ? 'FAILED' : kb(b.zipBytes), String(b.inputs)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ')).join('\n');
};

export const parseArgs = (argv: readonly string[]): { outDir?: string; entries?: LambdaEntry[] } => {
  let outDir: string | undefined;
  const entries: LambdaEntry[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if ((arg === '--out' || arg === '--entry') && value === undefined) throw new Error(`${arg} needs a value`);
    if (arg === '--out') {
      outDir = value;
      i++;
    } else if (arg === '--entry') {
      const eq = value!.indexOf('=');
      if (eq <= 0) throw new Error('--entry takes <name>=<file>');
      entries.push({ name: value!.slice(0, eq), file: value!.slice(eq + 1) });
      i++;
    } else {
      throw new Error(`unknown argument ${arg ?? ''}`);
    }
  }
  return { ...(outDir ? { outDir } : {}), ...(entries.length ? { entries } : {}) };
};

const main = async (): Promise<number> => {
  const built = await buildLambdas(parseArgs(process.argv.slice(2)));
  console.log(sizeTable(built));
  const bad = built.filter((b) => b.violations.length);
  for (const b of bad) {
    console.error(`\n${b.name}: bundles modules that must never reach Lambda:`);
    for (const v of b.violations) {
      const more = v.modules > 1 ? ` and ${v.modules - 1} more module(s) of ${v.rule}` : '';
      console.error(`  ${v.module}${more}: ${v.why}\n    via ${v.via.join(' -> ')}`);
    }
  }
  if (bad.length) {
    console.error(`\nbuild:lambda failed: ${bad.length} of ${built.length} bundles include forbidden modules`);
    return 1;
  }
  console.log(`\nwrote ${built.length} zips to ${path.relative(process.cwd(), path.dirname(built[0]?.zipPath ?? DEFAULT_OUT)) || '.'}`);
  return 0;
};

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  main().then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      console.error(err instanceof Error ? err.message : err);
      process.exitCode = 2;
    },
  );
}
