import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  createDynamoDbClient,
  dynamoTableDefinition,
  DynamoStore,
  GSI1,
  MAX_CHECKPOINT_BYTES,
  type DynamoStoreOptions,
} from '../../src/adapters/aws/dynamodb-store.js';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { MemoryStore } from '../../src/adapters/memory/memory-store.js';
import type { DecisionRecord } from '../../src/ports/decisions.js';
import type { RouteRecord } from '../../src/ports/ledger.js';
import type { Outcome } from '../../src/domain/document.js';
import {
  ConfigError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InvalidStepInputError,
  PipelineError,
  ThrottledError,
} from '../../src/domain/errors.js';
import { storeContract, type ContractStore } from '../contract/store.contract.js';
import { tempDir } from '../helpers/docs.js';
import { LOCAL_DYNAMO_CREDENTIALS, startLocalDynamo, type LocalDynamo } from '../helpers/dynalite.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

// ---------------------------------------------------------------------------------------------
// The storage ports' contract, against every store.

storeContract('SqliteStore (temp file)', () => {
  const dir = tempDir('store-contract');
  const stores: SqliteStore[] = [];
  let n = 0;
  const openFile = (file: string): SqliteStore => {
    const s = new SqliteStore(file);
    stores.push(s);
    return s;
  };
  return Promise.resolve({
    open: () => {
      n += 1;
      const file = path.join(dir, `store-${n}.db`);
      return Promise.resolve({ store: openFile(file), another: () => openFile(file) });
    },
    close: () => {
      for (const s of stores) s.close();
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  });
});

storeContract('MemoryStore', () =>
  Promise.resolve({
    open: () => {
      const store = new MemoryStore();
      return Promise.resolve({ store, another: () => store });
    },
    close: () => Promise.resolve(),
  }),
);

const dynamoFixture =
  (extra: Partial<DynamoStoreOptions> = {}) =>
  async () => {
    const dynamo = await startLocalDynamo();
    return {
      open: async () => {
        const tableName = await dynamo.createTable();
        const handle = (): ContractStore => new DynamoStore({ ...extra, tableName, client: dynamo.client() });
        return { store: handle(), another: handle };
      },
      close: () => dynamo.stop(),
    };
  };

storeContract('DynamoStore (dynalite)', dynamoFixture());
// Two items per Query page: every read of a partition or the index goes through pagination.
storeContract('DynamoStore (dynalite, two-item pages)', dynamoFixture({ pageSize: 2 }));

// ---------------------------------------------------------------------------------------------
// What only the DynamoDB store does.

const hex = (): string => randomBytes(32).toString('hex');

const routeOf = (documentId: string, outcome: Outcome, routedAt: string, extra: Partial<RouteRecord> = {}): RouteRecord => ({
  documentId,
  outcome,
  batchId: 'b-1',
  executionId: 'x-1',
  documentClass: 'invoice',
  confidence: 0.9,
  reasons: [],
  location: `sink://${outcome}/${documentId}`,
  routedAt,
  version: 1,
  kind: 'pipeline',
  decidedAt: routedAt,
  ...extra,
});

const routedAudit = (documentId: string) =>
  ({ at: '2026-11-01T09:00:00.000Z', executionId: 'x-1', batchId: 'b-1', documentId, step: 'Route', attempt: 1, event: 'routed' }) as const;

const nextDecision = (documentId: string, version: number, outcome: Outcome, tag: string): DecisionRecord => ({
  documentId,
  version,
  kind: 'review',
  outcome,
  location: `sink://${outcome}/${documentId}`,
  decidedAt: '2026-11-02T10:00:00.000Z',
  batchId: tag,
  executionId: tag,
  result: null,
  steps: null,
});

const reviewedAudit = (d: DecisionRecord) =>
  ({
    at: d.decidedAt,
    executionId: d.executionId,
    batchId: d.batchId,
    documentId: d.documentId,
    step: 'Review',
    attempt: 1,
    event: 'reviewed',
  }) as const;

const failure = async (p: Promise<unknown>, ...mustNotContain: string[]): Promise<PipelineError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  for (const s of mustNotContain) expect((err as Error).message).not.toContain(s);
  return err as PipelineError;
};

