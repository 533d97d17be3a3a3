/**
 * A deterministic corpus of hostile inbox entries: broken, disguised, encrypted and bomb-shaped
 * documents, hostile file names, symlinks and FIFOs. Everything is built by hand (raw PDF syntax,
 * hand-made PNG/JPEG/TIFF/WebP headers, zlib for Flate bombs), so the bytes do not depend on a
 * library's writer. Every entry comes with the reason code its recorded `reject` must carry.
 *
 * Uniqueness: documents are content-addressed, so two entries with the same bytes would be one
 * document. Each entry carries a distinct marker (a PDF comment, a trailing byte, a pixel value);
 * the only deliberate exception is the second 0-byte file, listed with `sameBytesAs`.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, symlinkSync, writeFileSync, truncateSync } from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { PNG_SIGNATURE, pngChunk } from './png.js';
import { mulberry32 } from '../../src/domain/random.js';

export type HostileCategory =
  | 'empty'
  | 'random-bytes'
  | 'disguised'
  | 'truncated-pdf'
  | 'corrupt-pdf'
  | 'encrypted-pdf'
  | 'page-count'
  | 'page-size'
  | 'decompression-bomb'
  | 'nested-or-cyclic'
  | 'pixel-bomb'
  | 'corrupt-image'
  | 'sniffed-by-content'
  | 'hostile-name'
  | 'symlink'
  | 'fifo'
  | 'too-large';

export interface HostileInput {
  /** The entry's name in the inbox, as bytes (some are not UTF-8). */
  readonly name: Buffer;
  readonly category: HostileCategory;
  /** The reason code of the recorded reject. */
  readonly expect: string;
  /** Not a regular file: recorded under a location id, with no content in the object store. */
  readonly nonRegular: boolean;
  /** Same bytes as another entry (by index in the manifest): one document, counted once. */
  readonly sameBytesAs?: number;
  /** What the entry is, for failure messages. */
  readonly note: string;
}

export interface HostileCorpusOptions {
  /** The limits the run is configured with (see `hostileConfigYaml`). */
  readonly maxFileBytes: number;
  readonly maxPages: number;
  /** A directory outside the inbox that symlinks may point into. */
  readonly outside: string;
}

/** The config a hostile run uses: small caps so that bombs are refused fast and cheaply. */
export const hostileConfigYaml = (o: { maxFileBytes: number; maxPages: number; maxPixels: number }): string =>
  [
    'limits:',
    `  maxFileBytes: ${o.maxFileBytes}`,
    `  maxPages: ${o.maxPages}`,
    'extract:',
    '  image:',
    `    maxPixels: ${o.maxPixels}`,
    '',
  ].join('\n');

const latin1 = (s: string): Buffer => Buffer.from(s, 'latin1');

// --- PDF syntax --------------------------------------------------------------------------------

interface PdfParts {
  /** Object bodies; object n is `objects[n - 1]`. */
  readonly objects: readonly (string | Buffer)[];
  /** Extra trailer entries. */
  readonly trailer?: string;
  /** Root object number (default 1); null for no /Root. */
  readonly root?: number | null;
  /** Replaces the computed startxref offset. */
  readonly startxref?: string;
  /** Leaves out the xref table (readers must reconstruct). */
  readonly noXref?: boolean;
  readonly marker: string;
}

/** A PDF file from object bodies: header, a unique comment, objects, xref, trailer. */
const pdf = (p: PdfParts): Buffer => {
  const chunks: Buffer[] = [latin1(`%PDF-1.7\n%\xe2\xe3\xcf\xd3\n% ${p.marker}\n`)];
  let offset = chunks[0]!.length;
  const offsets: number[] = [];
  p.objects.forEach((body, i) => {
    offsets.push(offset);
    const obj = Buffer.concat([latin1(`${i + 1} 0 obj\n`), typeof body === 'string' ? latin1(body) : body, latin1('\nendobj\n')]);
    chunks.push(obj);
    offset += obj.length;
  });
  const xrefAt = offset;
  if (!p.noXref) {
    const lines = [
      `xref\n0 ${p.objects.length + 1}\n`,
      '0000000000 65535 f \n',
      ...offsets.map((o) => `${String(o).padStart(10, '0')} 00000 n \n`),
    ];
    chunks.push(latin1(lines.join('')));
  }
  const root = p.root === undefined ? 1 : p.root;
  chunks.push(
    latin1(
      `trailer\n<< /Size ${p.objects.length + 1}${root === null ? '' : ` /Root ${root} 0 R`}${p.trailer ? ` ${p.trailer}` : ''} >>\nstartxref\n${p.startxref ?? String(xrefAt)}\n%%EOF\n`,
    ),
  );
  return Buffer.concat(chunks);
};

const streamObj = (dict: string, data: Buffer): Buffer =>
  Buffer.concat([latin1(`<< ${dict} /Length ${data.length} >>\nstream\n`), data, latin1('\nendstream')]);

/** Catalog (1), Pages (2), one Page (3) with an empty content stream (4). */
const onePage = (marker: string, o: { pages?: string; page?: string; content?: Buffer; filter?: string; trailer?: string } = {}): Buffer =>
  pdf({
    marker,
    objects: [
      '<< /Type /Catalog /Pages 2 0 R >>',
      o.pages ?? '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
      o.page ?? '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << >> >>',
      streamObj(o.filter ?? '', o.content ?? Buffer.alloc(0)),
    ],
    ...(o.trailer ? { trailer: o.trailer } : {}),
  });

