import type { Line, MediaType } from '../domain/document.js';

export interface OcrResult {
  readonly text: string;
  /** Mean word confidence in [0, 1]. */
  readonly confidence: number;
  /** Size of the image that was recognised, in pixels. */
  readonly width: number;
  readonly height: number;
  /** Lines in reading order with words, boxes normalised to the image (0–1). Empty if the engine gives none. */
  readonly lines: readonly Line[];
  /** e.g. "5.3.0" for the native CLI. */
  readonly engineVersion?: string;
}

export interface RecognizeOptions {
  /** Per-image budget; past it the engine MUST abandon the job and throw StepTimeoutError (retryable). */
  readonly timeoutMs?: number;
}

/**
 * Recognises text in one image (PNG, JPEG, ...).
 * Contract: MUST throw `CorruptDocumentError(..., 'CORRUPT_IMAGE')` when the image cannot be decoded,
 * `DependencyUnavailableError` when the engine itself fails to start, `ThrottledError` when a rate
 * limit is hit, and `StepTimeoutError` past `timeoutMs`. It never logs recognised text. `close`
 * releases workers; the engine may be reused until then.
 */
export interface OcrEngine {
  readonly name: string;
  recognize(image: Uint8Array, mediaType: MediaType, options?: RecognizeOptions): Promise<OcrResult>;
  close(): Promise<void>;
}
