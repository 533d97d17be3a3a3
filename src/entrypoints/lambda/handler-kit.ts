import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';
import type { Context } from 'aws-lambda';
import { z } from 'zod';
import { ConfigError, InvalidStepInputError, toPipelineError, type PipelineError } from '../../domain/errors.js';
import { TASK_FUNCTIONS, TASK_NAMES, type FunctionName, type TaskName } from '../../orchestration/definition.js';
import type { TaskHandler } from '../../orchestration/tasks.js';

/**
 * The one Lambda handler shape behind every `<fn>.handler.ts`: parse the Task envelope, check the
 * task belongs to this function, run the task handler, and report the invocation to Powertools'
 * Logger, Tracer and Metrics.
 *
 * What leaves this module, and what never does:
 * - Errors leave as taxonomy errors. The Node.js runtime reports a thrown error's `name` as the
 *   `errorType`, and Step Functions matches `ErrorEquals` against it, so the literal names in
 *   domain/errors.ts drive Retry/Catch. Anything else becomes InternalError, its message dropped.
 * - Logs carry ids, the task, the outcome (`ok` or an error name) and the duration. Never the state
 *   payload, results, document text, field values, or the message of an error we did not raise.
 * - Traces carry the `task` and `documentId` annotations only: no response or error metadata.
 * - Metrics: TaskSucceeded / TaskFailed (Count) and TaskDuration (Milliseconds) by `task`, and
 *   TaskFailed again by `task` + `errorName`; written as EMF to stdout at the end of every invocation.
 *
 * Powertools reads its own settings (POWERTOOLS_SERVICE_NAME, POWERTOOLS_METRICS_NAMESPACE,
 * POWERTOOLS_LOG_LEVEL, POWERTOOLS_TRACE_ENABLED, ...) from the function's environment. Tracing is
 * off outside Lambda (no AWS_EXECUTION_ENV), so tests and local runs need no X-Ray daemon.
 */

export type TaskHandlers = Record<TaskName, TaskHandler>;

/** What the loader may use while wiring adapters (e.g. `tracer.captureAWSv3Client(client)`). */
export interface LoaderContext {
  readonly tracer: Tracer;
}

/** Builds the task handlers. Called once per container; a rejected load is retried next time. */
export type HandlerLoader = (ctx: LoaderContext) => Promise<TaskHandlers>;

export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LambdaHandlerOptions {
  readonly logger?: Logger;
  readonly tracer?: Tracer;
  readonly metrics?: Metrics;
  /** A monotonic clock in milliseconds, for the duration (tests pin it). */
  readonly now?: () => number;
}

/** Bounded, content-free identifiers: anything else is left out of the log keys. */
const ID = /^[A-Za-z0-9:._/-]{1,256}$/;
const DOCUMENT_ID = /^[0-9a-f]{64}$/;

const Envelope = z.object({ task: z.string(), state: z.unknown() });

/** The ids a state may carry (item states, Aggregate's input, Notify's summary). */
const StateIds = z.object({
  batchId: z.string().regex(ID).optional().catch(undefined),
  executionId: z.string().regex(ID).optional().catch(undefined),
  document: z
    .object({ documentId: z.string().regex(DOCUMENT_ID).optional().catch(undefined) })
    .optional()
    .catch(undefined),
});

interface InvocationKeys {
  task?: TaskName;
  batchId?: string;
  executionId?: string;
  documentId?: string;
}

const isTaskName = (value: string): value is TaskName => (TASK_NAMES as readonly string[]).includes(value);

/** Validates the envelope. Messages name the field, never its value. */
const parseEnvelope = (event: unknown, fn: FunctionName): { task: TaskName; state: unknown } => {
  const env = Envelope.safeParse(event);
  if (!env.success) {
    const where = env.error.issues[0]?.path.join('.') ?? '';
    throw new InvalidStepInputError(`${fn}: the event is not a task envelope (at "${where}")`);
  }
  const { task, state } = env.data;
  if (!isTaskName(task)) throw new InvalidStepInputError(`${fn}: the envelope names an unknown task`);
  return { task, state };
};

const idsOf = (state: unknown): Omit<InvocationKeys, 'task'> => {
  const ids = StateIds.safeParse(state);
  if (!ids.success) return {};
  const { batchId, executionId, document } = ids.data;
  return {
    ...(batchId ? { batchId } : {}),
    ...(executionId ? { executionId } : {}),
    ...(document?.documentId ? { documentId: document.documentId } : {}),
  };
};

const LOG_KEYS = ['task', 'batchId', 'executionId', 'documentId'];

