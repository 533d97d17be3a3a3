import { deflateSync } from 'node:zlib';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import sharp, { type Sharp } from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { createPdfjsPdfReader } from '../../src/adapters/local/pdfjs-pdf-reader.js';
import { createSharpImagePipeline, estimateSkew, scaleFactor, sourceDpi } from '../../src/adapters/local/sharp-image-pipeline.js';
import type { MediaType } from '../../src/domain/document.js';
import {
  ConfigError,
  CorruptDocumentError,
  DocumentTooLargeError,
  InvalidStepInputError,
  UnsupportedDocumentError,
  type DocumentError,
} from '../../src/domain/errors.js';
import type { ImageOptions } from '../../src/ports/image-pipeline.js';
import { PNG_SIGNATURE, pngChunk } from '../helpers/png.js';

const OPTIONS: ImageOptions = { maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false };

const pipeline = createSharpImagePipeline();

// ---------------------------------------------------------------------------------------------
// Image builders

const solid = (width: number, height: number, colour: string, channels: 3 | 4 = 3): Sharp =>
  sharp({ create: { width, height, channels, background: colour } });

/**
 * A decompression bomb: a valid greyscale PNG header claiming width x height, with a few KB of
 * zlib-compressed zero rows. Decoded, 100000 x 100000 would be 10 GB.
 */
const pngBomb = (width: number, height: number): Uint8Array => {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // greyscale
  return new Uint8Array(
    Buffer.concat([
      PNG_SIGNATURE,
      pngChunk('IHDR', header),
      pngChunk('IDAT', deflateSync(Buffer.alloc((width + 1) * 50))),
      pngChunk('IEND', new Uint8Array(0)),
    ]),
  );
};

interface TiffPage {
  readonly width: number;
  readonly height: number;
  /** Grey level of every pixel; the strip holds only one row when `claimOnly`. */
  readonly grey: number;
  readonly dpi?: number;
  /** Write the header only (with a one-row strip): a page that claims more than it holds. */
  readonly claimOnly?: boolean;
}

/**
 * A baseline little-endian TIFF with one uncompressed 8-bit greyscale strip per page. Written by
 * hand because sharp writes multi-page TIFFs only with equal page sizes, and the tests need pages
 * that differ in size and resolution, and one that claims a bomb's size.
 */
const multiPageTiff = (pages: readonly TiffPage[]): Uint8Array => {
  const chunks: Buffer[] = [];
  let offset = 8; // after the header
  const append = (bytes: Buffer): number => {
    const at = offset;
    chunks.push(bytes);
    offset += bytes.length;
    if (offset % 2) {
      chunks.push(Buffer.alloc(1)); // TIFF offsets are word-aligned
      offset++;
    }
    return at;
  };
  const ifdOffsets: number[] = [];
  const nextIfdFields: number[] = [];
  for (const page of pages) {
    const stripLength = page.claimOnly ? page.width : page.width * page.height;
    const stripOffset = append(Buffer.alloc(stripLength, page.grey));
    let resolutionOffset = 0;
    if (page.dpi !== undefined) {
      const rational = Buffer.alloc(8);
      rational.writeUInt32LE(page.dpi, 0);
      rational.writeUInt32LE(1, 4);
      resolutionOffset = append(rational);
    }
    // [tag, type (3 SHORT, 4 LONG, 5 RATIONAL), value], in tag order.
    const entries: [number, number, number][] = [
      [256, 4, page.width],
      [257, 4, page.height],
      [258, 3, 8], // BitsPerSample
      [259, 3, 1], // Compression: none
      [262, 3, 1], // Photometric: BlackIsZero
      [273, 4, stripOffset],
      [277, 3, 1], // SamplesPerPixel
      [278, 4, page.height], // RowsPerStrip
      [279, 4, stripLength],
    ];
    if (page.dpi !== undefined) entries.push([282, 5, resolutionOffset], [283, 5, resolutionOffset], [296, 3, 2]);
    const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
    ifd.writeUInt16LE(entries.length, 0);
    entries.forEach(([tag, type, value], i) => {
      const at = 2 + i * 12;
      ifd.writeUInt16LE(tag, at);
      ifd.writeUInt16LE(type, at + 2);
      ifd.writeUInt32LE(1, at + 4);
      if (type === 3) ifd.writeUInt16LE(value, at + 8);
      else ifd.writeUInt32LE(value, at + 8);
    });
    const at = append(ifd);
    ifdOffsets.push(at);
    nextIfdFields.push(at + 2 + entries.length * 12);
  }
  const header = Buffer.alloc(8);
  header.write('II', 0, 'latin1');
  header.writeUInt16LE(42, 2);
  const tiff = Buffer.concat([header, ...chunks]);
  tiff.writeUInt32LE(ifdOffsets[0] ?? 0, 4);
  nextIfdFields.forEach((field, i) => tiff.writeUInt32LE(ifdOffsets[i + 1] ?? 0, field));
  return new Uint8Array(tiff);
};

