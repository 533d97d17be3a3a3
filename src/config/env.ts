import { ConfigError } from '../domain/errors.js';
import { describeFaultIssues, FaultsSchema, type FaultSpec } from './faults.js';

/** The few environment switches the CLI honours (config itself comes from load.ts). */
export const interactiveStderr = (): boolean => process.stderr.isTTY && !process.env['CI'] && !process.env['NO_PROGRESS'];

export const colourEnabled = (stream: NodeJS.WriteStream): boolean => stream.isTTY && process.env['NO_COLOR'] === undefined;

export const debugEnabled = (): boolean => Boolean(process.env['DOCROUTE_DEBUG']);

/** A secret the config names by variable (e.g. an LLM server's API key); never stored in config files. */
export const secretFromEnv = (name: string): string | undefined => process.env[name] || undefined;

/**
 * The fault-injection spec from `DOCROUTE_FAULTS` (JSON), or undefined when unset. A spec that is
 * not JSON or not valid fails here, at start-up, with a ConfigError naming the path.
 */
export const faultsFromEnv = (env: NodeJS.ProcessEnv = process.env): FaultSpec | undefined => {
  const raw = env['DOCROUTE_FAULTS'];
  if (raw === undefined || raw.trim() === '') return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new ConfigError('Invalid DOCROUTE_FAULTS: expected a JSON object.');
  }
  const result = FaultsSchema.safeParse(parsed);
  if (!result.success) throw new ConfigError(`Invalid DOCROUTE_FAULTS: ${describeFaultIssues(result.error.issues)}.`);
  return result.data;
};

/** The standard OpenTelemetry variables the local runtime honours (see src/config/observability.ts). */
export interface OtelEnv {
  /** OTEL_EXPORTER_OTLP_ENDPOINT: a base URL; `/v1/traces` is appended. */
  readonly endpoint?: string;
  /** OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: the traces URL, used as it is. */
  readonly tracesEndpoint?: string;
  /** OTEL_SERVICE_NAME. */
  readonly serviceName?: string;
  /** OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none: no spans, whatever else is set. */
  readonly disabled: boolean;
}

export const otelFromEnv = (env: NodeJS.ProcessEnv = process.env): OtelEnv => {
  const value = (name: string): string | undefined => env[name]?.trim() || undefined;
  const endpoint = value('OTEL_EXPORTER_OTLP_ENDPOINT');
  const tracesEndpoint = value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  const serviceName = value('OTEL_SERVICE_NAME');
  return {
    ...(endpoint ? { endpoint } : {}),
    ...(tracesEndpoint ? { tracesEndpoint } : {}),
    ...(serviceName ? { serviceName } : {}),
    disabled: value('OTEL_SDK_DISABLED')?.toLowerCase() === 'true' || value('OTEL_TRACES_EXPORTER')?.toLowerCase() === 'none',
  };
};

/** DOCROUTE_KEYRING: the encryption keyring (its JSON, base64-encoded) when it is not a file; see keyring.ts. */
export const keyringFromEnv = (env: NodeJS.ProcessEnv = process.env): string | undefined => env['DOCROUTE_KEYRING']?.trim() || undefined;

/**
 * The environment for a docroute child process a gameday scenario starts: this one's, without
 * docroute's own switches (a scenario sets exactly the ones it means, e.g. DOCROUTE_FAULTS), plus `set`.
 */
export const childProcessEnv = (set: Readonly<Record<string, string>>): NodeJS.ProcessEnv => {
  const env: NodeJS.ProcessEnv = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('DOCROUTE_')));
  return { ...env, ...set };
};
