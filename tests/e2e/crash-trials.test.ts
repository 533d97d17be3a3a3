import { appendFileSync, cpSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkDataDir,
  referenceOf,
  runCrashScenario,
  type CrashReference,
  type ScenarioResult,
} from '../../src/entrypoints/cli/gameday/crash.js';
import { assertBuilt, BIN } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * Crash safety, in CI: a batch of 50 documents is SIGKILLed at random points, from outside (after
 * a random number of routed documents, or a random delay) and at the named crash points
 * (DOCROUTE_FAULTS), sometimes twice; after the restart nothing is lost, nothing is routed twice,
 * the route folders are byte-identical to a clean run's, no temp file is left, every batch is
 * completed and reconciled, and the audit trail is consistent. The kill plans are seeded: a
 * failure names its trial, its kill points and its data directory, and reruns with the same seed.
 */

const DOCS = 50;
const TRIALS = 20;
// Change it to explore other kill points; a failing seed is printed with the result.
const SEED = 20261129;

const names = (r: ScenarioResult): string[] => r.checks.map((c) => c.name);
const failedChecks = (r: ScenarioResult): string[] => r.checks.filter((c) => !c.passed).map((c) => `${c.name}: ${c.detail}`);

describe('crash safety: SIGKILL trials mid-batch', () => {
  const work = tempDir('crash-trials');
  // Not passed until the scenario says so (a throwing beforeAll leaves the work dir for a look).
  let result: ScenarioResult = { scenario: 'crash-mid-batch', passed: false, checks: [], numbers: {} };

  beforeAll(async () => {
    assertBuilt();
    const lines: string[] = [];
    result = await runCrashScenario({
      docs: DOCS,
      trials: TRIALS,
      seed: SEED,
      workDir: work,
      cli: [process.execPath, BIN],
      // Two cores: two trials side by side, each a chain of child processes.
      concurrency: 2,
      log: (line) => lines.push(line),
    });
    // The numbers always (kills, kill points, routed-at-kill spread); the trial log on failure.
    console.info(`crash trials, seed ${SEED}: ${JSON.stringify(result.numbers)}`);
    if (!result.passed) console.error(`seed ${SEED}\n${lines.join('\n')}`);
  }, 900_000);

  // A failed trial's data directory is named in its check and kept for a post-mortem.
  afterAll(() => {
    if (result.passed) rmSync(work, { recursive: true, force: true });
  });

  it(`${TRIALS} trials on ${DOCS} documents: every check passes after every restart`, () => {
    expect(failedChecks(result)).toEqual([]);
    expect(result.passed).toBe(true);
    expect(names(result)).toEqual(
      expect.arrayContaining([
        'clean run',
        'batch resumed, not resubmitted',
        'no document lost',
        'none routed twice',
        'outputs identical to a clean run',
        'no temp files left',
        'batches completed and reconciled',
        'audit consistent',
        'kill mix',
      ]),
    );
    expect(result.numbers).toMatchObject({ documents: DOCS, trials: TRIALS });
  });

  it('the kills really interrupted work, at every kind of point', () => {
    const n = result.numbers;
    // Every trial was killed mid-batch at least once (a trial whose run finished first is re-rolled).
    expect(n['kills']).toBeGreaterThanOrEqual(TRIALS + (n['trials killed twice'] ?? 0));
    expect(n['trials killed twice']).toBeGreaterThan(0);
    // Runs that finished before their kill are a small minority.
    const missed = (n['re-rolled (finished before the kill)'] ?? 0) + (n['second kills missed'] ?? 0);
    expect(missed).toBeLessThanOrEqual(Math.floor(TRIALS / 5));
    // Every external kind and all four crash points were hit.
    for (const point of [
      'external-after-routed',
      'external-after-delay',
      'external-during-ingest',
      'before-checkpoint-write',
      'after-checkpoint-write',
      'mid-route',
      'after-audit-append',
    ]) {
      expect(n[`kill point: ${point}`], point).toBeGreaterThan(0);
    }
    // Early and late kills, and none after the batch was routed in full.
    expect(n['routed at kill: min']).toBeLessThan(DOCS / 2);
    expect(n['routed at kill: max']).toBeGreaterThanOrEqual(DOCS / 2);
    expect(n['routed at kill: max']).toBeLessThan(DOCS);
    // Every kill but those before the batch existed left a batch for the next run to resume.
    expect(n['resumes']).toBe((n['kills'] ?? 0) - (n['kills before the batch existed'] ?? 0));
    expect(n['resumes']).toBeGreaterThanOrEqual(TRIALS - 4);
  });

  describe('the checks fail when the outcome is wrong', () => {
    let ref: CrashReference;
    const clean = path.join(work, 'clean');
    const copy = (name: string): string => {
      const dir = path.join(work, `tampered-${name}`);
      cpSync(clean, dir, { recursive: true, verbatimSymlinks: true });
      return dir;
    };
    const verdicts = (dir: string): Record<string, boolean> =>
      Object.fromEntries(checkDataDir(dir, ref).checks.map((c) => [c.name, c.passed]));

    beforeAll(() => {
      ref = referenceOf(clean);
    });

    it('the clean run passes them all', () => {
      expect(Object.values(verdicts(clean)).every(Boolean)).toBe(true);
    });

    it('a modified route file', () => {
      const dir = copy('modified');
      const json = readdirSync(path.join(dir, 'pass')).find((n) => n.endsWith('.json'))!;
      appendFileSync(path.join(dir, 'pass', json), ' ');
      expect(verdicts(dir)).toMatchObject({
        'outputs identical to a clean run': false,
        'none routed twice': true,
        'no document lost': true,
      });
    });

    it('a document routed twice', () => {
      const dir = copy('twice');
      const db = new Database(path.join(dir, 'docroute.db'));
      const routed = db.prepare("SELECT * FROM audit WHERE event = 'routed' ORDER BY seq LIMIT 1").get() as Record<string, unknown>;
      db.prepare(
        `INSERT INTO audit (at, execution_id, batch_id, document_id, step, attempt, event, outcome)
         VALUES (@at, @execution_id, @batch_id, @document_id, @step, @attempt, @event, @outcome)`,
      ).run(routed);
      db.close();
      // ...and its entry delivered to a second folder.
      const id = String(routed['document_id']).slice(0, 12);
      const from = path.join(dir, String(routed['outcome']));
      const other = String(routed['outcome']) === 'hold' ? 'pass' : 'hold';
      const entry = readdirSync(from).find((n) => n.startsWith(id) && n.endsWith('.json'))!;
      mkdirSync(path.join(dir, other), { recursive: true });
      cpSync(path.join(from, entry), path.join(dir, other, entry));
      expect(verdicts(dir)).toMatchObject({ 'none routed twice': false, 'outputs identical to a clean run': false });
    });

    it('a leftover temp file', () => {
      const dir = copy('temp');
      writeFileSync(path.join(dir, 'objects', '.ingest-999999-0123456789ab'), '');
      expect(verdicts(dir)).toMatchObject({ 'no temp files left': false, 'none routed twice': true });
    });
  });
});
