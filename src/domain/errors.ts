/**
 * The error taxonomy. It drives the state machine: every class has a literal `name` that is the
 * `ErrorEquals` name in the generated ASL, and a `retryable` flag that decides whether the
 * definition retries it (with backoff and jitter) or catches it.
 *
 * - Retryable errors are transient: throttling, a dependency that is down, a step that timed out.
 * - Document errors are terminal and are the document's fault: the state machine catches them and
 *   routes the document to `reject` with the error's reason code.
 * - Other terminal errors (bad configuration, internal bugs) end the document as `failed`.
 *
 * Messages must never contain document text, field values or file contents: they reach the audit
 * trail and the logs.
 */
export abstract class PipelineError extends Error {
  abstract override readonly name: string;
  abstract readonly retryable: boolean;
}

/** A provider said "slow down". Retried with exponential backoff and full jitter. */
export class ThrottledError extends PipelineError {
  override readonly name = 'ThrottledError' as const;
  readonly retryable = true;
}

/** A dependency (OCR engine, model endpoint, store) could not be reached or answered 5xx. */
export class DependencyUnavailableError extends PipelineError {
  override readonly name = 'DependencyUnavailableError' as const;
  readonly retryable = true;
}

/** A step ran out of its own time budget. */
export class StepTimeoutError extends PipelineError {
  override readonly name = 'StepTimeoutError' as const;
  readonly retryable = true;
}

/**
 * The disk (or the database) is full: ENOSPC, EDQUOT, SQLITE_FULL. Retryable: space is freed by
 * an operator or a cleanup job, and the write then succeeds; a run that outlasts its retries fails
 * the documents cleanly, and a re-run completes them.
 */
export class StorageFullError extends PipelineError {
  override readonly name = 'StorageFullError' as const;
  readonly retryable = true;
  readonly reasonCode = 'STORAGE_FULL' as const;
}

/**
 * A model answered, but not in the agreed shape (no tool call, invalid JSON, a class not in the
 * list). Retryable, because sampling again often fixes it, but only as often as the retry policy
 * allows: a model that keeps answering badly fails the document rather than looping.
 */
export class ModelOutputInvalidError extends PipelineError {
  override readonly name = 'ModelOutputInvalidError' as const;
  readonly retryable = true;
}

/** Why a document cannot be processed. Stable codes: users match on them. */
export type DocumentReasonCode =
  | 'UNSUPPORTED_TYPE'
  | 'EMPTY_FILE'
  | 'CORRUPT_PDF'
  | 'CORRUPT_IMAGE'
  | 'ENCRYPTED_PDF'
  | 'TOO_LARGE'
  | 'TOO_MANY_PAGES'
  | 'IMAGE_TOO_LARGE'
  | 'PAGE_TOO_LARGE'
  | 'DECOMPRESSED_TOO_LARGE'
  | 'NO_TEXT_FOUND'
  | 'NOT_A_REGULAR_FILE'
  | 'UNREADABLE'
  | 'FILE_CHANGED_WHILE_READ';

/**
 * The document itself is unusable. Terminal: retrying cannot help. The state machine routes the
 * document to `reject` with `reasonCode`, and keeps the original. The message starts with
 * `[REASON_CODE]` so the code survives the trip through the ASL `Cause` on both engines.
 */
export abstract class DocumentError extends PipelineError {
  readonly retryable = false;
  constructor(
    message: string,
    readonly reasonCode: DocumentReasonCode,
  ) {
    super(`[${reasonCode}] ${message}`);
  }
}

export class UnsupportedDocumentError extends DocumentError {
  override readonly name = 'UnsupportedDocumentError' as const;
  constructor(message: string, reasonCode: 'UNSUPPORTED_TYPE' | 'EMPTY_FILE' | 'NO_TEXT_FOUND' = 'UNSUPPORTED_TYPE') {
    super(message, reasonCode);
  }
}

export class CorruptDocumentError extends DocumentError {
  override readonly name = 'CorruptDocumentError' as const;
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor -- narrows the reason codes this class may carry
  constructor(message: string, reasonCode: 'CORRUPT_PDF' | 'CORRUPT_IMAGE' | 'ENCRYPTED_PDF') {
    super(message, reasonCode);
  }
}

export class DocumentTooLargeError extends DocumentError {
  override readonly name = 'DocumentTooLargeError' as const;
  constructor(
    message: string,
    reasonCode: 'TOO_LARGE' | 'TOO_MANY_PAGES' | 'IMAGE_TOO_LARGE' | 'PAGE_TOO_LARGE' | 'DECOMPRESSED_TOO_LARGE' = 'TOO_LARGE',
  ) {
    super(message, reasonCode);
  }
}

