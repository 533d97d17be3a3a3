import type { MediaType } from '../domain/document.js';

export interface OcrResult {
  readonly text: string;
  /** Mean word confidence in [0, 1]. */
  readonly confidence: number;
  readonly width: number;
  readonly height: number;
}

/**
 * Recognises text in one image (PNG, JPEG, ...).
 * Contract: MUST throw `CorruptDocumentError(..., 'CORRUPT_IMAGE')` when the image cannot be decoded,
 * `DependencyUnavailableError` when the engine itself fails to start, and `ThrottledError` when a
 * rate limit is hit. `close` releases workers; the engine may be reused until then.
 */
export interface OcrEngine {
  readonly name: string;
  recognize(image: Uint8Array, mediaType: MediaType): Promise<OcrResult>;
  close(): Promise<void>;
}
