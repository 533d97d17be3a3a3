import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { inflateRawSync } from 'node:zlib';
import type { Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FUNCTION_NAMES } from '../../src/orchestration/definition.js';
import { buildLambdas, findForbiddenModules } from '../../scripts/build-lambda.js';

/**
 * `npm run build:lambda`: one reproducible zip per function, each an ES module bundle that loads
 * on plain Node, and a build that refuses bundles reaching local-only modules.
 */

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const TSX = path.join(ROOT, 'node_modules', '.bin', 'tsx');
const run = promisify(execFile);

const tmp = mkdtempSync(path.join(os.tmpdir(), 'docroute-build-lambda-'));
const first = path.join(tmp, 'first');
// At another depth: nothing in a zip may depend on where it was written.
const second = path.join(tmp, 'nested', 'deeper', 'second');
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const buildCli = (args: string[]) =>
  run(TSX, ['scripts/build-lambda.ts', ...args], { cwd: ROOT }).then(
    ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
    (err: unknown) => {
      const e = err as { code?: number; stdout?: string; stderr?: string };
      return { code: e.code ?? -1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
    },
  );

interface ZipEntry {
  readonly name: string;
  readonly mode: number;
  readonly dosTime: number;
  readonly dosDate: number;
  readonly data: Buffer;
}

/** Reads a zip's central directory and inflates each entry (no zip reader is a dependency). */
const readZip = (zip: Buffer): ZipEntry[] => {
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  expect(eocd).toBeGreaterThanOrEqual(0);
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const method = zip.readUInt16LE(at + 10);
    const dosTime = zip.readUInt16LE(at + 12);
    const dosDate = zip.readUInt16LE(at + 14);
    const compressed = zip.readUInt32LE(at + 20);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const commentLength = zip.readUInt16LE(at + 32);
    const mode = zip.readUInt32LE(at + 38) >>> 16;
    const local = zip.readUInt32LE(at + 42);
    const name = zip.toString('utf8', at + 46, at + 46 + nameLength);
    const start = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    const raw = zip.subarray(start, start + compressed);
    entries.push({ name, mode, dosTime, dosDate, data: method === 8 ? inflateRawSync(raw) : Buffer.from(raw) });
    at += 46 + nameLength + extraLength + commentLength;
  }
  return entries;
};

let cli: Awaited<ReturnType<typeof buildCli>>;
beforeAll(async () => {
  cli = await buildCli(['--out', first]);
  // The second build goes through the exported function, to a different directory.
  await buildLambdas({ outDir: second });
});

