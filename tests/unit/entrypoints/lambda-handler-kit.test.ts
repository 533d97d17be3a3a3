import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  ConfigError,
  DependencyUnavailableError,
  InternalError,
  InvalidStepInputError,
  ThrottledError,
} from '../../../src/domain/errors.js';
import { FUNCTION_NAMES, TASK_FUNCTIONS, TASK_NAMES, type FunctionName, type TaskName } from '../../../src/orchestration/definition.js';
import type { TaskHandler } from '../../../src/orchestration/tasks.js';
import {
  createLambdaHandler,
  type HandlerLoader,
  type LambdaHandlerOptions,
  type TaskHandlers,
} from '../../../src/entrypoints/lambda/handler-kit.js';

/**
 * The Lambda handler kit: envelope checks, one handler load per container, taxonomy errors out,
 * and Powertools output (JSON log lines and EMF metrics on stdout) that carries ids and names but
 * never state, results or the messages of unknown errors.
 */

const SECRET = 'IBAN DE89 3704 0044 0532 0130 00 secret-payload';
const DOC_ID = 'ab'.repeat(32);
const NAMESPACE = 'docroute-test';

const itemState = (extra: Record<string, unknown> = {}) => ({
  batchId: 'b-20261129-0001',
  executionId: 'arn:aws:states:eu-west-1:000000000000:execution:docroute:run-1',
  document: { documentId: DOC_ID, name: `${SECRET}.pdf`, size: 10 },
  notes: SECRET,
  ...extra,
});

/** The fields a handler reads; the deprecated callback-style methods are left out. */
const context = (): Context =>
  ({
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'docroute-extract',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:docroute-extract',
    memoryLimitInMB: '1024',
    awsRequestId: 'req-1',
    logGroupName: '/aws/lambda/docroute-extract',
    logStreamName: 'stream',
    getRemainingTimeInMillis: () => 60_000,
  }) as Partial<Context> as Context;

/** Everything Powertools printed: it writes JSON lines to process.stdout (not the global console). */
let written: string[] = [];
const lines = (): Record<string, unknown>[] =>
  written
    .join('')
    .split('\n')
    .filter((l) => l.trim().startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);
const logLines = () => lines().filter((l) => !('_aws' in l) && typeof l['message'] === 'string');
const emfLines = () => lines().filter((l) => '_aws' in l);

beforeEach(() => {
  written = [];
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    written.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
    return true;
  });
  // A clean, non-Lambda environment: Powertools reads these when the utilities are constructed.
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'docroute');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', NAMESPACE);
  vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'false');
  vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'INFO');
  vi.stubEnv('AWS_LAMBDA_LOG_LEVEL', '');
  vi.stubEnv('LOG_LEVEL', '');
  vi.stubEnv('AWS_EXECUTION_ENV', '');
  vi.stubEnv('_X_AMZN_TRACE_ID', '');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

/** A handler table of fakes that record their envelopes; `impl` overrides one task. */
const fakeTable = (impl: Partial<Record<TaskName, TaskHandler>> = {}) => {
  const calls: { task: TaskName; envelope: unknown }[] = [];
  const table = {} as TaskHandlers;
  for (const task of TASK_NAMES) {
    table[task] = (envelope) => {
      calls.push({ task, envelope });
      return impl[task]?.(envelope) ?? Promise.resolve({ done: task });
    };
  }
  return { table, calls };
};

const kit = (fn: FunctionName, load: HandlerLoader, options: LambdaHandlerOptions = {}) => {
  // A pinned monotonic clock: each invocation reads it twice, 42.5 ms apart.
  let tick = 0;
  const now = () => (tick++ % 2 === 0 ? 1000 : 1042.5);
  return createLambdaHandler(fn, load, { now, ...options });
};

const loaderOf = (table: TaskHandlers) => vi.fn<HandlerLoader>(() => Promise.resolve(table));