describe('DynamoStore on dynalite', () => {
  let dynamo: LocalDynamo;
  let tableName: string;
  const stores: DynamoStore[] = [];
  const open = (extra: Partial<DynamoStoreOptions> = {}): DynamoStore => {
    const s = new DynamoStore({ tableName, client: dynamo.client(), ...extra });
    stores.push(s);
    return s;
  };
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  beforeEach(async () => {
    tableName = await dynamo.createTable();
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  it('creates the table from its definition: pk/sk, and GSI1 projecting every attribute', async () => {
    const client = dynamo.client();
    const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
    expect(Table?.TableStatus).toBe('ACTIVE');
    expect(Table?.KeySchema).toEqual([
      { AttributeName: 'pk', KeyType: 'HASH' },
      { AttributeName: 'sk', KeyType: 'RANGE' },
    ]);
    const gsi = Table?.GlobalSecondaryIndexes?.find((g) => g.IndexName === GSI1);
    expect(gsi?.KeySchema).toEqual([
      { AttributeName: 'gsi1pk', KeyType: 'HASH' },
      { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
    ]);
    expect(gsi?.Projection).toEqual({ ProjectionType: 'ALL' });
    expect(dynamoTableDefinition('t').BillingMode).toBe('PAY_PER_REQUEST');
  });

  it('writes a route with its decision and audit record in one TransactWriteItems; counts attempts with a Query', async () => {
    const store = open();
    const doc = hex();
    const before = dynamo.operations.length;
    await store.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc));
    expect(dynamo.operations.slice(before)).toEqual(['TransactWriteItems']);
    const next = nextDecision(doc, 2, 'pass', 'review-1');
    const mark = dynamo.operations.length;
    expect((await store.supersede(next, reviewedAudit(next))).applied).toBe(true);
    expect(dynamo.operations.slice(mark)).toEqual(['GetItem', 'TransactWriteItems']);
    const counted = dynamo.operations.length;
    expect(await store.attempts('x-1', doc, 'Route')).toBe(0);
    expect(dynamo.operations.slice(counted)).toEqual(['Query']);
  });

  it('lists the documents in hold through GSI1, oldest route first, up to a limit, across pages', async () => {
    const store = open({ pageSize: 1 });
    const [a, b, c, d] = [hex(), hex(), hex(), hex()];
    await store.recordRoute(routeOf(b, 'hold', '2026-11-01T09:00:02.000Z'), routedAudit(b));
    await store.recordRoute(routeOf(a, 'hold', '2026-11-01T09:00:01.000Z'), routedAudit(a));
    await store.recordRoute(routeOf(c, 'pass', '2026-11-01T09:00:00.000Z'), routedAudit(c));
    await store.recordRoute(routeOf(d, 'hold', '2026-11-01T09:00:03.000Z'), routedAudit(d));
    expect((await store.routesWithOutcome('hold')).map((r) => r.documentId)).toEqual([a, b, d]);
    expect((await store.routesWithOutcome('hold', 2)).map((r) => r.documentId)).toEqual([a, b]);
    expect(await store.routesWithOutcome('pass')).toEqual([routeOf(c, 'pass', '2026-11-01T09:00:00.000Z')]);
    expect(await store.routesWithOutcome('reject')).toEqual([]);

    // A review moves b out of the queue; its route keeps its place by when it was first routed.
    const next = nextDecision(b, 2, 'pass', 'review-1');
    await store.supersede(next, reviewedAudit(next));
    expect((await store.routesWithOutcome('hold')).map((r) => r.documentId)).toEqual([a, d]);
    expect((await store.routesWithOutcome('pass')).map((r) => [r.documentId, r.version])).toEqual([
      [c, 1],
      [b, 2],
    ]);
  });

  it('round-trips numbers DynamoDB would otherwise see in exponent form', async () => {
    const store = open();
    const doc = hex();
    const route = routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z', { confidence: 1e-7 });
    await store.recordRoute(route, routedAudit(doc));
    expect((await store.getRoute(doc))?.confidence).toBe(1e-7);
    await store.append({ ...routedAudit(doc), event: 'succeeded', durationMs: 2.5e-8 });
    expect((await store.timeline(doc)).at(-1)?.durationMs).toBe(2.5e-8);
  });

  it(`refuses a checkpoint over ${MAX_CHECKPOINT_BYTES} bytes with DocumentTooLargeError (TOO_LARGE), writing nothing`, async () => {
    const store = open();
    const doc = hex();
    const key = { documentId: doc, step: 'Extract', configVersion: 'cfg-1' };
    const secret = 'IBAN DE44500105175407324931';
    // JSON of a string is the string plus two quotes.
    const fits = `${secret} ${'x'.repeat(MAX_CHECKPOINT_BYTES - secret.length - 3)}`;
    await store.put(key, fits);
    expect(await store.get(key)).toBe(fits);

    const big = { ...key, step: 'ExtractBig' };
    const before = dynamo.operations.length;
    const err = await failure(store.put(big, `${fits}xx`), secret, doc);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect(err).toMatchObject({ reasonCode: 'TOO_LARGE' });
    expect(err.message).toContain('Extract');
    expect(dynamo.operations.length).toBe(before);
    expect(await store.get(big)).toBeUndefined();
  });

  it('recordRoute: a TransactionConflict with nobody routed is ThrottledError and writes nothing', async () => {
    const store = open();
    const doc = hex();
    dynamo.cancelNextTransaction(['TransactionConflict', 'None', 'None']);
    expect(await failure(store.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc)))).toBeInstanceOf(
      ThrottledError,
    );
    expect(await store.getRoute(doc)).toBeNull();
    expect(await store.timeline(doc)).toEqual([]);
    // The retry (the state machine's) routes it.
    expect((await store.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc))).first).toBe(true);
  });

  it('recordRoute: a TransactionConflict with a committed route reports that route as first', async () => {
    const [one, two] = [open(), open()];
    const doc = hex();
    const winner = routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z');
    await one.recordRoute(winner, routedAudit(doc));
    dynamo.cancelNextTransaction(['TransactionConflict', 'None', 'None']);
    expect(await two.recordRoute(routeOf(doc, 'pass', '2026-11-01T09:00:05.000Z', { batchId: 'b-2' }), routedAudit(doc))).toEqual({
      first: false,
      record: winner,
    });
  });

  it('supersede: a TransactionConflict after the other writer committed is a lost race, not an error', async () => {
    const reviewer = open();
    const doc = hex();
    await reviewer.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc));
    const won = nextDecision(doc, 2, 'pass', 'review-1');
    const lost = nextDecision(doc, 2, 'reject', 'replay-1');
    // The replayer has read version 1; just before its transaction, the reviewer commits and
    // DynamoDB answers the replayer with a conflict rather than a failed condition.
    let injected = false;
    const client = createDynamoDbClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: LOCAL_DYNAMO_CREDENTIALS });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'TransactWriteItemsCommand' && !injected) {
          injected = true;
          expect((await reviewer.supersede(won, reviewedAudit(won))).applied).toBe(true);
          dynamo.cancelNextTransaction(['TransactionConflict', 'None', 'None', 'None']);
        }
        return next(args);
      },
      { step: 'initialize', name: 'docrouteInterleave' },
    );
    const racing = new DynamoStore({ tableName, client });
    expect(await racing.supersede(lost, reviewedAudit(lost))).toEqual({ applied: false, current: won });
    expect((await racing.decisions(doc)).map((d) => d.executionId)).toEqual(['x-1', 'review-1']);
    client.destroy();
  });

  it('supersede: a TransactionConflict with nothing committed is ThrottledError and writes nothing', async () => {
    const store = open();
    const doc = hex();
    await store.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc));
    const next = nextDecision(doc, 2, 'pass', 'review-1');
    dynamo.cancelNextTransaction(['TransactionConflict', 'None', 'None', 'None']);
    expect(await failure(store.supersede(next, reviewedAudit(next)))).toBeInstanceOf(ThrottledError);
    expect((await store.getRoute(doc))?.version).toBe(1);
    expect(await store.pendingMoves()).toEqual([]);
    expect((await store.timeline(doc)).map((r) => r.event)).toEqual(['routed']);
    expect(await store.supersede(next, reviewedAudit(next))).toEqual({ applied: true, current: next });
  });

  it('a duplicate field version is InvalidStepInputError, and the decision is not written', async () => {
    const store = open();
    const doc = hex();
    await store.recordRoute(routeOf(doc, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(doc));
    const fv = {
      documentId: doc,
      version: 2,
      fields: { total: 1 },
      corrected: ['total'],
      author: 'alice',
      createdAt: '2026-11-02T10:00:00.000Z',
    };
    const v2 = nextDecision(doc, 2, 'hold', 'review-1');
    await store.supersede(v2, reviewedAudit(v2), { fieldVersion: fv });
    const v3 = nextDecision(doc, 3, 'pass', 'review-2');
    const err = await failure(store.supersede(v3, reviewedAudit(v3), { fieldVersion: { ...fv, fields: { total: 2 } } }));
    expect(err).toBeInstanceOf(InvalidStepInputError);
    expect((await store.getRoute(doc))?.version).toBe(2);
  });

  it('a missing table is ConfigError', async () => {
    const store = new DynamoStore({ tableName: 'no-such-table', client: dynamo.client() });
    expect(await failure(store.getRoute(hex()))).toBeInstanceOf(ConfigError);
  });
});

