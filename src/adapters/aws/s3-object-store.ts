import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  CopyObjectCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  S3Client,
  type CopyObjectCommandOutput,
  type GetObjectCommandOutput,
} from '@aws-sdk/client-s3';
import { DOCUMENT_ID_PATTERN, type DocumentId } from '../../domain/document.js';
import {
  ArtifactMissingError,
  ConfigError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
  PipelineError,
  ThrottledError,
  UnsupportedDocumentError,
} from '../../domain/errors.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { clientSettings, inspectVendorError, NETWORK_CODES, type AwsConnectionOptions } from './aws-common.js';

/** How to reach S3 (or an S3-compatible server). Shared by the object store and the route sink. */
export interface S3ConnectionOptions extends AwsConnectionOptions {
  /** Path-style URLs (`<endpoint>/<bucket>/<key>`), for S3-compatible servers. AWS S3 uses virtual hosts. */
  readonly forcePathStyle?: boolean;
  /**
   * When the SDK computes and validates checksums. AWS S3: leave the default (WHEN_SUPPORTED).
   * S3-compatible servers that do not decode aws-chunked uploads (s3rver) need WHEN_REQUIRED, or a
   * streamed upload is stored with its chunk framing.
   */
  readonly checksums?: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** An S3 client built the house way (clientSettings: one attempt per call), plus S3's own options. */
export const createS3Client = (options: S3ConnectionOptions): S3Client =>
  new S3Client({
    ...clientSettings(options),
    ...(options.forcePathStyle === undefined ? {} : { forcePathStyle: options.forcePathStyle }),
    ...(options.checksums === undefined
      ? {}
      : { requestChecksumCalculation: options.checksums, responseChecksumValidation: options.checksums }),
  });

/** S3's "slow down" answers (SlowDown is a 503). KMS throttling reaches S3 callers as KMS.ThrottlingException. */
const THROTTLING = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException']);

/** Transient failures of the service or the connection. RequestTimeout is a 400, but it is S3 giving up on a slow socket. */
const UNAVAILABLE = new Set(['InternalError', 'ServiceUnavailable', 'RequestTimeout', 'OperationAborted', 'TimeoutError', 'AbortError']);

/** Our bucket, account, credentials or key policy is wrong: retrying cannot help. */
const TERMINAL = new Set([
  'AccessDenied',
  'AllAccessDisabled',
  'NoSuchBucket',
  'InvalidBucketName',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'ExpiredToken',
  'InvalidToken',
  'AccountProblem',
  'PermanentRedirect',
  'AuthorizationHeaderMalformed',
  'CredentialsProviderError',
]);

/** The object (or the version asked for) does not exist. */
const MISSING = new Set(['NoSuchKey', 'NotFound', 'NoSuchVersion']);

/** True when S3 said the object is not there (GetObject's NoSuchKey, HeadObject's bodiless 404). */
export const isS3Missing = (err: unknown): boolean => {
  const { name, status } = inspectVendorError(err);
  return MISSING.has(name) || (status === 404 && name !== 'NoSuchBucket');
};

/**
 * Translates whatever the S3 client threw into the taxonomy. `what` names the operation and the
 * bucket (never a key). Callers handle "missing" first: what it means depends on the operation.
 */
export const translateS3Error = (err: unknown, what: string): PipelineError => {
  if (err instanceof PipelineError) return err;
  const { name, status, codes } = inspectVendorError(err);
  if (THROTTLING.has(name) || (name.startsWith('KMS.') && name.includes('Throttling'))) {
    return new ThrottledError(`s3 throttled ${what} (${name})`);
  }
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`s3 is unavailable for ${what} (${name})`);
  if (name === 'AccessDenied') {
    // Without s3:ListBucket, S3 answers 403 rather than 404 for a missing key: say so.
    return new ConfigError(`s3 denied ${what} (AccessDenied); check the role's S3 and KMS permissions, including s3:ListBucket`);
  }
  if (TERMINAL.has(name) || name.startsWith('KMS.'))
    return new ConfigError(`s3 rejected ${what} with ${name}; check the bucket and access`);
  if (status === 429) return new ThrottledError(`s3 throttled ${what} (HTTP 429)`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`s3 is unavailable for ${what} (${name}, HTTP ${status})`);
  }
  if (status !== undefined && status >= 400) return new ConfigError(`s3 rejected ${what} with ${name} (HTTP ${status})`);
  const network = codes.find((c) => NETWORK_CODES.has(c));
  if (network !== undefined) return new DependencyUnavailableError(`s3 endpoint unreachable for ${what} (${network})`);
  return new InternalError(`s3 call failed for ${what} (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

/** A key prefix: empty, or ending in `/` and not starting with one. */
export const checkPrefix = (prefix: string, option: string): string => {
  if (prefix !== '' && (!prefix.endsWith('/') || prefix.startsWith('/'))) {
    throw new ConfigError(`${option} must be empty or end with "/" (and not start with one)`);
  }
  return prefix;
};

/** `x-amz-copy-source` is URL-encoded, segment by segment so the slashes stay. */
export const copySourceOf = (bucket: string, key: string, versionId?: string): string =>
  `${bucket}/${key.split('/').map(encodeURIComponent).join('/')}${versionId === undefined ? '' : `?versionId=${encodeURIComponent(versionId)}`}`;

/** SSE-KMS parameters for every object we write: the key is chosen per data classification. */
export const sseKms = (kmsKeyId: string | undefined) =>
  ({ ServerSideEncryption: 'aws:kms', ...(kmsKeyId === undefined ? {} : { SSEKMSKeyId: kmsKeyId }) }) as const;

export const callOptions = (timeoutMs: number | undefined): { abortSignal?: AbortSignal } =>
  timeoutMs === undefined ? {} : { abortSignal: AbortSignal.timeout(timeoutMs) };

export interface S3ObjectStoreOptions extends S3ConnectionOptions {
  readonly bucket: string;
  /** Prefix in front of `originals/`: empty or ending in `/`. */
  readonly prefix?: string;
  /** SSE-KMS key for stored originals (per data classification). Absent: the account's AWS managed key for S3. */
  readonly kmsKeyId?: string;
  /** Per S3 call (an ingest's read counts as one); past it the call fails with DependencyUnavailableError. */
  readonly timeoutMs?: number;
  /** Only the Ingest function needs these: a store that only reads originals can leave them out. */
  readonly ingest?: {
    /** Uploads larger than this are refused with DocumentTooLargeError (TOO_LARGE) before they are read. */
    readonly maxBytes: number;
    /** Upload keys must start with one of these (e.g. `inbox/`); `''` allows every key. */
    readonly allowedPrefixes: readonly string[];
  };
  /** An injected client (tests, shared clients). It should be built with createS3Client. */
  readonly client?: S3Client;
}

/** An uploaded object named by an S3 event. `key` is decoded (S3 events carry it URL-encoded, spaces as `+`). */
export interface IngestSource {
  readonly bucket: string;
  readonly key: string;
  readonly versionId?: string;
}

export interface IngestResult {
  readonly documentId: DocumentId;
  readonly size: number;
  /** False when the same bytes were already stored (nothing was written). */
  readonly added: boolean;
}

/**
 * Originals at `s3://<bucket>/<prefix>originals/<sha256>`, encrypted with SSE-KMS.
 *
 * Errors are translated here, so no SDK error crosses the port: an unknown id → ArtifactMissingError;
 * throttling (SlowDown, KMS throttling, 429) → ThrottledError; 5xx, timeouts and network failures →
 * DependencyUnavailableError; access, bucket, credential and KMS key errors → ConfigError.
 */
export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3ObjectStoreOptions) {
    if (options.bucket === '') throw new ConfigError('the originals bucket name is empty');
    this.bucket = options.bucket;
    this.prefix = checkPrefix(options.prefix ?? '', 'the originals prefix');
    if (options.ingest !== undefined) {
      const { maxBytes, allowedPrefixes } = options.ingest;
      if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new ConfigError('ingest maxBytes must be a positive integer');
      if (allowedPrefixes.length === 0) throw new ConfigError('ingest allowedPrefixes is empty: no upload could be ingested');
    }
    this.client = options.client ?? createS3Client(options);
  }

  keyOf(documentId: DocumentId): string {
    return `${this.prefix}originals/${documentId}`;
  }

  /** Where an original lives: the route sink copies it from here. */
  locationOf(documentId: DocumentId): { bucket: string; key: string } {
    return { bucket: this.bucket, key: this.keyOf(documentId) };
  }

  async get(documentId: DocumentId): Promise<Uint8Array> {
    // Anything but a document id cannot name an original; it never becomes a key.
    if (!DOCUMENT_ID_PATTERN.test(documentId)) throw new ArtifactMissingError('original not found in the object store');
    const what = `reading an original from bucket ${this.bucket}`;
    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.keyOf(documentId) }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      if (isS3Missing(err)) throw new ArtifactMissingError('original not found in the object store');
      throw translateS3Error(err, what);
    }
    if (out.Body === undefined) throw new DependencyUnavailableError(`s3 sent no body when ${what}`);
    try {
      return await out.Body.transformToByteArray();
    } catch (err) {
      // The answer had started: whatever broke it (reset, timeout, checksum mismatch) is transient.
      const { name, codes } = inspectVendorError(err);
      throw new DependencyUnavailableError(`s3 read interrupted while ${what} (${[name, ...codes].join(' ')})`);
    }
  }

  async size(documentId: DocumentId): Promise<number | null> {
    if (!DOCUMENT_ID_PATTERN.test(documentId)) return null;
    try {
      const out = await this.client.send(
        new HeadObjectCommand({ Bucket: this.bucket, Key: this.keyOf(documentId) }),
        callOptions(this.options.timeoutMs),
      );
      return out.ContentLength ?? 0;
    } catch (err) {
      if (isS3Missing(err)) return null;
      throw translateS3Error(err, `checking an original in bucket ${this.bucket}`);
    }
  }

  /**
   * Stores an uploaded object under its content address. One streaming read computes the SHA-256
   * (constant memory, stopped as soon as it passes maxBytes); then S3 copies the object server-side
   * to `originals/<sha256>` with SSE-KMS. The copy is pinned to what was hashed (the version id, or
   * the ETag as a copy precondition), and S3's own SHA-256 of the copy is checked against ours when
   * it reports one. Idempotent: bytes already stored are not written again.
   *
   * Folder markers and keys outside the allowed prefixes are refused with UnsupportedDocumentError,
   * so the event is recorded and skipped. Messages never name the key: it is a customer file name.
   */
  async ingest(source: IngestSource): Promise<IngestResult> {
    const ingest = this.options.ingest;
    if (ingest === undefined) throw new ConfigError('this object store is not configured for ingest (maxBytes, allowedPrefixes)');
    this.checkSource(source, ingest.allowedPrefixes);
    const what = `reading an upload from bucket ${source.bucket}`;

    let out: GetObjectCommandOutput;
    try {
      out = await this.client.send(
        new GetObjectCommand({
          Bucket: source.bucket,
          Key: source.key,
          ...(source.versionId === undefined ? {} : { VersionId: source.versionId }),
        }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      if (isS3Missing(err)) throw new ArtifactMissingError(`the upload is no longer in bucket ${source.bucket}`);
      throw translateS3Error(err, what);
    }
    const body = out.Body;
    if (!(body instanceof Readable)) throw new InternalError(`s3 returned a non-stream body when ${what}`);
    const { documentId, size } = await this.hashUpload(body, out.ContentLength, ingest.maxBytes, what);

    const key = this.keyOf(documentId);
    if ((await this.size(documentId)) !== null) return { documentId, size, added: false };

    let copied: CopyObjectCommandOutput;
    try {
      copied = await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: copySourceOf(source.bucket, source.key, source.versionId),
          // Without a version id, the precondition makes sure S3 copies the bytes we hashed.
          ...(source.versionId === undefined && out.ETag !== undefined ? { CopySourceIfMatch: out.ETag } : {}),
          // The uploader's metadata and tags may describe the customer: the original keeps neither.
          MetadataDirective: 'REPLACE',
          TaggingDirective: 'REPLACE',
          ContentType: 'application/octet-stream',
          ChecksumAlgorithm: 'SHA256',
          ...sseKms(this.options.kmsKeyId),
        }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      const { name, status } = inspectVendorError(err);
      if (name === 'PreconditionFailed' || status === 412) {
        throw new DependencyUnavailableError(`the upload changed while it was being ingested from bucket ${source.bucket}`);
      }
      if (isS3Missing(err)) throw new ArtifactMissingError(`the upload is no longer in bucket ${source.bucket}`);
      throw translateS3Error(err, `storing an original in bucket ${this.bucket}`);
    }
    await this.checkCopy(copied, documentId);
    return { documentId, size, added: true };
  }

  private checkSource(source: IngestSource, allowedPrefixes: readonly string[]): void {
    if (source.key === '' || source.key.endsWith('/')) {
      throw new UnsupportedDocumentError('the uploaded key is a folder marker, not a document');
    }
    if (source.bucket === this.bucket && source.key.startsWith(`${this.prefix}originals/`)) {
      throw new UnsupportedDocumentError('the uploaded key is inside the originals prefix: originals are never ingested again');
    }
    if (!allowedPrefixes.some((p) => source.key.startsWith(p))) {
      throw new UnsupportedDocumentError(`the uploaded key is outside the ingest prefixes (${allowedPrefixes.join(', ')})`);
    }
  }

  private async hashUpload(
    body: Readable,
    contentLength: number | undefined,
    maxBytes: number,
    what: string,
  ): Promise<{ documentId: DocumentId; size: number }> {
    const tooLarge = (size: number | string) =>
      new DocumentTooLargeError(`the upload is ${size} bytes; the limit is ${maxBytes}`, 'TOO_LARGE');
    if (contentLength !== undefined && contentLength > maxBytes) {
      body.destroy();
      throw tooLarge(contentLength);
    }
    const hash = createHash('sha256');
    let size = 0;
    try {
      for await (const chunk of body) {
        const buf = chunk as Buffer;
        size += buf.length;
        // Content-Length is S3's word; the byte count is ours, and it stops the read too.
        if (size > maxBytes) throw tooLarge(`more than ${maxBytes}`);
        hash.update(buf);
      }
    } catch (err) {
      if (err instanceof PipelineError) throw err;
      const { name, codes } = inspectVendorError(err);
      throw new DependencyUnavailableError(`s3 read interrupted while ${what} (${[name, ...codes].join(' ')})`);
    } finally {
      body.destroy();
    }
    if (contentLength !== undefined && size !== contentLength) {
      throw new DependencyUnavailableError(`s3 read ended early while ${what} (${size} of ${contentLength} bytes)`);
    }
    return { documentId: hash.digest('hex'), size };
  }

  /**
   * S3 reports the copy's SHA-256 when it computed one as a full-object checksum. A mismatch means
   * the content address would lie, so the copy is removed and the ingest fails as retryable: the
   * retry reads, hashes and copies again.
   */
  private async checkCopy(copied: CopyObjectCommandOutput, documentId: DocumentId): Promise<void> {
    const result = copied.CopyObjectResult;
    const reported = result?.ChecksumSHA256;
    if (reported === undefined || reported.includes('-') || (result?.ChecksumType !== undefined && result.ChecksumType !== 'FULL_OBJECT')) {
      return;
    }
    if (reported === Buffer.from(documentId, 'hex').toString('base64')) return;
    try {
      await this.client.send(
        new DeleteObjectCommand({ Bucket: this.bucket, Key: this.keyOf(documentId) }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      throw translateS3Error(err, `removing a mismatched copy in bucket ${this.bucket}`);
    }
    throw new DependencyUnavailableError(`s3's checksum of the stored copy does not match the bytes read; the copy was removed`);
  }
}
