import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createDynamoDbClient, dynamoTableDefinition } from '../../src/adapters/aws/dynamodb-store.js';

/*
 * dynalite (DynamoDB on LevelDB) implements the single-item API (GetItem, PutItem, UpdateItem,
 * DeleteItem, Query with GSIs, condition and update expressions, the 400 KB item limit) but not
 * transactions: TransactWriteItems is an UnknownOperationException. The production store needs
 * them, so the tests put a small proxy in front of dynalite that runs TransactWriteItems itself:
 *
 * - Every request through the proxy runs one at a time (a global lock), so a transaction is
 *   isolated from all other reads and writes: serializable, where DynamoDB is "serializable or
 *   cancelled with TransactionConflict". `cancelNextTransaction` scripts that conflict.
 * - Each action is executed with dynalite's own single-item call (conditions and all) after
 *   snapshotting its item; if any condition fails, every applied action is rolled back from its
 *   snapshot and the answer is DynamoDB's TransactionCanceledException with one CancellationReason
 *   per action, in order ("None", "ConditionalCheckFailed" with the ALL_OLD item when asked, ...).
 * - Two actions on one item are refused with ValidationException, as DynamoDB does.
 *
 * What it does not model: capacity, the 4 MB/100-action aggregate limits, idempotency tokens.
 */

type Json = Record<string, unknown>;
type Attr = Record<string, unknown>;

/** The parts of dynalite the tests use (the package ships no types). */
type DynaliteFactory = (options: { createTableMs: number; deleteTableMs: number; updateTableMs: number }) => Server;
const require = createRequire(import.meta.url);
const dynalite = require('dynalite') as DynaliteFactory;

/** Fake, but well-formed: dynalite checks that requests are signed, not the signature. */
export const LOCAL_DYNAMO_CREDENTIALS = { accessKeyId: 'AKIDLOCALDYNAMO', secretAccessKey: 'local-dynamo-secret' } as const;
export const LOCAL_DYNAMO_REGION = 'us-east-1';

export interface LocalDynamo {
  /** The proxy, `http://127.0.0.1:<port>`: dynalite plus TransactWriteItems. */
  readonly endpoint: string;
  /** A client built as production builds it (one attempt), pointed at the proxy. */
  client(): DynamoDBClient;
  /** Creates a fresh table from dynamoTableDefinition and returns its name. */
  createTable(): Promise<string>;
  /** The next TransactWriteItems is cancelled with these reason codes, without writing anything. */
  cancelNextTransaction(codes: readonly string[]): void;
  /** Operations seen by the proxy (`TransactWriteItems`, `Query`, ...), in order. */
  readonly operations: readonly string[];
  stop(): Promise<void>;
}

const listen = (server: Server): Promise<string> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`));
  });

const close = (server: Server): Promise<void> =>
  new Promise((resolve) => {
    server.closeAllConnections();
    server.close(() => resolve());
  });

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

const AMZ_JSON = 'application/x-amz-json-1.0';

const errorBody = (type: string, message: string, extra: Json = {}): Json => ({
  __type: `com.amazonaws.dynamodb.v20120810#${type}`,
  message,
  ...extra,
});

