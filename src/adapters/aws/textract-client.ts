import { createHash } from 'node:crypto';
import {
  GetDocumentAnalysisCommand,
  StartDocumentAnalysisCommand,
  TextractClient,
  type Block,
  type FeatureType,
  type GetDocumentAnalysisCommandOutput,
  type Query,
  type StartDocumentAnalysisCommandInput,
} from '@aws-sdk/client-textract';
import type { MediaType } from '../../domain/document.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InternalError,
  InvalidStepInputError,
  ThrottledError,
  UnsupportedDocumentError,
  type PipelineError,
} from '../../domain/errors.js';
import { clientSettings, inspectVendorError, NETWORK_CODES, SAFE_NAME, type AwsConnectionOptions } from './aws-common.js';

/**
 * Amazon Textract's asynchronous document analysis, for the AWS Extract step:
 * `startAnalysis` (StartDocumentAnalysis on the original in S3) once, then `getAnalysis`
 * (GetDocumentAnalysis) from the state machine's Wait + Get loop until the job is done.
 *
 * The SDK client makes exactly one attempt (`maxAttempts: 1`): retries belong to the state machine,
 * where they are bounded, visible and shared by every step. Every SDK error is translated here, so
 * none crosses this module:
 *
 * - ThrottlingException, ProvisionedThroughputExceededException (a "client fault" that is really
 *   throttling), LimitExceededException (too many concurrent jobs), HTTP 429 → ThrottledError.
 * - InternalServerError, HTTP 5xx/408, timeouts, network failures, bodies that are not JSON or not
 *   shaped like the API's → DependencyUnavailableError.
 * - UnsupportedDocumentException → UnsupportedDocumentError UNSUPPORTED_TYPE; BadDocumentException
 *   → CorruptDocumentError CORRUPT_PDF / CORRUPT_IMAGE (by the sniffed media type, else
 *   UnsupportedDocumentError); DocumentTooLargeException, and results longer than maxResultPages,
 *   → DocumentTooLargeError TOO_LARGE. These are the document's fault: the state machine rejects it.
 * - AccessDeniedException, InvalidKMSKeyException, InvalidParameterException,
 *   InvalidS3ObjectException and any other 4xx → ConfigError.
 * - InvalidJobIdException, IdempotentParameterMismatchException and malformed input →
 *   InvalidStepInputError.
 * - A FAILED job is data (`{ status: 'FAILED' }`); `textractJobFailedError` is the document error
 *   to end it with.
 *
 * Only an error's name, code and HTTP status are read: vendor messages (and the SDK's own parse
 * errors, which quote the body) can carry document text. Nothing here logs.
 */

export interface TextractAnalysisOptions extends AwsConnectionOptions {
  /** An injected client (tests, shared clients). It should be built with clientSettings (`maxAttempts: 1`). */
  readonly client?: TextractClient;
  /** Per call; past it the call fails with DependencyUnavailableError. Default 30 s. */
  readonly timeoutMs?: number;
  /**
   * Most GetDocumentAnalysis result pages (up to 1,000 blocks each) one `getAnalysis` reads; past
   * it the document is refused as too large rather than exhausting the function's memory. Default 100.
   */
  readonly maxResultPages?: number;
  /**
   * The pages every query is asked on (Textract `Query.Pages`). Textract's default is page 1 only;
   * ours is every page (`['*']`), since a field may sit on any page. Each page asked is billed.
   */
  readonly queryPages?: readonly string[];
}

export interface TextractQuery {
  /** The field name: answers come back under it. */
  readonly alias: string;
  readonly text: string;
}

export interface StartAnalysisInput {
  readonly bucket: string;
  readonly key: string;
  /** The S3 object version, when the bucket is versioned: analyse exactly the object we stored. */
  readonly version?: string;
  /** Asked with FeatureType QUERIES when non-empty; at most TEXTRACT_MAX_QUERIES. */
  readonly queries: readonly TextractQuery[];
  /** Encrypts the results Textract writes to `outputConfig`. */
  readonly kmsKeyId?: string;
  /** Also write the results to this bucket/prefix (they stay readable through GetDocumentAnalysis). */
  readonly outputConfig?: { readonly bucket: string; readonly prefix?: string };
  /**
   * Idempotency token: a retried Start with the same token and parameters returns the same JobId.
   * 1–64 characters of [A-Za-z0-9_-]. Build it with `clientRequestTokenFor`.
   */
  readonly clientRequestToken: string;
  /** The sniffed media type, used only to name the reason code when Textract cannot read the file. */
  readonly mediaType?: MediaType;
}

