import { pino, type DestinationStream, type Level, type LevelWithSilent, type Logger } from 'pino';
import type { AuditRecord } from '../../../ports/audit-log.js';
import type { AuditObserver } from './audit-tap.js';

/**
 * Structured JSON log lines (pino), one per audit record, built from an allow-list of the record's
 * keys: ids, step, attempt, event, duration, outcome, error name and reason codes. The record's
 * `note` is never logged: most notes are content-free by contract, but a reviewer's note quotes
 * the reviewer's free-text reason, and a failure's note carries an error message.
 *
 * Belt and braces: keys that could hold content (`text`, `value`, `fields`, `note`, ...) are
 * redacted wherever they appear, and errors are serialised as their name and reason code only.
 */

/** Keys whose values are replaced by "[redacted]" at the top level and one level down. */
export const REDACTED_KEYS = ['text', 'value', 'values', 'fields', 'note', 'message', 'cause', 'content'] as const;

const REDACT_PATHS = [
  ...REDACTED_KEYS.flatMap((k) => [k, `*.${k}`]),
  // An error's message and stack may quote what the failing code was reading.
  'err.message',
  'err.stack',
  'err.cause',
];

/** Error → its class name and, for taxonomy errors, the reason code. Nothing else. */
export const errorSerializer = (e: unknown): { name: string; reasonCode?: string } => {
  if (typeof e !== 'object' || e === null) return { name: typeof e };
  const name = (e as { name?: unknown }).name;
  const code = (e as { reasonCode?: unknown }).reasonCode;
  return {
    name: typeof name === 'string' && /^[A-Za-z][A-Za-z0-9_]{0,63}$/.test(name) ? name : 'Error',
    ...(typeof code === 'string' && /^[A-Z][A-Z0-9_]{0,63}$/.test(code) ? { reasonCode: code } : {}),
  };
};

export interface LogLine {
  readonly event: string;
  readonly step: string;
  readonly attempt: number;
  readonly batchId: string;
  readonly executionId: string;
  readonly documentId?: string;
  readonly durationMs?: number;
  readonly outcome?: string;
  readonly errorName?: string;
  readonly reasonCodes?: readonly string[];
  /** For a failed step attempt: whether the state machine may retry it. */
  readonly retryable?: boolean;
}

/** The log line's fields for a record: an allow-list, so a new key on AuditRecord is not logged by accident. */
export const logLineOf = (r: AuditRecord): LogLine => ({
  event: r.event,
  step: r.step,
  attempt: r.attempt,
  batchId: r.batchId,
  executionId: r.executionId,
  ...(r.documentId !== null ? { documentId: r.documentId } : {}),
  ...(r.durationMs !== undefined ? { durationMs: r.durationMs } : {}),
  ...(r.outcome !== undefined ? { outcome: r.outcome } : {}),
  ...(r.errorName !== undefined ? { errorName: r.errorName } : {}),
  ...(r.reasonCodes !== undefined ? { reasonCodes: r.reasonCodes } : {}),
  // The step wrapper's two fixed notes; any other note is not looked at.
  ...(r.event === 'failed' && r.durationMs !== undefined && (r.note === 'retryable' || r.note === 'terminal')
    ? { retryable: r.note === 'retryable' }
    : {}),
});

/** `entered` is chatty (one per attempt, before any outcome): debug. Failures warn; a failed document is an error. */
export const levelOf = (r: AuditRecord): Level => {
  if (r.event === 'entered') return 'debug';
  if (r.event === 'failed') return r.outcome !== undefined ? 'error' : 'warn';
  if (r.event === 'retried') return 'warn';
  return 'info';
};

export interface LogObserverOptions {
  readonly level: LevelWithSilent;
  readonly stream: DestinationStream;
  readonly serviceName: string;
}

export const createLogger = (o: LogObserverOptions): Logger =>
  pino(
    {
      level: o.level,
      base: { service: o.serviceName, pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: errorSerializer },
    },
    o.stream,
  );

export const createLogObserver = (o: LogObserverOptions & { close?: () => void }): AuditObserver & { readonly logger: Logger } => {
  const logger = createLogger(o);
  let closed = false;
  return {
    logger,
    observe: (record) => {
      if (closed) return;
      const level = levelOf(record);
      if (!logger.isLevelEnabled(level)) return;
      logger[level](logLineOf(record), `${record.step} ${record.event}`);
    },
    batchFailed: ({ batchId, executionId, errorName }) => {
      if (closed) return;
      logger.error({ event: 'batch-failed', step: 'Batch', attempt: 1, batchId, executionId, errorName }, 'Batch failed');
    },
    flush: () => new Promise<void>((resolve) => logger.flush(() => resolve())),
    close: async () => {
      if (closed) return;
      closed = true;
      await new Promise<void>((resolve) => logger.flush(() => resolve()));
      o.close?.();
    },
  };
};

export interface LogDestination {
  readonly stream: DestinationStream;
  /** Writes what is buffered now (for `process.on('exit')`, where nothing asynchronous runs). */
  flushSync(): void;
  close(): void;
}

/**
 * A file (appended to, its directory created) or stderr. The file is written asynchronously, in
 * order; `flushSync` runs on exit. A SIGKILL loses what was not yet written.
 */
export const openLogDestination = (where: { destination: 'file'; file: string } | { destination: 'stderr' }): LogDestination => {
  const dest =
    where.destination === 'file'
      ? pino.destination({ dest: where.file, mkdir: true, sync: false })
      : pino.destination({ dest: 2, sync: true });
  return {
    stream: dest,
    flushSync: () => {
      try {
        dest.flushSync();
      } catch {
        // not open yet (nothing written) or already closed
      }
    },
    close: () => {
      try {
        dest.flushSync();
      } catch {
        // as above
      }
      if (where.destination === 'file') dest.end();
    },
  };
};
