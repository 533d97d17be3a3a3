import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { chmod, link, mkdir, open, readdir, readFile, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import type { DocumentId } from '../../domain/document.js';
import { ArtifactMissingError, DependencyUnavailableError } from '../../domain/errors.js';
import type { ObjectStore } from '../../ports/object-store.js';

const isErrno = (err: unknown, code: string): boolean => (err as NodeJS.ErrnoException | null)?.code === code;

/**
 * Originals in `<dataDir>/objects/ab/abcdef…`, named by their SHA-256. Files are written once
 * (temp file + fsync + rename) and made read-only; processing never changes or deletes them.
 */
export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(dataDir: string) {
    this.root = path.join(dataDir, 'objects');
  }

  pathOf(documentId: DocumentId): string {
    return path.join(this.root, documentId.slice(0, 2), documentId);
  }

  async get(documentId: DocumentId): Promise<Uint8Array> {
    try {
      return await readFile(this.pathOf(documentId));
    } catch (err) {
      if (isErrno(err, 'ENOENT')) throw new ArtifactMissingError('original not found in the object store');
      throw new DependencyUnavailableError(`object store read failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  async size(documentId: DocumentId): Promise<number | null> {
    try {
      return (await stat(this.pathOf(documentId))).size;
    } catch (err) {
      if (isErrno(err, 'ENOENT')) return null;
      throw new DependencyUnavailableError(`object store stat failed (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  }

  /**
   * Copies a file into the store while hashing it, in one streaming pass (no whole-file buffer).
   * Idempotent: the same bytes land once. Returns the id, the size and whether it was new.
   */
  async ingestFile(file: string): Promise<{ documentId: DocumentId; size: number; added: boolean }> {
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
