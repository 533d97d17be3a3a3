import { describe, expect, it } from 'vitest';
import {
  ArtifactIntegrityError,
  ArtifactMissingError,
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentError,
  DocumentTooLargeError,
  ERROR_CLASSES,
  ERROR_TAXONOMY,
  InternalError,
  InvalidStepInputError,
  KeyUnavailableError,
  PipelineError,
  ReconciliationError,
  StepTimeoutError,
  StorageFullError,
  ModelOutputInvalidError,
  ThrottledError,
  UnsupportedDocumentError,
  UnreadableInputError,
  errorNamesOfKind,
  reasonCodeForError,
  toPipelineError,
} from '../../../src/domain/errors.js';

type ErrorClass = (typeof ERROR_CLASSES)[number];

/**
 * One way to build each class. Keyed by the class itself, so a new class added to ERROR_CLASSES
 * without an entry here fails the coverage test below instead of being silently skipped.
 */
const FACTORIES = new Map<ErrorClass, () => PipelineError>([
  [ThrottledError, () => new ThrottledError('slow down')],
  [DependencyUnavailableError, () => new DependencyUnavailableError('ocr down')],
  [StepTimeoutError, () => new StepTimeoutError('took too long')],
  [StorageFullError, () => new StorageFullError('disk full')],
  [ModelOutputInvalidError, () => new ModelOutputInvalidError('no tool call in the answer')],
  [UnsupportedDocumentError, () => new UnsupportedDocumentError('file is empty', 'EMPTY_FILE')],
  [CorruptDocumentError, () => new CorruptDocumentError('bad xref', 'CORRUPT_PDF')],
  [DocumentTooLargeError, () => new DocumentTooLargeError('too many pages', 'TOO_MANY_PAGES')],
  [UnreadableInputError, () => new UnreadableInputError('not a regular file', 'NOT_A_REGULAR_FILE')],
  [ConfigError, () => new ConfigError('bad config')],
  [InvalidStepInputError, () => new InvalidStepInputError('bad input')],
  [ArtifactMissingError, () => new ArtifactMissingError('original missing')],
  [KeyUnavailableError, () => new KeyUnavailableError('key kek-restricted-0a1b2c3d4e5f (classification restricted) is disabled')],
  [ArtifactIntegrityError, () => new ArtifactIntegrityError('object:abc failed authentication')],
  [ReconciliationError, () => new ReconciliationError('does not add up', ['abc'])],
  [InternalError, () => new InternalError('bug')],
]);

const instances = (): { cls: ErrorClass; err: PipelineError }[] =>
  ERROR_CLASSES.map((cls) => {
    const make = FACTORIES.get(cls);
    if (!make) throw new Error(`no factory for ${cls.name}`);
    return { cls, err: make() };
  });

describe('error taxonomy', () => {
  it('has a factory in this test for every class in ERROR_CLASSES', () => {
    expect(new Set(FACTORIES.keys())).toEqual(new Set(ERROR_CLASSES));
  });

  it.each(ERROR_CLASSES.map((cls) => [cls.name, cls] as const))('%s sets a literal own `name` equal to its class name', (_name, cls) => {
    const err = FACTORIES.get(cls)!();
    expect(err).toBeInstanceOf(cls);
    expect(err).toBeInstanceOf(PipelineError);
    expect(err).toBeInstanceOf(Error);
    // An own property, not Error.prototype.name: the ASL matches on it after serialisation.
    expect(Object.hasOwn(err, 'name')).toBe(true);
    expect(err.name).toBe(cls.name);
  });

  it('classifies every class with the kind its behaviour implies', () => {
    for (const { cls, err } of instances()) {
      const kind = ERROR_TAXONOMY[cls.name];
      expect(kind, cls.name).toBeDefined();
      expect(kind === 'retryable', `${cls.name} retryable`).toBe(err.retryable);
      expect(kind === 'document', `${cls.name} document`).toBe(err instanceof DocumentError);
    }
  });

  it('lists no names that are not error classes', () => {
    expect(Object.keys(ERROR_TAXONOMY).sort()).toEqual(ERROR_CLASSES.map((c) => c.name).sort());
  });

  it('groups names by kind', () => {
    expect(errorNamesOfKind('retryable').sort()).toEqual([
      'DependencyUnavailableError',
      'ModelOutputInvalidError',
      'StepTimeoutError',
      'StorageFullError',
      'ThrottledError',
    ]);
    expect(errorNamesOfKind('document').sort()).toEqual([
      'CorruptDocumentError',
      'DocumentTooLargeError',
      'UnreadableInputError',
      'UnsupportedDocumentError',
    ]);
    expect(errorNamesOfKind('terminal')).toContain('ConfigError');
    expect(errorNamesOfKind('terminal')).not.toContain('ThrottledError');
  });
});

