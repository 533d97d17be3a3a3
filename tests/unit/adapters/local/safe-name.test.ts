import { describe, expect, it } from 'vitest';
import { safeName } from '../../../../src/adapters/local/folder-route-sink.js';

describe('safeName (route entry names)', () => {
  it('keeps a name within 160 bytes of UTF-8, cut between characters, so any file system accepts it', () => {
    const name = `${'ü'.repeat(120)}.pdf`; // 244 bytes of UTF-8: too long for a 255-byte limit with a prefix
    const safe = safeName(name);
    expect(Buffer.byteLength(safe, 'utf8')).toBeLessThanOrEqual(160);
    expect(safe).toBe('ü'.repeat(80));
    expect(safeName('😀'.repeat(50))).toBe('😀'.repeat(40)); // 4-byte characters never split
  });

  it('drops directories, separators and control characters, and never starts with a dot', () => {
    expect(safeName('../../etc/passwd')).toBe('passwd');
    expect(safeName('..\\..\\x.pdf')).toBe('x.pdf');
    expect(safeName('.hidden')).toBe('_hidden');
    expect(safeName('a\u0000b\nc.pdf')).toBe('a_b_c.pdf');
    expect(safeName('')).toBe('document');
  });
});
