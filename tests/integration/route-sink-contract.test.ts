import { randomBytes } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createEventBridgePublisher } from '../../src/adapters/aws/eventbridge-publisher.js';
import { isS3Missing, S3ObjectStore } from '../../src/adapters/aws/s3-object-store.js';
import { S3RouteSink, safeKeyName } from '../../src/adapters/aws/s3-route-sink.js';
import { FolderRouteSink } from '../../src/adapters/local/folder-route-sink.js';
import { FsObjectStore } from '../../src/adapters/local/fs-object-store.js';
import type { Outcome } from '../../src/domain/document.js';
import { ArtifactMissingError, ConfigError, InvalidStepInputError, ThrottledError } from '../../src/domain/errors.js';
import { FIELD_VALUE, reviewDecision, routeResult, routeSinkContract, type EntryContents } from '../contract/route-sink.contract.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';
import { recordRequests, S3RVER_CREDENTIALS, startLocalS3, type LocalS3 } from '../helpers/s3rver.js';

const BUCKET = 'docroute-dev';
const STORE_PREFIX = 'tenant-a/';
const ROUTE_PREFIX = 'tenant-a/routes/';
const KMS_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const BUS = 'docroute-dev-bus';

const putEventsOk: ScriptedResponse = {
  status: 200,
  headers: { 'content-type': 'application/x-amz-json-1.1' },
  body: { FailedEntryCount: 0, Entries: [{ EventId: '11710aed-b79e-4468-a20b-bb3c0c3b4860' }] },
};

const isErrno = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException | null)?.code === code;
const readOrNull = async (file: string): Promise<Uint8Array | null> => {
  try {
    return await readFile(file);
  } catch (err) {
    if (isErrno(err, 'ENOENT')) return null;
    throw err;
  }
};

// ---------------------------------------------------------------------------------------------
// The port's contract, against both adapters.

routeSinkContract('FolderRouteSink (local folders)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'docroute-routes-'));
  const dataDir = path.join(dir, 'data');
  const objects = new FsObjectStore(dataDir);
  const sink = new FolderRouteSink(dataDir, (id) => objects.pathOf(id));
  let n = 0;
  return {
    sink,
    addOriginal: async (bytes) => {
      n += 1;
      const file = path.join(dir, `upload-${n}`);
      await writeFile(file, bytes);
      return (await objects.ingestFile(file)).documentId;
    },
    readOriginal: (id) => objects.get(id),
    readEntry: async (location) => ({ original: await readOrNull(location), record: await readOrNull(`${location}.json`) }),
    listEntries: async (outcome) => {
      const names = await readdir(path.join(dataDir, outcome)).catch(() => [] as string[]);
      return names.filter((name) => !name.endsWith('.json') && !name.endsWith('.tmp')).map((name) => path.join(dataDir, outcome, name));
    },
    outsideLocations: (id) => [
      objects.pathOf(id),
      path.join(dataDir, 'pass'),
      path.join(dataDir, 'archive', 'x.pdf'),
      path.join(dataDir, 'pass', 'nested', 'x.pdf'),
      path.join(dir, 'elsewhere.pdf'),
    ],
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

/** The AWS side: originals and routes in one bucket (the riskier layout), events to a replayed EventBridge. */
const awsFixture = (events: ReplayServer, client: S3Client) => {
  const store = new S3ObjectStore({
    bucket: BUCKET,
    prefix: STORE_PREFIX,
    kmsKeyId: KMS_KEY,
    client,
    ingest: { maxBytes: 50 * 1024 * 1024, allowedPrefixes: ['inbox/'] },
  });
  const sink = new S3RouteSink({
    bucket: BUCKET,
    prefix: ROUTE_PREFIX,
    kmsKeyId: KMS_KEY,
    client,
    original: (id) => store.locationOf(id),
    events: createEventBridgePublisher({
      region: 'eu-central-1',
      endpoint: events.url,
      credentials: S3RVER_CREDENTIALS,
      eventBusName: BUS,
    }),
  });
  const get = async (key: string): Promise<Uint8Array | null> => {
    try {
      const out = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }));
      return (await out.Body?.transformToByteArray()) ?? null;
    } catch (err) {
      if (isS3Missing(err)) return null;
      throw err;
    }
  };
  let n = 0;
  return {
    store,
    sink,
    addOriginal: async (bytes: Uint8Array) => {
      n += 1;
      const key = `inbox/${n}.bin`;
      await client.send(new PutObjectCommand({ Bucket: BUCKET, Key: key, Body: bytes }));
      return (await store.ingest({ bucket: BUCKET, key })).documentId;
    },
    readOriginal: (id: string) => store.get(id),
    readEntry: async (location: string): Promise<EntryContents> => {
      const key = location.slice(`s3://${BUCKET}/`.length);
      return { original: await get(key), record: await get(`${key}.json`) };
    },
    listEntries: async (outcome: Outcome) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await client.send(
          new ListObjectsV2Command({
            Bucket: BUCKET,
            Prefix: `${ROUTE_PREFIX}${outcome}/`,
            ...(token === undefined ? {} : { ContinuationToken: token }),
          }),
        );
        for (const o of page.Contents ?? []) if (o.Key !== undefined && !o.Key.endsWith('.json')) keys.push(`s3://${BUCKET}/${o.Key}`);
        token = page.NextContinuationToken;
      } while (token !== undefined);
      return keys;
    },
    outsideLocations: (id: string) => [
      `s3://${BUCKET}/${STORE_PREFIX}originals/${id}`,
      `s3://${BUCKET}/${ROUTE_PREFIX}../originals/${id}`,
      `s3://${BUCKET}/${ROUTE_PREFIX}pass/`,
      `s3://${BUCKET}/${ROUTE_PREFIX}pass/nested/x.pdf`,
      `s3://${BUCKET}/${ROUTE_PREFIX}archive/x.pdf`,
      `s3://other-bucket/${ROUTE_PREFIX}pass/x.pdf`,
      `${ROUTE_PREFIX}pass/x.pdf`,
    ],
  };
};

