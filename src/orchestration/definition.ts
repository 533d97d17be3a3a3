import { errorNamesOfKind } from '../domain/errors.js';

/**
 * THE state machine. One definition, written as typed data, rendered to Amazon States Language
 * (JSONPath flavour). Step Functions runs it in production; aws-local-stepfunctions runs the very
 * same JSON locally with in-process task handlers. The two differ only in each Task's `Resource`.
 *
 * The definition knows step names and error names, nothing else (as a Temporal workflow knows only
 * its activities' types). Retry and Catch are generated from the error taxonomy in domain/errors.
 *
 * Every Task receives the same envelope, `{ task: <state name>, state: <state input> }`, so one
 * handler table (or one Lambda per function) serves both engines. State carries ids and small
 * summaries only; heavy results live in checkpoints.
 */

/** Task states and the function (Lambda) that implements each. */
export const TASK_FUNCTIONS = {
  Ingest: 'ingest',
  Extract: 'extract',
  Classify: 'classify',
  ExtractFields: 'extract-fields',
  Validate: 'validate',
  RoutePass: 'route',
  RouteHold: 'route',
  RouteReject: 'route',
  RejectUnreadable: 'route',
  RecordOutcome: 'record',
  RecordFailure: 'record',
  Aggregate: 'aggregate',
  Notify: 'notify',
} as const;

export type TaskName = keyof typeof TASK_FUNCTIONS;
export type FunctionName = (typeof TASK_FUNCTIONS)[TaskName];

export const TASK_NAMES = Object.keys(TASK_FUNCTIONS) as TaskName[];
export const FUNCTION_NAMES = [...new Set(Object.values(TASK_FUNCTIONS))] as FunctionName[];

export interface TaskEnvelope<S = unknown> {
  readonly task: TaskName;
  readonly state: S;
}

export interface RetryPolicy {
  readonly intervalSeconds: number;
  readonly backoffRate: number;
  readonly maxAttempts: number;
  readonly maxDelaySeconds: number;
}

export interface DefinitionOptions {
  readonly maxConcurrency: number;
  readonly retry: RetryPolicy;
  /** The Resource of each function's Task states: a Lambda ARN, or a placeholder Terraform fills. */
  readonly resource: (fn: FunctionName) => string;
  /** Per-task time limits; Extract gets the Lambda maximum because OCR of a long scan is slow. */
  readonly timeoutSeconds?: Partial<Record<TaskName, number>>;
}

/**
 * Lambda's own transient failures. Step Functions raises these for the invocation itself (not our
 * code); AWS recommends retrying them. The local engine never raises them, so they are inert there.
 */
export const LAMBDA_SERVICE_ERRORS = [
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.TooManyRequestsException',
];

const DEFAULT_TIMEOUTS: Record<TaskName, number> = {
  Ingest: 120,
  Extract: 900,
  Classify: 300,
  ExtractFields: 120,
  Validate: 120,
  RoutePass: 120,
  RouteHold: 120,
  RouteReject: 120,
  RejectUnreadable: 120,
  RecordOutcome: 60,
  RecordFailure: 60,
  Aggregate: 300,
  Notify: 60,
};

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type State = Record<string, Json>;

export type AslDefinition = {
  Comment: string;
  StartAt: string;
  States: Record<string, State>;
  TimeoutSeconds?: number;
};

