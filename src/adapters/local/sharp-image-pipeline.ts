import type { Metadata, Sharp, SharpOptions } from 'sharp';
import type { MediaType } from '../../domain/document.js';
import {
  ConfigError,
  CorruptDocumentError,
  DependencyUnavailableError,
  DocumentTooLargeError,
  InvalidStepInputError,
  PipelineError,
  UnsupportedDocumentError,
} from '../../domain/errors.js';
import type { ImageOptions, ImagePipeline, PreparedImage } from '../../ports/image-pipeline.js';

type SharpModule = typeof import('sharp');
type SharpConstructor = SharpModule['default'];

/** Interpolation kernels sharp offers for resizing. */
export type ResizeKernel = 'nearest' | 'linear' | 'cubic' | 'mitchell' | 'lanczos2' | 'lanczos3' | 'mks2013' | 'mks2021';

/** Tuning knobs of this adapter; the defaults are what bench/image-preprocessing.ts measured best. */
export interface SharpImagePipelineOptions {
  /** Resize kernel (default lanczos3). Enlarging uses libvips' bicubic interpolator unless this is nearest or linear. */
  readonly kernel?: ResizeKernel;
  /** Upscaling never exceeds this factor (default 3). */
  readonly maxUpscale?: number;
}

/**
 * Without trustworthy density metadata a page is assumed to be about 11 inches on its longest
 * side (US Letter and A4 are 11 and 11.7): RVL-CDIP's 1000 px scans come out at ~91 dpi, which is
 * close to their real ~100 dpi.
 */
const ASSUMED_LONG_SIDE_INCHES = 11;
/**
 * Density metadata is only believed when it implies a plausible document: at most this wide and
 * this long. Cameras and editors stamp 72 or 96 dpi on any photo, and a 3024 x 4032 photo at
 * 72 dpi would be a 42 x 56 inch "page". Long receipts are why the long side is generous.
 */
const MAX_PLAUSIBLE_SHORT_SIDE_INCHES = 17;
const MAX_PLAUSIBLE_LONG_SIDE_INCHES = 40;
const MIN_PLAUSIBLE_DPI = 72;
const MAX_PLAUSIBLE_DPI = 1200;
/**
 * Upscaling never exceeds this factor by default: the size-based estimate is wrong for tall narrow
 * receipt photos (a 3 inch slip photographed at 900 x 2700 px is ~300 dpi, not 245), and beyond 3x
 * interpolation only adds pixels, not detail.
 */
const DEFAULT_MAX_UPSCALE = 3;
/**
 * When enlarging, libvips interpolates bicubically for every kernel but nearest and linear (cubic,
 * mitchell and the lanczos kernels give identical bytes); the kernel itself only acts when an image
 * is reduced to fit maxPixels, where lanczos3 is the sharpest. Bicubic beat linear on RVL-CDIP
 * scans in bench/image-preprocessing.ts.
 */
const DEFAULT_KERNEL: ResizeKernel = 'lanczos3';
/** Upscaling stops at this longest side: OCR time grows with the pixel count, and text is large enough long before. */
const MAX_UPSCALED_SIDE = 6000;

/** Deskew searches ±MAX_SKEW degrees: coarse steps first, then fine steps around the best. */
const MAX_SKEW_DEGREES = 10;
const COARSE_STEP_DEGREES = 1;
const FINE_STEP_DEGREES = 0.1;
/** Smaller skews are left alone: Tesseract copes with them, and resampling would soften the text. */
const MIN_CORRECTED_SKEW_DEGREES = 0.2;
/** The skew search runs on a copy about this size: text lines stay a few pixels tall, and it takes a few ms. */
const SKEW_ANALYSIS_SIDE = 1200;
/**
 * Vertical strips of the skew search. At 1200 px a strip is under 20 px wide, so the lean inside one
 * strip stays around a pixel for the few-degree skews scanners produce.
 */
const SKEW_STRIPS = 64;
/**
 * A page without text lines (a photo, a blank page) gives a flat profile whose maximum is noise.
 * The best angle must beat the unrotated profile by this much to be believed.
 */
const MIN_SKEW_GAIN = 1.02;
/** Worst-case growth of a side, per pixel of the other side, when the canvas holds a rotation of MAX_SKEW degrees. */
const SKEW_GROWTH = Math.sin((MAX_SKEW_DEGREES * Math.PI) / 180);

