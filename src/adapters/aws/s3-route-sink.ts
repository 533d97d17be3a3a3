import { CopyObjectCommand, DeleteObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { OUTCOMES, type DecisionKind, type Outcome, type RouteResult } from '../../domain/document.js';
import { ArtifactMissingError, ConfigError, InvalidStepInputError } from '../../domain/errors.js';
import type { RouteSink } from '../../ports/route-sink.js';
import type { EventPublisher } from './eventbridge-publisher.js';
import {
  callOptions,
  checkPrefix,
  copySourceOf,
  createS3Client,
  isS3Missing,
  sseKms,
  translateS3Error,
  type S3ConnectionOptions,
} from './s3-object-store.js';

/** The EventBridge detail-type of a delivery. */
export const DOCUMENT_ROUTED = 'Document Routed';

/**
 * What a `Document Routed` event carries: ids, codes and where the entry is. Never field values
 * or document text; consumers read the decision record at `location` + `.json` if allowed to.
 */
export interface DocumentRoutedDetail {
  readonly documentId: string;
  readonly outcome: Outcome;
  readonly decisionVersion: number;
  readonly decisionKind: DecisionKind;
  /** `s3://<bucket>/<key>` of the entry (the copy of the original). */
  readonly location: string;
  readonly documentClass: string | null;
  readonly reasonCodes: readonly string[];
}

/**
 * A key-safe rendering of a customer file name: its last path segment, without control characters,
 * the characters S3 advises against in keys, or leading dots; at most 120 characters.
 */
export const safeKeyName = (name: string): string => {
  const base = name.replace(/\\/g, '/').split('/').pop() ?? '';
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const unsafe = /[\u0000-\u001f\u007f{}^%`[\]"<>~#|]/gu;
  const cleaned = Array.from(base.replace(unsafe, '_').replace(/^\.+/u, '_')).slice(0, 120).join('');
  return cleaned || 'document';
};

export interface S3RouteSinkOptions extends S3ConnectionOptions {
  readonly bucket: string;
  /** Prefix in front of `pass/`, `hold/` and `reject/`: empty or ending in `/`. */
  readonly prefix?: string;
  /** SSE-KMS key for entries and decision records (per data classification). Absent: the AWS managed key for S3. */
  readonly kmsKeyId?: string;
  /** Where the original of a document lives (S3ObjectStore.locationOf). */
  readonly original: (documentId: string) => { readonly bucket: string; readonly key: string };
  /** Where `Document Routed` events go (createEventBridgePublisher). */
  readonly events: EventPublisher;
  /** Per S3 call; past it the call fails with DependencyUnavailableError. */
  readonly timeoutMs?: number;
  /** An injected client (tests, shared clients). It should be built with createS3Client. */
  readonly client?: S3Client;
}

/**
 * Route destinations in S3: `<prefix><outcome>/<entry>` is a copy of the original (CopyObject,
 * server-side) and `<entry>.json` the decision record, both with SSE-KMS; then one
 * `Document Routed` event goes to EventBridge.
 *
 * Idempotent: a re-delivery rewrites the same bytes at the same keys and publishes the event
 * again (events are at-least-once; consumers key on documentId + decisionVersion). The original is
 * only ever read. Errors: S3 or EventBridge throttling → ThrottledError; outages →
 * DependencyUnavailableError; access, bucket and KMS errors, or a bus that refuses the event →
 * ConfigError; the original gone → ArtifactMissingError.
 */
export class S3RouteSink implements RouteSink {
  readonly bucket: string;
  readonly prefix: string;
  private readonly client: S3Client;

  constructor(private readonly options: S3RouteSinkOptions) {
    if (options.bucket === '') throw new ConfigError('the route bucket name is empty');
    this.bucket = options.bucket;
    this.prefix = checkPrefix(options.prefix ?? '', 'the route prefix');
    this.client = options.client ?? createS3Client(options);
  }

  entryName(result: RouteResult): string {
    return `${result.documentId.slice(0, 12)}-${safeKeyName(result.name)}`;
  }

  /** `s3://<bucket>/<prefix><outcome>/<entry>`: the location `deliver` returns for this result. */
  locate(outcome: Outcome, result: RouteResult): string {
    return `s3://${this.bucket}/${this.keyOf(outcome, result)}`;
  }

  private keyOf(outcome: Outcome, result: RouteResult): string {
    return `${this.prefix}${outcome}/${this.entryName(result)}`;
  }

  async deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    const key = this.keyOf(outcome, result);
    const what = `delivering to ${outcome} in bucket ${this.bucket}`;
    const sse = sseKms(this.options.kmsKeyId);
    try {
      await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: `${key}.json`,
          Body: `${JSON.stringify(result, null, 2)}\n`,
          ContentType: 'application/json',
          ...sse,
        }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      throw translateS3Error(err, what);
    }
    const original = this.options.original(result.documentId);
    try {
      await this.client.send(
        new CopyObjectCommand({
          Bucket: this.bucket,
          Key: key,
          CopySource: copySourceOf(original.bucket, original.key),
          // Originals carry no tags; not copying them spares the role s3:GetObjectTagging.
          TaggingDirective: 'REPLACE',
          ...sse,
        }),
        callOptions(this.options.timeoutMs),
      );
    } catch (err) {
      if (isS3Missing(err)) throw new ArtifactMissingError('original not found in the object store');
      throw translateS3Error(err, what);
    }
    const location = this.locate(outcome, result);
    const detail: DocumentRoutedDetail = {
      documentId: result.documentId,
      outcome,
      decisionVersion: result.decision?.version ?? 1,
      decisionKind: result.decision?.kind ?? 'pipeline',
      location,
      documentClass: result.documentClass,
      reasonCodes: [...new Set(result.reasons.map((r) => r.code))],
    };
    await this.options.events.publish(DOCUMENT_ROUTED, { ...detail });
    return { location };
  }

  /**
   * Deletes an entry and its `.json` (S3 answers a delete of an absent key with success). Only
   * `s3://<bucket>/<prefix><outcome>/<entry>` is accepted, so a corrupted location can never
   * reach the originals or anything else in the bucket.
   */
  async withdraw(location: string): Promise<void> {
    const key = this.entryKeyOf(location);
    if (key === null) throw new InvalidStepInputError('refusing to withdraw a route entry outside the route prefixes');
    for (const k of [key, `${key}.json`]) {
      try {
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: k }), callOptions(this.options.timeoutMs));
      } catch (err) {
        if (isS3Missing(err)) continue;
        throw translateS3Error(err, `withdrawing a route entry in bucket ${this.bucket}`);
      }
    }
  }

  /** The entry's key when `location` is an entry of this sink, else null. */
  private entryKeyOf(location: string): string | null {
    const head = `s3://${this.bucket}/${this.prefix}`;
    if (!location.startsWith(head)) return null;
    const rest = location.slice(head.length);
    const slash = rest.indexOf('/');
    if (slash < 0) return null;
    const outcome = rest.slice(0, slash);
    const name = rest.slice(slash + 1);
    if (!(OUTCOMES as readonly string[]).includes(outcome) || name === '' || name.includes('/')) return null;
    return location.slice(`s3://${this.bucket}/`.length);
  }
}
