import { randomBytes } from 'node:crypto';
import {
  DeleteItemCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  type AttributeValue,
  type CreateTableCommandInput,
  type QueryCommandInput,
  type TransactWriteItem,
} from '@aws-sdk/client-dynamodb';
import type { DecisionKind, DocumentId, FieldValue, FinalOutcome, Outcome, Reason, RouteResult } from '../../domain/document.js';
import {
  ConfigError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
  InvalidStepInputError,
  PipelineError,
  ThrottledError,
} from '../../domain/errors.js';
import type { AuditEventType, AuditLog, AuditRecord, StoredAuditRecord } from '../../ports/audit-log.js';
import type { CheckpointKey, Checkpoints } from '../../ports/checkpoints.js';
import type { DecisionLog, DecisionRecord, FieldVersion } from '../../ports/decisions.js';
import type { BatchOutcomeRecord, DocumentRecord, Ledger, RouteRecord } from '../../ports/ledger.js';
import {
  clientSettings,
  inspectVendorError,
  NETWORK_CODES,
  SAFE_NAME,
  type AwsConnectionOptions,
  type VendorErrorShape,
} from './aws-common.js';

/*
 * Single-table design. Every key part that comes from a caller is URI-encoded, so a `#` inside a
 * step name or batch id can never make two keys collide.
 *
 *   pk                  sk                          what                              gsi1pk / gsi1sk
 *   DOC#<id>            DOC                         the document record (first wins)
 *   DOC#<id>            STEP#<step>#<configVersion> a checkpoint (first writer wins)
 *   DOC#<id>            AUDIT#<ms>#<n>#<rand>       an audit record (append-only)
 *   DOC#<id>            ROUTE                       the current route + its version   OUTCOME#<outcome> / <routedAt>#<id>
 *   DOC#<id>            DECISION#<000001>           one decision of the chain
 *   DOC#<id>            FIELDS#<000002>             a reviewer's field version
 *   DOC#<id>            MOVE#<000002>               a pending move (deleted by moved)  MOVE / <id>#<000002>
 *   BATCH#<batchId>     DOC#<id>                    batch membership and outcome
 *   BATCH#<batchId>     AUDIT#<ms>#<n>#<rand>       audit records without a document
 *   RATE#<key>          BUCKET                      a token bucket (dynamodb-token-bucket.ts)
 *
 * GSI1 (projection ALL) is sparse: only ROUTE items ("which documents are in hold", oldest route
 * first) and MOVE items (pending moves across documents) carry its keys. GSI reads are eventually
 * consistent; everything else reads the base table with ConsistentRead.
 */

export const GSI1 = 'gsi1';

/**
 * The table as CreateTable input: tests create it in dynalite, and Terraform mirrors it (adding
 * what is infrastructure's business: SSE-KMS key, point-in-time recovery, deletion protection).
 */
export const dynamoTableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: 'pk', AttributeType: 'S' },
    { AttributeName: 'sk', AttributeType: 'S' },
    { AttributeName: 'gsi1pk', AttributeType: 'S' },
    { AttributeName: 'gsi1sk', AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
  GlobalSecondaryIndexes: [
    {
      IndexName: GSI1,
      KeySchema: [
        { AttributeName: 'gsi1pk', KeyType: 'HASH' },
        { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
      ],
      Projection: { ProjectionType: 'ALL' },
    },
  ],
});

/** DynamoDB's item limit (400 KB, counting attribute names and values). */
export const MAX_ITEM_BYTES = 400 * 1024;

/**
 * The largest checkpoint value (its JSON) this store keeps: headroom under the item limit for the
 * key and attribute names. An Extraction of a long scanned document can pass it; such values are
 * refused with DocumentTooLargeError (TOO_LARGE) rather than retried, until large values move to S3.
 */
export const MAX_CHECKPOINT_BYTES = 350 * 1024;

// ---------------------------------------------------------------------------------------------
// Client and error translation (shared with the DynamoDB token bucket).

/** How to reach DynamoDB (or a local stand-in). */
export type DynamoDbConnectionOptions = AwsConnectionOptions;

/** A DynamoDB client built the house way (clientSettings: one attempt per call). */
export const createDynamoDbClient = (options: DynamoDbConnectionOptions): DynamoDBClient => new DynamoDBClient(clientSettings(options));

/**
 * DynamoDB's "slow down" answers. They are HTTP 400s ("client faults") but transient. A
 * TransactionConflict means another transaction held the item: retrying later is the cure.
 */
const THROTTLING = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'Throttling',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'LimitExceededException',
  'TransactionConflictException',
  'TransactionInProgressException',
  'ReplicatedWriteConflictException',
]);

/** Transient failures of the service or the connection. */
const UNAVAILABLE = new Set([
  'InternalServerError',
  'InternalFailure',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'RequestTimeout',
  'RequestTimeoutException',
  'TimeoutError',
  'AbortError',
]);

/** The table, index, account, credentials or request shape is wrong: retrying cannot help. */
const TERMINAL = new Set([
  'ResourceNotFoundException',
  'AccessDeniedException',
  'ValidationException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'IncompleteSignatureException',
  'MissingAuthenticationTokenException',
  'ExpiredTokenException',
  'InvalidClientTokenId',
  'CredentialsProviderError',
  'ItemCollectionSizeLimitExceededException',
]);

/** Cancellation reason codes of TransactWriteItems that mean "try again later". */
const THROTTLING_REASONS = new Set(['TransactionConflict', 'ProvisionedThroughputExceeded', 'ThrottlingError', 'RequestLimitExceeded']);

