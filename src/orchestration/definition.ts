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
  Admit: 'ingest',
  Ingest: 'ingest',
  Extract: 'extract',
  ExtractStart: 'extract',
  ExtractPoll: 'extract',
  Classify: 'classify',
  ExtractFields: 'extract-fields',
  Validate: 'validate',
  RoutePass: 'route',
  RouteHold: 'route',
  RouteReject: 'route',
  RejectUnreadable: 'route',
  RecordOutcome: 'record',
  RecordFailure: 'record',
  SkipObject: 'record',
  Aggregate: 'aggregate',
  /** Not a state: a schedule invokes it (the age of the review queue, as a metric for alarms). */
  Monitor: 'aggregate',
  Notify: 'notify',
} as const;

export type TaskName = keyof typeof TASK_FUNCTIONS;
export type FunctionName = (typeof TASK_FUNCTIONS)[TaskName];

export const TASK_NAMES = Object.keys(TASK_FUNCTIONS) as TaskName[];

/**
 * The two renderings of the one definition differ only where the platform does:
 * - `local`: the Map's items are documents already in the object store (the CLI hashed them), and
 *   Extract runs in one Task (pdfjs + tesseract in-process);
 * - `aws`: the items are S3 objects from the upload event, admitted (hashed and copied to the
 *   content-addressed store) by `Admit`; Extract is Textract's asynchronous job: `ExtractStart`,
 *   then a bounded Wait + `ExtractPoll` loop.
 * Everything from Classify to Aggregate is the same states, the same handlers, the same Retry/Catch.
 */
export type Variant = 'local' | 'aws';

const AWS_ONLY: readonly TaskName[] = ['Admit', 'ExtractStart', 'ExtractPoll', 'SkipObject'];
const LOCAL_ONLY: readonly TaskName[] = ['Extract'];

/** Tasks invoked on a schedule, outside any execution. */
export const SCHEDULED_TASKS: readonly TaskName[] = ['Monitor'];

/** The Task states a variant's definition contains. */
export const tasksOf = (variant: Variant): TaskName[] =>
  TASK_NAMES.filter((t) => !(variant === 'local' ? AWS_ONLY : LOCAL_ONLY).includes(t) && !SCHEDULED_TASKS.includes(t));
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
  /** Default `local`. */
  readonly variant?: Variant;
  /** `aws`: seconds between Textract polls, and how many polls before the job counts as timed out. */
  readonly textractPoll?: { readonly seconds: number; readonly maxPolls: number };
}

/** 5 s × 180 polls = 15 minutes: Textract's async jobs usually finish in seconds to minutes. */
export const DEFAULT_TEXTRACT_POLL = { seconds: 5, maxPolls: 180 } as const;

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
  Admit: 300,
  Ingest: 120,
  Extract: 900,
  ExtractStart: 120,
  ExtractPoll: 300,
  Classify: 300,
  ExtractFields: 120,
  Validate: 120,
  RoutePass: 120,
  RouteHold: 120,
  RouteReject: 120,
  RejectUnreadable: 120,
  RecordOutcome: 60,
  RecordFailure: 60,
  SkipObject: 60,
  Aggregate: 300,
  Monitor: 60,
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

  const variant = options.variant ?? 'local';
  const poll = options.textractPoll ?? DEFAULT_TEXTRACT_POLL;

  /** AWS: an S3 object becomes a document (hashed, copied to the content-addressed store, added to the batch). */
  const admission: Record<string, State> = {
    Admit: task(
      'Admit',
      { Next: 'Ingest' },
      {
        ResultPath: '$.document',
        // An object that is not a document (wrong prefix, folder marker, too large) is recorded and
        // skipped, never retried forever; one that cannot be admitted after retries is recorded as failed.
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'SkipObject', ResultPath: '$.error' }],
      },
    ),
    SkipObject: task('SkipObject', { End: true }),
  };

  /** AWS: Textract's asynchronous job, polled with a bounded Wait loop (no task tokens: see docs/aws.md). */
  const textract: Record<string, State> = {
    ExtractStart: task('ExtractStart', { Next: 'ExtractDone' }, { ResultPath: '$.extract', Catch: documentCatch }),
    ExtractDone: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.extract.done', BooleanEquals: true, Next: 'Classify' },
        { Variable: '$.extract.polls', NumericGreaterThanEquals: poll.maxPolls, Next: 'ExtractTimedOut' },
      ],
      Default: 'ExtractWait',
    },
    ExtractWait: { Type: 'Wait', Seconds: poll.seconds, Next: 'ExtractPoll' },
    ExtractPoll: task('ExtractPoll', { Next: 'ExtractDone' }, { ResultPath: '$.extract', Catch: documentCatch }),
    ExtractTimedOut: {
      Type: 'Pass',
      Parameters: { Error: 'StepTimeoutError', Cause: `Textract did not finish within ${poll.maxPolls} polls of ${poll.seconds} s.` },
      ResultPath: '$.error',
      Next: 'RecordFailure',
    },
  };

  const perDocument: Record<string, State> = {
    ...(variant === 'aws' ? admission : {}),
    Ingest: task('Ingest', { Next: 'AlreadyRouted' }, { ResultPath: '$.ingest', Catch: failureCatch }),
    AlreadyRouted: {
      Type: 'Choice',
      Comment: 'Same bytes seen before: never route a document twice.',
      Choices: [{ Variable: '$.ingest.routed', BooleanEquals: true, Next: 'UsePriorRoute' }],
      Default: variant === 'aws' ? 'ExtractStart' : 'Extract',
    },
    UsePriorRoute: {
      Type: 'Pass',
      Parameters: { 'outcome.$': '$.ingest.priorOutcome', 'duplicate.$': '$.ingest.duplicate' },
      ResultPath: '$.route',
      Next: 'RecordOutcome',
    },
    ...(variant === 'aws'
      ? textract
      : { Extract: task('Extract', { Next: 'Classify' }, { ResultPath: '$.extract', Catch: documentCatch }) }),
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
    Comment: `docroute (${variant}): read, classify, extract, validate and route each document of a batch, then summarise.`,
    StartAt: 'ProcessDocuments',
    States: {
      ProcessDocuments: {
        Type: 'Map',
        ItemsPath: '$.documents',
        ItemSelector: {
          'batchId.$': '$.batchId',
          'executionId.$': '$$.Execution.Id',
          [variant === 'aws' ? 'object.$' : 'document.$']: '$$.Map.Item.Value',
        },
        MaxConcurrency: options.maxConcurrency,
        ItemProcessor: {
          ProcessorConfig: { Mode: 'INLINE' },
          StartAt: variant === 'aws' ? 'Admit' : 'Ingest',
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
