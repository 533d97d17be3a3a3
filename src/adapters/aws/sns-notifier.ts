import { PublishCommand, SNSClient, type MessageAttributeValue } from '@aws-sdk/client-sns';
import {
  ConfigError,
  DependencyUnavailableError,
  InternalError,
  InvalidStepInputError,
  ThrottledError,
  type PipelineError,
} from '../../domain/errors.js';
import type { BatchSummary } from '../../domain/summarize.js';
import type { Notifier } from '../../ports/notifier.js';
import { clientSettings, inspectVendorError, NETWORK_CODES, type AwsConnectionOptions } from './aws-common.js';

export interface SnsNotifierOptions extends AwsConnectionOptions {
  readonly topicArn: string;
  /** Per call; past it the call fails with DependencyUnavailableError. Default 10 s. */
  readonly timeoutMs?: number;
  /** The topic's message size limit (message, subject and attributes). Default SNS's 262,144 bytes. */
  readonly maxMessageBytes?: number;
  /** An injected client (tests, shared clients). It should be built with clientSettings (`maxAttempts: 1`). */
  readonly client?: SNSClient;
}

/** SNS's limit for one message, attributes included. */
export const SNS_MAX_MESSAGE_BYTES = 262_144;

/** SNS subjects: printable ASCII, no line breaks, fewer than 100 characters. */
const MAX_SUBJECT_CHARS = 99;

