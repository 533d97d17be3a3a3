import { spawn } from 'node:child_process';
import { cpSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { idOfBytes, readDataFacts } from '../../src/entrypoints/cli/gameday/facts.js';
import { exitCodeOf, resultOf, type ScenarioResult } from '../../src/entrypoints/cli/gameday/report.js';
import { commonChecks } from '../../src/entrypoints/cli/gameday/scenarios.js';
import { assertBuilt, BIN, cli, ROOT } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * `docroute gameday` end to end: each scenario runs the built CLI against a small generated inbox,
 * must pass every check, and must really have injected its faults. A faked store with a document
 * routed twice must fail the same checks.
 */

const DOCS = '4';

const gameday = (args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
    delete env['DOCROUTE_FAULTS'];
    const child = spawn(process.execPath, [BIN, 'gameday', ...args, '--json'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });

const parse = (r: { code: number | null; stdout: string; stderr: string }): ScenarioResult => {
  let result: ScenarioResult;
  try {
    result = JSON.parse(r.stdout) as ScenarioResult;
  } catch {
    throw new Error(`gameday printed no JSON (exit ${r.code ?? 'signal'}): ${r.stderr.slice(0, 2000)}`);
  }
  const failed = result.checks.filter((c) => !c.passed);
  expect(failed, JSON.stringify(result, null, 2)).toEqual([]);
  return result;
};

describe('docroute gameday', () => {
  const work = tempDir('gameday');

  beforeAll(() => {
    assertBuilt();
  });

  describe.concurrent('scenarios', () => {
    it('throttling-storm: the retries absorb the storm; a document routed twice fails the checks', async () => {
      const dir = path.join(work, 'storm');
      const r = await gameday(['throttling-storm', '--docs', DOCS, '--seed', '3', '--work-dir', dir]);
      const result = parse(r);
      expect(r.code).toBe(EXIT.OK);
      expect(result).toMatchObject({ scenario: 'throttling-storm', passed: true });
      expect(result.numbers['throttlesInjected']).toBeGreaterThan(0);
      expect(result.numbers['throttlesRetried']).toBe(result.numbers['throttlesInjected']);
      expect(result.numbers['reRuns']).toBe(0);
      expect(result.numbers['documents']).toBe(4);

      // The negative: copy the faulted data and route one document a second time, in the store and
      // in a second folder, the way a broken pipeline would.
      const broken = path.join(dir, 'broken');
      cpSync(path.join(dir, 'faulted'), broken, { recursive: true, verbatimSymlinks: true });
      const ids = readdirSync(path.join(dir, 'inbox'))
        .sort()
        .map((n) => idOfBytes(readFileSync(path.join(dir, 'inbox', n))));
      const entry = readdirSync(path.join(broken, 'pass')).find((n) => !n.endsWith('.json'))!;
      symlinkSync(path.join(broken, 'pass', entry), path.join(broken, 'hold', entry));
      writeFileSync(path.join(broken, 'hold', `${entry}.json`), readFileSync(path.join(broken, 'pass', `${entry}.json`)));
      const db = new Database(path.join(broken, 'docroute.db'));
      db.prepare(
        `INSERT INTO audit (at, execution_id, batch_id, document_id, step, attempt, event, outcome)
         SELECT at, execution_id, batch_id, document_id, step, attempt, event, 'hold' FROM audit WHERE event = 'routed' LIMIT 1`,
      ).run();
      db.close();
      const reference = { code: EXIT.OK, stdout: '', stderr: '' };
      const checks = commonChecks(ids, { reference, ref: readDataFacts(path.join(dir, 'reference')), data: readDataFacts(broken) });
      const failedNames = checks.filter((c) => !c.passed).map((c) => c.name);
      expect(failedNames).toEqual(['nothing duplicated', "route folders byte-identical to the reference's"]);
      const verdict = resultOf('throttling-storm', checks, {});
      expect(verdict.passed).toBe(false);
      expect(exitCodeOf(verdict)).toBe(EXIT.CHECKS_FAILED);
    }, 300_000);

    it('classifier-outage: failed documents are recorded, and one re-run completes them once', async () => {
      const r = await gameday(['classifier-outage', '--docs', DOCS, '--seed', '3', '--outage-seconds', '2']);
      const result = parse(r);
      expect(r.code).toBe(EXIT.OK);
      expect(result.numbers['outageFailuresInjected']).toBeGreaterThan(0);
      // The first classify call falls in the outage and the retry policy is shorter than it.
      expect(result.numbers['faultedRunFailed']).toBeGreaterThan(0);
      expect(result.numbers['faultedRunExit']).toBe(EXIT.DOCUMENTS_FAILED);
      expect(result.numbers['reRuns']).toBe(1);
    }, 300_000);

    it('disk-full: the run fails cleanly or retries through; a re-run completes every document once', async () => {
      const r = await gameday(['disk-full', '--docs', DOCS, '--seed', '3', '--disk-full-seconds', '2']);
      const result = parse(r);
      expect(r.code).toBe(EXIT.OK);
      const evidence = [
        'storageFullInjected',
        'batchesFailedStorageFull',
        'documentsFailedStorageFull',
        'retriedAttempts',
        'unclosedAttempts',
      ].map((k) => result.numbers[k] ?? 0);
      expect(evidence.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
      expect([EXIT.OK, EXIT.DOCUMENTS_FAILED, EXIT.BATCH_FAILED]).toContain(result.numbers['faultedRunExit']);
    }, 300_000);
  });

  it('an unknown scenario is a usage error', () => {
    const r = cli(['gameday', 'meteor-strike']);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('unknown scenario "meteor-strike"');
  });

  it('an invalid DOCROUTE_FAULTS fails at start-up with exit 2, naming the path', () => {
    const inbox = tempDir('gameday-bad-faults');
    const r = cli(['run', inbox, '--data-dir', path.join(inbox, '.data')], { env: { DOCROUTE_FAULTS: '{"throttle":{"ocr":2}}' } });
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr).toContain('DOCROUTE_FAULTS: throttle.ocr');
  });
});