export interface DynamoDbErrorShape extends VendorErrorShape {
  /** TransactionCanceledException's reasons, in the order of the transaction's items. */
  readonly reasons: readonly { readonly code: string; readonly item: Record<string, AttributeValue> | undefined }[] | undefined;
}

/**
 * The shared vendor-error reading (name, code, HTTP status) plus the cancellation reason codes:
 * vendor messages can quote keys and values, and values can be document data.
 */
export const inspectDynamoDbError = (err: unknown): DynamoDbErrorShape => {
  const shape = inspectVendorError(err);
  if (typeof err !== 'object' || err === null) return { ...shape, reasons: undefined };
  const cancellation = (err as { CancellationReasons?: unknown }).CancellationReasons;
  const reasons = Array.isArray(cancellation)
    ? (cancellation as unknown[]).map((r) => {
        const reason = (typeof r === 'object' && r !== null ? r : {}) as { Code?: unknown; Item?: unknown };
        // "None" is sent as the literal string; an absent code is read the same way.
        const code = typeof reason.Code === 'string' && SAFE_NAME.test(reason.Code) ? reason.Code : 'None';
        const item = typeof reason.Item === 'object' && reason.Item !== null ? (reason.Item as Record<string, AttributeValue>) : undefined;
        return { code, item };
      })
    : undefined;
  return { ...shape, reasons };
};

/** A cancelled transaction whose reasons the caller did not handle. */
const translateCancellation = (codes: readonly string[], what: string): PipelineError => {
  const list = codes.join(', ');
  if (codes.some((c) => THROTTLING_REASONS.has(c))) return new ThrottledError(`dynamodb cancelled ${what} (${list})`);
  if (codes.includes('ValidationError') || codes.includes('ItemCollectionSizeLimitExceeded')) {
    return new ConfigError(`dynamodb refused ${what} (${list}); check the table definition`);
  }
  return new InternalError(`dynamodb cancelled ${what} (${list})`);
};

/**
 * Translates whatever the DynamoDB client threw into the taxonomy. `what` names the operation and
 * the table (never a key or a value).
 */
export const translateDynamoDbError = (err: unknown, what: string): PipelineError => {
  if (err instanceof PipelineError) return err;
  const { name, status, codes, reasons } = inspectDynamoDbError(err);
  if (name === 'TransactionCanceledException')
    return translateCancellation(
      (reasons ?? []).map((r) => r.code),
      what,
    );
  if (THROTTLING.has(name)) return new ThrottledError(`dynamodb throttled ${what} (${name})`);
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`dynamodb is unavailable for ${what} (${name})`);
  if (TERMINAL.has(name)) return new ConfigError(`dynamodb rejected ${what} with ${name}; check the table name, region and access`);
  if (status === 429) return new ThrottledError(`dynamodb throttled ${what} (HTTP 429)`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`dynamodb is unavailable for ${what} (${name}, HTTP ${status})`);
  }
  if (name === 'ConditionalCheckFailedException') return new InternalError(`dynamodb refused ${what}: an unexpected condition failed`);
  if (status !== undefined && status >= 400) return new ConfigError(`dynamodb rejected ${what} with ${name} (HTTP ${status})`);
  const network = codes.find((c) => NETWORK_CODES.has(c));
  if (network !== undefined) return new DependencyUnavailableError(`dynamodb endpoint unreachable for ${what} (${network})`);
  return new InternalError(`dynamodb call failed for ${what} (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

export const isConditionalCheckFailed = (err: unknown): boolean => inspectDynamoDbError(err).name === 'ConditionalCheckFailedException';

export const callOptions = (timeoutMs: number | undefined): { abortSignal?: AbortSignal } =>
  timeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(timeoutMs) };

// ---------------------------------------------------------------------------------------------
// Attribute values. Items are flat: nested data (reasons, results, fields) is stored as JSON text,
// which round-trips exactly as the SQLite store's columns do.

export type Item = Record<string, AttributeValue>;

const NULL: AttributeValue = { NULL: true };

/** DynamoDB numbers are decimal strings; spell out exponents (1e-7) rather than rely on them being accepted. */
const numberText = (n: number): string => {
  if (!Number.isFinite(n)) throw new InvalidStepInputError('a number to store is not finite');
  const s = String(n);
  if (!s.includes('e')) return s;
  const [mantissa = '0', exp = '0'] = s.split('e');
  const negative = mantissa.startsWith('-');
  const [int = '0', frac = ''] = mantissa.replace('-', '').split('.');
  const digits = int + frac;
  const point = int.length + Number(exp);
  const plain =
    point <= 0
      ? `0.${'0'.repeat(-point)}${digits}`
      : point >= digits.length
        ? digits + '0'.repeat(point - digits.length)
        : `${digits.slice(0, point)}.${digits.slice(point)}`;
  return negative ? `-${plain}` : plain;
};

export const av = {
  s: (v: string): AttributeValue => ({ S: v }),
  n: (v: number): AttributeValue => ({ N: numberText(v) }),
  bool: (v: boolean): AttributeValue => ({ BOOL: v }),
  optS: (v: string | null | undefined): AttributeValue => (v === null || v === undefined ? NULL : { S: v }),
  optN: (v: number | null | undefined): AttributeValue => (v === null || v === undefined ? NULL : { N: numberText(v) }),
  json: (v: unknown): AttributeValue => ({ S: JSON.stringify(v) }),
  optJson: (v: unknown): AttributeValue => (v === null || v === undefined ? NULL : { S: JSON.stringify(v) }),
};

const malformed = (what: string, attribute: string): InternalError =>
  new InternalError(`a ${what} item in the DynamoDB table is malformed (attribute ${attribute})`);

/** Reads attributes of one kind of item, naming the kind (never the value) when one is missing. */
export const reader = (item: Item, what: string) => {
  const optS = (name: string): string | null => {
    const v = item[name];
    if (v === undefined || v.NULL === true) return null;
    if (v.S === undefined) throw malformed(what, name);
    return v.S;
  };
  const optN = (name: string): number | null => {
    const v = item[name];
    if (v === undefined || v.NULL === true) return null;
    const n = v.N === undefined ? Number.NaN : Number(v.N);
    if (!Number.isFinite(n)) throw malformed(what, name);
    return n;
  };
  const s = (name: string): string => {
    const v = optS(name);
    if (v === null) throw malformed(what, name);
    return v;
  };
  const n = (name: string): number => {
    const v = optN(name);
    if (v === null) throw malformed(what, name);
    return v;
  };
  const bool = (name: string): boolean => item[name]?.BOOL === true;
  const optJson = (name: string): unknown => {
    const v = optS(name);
    if (v === null) return null;
    try {
      return JSON.parse(v) as unknown;
    } catch {
      throw malformed(what, name);
    }
  };
  const json = (name: string): unknown => {
    const v = optJson(name);
    if (v === null) throw malformed(what, name);
    return v;
  };
  return { s, n, bool, optS, optN, json, optJson };
};

/** An item's size as DynamoDB counts it (names + values; numbers rounded up to their text length). */
export const itemSize = (item: Item): number =>
  Object.entries(item).reduce((total, [name, v]) => {
    const value = v.S !== undefined ? Buffer.byteLength(v.S, 'utf8') : v.N !== undefined ? v.N.length : 1;
    return total + Buffer.byteLength(name, 'utf8') + value;
  }, 0);

// ---------------------------------------------------------------------------------------------
// Keys.

const part = (s: string): string => encodeURIComponent(s);
const pad = (n: number): string => String(n).padStart(6, '0');

export const keys = {
  doc: (documentId: DocumentId): string => `DOC#${part(documentId)}`,
  batch: (batchId: string): string => `BATCH#${part(batchId)}`,
  rate: (key: string): string => `RATE#${part(key)}`,
  step: (k: CheckpointKey): string => `STEP#${part(k.step)}#${part(k.configVersion)}`,
  member: (documentId: DocumentId): string => `DOC#${part(documentId)}`,
  decision: (version: number): string => `DECISION#${pad(version)}`,
  fields: (version: number): string => `FIELDS#${pad(version)}`,
  move: (version: number): string => `MOVE#${pad(version)}`,
  ROUTE: 'ROUTE',
  DOC: 'DOC',
  MOVES: 'MOVE',
  outcome: (outcome: Outcome): string => `OUTCOME#${outcome}`,
} as const;

