import { describe, expect, it } from 'vitest';
import { sniffMediaType } from '../../../src/domain/sniff.js';

const bytes = (...parts: (number[] | string)[]): Uint8Array =>
  new Uint8Array(parts.flatMap((p) => (typeof p === 'string' ? [...new TextEncoder().encode(p)] : p)));

describe('sniffMediaType', () => {
  it('recognises a PDF header at offset 0', () => {
    expect(sniffMediaType(bytes('%PDF-1.7\n%\u00e2\u00e3\n1 0 obj'))).toBe('application/pdf');
  });

  it('recognises a PDF header after junk within the first 1 KB', () => {
    expect(sniffMediaType(bytes(new Array<number>(1000).fill(0x20), '%PDF-1.4'))).toBe('application/pdf');
    expect(sniffMediaType(bytes(new Array<number>(1019).fill(0xff), '%PDF-'))).toBe('application/pdf');
  });

  it('does not look for a PDF header beyond the first 1 KB', () => {
    expect(sniffMediaType(bytes(new Array<number>(1020).fill(0x20), '%PDF-1.4'))).toBeNull();
  });

  it('needs the full "%PDF-" marker', () => {
    expect(sniffMediaType(bytes('%PDF'))).toBeNull();
    expect(sniffMediaType(bytes('%pdf-1.7'))).toBeNull();
  });

  it('recognises PNG', () => {
    expect(sniffMediaType(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]))).toBe('image/png');
  });

  it('does not take a truncated PNG signature for PNG', () => {
    expect(sniffMediaType(bytes([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a]))).toBeNull();
  });

  it('recognises JPEG', () => {
    expect(sniffMediaType(bytes([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46]))).toBe('image/jpeg');
    expect(sniffMediaType(bytes([0xff, 0xd8, 0xff, 0xe1]))).toBe('image/jpeg');
  });

  it('recognises little-endian and big-endian TIFF', () => {
    expect(sniffMediaType(bytes([0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0]))).toBe('image/tiff');
    expect(sniffMediaType(bytes([0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8]))).toBe('image/tiff');
  });

  it('does not accept mixed TIFF byte orders', () => {
    expect(sniffMediaType(bytes([0x49, 0x49, 0x00, 0x2a]))).toBeNull();
    expect(sniffMediaType(bytes([0x4d, 0x4d, 0x2a, 0x00]))).toBeNull();
  });

  it('recognises WebP only with both RIFF and WEBP', () => {
    expect(sniffMediaType(bytes('RIFF', [0x24, 0, 0, 0], 'WEBPVP8 '))).toBe('image/webp');
    expect(sniffMediaType(bytes('RIFF', [0x24, 0, 0, 0], 'WAVEfmt '))).toBeNull();
  });

  it('recognises BMP', () => {
    expect(sniffMediaType(bytes('BM', [0x36, 0x28, 0, 0, 0, 0]))).toBe('image/bmp');
  });

  it.each([
    ['empty', bytes()],
    ['plain text', bytes('Invoice No: INV-1')],
    ['a ZIP (docx) file', bytes([0x50, 0x4b, 0x03, 0x04, 0x14, 0])],
    ['a GIF', bytes('GIF89a')],
    ['one byte', bytes([0xff])],
  ])('returns null for %s', (_what, input) => {
    expect(sniffMediaType(input)).toBeNull();
  });
});
