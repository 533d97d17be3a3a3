import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import { intAtLeast, integer } from '../args.js';
import { EXIT } from '../exit-codes.js';
import { rel } from '../format.js';
import { err, out } from '../io.js';
import { exitCodeOf, formatReport, type ScenarioResult } from './report.js';
import { SCENARIOS, type ScenarioOptions } from './scenarios.js';
import { runCrashScenario } from './crash.js';

export interface GamedayGlobals {
  json?: boolean;
}

interface Deps {
  readonly globals: () => GamedayGlobals;
  readonly setCode: (code: number) => void;
}

interface GamedayOptions {
  docs: number;
  seed: number;
  workDir?: string;
  keep?: boolean;
  outageSeconds: number;
  diskFullSeconds: number;
  diskFullAfterMs: number;
  trials: number;
}

/** bin/docroute.js, from dist/entrypoints/cli/gameday/index.js (or src/ under tsx). */
const BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../../bin/docroute.js');

type Runner = (opts: ScenarioOptions & { trials: number; keep: boolean }) => Promise<ScenarioResult>;

const RUNNERS: Record<string, Runner> = {
  ...SCENARIOS,
  'crash-mid-batch': (o) =>
    runCrashScenario({
      docs: o.docs,
      trials: o.trials,
      seed: o.seed,
      workDir: o.workDir,
      cli: o.cli,
      ...(o.keep ? { keep: true } : {}),
      ...(o.log ? { log: o.log } : {}),
    }),
};

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number of seconds');
  return n;
};

/**
 * `docroute gameday <scenario>`: runs a fault-injection scenario against a generated inbox with the
 * real CLI in child processes, then prints which guarantees held. Exit 0 when every check passed,
 * 7 (CHECKS_FAILED) otherwise.
 */
export const registerGamedayCommand = (program: Command, deps: Deps): Command =>
  program
    .command('gameday')
    .description('inject faults into real runs of a generated inbox and check that nothing is lost or duplicated')
    .argument('<scenario>', `one of: ${Object.keys(RUNNERS).join(', ')}`)
    .option('--docs <n>', 'documents in the generated inbox', intAtLeast('--docs', 1), 12)
    .option('--seed <s>', 'seed of the inbox and of the faults', integer, 7)
    .option('--work-dir <dir>', 'where the inbox and the data directories go (default: a temp dir, removed afterwards)')
    .option('--keep', 'keep the work dir (a temp one included) for inspection')
    .option('--outage-seconds <s>', 'classifier-outage: how long the classifier is down', seconds, 3)
    .option('--disk-full-seconds <s>', 'disk-full: how long writes fail', seconds, 2)
    .option(
      '--disk-full-after-ms <ms>',
      "disk-full: open the window this long after the pipeline's first write",
      intAtLeast('--disk-full-after-ms', 0),
      0,
    )
    .option('--trials <n>', 'crash-mid-batch: kill-and-resume trials', intAtLeast('--trials', 1), 3)
    .action(async (scenario: string, o: GamedayOptions) => {
      const runner = RUNNERS[scenario];
      if (!runner) {
        err(`docroute gameday: unknown scenario "${scenario}" (expected one of ${Object.keys(RUNNERS).join(', ')})`);
        deps.setCode(EXIT.USAGE);
        return;
      }
      const json = deps.globals().json === true;
      // A reused work dir would hold last run's inbox and data: every document a duplicate.
      if (o.workDir && (await readdir(o.workDir).catch(() => [])).length > 0) {
        err(`docroute gameday: --work-dir ${o.workDir} is not empty (give a new or empty directory)`);
        deps.setCode(EXIT.USAGE);
        return;
      }
      const workDir = o.workDir ? path.resolve(o.workDir) : await mkdtemp(path.join(tmpdir(), `docroute-gameday-${scenario}-`));
      await mkdir(workDir, { recursive: true });
      try {
        const result = await runner({
          docs: o.docs,
          seed: o.seed,
          workDir,
          cli: [process.execPath, BIN],
          outageSeconds: o.outageSeconds,
          diskFullSeconds: o.diskFullSeconds,
          diskFullAfterMs: o.diskFullAfterMs,
          trials: o.trials,
          keep: o.keep === true,
          ...(json ? {} : { log: err }),
        });
        out(json ? JSON.stringify(result, null, 2) : formatReport(result));
        deps.setCode(exitCodeOf(result));
      } finally {
        if (o.keep || o.workDir) {
          if (!json) err(`docroute gameday: work dir kept at ${rel(workDir)}`);
        } else {
          await rm(workDir, { recursive: true, force: true });
        }
      }
    });