describe('envelope', () => {
  it.each([
    ['not an object', 42],
    ['null', null],
    ['no task', { state: {} }],
    ['a task that is not a string', { task: 7, state: {} }],
    ['an unknown task', { task: `Nope ${SECRET}`, state: {} }],
  ])('rejects %s with InvalidStepInputError, before loading anything', async (_label, event) => {
    const load = loaderOf(fakeTable().table);
    const handler = kit('extract', load);
    const err = await handler(event, context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InvalidStepInputError);
    expect((err as Error).name).toBe('InvalidStepInputError');
    expect((err as Error).message).not.toContain(SECRET);
    expect(load).not.toHaveBeenCalled();
  });

  it('passes the parsed envelope to the task handler and returns its result', async () => {
    const { table, calls } = fakeTable({ Extract: () => Promise.resolve({ pages: 3 }) });
    const handler = kit('extract', loaderOf(table));
    const state = itemState();
    await expect(handler({ task: 'Extract', state, extra: 'ignored' }, context())).resolves.toEqual({ pages: 3 });
    expect(calls).toEqual([{ task: 'Extract', envelope: { task: 'Extract', state } }]);
  });

  it.each(FUNCTION_NAMES)('function %s serves its own tasks and refuses every other task', async (fn) => {
    const { table, calls } = fakeTable();
    const handler = kit(fn, loaderOf(table));
    const own = TASK_NAMES.filter((t) => TASK_FUNCTIONS[t] === fn);
    const others = TASK_NAMES.filter((t) => TASK_FUNCTIONS[t] !== fn);
    expect(own.length).toBeGreaterThan(0);
    for (const task of own) await expect(handler({ task, state: {} }, context())).resolves.toEqual({ done: task });
    for (const task of others) {
      const err = await handler({ task, state: {} }, context()).catch((e: unknown) => e);
      expect(err, task).toBeInstanceOf(InvalidStepInputError);
    }
    expect(calls.map((c) => c.task)).toEqual(own);
  });
});

describe('errors', () => {
  it('a taxonomy error reaches the caller as itself, with its literal name', async () => {
    const thrown = new ThrottledError('Textract said slow down');
    const { table } = fakeTable({ Extract: () => Promise.reject(thrown) });
    const err = await kit('extract', loaderOf(table))({ task: 'Extract', state: itemState() }, context()).catch((e: unknown) => e);
    expect(err).toBe(thrown);
    expect((err as Error).name).toBe('ThrottledError');
  });

  it.each([
    ['an Error', new TypeError(`cannot read ${SECRET}`)],
    ['a string', `raw ${SECRET}`],
    ['an object', { detail: SECRET }],
  ])('an unknown error (%s) becomes InternalError, its message dropped', async (_label, thrown) => {
    // Third-party code can reject with anything, not only Errors: that is the case under test.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors -- see above
    const { table } = fakeTable({ Classify: () => Promise.reject(thrown) });
    const err = await kit('classify', loaderOf(table))({ task: 'Classify', state: itemState() }, context()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InternalError);
    expect((err as Error).name).toBe('InternalError');
    expect((err as Error).message).not.toContain(SECRET);
    expect(JSON.stringify(err)).not.toContain(SECRET);
    expect(written.join('')).not.toContain(SECRET);
  });

  it('a telemetry failure never replaces the result or the taxonomy error', async () => {
    const metrics = new Metrics();
    vi.spyOn(metrics, 'publishStoredMetrics').mockImplementation(() => {
      throw new Error('EMF is broken');
    });
    const thrown = new ThrottledError('slow down');
    const { table } = fakeTable({ Classify: () => Promise.reject(thrown) });
    await expect(kit('extract', loaderOf(table), { metrics })({ task: 'Extract', state: {} }, context())).resolves.toEqual({
      done: 'Extract',
    });
    await expect(kit('classify', loaderOf(table), { metrics })({ task: 'Classify', state: {} }, context())).rejects.toBe(thrown);
  });

  it('a table without the task is a ConfigError', async () => {
    const { table } = fakeTable();
    const partial: Partial<TaskHandlers> = { ...table };
    delete partial.Notify;
    const err = await kit('notify', () => Promise.resolve(partial as TaskHandlers))({ task: 'Notify', state: {} }, context()).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ConfigError);
  });
});