const key = (pk: string, sk: string): Item => ({ pk: av.s(pk), sk: av.s(sk) });

// ---------------------------------------------------------------------------------------------
// Item codecs.

const routeItem = (r: RouteRecord): Item => ({
  ...key(keys.doc(r.documentId), keys.ROUTE),
  documentId: av.s(r.documentId),
  outcome: av.s(r.outcome),
  batchId: av.s(r.batchId),
  executionId: av.s(r.executionId),
  documentClass: av.optS(r.documentClass),
  confidence: av.optN(r.confidence),
  reasons: av.json(r.reasons),
  location: av.s(r.location),
  routedAt: av.s(r.routedAt),
  version: av.n(r.version),
  kind: av.s(r.kind),
  decidedAt: av.s(r.decidedAt),
  gsi1pk: av.s(keys.outcome(r.outcome)),
  gsi1sk: av.s(`${r.routedAt}#${part(r.documentId)}`),
});

const toRoute = (item: Item): RouteRecord => {
  const r = reader(item, 'route');
  return {
    documentId: r.s('documentId'),
    outcome: r.s('outcome') as Outcome,
    batchId: r.s('batchId'),
    executionId: r.s('executionId'),
    documentClass: r.optS('documentClass'),
    confidence: r.optN('confidence'),
    reasons: r.json('reasons') as Reason[],
    location: r.s('location'),
    routedAt: r.s('routedAt'),
    version: r.n('version'),
    kind: r.s('kind') as DecisionKind,
    decidedAt: r.s('decidedAt'),
  };
};

const decisionItem = (d: DecisionRecord): Item => ({
  ...key(keys.doc(d.documentId), keys.decision(d.version)),
  documentId: av.s(d.documentId),
  version: av.n(d.version),
  kind: av.s(d.kind),
  outcome: av.s(d.outcome),
  location: av.s(d.location),
  decidedAt: av.s(d.decidedAt),
  batchId: av.s(d.batchId),
  executionId: av.s(d.executionId),
  result: av.optJson(d.result),
  steps: av.optJson(d.steps),
});

const toDecision = (item: Item): DecisionRecord => {
  const r = reader(item, 'decision');
  return {
    documentId: r.s('documentId'),
    version: r.n('version'),
    kind: r.s('kind') as DecisionKind,
    outcome: r.s('outcome') as Outcome,
    location: r.s('location'),
    decidedAt: r.s('decidedAt'),
    batchId: r.s('batchId'),
    executionId: r.s('executionId'),
    result: r.optJson('result') as RouteResult | null,
    steps: r.optJson('steps') as Record<string, string> | null,
  };
};