/** Pixels as 8-bit grey (sharp's raw output is sRGB unless asked otherwise). */
const rawGrey = async (png: Uint8Array): Promise<{ data: Buffer; width: number; height: number }> => {
  const { data, info } = await sharp(png).greyscale().raw().toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
};

/** Lines of text on a letter page rendered at `dpi` (pdf-lib's standard fonts; no system fonts needed). */
const renderTextPage = async (dpi: number): Promise<Uint8Array> => {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.TimesRoman);
  const page = doc.addPage([612, 792]);
  for (let i = 0; i < 38; i++) {
    page.drawText(`${String(i + 1)}. Payment of the outstanding balance is due within thirty days of the invoice date.`, {
      x: 72,
      y: 730 - i * 17,
      size: 11,
      font,
    });
  }
  const pdf = await createPdfjsPdfReader().open(await doc.save());
  try {
    return (await (await pdf.page(1)).render(dpi)).png;
  } finally {
    await pdf.close();
  }
};

const expectDocumentError = async (
  promise: Promise<unknown>,
  type: abstract new (...args: never[]) => DocumentError,
  reasonCode: string,
): Promise<DocumentError> => {
  const err: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(type);
  expect((err as DocumentError).reasonCode).toBe(reasonCode);
  return err as DocumentError;
};

// ---------------------------------------------------------------------------------------------