/**
 * A half-inch page: documents that parse and reach OCR (their page has no text) cost a 150 px
 * render, not a Letter page at 300 dpi.
 */
const TINY_PAGE = '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 36 36] /Contents 4 0 R /Resources << >> >>';

/** A PDF whose Catalog and Pages come last, so a truncation loses the document's root. */
const rootLast = (marker: string): Buffer =>
  pdf({
    marker,
    root: 4,
    objects: [
      streamObj('', latin1('0 0 m 10 10 l S\n'.repeat(40))),
      '<< /Type /Page /Parent 3 0 R /MediaBox [0 0 612 792] /Contents 1 0 R /Resources << >> >>',
      '<< /Type /Pages /Kids [2 0 R] /Count 1 >>',
      '<< /Type /Catalog /Pages 3 0 R >>',
    ],
  });

// --- zlib bombs --------------------------------------------------------------------------------

/**
 * A zlib stream that inflates to `mib` MiB of zeros, built by repeating one full-flushed deflate
 * block (each repetition is independent of the ones before), so a GiB costs milliseconds to make.
 */
const zeroBomb = (mib: number): Buffer => {
  const d = zlib.deflateRawSync(Buffer.alloc(1 << 20), { level: 9, finishFlush: zlib.constants.Z_FULL_FLUSH });
  const total = mib * (1 << 20);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE((((total % 65521) << 16) | 1) >>> 0);
  return Buffer.concat([Buffer.from([0x78, 0xda]), ...Array<Buffer>(mib).fill(d), Buffer.from([0x03, 0x00]), adler]);
};

// --- images ------------------------------------------------------------------------------------

const ihdr = (width: number, height: number, colourType = 0, depth = 8): Buffer => {
  const b = Buffer.alloc(13);
  b.writeUInt32BE(width, 0);
  b.writeUInt32BE(height, 4);
  b[8] = depth;
  b[9] = colourType;
  return b;
};

/** A greyscale PNG whose rows all hold `grey` (unique per entry). */
const pngImage = (width: number, height: number, grey: number): Buffer => {
  const row = Buffer.alloc(width + 1, grey);
  row[0] = 0;
  const raw = Buffer.concat(Array<Buffer>(height).fill(row));
  return Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr(width, height)),
    pngChunk('IDAT', zlib.deflateSync(raw)),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
};

