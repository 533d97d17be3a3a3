import { z } from 'zod';

/**
 * The JSON API's request and response shapes, as zod schemas. Requests are validated with them;
 * responses are documented by them (OpenAPI components, through `z.toJSONSchema`) and checked
 * against them by the integration tests.
 */

// --- Requests ------------------------------------------------------------------------------

const isoDateOrTime = z.union([z.iso.date(), z.iso.datetime({ offset: true })], {
  error: 'expected an ISO date (2026-10-03) or date-time (2026-10-03T12:00:00Z)',
});

export const ROUTES = ['pass', 'hold', 'reject', 'failed'] as const;
export const STATES = ['routed', 'failed', 'in-progress', 'received'] as const;

export const ListDocumentsQuery = z.strictObject({
  route: z.enum(ROUTES).optional().describe('The current route; `failed` for documents that failed and were not routed.'),
  class: z.string().min(1).max(64).optional().describe('The document class of the current decision.'),
  status: z.enum(STATES).optional(),
  batch: z.string().min(1).max(100).optional().describe('Documents that were part of this batch (duplicates included).'),
  from: isoDateOrTime.optional().describe('Inclusive lower bound on the time `dateOn` names.'),
  to: isoDateOrTime.optional().describe('Upper bound on the time `dateOn` names; a date includes that whole day (UTC).'),
  dateOn: z.enum(['firstSeen', 'decided']).default('firstSeen').describe('Which time `from`/`to` apply to.'),
  q: z.string().min(1).max(200).optional().describe('A document id prefix, or a substring of the name.'),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(400).optional().describe('`nextCursor` of the previous page, with the same filters.'),
});

export const ListBatchesQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(20),
  cursor: z.string().min(1).max(400).optional(),
});

export const ReviewQueueQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

export const UploadQuery = z.strictObject({
  process: z.literal('now').optional().describe('`now`: run the batch before answering (200); otherwise queue it (202).'),
});

export const LayoutQuery = z.strictObject({
  page: z.coerce.number().int().min(1).optional().describe('Only this page (1-based).'),
});

export const PageQuery = z.strictObject({
  dpi: z.coerce.number().int().min(36).max(200).default(96),
});

export const PageParams = z.strictObject({
  id: z.string(),
  n: z.coerce.number().int().min(1).max(100_000),
});

const FIELD_NAME = /^[a-z][a-z0-9_]*$/;

export const ReviewRequest = z
  .strictObject({
    action: z.enum(['approve', 'reject']),
    reason: z.string().min(1).max(2000).describe('Why, in one line (at most 500 characters): it goes to the audit trail.'),
    corrections: z
      .record(z.string().regex(FIELD_NAME, 'field names are lowercase letters, digits and _'), z.string().max(500))
      .optional()
      .describe('Field corrections, name → value; kept as a new field version.'),
  })
  .describe('A review decision. The reviewer is the caller (the token’s name), never a body field.');

// --- Responses -----------------------------------------------------------------------------

export const ErrorBody = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
  }),
});

const Box = z.object({ left: z.number(), top: z.number(), width: z.number(), height: z.number() });

const DecisionRef = z.object({ version: z.number().int(), kind: z.enum(['pipeline', 'review', 'replay']) });

export const DocumentListItem = z.object({
  documentId: z.string(),
  name: z.string(),
  route: z.enum(ROUTES).nullable(),
  class: z.string().nullable(),
  confidence: z.number().nullable(),
  status: z.enum(STATES),
  decidedAt: z.string().nullable(),
  decision: DecisionRef.nullable(),
  reasonCodes: z.array(z.string()),
  firstSeenAt: z.string().nullable(),
});

export const DocumentList = z.object({
  items: z.array(DocumentListItem),
  nextCursor: z.string().nullable(),
});

const Reason = z.object({ code: z.string(), message: z.string() });

const Finding = z.object({
  ruleId: z.string(),
  reasonCode: z.string(),
  severity: z.enum(['hold', 'reject']),
  message: z.string(),
  fields: z.array(z.string()),
});

/** A decision named by its version and outcome (what a decision superseded). */
const VersionOutcome = z.object({ version: z.number().int(), outcome: z.string() });

const Decision = z.object({
  version: z.number().int(),
  kind: z.enum(['pipeline', 'review', 'replay']),
  outcome: z.enum(['pass', 'hold', 'reject']),
  decidedAt: z.string(),
  batchId: z.string(),
  reviewer: z.string().nullable(),
  reason: z.string().nullable(),
  replayedFrom: z.string().nullable(),
  supersedes: VersionOutcome.nullable(),
  reasons: z.array(Reason),
  findings: z.array(Finding),
  documentClass: z.string().nullable(),
  confidence: z.number().nullable(),
  classifier: z.string().nullable(),
  configVersion: z.string().nullable(),
  rulesetVersion: z.string().nullable(),
  correctedFields: z.array(z.string()),
});