export const startLocalDynamo = async (): Promise<LocalDynamo> => {
  const backend = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const backendUrl = await listen(backend);
  const operations: string[] = [];
  const cancellations: string[][] = [];
  const keySchemas = new Map<string, string[]>();
  let tables = 0;

  /** One call to dynalite, signed well enough for it. */
  const call = async (op: string, body: Json): Promise<{ status: number; json: Json }> => {
    const res = await fetch(backendUrl, {
      method: 'POST',
      headers: {
        'content-type': AMZ_JSON,
        'x-amz-target': `DynamoDB_20120810.${op}`,
        'x-amz-date': '20260101T000000Z',
        authorization: `AWS4-HMAC-SHA256 Credential=${LOCAL_DYNAMO_CREDENTIALS.accessKeyId}/20260101/${LOCAL_DYNAMO_REGION}/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0`,
      },
      body: JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, json: (text === '' ? {} : JSON.parse(text)) as Json };
  };

  const text = (v: unknown): string => (typeof v === 'string' ? v : '');
  const typeOf = (json: Json): string => text(json['__type']).replace(/^.*#/u, '');

  const keyNames = async (table: string): Promise<string[]> => {
    const known = keySchemas.get(table);
    if (known) return known;
    const { status, json } = await call('DescribeTable', { TableName: table });
    if (status !== 200) throw new Error(`local dynamo: cannot describe table ${table}`);
    const schema = (json['Table'] as { KeySchema: { AttributeName: string }[] }).KeySchema.map((k) => k.AttributeName);
    keySchemas.set(table, schema);
    return schema;
  };

  type Kind = 'Put' | 'Update' | 'Delete' | 'ConditionCheck';
  interface Action {
    kind: Kind;
    spec: Json;
    table: string;
    key: Attr;
    before: Attr | undefined;
    applied: boolean;
  }

  const transactWrite = async (input: Json): Promise<{ status: number; json: Json }> => {
    const requested = input['TransactItems'];
    if (!Array.isArray(requested) || requested.length === 0 || requested.length > 100) {
      return { status: 400, json: errorBody('ValidationException', 'TransactItems must have 1 to 100 items') };
    }
    const scripted = cancellations.shift();
    if (scripted !== undefined) {
      return {
        status: 400,
        json: errorBody(
          'TransactionCanceledException',
          `Transaction cancelled, please refer cancellation reasons for specific reasons [${scripted.join(', ')}]`,
          {
            CancellationReasons: scripted.map((Code) => (Code === 'None' ? { Code } : { Code, Message: Code })),
          },
        ),
      };
    }

    const actions: Action[] = [];
    const seen = new Set<string>();
    for (const raw of requested as Json[]) {
      const kind = (['Put', 'Update', 'Delete', 'ConditionCheck'] as const).find((k) => raw[k] !== undefined);
      if (kind === undefined) return { status: 400, json: errorBody('ValidationException', 'unknown transaction action') };
      const spec = raw[kind] as Json;
      const table = String(spec['TableName']);
      const names = await keyNames(table);
      const source = (kind === 'Put' ? spec['Item'] : spec['Key']) as Attr;
      const key = Object.fromEntries(names.map((n) => [n, source[n]]));
      const id = JSON.stringify([table, names.map((n) => key[n])]);
      if (seen.has(id)) {
        return {
          status: 400,
          json: errorBody('ValidationException', 'Transaction request cannot include multiple operations on one item'),
        };
      }
      seen.add(id);
      const got = await call('GetItem', { TableName: table, Key: key, ConsistentRead: true });
      actions.push({ kind, spec, table, key, before: got.json['Item'] as Attr | undefined, applied: false });
    }

    const restore = async (a: Action): Promise<void> => {
      const r = a.before
        ? await call('PutItem', { TableName: a.table, Item: a.before })
        : await call('DeleteItem', { TableName: a.table, Key: a.key });
      if (r.status !== 200) throw new Error(`local dynamo: rollback failed (${typeOf(r.json)})`);
    };

    const expression = (spec: Json): Json =>
      Object.fromEntries(
        ['ConditionExpression', 'ExpressionAttributeNames', 'ExpressionAttributeValues']
          .filter((k) => spec[k] !== undefined)
          .map((k) => [k, spec[k]]),
      );

    const reasons: Json[] = [];
    let failure: { status: number; json: Json } | undefined;
    for (const a of actions) {
      const common = { TableName: a.table, ...expression(a.spec) };
      const r =
        a.kind === 'Put'
          ? await call('PutItem', { ...common, Item: a.spec['Item'] })
          : a.kind === 'Delete'
            ? await call('DeleteItem', { ...common, Key: a.key })
            : await call('UpdateItem', {
                ...common,
                Key: a.key,
                ...(a.kind === 'Update' ? { UpdateExpression: a.spec['UpdateExpression'] } : {}),
              });
      if (r.status === 200) {
        a.applied = true;
        reasons.push({ Code: 'None' });
        continue;
      }
      const type = typeOf(r.json);
      const message = text(r.json['message']) || text(r.json['Message']);
      if (type === 'ConditionalCheckFailedException') {
        reasons.push({
          Code: 'ConditionalCheckFailed',
          Message: 'The conditional request failed',
          ...(a.spec['ReturnValuesOnConditionCheckFailure'] === 'ALL_OLD' && a.before ? { Item: a.before } : {}),
        });
      } else if (type === 'ValidationException' && /size/iu.test(message)) {
        reasons.push({ Code: 'ValidationError', Message: message });
      } else {
        failure = r;
        break;
      }
    }

    const cancelled = failure !== undefined || reasons.some((r) => r['Code'] !== 'None');
    // A ConditionCheck wrote a key-only item when its item was absent: always undone.
    for (const a of [...actions].reverse()) if (a.applied && (cancelled || a.kind === 'ConditionCheck')) await restore(a);
    if (failure !== undefined) return failure;
    if (!cancelled) return { status: 200, json: {} };
    const codes = actions.map((_, i) => text(reasons[i]?.['Code']) || 'None');
    return {
      status: 400,
      json: errorBody(
        'TransactionCanceledException',
        `Transaction cancelled, please refer cancellation reasons for specific reasons [${codes.join(', ')}]`,
        {
          CancellationReasons: actions.map((_, i) => reasons[i] ?? { Code: 'None' }),
        },
      ),
    };
  };

  // Every request runs alone: the lock that makes an emulated transaction atomic and isolated.
  let tail: Promise<unknown> = Promise.resolve();
  const serialized = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  };

  const send = (res: ServerResponse, status: number, json: Json): void => {
    const body = JSON.stringify(json);
    res.writeHead(status, {
      'content-type': AMZ_JSON,
      'content-length': Buffer.byteLength(body),
      'x-amzn-requestid': randomBytes(8).toString('hex'),
    });
    res.end(body);
  };

  const proxy = createServer((req, res) => {
    void (async () => {
      const raw = await readBody(req);
      const target = String(req.headers['x-amz-target'] ?? '');
      const op = target.replace(/^.*\./u, '');
      await serialized(async () => {
        operations.push(op);
        if (op === 'TransactWriteItems') {
          const { status, json } = await transactWrite(JSON.parse(raw) as Json);
          send(res, status, json);
          return;
        }
        const headers: Record<string, string> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          if (typeof v === 'string' && !['host', 'content-length', 'connection'].includes(k)) headers[k] = v;
        }
        const forwarded = await fetch(backendUrl, { method: req.method ?? 'POST', headers, body: raw });
        const text = await forwarded.text();
        res.writeHead(forwarded.status, {
          'content-type': forwarded.headers.get('content-type') ?? AMZ_JSON,
          'content-length': Buffer.byteLength(text),
          'x-amzn-requestid': forwarded.headers.get('x-amzn-requestid') ?? '',
        });
        res.end(text);
      });
    })().catch(() => {
      if (!res.headersSent) send(res, 500, errorBody('InternalServerError', 'local dynamo proxy failed'));
    });
  });
  const endpoint = await listen(proxy);
  const clients: DynamoDBClient[] = [];

  return {
    endpoint,
    operations,
    client: () => {
      const c = createDynamoDbClient({ region: LOCAL_DYNAMO_REGION, endpoint, credentials: LOCAL_DYNAMO_CREDENTIALS });
      clients.push(c);
      return c;
    },
    createTable: async () => {
      tables += 1;
      const name = `docroute-${tables}-${randomBytes(3).toString('hex')}`;
      const c = createDynamoDbClient({ region: LOCAL_DYNAMO_REGION, endpoint, credentials: LOCAL_DYNAMO_CREDENTIALS });
      try {
        await c.send(new CreateTableCommand(dynamoTableDefinition(name)));
        // dynalite turns a table ACTIVE on a timer, even at createTableMs 0.
        for (let i = 0; i < 100; i += 1) {
          const described = await c.send(new DescribeTableCommand({ TableName: name }));
          if (described.Table?.TableStatus === 'ACTIVE') break;
          await new Promise((r) => setTimeout(r, 5));
        }
      } finally {
        c.destroy();
      }
      return name;
    },
    cancelNextTransaction: (codes) => {
      cancellations.push([...codes]);
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await close(proxy);
      await close(backend);
    },
  };
};