/** A PNG header claiming `width` x `height` with one tiny IDAT: a pixel bomb by its header. */
const pngClaiming = (width: number, height: number, marker: number): Buffer =>
  Buffer.concat([
    PNG_SIGNATURE,
    pngChunk('IHDR', ihdr(width, height)),
    pngChunk('tEXt', latin1(`Comment\0hostile ${marker}`)),
    pngChunk('IDAT', zlib.deflateSync(Buffer.alloc(64))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);

/** A baseline JPEG's markers up to SOF0, claiming `width` x `height`, then a bare EOI. */
const jpegClaiming = (width: number, height: number, marker: number, scan = true): Buffer => {
  const sof = Buffer.from([0xff, 0xc0, 0x00, 0x0b, 0x08, height >> 8, height & 0xff, width >> 8, width & 0xff, 0x01, 0x01, 0x11, 0x00]);
  const com = Buffer.concat([Buffer.from([0xff, 0xfe, 0x00, 0x10]), latin1(`hostile ${String(marker).padStart(6, '0')}`)]);
  const dqt = Buffer.concat([Buffer.from([0xff, 0xdb, 0x00, 0x43, 0x00]), Buffer.alloc(64, 1)]);
  // A DC table (all codes 1 bit long would be invalid; one 1-bit code is enough) and a scan header:
  // decoders read the header up to SOS.
  const dht = Buffer.from([0xff, 0xc4, 0x00, 0x14, 0x00, 0x01, ...Array<number>(15).fill(0), 0x00]);
  const sos = Buffer.from([0xff, 0xda, 0x00, 0x08, 0x01, 0x01, 0x00, 0x00, 0x3f, 0x00]);
  const tail = scan ? [dht, sos, Buffer.alloc(8)] : [];
  return Buffer.concat([Buffer.from([0xff, 0xd8]), com, dqt, sof, ...tail, Buffer.from([0xff, 0xd9])]);
};

/** A little-endian TIFF with one IFD claiming `width` x `height` (8-bit grey, one strip). */
const tiffClaiming = (width: number, height: number, marker: number, o: { ifdOffset?: number; nextIfd?: number } = {}): Buffer => {
  const entries: [number, number, number, number][] = [
    [256, 4, 1, width], // ImageWidth (LONG)
    [257, 4, 1, height], // ImageLength
    [258, 3, 1, 8], // BitsPerSample
    [259, 3, 1, 1], // Compression: none
    [262, 3, 1, 1], // Photometric: BlackIsZero
    [273, 4, 1, 8], // StripOffsets
    [277, 3, 1, 1], // SamplesPerPixel
    [278, 4, 1, height], // RowsPerStrip
    [279, 4, 1, 16], // StripByteCounts
  ];
  const ifdAt = 8 + 16;
  const head = Buffer.alloc(8);
  head.write('II', 0, 'latin1');
  head.writeUInt16LE(42, 2);
  head.writeUInt32LE(o.ifdOffset ?? ifdAt, 4);
  const strip = Buffer.alloc(16, marker & 0xff);
  const ifd = Buffer.alloc(2 + entries.length * 12 + 4);
  ifd.writeUInt16LE(entries.length, 0);
  entries.forEach(([tag, type, count, value], i) => {
    const at = 2 + i * 12;
    ifd.writeUInt16LE(tag, at);
    ifd.writeUInt16LE(type, at + 2);
    ifd.writeUInt32LE(count, at + 4);
    if (type === 3) ifd.writeUInt16LE(value, at + 8);
    else ifd.writeUInt32LE(value, at + 8);
  });
  ifd.writeUInt32LE(o.nextIfd ?? 0, 2 + entries.length * 12);
  return Buffer.concat([head, strip, ifd, latin1(`hostile ${marker}`)]);
};

/** A WebP (VP8X) header claiming a canvas of `width` x `height`, with no image data. */
const webpClaiming = (width: number, height: number, marker: number): Buffer => {
  const vp8x = Buffer.alloc(10);
  vp8x.writeUIntLE(width - 1, 4, 3);
  vp8x.writeUIntLE(height - 1, 7, 3);
  const chunk = Buffer.concat([latin1('VP8X'), Buffer.from([10, 0, 0, 0]), vp8x]);
  const tail = latin1(`EXIF${String.fromCharCode(4, 0, 0, 0)}${String(marker).padStart(4, '0').slice(0, 4)}`);
  const body = Buffer.concat([latin1('WEBP'), chunk, tail]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([latin1('RIFF'), size, body]);
};

/** A lossless WebP (VP8L) header claiming `width` x `height`, followed by a few bytes of noise. */
const webpLosslessClaiming = (width: number, height: number, marker: number): Buffer => {
  const bits = ((width - 1) & 0x3fff) | (((height - 1) & 0x3fff) << 14);
  const header = Buffer.alloc(5);
  header[0] = 0x2f;
  header.writeUInt32LE(bits >>> 0, 1);
  const data = Buffer.concat([header, Buffer.alloc(27, marker & 0xff)]);
  const length = Buffer.alloc(4);
  length.writeUInt32LE(data.length);
  const body = Buffer.concat([latin1('WEBP'), latin1('VP8L'), length, data]);
  const size = Buffer.alloc(4);
  size.writeUInt32LE(body.length);
  return Buffer.concat([latin1('RIFF'), size, body]);
};

// --- the corpus --------------------------------------------------------------------------------

/**
 * Writes the corpus into `inbox` (which must exist and be empty) and returns the manifest, in
 * the order written. Tiny valid images for the sniffing cases are made with sharp (a dependency),
 * everything else by hand.
 */
export const writeHostileCorpus = async (inbox: string, options: HostileCorpusOptions): Promise<HostileInput[]> => {
  const manifest: HostileInput[] = [];
  const rand = mulberry32(20261129);
  const add = (name: string | Buffer, category: HostileCategory, expect: string, bytes: Buffer | null, note: string): void => {
    const nameBytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : name;
    if (bytes) writeFileSync(Buffer.concat([Buffer.from(`${inbox}/`), nameBytes]), bytes);
    manifest.push({ name: nameBytes, category, expect, nonRegular: false, note });
  };
  const special = (name: string, category: HostileCategory, note: string, make: (full: string) => void): void => {
    make(path.join(inbox, name));
    manifest.push({ name: Buffer.from(name), category, expect: 'NOT_A_REGULAR_FILE', nonRegular: true, note });
  };
  let serial = 0;
  const mark = (): string => `hostile-${String(++serial).padStart(4, '0')}`;

  // 0-byte files: the same (empty) bytes twice, so one document; the second is accounted as such.
  add('empty.pdf', 'empty', 'EMPTY_FILE', Buffer.alloc(0), '0-byte .pdf');
  add('empty.png', 'empty', 'EMPTY_FILE', Buffer.alloc(0), '0-byte .png (same bytes as empty.pdf)');
  manifest[manifest.length - 1] = { ...manifest[manifest.length - 1]!, sameBytesAs: manifest.length - 2 };

  // Random bytes that start with no known magic and hold no "%PDF-".
  for (let i = 0; i < 30; i++) {
    const size = 1 + Math.floor(rand() * 4096);
    const bytes = Buffer.alloc(size);
    for (let k = 0; k < size; k++) bytes[k] = Math.floor(rand() * 256);
    bytes[0] = 0;
    if (size > 1) bytes[1] = i;
    add(`random-${String(i).padStart(2, '0')}.pdf`, 'random-bytes', 'UNSUPPORTED_TYPE', bytes, `${size} random bytes`);
  }

  // Other formats under a document's extension.
  const disguised: [string, Buffer][] = [
    ['page.pdf', latin1('<!doctype html><html><body><script>alert(1)</script>PDF</body></html>\n')],
    ['archive.pdf', Buffer.concat([latin1('PK\x03\x04\x14\x00\x00\x00\x08\x00'), Buffer.alloc(40, 7)])],
    ['empty-zip.pdf', latin1('PK\x05\x06' + '\0'.repeat(18))],
    [
      'setup.pdf',
      Buffer.concat([
        latin1('MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff'),
        Buffer.alloc(64),
        latin1('This program cannot be run in DOS mode.'),
      ]),
    ],
    ['tool.pdf', Buffer.concat([latin1('\x7fELF\x02\x01\x01\x00'), Buffer.alloc(56)])],
    ['script.pdf', latin1('#!/bin/sh\nrm -rf "$HOME"\n')],
    ['data.pdf', latin1('{"%PDF":"not at the start of a PDF, but within 1 KB?"}\n'.replace('%PDF', 'PDF'))],
    ['feed.pdf', latin1('<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "aaaa">]><x>&a;</x>\n')],
    ['vector.png', latin1('<svg xmlns="http://www.w3.org/2000/svg" width="100000" height="100000"><rect/></svg>\n')],
    [
      'anim.png',
      Buffer.concat([
        latin1('GIF89a'),
        Buffer.from([0xa0, 0x86, 0xa0, 0x86, 0x00, 0x00, 0x00]),
        latin1(',\0\0\0\0\x01\0\x01\0\0\x02\x02D\x01\0;'),
      ]),
    ],
    ['old.jpg', Buffer.concat([latin1('BM'), Buffer.from([0x36, 0, 0, 0, 0, 0, 0, 0, 0x36, 0, 0, 0, 40, 0, 0, 0]), Buffer.alloc(40, 1)])],
    ['packed.pdf', zlib.gzipSync(latin1('%PDF-1.7 inside a gzip\n'))],
    ['doc.pdf', Buffer.concat([Buffer.from([0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]), Buffer.alloc(64)])],
    ['sound.pdf', Buffer.concat([latin1('ID3\x04\x00\x00\x00\x00\x00\x00'), Buffer.alloc(32, 3)])],
    ['text.pdf', latin1('Just text.\nPDF-1.7 is mentioned, but not the magic.\n')],
    ['letter.pdf', latin1('{\\rtf1\\ansi A letter, not a PDF.}\n')],
    ['print.pdf', latin1('%!PS-Adobe-3.0\n%%Pages: 1000000000\nshowpage\n')],
  ];
  for (const [name, bytes] of disguised) {
    // The BMP is a supported-looking type that this build cannot decode: refused as unsupported too.
    add(name, 'disguised', 'UNSUPPORTED_TYPE', bytes, `not a document: ${name}`);
  }

  // Truncated PDFs: cut before the Catalog, so no reader can find the document's root.
  for (let i = 0; i < 28; i++) {
    const whole = rootLast(mark());
    const catalogAt = whole.indexOf(latin1('4 0 obj'));
    const cut = Math.max(16, Math.floor((catalogAt * (i + 1)) / 29));
    add(
      `truncated-${String(i).padStart(2, '0')}.pdf`,
      'truncated-pdf',
      'CORRUPT_PDF',
      whole.subarray(0, cut),
      `cut at ${cut} of ${whole.length} bytes`,
    );
  }

  // Corrupt structure.
  const corrupt: [string, Buffer][] = [
    ['header-only', latin1(`%PDF-1.7\n% ${mark()}\n`)],
    ['header-garbage', Buffer.concat([latin1(`%PDF-1.7\n% ${mark()}\n`), Buffer.alloc(2048, 0xa5)])],
    ['no-root', pdf({ marker: mark(), root: null, objects: ['<< /Type /Pages /Kids [] /Count 0 >>'] })],
    [
      'root-missing-object',
      pdf({ marker: mark(), root: 9, objects: ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [] /Count 0 >>'] }),
    ],
    ['root-is-integer', pdf({ marker: mark(), objects: ['42'] })],
    ['root-is-string', pdf({ marker: mark(), objects: ['(not a catalog)'] })],
    ['catalog-without-pages', pdf({ marker: mark(), objects: ['<< /Type /Catalog >>'] })],
    ['pages-is-null', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages null >>'] })],
    ['xref-past-eof', pdf({ marker: mark(), root: null, startxref: '999999999', objects: ['<< /Type /Catalog /Pages 2 0 R >>'] })],
    ['startxref-negative', pdf({ marker: mark(), root: null, startxref: '-12', objects: ['<< /Type /Catalog /Pages 2 0 R >>'] })],
    ['startxref-garbage', pdf({ marker: mark(), root: null, startxref: 'abc', objects: ['<< /Foo /Bar >>'] })],
    [
      'objects-garbage',
      Buffer.concat([
        latin1(`%PDF-1.7\n% ${mark()}\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R`),
        Buffer.alloc(512, 0xff),
        latin1('\n%%EOF\n'),
      ]),
    ],
    ['unbalanced-dicts', latin1(`%PDF-1.7\n% ${mark()}\n1 0 obj\n<< << << << /Type /Catalog\nendobj\ntrailer\n<< /Root 1 0 R\n%%EOF\n`)],
    ['kids-not-array', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids 7 /Count 1 >>'] })],
    ['kid-is-integer', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [5] /Count 1 >>'] })],
    ['kid-missing', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [9 0 R] /Count 1 >>'] })],
    ['stream-length-past-eof', pdf({ marker: mark(), root: null, objects: [latin1('<< /Length 99999999 >>\nstream\nabc\nendstream')] })],
    ['only-eof', latin1(`%PDF-1.7\n% ${mark()}\n%%EOF\n`)],
    ['junk-then-header', Buffer.concat([Buffer.alloc(900, 0x20), latin1(`%PDF-1.4\n% ${mark()}\ntrailer\n<<>>\n%%EOF\n`)])],
    ['version-only', latin1(`%PDF-9.9 ${mark()}`)],
  ];
  for (const [name, bytes] of corrupt) add(`${name}.pdf`, 'corrupt-pdf', 'CORRUPT_PDF', bytes, name);

  // Encrypted: a standard security handler with random keys (a password is needed).
  const hex = (n: number): string =>
    Array.from({ length: n }, () =>
      Math.floor(rand() * 256)
        .toString(16)
        .padStart(2, '0'),
    ).join('');
  const encrypt: [string, string][] = [
    ['rc4-40', `/Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -4`],
    ['rc4-128', `/Filter /Standard /V 2 /R 3 /Length 128 /O <${hex(32)}> /U <${hex(32)}> /P -3904`],
    [
      'aes-128',
      `/Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /AuthEvent /DocOpen /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(32)}> /U <${hex(32)}> /P -1028`,
    ],
    [
      'aes-256',
      `/Filter /Standard /V 5 /R 6 /Length 256 /CF << /StdCF << /CFM /AESV3 /AuthEvent /DocOpen /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(48)}> /U <${hex(48)}> /OE <${hex(32)}> /UE <${hex(32)}> /Perms <${hex(16)}> /P -1028`,
    ],
    [
      'aes-256-r5',
      `/Filter /Standard /V 5 /R 5 /Length 256 /CF << /StdCF << /CFM /AESV3 /Length 32 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(48)}> /U <${hex(48)}> /OE <${hex(32)}> /UE <${hex(32)}> /Perms <${hex(16)}> /P -4`,
    ],
    ['rc4-40-b', `/Filter /Standard /V 1 /R 2 /O <${hex(32)}> /U <${hex(32)}> /P -64`],
    ['rc4-128-b', `/Filter /Standard /V 2 /R 3 /Length 128 /O <${hex(32)}> /U <${hex(32)}> /P -44`],
    [
      'aes-128-b',
      `/Filter /Standard /V 4 /R 4 /Length 128 /CF << /StdCF << /CFM /AESV2 /Length 16 >> >> /StmF /StdCF /StrF /StdCF /O <${hex(32)}> /U <${hex(32)}> /P -4`,
    ],
  ];
  for (const [name, dict] of encrypt) {
    const bytes = onePage(mark(), { trailer: `/Encrypt << ${dict} >> /ID [<${hex(16)}> <${hex(16)}>]` });
    add(`encrypted-${name}.pdf`, 'encrypted-pdf', 'ENCRYPTED_PDF', bytes, `standard security handler ${name}`);
  }

  // Page counts past the cap. A /Count that lies is not believed (pdfjs counts the pages it can
  // reach), so those documents are their one real, blank page: OCRed, no text. Real pages past the
  // cap are refused before any page is read.
  for (const count of ['1000000000', '9007199254740993', String(options.maxPages + 1)]) {
    const bytes = onePage(mark(), { pages: `<< /Type /Pages /Kids [3 0 R] /Count ${count} >>`, page: TINY_PAGE });
    add(`count-${count}.pdf`, 'page-count', 'NO_TEXT_FOUND', bytes, `/Count ${count} over one real page`);
  }
  {
    const n = options.maxPages * 5;
    const kids = Array.from({ length: n }, (_, i) => `${i + 3} 0 R`).join(' ');
    const objects = ['<< /Type /Catalog /Pages 2 0 R >>', `<< /Type /Pages /Kids [${kids}] /Count ${n} >>`];
    for (let i = 0; i < n; i++) objects.push('<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] >>');
    add('real-pages.pdf', 'page-count', 'TOO_MANY_PAGES', pdf({ marker: mark(), objects }), `${n} real pages`);
  }

  // Page sizes past what any printer or scanner makes (the PDF limit is 14 400 pt per side).
  const boxes: [string, string][] = [
    ['1e7-square', '/MediaBox [0 0 10000000 10000000]'],
    ['1e7-wide', '/MediaBox [0 0 10000000 100]'],
    ['1e7-tall', '/MediaBox [0 0 100 10000000]'],
    ['negative-origin', '/MediaBox [-10000000 -10000000 10000000 10000000]'],
    ['1e38', `/MediaBox [0 0 1${'0'.repeat(38)} 1${'0'.repeat(38)}]`],
    ['user-unit', '/MediaBox [0 0 14400 14400] /UserUnit 75000'],
    ['just-over', '/MediaBox [0 0 14401 200]'],
    ['crop-huge', '/MediaBox [0 0 20000000 20000000] /CropBox [0 0 20000000 20000000]'],
  ];
  for (const [name, box] of boxes) {
    add(
      `size-${name}.pdf`,
      'page-size',
      'PAGE_TOO_LARGE',
      onePage(mark(), { page: `<< /Type /Page /Parent 2 0 R ${box} /Contents 4 0 R /Resources << >> >>` }),
      box,
    );
  }

  // Flate bombs: a few KB to a MB that inflate to GiBs.
  const gib = zeroBomb(1024);
  const doubled = zlib.deflateSync(gib, { level: 9 });
  const bombs: [string, Buffer][] = [
    ['content-1gib', onePage(mark(), { content: gib, filter: '/Filter /FlateDecode' })],
    [
      'xobject-image',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /XObject << /Im1 5 0 R >> >> >>',
          streamObj('', latin1('q 612 0 0 792 0 0 cm /Im1 Do Q')),
          streamObj(
            '/Type /XObject /Subtype /Image /Width 32768 /Height 32768 /ColorSpace /DeviceGray /BitsPerComponent 8 /Filter /FlateDecode',
            gib,
          ),
        ],
      }),
    ],
    [
      'font-file',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
          streamObj('', latin1('BT /F1 12 Tf 72 720 Td (x) Tj ET')),
          '<< /Type /Font /Subtype /TrueType /BaseFont /Bomb /FirstChar 32 /LastChar 126 /Widths [] /FontDescriptor 6 0 R >>',
          '<< /Type /FontDescriptor /FontName /Bomb /Flags 32 /FontBBox [0 0 1000 1000] /ItalicAngle 0 /Ascent 800 /Descent -200 /CapHeight 700 /StemV 80 /FontFile2 7 0 R >>',
          streamObj('/Filter /FlateDecode', gib),
        ],
      }),
    ],
    [
      'object-stream',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
          streamObj('', Buffer.alloc(0)),
          streamObj('/Type /ObjStm /N 1 /First 4 /Filter /FlateDecode', gib),
        ],
      }),
    ],
    [
      'content-array',
      onePage(mark(), {
        page: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents [4 0 R 4 0 R 4 0 R] /Resources << >> >>',
        content: gib,
        filter: '/Filter /FlateDecode',
      }),
    ],
    [
      'filter-array',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>',
          streamObj('/Filter [/FlateDecode /FlateDecode]', doubled),
        ],
      }),
    ],
    [
      'length-lies',
      onePage(mark(), { content: Buffer.concat([gib, latin1('trailing bytes past /Length')]), filter: '/Filter /FlateDecode /Length 10' }),
    ],
  ];
  for (const [name, bytes] of bombs) {
    add(
      `bomb-${name}.pdf`,
      'decompression-bomb',
      'DECOMPRESSED_TOO_LARGE',
      bytes,
      `${name}: ${bytes.length} bytes inflating to 1 GiB or more`,
    );
  }

  // Deeply nested and cyclic object graphs.
  const deep = 10_000;
  const nested: [string, Buffer][] = [
    [
      'array-10k',
      onePage(mark(), {
        page: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Deep ${'['.repeat(deep)}${']'.repeat(deep)} >>`,
      }),
    ],
    [
      'dict-10k',
      onePage(mark(), {
        page: `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Deep ${'<< /A '.repeat(deep)}1${' >>'.repeat(deep)} >>`,
      }),
    ],
    [
      'ref-chain-10k',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '3 0 R',
          ...Array.from({ length: deep }, (_, i) => `${i + 4} 0 R`),
          '<< /Type /Pages /Kids [] /Count 0 >>',
        ],
      }),
    ],
    [
      'pages-tree-10k',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          ...Array.from({ length: deep }, (_, i) => `<< /Type /Pages /Kids [${i + 3} 0 R] /Count 1 >>`),
          '<< /Type /Page /MediaBox [0 0 36 36] >>',
        ],
      }),
    ],
    [
      'kids-self-cycle',
      pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '<< /Type /Pages /Kids [2 0 R] /Count 1 >>'] }),
    ],
    [
      'kids-two-cycle',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
          '<< /Type /Pages /Kids [2 0 R] /Count 1 >>',
        ],
      }),
    ],
    [
      'kids-to-catalog',
      pdf({
        marker: mark(),
        objects: ['<< /Type /Catalog /Pages 2 0 R /MediaBox [0 0 36 36] >>', '<< /Type /Pages /Kids [1 0 R] /Count 1 >>'],
      }),
    ],
    ['ref-self', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '2 0 R'] })],
    ['ref-two-cycle', pdf({ marker: mark(), objects: ['<< /Type /Catalog /Pages 2 0 R >>', '3 0 R', '2 0 R'] })],
    [
      'form-draws-itself',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R] /Count 1 /Count 1000000000 >>',
          '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 36 36] /Contents 4 0 R /Resources << /XObject << /X 5 0 R >> >> >>',
          streamObj('', latin1('/X Do')),
          streamObj('/Type /XObject /Subtype /Form /BBox [0 0 612 792] /Resources << /XObject << /X 5 0 R >> >>', latin1('/X Do')),
        ],
      }),
    ],
    ['catalog-is-pages', pdf({ marker: mark(), objects: ['<< /Type /Pages /Kids [1 0 R] /Count 1 /Pages 1 0 R >>'] })],
    [
      'parent-cycle-count',
      pdf({
        marker: mark(),
        objects: [
          '<< /Type /Catalog /Pages 2 0 R >>',
          '<< /Type /Pages /Kids [3 0 R 3 0 R] /Count 2000000000 /Parent 2 0 R >>',
          '<< /Type /Pages /Kids [2 0 R] /Count 1000000000 /Parent 2 0 R >>',
        ],
      }),
    ],
  ];
  // Where pdfjs can still reach a page (the 10k-deep tree ends in one; the catalog doubles as a
  // page; a form that draws itself is drawn once), the document is that blank page.
  const readable = new Set(['pages-tree-10k', 'kids-to-catalog', 'form-draws-itself']);
  for (const [name, bytes] of nested)
    add(`graph-${name}.pdf`, 'nested-or-cyclic', readable.has(name) ? 'NO_TEXT_FOUND' : 'CORRUPT_PDF', bytes, name);

  // Pixel bombs by header (the limits are checked before a pixel is decoded).
  const bombsByHeader: [string, Buffer][] = [
    ['png-100k.png', pngClaiming(100_000, 100_000, 1)],
    ['png-just-over.png', pngClaiming(2001, 2000, 4)],
    ['jpeg-65k.jpg', jpegClaiming(65_500, 65_500, 5)],
    ['jpeg-wide.jpg', jpegClaiming(65_000, 100, 6)],
    ['tiff-100k.tif', tiffClaiming(100_000, 100_000, 7)],
    ['tiff-tall.tif', tiffClaiming(1, 4_000_001, 8)],
    ['webp-16k.webp', webpLosslessClaiming(16_383, 16_383, 9)],
    // A real bomb, not only a header: 9 MP of zeros that deflate to ~9 KB.
    ['png-real-9mp.png', pngImage(3000, 3000, 200)],
  ];
  for (const [name, bytes] of bombsByHeader) add(name, 'pixel-bomb', 'IMAGE_TOO_LARGE', bytes, `pixel bomb ${name}`);

  // Images that do not decode.
  const good = pngImage(64, 64, 250);
  const badCrc = Buffer.from(pngImage(64, 64, 251));
  badCrc[29] = (badCrc[29] ?? 0) ^ 0xff; // inside IHDR's CRC
  const corruptImages: [string, Buffer][] = [
    ['png-truncated.png', good.subarray(0, good.length - 30)],
    ['png-bad-crc.png', badCrc],
    ['png-zero-size.png', Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(0, 0)), pngChunk('IEND', Buffer.alloc(0))])],
    ['png-no-idat.png', Buffer.concat([PNG_SIGNATURE, pngChunk('IHDR', ihdr(10, 10)), pngChunk('IEND', Buffer.alloc(0))])],
    ['png-signature-only.png', Buffer.concat([PNG_SIGNATURE, latin1('x')])],
    ['jpeg-header-only.jpg', Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x01])],
    ['jpeg-no-scan.jpg', jpegClaiming(100, 100, 11, false)],
    ['tiff-ifd-past-eof.tif', tiffClaiming(10, 10, 12, { ifdOffset: 0x7ffffff0 })],
    ['tiff-ifd-loop.tif', tiffClaiming(4, 4, 13, { nextIfd: 24 })],
    ['webp-no-data.webp', webpClaiming(10, 10, 14)],
    // Past libpng's own limit of 10^6 px per side: the header itself does not decode.
    ['png-2g-wide.png', pngClaiming(2_000_000_000, 2, 2)],
    ['png-max.png', pngClaiming(0x7fffffff, 0x7fffffff, 3)],
  ];
  // libtiff notices the IFD loop and reads the one real (blank) page.
  for (const [name, bytes] of corruptImages)
    add(name, 'corrupt-image', name === 'tiff-ifd-loop.tif' ? 'NO_TEXT_FOUND' : 'CORRUPT_IMAGE', bytes, name);

  // Content, not the extension, decides: valid blank images under the wrong extension are read
  // as what they are (and, having no text, rejected NO_TEXT_FOUND after OCR), and a PDF named .png
  // is read as a PDF (its claimed page count gives it away).
  const { default: sharp } = await import('sharp');
  const blank = async (format: 'png' | 'jpeg' | 'tiff' | 'webp', shade: number): Promise<Buffer> => {
    const img = sharp({ create: { width: 48, height: 32, channels: 3, background: { r: shade, g: shade, b: shade } } });
    return format === 'png'
      ? img.png().toBuffer()
      : format === 'jpeg'
        ? img.jpeg({ quality: 90 }).toBuffer()
        : format === 'tiff'
          ? img.tiff().toBuffer()
          : img.webp({ lossless: true }).toBuffer();
  };
  const sniffed: [string, Buffer, string][] = [
    ['blank-png.pdf', await blank('png', 255), 'NO_TEXT_FOUND'],
    ['blank-jpeg.png', await blank('jpeg', 254), 'NO_TEXT_FOUND'],
    ['blank-tiff.jpg', await blank('tiff', 253), 'NO_TEXT_FOUND'],
    ['blank-webp.tiff', await blank('webp', 252), 'NO_TEXT_FOUND'],
    ['blank-png-no-extension', await blank('png', 251), 'NO_TEXT_FOUND'],
    [
      'pdf-named.png',
      onePage(mark(), { page: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10000000] /Contents 4 0 R >>' }),
      'PAGE_TOO_LARGE',
    ],
    [
      'pdf-named.jpg',
      onePage(mark(), { page: '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10000000 10] /Contents 4 0 R >>' }),
      'PAGE_TOO_LARGE',
    ],
    ['png-bomb-named.pdf', pngClaiming(50_000, 50_000, 15), 'IMAGE_TOO_LARGE'],
  ];
  for (const [name, bytes, code] of sniffed) add(name, 'sniffed-by-content', code, bytes, `${name}: content decides`);

  // Hostile names (a name cannot hold '/' or NUL; see the test for NUL). Content: unique, corrupt.
  const names: (string | Buffer)[] = [
    // (A name starting with '.' is hidden, and hidden entries are not inputs: see listInbox.)
    '%2e%2e%2f..%2F..%2Fescape.pdf',
    'dir\\..\\..\\..\\windows\\system32.pdf',
    'trailing-dots...',
    '..',
    '-rf.pdf',
    '--help',
    '-',
    'line\nbreak.pdf',
    'carriage\rreturn.pdf',
    'tab\there.pdf',
    '\x1b[31mred\x1b[0m.pdf',
    '\x1b]0;pwned\x07title.pdf',
    '\x1b[2J\x1b[Hclear.pdf',
    '\u202eevil\u202dfdp.pdf',
    '$(touch pwned).pdf',
    '`id`; rm -rf ~.pdf',
    "quote\"s and 'spaces' .pdf",
    'x'.repeat(251) + '.pdf',
    '\u00e9'.repeat(125) + '.pdf',
    Buffer.from([0xff, 0xfe, 0x2e, 0x70, 0x64, 0x66]),
    Buffer.concat([Buffer.from('caf'), Buffer.from([0xe9]), Buffer.from('.pdf')]),
    Buffer.concat([Buffer.from([0xc0, 0xaf]), Buffer.from('..'), Buffer.from([0xc0, 0xaf]), Buffer.from('overlong.pdf')]),
    Buffer.from([0x80, 0x81, 0x82, 0x0a, 0x1b, 0x5b, 0x33, 0x31, 0x6d]),
  ];
  for (const name of names) {
    const bytes = latin1(`%PDF-1.7\n% ${mark()}\nnot a PDF body\n%%EOF\n`);
    // '..' itself cannot be created (it is the parent); it stands in for the name check below.
    if (name === '..') continue;
    add(
      name,
      'hostile-name',
      'CORRUPT_PDF',
      bytes,
      `hostile name (${JSON.stringify(Buffer.isBuffer(name) ? name.toString('latin1') : name).slice(0, 40)})`,
    );
  }

  // Symlinks: never followed, whatever they point at.
  const outsideFile = path.join(options.outside, 'outside-secret.pdf');
  writeFileSync(outsideFile, latin1(`%PDF-1.7\n% ${mark()}\n`));
  mkdirSync(path.join(options.outside, 'dir'), { recursive: true });
  writeFileSync(path.join(inbox, 'link-target-inside.pdf'), latin1(`%PDF-1.7\n% ${mark()} inside\n`));
  add('link-target-inside.pdf', 'corrupt-pdf', 'CORRUPT_PDF', null, 'the regular file an inbox symlink points at');
  const links: [string, string][] = [
    ['link-outside.pdf', outsideFile],
    ['link-dev-zero.pdf', '/dev/zero'],
    ['link-dev-urandom.pdf', '/dev/urandom'],
    ['link-etc-passwd.pdf', '/etc/passwd'],
    ['link-proc-self-mem.pdf', '/proc/self/mem'],
    ['link-dangling.pdf', path.join(options.outside, 'does-not-exist.pdf')],
    ['link-self.pdf', 'link-self.pdf'],
    ['link-loop-a.pdf', 'link-loop-b.pdf'],
    ['link-loop-b.pdf', 'link-loop-a.pdf'],
    ['link-dir-outside', path.join(options.outside, 'dir')],
    ['link-inbox-itself', '.'],
    ['link-parent', '..'],
    ['link-inside.pdf', 'link-target-inside.pdf'],
  ];
  for (const [name, target] of links) special(name, 'symlink', `symlink to ${target}`, (full) => symlinkSync(target, full));

  // FIFOs: opening one for reading would block until a writer appears.
  for (const name of ['pipe.pdf', 'pipe-2.png']) special(name, 'fifo', 'FIFO', (full) => execFileSync('mkfifo', [full]));

  // Past the file-size limit (sparse: no disk used in the inbox).
  for (const [name, head] of [
    ['huge-sparse.pdf', `%PDF-1.7\n% ${mark()}\n`],
    ['huge-sparse.png', '\x89PNG\r\n\x1a\n'],
  ] as const) {
    const full = path.join(inbox, name);
    writeFileSync(full, latin1(head + mark()));
    truncateSync(full, options.maxFileBytes + 1 + serial);
    add(name, 'too-large', 'TOO_LARGE', null, `sparse file of ${options.maxFileBytes + 1 + serial} bytes`);
  }

  return manifest;
};

/** A file name as a terminal-safe string for test messages. */
export const showName = (name: Buffer): string => JSON.stringify(name.toString('latin1'));
