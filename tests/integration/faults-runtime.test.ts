import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { TASK_NAMES } from '../../src/orchestration/definition.js';
import type { OcrEngine, OcrResult } from '../../src/ports/ocr-engine.js';
import { fakePng, tempDir } from '../helpers/docs.js';
import { FakeImages } from '../helpers/fakes.js';

/**
 * Fault injection wired by openRuntime: the config's `faults:` section or DOCROUTE_FAULTS (which
 * wins) reaches the ports the task handlers call; with neither, the adapters are called as they are.
 */

const noWait = Object.fromEntries(TASK_NAMES.map((n) => [n, 0]));
const TEXT = 'RECEIPT\nBlue Door Cafe\nDate: 2026-10-14\nTOTAL 14.50\nCASH 20.00\nCHANGE 5.50\nThank you for your visit!';

const countingOcr = (): OcrEngine & { calls: number } => {
  const engine = {
    name: 'counting',
    calls: 0,
    recognize(): Promise<OcrResult> {
      engine.calls += 1;
      return Promise.resolve({ text: TEXT, confidence: 0.93, width: 600, height: 1100, lines: [] });
    },
    close: () => Promise.resolve(),
  };
  return engine;
};

let runtime: Runtime | null = null;
afterEach(async () => {
  await runtime?.close();
  runtime = null;
  vi.unstubAllEnvs();
});

const runOne = async (ocr: OcrEngine, faults?: unknown) => {
  const dir = tempDir('faults-runtime');
  const inbox = path.join(dir, 'inbox');
  mkdirSync(inbox);
  writeFileSync(path.join(inbox, 'receipt.png'), fakePng('receipt-faults'));
  const loaded = parseConfig({ dataDir: path.join(dir, 'data'), engine: { retry: { maxAttempts: 2 } }, ...(faults ? { faults } : {}) });
  runtime = await openRuntime(loaded, { ocr, images: new FakeImages(), retryIntervalOverrides: noWait });
  const { files } = await listInbox([inbox]);
  const run = (await runtime.runFiles(files, 'test'))!;
  const outcomes = await runtime.store.batchOutcomes(run.batchId);
  return { run, outcomes };
};

describe('fault injection in the runtime', () => {
  it('off: the OCR adapter is called and the document routes', async () => {
    vi.stubEnv('DOCROUTE_FAULTS', '');
    const ocr = countingOcr();
    const { run } = await runOne(ocr);
    expect(run.summary).toMatchObject({ received: 1, pass: 1, failed: 0 });
    expect(ocr.calls).toBe(1);
  });

  it('config faults: every OCR call throttled; retries run out and the document fails, the adapter never reached', async () => {
    vi.stubEnv('DOCROUTE_FAULTS', '');
    const ocr = countingOcr();
    const { run, outcomes } = await runOne(ocr, { seed: 1, throttle: { ocr: 1 } });
    expect(run.summary).toMatchObject({ received: 1, pass: 0, failed: 1 });
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', errorName: 'ThrottledError' });
    expect(ocr.calls).toBe(0);
  });

  it('DOCROUTE_FAULTS wins over the config section', async () => {
    vi.stubEnv('DOCROUTE_FAULTS', '{"timeout":{"ocr":1}}');
    const { outcomes } = await runOne(countingOcr(), { throttle: { ocr: 1 } });
    expect(outcomes[0]).toMatchObject({ outcome: 'failed', errorName: 'StepTimeoutError' });
  });

  it('an invalid DOCROUTE_FAULTS fails openRuntime with a ConfigError naming the path', async () => {
    vi.stubEnv('DOCROUTE_FAULTS', '{"outage":{"ocr":{"forMs":-1}}}');
    await expect(runOne(countingOcr())).rejects.toMatchObject({
      name: 'ConfigError',
      message: expect.stringContaining('outage.ocr.forMs') as unknown,
    });
  });
});
