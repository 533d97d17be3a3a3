import { DependencyUnavailableError, PipelineError, StorageFullError } from '../domain/errors.js';

/**
 * Vendor storage errors into the taxonomy, for every adapter that writes (object stores, route
 * sinks, the SQLite store): a full disk or an exceeded quota is a StorageFullError (retryable,
 * STORAGE_FULL), anything else a DependencyUnavailableError. Only the error code reaches the
 * message: paths and contents stay out of the audit trail.
 */

/** Error codes that mean "no space left": POSIX ENOSPC and EDQUOT, SQLite's SQLITE_FULL. */
export const STORAGE_FULL_CODES: ReadonlySet<string> = new Set(['ENOSPC', 'EDQUOT', 'SQLITE_FULL']);

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
};

export const isStorageFull = (err: unknown): boolean => {
  const code = codeOf(err);
  return code !== undefined && STORAGE_FULL_CODES.has(code);
};

/** `what` says which write failed ("cannot write to the pass folder"); the code is appended. */
export const storageError = (err: unknown, what: string): PipelineError => {
  if (err instanceof PipelineError) return err;
  const code = codeOf(err) ?? 'error';
  return isStorageFull(err)
    ? new StorageFullError(`${what} (${code}): no space left`)
    : new DependencyUnavailableError(`${what} (${code})`);
};
