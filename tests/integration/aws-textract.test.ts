import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Block } from '@aws-sdk/client-textract';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractionFromTextract } from '../../src/adapters/aws/textract-blocks.js';
import {
  TEXTRACT_MAX_QUERIES,
  clientRequestTokenFor,
  createTextractAnalysis,
  queriesFor,
  textractJobFailedError,
  type StartAnalysisInput,
  type TextractAnalysis,
} from '../../src/adapters/aws/textract-client.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentError,
  DocumentTooLargeError,
  InvalidStepInputError,
  PipelineError,
  ThrottledError,
  UnsupportedDocumentError,
  reasonCodeForError,
} from '../../src/domain/errors.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

/**
 * The Textract adapter against a loopback server that replays responses shaped like the documented
 * API (awsJson1_1: POST /, `X-Amz-Target: Textract.<Operation>`, errors named by `__type` or the
 * `x-amzn-errortype` header). The real SDK signs, serialises and deserialises; only the network
 * peer is scripted. Fake credentials, fake region, nothing beyond 127.0.0.1.
 */

interface GetResponse {
  readonly DocumentMetadata: { readonly Pages: number };
  readonly JobStatus: string;
  readonly NextToken?: string;
  readonly AnalyzeDocumentModelVersion?: string;
  readonly Blocks: Block[];
}

const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), '../fixtures/textract');
const fixture = (name: string): GetResponse => JSON.parse(readFileSync(path.join(FIXTURES, name), 'utf8')) as GetResponse;

const TWO_PAGES = fixture('analysis-two-pages.json');
const RESULT_PAGES = [fixture('get-result-page-1.json'), fixture('get-result-page-2.json'), fixture('get-result-page-3.json')];
const PARTIAL = fixture('analysis-missing-relationships.json');

/** Stands in for anything a vendor message could echo: it must never reach one of ours. */
const SECRET = 'ACCT-7731-ZEBRA-PAYEE-Hargreaves';

const DOCUMENT_ID = 'c0ffee00'.repeat(8);
const JOB_ID = '1c3f6b0e9a2d4e5f8a7b6c5d4e3f2a1b0c9d8e7f6a5b4c3d2e1f0a9b8c7d6e5f';

