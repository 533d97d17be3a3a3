import { createHash, randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArtifactMissingError } from '../../src/domain/errors.js';
import type { ObjectStore } from '../../src/ports/object-store.js';

/**
 * The ObjectStore port's contract, as one suite every adapter runs (see STYLE.md, "contract").
 * What callers may rely on: originals are named by the SHA-256 of their bytes, `get` returns
 * exactly those bytes, an unknown id is ArtifactMissingError, `size` is null when absent, and
 * storing the same bytes again changes nothing.
 */

export interface IngestOutcome {
  readonly documentId: string;
  readonly size: number;
  readonly added: boolean;
}

export interface ObjectStoreFixture {
  readonly store: ObjectStore;
  /** Brings bytes in the way this adapter's ingest does (a local file; an uploaded S3 object). */
  ingest(bytes: Uint8Array, name: string): Promise<IngestOutcome>;
  close(): Promise<void>;
}

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

/** Every byte value, then random bytes: not text, not valid UTF-8, larger than any single read. */
const binary = (size: number): Uint8Array => {
  const out = new Uint8Array(size);
  for (let i = 0; i < 256; i += 1) out[i] = i;
  out.set(randomBytes(size - 256), 256);
  return out;
};

export const objectStoreContract = (name: string, setup: () => Promise<ObjectStoreFixture>): void => {
  describe(`ObjectStore contract: ${name}`, () => {
    let f: ObjectStoreFixture;
    beforeAll(async () => {
      f = await setup();
    });
    afterAll(async () => {
      await f.close();
    });

    it('names an original by the SHA-256 of its bytes and returns exactly those bytes', async () => {
      const bytes = new TextEncoder().encode(`%PDF-1.7\n% contract ${randomBytes(8).toString('hex')}\n%%EOF\n`);
      const { documentId, size, added } = await f.ingest(bytes, 'invoice.pdf');
      expect(documentId).toBe(sha256(bytes));
      expect(size).toBe(bytes.length);
      expect(added).toBe(true);
      expect(Buffer.from(await f.store.get(documentId)).equals(Buffer.from(bytes))).toBe(true);
    });

    it('returns a multi-megabyte binary byte for byte', async () => {
      const bytes = binary(6 * 1024 * 1024 + 17);
      const { documentId } = await f.ingest(bytes, 'scan.tiff');
      expect(documentId).toBe(sha256(bytes));
      const got = await f.store.get(documentId);
      expect(got.length).toBe(bytes.length);
      expect(sha256(got)).toBe(documentId);
      expect(Buffer.from(got).equals(Buffer.from(bytes))).toBe(true);
    });

    it('stores the same bytes once: a second ingest gives the same id and adds nothing', async () => {
      const bytes = binary(4096);
      const first = await f.ingest(bytes, 'a.png');
      const second = await f.ingest(bytes, 'renamed copy.png');
      expect(second).toEqual({ documentId: first.documentId, size: bytes.length, added: false });
      expect(Buffer.from(await f.store.get(first.documentId)).equals(Buffer.from(bytes))).toBe(true);
    });

    it('keeps earlier originals unchanged when other bytes arrive', async () => {
      const a = binary(2048);
      const b = binary(2048);
      const ia = await f.ingest(a, 'a.bin');
      await f.ingest(b, 'a.bin');
      expect(sha256(await f.store.get(ia.documentId))).toBe(ia.documentId);
    });

    it('stores an empty file (whether it is usable is the Extract step’s call)', async () => {
      const { documentId, size } = await f.ingest(new Uint8Array(0), 'empty.pdf');
      expect(documentId).toBe(sha256(new Uint8Array(0)));
      expect(size).toBe(0);
      expect(await f.store.size(documentId)).toBe(0);
      expect((await f.store.get(documentId)).length).toBe(0);
    });

    it('reports the size of a stored original, and null for an absent one', async () => {
      const bytes = binary(12_345);
      const { documentId } = await f.ingest(bytes, 'b.bin');
      expect(await f.store.size(documentId)).toBe(12_345);
      expect(await f.store.size(sha256(randomBytes(32)))).toBeNull();
    });

    it('throws ArtifactMissingError for an unknown id', async () => {
      await expect(f.store.get(sha256(randomBytes(32)))).rejects.toBeInstanceOf(ArtifactMissingError);
    });
  });
};