export const buildDefinition = (options: DefinitionOptions): AslDefinition => {
  const { retry } = options;
  const retriers = (): Json[] => [
    {
      ErrorEquals: errorNamesOfKind('retryable'),
      IntervalSeconds: retry.intervalSeconds,
      BackoffRate: retry.backoffRate,
      MaxAttempts: retry.maxAttempts,
      MaxDelaySeconds: retry.maxDelaySeconds,
      JitterStrategy: 'FULL',
    },
    {
      ErrorEquals: LAMBDA_SERVICE_ERRORS,
      IntervalSeconds: 1,
      BackoffRate: 2,
      MaxAttempts: 3,
      MaxDelaySeconds: retry.maxDelaySeconds,
      JitterStrategy: 'FULL',
    },
  ];
  const timeout = (name: TaskName): number => options.timeoutSeconds?.[name] ?? DEFAULT_TIMEOUTS[name];

  /** A Task with the envelope, retries, and a result slot in the state. */
  const task = (name: TaskName, next: { Next: string } | { End: true }, extra: State = {}): State => ({
    Type: 'Task',
    Resource: options.resource(TASK_FUNCTIONS[name]),
    Parameters: { task: name, 'state.$': '$' },
    TimeoutSeconds: timeout(name),
    Retry: retriers(),
    ...next,
    ...extra,
  });

  /** Catchers for per-document Tasks: unusable documents are rejected, anything else is a failure. */
  const documentCatch: Json[] = [
    { ErrorEquals: errorNamesOfKind('document'), Next: 'RejectUnreadable', ResultPath: '$.error' },
    { ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' },
  ];
  const failureCatch: Json[] = [{ ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' }];

  const perDocument: Record<string, State> = {
    Ingest: task('Ingest', { Next: 'AlreadyRouted' }, { ResultPath: '$.ingest', Catch: failureCatch }),
    AlreadyRouted: {
      Type: 'Choice',
      Comment: 'Same bytes seen before: never route a document twice.',
      Choices: [{ Variable: '$.ingest.routed', BooleanEquals: true, Next: 'UsePriorRoute' }],
      Default: 'Extract',
    },
    UsePriorRoute: {
      Type: 'Pass',
      Parameters: { 'outcome.$': '$.ingest.priorOutcome', 'duplicate.$': '$.ingest.duplicate' },
      ResultPath: '$.route',
      Next: 'RecordOutcome',
    },
    Extract: task('Extract', { Next: 'Classify' }, { ResultPath: '$.extract', Catch: documentCatch }),
    Classify: task('Classify', { Next: 'ExtractFields' }, { ResultPath: '$.classify', Catch: documentCatch }),
    ExtractFields: task('ExtractFields', { Next: 'Validate' }, { ResultPath: '$.fields', Catch: documentCatch }),
    Validate: task('Validate', { Next: 'Route' }, { ResultPath: '$.validate', Catch: documentCatch }),
    Route: {
      Type: 'Choice',
      Comment: 'Reject beats hold beats pass; Validate has already applied that order.',
      Choices: [
        { Variable: '$.validate.outcome', StringEquals: 'pass', Next: 'RoutePass' },
        { Variable: '$.validate.outcome', StringEquals: 'hold', Next: 'RouteHold' },
        { Variable: '$.validate.outcome', StringEquals: 'reject', Next: 'RouteReject' },
      ],
      Default: 'UnknownOutcome',
    },
    UnknownOutcome: {
      Type: 'Pass',
      Parameters: { Error: 'InvalidStepInputError', Cause: 'Validate returned no known outcome.' },
      ResultPath: '$.error',
      Next: 'RecordFailure',
    },
    RoutePass: task('RoutePass', { Next: 'RecordOutcome' }, { ResultPath: '$.route', Catch: failureCatch }),
    RouteHold: task('RouteHold', { Next: 'RecordOutcome' }, { ResultPath: '$.route', Catch: failureCatch }),
    RouteReject: task('RouteReject', { Next: 'RecordOutcome' }, { ResultPath: '$.route', Catch: failureCatch }),
    RejectUnreadable: task('RejectUnreadable', { Next: 'RecordOutcome' }, { ResultPath: '$.route', Catch: failureCatch }),
    RecordOutcome: task('RecordOutcome', { End: true }, { Catch: failureCatch }),
    RecordFailure: task('RecordFailure', { End: true }),
  };

  return {
    Comment: 'docroute: read, classify, extract, validate and route each document of a batch, then summarise.',
    StartAt: 'ProcessDocuments',
    States: {
      ProcessDocuments: {
        Type: 'Map',
        ItemsPath: '$.documents',
        ItemSelector: {
          'batchId.$': '$.batchId',
          'executionId.$': '$$.Execution.Id',
          'document.$': '$$.Map.Item.Value',
        },
        MaxConcurrency: options.maxConcurrency,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: 'Ingest',
          States: perDocument,
        },
        // Outcomes are read back from the ledger by Aggregate: the Map's output would outgrow
        // Step Functions' 256 KB payload limit on large batches.
        ResultPath: null,
        Next: 'Aggregate',
      },
      Aggregate: {
        ...task('Aggregate', { Next: 'Notify' }),
        Parameters: {
          task: 'Aggregate',
          state: {
            'batchId.$': '$.batchId',
            'executionId.$': '$$.Execution.Id',
            'received.$': 'States.ArrayLength($.documents)',
          },
        },
        ResultPath: '$.summary',
      },
      Notify: {
        ...task('Notify', { Next: 'Done' }),
        Parameters: { task: 'Notify', 'state.$': '$.summary' },
        ResultPath: '$.notify',
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Done', ResultPath: '$.notify' }],
      },
      Done: {
        Type: 'Pass',
        Parameters: { 'summary.$': '$.summary', 'notify.$': '$.notify' },
        End: true,
      },
    },
  };
};

/** A Lambda ARN for local runs: syntactically valid, never invoked (handlers are overridden). */
export const localResource = (fn: FunctionName): string => `arn:aws:lambda:us-east-1:000000000000:function:docroute-${fn}`;

/** Placeholders that Terraform's templatefile() fills with the deployed functions' ARNs. */
export const terraformResource = (fn: FunctionName): string => `\${${fn.replace(/-/g, '_')}_function_arn}`;
