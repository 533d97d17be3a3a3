import path from 'node:path';
import type { SpanExporter } from '@opentelemetry/sdk-trace-base';
import type { OtelEnv } from '../../../config/env.js';
import type { ObservabilityConfig } from '../../../config/observability.js';
import { ConfigError } from '../../../domain/errors.js';
import { fanOut, type AuditObserver } from './audit-tap.js';
import { createMetricsObserver, PipelineMetrics } from './metrics-registry.js';

/**
 * Opens the configured telemetry: log lines (pino), spans (OpenTelemetry, OTLP/HTTP JSON) and
 * in-process metrics, each fed by the audit tap. Returns null when nothing is on, so the runtime
 * installs no tap at all: observability that is not configured costs nothing. pino and the
 * OpenTelemetry SDK are loaded only when they are used.
 */

export interface Telemetry extends AuditObserver {
  /** The in-process metrics, when asked for (`docroute serve` shares them on /metrics). */
  readonly metrics: PipelineMetrics | null;
}

export interface TelemetryOptions {
  readonly config: ObservabilityConfig;
  readonly dataDir: string;
  readonly env: OtelEnv;
  /** Reads the environment variables `traces.headers` names. */
  readonly secret: (name: string) => string | undefined;
  /** Count in-process metrics. */
  readonly metrics: boolean;
  /** Replaces the OTLP exporter (tests); traces are then on whatever the endpoint. */
  readonly spanExporter?: SpanExporter;
  /** Flush on exit and on SIGINT/SIGTERM when nobody else handles them (the runtime: yes; unit tests: no). */
  readonly processHooks?: boolean;
}

/** Where spans go: the config's endpoint, else the standard variables; null when none (or disabled). */
export const tracesEndpointOf = (config: ObservabilityConfig, env: OtelEnv): string | null => {
  if (env.disabled) return null;
  const withPath = (base: string): string => (/\/v1\/traces\/?$/.test(base) ? base : `${base.replace(/\/+$/, '')}/v1/traces`);
  if (config.traces.otlpEndpoint) return withPath(config.traces.otlpEndpoint);
  if (env.tracesEndpoint) return env.tracesEndpoint;
  if (env.endpoint) return withPath(env.endpoint);
  return null;
};

/** The log file: the configured one, else `<dataDir>/logs/docroute.jsonl`. */
export const logFileOf = (config: ObservabilityConfig, dataDir: string): string =>
  path.resolve(config.logs.file ?? path.join(dataDir, 'logs', 'docroute.jsonl'));

/** How long a signal waits for spans to be exported before the process goes on dying. */
const SIGNAL_FLUSH_MS = 2000;

export const openTelemetry = async (o: TelemetryOptions): Promise<Telemetry | null> => {
  const { config } = o;
  const serviceName = config.traces.serviceName ?? o.env.serviceName ?? 'docroute';
  const endpoint = tracesEndpointOf(config, o.env);
  const logsOn = config.logs.destination !== 'none' && config.logs.level !== 'silent';
  const tracesOn = endpoint !== null || o.spanExporter !== undefined;
  if (!logsOn && !tracesOn && !o.metrics) return null;

  const observers: AuditObserver[] = [];
  const syncFlushes: (() => void)[] = [];

  const metrics = o.metrics ? new PipelineMetrics() : null;
  if (metrics) observers.push(createMetricsObserver(metrics));

  if (tracesOn) {
    // Headers first: a variable the config names but the environment lacks fails at start-up.
    const headers: Record<string, string> = {};
    for (const [header, variable] of Object.entries(config.traces.headers)) {
      const value = o.secret(variable);
      if (value === undefined) {
        throw new ConfigError(`observability.traces.headers.${header}: the environment variable ${variable} is not set`);
      }
      headers[header] = value;
    }
    const [{ BasicTracerProvider, BatchSpanProcessor }, { resourceFromAttributes }, { createSpanObserver }] = await Promise.all([
      import('@opentelemetry/sdk-trace-base'),
      import('@opentelemetry/resources'),
      import('./span-sink.js'),
    ]);
    let exporter = o.spanExporter;
    if (!exporter && endpoint) {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      exporter = new OTLPTraceExporter({ url: endpoint, headers });
    }
    if (exporter) {
      const provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': serviceName }),
        spanProcessors: [new BatchSpanProcessor(exporter)],
      });
      observers.push(createSpanObserver(provider.getTracer('docroute'), provider));
    }
  }

  if (logsOn) {
    const { createLogObserver, openLogDestination } = await import('./log-sink.js');
    const dest = openLogDestination(
      config.logs.destination === 'file' ? { destination: 'file', file: logFileOf(config, o.dataDir) } : { destination: 'stderr' },
    );
    syncFlushes.push(() => dest.flushSync());
    observers.push(createLogObserver({ level: config.logs.level, stream: dest.stream, serviceName, close: () => dest.close() }));
  }

  const all = fanOut(observers);
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> => {
    closing ??= (async () => {
      unhook();
      await all.close();
    })();
    return closing;
  };

  // Exit: log lines are written synchronously (spans need the network: they are lost there).
  // SIGINT/SIGTERM with no other handler (`run`): flush, then die of the signal as before. With
  // other handlers (`watch`, `serve` stop gracefully), they close the runtime, which flushes.
  const onExit = (): void => {
    for (const f of syncFlushes) f();
  };
  const onSignal = (signal: NodeJS.Signals): void => {
    if (process.listenerCount(signal) > 1) return;
    unhook();
    const timer = new Promise<void>((resolve) => setTimeout(resolve, SIGNAL_FLUSH_MS).unref());
    void Promise.race([close(), timer]).finally(() => process.kill(process.pid, signal));
  };
  const hooked = o.processHooks ?? false;
  if (hooked) {
    process.on('exit', onExit);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
  function unhook(): void {
    if (!hooked) return;
    process.off('exit', onExit);
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }

  return {
    metrics,
    observe: (r) => all.observe(r),
    batchFailed: (b) => all.batchFailed(b),
    flush: () => all.flush(),
    close,
  };
};
