/**
 * What every AWS adapter shares: how its SDK client is built, and how a vendor error is read.
 * No SDK import: the settings object fits every client's constructor.
 */

/** How to reach an AWS service (or a local stand-in). */
export interface AwsConnectionOptions {
  readonly region?: string;
  /** Overrides the service endpoint (a VPC endpoint, or a local server in tests). */
  readonly endpoint?: string;
  /** Static credentials; without them the SDK's default provider chain is used. */
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

export interface AwsClientSettings {
  readonly maxAttempts: number;
  readonly region?: string;
  readonly endpoint?: string;
  readonly credentials?: { readonly accessKeyId: string; readonly secretAccessKey: string; readonly sessionToken?: string };
}

/**
 * An SDK client's settings, the house way: exactly one attempt per call (`maxAttempts: 1`), because
 * retries belong to the state machine, where they are bounded, visible and shared by every step.
 * Only the options that are set are passed on, so the SDK's defaults apply to the rest.
 */
export const clientSettings = (options: AwsConnectionOptions): AwsClientSettings => ({
  maxAttempts: 1,
  ...(options.region === undefined ? {} : { region: options.region }),
  ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
  ...(options.credentials === undefined
    ? {}
    : {
        credentials: {
          accessKeyId: options.credentials.accessKeyId,
          secretAccessKey: options.credentials.secretAccessKey,
          ...(options.credentials.sessionToken === undefined ? {} : { sessionToken: options.credentials.sessionToken }),
        },
      }),
});

/** Socket-level failures: the endpoint could not be reached or dropped the connection. */
export const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ECONNABORTED',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

/** A name or code that is safe to put in an error message: an identifier, never free text. */
export const SAFE_NAME = /^[A-Za-z][A-Za-z0-9_.:-]{0,99}$/u;

export interface VendorErrorShape {
  readonly name: string;
  readonly status: number | undefined;
  /** The error's code and its cause's (the HTTP/2 handler wraps socket errors), safe identifiers only. */
  readonly codes: readonly string[];
}

/**
 * Only the error's name, code and HTTP status, never its message: vendor messages can quote the
 * request (keys, values, document text), and keys carry customer file names.
 */
export const inspectVendorError = (err: unknown): VendorErrorShape => {
  if (typeof err !== 'object' || err === null) return { name: typeof err, status: undefined, codes: [] };
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: unknown }; cause?: { code?: unknown } | null };
  const name = typeof e.name === 'string' && SAFE_NAME.test(e.name) ? e.name : 'Error';
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined;
  const codes = [e.code, e.cause?.code].filter((c): c is string => typeof c === 'string' && SAFE_NAME.test(c));
  return { name, status, codes };
};