const fieldVersionItem = (f: FieldVersion): Item => ({
  ...key(keys.doc(f.documentId), keys.fields(f.version)),
  documentId: av.s(f.documentId),
  version: av.n(f.version),
  fields: av.json(f.fields),
  corrected: av.json(f.corrected),
  author: av.s(f.author),
  createdAt: av.s(f.createdAt),
});

const toFieldVersion = (item: Item): FieldVersion => {
  const r = reader(item, 'field version');
  return {
    documentId: r.s('documentId'),
    version: r.n('version'),
    fields: r.json('fields') as Record<string, FieldValue>,
    corrected: r.json('corrected') as string[],
    author: r.s('author'),
    createdAt: r.s('createdAt'),
  };
};

const moveItem = (documentId: DocumentId, version: number, previousLocation: string): Item => ({
  ...key(keys.doc(documentId), keys.move(version)),
  documentId: av.s(documentId),
  version: av.n(version),
  previousLocation: av.s(previousLocation),
  gsi1pk: av.s(keys.MOVES),
  gsi1sk: av.s(`${part(documentId)}#${pad(version)}`),
});

const toAudit = (item: Item, seq: number): StoredAuditRecord => {
  const r = reader(item, 'audit');
  const durationMs = r.optN('durationMs');
  const outcome = r.optS('outcome');
  const errorName = r.optS('errorName');
  const reasonCodes = r.optJson('reasonCodes') as string[] | null;
  const note = r.optS('note');
  return {
    seq,
    at: r.s('at'),
    executionId: r.s('executionId'),
    batchId: r.s('batchId'),
    documentId: r.optS('documentId'),
    step: r.s('step'),
    attempt: r.n('attempt'),
    event: r.s('event') as AuditEventType,
    ...(durationMs !== null ? { durationMs } : {}),
    ...(outcome !== null ? { outcome: outcome as FinalOutcome } : {}),
    ...(errorName !== null ? { errorName } : {}),
    ...(reasonCodes !== null ? { reasonCodes } : {}),
    ...(note !== null ? { note } : {}),
  };
};

const toMember = (item: Item): BatchOutcomeRecord & { position: number } => {
  const r = reader(item, 'batch member');
  return {
    documentId: r.s('documentId'),
    name: r.optS('name') ?? '',
    outcome: r.optS('outcome') as FinalOutcome | null,
    duplicate: r.bool('duplicate'),
    errorName: r.optS('errorName'),
    errorCause: r.optS('errorCause'),
    reasonCode: r.optS('reasonCode'),
    position: r.optN('position') ?? -1,
  };
};

// ---------------------------------------------------------------------------------------------

export interface DynamoStoreOptions extends DynamoDbConnectionOptions {
  readonly tableName: string;
  /** An injected client (tests, shared clients). It should be built with createDynamoDbClient. */
  readonly client?: DynamoDBClient;
  /** Per DynamoDB call; past it the call fails with DependencyUnavailableError. Default 10 s. */
  readonly timeoutMs?: number;
  /** Items per Query page (default: DynamoDB's 1 MB pages). Small pages exercise pagination in tests. */
  readonly pageSize?: number;
  /** Milliseconds since the epoch; orders audit records. Default Date.now. */
  readonly now?: () => number;
}

/**
 * Checkpoints, audit trail, ledger and decision chain in one DynamoDB table (see the key schema
 * above), for the AWS production path. The same contracts as SqliteStore:
 *
 * - A checkpoint is a conditional put (`attribute_not_exists`): the first writer's value stays,
 *   and a second writer's put resolves without changing it. Values over MAX_CHECKPOINT_BYTES are
 *   refused with DocumentTooLargeError (TOO_LARGE): retrying could never store them.
 * - `recordRoute` writes the route, decision 1 and the `routed` audit record in ONE
 *   TransactWriteItems, the route conditioned on not existing: a losing writer gets `first: false`
 *   and the existing record (from the cancellation reason's ALL_OLD item, or a consistent read).
 * - `supersede` writes the route update (conditioned on the version it read), the decision, the
 *   optional field version, the pending move and the audit record in ONE TransactWriteItems: of
 *   two writers exactly one applies; the other gets `applied: false` and the decision that won.
 * - Audit records sort by the time this store appended them (its clock, then a per-instance
 *   counter), so `timeline` is append order; `seq` is the position in the document's timeline.
 *   Appends from different processes in the same millisecond are ordered arbitrarily.
 *
 * Errors are translated here, so no SDK error crosses the ports: throttling (including
 * TransactionConflict) → ThrottledError; 5xx, timeouts and network failures →
 * DependencyUnavailableError; missing table, access, credentials and validation → ConfigError.
 */
export class DynamoStore implements Checkpoints, AuditLog, Ledger, DecisionLog {
  readonly tableName: string;
  private readonly client: DynamoDBClient;
  private readonly timeoutMs: number;
  private readonly pageSize: number | undefined;
  private readonly now: () => number;
  private lastAuditMs = 0;
  private auditCounter = 0;
  /** Documents this instance superseded: pendingMoves checks them even before GSI1 shows their moves. */
  private readonly recentMoves = new Set<DocumentId>();

