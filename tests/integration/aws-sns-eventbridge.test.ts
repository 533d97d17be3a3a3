import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  createEventBridgePublisher,
  entrySize,
  MAX_ENTRY_BYTES,
  type EventPublisher,
} from '../../src/adapters/aws/eventbridge-publisher.js';
import { buildPublish, createSnsNotifier, SNS_MAX_MESSAGE_BYTES } from '../../src/adapters/aws/sns-notifier.js';
import { ConfigError, DependencyUnavailableError, InvalidStepInputError, PipelineError, ThrottledError } from '../../src/domain/errors.js';
import type { BatchSummary } from '../../src/domain/summarize.js';
import type { Notifier } from '../../src/ports/notifier.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

/**
 * The SNS notifier and the EventBridge publisher against a loopback server that answers as the
 * documented APIs do: SNS over the AWS Query protocol (form-encoded requests, XML answers),
 * EventBridge over awsJson1_1. The real SDK clients sign, serialise and parse; only the peer is scripted.
 */

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' };
const REGION = 'eu-central-1';
const TOPIC = 'arn:aws:sns:eu-central-1:123456789012:docroute-batches';
/** Text a vendor error message might quote: it must never reach our error messages. */
const VENDOR_DETAIL = 'arn:aws:iam::123456789012:user/ops-7';

let server: ReplayServer;
beforeEach(async () => {
  server = createReplayServer([], { protocol: 'http/1.1' });
  await server.start();
});
afterEach(async () => {
  await server.close();
});

const failure = async (p: Promise<unknown>): Promise<PipelineError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  expect((err as Error).message).not.toContain(VENDOR_DETAIL);
  return err as PipelineError;
};

/** A port that was listening a moment ago and is now closed: connections are refused. */
const closedPortUrl = async (): Promise<string> => {
  const s = createReplayServer();
  await s.start();
  const url = s.url;
  await s.close();
  return url;
};

// ---------------------------------------------------------------------------------------------
// SNS

const summary = (overrides: Partial<BatchSummary> = {}): BatchSummary => ({
  batchId: 'b-20260302-0915-7f3a',
  executionId: 'x-20260302-0915-91c2',
  configVersion: 'cfg-3e1a',
  received: 42,
  pass: 30,
  hold: 8,
  reject: 3,
  failed: 1,
  duplicates: 2,
  reasons: { IBAN_MISMATCH: 5, LOW_CONFIDENCE: 3, TOO_LARGE: 1 },
  reconciled: true,
  completedAt: '2026-03-02T09:17:44.120Z',
  ...overrides,
});

const snsOk: ScriptedResponse = {
  status: 200,
  headers: { 'content-type': 'text/xml' },
  rawBody:
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>' +
    '<ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>',
};

/** An AWS Query error: the code in the XML body. */
const snsError = (status: number, code: string, type: 'Sender' | 'Receiver' = 'Sender'): ScriptedResponse => ({
  status,
  headers: { 'content-type': 'text/xml' },
  rawBody:
    `<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${type}</Type><Code>${code}</Code>` +
    `<Message>User: ${VENDOR_DETAIL} is not authorized or the request failed</Message></Error>` +
    '<RequestId>9dd01905-5012-5f99-8663-4b3ecd0dfaef</RequestId></ErrorResponse>',
});

/** The Publish request's form fields, with MessageAttributes gathered by name. */
const publishParams = (rawBody: string) => {
  const form = new URLSearchParams(rawBody);
  const attributes: Record<string, { DataType: string | null; StringValue: string | null }> = {};
  for (let i = 1; form.has(`MessageAttributes.entry.${i}.Name`); i += 1) {
    attributes[form.get(`MessageAttributes.entry.${i}.Name`)!] = {
      DataType: form.get(`MessageAttributes.entry.${i}.Value.DataType`),
      StringValue: form.get(`MessageAttributes.entry.${i}.Value.StringValue`),
    };
  }
  return { form, attributes };
};