describe('loading the task handlers', () => {
  it('loads once per container', async () => {
    const load = loaderOf(fakeTable().table);
    const handler = kit('route', load);
    await handler({ task: 'RoutePass', state: {} }, context());
    await handler({ task: 'RouteHold', state: {} }, context());
    await Promise.all([
      handler({ task: 'RouteReject', state: {} }, context()),
      handler({ task: 'RejectUnreadable', state: {} }, context()),
    ]);
    expect(load).toHaveBeenCalledTimes(1);
  });

  it('does not cache a failed load: the next invocation loads again', async () => {
    const { table } = fakeTable();
    const load = vi
      .fn<HandlerLoader>()
      .mockRejectedValueOnce(new DependencyUnavailableError('parameter store unreachable'))
      .mockResolvedValue(table);
    const handler = kit('ingest', load);
    await expect(handler({ task: 'Ingest', state: {} }, context())).rejects.toBeInstanceOf(DependencyUnavailableError);
    await expect(handler({ task: 'Ingest', state: {} }, context())).resolves.toEqual({ done: 'Ingest' });
    await expect(handler({ task: 'Ingest', state: {} }, context())).resolves.toEqual({ done: 'Ingest' });
    expect(load).toHaveBeenCalledTimes(2);
  });

  it('gives the loader the tracer, so adapters can trace their SDK clients', async () => {
    const tracer = new Tracer();
    const load = loaderOf(fakeTable().table);
    await kit('aggregate', load, { tracer })({ task: 'Aggregate', state: {} }, context());
    expect(load).toHaveBeenCalledWith({ tracer });
  });
});

describe('logs', () => {
  it('one INFO line per invocation: ids, task, outcome and duration; never the state or the result', async () => {
    const { table } = fakeTable({ Extract: () => Promise.resolve({ text: SECRET }) });
    await kit('extract', loaderOf(table))({ task: 'Extract', state: itemState() }, context());
    const logs = logLines();
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatchObject({
      level: 'INFO',
      service: 'docroute',
      task: 'Extract',
      documentId: DOC_ID,
      batchId: 'b-20261129-0001',
      executionId: 'arn:aws:states:eu-west-1:000000000000:execution:docroute:run-1',
      function_request_id: 'req-1',
      outcome: 'ok',
      durationMs: 42.5,
    });
    expect(written.join('')).not.toContain(SECRET);
  });

  it('a failure logs the error name and whether it is retried, never an unknown error message', async () => {
    const { table } = fakeTable({
      Extract: () => Promise.reject(new ThrottledError('slow down')),
      Classify: () => Promise.reject(new RangeError(SECRET)),
    });
    const load = loaderOf(table);
    await kit('extract', load)({ task: 'Extract', state: itemState() }, context()).catch(() => undefined);
    await kit('classify', load)({ task: 'Classify', state: itemState() }, context()).catch(() => undefined);
    const logs = logLines();
    expect(logs).toHaveLength(2);
    expect(logs[0]).toMatchObject({ level: 'INFO', task: 'Extract', documentId: DOC_ID, outcome: 'ThrottledError', retryable: true });
    expect(logs[1]).toMatchObject({ level: 'INFO', task: 'Classify', documentId: DOC_ID, outcome: 'InternalError', retryable: false });
    expect(written.join('')).not.toContain(SECRET);
    expect(written.join('')).not.toContain('RangeError: ');
  });

  it('keys are for one invocation only', async () => {
    const logger = new Logger();
    const handler = kit('record', loaderOf(fakeTable().table), { logger });
    await handler({ task: 'RecordOutcome', state: itemState() }, context());
    logger.info('after the invocation');
    const logs = logLines();
    expect(logs[0]).toMatchObject({ task: 'RecordOutcome', documentId: DOC_ID });
    expect(logs[1]).toMatchObject({ message: 'after the invocation' });
    for (const key of ['task', 'documentId', 'batchId', 'executionId']) expect(logs[1]).not.toHaveProperty(key);
  });

  it('ids that are not plain identifiers stay out of the log', async () => {
    const state = itemState({ batchId: `b ${SECRET}`, document: { documentId: SECRET, name: 'x.pdf' } });
    await kit('validate', loaderOf(fakeTable().table))({ task: 'Validate', state }, context());
    const [log] = logLines();
    expect(log).toMatchObject({ task: 'Validate', outcome: 'ok' });
    expect(log).not.toHaveProperty('documentId');
    expect(log).not.toHaveProperty('batchId');
    expect(written.join('')).not.toContain(SECRET);
  });
});