/** A query as the Textract API spells it (`QueriesConfig.Queries[]`, without `Pages`). */
export interface TextractApiQuery extends Query {
  Text: string;
  Alias: string;
}

export interface TextractWarning {
  readonly code: string;
  /** The result pages the warning is about, ascending. */
  readonly pages: readonly number[];
}

export type AnalysisResult =
  | { readonly status: 'IN_PROGRESS' }
  | {
      readonly status: 'SUCCEEDED' | 'PARTIAL_SUCCESS';
      /** Every block of every result page, in order. */
      readonly blocks: Block[];
      /** DocumentMetadata.Pages. */
      readonly pages: number;
      readonly warnings: readonly TextractWarning[];
      /** AnalyzeDocumentModelVersion, when Textract reported it. */
      readonly modelVersion?: string;
    }
  | {
      readonly status: 'FAILED';
      /** Textract's StatusMessage when it is a short service message; a placeholder otherwise. */
      readonly message: string;
    };

export interface TextractAnalysis {
  /** Starts the analysis and returns Textract's JobId. */
  startAnalysis(input: StartAnalysisInput): Promise<string>;
  /** One poll: the job's status, and when it is done, all its result pages merged. */
  getAnalysis(jobId: string): Promise<AnalysisResult>;
}

/** Textract answers at most 30 queries per page in asynchronous analysis (15 synchronously). */
export const TEXTRACT_MAX_QUERIES = 30;