const TimelineEntry = z.object({
  seq: z.number().int(),
  at: z.string(),
  executionId: z.string(),
  batchId: z.string(),
  step: z.string(),
  attempt: z.number().int(),
  event: z.string(),
  durationMs: z.number().optional(),
  outcome: z.string().optional(),
  errorName: z.string().optional(),
  reasonCodes: z.array(z.string()).optional(),
  note: z.string().optional(),
});

const FieldView = z.object({
  value: z.union([z.string(), z.number()]).describe('Masked (last 4 characters) for sensitive fields.'),
  confidence: z.number().nullable(),
  sensitive: z.boolean(),
  corrected: z.boolean(),
});

export const DocumentDetail = z.object({
  documentId: z.string(),
  name: z.string(),
  status: z.enum(STATES),
  route: z.enum(ROUTES).nullable(),
  class: z.string().nullable(),
  confidence: z.number().nullable(),
  reasons: z.array(Reason),
  batchId: z.string().nullable(),
  batches: z.array(z.object({ batchId: z.string(), outcome: z.string().nullable(), duplicate: z.boolean() })),
  lastStep: z.object({ step: z.string(), event: z.string(), at: z.string(), errorName: z.string().optional() }).nullable(),
  decision: Decision.nullable().describe('The current decision; null until the document is routed.'),
  fields: z.record(z.string(), FieldView).nullable().describe('Null when the extracted fields are not available.'),
  findings: z.array(Finding),
  chain: z.array(Decision).describe('Every decision, oldest first.'),
  fieldVersions: z.array(
    z.object({
      version: z.number().int(),
      corrected: z.array(z.string()),
      author: z.string(),
      createdAt: z.string(),
      fields: z.record(z.string(), z.union([z.string(), z.number()])),
    }),
  ),
  timeline: z.array(TimelineEntry),
});

export const Layout = z.object({
  documentId: z.string(),
  mediaType: z.string(),
  pageCount: z.number().int(),
  pages: z.array(
    z.object({
      page: z.number().int(),
      width: z.number(),
      height: z.number(),
      unit: z.enum(['pt', 'px']).describe('PDF points for PDFs, pixels for images.'),
      rotation: z.number().int(),
      method: z.enum(['text-layer', 'ocr']),
      words: z.array(z.object({ box: Box, confidence: z.number() })).describe('Boxes are fractions of the upright page, origin top-left.'),
      fields: z.array(
        z.object({
          name: z.string(),
          box: Box,
          confidence: z.number(),
          sensitive: z.boolean(),
          locator: z.string(),
        }),
      ),
    }),
  ),
});

export const ReviewResponse = z.object({
  documentId: z.string(),
  decision: Decision,
  previous: VersionOutcome,
  stillFiring: z.array(Finding),
  delivery: z.object({ location: z.string().nullable(), error: z.object({ name: z.string(), message: z.string() }).nullable() }).nullable(),
});

export const ReviewConflict = z.object({
  error: z.object({ code: z.enum(['NOT_HELD', 'LOST_RACE']), message: z.string() }),
  current: z
    .object({
      version: z.number().int(),
      kind: z.string(),
      outcome: z.string(),
      decidedAt: z.string(),
      reviewer: z.string().nullable(),
    })
    .nullable(),
});

export const ReviewQueue = z.object({
  total: z.number().int(),
  items: z.array(
    z.object({
      documentId: z.string(),
      name: z.string(),
      heldSince: z.string(),
      decision: z.number().int(),
      class: z.string().nullable(),
      confidence: z.number().nullable(),
      reasonCodes: z.array(z.string()),
    }),
  ),
});

const Counts = z.object({
  pass: z.number().int(),
  hold: z.number().int(),
  reject: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  duplicates: z.number().int(),
});

/** A batch with its counts: an item of BatchList, the head of BatchDetail, part of UploadProcessed. */
const BatchSummary = z.object({
  batchId: z.string(),
  status: z.string(),
  source: z.string(),
  createdAt: z.string(),
  completedAt: z.string().nullable(),
  received: z.number().int(),
  counts: Counts,
  reconciled: z.boolean().describe('received = pass + hold + reject + failed'),
  reasons: z.record(z.string(), z.number()).nullable(),
});

export const BatchList = z.object({
  items: z.array(BatchSummary),
  nextCursor: z.string().nullable(),
});