describe('DocumentError', () => {
  it('prefixes the message with the reason code and keeps the code', () => {
    const err = new CorruptDocumentError('cannot parse', 'ENCRYPTED_PDF');
    expect(err.message).toBe('[ENCRYPTED_PDF] cannot parse');
    expect(err.reasonCode).toBe('ENCRYPTED_PDF');
    expect(err.retryable).toBe(false);
  });

  it('defaults the reason code per class', () => {
    expect(new UnsupportedDocumentError('x').reasonCode).toBe('UNSUPPORTED_TYPE');
    expect(new DocumentTooLargeError('x').reasonCode).toBe('TOO_LARGE');
  });

  it('keeps the missing documents on a ReconciliationError', () => {
    expect(new ReconciliationError('m', ['a', 'b']).missing).toEqual(['a', 'b']);
  });
});

describe('reasonCodeForError', () => {
  it('recovers the reason code of every document error from name and message', () => {
    for (const { err } of instances()) {
      if (!(err instanceof DocumentError)) continue;
      expect(reasonCodeForError(err.name, err.message)).toBe(err.reasonCode);
    }
  });

  it('returns PIPELINE_ERROR for non-document errors even when the cause looks like a code', () => {
    expect(reasonCodeForError('ConfigError', '[EMPTY_FILE] bad config')).toBe('PIPELINE_ERROR');
    expect(reasonCodeForError('ThrottledError', '[TOO_LARGE] x')).toBe('PIPELINE_ERROR');
    expect(reasonCodeForError('SomethingUnknown', '[TOO_LARGE] x')).toBe('PIPELINE_ERROR');
  });

  it('returns PIPELINE_ERROR for a document error whose cause has no leading code', () => {
    expect(reasonCodeForError('CorruptDocumentError', 'cannot parse [CORRUPT_PDF]')).toBe('PIPELINE_ERROR');
    expect(reasonCodeForError('CorruptDocumentError', '')).toBe('PIPELINE_ERROR');
  });
});

describe('toPipelineError', () => {
  it('returns pipeline errors unchanged', () => {
    const err = new ThrottledError('slow down');
    expect(toPipelineError(err)).toBe(err);
  });

  it('wraps a foreign error as InternalError without its message', () => {
    const secret = 'IBAN DE89370400440532013000 total 48,900.00';
    const wrapped = toPipelineError(new TypeError(secret));
    expect(wrapped).toBeInstanceOf(InternalError);
    expect(wrapped.retryable).toBe(false);
    expect(wrapped.message).toContain('TypeError');
    expect(wrapped.message).not.toContain('DE89');
    expect(wrapped.message).not.toContain('48,900');
  });

  it('wraps non-Error throwables by their type only', () => {
    const wrapped = toPipelineError('customer text');
    expect(wrapped).toBeInstanceOf(InternalError);
    expect(wrapped.message).toBe('unexpected string');
    expect(toPipelineError(undefined).message).toBe('unexpected undefined');
  });
});