/** Query.Text and Query.Alias: 1–200 characters of printable ASCII (the API's documented pattern). */
const QUERY_MAX_CHARS = 200;
const QUERY_CHARS = /^[a-zA-Z0-9\s!"#$%'&()*+,\-./:;=?@[\\\]^_`{|}~><]+$/u;

/** ClientRequestToken and JobId: 1–64 characters of [a-zA-Z0-9-_]. */
const TOKEN = /^[a-zA-Z0-9_-]{1,64}$/u;

/** QueryPages entries: 1–9 characters of digits, '-' and '*'. */
const QUERY_PAGE = /^[0-9*-]{1,9}$/u;

/** GetDocumentAnalysis returns at most 1,000 blocks per call. */
const MAX_RESULTS = 1000;

const DEFAULT_TIMEOUT_MS = 30_000;
const DEFAULT_MAX_RESULT_PAGES = 100;

/** A FAILED job's StatusMessage is kept up to this length. */
const STATUS_MESSAGE_MAX_CHARS = 200;

const THROTTLING = new Set(['ThrottlingException', 'ProvisionedThroughputExceededException', 'LimitExceededException']);

const UNAVAILABLE = new Set(['InternalServerError', 'ServiceUnavailableException', 'TimeoutError', 'AbortError', 'RequestTimeout']);

/** Our account, role, key or request is wrong: retrying cannot help. */
const CONFIG = new Set([
  'AccessDeniedException',
  'InvalidKMSKeyException',
  'InvalidParameterException',
  'InvalidS3ObjectException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'CredentialsProviderError',
]);

/** AnalyzeDocumentModelVersion, e.g. "1.0". */
const SAFE_VERSION = /^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$/u;

type Operation = 'StartDocumentAnalysis' | 'GetDocumentAnalysis';

const corruptCode = (mediaType: MediaType | undefined): 'CORRUPT_PDF' | 'CORRUPT_IMAGE' | undefined =>
  mediaType === undefined ? undefined : mediaType === 'application/pdf' ? 'CORRUPT_PDF' : 'CORRUPT_IMAGE';

/** Translates whatever the SDK threw into the taxonomy (see the module comment). */
const translate = (
  err: unknown,
  op: Operation,
  context: { readonly timedOut: boolean; readonly timeoutMs: number; readonly mediaType?: MediaType | undefined },
): PipelineError => {
  const { name, status, codes } = inspectVendorError(err);
  if (context.timedOut && (name === 'AbortError' || name === 'TimeoutError')) {
    return new DependencyUnavailableError(`textract ${op} timed out after ${context.timeoutMs} ms`);
  }
  if (THROTTLING.has(name)) return new ThrottledError(`textract throttled ${op} (${name})`);
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`textract is unavailable (${op}: ${name})`);
  // The SDK could not parse the body (a proxy's HTML page, a cut connection): the service's answer
  // was lost on the way, so asking again may well work.
  if (name === 'SyntaxError') {
    return new DependencyUnavailableError(`textract ${op} returned a body that is not valid JSON (HTTP ${status ?? 'unknown'})`);
  }
  switch (name) {
    case 'UnsupportedDocumentException':
      return new UnsupportedDocumentError('textract does not support this document format (expected PDF, TIFF, JPEG or PNG)');
    case 'BadDocumentException': {
      const code = corruptCode(context.mediaType);
      return code === undefined
        ? new UnsupportedDocumentError('textract could not read the document')
        : new CorruptDocumentError('textract could not read the document', code);
    }
    case 'DocumentTooLargeException':
      return new DocumentTooLargeError('textract refused the document as too large (async limits: 500 MB, 3,000 pages)');
    case 'InvalidJobIdException':
      return new InvalidStepInputError(`textract does not know the job id (${op}: InvalidJobIdException); job ids expire after 7 days`);
    case 'IdempotentParameterMismatchException':
      return new InvalidStepInputError(
        `textract ${op}: IdempotentParameterMismatchException, the ClientRequestToken was used before with other parameters; derive it from them (clientRequestTokenFor)`,
      );
  }
  if (CONFIG.has(name)) {
    return new ConfigError(
      `textract rejected ${op} with ${name}; check the region, the role's Textract, S3 and KMS access, and the bucket`,
    );
  }
  if (status === 429) return new ThrottledError(`textract throttled ${op} (HTTP 429)`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`textract is unavailable (${op}: ${name}, HTTP ${status})`);
  }
  if (status !== undefined && status >= 400) return new ConfigError(`textract rejected ${op} with ${name} (HTTP ${status})`);
  const network = codes.find((c) => NETWORK_CODES.has(c));
  if (network !== undefined) return new DependencyUnavailableError(`textract endpoint unreachable (${op}: ${network})`);
  return new InternalError(`textract ${op} failed (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

/** Checks one query the way Textract will, naming the field but never echoing the question. */
const checkQuery = (alias: string, text: string, where: string): TextractApiQuery => {
  if (alias.length === 0 || alias.length > QUERY_MAX_CHARS || !QUERY_CHARS.test(alias)) {
    throw new ConfigError(`${where}: a Textract query alias must be 1–${QUERY_MAX_CHARS} printable ASCII characters`);
  }
  if (text.length === 0 || text.length > QUERY_MAX_CHARS || !QUERY_CHARS.test(text)) {
    throw new ConfigError(`${where} (field "${alias}"): a Textract query must be 1–${QUERY_MAX_CHARS} printable ASCII characters`);
  }
  return { Text: text, Alias: alias };
};

const checkQueries = (queries: readonly TextractQuery[], where: string): TextractApiQuery[] => {
  if (queries.length > TEXTRACT_MAX_QUERIES) {
    throw new ConfigError(
      `${where}: ${queries.length} Textract queries; asynchronous analysis answers at most ${TEXTRACT_MAX_QUERIES} per page`,
    );
  }
  const seen = new Set<string>();
  return queries.map((q) => {
    const query = checkQuery(q.alias, q.text, where);
    if (seen.has(q.alias)) throw new ConfigError(`${where}: the Textract query alias "${q.alias}" is used twice`);
    seen.add(q.alias);
    return query;
  });
};

/**
 * The Textract Queries for the fields that have a `query`, aliased by field name (so answers come
 * back under the field's name), in the specs' order. Throws ConfigError when Textract would refuse
 * them: more than TEXTRACT_MAX_QUERIES, a question or name outside 1–200 printable ASCII
 * characters, or a name used twice.
 */
export const queriesFor = (specs: readonly { readonly name: string; readonly query?: string }[]): TextractApiQuery[] =>
  checkQueries(
    specs.flatMap((s) => (s.query === undefined ? [] : [{ alias: s.name, text: s.query }])),
    'field queries',
  );

/**
 * A ClientRequestToken for starting `input` on document `documentId`: the id's first 47 characters
 * and a digest of every parameter Textract compares. A retried Start (same document, same request)
 * gets the same token and so the same job; a changed request (other queries, a new object version)
 * gets a new token instead of IdempotentParameterMismatchException.
 */
export const clientRequestTokenFor = (
  documentId: string,
  input: Omit<StartAnalysisInput, 'clientRequestToken' | 'mediaType'>,
  /** The client's `queryPages`, when it is not the default. */
  queryPages: readonly string[] = ['*'],
): string => {
  const prefix = documentId.replace(/[^a-zA-Z0-9_-]/gu, '').slice(0, 47);
  const digest = createHash('sha256')
    .update(
      JSON.stringify([
        input.bucket,
        input.key,
        input.version ?? null,
        input.queries.map((q) => [q.alias, q.text]),
        input.queries.length === 0 ? null : queryPages,
        input.kmsKeyId ?? null,
        input.outputConfig?.bucket ?? null,
        input.outputConfig?.prefix ?? null,
      ]),
    )
    .digest('hex')
    .slice(0, 16);
  return prefix === '' ? digest : `${prefix}-${digest}`;
};

/**
 * Textract's StatusMessage is a service message, but it could quote the object key (a file name).
 * Kept only when it is short, plain text with nothing that looks like a path, file or quotation.
 */
const safeStatusMessage = (message: unknown): string => {
  if (typeof message !== 'string') return 'no status message';
  const text = message.replace(/\s+/gu, ' ').trim();
  if (text === '') return 'no status message';
  const plain = /^[A-Za-z0-9 .,:;()_/-]+$/u.test(text) && !/s3:\/\/|\.[A-Za-z]{2,4}\b|\/\S+\//u.test(text);
  if (!plain) return 'status message withheld (it may quote the object)';
  // Plain ASCII dots, so a capped message passes this check again (textractJobFailedError).
  return text.length > STATUS_MESSAGE_MAX_CHARS ? `${text.slice(0, STATUS_MESSAGE_MAX_CHARS - 3)}...` : text;
};

/** The document error a FAILED job ends in: terminal, routed to reject. */
export const textractJobFailedError = (message: string): UnsupportedDocumentError =>
  new UnsupportedDocumentError(`textract could not analyse the document: ${safeStatusMessage(message)}`);

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

const malformed = (what: string): DependencyUnavailableError =>
  new DependencyUnavailableError(`textract returned a malformed GetDocumentAnalysis response: ${what}`);

const readWarnings = (raw: unknown, into: Map<string, Set<number>>): void => {
  if (raw === undefined) return;
  if (!Array.isArray(raw)) throw malformed('Warnings is not a list');
  for (const w of raw as unknown[]) {
    if (!isRecord(w)) continue;
    const code = typeof w.ErrorCode === 'string' && SAFE_NAME.test(w.ErrorCode) ? w.ErrorCode : 'UNKNOWN';
    const pages = into.get(code) ?? new Set<number>();
    if (Array.isArray(w.Pages)) for (const p of w.Pages as unknown[]) if (typeof p === 'number' && Number.isInteger(p)) pages.add(p);
    into.set(code, pages);
  }
};

export const createTextractAnalysis = (options: TextractAnalysisOptions = {}): TextractAnalysis => {
  const client = options.client ?? new TextractClient(clientSettings(options));
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const maxResultPages = options.maxResultPages ?? DEFAULT_MAX_RESULT_PAGES;
  const queryPages = [...(options.queryPages ?? ['*'])];
  if (!Number.isInteger(timeoutMs) || timeoutMs <= 0) throw new ConfigError('textract timeoutMs must be a positive integer');
  if (!Number.isInteger(maxResultPages) || maxResultPages <= 0) throw new ConfigError('textract maxResultPages must be a positive integer');
  if (queryPages.length === 0 || !queryPages.every((p) => QUERY_PAGE.test(p)) || (queryPages.includes('*') && queryPages.length > 1)) {
    throw new ConfigError('textract queryPages must be page numbers or ranges ("1", "2-4", "3-*"), or "*" alone');
  }

  const call = async <T>(op: Operation, run: (signal: AbortSignal) => Promise<T>, mediaType?: MediaType): Promise<T> => {
    const signal = AbortSignal.timeout(timeoutMs);
    try {
      return await run(signal);
    } catch (err) {
      throw translate(err, op, { timedOut: signal.aborted, timeoutMs, mediaType });
    }
  };

  return {
    startAnalysis: async (input) => {
      if (!TOKEN.test(input.clientRequestToken)) {
        throw new InvalidStepInputError('textract ClientRequestToken must be 1–64 characters of [A-Za-z0-9_-]');
      }
      if (input.bucket === '' || input.key === '') throw new InvalidStepInputError('textract needs the bucket and key of the original');
      const queries = checkQueries(input.queries, 'startAnalysis');
      const features: FeatureType[] = ['FORMS', 'TABLES', ...(queries.length > 0 ? (['QUERIES'] as const) : [])];
      const request: StartDocumentAnalysisCommandInput = {
        DocumentLocation: {
          S3Object: { Bucket: input.bucket, Name: input.key, ...(input.version === undefined ? {} : { Version: input.version }) },
        },
        FeatureTypes: features,
        ClientRequestToken: input.clientRequestToken,
        ...(queries.length > 0 ? { QueriesConfig: { Queries: queries.map((q) => ({ ...q, Pages: queryPages })) } } : {}),
        ...(input.kmsKeyId === undefined ? {} : { KMSKeyId: input.kmsKeyId }),
        ...(input.outputConfig === undefined
          ? {}
          : {
              OutputConfig: {
                S3Bucket: input.outputConfig.bucket,
                ...(input.outputConfig.prefix === undefined ? {} : { S3Prefix: input.outputConfig.prefix }),
              },
            }),
      };
      const out = await call(
        'StartDocumentAnalysis',
        (abortSignal) => client.send(new StartDocumentAnalysisCommand(request), { abortSignal }),
        input.mediaType,
      );
      if (typeof out.JobId !== 'string' || !TOKEN.test(out.JobId)) {
        throw new DependencyUnavailableError('textract StartDocumentAnalysis answered without a usable JobId');
      }
      return out.JobId;
    },

    getAnalysis: async (jobId) => {
      if (!TOKEN.test(jobId)) throw new InvalidStepInputError('textract JobId must be 1–64 characters of [A-Za-z0-9_-]');
      const blocks: Block[] = [];
      const warnings = new Map<string, Set<number>>();
      let pages = 0;
      let modelVersion: string | undefined;
      let status: 'SUCCEEDED' | 'PARTIAL_SUCCESS' | undefined;
      let nextToken: string | undefined;
      for (let page = 1; ; page++) {
        if (page > maxResultPages) {
          throw new DocumentTooLargeError(
            `textract results run past ${maxResultPages} result pages of ${MAX_RESULTS} blocks; the limit is maxResultPages`,
          );
        }
        const token = nextToken;
        const out: GetDocumentAnalysisCommandOutput = await call('GetDocumentAnalysis', (abortSignal) =>
          client.send(
            new GetDocumentAnalysisCommand({ JobId: jobId, MaxResults: MAX_RESULTS, ...(token === undefined ? {} : { NextToken: token }) }),
            { abortSignal },
          ),
        );
        const jobStatus: unknown = out.JobStatus;
        if (page === 1) {
          if (jobStatus === 'IN_PROGRESS') return { status: 'IN_PROGRESS' };
          if (jobStatus === 'FAILED') return { status: 'FAILED', message: safeStatusMessage(out.StatusMessage) };
        }
        if (jobStatus !== 'SUCCEEDED' && jobStatus !== 'PARTIAL_SUCCESS') {
          throw malformed(
            `JobStatus ${typeof jobStatus === 'string' && SAFE_NAME.test(jobStatus) ? jobStatus : 'missing'} on result page ${page}`,
          );
        }
        status ??= jobStatus;

        const raw: unknown = out.Blocks;
        if (raw !== undefined) {
          if (!Array.isArray(raw)) throw malformed(`Blocks is not a list (result page ${page})`);
          for (const block of raw as unknown[]) {
            if (!isRecord(block)) throw malformed(`a block is not an object (result page ${page})`);
            blocks.push(block);
          }
        }
        const declared: unknown = out.DocumentMetadata?.Pages;
        if (typeof declared === 'number' && Number.isInteger(declared) && declared > pages) pages = declared;
        readWarnings(out.Warnings, warnings);
        if (typeof out.AnalyzeDocumentModelVersion === 'string' && SAFE_VERSION.test(out.AnalyzeDocumentModelVersion)) {
          modelVersion ??= out.AnalyzeDocumentModelVersion;
        }

        const next: unknown = out.NextToken;
        if (next === undefined || next === '') break;
        if (typeof next !== 'string') throw malformed('NextToken is not a string');
        // The same token twice would loop until maxResultPages: call it what it is.
        if (next === token) throw malformed(`NextToken repeated on result page ${page}`);
        nextToken = next;
      }

      return {
        status,
        blocks,
        pages,
        warnings: [...warnings].map(([code, set]) => ({ code, pages: [...set].sort((a, b) => a - b) })),
        ...(modelVersion === undefined ? {} : { modelVersion }),
      };
    },
  };
};
