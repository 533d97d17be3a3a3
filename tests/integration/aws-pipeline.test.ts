import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DynamoStore } from '../../src/adapters/aws/dynamodb-store.js';
import { createAwsTaskHandlers, type Env } from '../../src/entrypoints/lambda/aws-runtime.js';
import { createLambdaHandler } from '../../src/entrypoints/lambda/handler-kit.js';
import type { BatchSummary } from '../../src/domain/summarize.js';
import {
  buildDefinition,
  FUNCTION_NAMES,
  localResource,
  TASK_FUNCTIONS,
  TASK_NAMES,
  type TaskName,
} from '../../src/orchestration/definition.js';
import { createLocalEngine } from '../../src/orchestration/local/engine.js';
import { applyInputTransformer, S3_INPUT_TRANSFORMER } from '../../src/orchestration/s3-trigger.js';
import type { TaskHandler } from '../../src/orchestration/tasks.js';
import { LOCAL_DYNAMO_REGION, startLocalDynamo, type LocalDynamo } from '../helpers/dynalite.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';
import { S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../helpers/s3rver.js';

/**
 * The AWS state machine end to end, as far as this machine allows: the AWS rendering of the one
 * definition, executed by the embedded engine, with every Task bound to the real Lambda handler of
 * its function (handler kit, Powertools, the AWS wiring from the environment), the DynamoDB store
 * on dynalite, S3 on s3rver, and Textract, EventBridge and SNS as local servers replaying their
 * documented responses. Textract throttles the first Start: the generated Retry handles it, and
 * the attempts are in the DynamoDB audit trail.
 */

const BUCKET = 'docroute-documents';
const JSON_1_1 = { 'content-type': 'application/x-amz-json-1.1' };
const INVOICE_LINES = [
  'INVOICE',
  'Northwind Traders Ltd',
  'Invoice No: INV-2026-0042',
  'Invoice Date: 2026-11-02',
  'Bill To: Example Bank plc',
  'Total Due: EUR 1,250.00',
  'Payment within 30 days',
];

/** Textract blocks for one page of lines (PAGE → LINE → WORD, as GetDocumentAnalysis returns them). */
const blocksFor = (lines: readonly string[]) => {
  const blocks: Record<string, unknown>[] = [];
  const lineIds: string[] = [];
  lines.forEach((text, i) => {
    const top = 0.05 + i * 0.04;
    const words = text.split(' ');
    const wordIds = words.map((_, j) => `w-${i}-${j}`);
    lineIds.push(`l-${i}`);
    blocks.push({
      BlockType: 'LINE',
      Id: `l-${i}`,
      Text: text,
      Confidence: 99.1,
      Page: 1,
      Geometry: { BoundingBox: { Left: 0.1, Top: top, Width: 0.6, Height: 0.02 } },
      Relationships: [{ Type: 'CHILD', Ids: wordIds }],
    });
    words.forEach((w, j) =>
      blocks.push({
        BlockType: 'WORD',
        Id: `w-${i}-${j}`,
        Text: w,
        TextType: 'PRINTED',
        Confidence: 99.2,
        Page: 1,
        Geometry: { BoundingBox: { Left: 0.1 + j * 0.08, Top: top, Width: 0.07, Height: 0.02 } },
      }),
    );
  });
  return [
    {
      BlockType: 'PAGE',
      Id: 'p-1',
      Page: 1,
      Geometry: { BoundingBox: { Left: 0, Top: 0, Width: 1, Height: 1 } },
      Relationships: [{ Type: 'CHILD', Ids: lineIds }],
    },
    ...blocks,
  ];
};

const ok = (body: unknown): ScriptedResponse => ({ status: 200, headers: JSON_1_1, body });
const snsOk: ScriptedResponse = {
  status: 200,
  headers: { 'content-type': 'text/xml' },
  rawBody:
    '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>567910cd-659e-55d4-8ccb-5aaf14679dc0</MessageId></PublishResult>' +
    '<ResponseMetadata><RequestId>d74b8436-ae13-5ab4-a9ff-ce54dfea72a0</RequestId></ResponseMetadata></PublishResponse>',
};

// A minimal PDF's bytes: the media type is sniffed before Textract is asked; Textract's answer is replayed.
const PDF = new TextEncoder().encode('%PDF-1.7\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

describe('the AWS state machine with the Lambda handlers, against dynalite, s3rver and replayed services', () => {
  let dynamo: LocalDynamo;
  let s3: LocalS3;
  let textract: ReplayServer;
  let events: ReplayServer;
  let sns: ReplayServer;
  let env: Env;
  let tableName: string;

  beforeAll(async () => {
    dynamo = await startLocalDynamo();
    tableName = await dynamo.createTable();
    s3 = await startLocalS3([BUCKET]);
    textract = createReplayServer();
    events = createReplayServer();
    sns = createReplayServer();
    await Promise.all([textract.start(), events.start(), sns.start()]);
    // The SDK's default credential chain reads these: s3rver checks the signature against them.
    vi.stubEnv('AWS_ACCESS_KEY_ID', S3RVER_CREDENTIALS.accessKeyId);
    vi.stubEnv('AWS_SECRET_ACCESS_KEY', S3RVER_CREDENTIALS.secretAccessKey);
    // Powertools reads its settings from the process environment, as on Lambda.
    vi.stubEnv('POWERTOOLS_SERVICE_NAME', 'docroute');
    vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'docroute-test');
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'WARN');
    const config = [
      'classify: { classifier: rules }',
      'engine: { retry: { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 5 } }',
    ].join('\n');
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'config/docroute.config.yaml', Body: config }));
    env = {
      AWS_REGION: LOCAL_DYNAMO_REGION,
      AWS_ENDPOINT_URL_S3: s3.endpoint,
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
      AWS_ENDPOINT_URL_TEXTRACT: textract.url,
      AWS_ENDPOINT_URL_EVENTBRIDGE: events.url,
      AWS_ENDPOINT_URL_SNS: sns.url,
      DOCROUTE_S3_PATH_STYLE: '1',
      DOCROUTE_S3_CHECKSUMS: 'WHEN_REQUIRED',
      DOCROUTE_TABLE: tableName,
      DOCROUTE_DOCUMENTS_BUCKET: BUCKET,
      DOCROUTE_INBOX_PREFIXES: 'inbox/',
      DOCROUTE_CONFIG_URI: `s3://${BUCKET}/config/docroute.config.yaml`,
      DOCROUTE_KMS_DOCUMENTS_KEY: 'alias/docroute-documents',
      DOCROUTE_KMS_RESULTS_KEY: 'alias/docroute-results',
      DOCROUTE_TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:docroute-batches',
      DOCROUTE_EVENT_BUS: 'docroute',
    };
  }, 60_000);

  afterAll(async () => {
    vi.unstubAllEnvs();
    await Promise.all([textract.close(), events.close(), sns.close()]);
    await s3.stop();
    await dynamo.stop();
  });

  it('admits an upload, reads it with Textract (retrying a throttled start), routes it, audits it in DynamoDB and publishes the summary', async () => {
    await s3.client().send(new PutObjectCommand({ Bucket: BUCKET, Key: 'inbox/northwind invoice.pdf', Body: PDF }));
    textract.enqueue(
      {
        status: 400,
        headers: JSON_1_1,
        body: { __type: 'com.amazonaws.textract#ProvisionedThroughputExceededException', Message: 'slow down' },
      },
      ok({ JobId: 'job-0001' }),
      ok({ JobStatus: 'IN_PROGRESS' }),
      ok({ JobStatus: 'SUCCEEDED', DocumentMetadata: { Pages: 1 }, AnalyzeDocumentModelVersion: '1.0', Blocks: blocksFor(INVOICE_LINES) }),
    );
    events.enqueue(ok({ FailedEntryCount: 0, Entries: [{ EventId: 'evt-1' }] }));
    sns.enqueue(snsOk);

    // One Lambda handler per function, built exactly as deployed but with this environment.
    const lambdas = Object.fromEntries(FUNCTION_NAMES.map((fn) => [fn, createLambdaHandler(fn, () => createAwsTaskHandlers(env))]));
    const context = { functionName: 'docroute-test', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;
    const handlers = Object.fromEntries(
      TASK_NAMES.map((task): [TaskName, TaskHandler] => [task, (envelope) => lambdas[TASK_FUNCTIONS[task]]!(envelope, context)]),
    ) as Record<TaskName, TaskHandler>;
    const definition = buildDefinition({
      maxConcurrency: 2,
      retry: { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 5 },
      resource: localResource,
      variant: 'aws',
    });

    // The upload's EventBridge event, through the rule's input transformer.
    const input = applyInputTransformer(S3_INPUT_TRANSFORMER, {
      id: '6f5a1d2e-0000-4000-8000-000000000001',
      'detail-type': 'Object Created',
      source: 'aws.s3',
      detail: { bucket: { name: BUCKET }, object: { key: 'inbox/northwind+invoice.pdf', size: PDF.length } },
    });
    const output = (await createLocalEngine(definition, handlers).run(input, {
      executionId: 'arn:aws:states:us-east-1:123456789012:execution:docroute:s3-6f5a1d2e',
      retryIntervalOverrides: Object.fromEntries(TASK_NAMES.map((n) => [n, 0])),
      waitTimeOverrides: { ExtractWait: 0 },
    })) as { summary: BatchSummary; notify: { delivered?: string[] } };

    expect(output.summary).toMatchObject({ received: 1, pass: 1, hold: 0, reject: 0, failed: 0, reconciled: true });
    expect(output.notify.delivered).toEqual(['sns']);
    expect(textract.remaining).toBe(0);

    // Textract was asked for the content-addressed original, with FORMS and TABLES.
    const start = textract.requests.find((r) => r.headers['x-amz-target'] === 'Textract.StartDocumentAnalysis')!;
    const startBody = start.body as { DocumentLocation: { S3Object: { Bucket: string; Name: string } }; FeatureTypes: string[] };
    expect(startBody.DocumentLocation.S3Object.Bucket).toBe(BUCKET);
    expect(startBody.DocumentLocation.S3Object.Name).toMatch(/^originals\/[0-9a-f]{64}$/);
    expect(startBody.FeatureTypes).toEqual(expect.arrayContaining(['FORMS', 'TABLES']));
    const documentId = startBody.DocumentLocation.S3Object.Name.slice('originals/'.length);

    // The audit trail in DynamoDB: received, the throttled start retried, polls, routed once.
    const store = new DynamoStore({ tableName, region: LOCAL_DYNAMO_REGION, endpoint: dynamo.endpoint });
    const timeline = await store.timeline(documentId);
    const starts = timeline
      .filter((r) => r.step === 'ExtractStart')
      .map((r) => `${r.attempt}:${r.event}${r.errorName ? `:${r.errorName}` : ''}`);
    expect(starts).toEqual(['1:entered', '1:failed:ThrottledError', '2:retried', '2:entered', '2:succeeded']);
    expect(timeline.filter((r) => r.step === 'ExtractPoll' && r.event === 'succeeded')).toHaveLength(2);
    expect(timeline[0]).toMatchObject({ step: 'Receive', event: 'received' });
    const routed = timeline.filter((r) => r.event === 'routed');
    expect(routed).toHaveLength(1);
    expect(routed[0]).toMatchObject({ outcome: 'pass' });
    expect(await store.getRoute(documentId)).toMatchObject({ outcome: 'pass', version: 1, kind: 'pipeline' });
    expect((await store.getDocument(documentId))?.name).toBe('northwind invoice.pdf');
    // No document text in the audit trail.
    expect(JSON.stringify(timeline)).not.toContain('Northwind');

    // The route entry in S3: the decision record next to a copy of the original.
    const record = JSON.parse(
      await (
        await s3
          .client()
          .send(new GetObjectCommand({ Bucket: BUCKET, Key: `routes/pass/${documentId.slice(0, 12)}-northwind invoice.pdf.json` }))
      ).Body!.transformToString(),
    ) as { outcome: string; documentClass: string; decision: { version: number } };
    expect(record).toMatchObject({ outcome: 'pass', documentClass: 'invoice', decision: { version: 1 } });

    // One Document Routed event, without field values; one SNS summary.
    expect(events.requests).toHaveLength(1);
    const entry = (events.requests[0]!.body as { Entries: { DetailType: string; Detail: string; EventBusName: string }[] }).Entries[0]!;
    expect(entry.DetailType).toBe('Document Routed');
    expect(entry.EventBusName).toBe('docroute');
    expect(JSON.parse(entry.Detail)).toMatchObject({ documentId, outcome: 'pass', decisionVersion: 1 });
    expect(entry.Detail).not.toContain('1250');
    expect(sns.requests).toHaveLength(1);
    const published = new URLSearchParams(sns.requests[0]!.rawBody);
    expect(JSON.parse(published.get('Message')!)).toMatchObject({ received: 1, pass: 1, reconciled: true });
  }, 120_000);
});
