/**
 * How an upload starts the state machine on AWS: an EventBridge rule on S3's "Object Created"
 * events for the inbox prefix, with an input transformer that turns the event into the execution
 * input `{ batchId, documents: [{ bucket, key, size }] }`: a batch of one document per upload.
 *
 * Why one execution per upload (and not many uploads per execution): the event carries one
 * object, an input transformer cannot aggregate events, and a batch of one needs no extra
 * moving parts (queue, batching window, scheduler) that could lose or delay a document. The Map,
 * the reconciliation and the summary work the same for one document or thousands; bulk loads that
 * want one summary per batch start an execution themselves with many documents (the same input
 * shape), or put EventBridge Pipes with an SQS batching window in front (see docs/aws.md).
 *
 * Rendered by `npm run asl` to `asl/s3-trigger.json` for Terraform.
 */

export interface S3TriggerOptions {
  readonly bucket: string;
  /** The inbox prefix, e.g. `inbox/`; other keys never start an execution. */
  readonly prefix: string;
  /** Objects larger than this are not admitted (they never start an execution); 0 bytes neither. */
  readonly maxBytes: number;
}

/** The rule's event pattern: Object Created in the inbox, not a folder marker, within the size limit. */
export const s3EventPattern = (o: S3TriggerOptions) => ({
  source: ['aws.s3'],
  'detail-type': ['Object Created'],
  detail: {
    bucket: { name: [o.bucket] },
    object: {
      key: [{ prefix: o.prefix }],
      size: [{ numeric: ['>', 0, '<=', o.maxBytes] }],
    },
  },
});

/**
 * The input transformer. `<key>` is substituted as the event carries it (URL-encoded, spaces as
 * `+`); Admit decodes it. The batch id is the event's id, so a redelivered event (EventBridge
 * delivers at least once) names the same batch, and the content hash makes the document itself
 * idempotent.
 */
export const S3_INPUT_TRANSFORMER = {
  InputPathsMap: {
    id: '$.id',
    bucket: '$.detail.bucket.name',
    key: '$.detail.object.key',
    size: '$.detail.object.size',
  },
  InputTemplate: '{"batchId": "s3-<id>", "documents": [{"bucket": "<bucket>", "key": "<key>", "size": <size>}]}',
} as const;

/**
 * EventBridge's substitution, for tests and local runs: each `<name>` becomes the value at its
 * path, JSON-escaped inside quotes. (EventBridge escapes string values the same way.)
 */
export const applyInputTransformer = (
  transformer: { InputPathsMap: Readonly<Record<string, string>>; InputTemplate: string },
  event: unknown,
): unknown => {
  const at = (path: string): unknown =>
    path
      .replace(/^\$\./, '')
      .split('.')
      .reduce<unknown>((v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined), event);
  // Inside a JSON string a placeholder becomes the escaped text; outside, a JSON value.
  let text = '';
  let inString = false;
  const t = transformer.InputTemplate;
  for (let i = 0; i < t.length; i++) {
    const ch = t[i] ?? '';
    if (ch === '"' && t[i - 1] !== '\\') inString = !inString;
    const m = ch === '<' ? /^<(\w+)>/.exec(t.slice(i)) : null;
    if (m?.[1] !== undefined && transformer.InputPathsMap[m[1]] !== undefined) {
      const value = at(transformer.InputPathsMap[m[1]] ?? '');
      text += inString
        ? JSON.stringify(typeof value === 'string' ? value : value === undefined ? '' : JSON.stringify(value)).slice(1, -1)
        : JSON.stringify(value ?? null);
      i += m[0].length - 1;
    } else {
      text += ch;
    }
  }
  return JSON.parse(text) as unknown;
};
