import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pipeline, Readable, Transform } from 'node:stream';
import type { CopyObjectCommandOutput, S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/adapters/aws/s3-object-store.js';

/** The parts of s3rver's API the tests use (the package ships no types). */
interface S3rverInstance {
  run(): Promise<AddressInfo>;
  close(): Promise<void>;
}
type S3rverConstructor = new (options: {
  address: string;
  port: number;
  directory: string;
  silent: boolean;
  configureBuckets: { name: string }[];
  /** s3rver cannot check SigV4 signatures; it only checks the access key. */
  allowMismatchedSignatures: boolean;
  vhostBuckets: boolean;
}) => S3rverInstance;

const require = createRequire(import.meta.url);
const S3rver = require('s3rver') as S3rverConstructor;

/** s3rver's one built-in account: any other access key is refused with InvalidAccessKeyId. */
export const S3RVER_CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } as const;

export interface LocalS3 {
  /** `http://127.0.0.1:<port>` */
  readonly endpoint: string;
  /** The directory s3rver keeps its buckets in (objects are files under `<dir>/<bucket>/`). */
  readonly directory: string;
  /**
   * A client for this server, built like production's (one attempt) plus what s3rver needs:
   * path-style addressing, and checksums only when required (s3rver does not decode aws-chunked
   * uploads, so a streamed body with a trailing checksum would be stored with its framing).
   */
  client(): S3Client;
  stop(): Promise<void>;
}

/** Starts s3rver on 127.0.0.1 with a random port and a fresh temp directory. */
export const startLocalS3 = async (buckets: readonly string[]): Promise<LocalS3> => {
  const directory = await mkdtemp(path.join(tmpdir(), 'docroute-s3rver-'));
  const server = new S3rver({
    address: '127.0.0.1',
    port: 0,
    directory,
    silent: true,
    configureBuckets: buckets.map((name) => ({ name })),
    allowMismatchedSignatures: false,
    vhostBuckets: false,
  });
  const { port } = await server.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const clients: S3Client[] = [];
  return {
    endpoint,
    directory,
    client: () => {
      const c = createS3Client({
        region: 'us-east-1',
        endpoint,
        credentials: S3RVER_CREDENTIALS,
        forcePathStyle: true,
        checksums: 'WHEN_REQUIRED',
      });
      clients.push(c);
      return c;
    },
    stop: async () => {
      for (const c of clients) c.destroy();
      await server.close();
      await rm(directory, { recursive: true, force: true });
    },
  };
};

/** One request as the S3 client sent it (after serialisation, before signing). */
export interface SentRequest {
  readonly command: string;
  readonly method: string;
  readonly path: string;
  readonly query: Readonly<Record<string, unknown>>;
  readonly headers: Readonly<Record<string, string>>;
}

interface WireRequest {
  method: string;
  path: string;
  query?: Record<string, unknown>;
  headers: Record<string, string>;
}

/**
 * Records every request the client sends. s3rver accepts and drops the SSE headers (it stores no
 * encryption settings), so what the client put on the wire is the only place to check them.
 */
export const recordRequests = (client: S3Client): SentRequest[] => {
  const sent: SentRequest[] = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const req = args.request as WireRequest;
      sent.push({
        command: context.commandName ?? '',
        method: req.method,
        path: decodeURIComponent(req.path),
        query: { ...req.query },
        headers: { ...req.headers },
      });
      return next(args);
    },
    { step: 'finalizeRequest', name: 'docrouteRecordRequests', priority: 'high' },
  );
  return sent;
};

/**
 * Counts the bytes of GetObject bodies as the adapter reads them; optionally hides Content-Length,
 * as if S3 had not sent it, so the adapter's own byte count is what stops the read.
 */
export const countBodyBytes = (client: S3Client, options: { hideContentLength?: boolean } = {}): { bytes: number } => {
  const counter = { bytes: 0 };
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const r = await next(args);
      if (context.commandName === 'GetObjectCommand') {
        const out = r.output as { Body?: unknown; ContentLength?: number };
        if (out.Body instanceof Readable) {
          const counting = new Transform({
            transform(chunk: Buffer, _encoding, callback) {
              counter.bytes += chunk.length;
              callback(null, chunk);
            },
          });
          // pipeline, not pipe: destroying the counted stream must close the response too.
          out.Body = pipeline(out.Body, counting, () => undefined);
        }
        if (options.hideContentLength === true) delete out.ContentLength;
      }
      return r;
    },
    { step: 'initialize', name: 'docrouteCountBody' },
  );
  return counter;
};

/** Makes CopyObject answer as AWS S3 does when asked for a SHA-256: with the copy's full-object checksum. */
export const reportCopyChecksum = (client: S3Client, checksumSha256: string): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const r = await next(args);
      if (context.commandName === 'CopyObjectCommand') {
        const out = r.output as CopyObjectCommandOutput;
        out.CopyObjectResult = { ...out.CopyObjectResult, ChecksumSHA256: checksumSha256, ChecksumType: 'FULL_OBJECT' };
      }
      return r;
    },
    { step: 'initialize', name: 'docrouteCopyChecksum' },
  );
};

/**
 * s3rver has no versioning and takes `?versionId=` in a copy source as part of the key. After the
 * request is recorded, this strips it, standing in for a versioned bucket whose version exists.
 */
export const pretendVersioning = (client: S3Client): void => {
  client.middlewareStack.add(
    (next) => async (args) => {
      const req = args.request as WireRequest;
      const source = req.headers['x-amz-copy-source'];
      if (source !== undefined) req.headers['x-amz-copy-source'] = source.replace(/\?versionId=.*$/u, '');
      return next(args);
    },
    { step: 'finalizeRequest', name: 'docroutePretendVersioning', priority: 'low' },
  );
};
