import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { MemoryObjectStore, MemoryRouteSink, MemoryStore } from '../../../src/adapters/memory/memory-store.js';
import { parseConfig } from '../../../src/config/load.js';
import { createKeywordClassifier } from '../../../src/domain/keyword-classifier.js';
import { compileRules } from '../../../src/domain/validate.js';
import { createLambdaHandler } from '../../../src/entrypoints/lambda/handler-kit.js';
import { tasksOf } from '../../../src/orchestration/definition.js';
import { createTaskHandlers } from '../../../src/orchestration/tasks.js';
import { CountingLimiter, FakeImages, FakeOcr, FakePdf, fixedClock } from '../../helpers/fakes.js';

/**
 * The scheduled Monitor task: the age of the oldest held document, published by the aggregate
 * function as the EMF metric `OldestHeldAgeSeconds` that the "held too long" alarm watches.
 */

const context = { functionName: 'docroute-aggregate', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
let written: string[] = [];
const emf = () =>
  written
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((l) => '_aws' in l);

beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'docroute');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'docroute-test');
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

const handlersWith = (oldest: string | null) => {
  const loaded = parseConfig({});
  const store = new MemoryStore();
  return createTaskHandlers({
    config: loaded.config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields: new Set(),
    stepVersions: loaded.stepVersions,
    objects: new MemoryObjectStore(),
    checkpoints: store,
    audit: store,
    ledger: store,
    sink: new MemoryRouteSink(),
    pdf: new FakePdf([]),
    ocr: new FakeOcr(new Error('unused')),
    images: new FakeImages(),
    limiter: new CountingLimiter(),
    classifier: createKeywordClassifier(loaded.config.classify.classes),
    rules: compileRules(loaded.config.rules),
    notifiers: [],
    clock: fixedClock('2026-11-28T12:00:00.000Z'),
    holdQueue: { oldestHeldSince: () => Promise.resolve(oldest) },
  });
};

describe('the scheduled Monitor task', () => {
  it('publishes the age of the oldest held document as OldestHeldAgeSeconds', async () => {
    const handler = createLambdaHandler('aggregate', () => Promise.resolve(handlersWith('2026-11-28T09:00:00.000Z')));
    const result = (await handler({ task: 'Monitor', state: {} }, context)) as { oldestHeldSince: string };
    expect(result.oldestHeldSince).toBe('2026-11-28T09:00:00.000Z');
    const gauge = emf().find((l) => 'OldestHeldAgeSeconds' in l);
    expect(gauge?.['OldestHeldAgeSeconds']).toBe(3 * 3600);
    const directive = (gauge?.['_aws'] as { CloudWatchMetrics: { Namespace: string; Metrics: { Name: string; Unit: string }[] }[] })
      .CloudWatchMetrics[0];
    expect(directive?.Namespace).toBe('docroute-test');
    expect(directive?.Metrics).toEqual([{ Name: 'OldestHeldAgeSeconds', Unit: 'Seconds' }]);
    expect(gauge?.['service']).toBe('docroute');
  });

  it('reports 0 when nothing is held, and is not a state of either rendering', async () => {
    const handler = createLambdaHandler('aggregate', () => Promise.resolve(handlersWith(null)));
    await handler({ task: 'Monitor', state: {} }, context);
    expect(emf().find((l) => 'OldestHeldAgeSeconds' in l)?.['OldestHeldAgeSeconds']).toBe(0);
    expect(tasksOf('aws')).not.toContain('Monitor');
    expect(tasksOf('local')).not.toContain('Monitor');
  });
});