routeSinkContract('S3RouteSink (s3rver, EventBridge replayed)', async () => {
  const s3 = await startLocalS3([BUCKET]);
  const events = createReplayServer();
  await events.start();
  events.enqueue(...Array.from({ length: 100 }, () => putEventsOk));
  const fixture = awsFixture(events, s3.client());
  return {
    ...fixture,
    close: async () => {
      await events.close();
      await s3.stop();
    },
  };
});

// ---------------------------------------------------------------------------------------------
// What only the AWS sink does: keys, SSE-KMS, the EventBridge event.

interface PutEventsBody {
  Entries: { Source: string; DetailType: string; EventBusName?: string; Detail: string }[];
}

describe('S3RouteSink (s3rver, EventBridge replayed)', () => {
  let s3: LocalS3;
  let events: ReplayServer;
  beforeAll(async () => {
    s3 = await startLocalS3([BUCKET]);
  });
  afterAll(async () => {
    await s3.stop();
  });
  beforeEach(async () => {
    events = createReplayServer();
    await events.start();
  });
  afterEach(async () => {
    await events.close();
  });

  const setup = () => {
    const client = s3.client();
    const fixture = awsFixture(events, client);
    const sent = recordRequests(client);
    return { ...fixture, sent };
  };

  it('writes the record and copies the original under <prefix><outcome>/, both with SSE-KMS', async () => {
    const f = setup();
    const id = await f.addOriginal(new Uint8Array(randomBytes(1000)));
    events.enqueue(putEventsOk);
    const before = f.sent.length;
    const { location } = await f.sink.deliver('hold', routeResult(id, 'hold'));
    const entryKey = `${ROUTE_PREFIX}hold/${id.slice(0, 12)}-Invoice 2026-114.pdf`;
    expect(location).toBe(`s3://${BUCKET}/${entryKey}`);

    const writes = f.sent.slice(before);
    expect(writes.map((r) => `${r.command} ${r.path}`)).toEqual([
      `PutObjectCommand /${BUCKET}/${entryKey}.json`,
      `CopyObjectCommand /${BUCKET}/${entryKey}`,
    ]);
    for (const w of writes) {
      expect(w.headers['x-amz-server-side-encryption']).toBe('aws:kms');
      expect(w.headers['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KMS_KEY);
    }
    expect(writes[0]!.headers['content-type']).toBe('application/json');
    expect(writes[1]!.headers['x-amz-copy-source']).toBe(`${BUCKET}/${STORE_PREFIX}originals/${id}`);
    expect(writes[1]!.headers['x-amz-tagging-directive']).toBe('REPLACE');
  });

  it('publishes one Document Routed event per delivery: ids, codes and the location, no field values', async () => {
    const f = setup();
    const id = await f.addOriginal(new Uint8Array(randomBytes(1000)));
    events.enqueue(putEventsOk, putEventsOk);
    const v1 = routeResult(id, 'hold');
    const held = await f.sink.deliver('hold', v1);
    const passed = await f.sink.deliver('pass', routeResult(id, 'pass', reviewDecision(2, 'hold')));

    expect(events.requests).toHaveLength(2);
    const [first, second] = events.requests;
    expect(first!.headers['x-amz-target']).toBe('AWSEvents.PutEvents');
    expect(first!.headers['content-type']).toBe('application/x-amz-json-1.1');
    expect(first!.headers.authorization).toMatch(/Credential=S3RVER\/\d{8}\/eu-central-1\/events\/aws4_request/);
    const entries = (first!.body as PutEventsBody).Entries;
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ Source: 'docroute', DetailType: 'Document Routed', EventBusName: BUS });
    expect(JSON.parse(entries[0]!.Detail)).toEqual({
      documentId: id,
      outcome: 'hold',
      decisionVersion: 1,
      decisionKind: 'pipeline',
      location: held.location,
      documentClass: 'invoice',
      reasonCodes: ['IBAN_MISMATCH'],
    });
    expect(JSON.parse((second!.body as PutEventsBody).Entries[0]!.Detail)).toEqual({
      documentId: id,
      outcome: 'pass',
      decisionVersion: 2,
      decisionKind: 'review',
      location: passed.location,
      documentClass: 'invoice',
      reasonCodes: [],
    });
    for (const r of events.requests) {
      expect(r.rawBody).not.toContain(FIELD_VALUE);
      expect(r.rawBody).not.toContain('1.250,00');
      expect(r.rawBody).not.toContain('vendor master');
      expect(r.rawBody).not.toContain('reviewer-7');
    }
  });

  it('fails with ThrottledError when EventBridge throttles the entry, and the retry re-delivers identical bytes', async () => {
    const f = setup();
    const id = await f.addOriginal(new Uint8Array(randomBytes(1000)));
    events.enqueue({
      status: 200,
      body: { FailedEntryCount: 1, Entries: [{ ErrorCode: 'ThrottlingException', ErrorMessage: 'Rate exceeded' }] },
    });
    const result = routeResult(id, 'reject');
    await expect(f.sink.deliver('reject', result)).rejects.toBeInstanceOf(ThrottledError);
    const before = await f.readEntry(f.sink.locate('reject', result));

    events.enqueue(putEventsOk);
    const { location } = await f.sink.deliver('reject', result);
    const after = await f.readEntry(location);
    expect(Buffer.from(after.record!).equals(Buffer.from(before.record!))).toBe(true);
    expect(Buffer.from(after.original!).equals(Buffer.from(before.original!))).toBe(true);
    expect((await f.listEntries('reject')).filter((l) => l.includes(id.slice(0, 12)))).toEqual([location]);
  });

  it('fails with ConfigError when the bus refuses the event', async () => {
    const f = setup();
    const id = await f.addOriginal(new Uint8Array(randomBytes(1000)));
    events.enqueue({
      status: 200,
      body: {
        FailedEntryCount: 1,
        Entries: [{ ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' }],
      },
    });
    await expect(f.sink.deliver('pass', routeResult(id, 'pass'))).rejects.toBeInstanceOf(ConfigError);
  });

  it('maps a missing original to ArtifactMissingError and publishes nothing', async () => {
    const f = setup();
    const id = 'c'.repeat(64);
    await expect(f.sink.deliver('pass', routeResult(id, 'pass'))).rejects.toBeInstanceOf(ArtifactMissingError);
    expect(events.requests).toHaveLength(0);
  });

  it('refuses to withdraw outside its prefixes with InvalidStepInputError (terminal: a retry cannot fix a location)', async () => {
    const f = setup();
    await expect(f.sink.withdraw(`s3://${BUCKET}/${STORE_PREFIX}originals/${'d'.repeat(64)}`)).rejects.toBeInstanceOf(
      InvalidStepInputError,
    );
    expect(f.sent.filter((r) => r.command === 'DeleteObjectCommand')).toEqual([]);
  });

  it('withdraws an entry whose name has spaces and non-ASCII letters', async () => {
    const f = setup();
    const id = await f.addOriginal(new Uint8Array(randomBytes(1000)));
    events.enqueue(putEventsOk);
    const { location } = await f.sink.deliver('hold', routeResult(id, 'hold', undefined, 'Überweisung März & Co (2).pdf'));
    expect(location.endsWith(`/${id.slice(0, 12)}-Überweisung März & Co (2).pdf`)).toBe(true);
    await f.sink.withdraw(location);
    expect(await f.readEntry(location)).toEqual({ original: null, record: null });
    expect(f.sent.filter((r) => r.command === 'DeleteObjectCommand').map((r) => r.path)).toEqual([
      location.slice('s3:/'.length),
      `${location.slice('s3:/'.length)}.json`,
    ]);
  });
});

describe('safeKeyName', () => {
  it('keeps the last path segment, replaces control and S3-unsafe characters, and caps at 120 characters', () => {
    expect(safeKeyName('C:\\Users\\scan\\Rechnung.pdf')).toBe('Rechnung.pdf');
    expect(safeKeyName('../../x/..')).toBe('_');
    expect(safeKeyName('a\u0000b\nc{d}^e%f`g[h]i"j<k>l~m#n|o.pdf')).toBe('a_b_c_d__e_f_g_h_i_j_k_l_m_n_o.pdf');
    expect(safeKeyName('.hidden')).toBe('_hidden');
    expect(safeKeyName('')).toBe('document');
    const emoji = '📄'.repeat(130);
    expect(Array.from(safeKeyName(emoji))).toHaveLength(120);
    expect(safeKeyName(emoji)).not.toMatch(/[\ud800-\udbff]$/u);
  });
});