/**
 * An inbox entry that cannot be taken in as a document: not a regular file (a symlink, a FIFO, a
 * device), not readable, or changed while it was being copied in. It never becomes a document, so
 * it is recorded under an id derived from where it was, without content.
 */
export class UnreadableInputError extends DocumentError {
  override readonly name = 'UnreadableInputError' as const;
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor -- narrows the reason codes this class may carry
  constructor(message: string, reasonCode: 'NOT_A_REGULAR_FILE' | 'UNREADABLE' | 'FILE_CHANGED_WHILE_READ') {
    super(message, reasonCode);
  }
}

/** Configuration is invalid. Terminal: fix the config and run again. */
export class ConfigError extends PipelineError {
  override readonly name = 'ConfigError' as const;
  readonly retryable = false;
}

/** A step was given input that does not match its contract (a bug in the definition or a caller). */
export class InvalidStepInputError extends PipelineError {
  override readonly name = 'InvalidStepInputError' as const;
  readonly retryable = false;
}

/** A document's stored artefact (original or checkpoint) is missing: never silently re-created. */
export class ArtifactMissingError extends PipelineError {
  override readonly name = 'ArtifactMissingError' as const;
  readonly retryable = false;
}

/**
 * An encryption key (local keyring or KMS) is missing, disabled or cannot unwrap a data key.
 * Terminal: retrying cannot enable a key. The message names the classification and key id, never
 * data or key material.
 */
export class KeyUnavailableError extends PipelineError {
  override readonly name = 'KeyUnavailableError' as const;
  readonly retryable = false;
}

/** A stored artefact failed authentication (tampered, truncated, swapped) or is not encrypted as configured. */
export class ArtifactIntegrityError extends PipelineError {
  override readonly name = 'ArtifactIntegrityError' as const;
  readonly retryable = false;
}

/** The batch does not add up: received != pass + hold + reject + failed. */
export class ReconciliationError extends PipelineError {
  override readonly name = 'ReconciliationError' as const;
  readonly retryable = false;
  constructor(
    message: string,
    readonly missing: readonly string[],
  ) {
    super(message);
  }
}

/** Anything not translated by an adapter. Terminal, so a bug cannot loop. */
export class InternalError extends PipelineError {
  override readonly name = 'InternalError' as const;
  readonly retryable = false;
}

/** Every concrete class, in one list: the ASL generator and the taxonomy test read it. */
export const ERROR_CLASSES = [
  ThrottledError,
  DependencyUnavailableError,
  StepTimeoutError,
  StorageFullError,
  ModelOutputInvalidError,
  UnsupportedDocumentError,
  CorruptDocumentError,
  DocumentTooLargeError,
  UnreadableInputError,
  ConfigError,
  InvalidStepInputError,
  ArtifactMissingError,
  KeyUnavailableError,
  ArtifactIntegrityError,
  ReconciliationError,
  InternalError,
] as const;

export type ErrorKind = 'retryable' | 'document' | 'terminal';

/** The taxonomy as data. Kept in sync with ERROR_CLASSES by a unit test. */
export const ERROR_TAXONOMY: Readonly<Record<string, ErrorKind>> = {
  ThrottledError: 'retryable',
  DependencyUnavailableError: 'retryable',
  StepTimeoutError: 'retryable',
  StorageFullError: 'retryable',
  ModelOutputInvalidError: 'retryable',
  UnsupportedDocumentError: 'document',
  CorruptDocumentError: 'document',
  DocumentTooLargeError: 'document',
  UnreadableInputError: 'document',
  ConfigError: 'terminal',
  InvalidStepInputError: 'terminal',
  ArtifactMissingError: 'terminal',
  KeyUnavailableError: 'terminal',
  ArtifactIntegrityError: 'terminal',
  ReconciliationError: 'terminal',
  InternalError: 'terminal',
};

export const errorNamesOfKind = (kind: ErrorKind): string[] =>
  Object.entries(ERROR_TAXONOMY)
    .filter(([, k]) => k === kind)
    .map(([name]) => name);

/** Reason code for a document error name, as carried through the state machine's Catch. */
export const reasonCodeForError = (errorName: string, cause: string): DocumentReasonCode | 'PIPELINE_ERROR' => {
  const match = /^\[([A-Z_]+)\]/.exec(cause);
  if (ERROR_TAXONOMY[errorName] === 'document' && match?.[1]) return match[1] as DocumentReasonCode;
  return 'PIPELINE_ERROR';
};

/**
 * Normalise anything thrown into the taxonomy. Unknown errors become InternalError with the
 * original class name only: their messages may carry data we must not log.
 */
export const toPipelineError = (err: unknown): PipelineError => {
  if (err instanceof PipelineError) return err;
  const name = err instanceof Error ? err.name : typeof err;
  return new InternalError(`unexpected ${name}`);
};
