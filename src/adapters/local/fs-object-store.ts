import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentId } from '../../domain/document.js';
import { ArtifactIntegrityError, ArtifactMissingError, DependencyUnavailableError } from '../../domain/errors.js';
import type { ObjectStore } from '../../ports/object-store.js';
import { headerLengthOf, overheadOf, type EnvelopeCipher } from './envelope-cipher.js';
import type { DataClassification } from './keyring.js';

const isErrno = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException | null)?.code === code;

/** Encryption at rest of the originals (off when absent: files are the plain bytes, as ever). */
export interface ObjectEncryption {
  readonly cipher: EnvelopeCipher;
  readonly classification: DataClassification;
}

/** The logical name an original is encrypted under (bound into its AAD). */
export const objectName = (documentId: DocumentId): string => `object:${documentId}`;

/**
 * Originals in `<dataDir>/objects/ab/abcdef…`, named by their SHA-256. Files are written once
 * (temp file + fsync + rename) and made read-only; processing never changes or deletes them.
 * With encryption on, a file holds the original AES-256-GCM-encrypted (envelope-cipher.ts); ids
 * stay the SHA-256 of the plaintext, so the same bytes still land once.
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(
    dataDir: string,
    private readonly encryption?: ObjectEncryption,
  ) {
    this.root = path.join(dataDir, 'objects');
  }

  get encrypted(): boolean {
    return this.encryption !== undefined;
  }

  pathOf(documentId: DocumentId): string {
    return path.join(this.root, documentId.slice(0, 2), documentId);
  }

  async get(documentId: DocumentId): Promise<Uint8Array> {
    let bytes: Uint8Array;
    try {
      bytes = await readFile(this.pathOf(documentId));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ArtifactMissingError('original not found in the object store');
      throw new DependencyUnavailableError(`object store read failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if (!this.encryption) return bytes;
    try {
      return (await this.encryption.cipher.decrypt(bytes, objectName(documentId))).plaintext;
    } catch (err) {
      if (err instanceof ArtifactIntegrityError) throw new ArtifactIntegrityError(`original ${documentId}: ${err.message}`);
      throw err;
    }
  }

  async size(documentId: DocumentId): Promise<number | null> {
    try {
      const st = await stat(this.pathOf(documentId));
      if (!this.encryption) return st.size;
      // The plaintext size: the file minus the header (read from its first bytes) and the tag.
      const headerLength = await this.headerLength(documentId);
      if (headerLength === null) throw new ArtifactIntegrityError(`original ${documentId}: not encrypted, but encryption is on`);
      return st.size - overheadOf(headerLength);
    } catch (err) {
      if (err instanceof ArtifactIntegrityError) throw err;
      if (isErrno(err, 'ENOENT')) return null;
      throw new DependencyUnavailableError(`object store stat failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /** The header length of a stored encrypted original; null when the file is not encrypted. */
  private async headerLength(documentId: DocumentId): Promise<number | null> {
    const fh = await open(this.pathOf(documentId), 'r');
    try {
      const prefix = Buffer.alloc(8);
      const { bytesRead } = await fh.read(prefix, 0, prefix.length, 0);
      return headerLengthOf(prefix.subarray(0, bytesRead));
    } finally {
      await fh.close();
    }
  }

  /**
   * Copies a file into the store while hashing it, in one streaming pass (no whole-file buffer).
   * Idempotent: the same bytes land once. Returns the id, the size and whether it was new.
   */
  async ingestFile(file: string): Promise<{ documentId: DocumentId; size: number; added: boolean }> {
    if (this.encryption) return this.ingestEncrypted(file, this.encryption);
    await mkdir(this.root, { recursive: true });
    const tmp = path.join(this.root, `.ingest-${process.pid}-${randomBytes(6).toString('hex')}`);
    const hash = createHash('sha256');
    let size = 0;
    const out = await open(tmp, 'wx', 0o600);
    try {
      for await (const chunk of createReadStream(file)) {
        const buf = chunk as Buffer;
        hash.update(buf);
        size += buf.length;
        await out.write(buf);
      }
      await out.sync();
    } catch (err) {
      await out.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await out.close();
    const documentId = hash.digest('hex');
    const dest = this.pathOf(documentId);
    await mkdir(path.dirname(dest), { recursive: true });
    if ((await this.size(documentId)) !== null) {
      await unlink(tmp);
      return { documentId, size, added: false };
    }
    await chmod(tmp, 0o444);
    try {
      // link() fails if the target exists, so a concurrent ingest of the same bytes cannot clobber.
      await link(tmp, dest);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    }
    await unlink(tmp);
    return { documentId, size, added: true };
  }

  /**
   * Encrypted ingest. The id (the plaintext's SHA-256) is part of the AAD, which GCM needs before
   * the first ciphertext byte, so this hashes in one streaming pass and encrypts in a second,
   * hashing again: a file that changed in between is refused rather than stored under a wrong id.
   * A duplicate costs one read and no write. A plaintext original left from before encryption
   * was turned on is replaced by its encrypted form.
   */
  private async ingestEncrypted(file: string, enc: ObjectEncryption): Promise<{ documentId: DocumentId; size: number; added: boolean }> {
    await mkdir(this.root, { recursive: true });
    const first = createHash('sha256');
    let size = 0;
    for await (const chunk of createReadStream(file)) {
      first.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const documentId = first.digest('hex');
    const dest = this.pathOf(documentId);
    let existing: 'encrypted' | 'plain' | null;
    try {
      existing = (await this.size(documentId)) === null ? null : 'encrypted';
    } catch (err) {
      if (!(err instanceof ArtifactIntegrityError)) throw err;
      existing = 'plain';
    }
    if (existing === 'encrypted') return { documentId, size, added: false };
    const tmp = path.join(this.root, `.ingest-${process.pid}-${randomBytes(6).toString('hex')}`);
    const out = await open(tmp, 'wx', 0o600);
    try {
      const e = await enc.cipher.encryptor(enc.classification, objectName(documentId));
      const second = createHash('sha256');
      await out.write(e.header);
      for await (const chunk of createReadStream(file)) {
        second.update(chunk as Buffer);
        await out.write(e.update(chunk as Buffer));
      }
      await out.write(e.final());
      await out.sync();
      if (second.digest('hex') !== documentId) throw new Error('the file changed while it was being ingested');
    } catch (err) {
      await out.close();
      await unlink(tmp).catch(() => undefined);
      throw err;
    }
    await out.close();
    await mkdir(path.dirname(dest), { recursive: true });
    await chmod(tmp, 0o444);
    try {
      if (existing === 'plain') await rename(tmp, dest);
      else await link(tmp, dest);
    } catch (err) {
      if (!isErrno(err, 'EEXIST')) {
        await unlink(tmp).catch(() => undefined);
        throw err;
      }
    }
    await unlink(tmp).catch(() => undefined);
    return { documentId, size, added: true };
  }

  /** Removes temp files left by processes that died mid-ingest (never stored originals). */
  async sweepTemp(): Promise<void> {
    let names: string[];
    try {
      names = await readdir(this.root);
    } catch {
      return;
    }
    const orphans = names.filter((n) => {
      const pid = Number(/^\.ingest-(\d+)-/.exec(n)?.[1]);
      return Number.isInteger(pid) && pid > 0 && !isAlive(pid);
    });
    await Promise.all(orphans.map((n) => unlink(path.join(this.root, n)).catch(() => undefined)));
  }
}

export const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return isErrno(err, 'EPERM');
  }
};