describe('sns notifier (Publish, AWS Query protocol)', () => {
  const sns = (overrides: { endpoint?: string; timeoutMs?: number; maxMessageBytes?: number } = {}): Notifier =>
    createSnsNotifier({
      topicArn: TOPIC,
      region: REGION,
      endpoint: overrides.endpoint ?? server.url,
      credentials: CREDENTIALS,
      ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
      ...(overrides.maxMessageBytes === undefined ? {} : { maxMessageBytes: overrides.maxMessageBytes }),
    });

  it('publishes the summary JSON to the topic with a subject and batchId/failed attributes', async () => {
    server.enqueue(snsOk);
    const notifier = sns();
    expect(notifier.name).toBe('sns');
    await notifier.notify(summary());

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/sns\/aws4_request/);
    const { form, attributes } = publishParams(req.rawBody);
    expect(form.get('Action')).toBe('Publish');
    expect(form.get('Version')).toBe('2010-03-31');
    expect(form.get('TopicArn')).toBe(TOPIC);
    expect(JSON.parse(form.get('Message')!)).toEqual(summary());
    expect(form.get('Subject')).toBe('docroute: 30 pass, 8 hold, 3 reject, 1 failed of 42 (batch b-20260302-0915-7f3a)');
    expect(attributes).toEqual({
      batchId: { DataType: 'String', StringValue: 'b-20260302-0915-7f3a' },
      failed: { DataType: 'Number', StringValue: '1' },
    });
  });

  it('keeps the subject under 100 printable ASCII characters, counts first', async () => {
    server.enqueue(snsOk);
    await sns().notify(summary({ batchId: `batch-ü-${'z'.repeat(150)}`, failed: 0 }));
    const subject = publishParams(server.requests[0]!.rawBody).form.get('Subject')!;
    expect(subject.length).toBeLessThan(100);
    expect(subject).toMatch(/^[\x20-\x7e]+$/u);
    expect(subject.startsWith('docroute: 30 pass, 8 hold, 3 reject, 0 failed of 42 (batch batch-?-zzz')).toBe(true);
  });

  it('drops the reasons map (and says so) when the summary is over the SNS limit, never cutting the JSON', async () => {
    const reasons = Object.fromEntries(
      Array.from({ length: 12_000 }, (_, i) => [`RULE_${String(i).padStart(6, '0')}_FAILED_CHECK`, i + 1]),
    );
    const big = summary({ reasons });
    expect(JSON.stringify(big).length).toBeGreaterThan(SNS_MAX_MESSAGE_BYTES);
    server.enqueue(snsOk);
    await sns().notify(big);

    const req = server.requests[0]!;
    const { form, attributes } = publishParams(req.rawBody);
    const message = form.get('Message')!;
    const parsed = JSON.parse(message) as Record<string, unknown>;
    expect(parsed.reasons).toBeUndefined();
    expect(parsed).toMatchObject({ batchId: big.batchId, received: 42, pass: 30, hold: 8, reject: 3, failed: 1, reconciled: true });
    expect(parsed.reasonsDropped).toMatchObject({ codes: 12_000 });
    expect((parsed.reasonsDropped as { note: string }).note).toContain('SNS message limit');
    expect(attributes.reasonsDropped).toEqual({ DataType: 'String', StringValue: 'true' });
    const total =
      Buffer.byteLength(message) +
      Buffer.byteLength(form.get('Subject')!) +
      Object.entries(attributes).reduce(
        (n, [k, a]) => n + Buffer.byteLength(k) + Buffer.byteLength(a.DataType!) + Buffer.byteLength(a.StringValue!),
        0,
      );
    expect(total).toBeLessThanOrEqual(SNS_MAX_MESSAGE_BYTES);
  });

  it('trims exactly at the limit: a summary that fits to the byte is sent whole', () => {
    const s = summary({ reasons: Object.fromEntries(Array.from({ length: 200 }, (_, i) => [`RULE_${i}`, 1])) });
    const whole = buildPublish(s, SNS_MAX_MESSAGE_BYTES);
    const size =
      Buffer.byteLength(whole.message) +
      Buffer.byteLength(whole.subject) +
      Object.entries(whole.attributes).reduce(
        (n, [k, a]) => n + Buffer.byteLength(k) + Buffer.byteLength(a.DataType ?? '') + Buffer.byteLength(a.StringValue ?? ''),
        0,
      );
    expect(buildPublish(s, size).reasonsDropped).toBe(false);
    expect(buildPublish(s, size - 1).reasonsDropped).toBe(true);
    expect(() => buildPublish(s, 100)).toThrow(InvalidStepInputError);
  });

  it.each([
    [429, 'Throttled', ThrottledError],
    [400, 'Throttling', ThrottledError],
    [400, 'KMSThrottling', ThrottledError],
    [500, 'InternalError', DependencyUnavailableError],
    [503, 'ServiceUnavailable', DependencyUnavailableError],
    [403, 'AuthorizationError', ConfigError],
    [404, 'NotFound', ConfigError],
    [400, 'InvalidParameter', ConfigError],
    [400, 'KMSAccessDenied', ConfigError],
    [403, 'InvalidClientTokenId', ConfigError],
  ])('maps %s %s to %o without echoing the vendor message', async (status, code, expected) => {
    server.enqueue(snsError(status, code, status >= 500 ? 'Receiver' : 'Sender'));
    const err = await failure(sns().notify(summary()));
    expect(err).toBeInstanceOf(expected);
    expect(err.message).toContain(TOPIC);
  });

  it('maps a proxy’s 502 HTML page to DependencyUnavailableError', async () => {
    server.enqueue({ status: 502, headers: { 'content-type': 'text/html' }, rawBody: '<html><body>Bad Gateway</body></html>' });
    expect(await failure(sns().notify(summary()))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps a refused connection and its own timeout to DependencyUnavailableError', async () => {
    const refused = await failure(sns({ endpoint: await closedPortUrl() }).notify(summary()));
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect(refused.message).toContain('ECONNREFUSED');

    server.enqueue({ ...snsOk, delayMs: 2000 });
    const late = await failure(sns({ timeoutMs: 200 }).notify(summary()));
    expect(late).toBeInstanceOf(DependencyUnavailableError);
    expect(late.message).toContain('timed out after 200 ms');
  });

  it('refuses a topic that is not an ARN at construction', () => {
    expect(() => createSnsNotifier({ topicArn: 'docroute-batches' })).toThrow(ConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
// EventBridge

interface PutEventsBody {
  Entries: { Source: string; DetailType: string; Detail: string; EventBusName?: string }[];
}

const ebOk: ScriptedResponse = {
  status: 200,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: { FailedEntryCount: 0, Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }] },
};
/** awsJson1_1 error: the type in `x-amzn-ErrorType` and `__type`. */
const ebError = (status: number, type: string): ScriptedResponse => ({
  status,
  headers: { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-ErrorType': type },
  body: { __type: type, message: `failed for ${VENDOR_DETAIL}` },
});
const ebEntryFailure = (code: string | null): ScriptedResponse => ({
  status: 200,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: { FailedEntryCount: 1, Entries: [code === null ? {} : { ErrorCode: code, ErrorMessage: `entry failed for ${VENDOR_DETAIL}` }] },
});

describe('eventbridge publisher (PutEvents, awsJson1_1)', () => {
  const publisher = (overrides: { endpoint?: string; timeoutMs?: number; eventBusName?: string } = {}): EventPublisher =>
    createEventBridgePublisher({
      region: REGION,
      endpoint: overrides.endpoint ?? server.url,
      credentials: CREDENTIALS,
      ...(overrides.eventBusName === undefined ? {} : { eventBusName: overrides.eventBusName }),
      ...(overrides.timeoutMs === undefined ? {} : { timeoutMs: overrides.timeoutMs }),
    });
  const DETAIL = { documentId: 'a'.repeat(64), outcome: 'pass', decisionVersion: 1 };

  it('sends one entry with source docroute, the detail type and the detail as JSON', async () => {
    server.enqueue(ebOk, ebOk);
    await publisher({ eventBusName: 'arn:aws:events:eu-central-1:123456789012:event-bus/docroute' }).publish('Document Routed', DETAIL);
    await publisher().publish('Document Routed', DETAIL);

    const [onBus, onDefault] = server.requests;
    expect(onBus!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(onBus!.headers.authorization).toMatch(/Credential=AKIDEXAMPLE\/\d{8}\/eu-central-1\/events\/aws4_request/);
    const entries = (onBus!.body as PutEventsBody).Entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toEqual({
      Source: 'docroute',
      DetailType: 'Document Routed',
      Detail: JSON.stringify(DETAIL),
      EventBusName: 'arn:aws:events:eu-central-1:123456789012:event-bus/docroute',
    });
    expect((onDefault!.body as PutEventsBody).Entries[0]!.EventBusName).toBeUndefined();
  });

  it.each([
    ['ThrottlingException', ThrottledError],
    ['InternalFailure', DependencyUnavailableError],
    [null, DependencyUnavailableError],
    ['AccessDeniedException', ConfigError],
    ['MalformedDetail', ConfigError],
    ['NotAuthorizedForSourceException', ConfigError],
    ['NotAuthorizedForDetailTypeException', ConfigError],
  ])('maps a 200 with FailedEntryCount 1 and ErrorCode %s to %o', async (code, expected) => {
    server.enqueue(ebEntryFailure(code));
    const err = await failure(publisher().publish('Document Routed', DETAIL));
    expect(err).toBeInstanceOf(expected);
  });

  it.each([
    [400, 'ThrottlingException', ThrottledError],
    [500, 'InternalException', DependencyUnavailableError],
    [503, 'ServiceUnavailable', DependencyUnavailableError],
    [400, 'AccessDeniedException', ConfigError],
    [400, 'ResourceNotFoundException', ConfigError],
    [400, 'UnrecognizedClientException', ConfigError],
  ])('maps a whole-call %s %s to %o', async (status, type, expected) => {
    server.enqueue(ebError(status, type));
    expect(await failure(publisher().publish('Document Routed', DETAIL))).toBeInstanceOf(expected);
  });

  it('refuses an entry over 256 KB before sending it, and sends one of exactly 256 KB', async () => {
    const overhead = entrySize({ Source: 'docroute', DetailType: 'Document Routed', Detail: JSON.stringify({ pad: '' }) });
    const fits = { pad: 'x'.repeat(MAX_ENTRY_BYTES - overhead) };
    server.enqueue(ebOk);
    await publisher().publish('Document Routed', fits);
    const sent = (server.requests[0]!.body as PutEventsBody).Entries[0]!;
    expect(entrySize({ Source: sent.Source, DetailType: sent.DetailType, Detail: sent.Detail })).toBe(MAX_ENTRY_BYTES);

    const over = await failure(publisher().publish('Document Routed', { pad: `${fits.pad}x` }));
    expect(over).toBeInstanceOf(InvalidStepInputError);
    expect(server.requests).toHaveLength(1);
  });

  it('sizes entries as EventBridge does: UTF-8 bytes of source, detail type, detail and resources, 14 for a time', () => {
    expect(entrySize({ Source: 'docroute', DetailType: 'Document Routed', Detail: '{"a":"ü"}' })).toBe(8 + 15 + 10);
    expect(entrySize({ Source: 'a', DetailType: 'b', Detail: 'c', Resources: ['arn:x', 'é'], Time: new Date(0) })).toBe(3 + 5 + 2 + 14);
  });

  it('maps a refused connection and its own timeout to DependencyUnavailableError', async () => {
    const refused = await failure(publisher({ endpoint: await closedPortUrl() }).publish('Document Routed', DETAIL));
    expect(refused).toBeInstanceOf(DependencyUnavailableError);
    expect(refused.message).toContain('ECONNREFUSED');

    server.enqueue({ ...ebOk, delayMs: 2000 });
    const late = await failure(publisher({ timeoutMs: 200 }).publish('Document Routed', DETAIL));
    expect(late).toBeInstanceOf(DependencyUnavailableError);
    expect(late.message).toContain('timed out after 200 ms');
  });
});
