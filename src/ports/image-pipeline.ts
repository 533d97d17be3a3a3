import type { MediaType } from '../domain/document.js';

export interface ImageOptions {
  /** Refuse images with more pixels than this (decompression and pixel bombs): DocumentTooLargeError IMAGE_TOO_LARGE. */
  readonly maxPixels: number;
  /** Images whose resolution is below this (from metadata, else estimated from size) are upscaled... */
  readonly upscaleBelowDpi: number;
  /** ...to this resolution, which OCR reads best. */
  readonly targetDpi: number;
  readonly grayscale: boolean;
  /** Straighten small skews (±10°) before OCR. */
  readonly deskew: boolean;
}

export interface PreparedImage {
  /** 1-based page (multi-page TIFF); 1 for single images. */
  readonly page: number;
  /** PNG bytes ready for OCR. */
  readonly png: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** Size of the original page in pixels, before scaling. */
  readonly originalWidth: number;
  readonly originalHeight: number;
  /** Effective resolution of `png`. */
  readonly dpi: number;
  /** Degrees the image was rotated to straighten it (0 when deskew is off or unneeded). */
  readonly deskewDegrees: number;
}

/**
 * Decodes and pre-processes images for OCR (PNG, JPEG, TIFF incl. multi-page, WebP).
 * Contract: MUST check the pixel count from the header before decoding the pixels, throwing
 * DocumentTooLargeError(IMAGE_TOO_LARGE); MUST throw CorruptDocumentError(CORRUPT_IMAGE) for bytes
 * that do not decode. Pages are produced lazily so a 500-page TIFF is never held whole.
 */
export interface ImagePipeline {
  pageCount(bytes: Uint8Array, mediaType: MediaType): Promise<number>;
  prepare(bytes: Uint8Array, mediaType: MediaType, page: number, options: ImageOptions): Promise<PreparedImage>;
}
