import { GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ConfigError, ThrottledError } from '../../domain/errors.js';
import type { RateLimiter } from '../../ports/rate-limiter.js';
import {
  av,
  callOptions,
  createDynamoDbClient,
  isConditionalCheckFailed,
  keys,
  reader,
  translateDynamoDbError,
  type DynamoDbConnectionOptions,
  type Item,
} from './dynamodb-store.js';

export interface DynamoTokenBucketOptions extends DynamoDbConnectionOptions {
  /** The store's table (the bucket is one item, `pk = RATE#<key>`, `sk = BUCKET`). */
  readonly tableName: string;
  /** Tokens added per second. 0 or less disables limiting. */
  readonly ratePerSecond: number;
  /** Bucket size: how many tokens may be spent at once after a quiet spell. */
  readonly burst: number;
  /** Longest an `acquire` may wait before it fails with ThrottledError (retried by the state machine). */
  readonly maxWaitMs: number;
  /** Conditional writes one `acquire` tries while other takers keep changing the bucket first. Default 10. */
  readonly maxConflicts?: number;
  /**
   * Milliseconds since the epoch. Default Date.now: the bucket is shared by many processes, so a
   * process-local clock (performance.now) would be meaningless to the others.
   */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** [0, 1), for the jitter between conflicting writes. Default Math.random. */
  readonly random?: () => number;
  /** An injected client (tests, shared clients). It should be built with createDynamoDbClient. */
  readonly client?: DynamoDBClient;
  /** Per DynamoDB call; past it the call fails with DependencyUnavailableError. Default 5 s. */
  readonly timeoutMs?: number;
}

const BUCKET_SK = 'BUCKET';

/** Token counts are kept to 9 decimals, rounded down: rounding never grants a fraction more. */
const floor9 = (x: number): number => Math.floor(x * 1e9) / 1e9;

/**
 * A token bucket shared through DynamoDB by every Lambda that calls a rate-limited provider (the
 * Textract quota): the distributed counterpart of the local token bucket, with the same contract.
 *
 * One item per bucket holds `tokens`, `updatedAt` (ms) and `rev`. An `acquire` reads it, refills it
 * by the time elapsed, and takes its tokens with a conditional write on `rev` (optimistic
 * concurrency; `updatedAt` alone cannot detect two writes in the same millisecond). A lost race
 * re-reads and tries again, a bounded number of times with jitter.
 *
 * As locally, a caller that finds too few tokens reserves them up front: the balance goes below
 * zero, and the caller sleeps until the refill has covered its share. So waiters are served in the
 * order they wrote, the long-run rate never exceeds `ratePerSecond`, and each acquire costs one
 * read and one write however long it waits. When the wait would exceed `maxWaitMs`, nothing is
 * written and the caller gets ThrottledError (retryable: the state machine backs off with jitter).
 * A Lambda that dies while sleeping forfeits its tokens: the bucket errs on the slow side.
 *
 * Clocks of different Lambdas differ slightly: time never runs backwards in the item (a writer
 * whose clock is behind refills nothing and keeps the later `updatedAt`).
 */
export const createDynamoTokenBucket = (options: DynamoTokenBucketOptions): RateLimiter => {
  if (options.tableName === '') throw new ConfigError('the DynamoDB table name for the rate limiter is empty');
  if (options.ratePerSecond > 0 && !(options.burst >= 1)) throw new ConfigError('the rate limiter burst must be at least 1');
  const client = options.client ?? createDynamoDbClient(options);
  const now = options.now ?? Date.now;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = options.random ?? Math.random;
  const maxConflicts = options.maxConflicts ?? 10;
  const timeoutMs = options.timeoutMs ?? 5_000;
  const { ratePerSecond: rate, burst, maxWaitMs, tableName } = options;
  const what = `taking rate-limit tokens in table ${tableName}`;

  const read = async (pk: string): Promise<Item | undefined> => {
    try {
      const out = await client.send(
        new GetItemCommand({ TableName: tableName, Key: { pk: av.s(pk), sk: av.s(BUCKET_SK) }, ConsistentRead: true }),
        callOptions(timeoutMs),
      );
      return out.Item;
    } catch (err) {
      throw translateDynamoDbError(err, what);
    }
  };

  /** False when another taker wrote first. */
  const write = async (pk: string, tokens: number, updatedAt: number, seenRev: number | undefined): Promise<boolean> => {
    try {
      if (seenRev === undefined) {
        await client.send(
          new PutItemCommand({
            TableName: tableName,
            Item: {
              pk: av.s(pk),
              sk: av.s(BUCKET_SK),
              tokens: av.n(tokens),
              updatedAt: av.n(updatedAt),
              rev: av.n(1),
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
          callOptions(timeoutMs),
        );
      } else {
        await client.send(
          new UpdateItemCommand({
            TableName: tableName,
            Key: { pk: av.s(pk), sk: av.s(BUCKET_SK) },
            UpdateExpression: 'SET tokens = :tokens, updatedAt = :updatedAt, rev = :next',
            ConditionExpression: 'rev = :seen',
            ExpressionAttributeValues: {
              ':tokens': av.n(tokens),
              ':updatedAt': av.n(updatedAt),
              ':next': av.n(seenRev + 1),
              ':seen': av.n(seenRev),
            },
          }),
          callOptions(timeoutMs),
        );
      }
      return true;
    } catch (err) {
      if (isConditionalCheckFailed(err)) return false;
      throw translateDynamoDbError(err, what);
    }
  };

  return {
    acquire: async (bucket, cost = 1) => {
      if (rate <= 0 || cost <= 0) return;
      if (cost > burst) throw new ThrottledError(`a request for ${cost} tokens exceeds the bucket size ${burst}`);
      const pk = keys.rate(bucket);
      for (let attempt = 0; attempt < maxConflicts; attempt += 1) {
        const t = now();
        const item = await read(pk);
        let tokens = burst;
        let stamp = t;
        let rev: number | undefined;
        if (item !== undefined) {
          const r = reader(item, 'token bucket');
          const updatedAt = r.n('updatedAt');
          tokens = Math.min(burst, r.n('tokens') + (Math.max(0, t - updatedAt) / 1000) * rate);
          stamp = Math.max(t, updatedAt);
          rev = r.n('rev');
        }
        const left = floor9(tokens - cost);
        // The balance is as of `stamp`; a caller whose clock is behind waits for the difference too.
        const waitMs = left >= 0 ? 0 : (-left / rate) * 1000 + (stamp - t);
        if (waitMs > maxWaitMs) throw new ThrottledError(`rate limit: ${bucket} would wait ${Math.ceil(waitMs)} ms`);
        if (await write(pk, left, stamp, rev)) {
          if (waitMs > 0) await sleep(waitMs);
          return;
        }
        // Lost the race: someone else took tokens since our read. Jitter, then read again.
        await sleep(random() * Math.min(100, 5 * 2 ** attempt));
      }
      throw new ThrottledError(`rate limit: ${bucket} is contended (${maxConflicts} conflicting writes)`);
    },
  };
};