// ---------------------------------------------------------------------------------------------
// Error mapping: DynamoDB speaks awsJson1_0 over HTTP/1.1, so a replay server stands in for it.

describe('DynamoStore error mapping (replay server)', () => {
  let server: ReplayServer;
  let client: DynamoDBClient;
  const DOC = 'c'.repeat(64);
  const VENDOR_DETAIL = 'vendor says: item {"note":"Kontoinhaber Erika Mustermann"}';

  beforeEach(async () => {
    server = createReplayServer();
    await server.start();
    client = createDynamoDbClient({ region: 'eu-central-1', endpoint: server.url, credentials: LOCAL_DYNAMO_CREDENTIALS });
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const store = (timeoutMs?: number): DynamoStore =>
    new DynamoStore({ tableName: 'docroute', client, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const awsError = (status: number, type: string, extra: Record<string, unknown> = {}): ScriptedResponse => ({
    status,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': 'REQ1' },
    body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: VENDOR_DETAIL, ...extra },
  });
  const ok = (body: unknown): ScriptedResponse => ({ status: 200, headers: { 'content-type': 'application/x-amz-json-1.0' }, body });

  /** A ROUTE item as DynamoDB sends it (the wire format of what the store writes). */
  const routeWire = (version: number) => ({
    pk: { S: `DOC#${DOC}` },
    sk: { S: 'ROUTE' },
    documentId: { S: DOC },
    outcome: { S: 'hold' },
    batchId: { S: 'b-0' },
    executionId: { S: 'x-0' },
    documentClass: { S: 'invoice' },
    confidence: { N: '0.87' },
    reasons: { S: '[{"code":"AMOUNT_ABOVE_APPROVAL_LIMIT","message":"above the limit"}]' },
    location: { S: 'sink://hold/x' },
    routedAt: { S: '2026-10-01T08:00:00.000Z' },
    version: { N: String(version) },
    kind: { S: version === 1 ? 'pipeline' : 'review' },
    decidedAt: { S: '2026-10-01T08:00:00.000Z' },
    gsi1pk: { S: 'OUTCOME#hold' },
    gsi1sk: { S: `2026-10-01T08:00:00.000Z#${DOC}` },
  });
  const cancelled = (reasons: Record<string, unknown>[]) =>
    awsError(400, 'TransactionCanceledException', { Message: 'Transaction cancelled', CancellationReasons: reasons });

  it.each([
    [400, 'ThrottlingException', ThrottledError],
    [400, 'ProvisionedThroughputExceededException', ThrottledError],
    [400, 'RequestLimitExceeded', ThrottledError],
    [400, 'TransactionConflictException', ThrottledError],
    [500, 'InternalServerError', DependencyUnavailableError],
    [503, 'ServiceUnavailable', DependencyUnavailableError],
    [400, 'ResourceNotFoundException', ConfigError],
    [400, 'AccessDeniedException', ConfigError],
    [400, 'ValidationException', ConfigError],
    [400, 'UnrecognizedClientException', ConfigError],
  ] as const)('maps HTTP %i %s to %s, in one attempt', async (status, type, expected) => {
    server.enqueue(awsError(status, type));
    expect(await failure(store().getRoute(DOC), VENDOR_DETAIL, DOC)).toBeInstanceOf(expected);
    expect(server.requests).toHaveLength(1);
    expect(server.requests[0]?.headers['x-amz-target']).toBe('DynamoDB_20120810.GetItem');
  });

  it('maps a proxy’s 502 HTML page to DependencyUnavailableError', async () => {
    server.enqueue({ status: 502, headers: { 'content-type': 'text/html' }, rawBody: '<html><body>Bad Gateway</body></html>' });
    expect(await failure(store().timeline(DOC))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps its timeout to DependencyUnavailableError', async () => {
    server.enqueue({ ...ok({}), delayMs: 2000 });
    expect(await failure(store(200).getDocument(DOC))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps a refused connection to DependencyUnavailableError', async () => {
    const closed = createReplayServer();
    await closed.start();
    const url = closed.url;
    await closed.close();
    const offline = createDynamoDbClient({ region: 'eu-central-1', endpoint: url, credentials: LOCAL_DYNAMO_CREDENTIALS });
    const err = await failure(new DynamoStore({ tableName: 'docroute', client: offline }).attempts('x', DOC, 'Extract'));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
    offline.destroy();
  });

  it('sends recordRoute as one conditional TransactWriteItems and reads a lost race from the ALL_OLD item', async () => {
    server.enqueue(
      cancelled([
        { Code: 'ConditionalCheckFailed', Message: 'The conditional request failed', Item: routeWire(1) },
        { Code: 'None' },
        { Code: 'None' },
      ]),
    );
    const mine = routeOf(DOC, 'pass', '2026-11-01T09:00:00.000Z');
    const r = await store().recordRoute(mine, routedAudit(DOC));
    expect(r.first).toBe(false);
    expect(r.record).toEqual({
      documentId: DOC,
      outcome: 'hold',
      batchId: 'b-0',
      executionId: 'x-0',
      documentClass: 'invoice',
      confidence: 0.87,
      reasons: [{ code: 'AMOUNT_ABOVE_APPROVAL_LIMIT', message: 'above the limit' }],
      location: 'sink://hold/x',
      routedAt: '2026-10-01T08:00:00.000Z',
      version: 1,
      kind: 'pipeline',
      decidedAt: '2026-10-01T08:00:00.000Z',
    });
    expect(server.requests).toHaveLength(1);
    const sent = server.requests[0];
    expect(sent?.headers['x-amz-target']).toBe('DynamoDB_20120810.TransactWriteItems');
    const items = (
      sent?.body as {
        TransactItems: {
          Put: { Item: { sk: { S: string } }; ConditionExpression?: string; ReturnValuesOnConditionCheckFailure?: string };
        }[];
      }
    ).TransactItems;
    expect(items.map((i) => i.Put.Item.sk.S.replace(/^AUDIT#.*/u, 'AUDIT#…'))).toEqual(['ROUTE', 'DECISION#000001', 'AUDIT#…']);
    expect(items.map((i) => i.Put.ConditionExpression)).toEqual(Array(3).fill('attribute_not_exists(pk)'));
    expect(items[0]?.Put.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it.each([
    ['ThrottlingError', ThrottledError],
    ['ProvisionedThroughputExceeded', ThrottledError],
    ['ValidationError', ConfigError],
    ['ItemCollectionSizeLimitExceeded', ConfigError],
  ] as const)('maps a transaction cancelled for %s to %s', async (code, expected) => {
    server.enqueue(cancelled([{ Code: code, Message: VENDOR_DETAIL }, { Code: 'None' }, { Code: 'None' }]));
    expect(
      await failure(store().recordRoute(routeOf(DOC, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(DOC)), VENDOR_DETAIL),
    ).toBeInstanceOf(expected);
  });

  it('reads the route again after a TransactionConflict, and is ThrottledError when nobody routed it', async () => {
    server.enqueue(cancelled([{ Code: 'TransactionConflict' }, { Code: 'None' }, { Code: 'None' }]), ok({}));
    expect(await failure(store().recordRoute(routeOf(DOC, 'hold', '2026-11-01T09:00:00.000Z'), routedAudit(DOC)))).toBeInstanceOf(
      ThrottledError,
    );
    expect(server.requests.map((r) => r.headers['x-amz-target'])).toEqual([
      'DynamoDB_20120810.TransactWriteItems',
      'DynamoDB_20120810.GetItem',
    ]);
  });

  it('supersede: a lost condition on the route reads the winner named by the ALL_OLD item', async () => {
    const winner = {
      pk: { S: `DOC#${DOC}` },
      sk: { S: 'DECISION#000002' },
      documentId: { S: DOC },
      version: { N: '2' },
      kind: { S: 'review' },
      outcome: { S: 'pass' },
      location: { S: 'sink://pass/x' },
      decidedAt: { S: '2026-11-02T10:00:00.000Z' },
      batchId: { S: 'review-9' },
      executionId: { S: 'review-9' },
      result: { NULL: true },
      steps: { NULL: true },
    };
    server.enqueue(
      ok({ Item: routeWire(1) }),
      cancelled([{ Code: 'ConditionalCheckFailed', Item: routeWire(2) }, { Code: 'None' }, { Code: 'None' }, { Code: 'None' }]),
      ok({ Item: winner }),
    );
    const mine = nextDecision(DOC, 2, 'reject', 'replay-1');
    const r = await store().supersede(mine, reviewedAudit(mine));
    expect(r).toEqual({
      applied: false,
      current: {
        documentId: DOC,
        version: 2,
        kind: 'review',
        outcome: 'pass',
        location: 'sink://pass/x',
        decidedAt: '2026-11-02T10:00:00.000Z',
        batchId: 'review-9',
        executionId: 'review-9',
        result: null,
        steps: null,
      },
    });
    const tx = server.requests[1]?.body as {
      TransactItems: Record<string, { ConditionExpression?: string; ExpressionAttributeValues?: Record<string, unknown> }>[];
    };
    expect(Object.keys(tx.TransactItems[0] ?? {})).toEqual(['Update']);
    expect(tx.TransactItems[0]?.['Update']?.ConditionExpression).toBe('#version = :previous');
    expect(tx.TransactItems[0]?.['Update']?.ExpressionAttributeValues?.[':previous']).toEqual({ N: '1' });
    expect(tx.TransactItems).toHaveLength(4);
  });

  it('reports a malformed item as InternalError, naming the attribute and not its value', async () => {
    const broken = { ...routeWire(1), reasons: { S: '{"note": "Kontoinhaber Erika"' } };
    server.enqueue(ok({ Item: broken }));
    const err = await failure(store().getRoute(DOC), 'Erika');
    expect(err.name).toBe('InternalError');
    expect(err.message).toContain('reasons');
  });
});