export const createLambdaHandler = (fn: FunctionName, load: HandlerLoader, options: LambdaHandlerOptions = {}): LambdaHandler => {
  const logger = options.logger ?? new Logger();
  const tracer = options.tracer ?? new Tracer();
  const metrics = options.metrics ?? new Metrics();
  const now = options.now ?? (() => performance.now());

  // One load per container (cold start). A failed load is forgotten so the next invocation retries
  // it rather than failing forever on a transient error.
  let loading: Promise<TaskHandlers> | undefined;
  const handlers = (): Promise<TaskHandlers> => {
    loading ??= load({ tracer }).catch((err: unknown) => {
      loading = undefined;
      throw err;
    });
    return loading;
  };

  const record = (task: string, durationMs: number, error: PipelineError | undefined): void => {
    metrics.addDimension('task', task);
    metrics.addMetric(error ? 'TaskFailed' : 'TaskSucceeded', MetricUnit.Count, 1);
    metrics.addMetric('TaskDuration', MetricUnit.Milliseconds, durationMs);
    metrics.publishStoredMetrics();
    if (error) {
      // Failures again by error name, so an alarm can tell throttling from bugs. A single metric
      // (its own EMF line): a second dimension set sharing `task` makes Powertools warn on every call.
      const byName = metrics.singleMetric();
      byName.addDimension('task', task);
      byName.addDimension('errorName', error.name);
      byName.addMetric('TaskFailed', MetricUnit.Count, 1);
    }
  };

  /** Gauges a task reports (the scheduled Monitor: the review queue's age), one EMF line each. */
  const publishGauges = (result: unknown): void => {
    const gauges = (result as { gauges?: unknown } | null)?.gauges;
    if (!Array.isArray(gauges)) return;
    for (const g of gauges as { name?: unknown; unit?: unknown; value?: unknown }[]) {
      if (typeof g.name !== 'string' || !/^[A-Za-z][A-Za-z0-9]{0,63}$/.test(g.name) || typeof g.value !== 'number') continue;
      const unit = g.unit === 'Seconds' ? MetricUnit.Seconds : MetricUnit.Count;
      metrics.singleMetric().addMetric(g.name, unit, g.value);
    }
  };

  return async (event, context) => {
    const started = now();
    logger.addContext(context);
    const keys: InvocationKeys = {};

    const parent = tracer.isTracingEnabled() ? tracer.getSegment() : undefined;
    const subsegment = parent?.addNewSubsegment(`## ${fn}`);
    if (subsegment) tracer.setSegment(subsegment);

    let failure: PipelineError | undefined;
    try {
      const { task, state } = parseEnvelope(event, fn);
      Object.assign(keys, { task }, idsOf(state));
      logger.appendKeys({ ...keys });
      // A task of another function means the definition and the deployed functions disagree.
      if (TASK_FUNCTIONS[task] !== fn) throw new InvalidStepInputError(`${fn}: task ${task} belongs to function ${TASK_FUNCTIONS[task]}`);
      tracer.putAnnotation('task', task);
      if (keys.documentId) tracer.putAnnotation('documentId', keys.documentId);

      const table = await handlers();
      const run = table[task] as TaskHandler | undefined;
      if (typeof run !== 'function') throw new ConfigError(`${fn}: no task handler is wired for ${task}`);
      const result = await run({ task, state });
      safely(() => publishGauges(result));
      return result;
    } catch (err) {
      const error = toPipelineError(err);
      failure = error;
      // The taxonomy error only: its message is content-free by contract, and it is what the
      // runtime reports (errorType = name) and Step Functions matches.
      safely(() => tracer.addErrorAsMetadata(error));
      throw error;
    } finally {
      const durationMs = Math.max(0, Math.round((now() - started) * 10) / 10);
      const error = failure;
      safely(() => record(keys.task ?? 'unknown', durationMs, error));
      safely(() => {
        const line = { outcome: error?.name ?? 'ok', durationMs, ...(error ? { retryable: error.retryable } : {}) };
        // INFO either way: a throttled attempt that the state machine retries is not an error.
        logger.info(error ? 'task failed' : 'task finished', line);
      });
      safely(() => logger.removeKeys(LOG_KEYS));
      safely(() => {
        subsegment?.close();
        if (subsegment && parent) tracer.setSegment(parent);
      });
    }
  };
};

/**
 * Telemetry must never change what Step Functions sees: a throw from a `finally` would replace the
 * task's result or its taxonomy error with an untyped one.
 */
const safely = (fn: () => void): void => {
  try {
    fn();
  } catch {
    // dropped on purpose: see above
  }
};
