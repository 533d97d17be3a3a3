import { z } from 'zod';

/**
 * Observability of the local runtime: structured logs, OpenTelemetry traces and in-process
 * metrics, all derived from the audit trail's content-free records. Off by default (no log file,
 * no exporter): the audit trail in the store is the durable record, and `docroute trace` reads it.
 */

const envName = z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name like "OTLP_TOKEN"');

const LogsSchema = z
  .object({
    /** pino levels; `entered` records are logged at debug, step failures at warn. */
    level: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    /**
     * `none` (default): no log lines; `file`: JSON lines appended to `file`; `stderr`: JSON lines
     * on stderr (for services whose stderr is collected; it mixes with the CLI's own messages).
     */
    destination: z.enum(['none', 'file', 'stderr']).default('none'),
    /** Default `<dataDir>/logs/docroute.jsonl`. Relative paths are resolved against the working directory. */
    file: z.string().min(1).optional(),
  })
  .strict();

const TracesSchema = z
  .object({
    /**
     * The collector's OTLP/HTTP base URL (e.g. http://127.0.0.1:4318); spans go to `<url>/v1/traces`
     * unless the URL already ends with it. Without it, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or
     * OTEL_EXPORTER_OTLP_ENDPOINT apply; with none of them, no spans are made.
     */
    otlpEndpoint: z
      .url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' })
      .refine((u) => {
        try {
          const parsed = new URL(u);
          return parsed.username === '' && parsed.password === '';
        } catch {
          return false;
        }
      }, 'expected a URL without user:password; send credentials with `headers`')
      .optional(),
    /** Header name -> NAME of the environment variable holding its value; read at start-up. */
    headers: z.record(z.string().min(1), envName).default({}),
    /** The `service.name` resource attribute (else OTEL_SERVICE_NAME, else "docroute"). */
    serviceName: z.string().min(1).optional(),
  })
  .strict();

export const ObservabilitySchema = z
  .object({
    logs: LogsSchema.default({ level: 'info', destination: 'none' }),
    traces: TracesSchema.default({ headers: {} }),
  })
  .strict();

export type ObservabilityConfig = z.output<typeof ObservabilitySchema>;