describe('createSharpImagePipeline: formats and pages', () => {
  it('reads PNG, JPEG and WebP as one page and returns a PNG', async () => {
    const cases: [MediaType, Buffer][] = [
      ['image/png', await solid(300, 200, '#808080').png().toBuffer()],
      ['image/jpeg', await solid(300, 200, '#808080').jpeg().toBuffer()],
      ['image/webp', await solid(300, 200, '#808080').webp().toBuffer()],
    ];
    for (const [mediaType, bytes] of cases) {
      expect(await pipeline.pageCount(bytes, mediaType), mediaType).toBe(1);
      const prepared = await pipeline.prepare(bytes, mediaType, 1, { ...OPTIONS, upscaleBelowDpi: 0 });
      expect(prepared, mediaType).toMatchObject({ page: 1, width: 300, height: 200, originalWidth: 300, originalHeight: 200 });
      const meta = await sharp(prepared.png).metadata();
      expect(meta).toMatchObject({ format: 'png', width: 300, height: 200, channels: 1, depth: 'uchar' });
    }
  });

  it('counts the pages of a multi-page TIFF written by sharp and reads each page on its own', async () => {
    const colours = ['#ff0000', '#00ff00', '#0000ff'];
    const pages = await Promise.all(colours.map((c) => solid(120, 160, c).png().toBuffer()));
    const tiff = await sharp(pages, { join: { animated: true } })
      .tiff()
      .toBuffer();
    expect(await pipeline.pageCount(tiff, 'image/tiff')).toBe(3);

    const means: number[] = [];
    for (const page of [1, 2, 3]) {
      const prepared = await pipeline.prepare(tiff, 'image/tiff', page, { ...OPTIONS, upscaleBelowDpi: 0, grayscale: false });
      expect(prepared).toMatchObject({ page, width: 120, height: 160 });
      const stats = await sharp(prepared.png).stats();
      means.push(stats.channels.findIndex((c) => c.mean > 200));
    }
    // Page n is the nth colour: red, green, blue.
    expect(means).toEqual([0, 1, 2]);
  });

  it('sizes, scales and limits each TIFF page by its own header', async () => {
    const tiff = multiPageTiff([
      { width: 200, height: 300, grey: 40, dpi: 100 },
      { width: 330, height: 110, grey: 200 },
      { width: 100_000, height: 100_000, grey: 0, claimOnly: true },
    ]);
    expect(await pipeline.pageCount(tiff, 'image/tiff')).toBe(3);

    // 100 dpi in the header: upscaled 3x to 300 dpi.
    const first = await pipeline.prepare(tiff, 'image/tiff', 1, OPTIONS);
    expect(first).toMatchObject({ width: 600, height: 900, originalWidth: 200, originalHeight: 300, dpi: 300 });
    // No resolution: 330 px over 11 inches is 30 dpi, and the upscale stops at 3x.
    const second = await pipeline.prepare(tiff, 'image/tiff', 2, OPTIONS);
    expect(second).toMatchObject({ width: 990, height: 330, originalWidth: 330, originalHeight: 110, dpi: 90 });
    const stats = await sharp(second.png).stats();
    expect(stats.channels[0]?.mean).toBeCloseTo(200, 0);

    await expectDocumentError(pipeline.prepare(tiff, 'image/tiff', 3, OPTIONS), DocumentTooLargeError, 'IMAGE_TOO_LARGE');
  });

  it('refuses pages outside the document as a caller error', async () => {
    const png = await solid(10, 10, '#fff').png().toBuffer();
    await expect(pipeline.prepare(png, 'image/png', 2, OPTIONS)).rejects.toBeInstanceOf(InvalidStepInputError);
    await expect(pipeline.prepare(png, 'image/png', 0, OPTIONS)).rejects.toBeInstanceOf(InvalidStepInputError);
    await expect(pipeline.prepare(png, 'image/png', 1.5, OPTIONS)).rejects.toBeInstanceOf(InvalidStepInputError);
    await expect(pipeline.prepare(png, 'application/pdf', 1, OPTIONS)).rejects.toBeInstanceOf(InvalidStepInputError);
  });

  it('reports BMP as unsupported when libvips cannot decode it', async () => {
    const bmp = Buffer.alloc(54 + 4 * 4 * 3);
    bmp.write('BM', 0, 'latin1');
    bmp.writeUInt32LE(bmp.length, 2);
    bmp.writeUInt32LE(54, 10);
    bmp.writeUInt32LE(40, 14);
    bmp.writeInt32LE(4, 18);
    bmp.writeInt32LE(4, 22);
    bmp.writeUInt16LE(1, 26);
    bmp.writeUInt16LE(24, 28);
    // The prebuilt sharp has no ImageMagick, so BMP is a type we do not read, not a corrupt file.
    if (sharp.format.magick.input.buffer) {
      expect(await pipeline.pageCount(bmp, 'image/bmp')).toBe(1);
    } else {
      await expectDocumentError(pipeline.pageCount(bmp, 'image/bmp'), UnsupportedDocumentError, 'UNSUPPORTED_TYPE');
      await expectDocumentError(pipeline.prepare(bmp, 'image/bmp', 1, OPTIONS), UnsupportedDocumentError, 'UNSUPPORTED_TYPE');
    }
  });

  it('rejects a bad adapter option at construction', () => {
    expect(() => createSharpImagePipeline({ maxUpscale: 0.5 })).toThrow(ConfigError);
  });
});