const WHITE = { r: 255, g: 255, b: 255 };

/**
 * sharp's default, 'warning', rejects phone and scanner JPEGs that every viewer opens (libjpeg
 * warnings such as "extraneous bytes before marker"; see lovell/sharp#3488). 'error' still fails
 * on truncated and undecodable data.
 */
const FAIL_ON = 'error';

/** Speed over size: the PNG only travels to the OCR engine, so the fastest zlib level will do. */
const PNG_COMPRESSION_LEVEL = 1;

/** sharp's format name for each media type this pipeline reads. BMP only decodes through ImageMagick. */
const SHARP_FORMATS: Readonly<Record<Exclude<MediaType, 'application/pdf'>, string>> = {
  'image/png': 'png',
  'image/jpeg': 'jpeg',
  'image/tiff': 'tiff',
  'image/webp': 'webp',
  'image/bmp': 'magick',
};

type ImageMediaType = keyof typeof SHARP_FORMATS;

const startsWith = (bytes: Uint8Array, offset: number, signature: readonly number[]): boolean =>
  signature.every((byte, i) => bytes[offset + i] === byte);

const ascii = (text: string): number[] => Array.from(text, (c) => c.charCodeAt(0));

/**
 * Checks the magic bytes against the declared type before libvips sees the bytes: libvips picks a
 * loader by content, and must never be handed an SVG, a PDF or a FITS file through this door.
 */
