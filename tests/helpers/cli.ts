import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../..');
export const BIN = path.join(ROOT, 'bin', 'docroute.js');

/** The CLI runs from dist/ (what `npm ci` builds); fail loudly if it was not built. */
export const assertBuilt = (): void => {
  if (!existsSync(path.join(ROOT, 'dist', 'entrypoints', 'cli', 'main.js'))) {
    throw new Error('dist/ is missing: run `npm run build` before the e2e tests (npm test does)');
  }
};

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => {
  const e: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1', ...extra };
  delete e['DOCROUTE_CONFIG'];
  delete e['DOCROUTE_DATA_DIR'];
  return e;
};

export const cli = (args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): CliResult => {
  const r = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? ROOT,
    env: env(options.env),
    encoding: 'utf8',
    timeout: 180_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
};

export const cliAsync = (args: readonly string[], options: { cwd?: string } = {}): ChildProcess =>
  spawn(process.execPath, [BIN, ...args], { cwd: options.cwd ?? ROOT, env: env(), stdio: ['ignore', 'pipe', 'pipe'] });