describe('build:lambda', () => {
  it('succeeds and prints a size table with every function', () => {
    expect(cli.stderr).toBe('');
    expect(cli.code).toBe(0);
    for (const fn of FUNCTION_NAMES) expect(cli.stdout).toMatch(new RegExp(`^${fn}\\s+[\\d.]+ KiB\\s+[\\d.]+ KiB`, 'm'));
  });

  it('writes one zip and one metafile per function, nothing else', () => {
    const files = readdirSync(first).sort();
    expect(files).toEqual(FUNCTION_NAMES.flatMap((fn) => [`${fn}.meta.json`, `${fn}.zip`]).sort());
  });

  it.each(FUNCTION_NAMES)('%s.zip holds index.mjs and its source map, with a fixed mtime and mode', (fn) => {
    const entries = readZip(readFileSync(path.join(first, `${fn}.zip`)));
    expect(entries.map((e) => e.name)).toEqual(['index.mjs', 'index.mjs.map']);
    for (const e of entries) {
      expect(e.mode).toBe(0o100644);
      expect(e.dosDate).toBe((0 << 9) | (1 << 5) | 1); // 1980-01-01
      expect(e.dosTime).toBe(0);
    }
    const index = entries[0]!.data.toString('utf8');
    // The banner that gives bundled CommonJS a real `require` in an ES module.
    expect(index.startsWith("import { createRequire as __createRequire } from 'node:module';")).toBe(true);
    expect(index).toContain('//# sourceMappingURL=index.mjs.map');
    const map = JSON.parse(entries[1]!.data.toString('utf8')) as { sources: string[]; sourcesContent?: unknown };
    expect(map.sources).toContain(`../../../src/entrypoints/lambda/${fn}.handler.ts`);
    expect(map.sourcesContent).toBeUndefined();
  });

  it('no bundle holds a forbidden module', () => {
    for (const fn of FUNCTION_NAMES) {
      const meta = JSON.parse(readFileSync(path.join(first, `${fn}.meta.json`), 'utf8')) as Metafile;
      expect(Object.keys(meta.inputs)).toContain(`src/entrypoints/lambda/${fn}.handler.ts`);
      expect(findForbiddenModules(meta), fn).toEqual([]);
    }
  });

  it('two builds are byte-identical, wherever they are written', () => {
    for (const fn of FUNCTION_NAMES) {
      expect(readFileSync(path.join(second, `${fn}.zip`)).equals(readFileSync(path.join(first, `${fn}.zip`))), fn).toBe(true);
    }
  });

  it('the bundle loads as an ES module on plain Node and answers with taxonomy error names', async () => {
    const fn = FUNCTION_NAMES[0]!;
    const dir = path.join(tmp, 'unzipped');
    mkdirSync(dir, { recursive: true });
    for (const e of readZip(readFileSync(path.join(first, `${fn}.zip`)))) writeFileSync(path.join(dir, e.name), e.data);
    const probe = [
      "const { handler } = await import('./index.mjs');",
      "const outcome = await handler({ task: 'NoSuchTask', state: {} }, { awsRequestId: 'r' }).then(() => 'resolved', (e) => e.name);",
      "process.stderr.write(JSON.stringify({ outcome }) + '\\n');",
    ].join('\n');
    const { stderr } = await run(process.execPath, ['--input-type=module', '-e', probe], {
      cwd: dir,
      env: { PATH: process.env['PATH'] ?? '', POWERTOOLS_METRICS_NAMESPACE: 'docroute-test' },
    });
    expect(stderr.trim().split('\n').at(-1)).toBe(JSON.stringify({ outcome: 'InvalidStepInputError' }));
  });
});

describe('the forbidden-module check', () => {
  it('fails a build whose entry reaches a local adapter or the CLI, and names the import chain', async () => {
    const out = path.join(tmp, 'bad');
    const entry = 'tests/fixtures/lambda/forbidden.handler.ts';
    const bad = await buildCli(['--out', out, '--entry', `bad=${entry}`]);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('src/adapters/local/system-clock.ts');
    expect(bad.stderr).toContain(`via ${entry} -> src/adapters/local/system-clock.ts`);
    expect(bad.stderr).toMatch(/node_modules\/commander\//);
    expect(bad.stderr).toContain('build:lambda failed');
    expect(existsSync(path.join(out, 'bad.zip'))).toBe(false);
    expect(existsSync(path.join(out, 'bad.meta.json'))).toBe(true);
  });

  it('matches packages at any depth and imports left external, and passes clean inputs', () => {
    const meta: Metafile = {
      inputs: {
        'src/entrypoints/lambda/x.handler.ts': {
          bytes: 1,
          imports: [
            { path: 'src/entrypoints/lambda/handler-kit.ts', kind: 'import-statement' },
            { path: 'node_modules/foo/index.js', kind: 'import-statement' },
            { path: 'better-sqlite3', kind: 'import-statement', external: true },
            { path: 'node:fs', kind: 'import-statement', external: true },
          ],
        },
        'src/entrypoints/lambda/handler-kit.ts': { bytes: 1, imports: [] },
        'node_modules/foo/index.js': {
          bytes: 1,
          imports: [{ path: 'node_modules/foo/node_modules/sharp/lib/index.js', kind: 'require-call' }],
        },
        'node_modules/foo/node_modules/sharp/lib/index.js': { bytes: 1, imports: [] },
        'node_modules/sharpen/index.js': { bytes: 1, imports: [] },
        'node_modules/pdfjs-dist-not/index.js': { bytes: 1, imports: [] },
      },
      outputs: {},
    };
    const found = findForbiddenModules(meta);
    expect(found.map((v) => [v.rule, v.module])).toEqual([
      ['better-sqlite3', 'better-sqlite3'],
      ['sharp', 'node_modules/foo/node_modules/sharp/lib/index.js'],
    ]);
    expect(found[1]?.via).toEqual([
      'src/entrypoints/lambda/x.handler.ts',
      'node_modules/foo/index.js',
      'node_modules/foo/node_modules/sharp/lib/index.js',
    ]);
  });
});