const matchesSignature = (bytes: Uint8Array, mediaType: ImageMediaType): boolean => {
  switch (mediaType) {
    case 'image/png':
      return startsWith(bytes, 0, [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    case 'image/jpeg':
      return startsWith(bytes, 0, [0xff, 0xd8, 0xff]);
    case 'image/tiff':
      // Classic TIFF (42) and BigTIFF (43), in either byte order.
      return [ascii('II*\0'), ascii('MM\0*'), ascii('II+\0'), ascii('MM\0+')].some((sig) => startsWith(bytes, 0, sig));
    case 'image/webp':
      return startsWith(bytes, 0, ascii('RIFF')) && startsWith(bytes, 8, ascii('WEBP'));
    case 'image/bmp':
      return startsWith(bytes, 0, ascii('BM'));
  }
};

// Loaded on first use: sharp's native module (libvips) costs start-up time that commands without images skip.
let sharpModule: Promise<SharpConstructor> | undefined;

const loadSharp = (): Promise<SharpConstructor> => {
  sharpModule ??= import('sharp').then(
    (mod) => {
      // Every document is decoded once, so libvips' operation cache never hits; it would only hold
      // up to 50 MB of someone's pixels between documents.
      mod.default.cache(false);
      return mod.default;
    },
    (err: unknown) => {
      sharpModule = undefined;
      throw new DependencyUnavailableError(`sharp could not be loaded (${err instanceof Error ? err.name : typeof err})`);
    },
  );
  return sharpModule;
};

/**
 * Vendor errors stop here. libvips messages can quote the file (a PNG chunk name, a TIFF tag's
 * text), so none of their text is passed on: only the category.
 */
const toPipelineError = (err: unknown): PipelineError => {
  if (err instanceof PipelineError) return err;
  const message = err instanceof Error ? err.message : '';
  if (/exceeds pixel limit/i.test(message)) return new DocumentTooLargeError('image has more pixels than allowed', 'IMAGE_TOO_LARGE');
  if (/out of memory/i.test(message)) return new DependencyUnavailableError('image decoder ran out of memory');
  return new CorruptDocumentError('image could not be decoded', 'CORRUPT_IMAGE');
};

const checkImageType = async (bytes: Uint8Array, mediaType: MediaType): Promise<{ sharp: SharpConstructor; format: string }> => {
  if (mediaType === 'application/pdf') throw new InvalidStepInputError('the image pipeline was given a PDF');
  if (bytes.byteLength === 0) throw new UnsupportedDocumentError('image file is empty', 'EMPTY_FILE');
  if (!matchesSignature(bytes, mediaType)) throw new CorruptDocumentError(`bytes are not a valid ${mediaType}`, 'CORRUPT_IMAGE');
  const sharp = await loadSharp();
  const format = SHARP_FORMATS[mediaType];
  // Prebuilt sharp has no ImageMagick, so no BMP; a libvips built with it would decode BMP.
  if (mediaType === 'image/bmp' && !sharp.format.magick.input.buffer) {
    throw new UnsupportedDocumentError('BMP images are not supported; convert them to PNG', 'UNSUPPORTED_TYPE');
  }
  return { sharp, format };
};

const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);

/**
 * Reads the header only. The pixel limit is lifted here on purpose: sharp would otherwise refuse
 * the header of a bomb with its own message, and we want the size to say why it is refused.
 */
const readHeader = async (sharp: SharpConstructor, bytes: Uint8Array, format: string, pageIndex: number): Promise<Metadata> => {
  let meta: Metadata;
  try {
    meta = await sharp(asBuffer(bytes), { page: pageIndex, limitInputPixels: false, failOn: FAIL_ON }).metadata();
  } catch (err) {
    throw toPipelineError(err);
  }
  if (meta.format !== format) throw new CorruptDocumentError('image content does not match its media type', 'CORRUPT_IMAGE');
  if (!(meta.width > 0 && meta.height > 0)) throw new CorruptDocumentError('image has no pixels', 'CORRUPT_IMAGE');
  return meta;
};

const pagesIn = (meta: Metadata, format: string): number => (format === 'tiff' ? Math.max(1, meta.pages ?? 1) : 1);

/** The resolution to believe: the file's own when it is plausible, else an estimate from the size. */
export const sourceDpi = (meta: Pick<Metadata, 'density' | 'resolutionUnit'>, width: number, height: number): number => {
  const long = Math.max(width, height);
  const short = Math.min(width, height);
  const density = meta.density;
  // Without a unit, sharp reports a default (72) that no scanner wrote.
  if (
    density !== undefined &&
    meta.resolutionUnit !== undefined &&
    density >= MIN_PLAUSIBLE_DPI &&
    density <= MAX_PLAUSIBLE_DPI &&
    short / density <= MAX_PLAUSIBLE_SHORT_SIDE_INCHES &&
    long / density <= MAX_PLAUSIBLE_LONG_SIDE_INCHES
  ) {
    return density;
  }
  return long / ASSUMED_LONG_SIDE_INCHES;
};

/**
 * The factor to resize by: up to targetDpi when below upscaleBelowDpi, limited to `maxUpscale` and
 * MAX_UPSCALED_SIDE. Whatever else happens, the output (after a deskew rotation, when enabled)
 * stays within maxPixels, which may shrink an image that is already at the limit.
 */
export const scaleFactor = (
  width: number,
  height: number,
  dpi: number,
  options: ImageOptions,
  maxUpscale: number = DEFAULT_MAX_UPSCALE,
): number => {
  let scale = dpi < options.upscaleBelowDpi ? options.targetDpi / dpi : 1;
  // A deskew rotation grows the canvas; the limits hold for the rotated result.
  const growth = options.deskew ? SKEW_GROWTH : 0;
  const grownWidth = width + height * growth;
  const grownHeight = height + width * growth;
  if (scale > 1) scale = Math.max(1, Math.min(scale, maxUpscale, MAX_UPSCALED_SIDE / Math.max(grownWidth, grownHeight)));
  return Math.min(scale, Math.sqrt(options.maxPixels / (grownWidth * grownHeight)));
};

/** Otsu's threshold of an 8-bit histogram: the level that best separates ink from paper. */
const otsuThreshold = (pixels: Uint8Array): number => {
  const histogram = new Float64Array(256);
  for (const value of pixels) histogram[value] = (histogram[value] ?? 0) + 1;
  const total = pixels.length;
  let sumAll = 0;
  for (let i = 0; i < 256; i++) sumAll += i * (histogram[i] ?? 0);
  let weightBelow = 0;
  let sumBelow = 0;
  let best = 0;
  let threshold = 127;
  for (let t = 0; t < 256; t++) {
    weightBelow += histogram[t] ?? 0;
    if (weightBelow === 0) continue;
    const weightAbove = total - weightBelow;
    if (weightAbove === 0) break;
    sumBelow += t * (histogram[t] ?? 0);
    const meanBelow = sumBelow / weightBelow;
    const meanAbove = (sumAll - sumBelow) / weightAbove;
    const between = weightBelow * weightAbove * (meanBelow - meanAbove) ** 2;
    if (between > best) {
      best = between;
      threshold = t;
    }
  }
  return threshold;
};

/**
 * Estimates how far the text lines lean, in degrees, clockwise positive (the way sharp rotates),
 * from an 8-bit greyscale bitmap. Projection profiles: the ink is projected along each candidate
 * direction onto the vertical axis, and at the true angle the lines fall into few rows, so the sum
 * of squared row counts (the variance, up to a constant) peaks. For speed the page is cut into
 * vertical strips whose row counts are taken once; a candidate angle shears each strip by its
 * centre's offset, so one angle costs strips x rows additions, whatever the amount of ink.
 * Returns 0 when no angle stands out.
 */
export const estimateSkew = (pixels: Uint8Array, width: number, height: number): number => {
  const threshold = otsuThreshold(pixels);
  const strips = Math.min(SKEW_STRIPS, width);
  const stripOf = Uint8Array.from({ length: width }, (_, x) => Math.floor((x * strips) / width));
  // Row counts per strip, strip-major: stripRows[k * height + y].
  const stripRows = new Int32Array(strips * height);
  let ink = 0;
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) {
      if ((pixels[row + x] ?? 255) <= threshold) {
        const at = (stripOf[x] ?? 0) * height + y;
        stripRows[at] = (stripRows[at] ?? 0) + 1;
        ink++;
      }
    }
  }
  // A near-blank page, or one that is mostly ink (a photo, an inverted scan): nothing to align.
  if (ink < 50 || ink > pixels.length / 2) return 0;

  const centres = Array.from({ length: strips }, (_, k) => ((k + 0.5) * width) / strips);
  const offset = Math.ceil(width * Math.tan((MAX_SKEW_DEGREES * Math.PI) / 180)) + 1;
  const profile = new Int32Array(height + 2 * offset);
  const score = (degrees: number): number => {
    const tan = Math.tan((degrees * Math.PI) / 180);
    profile.fill(0);
    for (let k = 0; k < strips; k++) {
      // A line leaning clockwise by `degrees` drops by x * tan on its way right: lift it back.
      const shift = offset - Math.round((centres[k] ?? 0) * tan);
      const base = k * height;
      for (let y = 0; y < height; y++) profile[y + shift] = (profile[y + shift] ?? 0) + (stripRows[base + y] ?? 0);
    }
    let sum = 0;
    for (const count of profile) sum += count * count;
    return sum;
  };

  const search = (from: number, to: number, step: number): { angle: number; score: number } => {
    let best = { angle: 0, score: -1 };
    for (let i = 0; from + i * step <= to + step / 2; i++) {
      const angle = Math.round((from + i * step) * 10) / 10;
      const s = score(angle);
      if (s > best.score) best = { angle, score: s };
    }
    return best;
  };

  const coarse = search(-MAX_SKEW_DEGREES, MAX_SKEW_DEGREES, COARSE_STEP_DEGREES);
  const fine = search(coarse.angle - COARSE_STEP_DEGREES, coarse.angle + COARSE_STEP_DEGREES, FINE_STEP_DEGREES);
  // A maximum on the edge of the range is no peak: the lines are not within ±10 degrees.
  if (Math.abs(fine.angle) >= MAX_SKEW_DEGREES) return 0;
  if (fine.score < score(0) * MIN_SKEW_GAIN) return 0;
  return fine.angle;
};