const JSON_1_1 = { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-RequestId': 'a1b2c3d4-0000-4000-8000-000000000000' };

const ok = (body: unknown): ScriptedResponse => ({ status: 200, headers: JSON_1_1, body });

/** awsJson1_1 error, named in the body's `__type` (namespaced, as the service may send it). */
const typedError = (status: number, type: string): ScriptedResponse => ({
  status,
  headers: JSON_1_1,
  body: { __type: `com.amazonaws.textract#${type}`, Message: `${type}: ${SECRET}` },
});

/** awsJson1_1 error named only by the `x-amzn-errortype` header. */
const headerError = (status: number, type: string): ScriptedResponse => ({
  status,
  headers: { ...JSON_1_1, 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazonaws.textract/` },
  body: { message: `${type}: ${SECRET}` },
});

const failure = async (p: Promise<unknown>): Promise<PipelineError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  const message = (err as Error).message;
  expect(message).not.toContain(SECRET);
  expect(message).not.toContain('ZEBRA');
  return err as PipelineError;
};

const thrown = (fn: () => unknown): PipelineError => {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(PipelineError);
    return err as PipelineError;
  }
  throw new Error('expected a PipelineError');
};

const reasonCodeOf = (err: PipelineError): string => {
  if (!(err instanceof DocumentError)) throw new Error(`expected a DocumentError, got ${err.name}`);
  return err.reasonCode;
};

/** A port that was listening a moment ago and is now closed: connections are refused. */
const closedPortUrl = async (): Promise<string> => {
  const s = createReplayServer();
  await s.start();
  const url = s.url;
  await s.close();
  return url;
};

interface StartBody {
  DocumentLocation: unknown;
  FeatureTypes: string[];
  ClientRequestToken: string;
  QueriesConfig?: unknown;
  KMSKeyId?: string;
  OutputConfig?: unknown;
}

let server: ReplayServer;
beforeEach(async () => {
  server = createReplayServer([], { protocol: 'http/1.1' });
  await server.start();
});
afterEach(async () => {
  await server.close();
});

const textract = (overrides: { endpoint?: string; timeoutMs?: number; maxResultPages?: number } = {}): TextractAnalysis =>
  createTextractAnalysis({
    region: 'eu-west-1',
    endpoint: overrides.endpoint ?? server.url,
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
    timeoutMs: overrides.timeoutMs ?? 10_000,
    ...(overrides.maxResultPages === undefined ? {} : { maxResultPages: overrides.maxResultPages }),
  });

const QUERIES = [
  { alias: 'invoice_number', text: 'What is the invoice number?' },
  { alias: 'due_date', text: 'What is the due date?' },
];

const START: Omit<StartAnalysisInput, 'clientRequestToken'> = {
  bucket: 'docroute-originals-eu-west-1',
  key: `originals/${DOCUMENT_ID}`,
  version: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
  queries: QUERIES,
  kmsKeyId: 'alias/docroute-textract',
  outputConfig: { bucket: 'docroute-textract-output', prefix: 'jobs' },
  mediaType: 'application/pdf',
};
const TOKEN = clientRequestTokenFor(DOCUMENT_ID, START);

describe('startAnalysis (StartDocumentAnalysis)', () => {
  it('sends the document location, FORMS + TABLES + QUERIES, the queries on every page and the idempotency token', async () => {
    server.enqueue(ok({ JobId: JOB_ID }));
    expect(await textract().startAnalysis({ ...START, clientRequestToken: TOKEN })).toBe(JOB_ID);

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/');
    expect(req.headers['x-amz-target']).toBe('Textract.StartDocumentAnalysis');
    expect(req.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/textract\/aws4_request/);
    // One attempt only: retries belong to the state machine.
    expect(req.headers['amz-sdk-request']).toBe('attempt=1; max=1');
    expect(req.body).toEqual({
      DocumentLocation: {
        S3Object: {
          Bucket: 'docroute-originals-eu-west-1',
          Name: `originals/${DOCUMENT_ID}`,
          Version: '3HL4kqtJlcpXroDTDmJ.rmSpXd3dIbrHY',
        },
      },
      FeatureTypes: ['FORMS', 'TABLES', 'QUERIES'],
      ClientRequestToken: TOKEN,
      QueriesConfig: {
        Queries: [
          { Text: 'What is the invoice number?', Alias: 'invoice_number', Pages: ['*'] },
          { Text: 'What is the due date?', Alias: 'due_date', Pages: ['*'] },
        ],
      },
      KMSKeyId: 'alias/docroute-textract',
      OutputConfig: { S3Bucket: 'docroute-textract-output', S3Prefix: 'jobs' },
    });
  });

  it('asks for FORMS and TABLES only, and sends nothing optional, when there are no queries', async () => {
    server.enqueue(ok({ JobId: JOB_ID }));
    const input = { bucket: 'b-originals', key: 'originals/abc', queries: [] };
    await textract().startAnalysis({ ...input, clientRequestToken: clientRequestTokenFor(DOCUMENT_ID, input) });
    const body = server.requests[0]!.body as StartBody;
    expect(body.FeatureTypes).toEqual(['FORMS', 'TABLES']);
    expect(body.DocumentLocation).toEqual({ S3Object: { Bucket: 'b-originals', Name: 'originals/abc' } });
    expect(Object.keys(body).sort()).toEqual(['ClientRequestToken', 'DocumentLocation', 'FeatureTypes']);
  });

  it('sends the same token when a Start is retried, so Textract returns the same job', async () => {
    server.enqueue(typedError(400, 'ThrottlingException'), ok({ JobId: JOB_ID }));
    const client = textract();
    expect(await failure(client.startAnalysis({ ...START, clientRequestToken: clientRequestTokenFor(DOCUMENT_ID, START) }))).toBeInstanceOf(
      ThrottledError,
    );
    expect(await client.startAnalysis({ ...START, clientRequestToken: clientRequestTokenFor(DOCUMENT_ID, START) })).toBe(JOB_ID);
    const tokens = server.requests.map((r) => (r.body as StartBody).ClientRequestToken);
    expect(tokens).toEqual([TOKEN, TOKEN]);
  });

  it('checks queries and the token before calling Textract', async () => {
    const client = textract();
    const many = Array.from({ length: TEXTRACT_MAX_QUERIES + 1 }, (_, i) => ({ alias: `field_${i}`, text: `What is value ${i}?` }));
    expect(await failure(client.startAnalysis({ ...START, queries: many, clientRequestToken: TOKEN }))).toBeInstanceOf(ConfigError);
    const accented = [{ alias: 'betrag', text: 'Wie hoch ist der Betrag für Müller?' }];
    const err = await failure(client.startAnalysis({ ...START, queries: accented, clientRequestToken: TOKEN }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).not.toContain('Müller');
    expect(await failure(client.startAnalysis({ ...START, clientRequestToken: 'not a token!' }))).toBeInstanceOf(InvalidStepInputError);
    expect(await failure(client.startAnalysis({ ...START, clientRequestToken: 'x'.repeat(65) }))).toBeInstanceOf(InvalidStepInputError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('clientRequestTokenFor and queriesFor', () => {
  it('derives a valid token from the document id and the request: stable for a retry, new for a changed request', () => {
    expect(TOKEN).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(TOKEN.startsWith(DOCUMENT_ID.slice(0, 47))).toBe(true);
    expect(clientRequestTokenFor(DOCUMENT_ID, { ...START })).toBe(TOKEN);
    // The media type is not sent, so it must not change the token.
    expect(clientRequestTokenFor(DOCUMENT_ID, { ...START, mediaType: 'image/png' } as typeof START)).toBe(TOKEN);
    expect(clientRequestTokenFor(DOCUMENT_ID, { ...START, queries: QUERIES.slice(1) })).not.toBe(TOKEN);
    expect(clientRequestTokenFor(DOCUMENT_ID, { ...START, version: 'another-version' })).not.toBe(TOKEN);
    expect(clientRequestTokenFor('f'.repeat(64), START)).not.toBe(TOKEN);
    expect(clientRequestTokenFor(DOCUMENT_ID, START, ['1'])).not.toBe(TOKEN);
  });

  it('turns the field specs that have a query into Textract queries aliased by field name', () => {
    expect(
      queriesFor([
        { name: 'invoice_number', query: 'What is the invoice number?' },
        { name: 'iban' },
        { name: 'total', query: 'What is the total amount due?' },
      ]),
    ).toEqual([
      { Text: 'What is the invoice number?', Alias: 'invoice_number' },
      { Text: 'What is the total amount due?', Alias: 'total' },
    ]);
    expect(queriesFor([{ name: 'iban' }])).toEqual([]);
  });

  it('refuses specs Textract would refuse: too many, too long, non-ASCII, or a name twice, naming the field, not the question', () => {
    const specs = Array.from({ length: TEXTRACT_MAX_QUERIES }, (_, i) => ({ name: `f${i}`, query: `What is value ${i}?` }));
    expect(queriesFor(specs)).toHaveLength(TEXTRACT_MAX_QUERIES);
    expect(thrown(() => queriesFor([...specs, { name: 'one_more', query: 'What else?' }]))).toBeInstanceOf(ConfigError);
    const long = thrown(() => queriesFor([{ name: 'total', query: `What is ${'the '.repeat(60)}total?` }]));
    expect(long).toBeInstanceOf(ConfigError);
    expect(long.message).toContain('"total"');
    const accented = thrown(() => queriesFor([{ name: 'payee', query: 'Who is the payee Müller?' }]));
    expect(accented).toBeInstanceOf(ConfigError);
    expect(accented.message).not.toContain('Müller');
    expect(
      thrown(() =>
        queriesFor([
          { name: 'total', query: 'What is the total?' },
          { name: 'total', query: 'What is the sum?' },
        ]),
      ),
    ).toBeInstanceOf(ConfigError);
  });
});

describe('getAnalysis (GetDocumentAnalysis)', () => {
  it('reports a job still running', async () => {
    server.enqueue(ok({ JobStatus: 'IN_PROGRESS' }));
    expect(await textract().getAnalysis(JOB_ID)).toEqual({ status: 'IN_PROGRESS' });
    const req = server.requests[0]!;
    expect(req.headers['x-amz-target']).toBe('Textract.GetDocumentAnalysis');
    expect(req.body).toEqual({ JobId: JOB_ID, MaxResults: 1000 });
  });

  it('reads all three NextToken result pages and merges them into the same analysis as one response', async () => {
    server.enqueue(...RESULT_PAGES.map(ok));
    const result = await textract().getAnalysis(JOB_ID);
    expect(server.requests.map((r) => r.body)).toEqual([
      { JobId: JOB_ID, MaxResults: 1000 },
      { JobId: JOB_ID, MaxResults: 1000, NextToken: RESULT_PAGES[0]!.NextToken },
      { JobId: JOB_ID, MaxResults: 1000, NextToken: RESULT_PAGES[1]!.NextToken },
    ]);
    if (result.status !== 'SUCCEEDED') throw new Error(`expected SUCCEEDED, got ${result.status}`);
    expect(result.pages).toBe(2);
    expect(result.modelVersion).toBe('1.0');
    expect(result.warnings).toEqual([]);
    expect(result.blocks).toEqual(RESULT_PAGES.flatMap((p) => p.Blocks));
    expect(result.blocks).toEqual(TWO_PAGES.Blocks);

    // The merged blocks map to exactly what the single two-page response maps to.
    const merged = extractionFromTextract({
      blocks: result.blocks,
      pages: result.pages,
      mediaType: 'application/pdf',
      modelVersion: '1.0',
    });
    const single = extractionFromTextract({ blocks: TWO_PAGES.Blocks, pages: 2, mediaType: 'application/pdf', modelVersion: '1.0' });
    expect(merged).toEqual(single);
    expect(merged.pages.map((p) => p.page)).toEqual([1, 2]);
    expect(merged.keyValues).toHaveLength(5);
    expect(merged.queryAnswers?.map((a) => a.alias)).toEqual(['invoice_number', 'due_date']);
  });

  it('reports a partial success with its warnings, merged by code', async () => {
    server.enqueue(
      ok({ ...PARTIAL, NextToken: 'cGFydGlhbC0y' }),
      ok({ ...PARTIAL, Blocks: [], Warnings: [{ ErrorCode: 'EXAMPLE_WARNING', Pages: [3, 2] }] }),
    );
    const result = await textract().getAnalysis(JOB_ID);
    if (result.status !== 'PARTIAL_SUCCESS') throw new Error(`expected PARTIAL_SUCCESS, got ${result.status}`);
    expect(result.warnings).toEqual([{ code: 'EXAMPLE_WARNING', pages: [2, 3] }]);
    expect(result.blocks).toHaveLength(PARTIAL.Blocks.length);
  });

  it('refuses results longer than maxResultPages as a document too large, without reading further', async () => {
    server.enqueue(ok(RESULT_PAGES[0]), ok(RESULT_PAGES[1]));
    const err = await failure(textract({ maxResultPages: 2 }).getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect(reasonCodeOf(err)).toBe('TOO_LARGE');
    expect(server.requests).toHaveLength(2);
  });

  it("returns a FAILED job's service message, and withholds one that could quote the object", async () => {
    const plain = 'Unable to get object metadata from S3. Check object key, region and/or access permissions.';
    server.enqueue(ok({ JobStatus: 'FAILED', StatusMessage: plain }));
    expect(await textract().getAnalysis(JOB_ID)).toEqual({ status: 'FAILED', message: plain });

    server.enqueue(ok({ JobStatus: 'FAILED', StatusMessage: `Request has unsupported document format: "${SECRET}.pdf"` }));
    const withheld = await textract().getAnalysis(JOB_ID);
    expect(withheld.status).toBe('FAILED');
    expect(JSON.stringify(withheld)).not.toContain(SECRET);

    server.enqueue(ok({ JobStatus: 'FAILED', StatusMessage: `Internal processing error ${'x'.repeat(500)}` }));
    const long = await textract().getAnalysis(JOB_ID);
    if (long.status !== 'FAILED') throw new Error('expected FAILED');
    expect(long.message.length).toBeLessThanOrEqual(200);
    expect(long.message.startsWith('Internal processing error')).toBe(true);
    // A capped message survives being turned into the document error.
    expect(textractJobFailedError(long.message).message).toContain('Internal processing error');

    const err = textractJobFailedError(plain);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect(err.retryable).toBe(false);
    expect(reasonCodeForError(err.name, err.message)).toBe('UNSUPPORTED_TYPE');
    expect(err.message).toContain('Unable to get object metadata from S3');
    expect(textractJobFailedError(`cannot read "${SECRET}"`).message).not.toContain(SECRET);
  });

  it('refuses a malformed job id without calling Textract', async () => {
    expect(await failure(textract().getAnalysis('../../etc'))).toBeInstanceOf(InvalidStepInputError);
    expect(server.requests).toHaveLength(0);
  });
});

describe('error translation', () => {
  const THROTTLING = ['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException'];

  it.each(THROTTLING)('maps %s (named by __type) to ThrottledError, on Start and on Get', async (type) => {
    server.enqueue(typedError(400, type), typedError(400, type));
    const client = textract();
    const start = await failure(client.startAnalysis({ ...START, clientRequestToken: TOKEN }));
    const get = await failure(client.getAnalysis(JOB_ID));
    for (const err of [start, get]) {
      expect(err).toBeInstanceOf(ThrottledError);
      expect(err.retryable).toBe(true);
      expect(err.message).toContain(type);
    }
  });

  it.each(THROTTLING)('maps %s (named by the x-amzn-errortype header) to ThrottledError', async (type) => {
    server.enqueue(headerError(400, type));
    expect(await failure(textract().getAnalysis(JOB_ID))).toBeInstanceOf(ThrottledError);
  });

  it('maps a bare 429 to ThrottledError', async () => {
    server.enqueue({ status: 429, headers: JSON_1_1, body: {} });
    expect(await failure(textract().getAnalysis(JOB_ID))).toBeInstanceOf(ThrottledError);
  });

  it.each<[string, ScriptedResponse]>([
    ['InternalServerError (500)', typedError(500, 'InternalServerError')],
    ['a 500 without a body', { status: 500, rawBody: '' }],
    ['a 503 HTML page from a proxy', { status: 503, headers: { 'content-type': 'text/html' }, rawBody: `<html>${SECRET}</html>` }],
  ])('maps %s to DependencyUnavailableError', async (_label, response) => {
    server.enqueue(response);
    const err = await failure(textract().getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.retryable).toBe(true);
  });

  it.each<
    [
      string,
      'application/pdf' | 'image/png' | undefined,
      typeof UnsupportedDocumentError | typeof CorruptDocumentError | typeof DocumentTooLargeError,
      string,
    ]
  >([
    ['UnsupportedDocumentException', 'application/pdf', UnsupportedDocumentError, 'UNSUPPORTED_TYPE'],
    ['BadDocumentException', 'application/pdf', CorruptDocumentError, 'CORRUPT_PDF'],
    ['BadDocumentException', 'image/png', CorruptDocumentError, 'CORRUPT_IMAGE'],
    ['BadDocumentException', undefined, UnsupportedDocumentError, 'UNSUPPORTED_TYPE'],
    ['DocumentTooLargeException', 'application/pdf', DocumentTooLargeError, 'TOO_LARGE'],
  ])('maps %s (%s) to a document error with its reason code', async (type, mediaType, cls, code) => {
    server.enqueue(typedError(400, type));
    const { mediaType: _ignored, ...rest } = START;
    const input = { ...rest, clientRequestToken: TOKEN, ...(mediaType === undefined ? {} : { mediaType }) };
    const err = await failure(textract().startAnalysis(input));
    expect(err).toBeInstanceOf(cls);
    expect(err.retryable).toBe(false);
    expect(reasonCodeOf(err)).toBe(code);
    // The code survives the trip through the state machine's Cause.
    expect(reasonCodeForError(err.name, err.message)).toBe(code);
  });

  it.each([
    'AccessDeniedException',
    'InvalidKMSKeyException',
    'InvalidParameterException',
    'InvalidS3ObjectException',
    'SomethingNewException',
  ])('maps %s to ConfigError', async (type) => {
    server.enqueue(typedError(400, type));
    const err = await failure(textract().startAnalysis({ ...START, clientRequestToken: TOKEN }));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.retryable).toBe(false);
  });

  it('maps InvalidJobIdException (Get) and IdempotentParameterMismatchException (Start) to InvalidStepInputError', async () => {
    server.enqueue(typedError(400, 'InvalidJobIdException'), typedError(400, 'IdempotentParameterMismatchException'));
    const client = textract();
    const get = await failure(client.getAnalysis(JOB_ID));
    const start = await failure(client.startAnalysis({ ...START, clientRequestToken: TOKEN }));
    expect(get).toBeInstanceOf(InvalidStepInputError);
    expect(get.message).toContain('InvalidJobIdException');
    expect(start).toBeInstanceOf(InvalidStepInputError);
    expect(start.message).toContain('IdempotentParameterMismatchException');
  });

  it.each<[string, ScriptedResponse]>([
    [
      'truncated JSON',
      { status: 200, headers: JSON_1_1, rawBody: `{"JobStatus":"SUCCEEDED","Blocks":[{"BlockType":"LINE","Text":"${SECRET}` },
    ],
    ['Blocks that are not a list', ok({ JobStatus: 'SUCCEEDED', DocumentMetadata: { Pages: 1 }, Blocks: { Text: SECRET } })],
    ['a block that is not an object', ok({ JobStatus: 'SUCCEEDED', DocumentMetadata: { Pages: 1 }, Blocks: [SECRET] })],
    ['an unknown JobStatus', ok({ JobStatus: 'PAUSED', Blocks: [] })],
    ['no JobStatus', ok({ Blocks: [] })],
  ])('maps a 200 with %s to DependencyUnavailableError, quoting none of the body', async (_label, response) => {
    server.enqueue(response);
    const err = await failure(textract().getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toMatch(/malformed|not valid JSON/);
  });

  it('refuses a NextToken that repeats instead of looping', async () => {
    const again = { ...RESULT_PAGES[0]!, NextToken: 'c2FtZQ==' };
    server.enqueue(ok(again), ok(again));
    const err = await failure(textract().getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('NextToken repeated');
    expect(server.requests).toHaveLength(2);
  });

  it('maps a refused connection to DependencyUnavailableError', async () => {
    const err = await failure(textract({ endpoint: await closedPortUrl() }).getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('gives up on a call that outlives timeoutMs as DependencyUnavailableError', async () => {
    server.enqueue({ ...ok({ JobStatus: 'IN_PROGRESS' }), delayMs: 5_000 });
    const err = await failure(textract({ timeoutMs: 50 }).getAnalysis(JOB_ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('timed out');
  });
});
