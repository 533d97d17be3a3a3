import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createS3Client, S3ObjectStore, type S3ObjectStoreOptions } from '../../src/adapters/aws/s3-object-store.js';
import { FsObjectStore } from '../../src/adapters/local/fs-object-store.js';
import {
  ArtifactMissingError,
  ConfigError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  PipelineError,
  ThrottledError,
  UnsupportedDocumentError,
} from '../../src/domain/errors.js';
import { objectStoreContract } from '../contract/object-store.contract.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';
import {
  countBodyBytes,
  pretendVersioning,
  recordRequests,
  reportCopyChecksum,
  S3RVER_CREDENTIALS,
  startLocalS3,
  type LocalS3,
} from '../helpers/s3rver.js';

const INBOX = 'docroute-inbox';
const STORE = 'docroute-store';
const KMS_KEY = 'arn:aws:kms:eu-central-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab';
const MB = 1024 * 1024;

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

// ---------------------------------------------------------------------------------------------
// The port's contract, against both adapters.

objectStoreContract('FsObjectStore (local folder)', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'docroute-objects-'));
  const store = new FsObjectStore(path.join(dir, 'data'));
  let n = 0;
  return {
    store,
    ingest: async (bytes, name) => {
      n += 1;
      const file = path.join(dir, `upload-${n}-${name}`);
      await writeFile(file, bytes);
      return store.ingestFile(file);
    },
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

objectStoreContract('S3ObjectStore (s3rver)', async () => {
  const s3 = await startLocalS3([INBOX, STORE]);
  const client = s3.client();
  const store = new S3ObjectStore({
    bucket: STORE,
    prefix: 'tenant-a/',
    kmsKeyId: KMS_KEY,
    client,
    ingest: { maxBytes: 20 * MB, allowedPrefixes: ['uploads/'] },
  });
  let n = 0;
  return {
    store,
    ingest: async (bytes, name) => {
      n += 1;
      const key = `uploads/${n}/${name}`;
      await client.send(new PutObjectCommand({ Bucket: INBOX, Key: key, Body: bytes }));
      return store.ingest({ bucket: INBOX, key });
    },
    close: () => s3.stop(),
  };
});

// ---------------------------------------------------------------------------------------------
// What only the S3 adapter does: ingest from an upload event, with SSE-KMS and limits.

describe('S3ObjectStore.ingest (s3rver)', () => {
  let s3: LocalS3;
  beforeAll(async () => {
    s3 = await startLocalS3([INBOX, STORE]);
  });
  afterAll(async () => {
    await s3.stop();
  });

  const setup = (overrides: Partial<S3ObjectStoreOptions> = {}, kmsKeyId: string | null = KMS_KEY) => {
    const client = s3.client();
    const sent = recordRequests(client);
    const store = new S3ObjectStore({
      bucket: STORE,
      prefix: 'tenant-a/',
      ...(kmsKeyId === null ? {} : { kmsKeyId }),
      client,
      ingest: { maxBytes: 4 * MB, allowedPrefixes: ['inbox/', 'scans/'] },
      ...overrides,
    });
    const upload = async (key: string, bytes: Uint8Array): Promise<void> => {
      await client.send(new PutObjectCommand({ Bucket: INBOX, Key: key, Body: bytes }));
    };
    return { client, sent, store, upload, fromStore: () => sent.filter((r) => r.command !== 'PutObjectCommand') };
  };

  it('copies the upload to originals/<sha256> with SSE-KMS, pinned to the ETag it hashed, without the uploader’s metadata', async () => {
    const { sent, store, upload, fromStore } = setup();
    const bytes = new Uint8Array(randomBytes(300_000));
    const key = 'inbox/2026/März Rechnung 114.pdf';
    await upload(key, bytes);
    const got = await store.ingest({ bucket: INBOX, key });
    expect(got).toEqual({ documentId: sha256(bytes), size: bytes.length, added: true });
    expect(store.locationOf(got.documentId)).toEqual({ bucket: STORE, key: `tenant-a/originals/${got.documentId}` });

    const etag = sent.find((r) => r.command === 'PutObjectCommand');
    expect(etag).toBeDefined();
    const calls = fromStore();
    expect(calls.map((r) => `${r.command} ${r.method} ${r.path}`)).toEqual([
      `GetObjectCommand GET /${INBOX}/${key}`,
      `HeadObjectCommand HEAD /${STORE}/tenant-a/originals/${got.documentId}`,
      `CopyObjectCommand PUT /${STORE}/tenant-a/originals/${got.documentId}`,
    ]);
    const copy = calls[2]!.headers;
    expect(copy['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(copy['x-amz-server-side-encryption-aws-kms-key-id']).toBe(KMS_KEY);
    expect(copy['x-amz-copy-source']).toBe(`${INBOX}/inbox/2026/M%C3%A4rz%20Rechnung%20114.pdf`);
    expect(copy['x-amz-copy-source-if-match']).toMatch(/^"[0-9a-f]{32}"$/);
    expect(copy['x-amz-metadata-directive']).toBe('REPLACE');
    expect(copy['x-amz-tagging-directive']).toBe('REPLACE');
    expect(copy['x-amz-checksum-algorithm']).toBe('SHA256');
    expect(copy['content-type']).toBe('application/octet-stream');
    expect(Buffer.from(await store.get(got.documentId)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('sends SSE-KMS without a key id when none is configured (the AWS managed key)', async () => {
    const { store, upload, fromStore } = setup({}, null);
    await upload('inbox/plain.pdf', new Uint8Array(randomBytes(1000)));
    await store.ingest({ bucket: INBOX, key: 'inbox/plain.pdf' });
    const copy = fromStore().find((r) => r.command === 'CopyObjectCommand')!.headers;
    expect(copy['x-amz-server-side-encryption']).toBe('aws:kms');
    expect(copy['x-amz-server-side-encryption-aws-kms-key-id']).toBeUndefined();
  });

  it('skips the write when the same bytes are already stored', async () => {
    const { store, upload, fromStore } = setup();
    const bytes = new Uint8Array(randomBytes(5000));
    await upload('inbox/a.pdf', bytes);
    await upload('scans/a-again.pdf', bytes);
    const first = await store.ingest({ bucket: INBOX, key: 'inbox/a.pdf' });
    const second = await store.ingest({ bucket: INBOX, key: 'scans/a-again.pdf' });
    expect(second).toEqual({ documentId: first.documentId, size: 5000, added: false });
    expect(fromStore().filter((r) => r.command === 'CopyObjectCommand')).toHaveLength(1);
  });

  it('copies the exact version named by the event, with no ETag precondition', async () => {
    const { client, store, upload, fromStore } = setup();
    pretendVersioning(client);
    const bytes = new Uint8Array(randomBytes(2000));
    await upload('inbox/versioned.pdf', bytes);
    const got = await store.ingest({ bucket: INBOX, key: 'inbox/versioned.pdf', versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
    expect(got.documentId).toBe(sha256(bytes));
    const [get, , copy] = fromStore();
    expect(get!.query).toMatchObject({ versionId: '3HL4kqtJlcpXroDTDmJ+rmSpXd3dIbrHY' });
    expect(copy!.headers['x-amz-copy-source']).toBe(`${INBOX}/inbox/versioned.pdf?versionId=3HL4kqtJlcpXroDTDmJ%2BrmSpXd3dIbrHY`);
    expect(copy!.headers['x-amz-copy-source-if-match']).toBeUndefined();
  });

  it.each([
    ['a folder marker', 'inbox/2026/'],
    ['the prefix itself', 'inbox/'],
    ['a key outside the ingest prefixes', 'exports/Kundenliste Müller.pdf'],
  ])('refuses %s with UnsupportedDocumentError before touching S3, without naming the key', async (_label, key) => {
    const { store, fromStore } = setup();
    const err = await store.ingest({ bucket: INBOX, key }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UnsupportedDocumentError);
    expect((err as UnsupportedDocumentError).reasonCode).toBe('UNSUPPORTED_TYPE');
    expect((err as Error).message).not.toContain('Müller');
    expect((err as Error).message).not.toContain('2026');
    expect(fromStore()).toEqual([]);
  });

  it('refuses to ingest its own originals again (an event loop guard), even when the prefixes allow it', async () => {
    const { store } = setup({ ingest: { maxBytes: MB, allowedPrefixes: [''] } });
    await expect(store.ingest({ bucket: STORE, key: `tenant-a/originals/${'a'.repeat(64)}` })).rejects.toBeInstanceOf(
      UnsupportedDocumentError,
    );
  });

  it('refuses an upload over maxBytes from its Content-Length, before reading the body', async () => {
    const { client, store, upload } = setup({ ingest: { maxBytes: MB, allowedPrefixes: ['inbox/'] } });
    const counter = countBodyBytes(client);
    await upload('inbox/huge.tiff', new Uint8Array(5 * MB));
    const err = await store.ingest({ bucket: INBOX, key: 'inbox/huge.tiff' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect((err as DocumentTooLargeError).reasonCode).toBe('TOO_LARGE');
    expect((err as Error).message).toBe(`[TOO_LARGE] the upload is ${5 * MB} bytes; the limit is ${MB}`);
    expect(counter.bytes).toBeLessThan(256 * 1024);
  });

  it('stops reading at maxBytes when S3 gives no Content-Length', async () => {
    const { client, store, upload } = setup({ ingest: { maxBytes: MB, allowedPrefixes: ['inbox/'] } });
    const counter = countBodyBytes(client, { hideContentLength: true });
    await upload('inbox/huge-2.tiff', new Uint8Array(randomBytes(5 * MB)));
    const err = await store.ingest({ bucket: INBOX, key: 'inbox/huge-2.tiff' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DocumentTooLargeError);
    expect(counter.bytes).toBeGreaterThan(MB);
    expect(counter.bytes).toBeLessThan(2 * MB);
  });

  it('accepts an upload of exactly maxBytes', async () => {
    const { store, upload } = setup({ ingest: { maxBytes: 100_000, allowedPrefixes: ['inbox/'] } });
    const bytes = new Uint8Array(randomBytes(100_000));
    await upload('inbox/exact.bin', bytes);
    expect((await store.ingest({ bucket: INBOX, key: 'inbox/exact.bin' })).size).toBe(100_000);
  });

  it('accepts the copy when S3’s SHA-256 of it matches the bytes read', async () => {
    const { client, store, upload } = setup();
    const bytes = new Uint8Array(randomBytes(4000));
    reportCopyChecksum(client, createHash('sha256').update(bytes).digest('base64'));
    await upload('inbox/checked.pdf', bytes);
    expect((await store.ingest({ bucket: INBOX, key: 'inbox/checked.pdf' })).added).toBe(true);
  });

  it('removes a copy whose SHA-256 (as S3 reports it) does not match, and fails retryably', async () => {
    const { client, store, upload } = setup();
    const bytes = new Uint8Array(randomBytes(4000));
    reportCopyChecksum(client, createHash('sha256').update('other bytes').digest('base64'));
    await upload('inbox/mismatch.pdf', bytes);
    await expect(store.ingest({ bucket: INBOX, key: 'inbox/mismatch.pdf' })).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await store.size(sha256(bytes))).toBeNull();
  });

  it('maps an upload that is gone to ArtifactMissingError', async () => {
    const { store } = setup();
    await expect(store.ingest({ bucket: INBOX, key: 'inbox/never-uploaded.pdf' })).rejects.toBeInstanceOf(ArtifactMissingError);
  });

  it('maps a missing bucket to ConfigError, not to a missing document', async () => {
    const { store } = setup();
    await expect(store.ingest({ bucket: 'no-such-bucket', key: 'inbox/x.pdf' })).rejects.toBeInstanceOf(ConfigError);
    const orphan = new S3ObjectStore({ bucket: 'no-such-bucket', client: s3.client() });
    await expect(orphan.get('a'.repeat(64))).rejects.toBeInstanceOf(ConfigError);
  });

  it('answers a malformed id as absent without asking S3', async () => {
    const { store, fromStore } = setup();
    await expect(store.get('../../inbox/secret.pdf')).rejects.toBeInstanceOf(ArtifactMissingError);
    expect(await store.size('ABC')).toBeNull();
    expect(fromStore()).toEqual([]);
  });

  it('refuses ingest when the store has no ingest settings, and bad settings at construction', async () => {
    const readOnly = new S3ObjectStore({ bucket: STORE, client: s3.client() });
    await expect(readOnly.ingest({ bucket: INBOX, key: 'inbox/a.pdf' })).rejects.toBeInstanceOf(ConfigError);
    expect(() => new S3ObjectStore({ bucket: STORE, prefix: 'no-slash', client: s3.client() })).toThrow(ConfigError);
    expect(() => new S3ObjectStore({ bucket: STORE, client: s3.client(), ingest: { maxBytes: 0, allowedPrefixes: ['a/'] } })).toThrow(
      ConfigError,
    );
    expect(() => new S3ObjectStore({ bucket: STORE, client: s3.client(), ingest: { maxBytes: 1, allowedPrefixes: [] } })).toThrow(
      ConfigError,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// Error translation, against a loopback server answering as S3 does (REST-XML errors).

describe('S3ObjectStore error mapping (replay server)', () => {
  let server: ReplayServer;
  let client: S3Client;
  beforeEach(async () => {
    server = createReplayServer();
    await server.start();
    client = createS3Client({ region: 'eu-central-1', endpoint: server.url, credentials: S3RVER_CREDENTIALS, forcePathStyle: true });
  });
  afterEach(async () => {
    client.destroy();
    await server.close();
  });

  const ID = 'b'.repeat(64);
  const s3Error = (status: number, code: string, message: string): ScriptedResponse => ({
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': '4442587FB7D0A2F9' },
    rawBody: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message><Key>tenant-a/originals/${ID}</Key><RequestId>4442587FB7D0A2F9</RequestId><HostId>host</HostId></Error>`,
  });
  const store = (timeoutMs?: number) =>
    new S3ObjectStore({ bucket: STORE, prefix: 'tenant-a/', client, ...(timeoutMs === undefined ? {} : { timeoutMs }) });
  const failure = async (p: Promise<unknown>): Promise<PipelineError> => {
    const err = await p.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PipelineError);
    expect((err as Error).message).not.toContain(ID);
    return err as PipelineError;
  };

  it.each([
    [503, 'SlowDown', 'Please reduce your request rate.', ThrottledError],
    [400, 'KMS.ThrottlingException', 'Rate exceeded', ThrottledError],
    [500, 'InternalError', 'We encountered an internal error. Please try again.', DependencyUnavailableError],
    [503, 'ServiceUnavailable', 'Service is unable to handle request.', DependencyUnavailableError],
    [
      400,
      'RequestTimeout',
      'Your socket connection to the server was not read from or written to within the timeout period.',
      DependencyUnavailableError,
    ],
    [403, 'AccessDenied', 'Access Denied', ConfigError],
    [400, 'KMS.DisabledException', 'arn:aws:kms:... is disabled.', ConfigError],
    [404, 'NoSuchBucket', 'The specified bucket does not exist', ConfigError],
    [404, 'NoSuchKey', 'The specified key does not exist.', ArtifactMissingError],
  ])('get: %s %s → %o', async (status, code, message, expected) => {
    server.enqueue(s3Error(status, code, message));
    const err = await failure(store().get(ID));
    expect(err).toBeInstanceOf(expected);
  });

  it('names s3:ListBucket when S3 denies a read (S3 answers 403 for a missing key without it)', async () => {
    server.enqueue(s3Error(403, 'AccessDenied', 'Access Denied'));
    expect((await failure(store().get(ID))).message).toContain('s3:ListBucket');
  });

  // HEAD answers carry no body, so no error code: the status decides (a HEAD SlowDown is a bare 503).
  it.each([
    [503, DependencyUnavailableError],
    [500, DependencyUnavailableError],
    [429, ThrottledError],
    [403, ConfigError],
  ])('size: a bodiless HEAD %s → %o', async (status, expected) => {
    server.enqueue({ status, rawBody: '' });
    expect(await failure(store().size(ID))).toBeInstanceOf(expected);
  });

  it('size: a bodiless HEAD 404 is absent', async () => {
    server.enqueue({ status: 404, rawBody: '' });
    expect(await store().size(ID)).toBeNull();
  });

  it('maps a proxy’s 502 HTML page to DependencyUnavailableError', async () => {
    server.enqueue({ status: 502, headers: { 'content-type': 'text/html' }, rawBody: '<html><body>Bad Gateway</body></html>' });
    expect(await failure(store().get(ID))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps its timeout to DependencyUnavailableError', async () => {
    server.enqueue({ status: 200, rawBody: 'late', delayMs: 2000 });
    expect(await failure(store(200).get(ID))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps a refused connection to DependencyUnavailableError', async () => {
    const closed = createReplayServer();
    await closed.start();
    const url = closed.url;
    await closed.close();
    const offline = createS3Client({ region: 'eu-central-1', endpoint: url, credentials: S3RVER_CREDENTIALS, forcePathStyle: true });
    const err = await failure(new S3ObjectStore({ bucket: STORE, client: offline }).get(ID));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
    offline.destroy();
  });
});