interface RawImage {
  readonly data: Buffer;
  readonly width: number;
  readonly height: number;
  readonly channels: 1 | 2 | 3 | 4;
}

/**
 * Skew of a decoded page, measured on a greyscale copy of at most about SKEW_ANALYSIS_SIDE px
 * taken by plain subsampling: unfiltered, but text lines survive it, and it costs a few ms where a
 * libvips resize of a 300 dpi page costs tens.
 */
const measureSkew = (image: RawImage): number => {
  const step = Math.max(1, Math.ceil(Math.max(image.width, image.height) / SKEW_ANALYSIS_SIDE));
  const width = Math.ceil(image.width / step);
  const height = Math.ceil(image.height / step);
  const grey = new Uint8Array(width * height);
  const { data, channels } = image;
  for (let y = 0; y < height; y++) {
    const source = y * step * image.width;
    const target = y * width;
    for (let x = 0; x < width; x++) {
      const i = (source + x * step) * channels;
      // Green carries most of the luminance; greyscale pages have only the one channel.
      grey[target + x] = data[channels >= 3 ? i + 1 : i] ?? 255;
    }
  }
  return estimateSkew(grey, width, height);
};

/**
 * An ImagePipeline on sharp (libvips). Each page is decoded straight from the bytes (a TIFF page
 * through sharp's `page` option), so a multi-page TIFF is never held whole. libvips runs on its
 * own threads: callers bound concurrency themselves.
 */
