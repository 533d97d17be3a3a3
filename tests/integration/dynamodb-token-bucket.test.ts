import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDynamoDbClient } from '../../src/adapters/aws/dynamodb-store.js';
import { createDynamoTokenBucket, type DynamoTokenBucketOptions } from '../../src/adapters/aws/dynamodb-token-bucket.js';
import { DependencyUnavailableError, PipelineError, ThrottledError } from '../../src/domain/errors.js';
import type { RateLimiter } from '../../src/ports/rate-limiter.js';
import { LOCAL_DYNAMO_CREDENTIALS, startLocalDynamo, type LocalDynamo } from '../helpers/dynalite.js';
import { createReplayServer, type ReplayServer } from '../helpers/replay-server.js';

/**
 * The distributed token bucket against dynalite. Time is a fake clock and sleeping only records
 * how long a taker would sleep, so every test runs instantly and asserts exact numbers. Each
 * limiter has its own client: a Lambda each.
 */

type Outcome = { ok: true; slept: number } | { ok: false; error: unknown };

describe('DynamoDB token bucket on dynalite', () => {
  let dynamo: LocalDynamo;
  let tableName: string;
  let clock: number;
  beforeAll(async () => {
    dynamo = await startLocalDynamo();
  });
  beforeEach(async () => {
    tableName = await dynamo.createTable();
    clock = 1_000_000;
  });
  afterAll(async () => {
    await dynamo.stop();
  });

  /** A limiter (one Lambda) whose sleeps are recorded, not slept. */
  const lambda = (
    options: Pick<DynamoTokenBucketOptions, 'ratePerSecond' | 'burst' | 'maxWaitMs'> & Partial<DynamoTokenBucketOptions>,
    client: DynamoDBClient = dynamo.client(),
  ): { limiter: RateLimiter; sleeps: number[] } => {
    const sleeps: number[] = [];
    const limiter = createDynamoTokenBucket({
      tableName,
      client,
      now: () => clock,
      sleep: (ms) => {
        sleeps.push(ms);
        return Promise.resolve();
      },
      random: () => 0,
      maxConflicts: 200,
      ...options,
    });
    return { limiter, sleeps };
  };

  /** One acquire by a fresh Lambda; how long it slept before its tokens were granted. */
  const take = async (options: Parameters<typeof lambda>[0], cost = 1, key = 'textract'): Promise<Outcome> => {
    const { limiter, sleeps } = lambda(options);
    try {
      await limiter.acquire(key, cost);
      return { ok: true, slept: sleeps.reduce((a, b) => a + b, 0) };
    } catch (error) {
      return { ok: false, error };
    }
  };

  it('grants at most `burst` tokens at one instant, however many Lambdas ask at once', async () => {
    const options = { ratePerSecond: 1, burst: 10, maxWaitMs: 0 };
    const outcomes = await Promise.all(Array.from({ length: 40 }, () => take(options)));
    expect(outcomes.filter((o) => o.ok)).toHaveLength(10);
    const refused = outcomes.flatMap((o) => (o.ok ? [] : [o.error]));
    expect(refused).toHaveLength(30);
    for (const e of refused) expect(e).toBeInstanceOf(ThrottledError);
  });

  it('refills by the time elapsed, never beyond the burst', async () => {
    const options = { ratePerSecond: 10, burst: 5, maxWaitMs: 0 };
    const granted = async (n: number, cost = 1): Promise<number> =>
      (await Promise.all(Array.from({ length: n }, () => take(options, cost)))).filter((o) => o.ok).length;
    expect(await granted(8)).toBe(5);
    clock += 250; // 2.5 tokens
    expect(await granted(4)).toBe(2);
    clock += 50; // 0.5 + 0.5 = 1 token
    expect(await granted(2)).toBe(1);
    clock += 60_000; // full again, not 600 tokens
    expect(await granted(3, 2)).toBe(2);
    expect(await granted(2)).toBe(1);
    // Buckets are independent.
    expect((await take(options, 5, 'other')).ok).toBe(true);
  });

  it('reserves tokens for waiters: over any span, grants never exceed burst + rate × time', async () => {
    const options = { ratePerSecond: 20, burst: 3, maxWaitMs: 400 };
    const grants: { at: number; cost: number }[] = [];
    let throttled = 0;
    const waves = [0, 130, 260, 700, 1_500, 1_520];
    const start = clock;
    for (const [w, offset] of waves.entries()) {
      clock = start + offset;
      const costs = Array.from({ length: 5 + (w % 3) * 2 }, (_, i) => 1 + ((i + w) % 2));
      const outcomes = await Promise.all(costs.map((cost) => take(options, cost)));
      outcomes.forEach((o, i) => {
        if (o.ok) grants.push({ at: offset + o.slept, cost: costs[i] ?? 1 });
        else {
          expect(o.error).toBeInstanceOf(ThrottledError);
          throttled += 1;
        }
      });
    }
    grants.sort((a, b) => a.at - b.at);
    let spent = 0;
    for (const g of grants) {
      spent += g.cost;
      expect(spent).toBeLessThanOrEqual(options.burst + (options.ratePerSecond * g.at) / 1000 + 1e-6);
    }
    // Not vacuous: some waited, some were turned away, and no grant waited past maxWaitMs.
    expect(grants.some((g) => g.at > 0 && !waves.includes(g.at))).toBe(true);
    expect(throttled).toBeGreaterThan(0);
    expect(grants.length).toBeGreaterThan(10);
  });

  it('throws ThrottledError when the wait would pass maxWaitMs, and takes nothing then', async () => {
    const options = { ratePerSecond: 1, burst: 2, maxWaitMs: 500 };
    expect((await take(options, 2)).ok).toBe(true);
    const refused = await take(options);
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error).toBeInstanceOf(ThrottledError);
    expect(!refused.ok && (refused.error as Error).message).toContain('would wait 1000 ms');
    clock += 1_000;
    // The refused call reserved nothing: one whole token is there, with no wait.
    expect(await take(options)).toEqual({ ok: true, slept: 0 });
    // A wait within maxWaitMs is slept, then granted.
    clock += 600;
    expect(await take(options)).toEqual({ ok: true, slept: 400 });
  });

  it('refuses a request larger than the bucket, and does nothing at rate 0', async () => {
    const before = dynamo.operations.length;
    const tooBig = await take({ ratePerSecond: 1, burst: 2, maxWaitMs: 10_000 }, 3);
    expect(!tooBig.ok && tooBig.error).toBeInstanceOf(ThrottledError);
    expect(await take({ ratePerSecond: 0, burst: 1, maxWaitMs: 0 }, 50)).toEqual({ ok: true, slept: 0 });
    expect(dynamo.operations.length).toBe(before);
  });

  it('keeps time from running backwards when a Lambda clock lags', async () => {
    const options = { ratePerSecond: 1, burst: 1, maxWaitMs: 5_000 };
    expect(await take(options)).toEqual({ ok: true, slept: 0 });
    // A Lambda whose clock is a second behind refills nothing and waits for the difference too.
    clock -= 1_000;
    expect(await take(options)).toEqual({ ok: true, slept: 2_000 });
    clock += 2_000; // one second after the first take, by the leading clock
    expect(await take(options)).toEqual({ ok: true, slept: 1_000 });
  });

  /** A client whose conditional writes are each preceded by `interfere()`, a write by another Lambda. */
  const interferedClient = (interfere: () => Promise<void>, times: number): { client: DynamoDBClient; writes: () => number } => {
    let writes = 0;
    const client = createDynamoDbClient({ region: 'us-east-1', endpoint: dynamo.endpoint, credentials: LOCAL_DYNAMO_CREDENTIALS });
    client.middlewareStack.add(
      (next, context) => async (args) => {
        if (context.commandName === 'UpdateItemCommand') {
          writes += 1;
          if (writes <= times) await interfere();
        }
        return next(args);
      },
      { step: 'initialize', name: 'docrouteInterfere' },
    );
    return { client, writes: () => writes };
  };

  it('retries when another Lambda wrote between its read and its write, and the count stays exact', async () => {
    const options = { ratePerSecond: 1, burst: 4, maxWaitMs: 0 };
    expect((await take(options)).ok).toBe(true); // creates the bucket: 3 left
    const { client, writes } = interferedClient(async () => {
      expect((await take(options)).ok).toBe(true);
    }, 1);
    const { limiter, sleeps } = lambda(options, client);
    await limiter.acquire('textract');
    expect(writes()).toBe(2);
    expect(sleeps).toEqual([0]); // the jitter between attempts (random() is 0 here)
    expect((await take(options)).ok).toBe(true); // the fourth token
    expect((await take(options)).ok).toBe(false);
    client.destroy();
  });

  it('gives up with ThrottledError after maxConflicts lost races', async () => {
    const options = { ratePerSecond: 1, burst: 100, maxWaitMs: 0 };
    expect((await take(options)).ok).toBe(true);
    const { client, writes } = interferedClient(async () => {
      expect((await take(options)).ok).toBe(true);
    }, Number.POSITIVE_INFINITY);
    const { limiter } = lambda({ ...options, maxConflicts: 3 }, client);
    const err = await limiter.acquire('textract').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(ThrottledError);
    expect((err as Error).message).toContain('contended');
    expect(writes()).toBe(3);
    client.destroy();
  });
});

describe('DynamoDB token bucket error mapping (replay server)', () => {
  let server: ReplayServer;
  let client: DynamoDBClient;
  beforeEach(async () => {
    server = createReplayServer();
    await server.start();
    client = createDynamoDbClient({ region: 'eu-central-1', endpoint: server.url, credentials: LOCAL_DYNAMO_CREDENTIALS });
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  it.each([
    [400, 'ProvisionedThroughputExceededException', ThrottledError],
    [400, 'ThrottlingException', ThrottledError],
    [500, 'InternalServerError', DependencyUnavailableError],
  ] as const)('maps HTTP %i %s to %s', async (status, type, expected) => {
    server.enqueue({
      status,
      headers: { 'content-type': 'application/x-amz-json-1.0' },
      body: { __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: 'vendor detail' },
    });
    const limiter = createDynamoTokenBucket({ tableName: 'docroute', client, ratePerSecond: 1, burst: 1, maxWaitMs: 0 });
    const err = await limiter.acquire('textract').then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toBeInstanceOf(expected);
    expect((err as Error).message).not.toContain('vendor detail');
    expect(server.requests).toHaveLength(1);
  });
});