describe('createSharpImagePipeline: hostile and broken input', () => {
  it('refuses a 100000 x 100000 PNG bomb from its header, without decoding it', async () => {
    const bomb = pngBomb(100_000, 100_000);
    expect(bomb.byteLength).toBeLessThan(10_000);
    const rssBefore = process.memoryUsage().rss;
    const err = await expectDocumentError(pipeline.prepare(bomb, 'image/png', 1, OPTIONS), DocumentTooLargeError, 'IMAGE_TOO_LARGE');
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(100 * 1024 * 1024);
    expect(err.message).toContain('100000 x 100000');
    // Counting pages reads the header only, so it answers for a bomb too.
    expect(await pipeline.pageCount(bomb, 'image/png')).toBe(1);
  });

  it('applies the caller limit, not libvips default', async () => {
    const png = await solid(2000, 1000, '#fff').png().toBuffer();
    await expectDocumentError(
      pipeline.prepare(png, 'image/png', 1, { ...OPTIONS, maxPixels: 1_999_999 }),
      DocumentTooLargeError,
      'IMAGE_TOO_LARGE',
    );
    await expect(pipeline.prepare(png, 'image/png', 1, { ...OPTIONS, maxPixels: 2_000_000 })).resolves.toMatchObject({ width: 2000 });
  });

  it('turns undecodable bytes into CORRUPT_IMAGE without passing on decoder text', async () => {
    const good = await solid(64, 64, '#333').png().toBuffer();
    const header = Buffer.alloc(13);
    header.writeUInt32BE(640, 0);
    header.writeUInt32BE(480, 4);
    header[8] = 8;
    const cases: [MediaType, Uint8Array][] = [
      // A valid PNG header followed by junk that quotes "document content".
      ['image/png', Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', header), Buffer.from('SECRETDATA'.repeat(40), 'latin1')])],
      // Cut in the middle of the pixel data.
      ['image/png', good.subarray(0, Math.floor(good.length * 0.6))],
      ['image/jpeg', (await solid(640, 480, '#333').jpeg().toBuffer()).subarray(0, 400)],
      // Bytes that are not what the media type says.
      ['image/png', await solid(10, 10, '#fff').jpeg().toBuffer()],
      ['image/tiff', Buffer.from('II*\0SECRETDATA', 'latin1')],
      ['image/webp', Buffer.from('RIFF\0\0\0\0WEBPSECRETDATA', 'latin1')],
    ];
    for (const [mediaType, bytes] of cases) {
      const err = await expectDocumentError(pipeline.prepare(bytes, mediaType, 1, OPTIONS), CorruptDocumentError, 'CORRUPT_IMAGE');
      expect(err.message).not.toMatch(/SECRET|vips|png_|libpng|Input buffer|jpeg/i);
    }
    await expectDocumentError(
      pipeline.pageCount(Buffer.from('II*\0SECRETDATA', 'latin1'), 'image/tiff'),
      CorruptDocumentError,
      'CORRUPT_IMAGE',
    );
  });

  it('reports an empty file as EMPTY_FILE', async () => {
    await expectDocumentError(pipeline.prepare(new Uint8Array(0), 'image/png', 1, OPTIONS), UnsupportedDocumentError, 'EMPTY_FILE');
  });
});

describe('createSharpImagePipeline: pixels', () => {
  it('flattens transparency onto white and outputs 8-bit greyscale', async () => {
    // A transparent 100 x 100 canvas with an opaque black square in the middle.
    const square = await solid(40, 40, '#000000').png().toBuffer();
    const png = await sharp({ create: { width: 100, height: 100, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
      .composite([{ input: square, left: 30, top: 30 }])
      .png()
      .toBuffer();
    const prepared = await pipeline.prepare(png, 'image/png', 1, { ...OPTIONS, upscaleBelowDpi: 0 });
    expect(await sharp(prepared.png).metadata()).toMatchObject({ channels: 1, depth: 'uchar', hasAlpha: false });
    const { data, width } = await rawGrey(prepared.png);
    expect(data[0]).toBe(255); // was transparent black: now paper white, not black
    expect(data[50 * width + 50]).toBe(0);
  });

  it('keeps colour when asked, and brings 16-bit input down to 8 bits', async () => {
    const png16 = await solid(50, 50, '#336699').toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const colour = await pipeline.prepare(png16, 'image/png', 1, { ...OPTIONS, upscaleBelowDpi: 0, grayscale: false });
    expect(await sharp(colour.png).metadata()).toMatchObject({ channels: 3, depth: 'uchar', space: 'srgb' });
    const grey = await pipeline.prepare(png16, 'image/png', 1, { ...OPTIONS, upscaleBelowDpi: 0 });
    expect(await sharp(grey.png).metadata()).toMatchObject({ channels: 1, depth: 'uchar' });
  });

  it('applies the EXIF orientation', async () => {
    // Stored 300 wide x 100 high, with Orientation 6: the upright page is 100 x 300.
    const jpeg = await solid(300, 100, '#fff').jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const prepared = await pipeline.prepare(jpeg, 'image/jpeg', 1, { ...OPTIONS, upscaleBelowDpi: 0 });
    expect(prepared).toMatchObject({ width: 100, height: 300, originalWidth: 100, originalHeight: 300 });
  });
});

describe('createSharpImagePipeline: resolution', () => {
  it('upscales a 100 dpi-like scan without metadata 3x and reports the effective dpi', async () => {
    // An RVL-CDIP-shaped scan: 776 x 1000, no density. 1000 px / 11 in = 91 dpi, 3x caps it at 273.
    const png = await solid(776, 1000, '#fff').png().toBuffer();
    const prepared = await pipeline.prepare(png, 'image/png', 1, OPTIONS);
    expect(prepared).toMatchObject({ width: 2328, height: 3000, originalWidth: 776, originalHeight: 1000, dpi: 273 });
    // The dpi travels in the PNG, for the OCR engine.
    expect((await sharp(prepared.png).metadata()).density).toBe(273);
  });

  it('leaves a 300 dpi page alone', async () => {
    const png = await solid(2550, 3300, '#fff').png().toBuffer();
    expect(await pipeline.prepare(png, 'image/png', 1, OPTIONS)).toMatchObject({ width: 2550, height: 3300, dpi: 300 });
  });

  it('believes plausible density metadata', async () => {
    // 850 x 1100 at 100 dpi is a letter page: upscaled to exactly 300 dpi.
    const at100 = await solid(850, 1100, '#fff').png().withDensity(100).toBuffer();
    expect(await pipeline.prepare(at100, 'image/png', 1, OPTIONS)).toMatchObject({ width: 2550, height: 3300, dpi: 300 });
    // A 2 x 2.7 inch label at 300 dpi: small, but sharp enough. The size alone would say 73 dpi.
    const label = await solid(600, 800, '#fff').png().withDensity(300).toBuffer();
    expect(await pipeline.prepare(label, 'image/png', 1, OPTIONS)).toMatchObject({ width: 600, height: 800, dpi: 300 });
  });

  it('ignores density that describes no plausible page', async () => {
    // A phone photo stamped 72 dpi would be a 42 x 56 inch page; the size estimate (367 dpi) wins.
    const photo = await solid(3024, 4032, '#fff').jpeg().withDensity(72).toBuffer();
    expect(await pipeline.prepare(photo, 'image/jpeg', 1, OPTIONS)).toMatchObject({ width: 3024, height: 4032, dpi: 367 });
    expect(sourceDpi({ density: 72, resolutionUnit: 'inch' }, 3024, 4032)).toBeCloseTo(4032 / 11, 6);
    // Density with no unit is sharp's default, not something the scanner said.
    expect(sourceDpi({ density: 72 }, 776, 1000)).toBeCloseTo(1000 / 11, 6);
    expect(sourceDpi({ density: 2400, resolutionUnit: 'inch' }, 776, 1000)).toBeCloseTo(1000 / 11, 6);
  });

  it('caps upscaling at 3x, 6000 px on the longest side and maxPixels', async () => {
    // A tall narrow receipt photo: 1400 px / 11 in = 127 dpi, upscaled by 300/127 = 2.36.
    expect(scaleFactor(400, 1400, 1400 / 11, OPTIONS)).toBeCloseTo(300 / (1400 / 11), 6);
    // A thumbnail would need 10x; it gets 3x.
    expect(scaleFactor(200, 300, 300 / 11, OPTIONS)).toBe(3);
    // A 24 x 6 inch strip at 100 dpi would be 7200 px wide: stopped at 6000.
    const strip = await solid(2400, 600, '#fff').png().withDensity(100).toBuffer();
    expect(await pipeline.prepare(strip, 'image/png', 1, OPTIONS)).toMatchObject({ width: 6000, height: 1500, dpi: 250 });
    // maxPixels bounds the output too.
    const scan = await solid(776, 1000, '#fff').png().toBuffer();
    const small = await pipeline.prepare(scan, 'image/png', 1, { ...OPTIONS, maxPixels: 4_000_000 });
    expect(small.width * small.height).toBeLessThanOrEqual(4_000_000);
    expect(small.width).toBeGreaterThan(776);
    // Deskew can grow the canvas: the limits leave room for a 10 degree rotation.
    const skewRoom = scaleFactor(776, 1000, 1000 / 11, { ...OPTIONS, maxPixels: 4_000_000, deskew: true });
    const s = Math.sin((10 * Math.PI) / 180);
    expect((776 + 1000 * s) * (1000 + 776 * s) * skewRoom ** 2).toBeLessThanOrEqual(4_000_000 + 1);
  });

  it('uses the configured thresholds', async () => {
    const png = await solid(776, 1000, '#fff').png().toBuffer();
    // 91 dpi is above a 90 dpi threshold: no upscale.
    expect(await pipeline.prepare(png, 'image/png', 1, { ...OPTIONS, upscaleBelowDpi: 90 })).toMatchObject({ width: 776, dpi: 91 });
    // Target 200 dpi: 200 / 90.9 = 2.2x.
    expect(await pipeline.prepare(png, 'image/png', 1, { ...OPTIONS, targetDpi: 200 })).toMatchObject({
      width: 1707,
      height: 2200,
      dpi: 200,
    });
  });
});

describe('createSharpImagePipeline: deskew', () => {
  let page: Uint8Array;

  beforeAll(async () => {
    page = await renderTextPage(300); // 2550 x 3300
  });

  const skewedPages = new Map<number, Promise<Buffer>>();
  /** The page turned `degrees` clockwise and cropped back to its size, as a scanner frame would; made once per angle. */
  const skewed = (degrees: number): Promise<Buffer> => {
    let made = skewedPages.get(degrees);
    if (made === undefined) {
      made = sharp(page)
        .rotate(degrees, { background: '#ffffff' })
        .png({ compressionLevel: 1 })
        .toBuffer()
        .then((rotated) => sharp(rotated).resize(2550, 3300, { fit: 'cover' }).png({ compressionLevel: 1 }).toBuffer());
      skewedPages.set(degrees, made);
    }
    return made;
  };

  it.each([3, -2])('straightens a page skewed %s degrees clockwise', async (degrees) => {
    const prepared = await pipeline.prepare(await skewed(degrees), 'image/png', 1, { ...OPTIONS, deskew: true });
    // deskewDegrees is the rotation applied, clockwise positive: the opposite of the skew.
    expect(Math.abs(prepared.deskewDegrees + degrees)).toBeLessThan(0.5);
    expect(prepared.width).toBeGreaterThan(2550); // the canvas grew to hold the rotated corners
    const straightened = await rawGrey(await sharp(prepared.png).resize(1200, 1200, { fit: 'inside' }).png().toBuffer());
    expect(Math.abs(estimateSkew(straightened.data, straightened.width, straightened.height))).toBeLessThan(0.3);
  });

  it('straightens a colour page too', async () => {
    const prepared = await pipeline.prepare(await skewed(3), 'image/png', 1, { ...OPTIONS, grayscale: false, deskew: true });
    expect(Math.abs(prepared.deskewDegrees + 3)).toBeLessThan(0.5);
    expect((await sharp(prepared.png).metadata()).channels).toBe(3);
  });

  it('leaves a straight page, a blank page and a page of noise alone', async () => {
    expect((await pipeline.prepare(page, 'image/png', 1, { ...OPTIONS, deskew: true })).deskewDegrees).toBe(0);
    const blank = await solid(850, 1100, '#fff').png().toBuffer();
    expect((await pipeline.prepare(blank, 'image/png', 1, { ...OPTIONS, deskew: true })).deskewDegrees).toBe(0);
    // Random pixels: no lines, no angle.
    let seed = 7;
    const noise = Buffer.alloc(600 * 800);
    for (let i = 0; i < noise.length; i++) {
      seed = (seed * 1664525 + 1013904223) >>> 0;
      noise[i] = seed >>> 24 < 40 ? 0 : 255;
    }
    const noisy = await sharp(noise, { raw: { width: 600, height: 800, channels: 1 } })
      .png()
      .toBuffer();
    expect((await pipeline.prepare(noisy, 'image/png', 1, { ...OPTIONS, deskew: true })).deskewDegrees).toBe(0);
  });

  it('does nothing when deskew is off', async () => {
    const prepared = await pipeline.prepare(await skewed(3), 'image/png', 1, OPTIONS);
    expect(prepared).toMatchObject({ width: 2550, height: 3300, deskewDegrees: 0 });
  });

  it('estimates the skew of a 2550 x 3300 page', async () => {
    const { data, info } = await sharp(await skewed(3))
      .resize(1200, 1200, { fit: 'inside' })
      .greyscale()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const angle = estimateSkew(data, info.width, info.height);
    expect(Math.abs(angle - 3)).toBeLessThan(0.5);
  });
});
