import { EventBridgeClient, PutEventsCommand, type PutEventsCommandOutput, type PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import {
  ConfigError,
  DependencyUnavailableError,
  InternalError,
  InvalidStepInputError,
  PipelineError,
  ThrottledError,
} from '../../domain/errors.js';
import { clientSettings, inspectVendorError, NETWORK_CODES, SAFE_NAME, type AwsConnectionOptions } from './aws-common.js';

/** Publishes one event. Failures are taxonomy errors (see createEventBridgePublisher). */
export interface EventPublisher {
  publish(detailType: string, detail: Readonly<Record<string, unknown>>): Promise<void>;
}

export interface EventBridgePublisherOptions extends AwsConnectionOptions {
  /** The bus's name or ARN. Absent: the account's default bus. */
  readonly eventBusName?: string;
  /** The events' `source`. Default `docroute`. */
  readonly source?: string;
  /** Per call; past it the call fails with DependencyUnavailableError. Default 10 s. */
  readonly timeoutMs?: number;
  /** An injected client (tests, shared clients). It should be built with clientSettings (`maxAttempts: 1`). */
  readonly client?: EventBridgeClient;
}

/** EventBridge's limit for one PutEvents entry. */
export const MAX_ENTRY_BYTES = 256 * 1024;

const utf8Bytes = (s: string | undefined): number => (s === undefined ? 0 : Buffer.byteLength(s, 'utf8'));

/**
 * An entry's size as EventBridge counts it: 14 bytes for Time when given, and the UTF-8 bytes of
 * Source, DetailType, Detail and each of Resources.
 */
export const entrySize = (entry: PutEventsRequestEntry): number =>
  (entry.Time === undefined ? 0 : 14) +
  utf8Bytes(entry.Source) +
  utf8Bytes(entry.DetailType) +
  utf8Bytes(entry.Detail) +
  (entry.Resources ?? []).reduce((n, r) => n + utf8Bytes(r), 0);

/** Whole-call throttling. */
const THROTTLING = new Set(['ThrottlingException', 'Throttling', 'TooManyRequestsException']);
/** Transient failures of the service or the connection. */
const UNAVAILABLE = new Set(['InternalException', 'InternalFailure', 'ServiceUnavailable', 'TimeoutError', 'AbortError']);
/** Our bus, account, credentials or request is wrong: retrying cannot help. */
const TERMINAL = new Set([
  'AccessDeniedException',
  'ResourceNotFoundException',
  'ValidationException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignature',
  'MissingAuthenticationToken',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'CredentialsProviderError',
]);

/** Per-entry codes EventBridge documents as non-retryable: the bus refuses us. */
const ENTRY_TERMINAL = new Set([
  'AccessDeniedException',
  'InvalidAccountIdException',
  'InvalidArgument',
  'MalformedDetail',
  'RedactionFailure',
  'NotAuthorizedForSourceException',
  'NotAuthorizedForDetailTypeException',
]);

const translate = (err: unknown, bus: string, timedOut: boolean, timeoutMs: number): PipelineError => {
  const { name, status, codes } = inspectVendorError(err);
  if (timedOut && (name === 'AbortError' || name === 'TimeoutError')) {
    return new DependencyUnavailableError(`eventbridge call timed out after ${timeoutMs} ms (bus ${bus})`);
  }
  if (THROTTLING.has(name)) return new ThrottledError(`eventbridge throttled PutEvents (${name}, bus ${bus})`);
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`eventbridge is unavailable (${name}, bus ${bus})`);
  if (TERMINAL.has(name)) return new ConfigError(`eventbridge rejected PutEvents with ${name} for bus ${bus}; check the bus and the role`);
  if (status === 429) return new ThrottledError(`eventbridge throttled PutEvents (HTTP 429, bus ${bus})`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`eventbridge is unavailable (${name}, HTTP ${status}, bus ${bus})`);
  }
  if (status !== undefined && status >= 400)
    return new ConfigError(`eventbridge rejected PutEvents with ${name} (HTTP ${status}) for bus ${bus}`);
  const network = codes.find((c) => NETWORK_CODES.has(c));
  if (network !== undefined) return new DependencyUnavailableError(`eventbridge endpoint unreachable (${network}, bus ${bus})`);
  return new InternalError(`eventbridge call failed (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

/**
 * A PutEvents answer can be a 200 with failed entries. ThrottlingException → ThrottledError; the
 * codes EventBridge documents as non-retryable (access, source or detail-type not allowed,
 * malformed detail) → ConfigError; InternalFailure and anything unknown → DependencyUnavailableError.
 */
const checkEntries = (out: PutEventsCommandOutput, bus: string): void => {
  const failed = out.FailedEntryCount ?? 0;
  if (failed === 0) return;
  const raw = out.Entries?.find((e) => e.ErrorCode !== undefined)?.ErrorCode;
  const code = raw !== undefined && SAFE_NAME.test(raw) ? raw : 'unknown';
  if (code === 'ThrottlingException') throw new ThrottledError(`eventbridge throttled the event (bus ${bus})`);
  if (ENTRY_TERMINAL.has(code))
    throw new ConfigError(`eventbridge refused the event with ${code} (bus ${bus}); check the bus policy and the role`);
  throw new DependencyUnavailableError(`eventbridge failed to accept the event (${code}, bus ${bus})`);
};

/**
 * One event per call on an EventBridge bus. The client makes one attempt (`maxAttempts: 1`): the
 * state machine owns retries. An entry over 256 KB is refused before sending with
 * InvalidStepInputError (terminal: resending cannot shrink it). Details must never carry document
 * text or field values; this publisher does not look inside them.
 */
export const createEventBridgePublisher = (options: EventBridgePublisherOptions = {}): EventPublisher => {
  const client = options.client ?? new EventBridgeClient(clientSettings(options));
  const source = options.source ?? 'docroute';
  const bus = options.eventBusName ?? 'default';
  const timeoutMs = options.timeoutMs ?? 10_000;

  return {
    publish: async (detailType, detail) => {
      const entry: PutEventsRequestEntry = {
        Source: source,
        DetailType: detailType,
        Detail: JSON.stringify(detail),
        ...(options.eventBusName === undefined ? {} : { EventBusName: options.eventBusName }),
      };
      const size = entrySize(entry);
      if (size > MAX_ENTRY_BYTES) {
        throw new InvalidStepInputError(`the ${detailType} event is ${size} bytes; EventBridge accepts at most ${MAX_ENTRY_BYTES}`);
      }
      const signal = AbortSignal.timeout(timeoutMs);
      let out: PutEventsCommandOutput;
      try {
        out = await client.send(new PutEventsCommand({ Entries: [entry] }), { abortSignal: signal });
      } catch (err) {
        throw translate(err, bus, signal.aborted, timeoutMs);
      }
      checkEntries(out, bus);
    },
  };
};