const THROTTLING = new Set([
  'ThrottledException',
  'Throttled',
  'Throttling',
  'ThrottlingException',
  'KMSThrottlingException',
  'KMSThrottling',
]);
const UNAVAILABLE = new Set([
  'InternalErrorException',
  'InternalError',
  'InternalFailure',
  'ServiceUnavailable',
  'TimeoutError',
  'AbortError',
]);
/** The topic, its key policy, our request or our credentials are wrong: retrying cannot help. */
const TERMINAL = new Set([
  'AuthorizationErrorException',
  'AuthorizationError',
  'NotFoundException',
  'NotFound',
  'InvalidParameterException',
  'InvalidParameter',
  'InvalidParameterValueException',
  'ParameterValueInvalid',
  'InvalidSecurityException',
  'ValidationException',
  'KMSAccessDeniedException',
  'KMSDisabledException',
  'KMSInvalidStateException',
  'KMSNotFoundException',
  'KMSOptInRequired',
  'AccessDenied',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'OptInRequired',
  'CredentialsProviderError',
]);
const translate = (err: unknown, topic: string, timedOut: boolean, timeoutMs: number): PipelineError => {
  const { name, status, codes } = inspectVendorError(err);
  if (timedOut && (name === 'AbortError' || name === 'TimeoutError')) {
    return new DependencyUnavailableError(`sns publish timed out after ${timeoutMs} ms (topic ${topic})`);
  }
  if (THROTTLING.has(name)) return new ThrottledError(`sns throttled the publish (${name}, topic ${topic})`);
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`sns is unavailable (${name}, topic ${topic})`);
  if (TERMINAL.has(name)) return new ConfigError(`sns rejected the publish with ${name} for topic ${topic}; check notify.sns and the role`);
  if (status === 429) return new ThrottledError(`sns throttled the publish (HTTP 429, topic ${topic})`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`sns is unavailable (${name}, HTTP ${status}, topic ${topic})`);
  }
  if (status !== undefined && status >= 400)
    return new ConfigError(`sns rejected the publish with ${name} (HTTP ${status}) for topic ${topic}`);
  const network = codes.find((c) => NETWORK_CODES.has(c));
  if (network !== undefined) return new DependencyUnavailableError(`sns endpoint unreachable (${network}, topic ${topic})`);
  return new InternalError(`sns publish failed (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

const bytes = (s: string): number => Buffer.byteLength(s, 'utf8');

/** What SNS counts against the limit: the message, the subject, and each attribute's name, type and value. */
const publishSize = (message: string, subject: string, attributes: Readonly<Record<string, MessageAttributeValue>>): number =>
  bytes(message) +
  bytes(subject) +
  Object.entries(attributes).reduce((n, [name, a]) => n + bytes(name) + bytes(a.DataType ?? '') + bytes(a.StringValue ?? ''), 0);

/** A one-line subject: counts first (they must survive the cut), printable ASCII only. */
export const subjectOf = (s: BatchSummary): string => {
  const text = `docroute: ${s.pass} pass, ${s.hold} hold, ${s.reject} reject, ${s.failed} failed of ${s.received} (batch ${s.batchId})`;
  return text.replace(/[^\x20-\x7e]/gu, '?').slice(0, MAX_SUBJECT_CHARS);
};

const attributesOf = (s: BatchSummary, reasonsDropped: boolean): Record<string, MessageAttributeValue> => ({
  batchId: { DataType: 'String', StringValue: s.batchId },
  failed: { DataType: 'Number', StringValue: String(s.failed) },
  ...(reasonsDropped ? { reasonsDropped: { DataType: 'String', StringValue: 'true' } } : {}),
});

/**
 * The message, subject and attributes for a summary. When the whole summary does not fit, the
 * `reasons` map (the only part that grows with the batch) is dropped and the message says so; the
 * JSON is never cut. Exported for tests.
 */
export const buildPublish = (
  summary: BatchSummary,
  maxBytes: number,
): { message: string; subject: string; attributes: Record<string, MessageAttributeValue>; reasonsDropped: boolean } => {
  const subject = subjectOf(summary);
  const full = JSON.stringify(summary, null, 2);
  const attributes = attributesOf(summary, false);
  if (publishSize(full, subject, attributes) <= maxBytes) return { message: full, subject, attributes, reasonsDropped: false };

  const { reasons, ...rest } = summary;
  const codes = Object.keys(reasons).length;
  const trimmed = JSON.stringify(
    {
      ...rest,
      reasonsDropped: {
        codes,
        note: `the reason counts (${codes} codes) were left out to fit the SNS message limit of ${maxBytes} bytes; the batch report has them`,
      },
    },
    null,
    2,
  );
  const trimmedAttributes = attributesOf(summary, true);
  const size = publishSize(trimmed, subject, trimmedAttributes);
  if (size > maxBytes) {
    throw new InvalidStepInputError(`the batch summary is ${size} bytes even without its reasons; SNS accepts ${maxBytes}`);
  }
  return { message: trimmed, subject, attributes: trimmedAttributes, reasonsDropped: true };
};

/**
 * Publishes each batch summary to an SNS topic: the summary as JSON (counts, ids and reason codes,
 * never document content), a one-line subject for email subscribers, and message attributes
 * `batchId` (String) and `failed` (Number) for subscription filter policies.
 *
 * One attempt per call (`maxAttempts: 1`); the state machine owns retries. Errors: throttling
 * (Throttled, KMS throttling, 429) → ThrottledError; InternalError, 5xx, timeouts and network
 * failures → DependencyUnavailableError; AuthorizationError, NotFound, InvalidParameter, KMS key
 * and credential errors → ConfigError.
 */
export const createSnsNotifier = (options: SnsNotifierOptions): Notifier => {
  if (!options.topicArn.startsWith('arn:')) throw new ConfigError('notify.sns topic must be a topic ARN');
  const client = options.client ?? new SNSClient(clientSettings(options));
  const timeoutMs = options.timeoutMs ?? 10_000;
  const maxBytes = options.maxMessageBytes ?? SNS_MAX_MESSAGE_BYTES;

  return {
    name: 'sns',
    notify: async (summary) => {
      const { message, subject, attributes } = buildPublish(summary, maxBytes);
      const signal = AbortSignal.timeout(timeoutMs);
      try {
        await client.send(
          new PublishCommand({ TopicArn: options.topicArn, Message: message, Subject: subject, MessageAttributes: attributes }),
          { abortSignal: signal },
        );
      } catch (err) {
        throw translate(err, options.topicArn, signal.aborted, timeoutMs);
      }
    },
  };
};