  constructor(options: DynamoStoreOptions) {
    if (options.tableName === '') throw new ConfigError('the DynamoDB table name is empty');
    this.tableName = options.tableName;
    this.client = options.client ?? createDynamoDbClient(options);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.pageSize = options.pageSize;
    this.now = options.now ?? Date.now;
  }

  // --- plumbing ----------------------------------------------------------------------------

  private what(action: string): string {
    return `${action} in table ${this.tableName}`;
  }

  private options(): { abortSignal?: AbortSignal } {
    return callOptions(this.timeoutMs);
  }

  private async getItem(pk: string, sk: string, what: string): Promise<Item | undefined> {
    try {
      const out = await this.client.send(
        new GetItemCommand({ TableName: this.tableName, Key: key(pk, sk), ConsistentRead: true }),
        this.options(),
      );
      return out.Item;
    } catch (err) {
      throw translateDynamoDbError(err, what);
    }
  }

  /** A put that only writes when the item is absent; false when it was there already. */
  private async putIfAbsent(item: Item, what: string): Promise<boolean> {
    try {
      await this.client.send(
        new PutItemCommand({ TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }),
        this.options(),
      );
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw translateDynamoDbError(err, what);
    }
  }

  /** Every page of a Query, up to `limit` items. */
  private async query(
    input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey' | 'Limit'>,
    what: string,
    limit = Number.POSITIVE_INFINITY,
  ): Promise<Item[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const remaining = limit - items.length;
      const pageLimit = Math.min(this.pageSize ?? Number.POSITIVE_INFINITY, remaining);
      try {
        const out = await this.client.send(
          new QueryCommand({
            ...input,
            TableName: this.tableName,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            ...(Number.isFinite(pageLimit) ? { Limit: pageLimit } : {}),
          }),
          this.options(),
        );
        items.push(...(out.Items ?? []));
        start = out.LastEvaluatedKey;
      } catch (err) {
        throw translateDynamoDbError(err, what);
      }
    } while (start !== undefined && items.length < limit);
    return items;
  }

  private async transact(items: TransactWriteItem[]): Promise<void> {
    for (const t of items) {
      const item = t.Put?.Item;
      if (item !== undefined && itemSize(item) > MAX_ITEM_BYTES) {
        throw new DocumentTooLargeError(`a record is ${itemSize(item)} bytes; a DynamoDB item holds at most ${MAX_ITEM_BYTES}`);
      }
    }
    await this.client.send(new TransactWriteItemsCommand({ TransactItems: items }), this.options());
  }

  /** Keys sort in append order: this store's clock, then a counter that keeps one instance monotonic. */
  private auditSortKey(): string {
    const t = Math.floor(this.now());
    if (t > this.lastAuditMs) {
      this.lastAuditMs = t;
      this.auditCounter = 0;
    } else {
      this.auditCounter += 1;
    }
    return `AUDIT#${String(this.lastAuditMs).padStart(15, '0')}#${String(this.auditCounter).padStart(6, '0')}#${randomBytes(4).toString('hex')}`;
  }

  private auditItem(r: AuditRecord): Item {
    return {
      ...key(r.documentId === null ? keys.batch(r.batchId) : keys.doc(r.documentId), this.auditSortKey()),
      at: av.s(r.at),
      executionId: av.s(r.executionId),
      batchId: av.s(r.batchId),
      documentId: av.optS(r.documentId),
      step: av.s(r.step),
      attempt: av.n(r.attempt),
      event: av.s(r.event),
      ...(r.durationMs === undefined ? {} : { durationMs: av.n(r.durationMs) }),
      ...(r.outcome === undefined ? {} : { outcome: av.s(r.outcome) }),
      ...(r.errorName === undefined ? {} : { errorName: av.s(r.errorName) }),
      ...(r.reasonCodes === undefined ? {} : { reasonCodes: av.json(r.reasonCodes) }),
      ...(r.note === undefined ? {} : { note: av.s(r.note) }),
    };
  }

  private putNew(item: Item): TransactWriteItem {
    return { Put: { TableName: this.tableName, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } };
  }

  // --- Checkpoints -------------------------------------------------------------------------

  async get<T>(k: CheckpointKey): Promise<T | undefined> {
    const item = await this.getItem(keys.doc(k.documentId), keys.step(k), this.what('reading a checkpoint'));
    if (item === undefined) return undefined;
    const text = reader(item, 'checkpoint').s('value');
    try {
      return JSON.parse(text) as T;
    } catch {
      throw malformed('checkpoint', 'value');
    }
  }

  async put(k: CheckpointKey, value: unknown): Promise<void> {
    const json = JSON.stringify(value) as string | undefined;
    if (json === undefined) throw new InvalidStepInputError(`the ${k.step} checkpoint value is not JSON`);
    const bytes = Buffer.byteLength(json, 'utf8');
    if (bytes > MAX_CHECKPOINT_BYTES) {
      throw new DocumentTooLargeError(
        `the ${k.step} result is ${bytes} bytes; a DynamoDB checkpoint holds at most ${MAX_CHECKPOINT_BYTES} (items are limited to 400 KB)`,
      );
    }
    const item: Item = {
      ...key(keys.doc(k.documentId), keys.step(k)),
      step: av.s(k.step),
      configVersion: av.s(k.configVersion),
      value: av.s(json),
    };
    // A second writer (a retried Lambda, a concurrent execution) keeps the first value: idempotent.
    await this.putIfAbsent(item, this.what('writing a checkpoint'));
  }

  // --- AuditLog ----------------------------------------------------------------------------

  async append(record: AuditRecord): Promise<void> {
    const item = this.auditItem(record);
    if (itemSize(item) > MAX_ITEM_BYTES) throw new InvalidStepInputError('an audit record is larger than a DynamoDB item');
    // The key is fresh, so the condition only guards against ever overwriting a record.
    if (!(await this.putIfAbsent(item, this.what('appending an audit record')))) {
      throw new InternalError('an audit record key was already taken');
    }
  }

  async attempts(executionId: string, documentId: DocumentId, step: string): Promise<number> {
    // A Query of the document's audit records (not a Scan); the filter runs server-side.
    const what = this.what('counting attempts');
    let count = 0;
    let start: Item | undefined;
    do {
      try {
        const out = await this.client.send(
          new QueryCommand({
            TableName: this.tableName,
            KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
            FilterExpression: '#event = :entered AND executionId = :execution AND #step = :step',
            ExpressionAttributeNames: { '#event': 'event', '#step': 'step' },
            ExpressionAttributeValues: {
              ':pk': av.s(keys.doc(documentId)),
              ':audit': av.s('AUDIT#'),
              ':entered': av.s('entered'),
              ':execution': av.s(executionId),
              ':step': av.s(step),
            },
            Select: 'COUNT',
            ConsistentRead: true,
            ...(start === undefined ? {} : { ExclusiveStartKey: start }),
            ...(this.pageSize === undefined ? {} : { Limit: this.pageSize }),
          }),
          this.options(),
        );
        count += out.Count ?? 0;
        start = out.LastEvaluatedKey;
      } catch (err) {
        throw translateDynamoDbError(err, what);
      }
    } while (start !== undefined);
    return count;
  }

  async timeline(documentId: DocumentId): Promise<StoredAuditRecord[]> {
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :audit)',
        ExpressionAttributeValues: { ':pk': av.s(keys.doc(documentId)), ':audit': av.s('AUDIT#') },
        ConsistentRead: true,
      },
      this.what('reading a timeline'),
    );
    return items.map((item, i) => toAudit(item, i + 1));
  }

  // --- Ledger ------------------------------------------------------------------------------

  async registerDocument(doc: DocumentRecord): Promise<void> {
    await this.putIfAbsent(
      {
        ...key(keys.doc(doc.documentId), keys.DOC),
        documentId: av.s(doc.documentId),
        name: av.s(doc.name),
        size: av.n(doc.size),
        firstSeenBatch: av.s(doc.firstSeenBatch),
      },
      this.what('registering a document'),
    );
  }

  async getDocument(documentId: DocumentId): Promise<DocumentRecord | null> {
    const item = await this.getItem(keys.doc(documentId), keys.DOC, this.what('reading a document'));
    if (item === undefined) return null;
    const r = reader(item, 'document');
    return { documentId: r.s('documentId'), name: r.s('name'), size: r.n('size'), firstSeenBatch: r.s('firstSeenBatch') };
  }

  async addToBatch(batchId: string, docs: readonly { documentId: DocumentId; name: string }[]): Promise<void> {
    const what = this.what('adding documents to a batch');
    // if_not_exists keeps what is there (a re-run, or an outcome recorded first): INSERT OR IGNORE.
    const add = async (d: { documentId: DocumentId; name: string }, position: number): Promise<void> => {
      try {
        await this.client.send(
          new UpdateItemCommand({
            TableName: this.tableName,
            Key: key(keys.batch(batchId), keys.member(d.documentId)),
            UpdateExpression:
              'SET documentId = :id, #name = if_not_exists(#name, :name), #position = if_not_exists(#position, :position), ' +
              '#outcome = if_not_exists(#outcome, :null), duplicate = if_not_exists(duplicate, :false)',
            ExpressionAttributeNames: { '#name': 'name', '#position': 'position', '#outcome': 'outcome' },
            ExpressionAttributeValues: {
              ':id': av.s(d.documentId),
              ':name': av.s(d.name),
              ':position': av.n(position),
              ':null': NULL,
              ':false': av.bool(false),
            },
          }),
          this.options(),
        );
      } catch (err) {
        throw translateDynamoDbError(err, what);
      }
    };
    // A few writes at a time: a large batch must not trip the table's (or the account's) rate.
    const CONCURRENCY = 8;
    for (let i = 0; i < docs.length; i += CONCURRENCY) {
      await Promise.all(docs.slice(i, i + CONCURRENCY).map((d, j) => add(d, i + j)));
    }
  }

  async getRoute(documentId: DocumentId): Promise<RouteRecord | null> {
    const item = await this.getItem(keys.doc(documentId), keys.ROUTE, this.what('reading a route'));
    return item === undefined ? null : toRoute(item);
  }

  async recordRoute(
    route: RouteRecord,
    audit: AuditRecord,
    decision?: { result: RouteResult; steps: Readonly<Record<string, string>> },
  ): Promise<{ first: boolean; record: RouteRecord }> {
    const what = this.what('recording a route');
    const record: RouteRecord = { ...route, version: 1, kind: 'pipeline', decidedAt: route.routedAt };
    const first: DecisionRecord = {
      documentId: route.documentId,
      version: 1,
      kind: 'pipeline',
      outcome: route.outcome,
      location: route.location,
      decidedAt: route.routedAt,
      batchId: route.batchId,
      executionId: route.executionId,
      result: decision?.result ?? null,
      steps: decision?.steps ?? null,
    };
    try {
      await this.transact([
        {
          Put: {
            TableName: this.tableName,
            Item: routeItem(record),
            ConditionExpression: 'attribute_not_exists(pk)',
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
        this.putNew(decisionItem(first)),
        this.putNew(this.auditItem(audit)),
      ]);
      return { first: true, record };
    } catch (err) {
      const { reasons } = inspectDynamoDbError(err);
      if (reasons === undefined) throw translateDynamoDbError(err, what);
      const [routeReason] = reasons;
      if (routeReason?.code === 'ConditionalCheckFailed') {
        // Routed before: the first writer's record, with nothing of ours written.
        const existing = routeReason.item !== undefined ? toRoute(routeReason.item) : await this.getRoute(route.documentId);
        if (existing === null) throw new DependencyUnavailableError(`dynamodb reported a route that cannot be read back (${what})`);
        return { first: false, record: existing };
      }
      if (reasons.some((r) => r.code === 'TransactionConflict')) {
        // Another writer was routing it at the same moment: if it has committed, it was first.
        const existing = await this.getRoute(route.documentId);
        if (existing !== null) return { first: false, record: existing };
      }
      throw translateDynamoDbError(err, what);
    }
  }

  async recordOutcome(
    batchId: string,
    documentId: DocumentId,
    outcome: FinalOutcome,
    detail: { duplicate: boolean; errorName?: string | undefined; errorCause?: string | undefined; reasonCode?: string | undefined },
  ): Promise<void> {
    const what = this.what('recording a batch outcome');
    const set =
      'SET documentId = :id, #outcome = :outcome, duplicate = :duplicate, errorName = :errorName, errorCause = :errorCause, reasonCode = :reasonCode';
    const values: Item = {
      ':id': av.s(documentId),
      ':outcome': av.s(outcome),
      ':duplicate': av.bool(detail.duplicate),
      ':errorName': av.optS(detail.errorName),
      ':errorCause': av.optS(detail.errorCause),
      ':reasonCode': av.optS(detail.reasonCode),
    };
    const update = async (extra: string, extraValues: Item, condition?: string): Promise<void> => {
      await this.client.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: key(keys.batch(batchId), keys.member(documentId)),
          UpdateExpression: set + extra,
          ExpressionAttributeNames: { '#outcome': 'outcome', ...(extra === '' ? {} : { '#name': 'name', '#position': 'position' }) },
          ExpressionAttributeValues: { ...values, ...extraValues },
          ...(condition === undefined ? {} : { ConditionExpression: condition }),
        }),
        this.options(),
      );
    };
    try {
      // The usual case: the document was added to the batch when it was received.
      await update('', {}, 'attribute_exists(pk)');
      return;
    } catch (err) {
      if (!isConditionalCheckFailed(err)) throw translateDynamoDbError(err, what);
    }
    // Not a member yet: it joins with its registered name, ahead of the received documents (as in SQLite).
    const name = (await this.getDocument(documentId))?.name ?? '';
    try {
      await update(', #name = if_not_exists(#name, :name), #position = if_not_exists(#position, :position)', {
        ':name': av.s(name),
        ':position': av.n(-1),
      });
    } catch (err) {
      throw translateDynamoDbError(err, what);
    }
  }

  async batchOutcomes(batchId: string): Promise<BatchOutcomeRecord[]> {
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :member)',
        ExpressionAttributeValues: { ':pk': av.s(keys.batch(batchId)), ':member': av.s('DOC#') },
        ConsistentRead: true,
      },
      this.what('reading batch outcomes'),
    );
    return items
      .map(toMember)
      .sort((a, b) => a.position - b.position || (a.documentId < b.documentId ? -1 : a.documentId > b.documentId ? 1 : 0))
      .map(({ position: _position, ...rest }) => rest);
  }

  /**
   * Documents whose current route is `outcome`, oldest route first (the review queue for `hold`).
   * Reads GSI1, which is eventually consistent: a decision made a moment ago may not show yet.
   */
  async routesWithOutcome(outcome: Outcome, limit = 10_000): Promise<RouteRecord[]> {
    const items = await this.query(
      {
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': av.s(keys.outcome(outcome)) },
        ScanIndexForward: true,
      },
      this.what('listing routes by outcome'),
      limit,
    );
    return items.slice(0, limit).map(toRoute);
  }

  // --- DecisionLog -------------------------------------------------------------------------

  async decisions(documentId: DocumentId): Promise<DecisionRecord[]> {
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :decision)',
        ExpressionAttributeValues: { ':pk': av.s(keys.doc(documentId)), ':decision': av.s('DECISION#') },
        ConsistentRead: true,
      },
      this.what('reading decisions'),
    );
    return items.map(toDecision);
  }

  private async decisionAt(documentId: DocumentId, version: number): Promise<DecisionRecord | null> {
    const item = await this.getItem(keys.doc(documentId), keys.decision(version), this.what('reading a decision'));
    return item === undefined ? null : toDecision(item);
  }

  async supersede(
    next: DecisionRecord,
    audit: AuditRecord,
    options: { fieldVersion?: FieldVersion } = {},
  ): Promise<{ applied: boolean; current: DecisionRecord | null }> {
    const what = this.what('superseding a decision');
    const previous = await this.getRoute(next.documentId);
    if (previous === null) return { applied: false, current: null };
    if (previous.version !== next.version - 1) return { applied: false, current: await this.decisionAt(next.documentId, previous.version) };

    const fv = options.fieldVersion;
    const items: TransactWriteItem[] = [
      {
        Update: {
          TableName: this.tableName,
          Key: key(keys.doc(next.documentId), keys.ROUTE),
          // The version check makes the location read above the one this decision replaces.
          ConditionExpression: '#version = :previous',
          UpdateExpression:
            'SET #outcome = :outcome, documentClass = :documentClass, confidence = :confidence, reasons = :reasons, ' +
            '#location = :location, #version = :version, kind = :kind, decidedAt = :decidedAt, gsi1pk = :gsi1pk',
          ExpressionAttributeNames: { '#version': 'version', '#outcome': 'outcome', '#location': 'location' },
          ExpressionAttributeValues: {
            ':previous': av.n(previous.version),
            ':outcome': av.s(next.outcome),
            ':documentClass': av.optS(next.result?.documentClass),
            ':confidence': av.optN(next.result?.confidence),
            ':reasons': av.json(next.result?.reasons ?? []),
            ':location': av.s(next.location),
            ':version': av.n(next.version),
            ':kind': av.s(next.kind),
            ':decidedAt': av.s(next.decidedAt),
            ':gsi1pk': av.s(keys.outcome(next.outcome)),
          },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
      this.putNew(decisionItem(next)),
      ...(fv === undefined ? [] : [this.putNew(fieldVersionItem(fv))]),
      { Put: { TableName: this.tableName, Item: moveItem(next.documentId, next.version, previous.location) } },
      this.putNew(this.auditItem(audit)),
    ];
    try {
      await this.transact(items);
    } catch (err) {
      const { reasons } = inspectDynamoDbError(err);
      if (reasons === undefined) throw translateDynamoDbError(err, what);
      const [routeReason] = reasons;
      const conflict = reasons.some((r) => r.code === 'TransactionConflict');
      if (routeReason?.code === 'ConditionalCheckFailed' || conflict) {
        // Another decision won (or may be winning): if it has committed, report it; nothing of ours was written.
        const winner = routeReason?.item !== undefined ? toRoute(routeReason.item) : await this.getRoute(next.documentId);
        if (winner !== null && winner.version !== previous.version) {
          return { applied: false, current: await this.decisionAt(next.documentId, winner.version) };
        }
        if (!conflict) throw new DependencyUnavailableError(`dynamodb reported a newer decision that cannot be read back (${what})`);
      }
      if (fv !== undefined && reasons[2]?.code === 'ConditionalCheckFailed') {
        throw new InvalidStepInputError(`field version ${fv.version} of the document exists already; read the field versions again`);
      }
      throw translateDynamoDbError(err, what);
    }
    this.recentMoves.add(next.documentId);
    return { applied: true, current: next };
  }

  async fieldVersions(documentId: DocumentId): Promise<FieldVersion[]> {
    const items = await this.query(
      {
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :fields)',
        ExpressionAttributeValues: { ':pk': av.s(keys.doc(documentId)), ':fields': av.s('FIELDS#') },
        ConsistentRead: true,
      },
      this.what('reading field versions'),
    );
    return items.map(toFieldVersion);
  }

  private async movesOf(documentId: DocumentId, upTo?: number): Promise<Item[]> {
    return this.query(
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
        ExpressionAttributeValues: {
          ':pk': av.s(keys.doc(documentId)),
          ':from': av.s(keys.move(0)),
          ':to': av.s(upTo === undefined ? 'MOVE#~' : keys.move(upTo)),
        },
        ConsistentRead: true,
      },
      this.what('reading pending moves'),
    );
  }

  /**
   * GSI1 finds the documents with pending moves (eventually consistent); each one's moves are then
   * read from the table itself, so what is returned is current. Documents this instance superseded
   * are checked even before the index shows them, so a review settles its own move at once.
   */
  async pendingMoves(): Promise<{ documentId: DocumentId; version: number; previousLocations: string[] }[]> {
    const listed = await this.query(
      {
        IndexName: GSI1,
        KeyConditionExpression: 'gsi1pk = :pk',
        ExpressionAttributeValues: { ':pk': av.s(keys.MOVES) },
      },
      this.what('listing pending moves'),
    );
    const documents = new Set<DocumentId>(listed.map((item) => reader(item, 'move').s('documentId')));
    for (const d of this.recentMoves) documents.add(d);
    const result: { documentId: DocumentId; version: number; previousLocations: string[] }[] = [];
    for (const documentId of [...documents].sort()) {
      const moves = await this.movesOf(documentId);
      if (moves.length === 0) {
        this.recentMoves.delete(documentId);
        continue;
      }
      const entry = { documentId, version: 0, previousLocations: [] as string[] };
      for (const item of moves) {
        const r = reader(item, 'move');
        entry.version = Math.max(entry.version, r.n('version'));
        const location = r.s('previousLocation');
        if (!entry.previousLocations.includes(location)) entry.previousLocations.push(location);
      }
      result.push(entry);
    }
    return result;
  }

  async moved(documentId: DocumentId, version: number): Promise<void> {
    const what = this.what('clearing pending moves');
    for (const item of await this.movesOf(documentId, version)) {
      const sk = item['sk'];
      if (sk?.S === undefined) throw malformed('move', 'sk');
      try {
        await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: key(keys.doc(documentId), sk.S) }), this.options());
      } catch (err) {
        throw translateDynamoDbError(err, what);
      }
    }
  }
}
