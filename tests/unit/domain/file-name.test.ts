import { describe, expect, it } from 'vitest';
import { escapeFileName } from '../../../src/domain/file-name.js';

describe('escapeFileName', () => {
  it('leaves ordinary UTF-8 names alone', () => {
    expect(escapeFileName('invoice 2026-10 (copy).pdf')).toBe('invoice 2026-10 (copy).pdf');
    expect(escapeFileName('Rechnung für März – 日本.pdf')).toBe('Rechnung für März – 日本.pdf');
  });

  it('escapes control characters, terminal escapes, bidi overrides and the backslash', () => {
    expect(escapeFileName('a\nb\rc\td.pdf')).toBe('a\\nb\\rc\\td.pdf');
    expect(escapeFileName('\x1b[31mred\x1b[0m.pdf')).toBe('\\x1b[31mred\\x1b[0m.pdf');
    expect(escapeFileName('\u202eevil\u202dfdp.pdf')).toBe('\\u202eevil\\u202dfdp.pdf');
    expect(escapeFileName('..\\..\\x.pdf')).toBe('..\\\\..\\\\x.pdf');
    // NUL cannot be in a POSIX file name, but an upload's file name field can carry one.
    expect(escapeFileName('a\0b.pdf')).toBe('a\\x00b.pdf');
    expect(escapeFileName(Buffer.from([0xc2, 0x9b, 0x41]))).toBe('\\x9bA'); // C1 CSI
  });

  it('renders bytes that are not UTF-8 as \\xNN, including overlong and surrogate forms', () => {
    expect(escapeFileName(Buffer.from([0xff, 0xfe, 0x2e, 0x70, 0x64, 0x66]))).toBe('\\xff\\xfe.pdf');
    expect(escapeFileName(Buffer.from([0x63, 0x61, 0x66, 0xe9]))).toBe('caf\\xe9');
    expect(escapeFileName(Buffer.from([0xc0, 0xaf]))).toBe('\\xc0\\xaf'); // an overlong '/'
    expect(escapeFileName(Buffer.from([0xed, 0xa0, 0x80]))).toBe('\\xed\\xa0\\x80'); // a UTF-16 surrogate
    expect(escapeFileName(Buffer.from([0xe2, 0x82]))).toBe('\\xe2\\x82'); // cut short
  });

  it('never prints two different names the same', () => {
    const names = [
      Buffer.from('\\x41'),
      Buffer.from('A'),
      Buffer.from([0x41]),
      Buffer.from('\\\\x41'),
      Buffer.from([0x5c, 0x78, 0x34, 0x31]),
    ];
    const distinct = new Map(names.map((n) => [n.toString('hex'), escapeFileName(n)]));
    expect(new Set(distinct.values()).size).toBe(distinct.size);
    // eslint-disable-next-line no-control-regex -- control characters are what is checked for
    for (let b = 0; b < 256; b++) expect(escapeFileName(Buffer.from([b]))).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
  });
});