export const createSharpImagePipeline = (adapterOptions: SharpImagePipelineOptions = {}): ImagePipeline => {
  const kernel = adapterOptions.kernel ?? DEFAULT_KERNEL;
  const maxUpscale = adapterOptions.maxUpscale ?? DEFAULT_MAX_UPSCALE;
  if (!(maxUpscale >= 1)) throw new ConfigError(`maxUpscale must be at least 1, got ${String(maxUpscale)}`);
  return {
    pageCount: async (bytes, mediaType) => {
      const { sharp, format } = await checkImageType(bytes, mediaType);
      return pagesIn(await readHeader(sharp, bytes, format, 0), format);
    },

    prepare: async (bytes, mediaType, page, options): Promise<PreparedImage> => {
      if (!Number.isInteger(page) || page < 1) throw new InvalidStepInputError(`page ${String(page)} is not a positive integer`);
      const { sharp, format } = await checkImageType(bytes, mediaType);
      const first = await readHeader(sharp, bytes, format, 0);
      const pages = pagesIn(first, format);
      if (page > pages) throw new InvalidStepInputError(`page ${String(page)} is outside 1..${String(pages)}`);
      // TIFF pages each have their own size and resolution.
      const meta = page === 1 ? first : await readHeader(sharp, bytes, format, page - 1);

      // The pixel-bomb check, on the header's numbers, before a single pixel is decoded.
      if (meta.width * meta.height > options.maxPixels) {
        throw new DocumentTooLargeError(
          `image is ${String(meta.width)} x ${String(meta.height)} px, more than the limit of ${String(options.maxPixels)} pixels`,
          'IMAGE_TOO_LARGE',
        );
      }

      // Sizes after EXIF orientation, as the page is read.
      const width = meta.autoOrient.width;
      const height = meta.autoOrient.height;
      const dpi = sourceDpi(meta, width, height);
      const scale = scaleFactor(width, height, dpi, options, maxUpscale);
      const scaledWidth = Math.max(1, Math.round(width * scale));
      const scaledHeight = Math.max(1, Math.round(height * scale));

      const input: SharpOptions = {
        page: page - 1,
        // Belt and braces: libvips itself refuses to decode past the limit, whatever the header said.
        limitInputPixels: Math.max(1, Math.floor(options.maxPixels)),
        failOn: FAIL_ON,
        autoOrient: true,
      };

      const decode = (): Sharp => {
        let pipeline = sharp(asBuffer(bytes), input).flatten({ background: WHITE });
        if (scaledWidth !== width || scaledHeight !== height) {
          pipeline = pipeline.resize({ width: scaledWidth, height: scaledHeight, fit: 'fill', kernel });
        }
        // Also brings 16-bit and CMYK images down to 8-bit grey or sRGB, which every OCR engine reads.
        return pipeline.toColourspace(options.grayscale ? 'b-w' : 'srgb');
      };

      const effectiveDpi = Math.round(dpi * scale);
      try {
        let deskewDegrees = 0;
        let output: Sharp;
        if (options.deskew) {
          // Decoded once to raw pixels, then measured and rotated from memory.
          const { data, info } = await decode().raw().toBuffer({ resolveWithObject: true });
          const image: RawImage = { data, width: info.width, height: info.height, channels: info.channels };
          const skew = measureSkew(image);
          output = sharp(data, { raw: { width: info.width, height: info.height, channels: info.channels } });
          if (Math.abs(skew) >= MIN_CORRECTED_SKEW_DEGREES) {
            deskewDegrees = -skew;
            output = output.rotate(deskewDegrees, { background: WHITE });
          }
        } else {
          output = decode();
        }
        // The density goes into the PNG: Tesseract reads it rather than guessing the resolution from the text.
        const { data: png, info } = await output
          .png({ compressionLevel: PNG_COMPRESSION_LEVEL })
          .withDensity(effectiveDpi)
          .toBuffer({ resolveWithObject: true });
        return {
          page,
          png: new Uint8Array(png.buffer, png.byteOffset, png.byteLength),
          width: info.width,
          height: info.height,
          originalWidth: width,
          originalHeight: height,
          dpi: effectiveDpi,
          deskewDegrees,
        };
      } catch (err) {
        throw toPipelineError(err);
      }
    },
  };
};