const BatchDocument = z.object({
  documentId: z.string(),
  name: z.string(),
  duplicate: z.boolean(),
  reasonCode: z.string().nullable(),
  errorName: z.string().nullable(),
  now: z
    .object({ outcome: z.string(), decision: z.number().int(), kind: z.string() })
    .nullable()
    .describe('Where a later review or replay moved it; the batch keeps its own outcome.'),
});

export const BatchDetail = BatchSummary.extend({
  documents: z.object({
    pass: z.array(BatchDocument),
    hold: z.array(BatchDocument),
    reject: z.array(BatchDocument),
    failed: z.array(BatchDocument),
    pending: z.array(BatchDocument),
  }),
});

const UploadItem = z.object({
  uploadId: z.string(),
  name: z.string().describe('The recorded name: the last path component, cleaned.'),
  size: z.number().int(),
  documentId: z.string().describe('The content hash: the id the document will have.'),
});

export const UploadQueued = z.object({
  queued: z.array(UploadItem),
});

export const UploadProcessed = z.object({
  batches: z
    .array(BatchSummary.pick({ batchId: true, status: true, received: true, counts: true, reconciled: true }))
    .describe('The batches that took in these uploads (usually one).'),
  documents: z.array(
    UploadItem.extend({
      status: z.enum(STATES),
      route: z.enum(ROUTES).nullable(),
      reasonCodes: z.array(z.string()),
      decision: z.number().int().nullable(),
    }),
  ),
});

// --- OpenAPI -------------------------------------------------------------------------------

/**
 * Component schemas by name, for `#/components/schemas/<name>`. `Error` (the shape of ErrorBody)
 * is the server core's component (openapi.ts); the API's paths refer to it.
 */
const COMPONENTS = {
  DocumentListItem,
  DocumentList,
  DocumentDetail,
  Layout,
  ReviewRequest,
  ReviewResponse,
  ReviewConflict,
  ReviewQueue,
  BatchList,
  BatchDetail,
  UploadQueued,
  UploadProcessed,
} as const;

type ComponentName = keyof typeof COMPONENTS;

const ref = (name: ComponentName | 'Error'): { $ref: string } => ({ $ref: `#/components/schemas/${name}` });

const withoutMeta = (schema: Record<string, unknown>): Record<string, unknown> => {
  const { $schema: _s, $id: _i, id: _id, ...rest } = schema;
  return rest;
};

export const openapiSchemas = (): Record<string, unknown> => {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of Object.entries(COMPONENTS)) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    uri: (id) => `#/components/schemas/${id}`,
    io: 'output',
    unrepresentable: 'any',
  });
  return Object.fromEntries(Object.entries(schemas).map(([k, v]) => [k, withoutMeta(v as Record<string, unknown>)]));
};

/** OpenAPI parameters from a strict object schema of query (or path) parameters. */
const parametersOf = (schema: z.ZodObject, where: 'query' | 'path'): Record<string, unknown>[] =>
  Object.entries(schema.shape).map(([name, field]) => {
    const json = withoutMeta(z.toJSONSchema(field, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>);
    const { description, ...rest } = json;
    return {
      name,
      in: where,
      required: where === 'path' || !(field as z.ZodType).safeParse(undefined).success,
      schema: rest,
      ...(typeof description === 'string' ? { description } : {}),
    };
  });

const json = (name: ComponentName | 'Error', description: string): Record<string, unknown> => ({
  description,
  content: { 'application/json': { schema: ref(name) } },
});

const errors = (...codes: number[]): Record<string, unknown> => {
  const text: Record<number, string> = {
    400: 'Bad request: the message names the field',
    401: 'No valid token or session',
    403: 'The token’s role does not allow this',
    404: 'No such document (or batch)',
    409: 'Conflict',
    413: 'Upload too large',
    422: 'The document cannot be rendered',
  };
  return Object.fromEntries(codes.map((c) => [String(c), json('Error', text[c] ?? 'Error')]));
};

const idParam = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'A document id (64 hex characters) or a unique prefix of at least 8.',
  schema: { type: 'string', pattern: '^[0-9a-fA-F]{8,64}$' },
};

const role = (r: 'viewer' | 'reviewer' | 'admin'): Record<string, unknown> => ({ 'x-required-role': r });

/** A read operation: every GET needs the viewer role. */
const viewerGet = (
  operationId: string,
  summary: string,
  parameters: Record<string, unknown>[],
  responses: Record<string, unknown>,
): Record<string, unknown> => ({ operationId, summary, ...role('viewer'), parameters, responses });