describe('metrics', () => {
  it('a success publishes TaskSucceeded and TaskDuration by task, as EMF under the namespace', async () => {
    await kit('extract-fields', loaderOf(fakeTable().table))({ task: 'ExtractFields', state: itemState() }, context());
    const emf = emfLines();
    expect(emf).toHaveLength(1);
    const [blob] = emf as [
      { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][]; Metrics: { Name: string; Unit: string }[] }[] } },
    ];
    expect(blob._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: NAMESPACE,
      Dimensions: [['service', 'task']],
      Metrics: [
        { Name: 'TaskSucceeded', Unit: 'Count' },
        { Name: 'TaskDuration', Unit: 'Milliseconds' },
      ],
    });
    expect(blob).toMatchObject({ service: 'docroute', task: 'ExtractFields', TaskSucceeded: 1, TaskDuration: 42.5 });
  });

  it('a failure publishes TaskFailed by task, and again by task and error name', async () => {
    const { table } = fakeTable({ Notify: () => Promise.reject(new ThrottledError('slow down')) });
    await kit('notify', loaderOf(table))({ task: 'Notify', state: { batchId: 'b-1', executionId: 'e-1' } }, context()).catch(
      () => undefined,
    );
    const emf = emfLines() as { _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] } }[];
    expect(emf).toHaveLength(2);
    expect(emf.map((e) => e._aws.CloudWatchMetrics[0]?.Namespace)).toEqual([NAMESPACE, NAMESPACE]);
    expect(emf[0]).toMatchObject({ task: 'Notify', TaskFailed: 1, TaskDuration: 42.5 });
    expect(emf[0]).not.toHaveProperty('TaskSucceeded');
    expect(emf[1]?._aws.CloudWatchMetrics[0]?.Dimensions).toEqual([['service', 'task', 'errorName']]);
    expect(emf[1]).toMatchObject({ task: 'Notify', errorName: 'ThrottledError', TaskFailed: 1 });
  });

  it('every invocation flushes its own metrics', async () => {
    const handler = kit('aggregate', loaderOf(fakeTable().table));
    await handler({ task: 'Aggregate', state: {} }, context());
    await handler({ task: 'Aggregate', state: {} }, context());
    expect(emfLines().map((e) => e['TaskSucceeded'])).toEqual([1, 1]);
  });
});

describe('tracing', () => {
  it('annotates task and documentId, and is inert without Lambda or an X-Ray daemon', async () => {
    const tracer = new Tracer();
    expect(tracer.isTracingEnabled()).toBe(false);
    const annotate = vi.spyOn(tracer, 'putAnnotation');
    const metadata = vi.spyOn(tracer, 'putMetadata');
    const { table } = fakeTable({ Extract: () => Promise.resolve({ text: SECRET }) });
    await kit('extract', loaderOf(table), { tracer })({ task: 'Extract', state: itemState() }, context());
    expect(annotate.mock.calls).toEqual([
      ['task', 'Extract'],
      ['documentId', DOC_ID],
    ]);
    expect(metadata).not.toHaveBeenCalled();
  });
});