/** The schema of raw bytes of one media type. */
const bytes = (mediaType: string): Record<string, unknown> => ({ type: 'string', contentMediaType: mediaType });

/** A response whose body is raw bytes of one media type. */
const binary = (mediaType: string, description: string): Record<string, unknown> => ({
  description,
  content: { [mediaType]: { schema: bytes(mediaType) } },
});

export const openapiPaths = (): Record<string, unknown> => ({
  '/api/v1/documents': {
    get: viewerGet(
      'listDocuments',
      'Documents, newest first, with filters and keyset pagination',
      parametersOf(ListDocumentsQuery, 'query'),
      { '200': json('DocumentList', 'A page of documents'), ...errors(400, 401, 403) },
    ),
    post: {
      operationId: 'uploadDocuments',
      summary: 'Upload documents (multipart, one or more `file` parts)',
      description:
        'Each part is saved under a generated name; its file name is kept as metadata only (the last path component, cleaned). ' +
        'A part larger than the server’s upload limit is a 413, and so is a request body larger than that limit plus 64 KiB of multipart framing. ' +
        'Any type is accepted: the pipeline rejects what it cannot read with a reason code (UNSUPPORTED_TYPE, EMPTY_FILE, …), as the CLI does.',
      ...role('admin'),
      parameters: parametersOf(UploadQuery, 'query'),
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              properties: { file: { type: 'array', items: bytes('application/octet-stream') } },
              required: ['file'],
            },
          },
        },
      },
      responses: {
        '200': json('UploadProcessed', 'Processed (`process=now`): the batch and each document’s outcome'),
        '202': json('UploadQueued', 'Queued for the next batch'),
        ...errors(400, 401, 403, 413),
      },
    },
  },
  '/api/v1/documents/{id}': {
    get: viewerGet(
      'getDocument',
      'Where a document is and why: status, decision, fields (sensitive masked), findings, chain, timeline',
      [idParam],
      { '200': json('DocumentDetail', 'The document'), ...errors(400, 401, 403, 404) },
    ),
  },
  '/api/v1/documents/{id}/original': {
    get: viewerGet('getOriginal', 'The original bytes, as an attachment', [idParam], {
      '200': binary('application/octet-stream', 'The original'),
      ...errors(401, 403, 404),
    }),
  },
  '/api/v1/documents/{id}/layout': {
    get: viewerGet(
      'getLayout',
      'Per page: size, word boxes and field boxes (names and confidence, no values) from the extraction the current decision used',
      [idParam, ...parametersOf(LayoutQuery, 'query')],
      { '200': json('Layout', 'The layout'), ...errors(400, 401, 403, 404) },
    ),
  },
  '/api/v1/documents/{id}/pages/{n}': {
    get: viewerGet(
      'getPage',
      'A page rendered as PNG',
      [
        idParam,
        { name: 'n', in: 'path', required: true, description: '1-based page number', schema: { type: 'integer', minimum: 1 } },
        ...parametersOf(PageQuery, 'query'),
      ],
      {
        '200': binary('image/png', 'The page'),
        ...errors(400, 401, 403, 404, 422),
      },
    ),
  },
  '/api/v1/documents/{id}/review': {
    post: {
      operationId: 'reviewDocument',
      summary: 'Approve or reject a held document; recorded under the caller’s token name',
      ...role('reviewer'),
      parameters: [idParam],
      requestBody: { required: true, content: { 'application/json': { schema: ref('ReviewRequest') } } },
      responses: {
        '200': json('ReviewResponse', 'Decided (a failed delivery is reported in `delivery.error`; the decision stands)'),
        '409': json('ReviewConflict', 'Not held, or another decision was recorded first'),
        ...errors(400, 401, 403, 404),
      },
    },
  },
  '/api/v1/review-queue': {
    get: viewerGet('reviewQueue', 'Held documents, oldest first', parametersOf(ReviewQueueQuery, 'query'), {
      '200': json('ReviewQueue', 'The queue'),
      ...errors(400, 401, 403),
    }),
  },
  '/api/v1/batches': {
    get: viewerGet('listBatches', 'Recent batches with their counts, newest first', parametersOf(ListBatchesQuery, 'query'), {
      '200': json('BatchList', 'A page of batches'),
      ...errors(400, 401, 403),
    }),
  },
  '/api/v1/batches/{id}': {
    get: viewerGet(
      'getBatch',
      'One batch: counts, reconciliation and its documents by outcome',
      [{ name: 'id', in: 'path', required: true, description: 'A batch id, or `latest`', schema: { type: 'string' } }],
      { '200': json('BatchDetail', 'The batch'), ...errors(401, 403, 404) },
    ),
  },
});
