import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, readlink, rename, symlink, unlink, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { OUTCOMES, type Outcome, type RouteResult } from '../../domain/document.js';
import { DependencyUnavailableError, InvalidStepInputError, PipelineError } from '../../domain/errors.js';
import { storageError } from '../storage-errors.js';
import type { RouteSink } from '../../ports/route-sink.js';
import type { EnvelopeCipher } from './envelope-cipher.js';
import type { DataClassification } from './keyring.js';

/** Encryption at rest of route entries and decision records (off when absent). */
export interface RouteEncryption {
  readonly cipher: EnvelopeCipher;
  /** The outputs' classification: decision records, and entry copies. */
  readonly classification: DataClassification;
  /**
   * The originals' classification. When it is the outputs' one, an entry stays a link to the
   * (encrypted) original: no copy, same bytes. Otherwise the entry is a copy under the outputs' key.
   */
  readonly originalsClassification: DataClassification;
  readonly readOriginal: (documentId: string) => Promise<Uint8Array>;
}

/** The logical names route files are encrypted under: the outcome and entry, so a swap is detected. */
export const decisionRecordName = (outcome: Outcome, entryName: string): string => `decision:${outcome}/${entryName}`;
export const routeEntryName = (outcome: Outcome, entryName: string): string => `entry:${outcome}/${entryName}`;

/** A file-name-safe rendering of a customer file name: no separators, controls or leading dots. */
export const safeName = (name: string): string => {
  const base = path.basename(name.replace(/\\/g, '/'));
  // eslint-disable-next-line no-control-regex -- stripping control characters is the point
  const controls = /[\u0000-\u001f\u007f/]/g;
  const cleaned = base.replace(controls, '_').replace(/^\.+/, '_');
  return utf8Prefix(cleaned, 160) || 'document';
};

/**
 * The longest prefix of `s` within `maxBytes` of UTF-8, cut between code points: file names are
 * limited in bytes (255 on most file systems), and a name of 120 non-ASCII characters is not.
 */
const utf8Prefix = (s: string, maxBytes: number): string => {
  let bytes = 0;
  let out = '';
  for (const ch of s) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > maxBytes) break;
    bytes += n;
    out += ch;
  }
  return out;
};

/**
 * Route folders `<dataDir>/{pass,hold,reject}/`. Each entry is a symlink to the original in the
 * object store plus `<entry>.json` with the decision. Both are written atomically (temp + rename),
 * so a crash leaves either the old state or the new one, and a re-delivery rewrites identical bytes.
 * With encryption on, the decision record is encrypted (`docroute keys decrypt` reads it) and a
 * re-delivery whose plaintext is unchanged keeps the existing file, so its bytes stay identical.
 */
export class FolderRouteSink implements RouteSink {
  constructor(
    private readonly dataDir: string,
    private readonly originalPath: (documentId: string) => string,
    /** Per-outcome folders (`route.destinations.<outcome>.folder`); default `<dataDir>/<outcome>`. */
    private readonly folders: Partial<Record<Outcome, string>> = {},
    private readonly encryption?: RouteEncryption,
  ) {}

  /** The folder an outcome's entries go to. */
  dirOf(outcome: Outcome): string {
    return path.resolve(this.folders[outcome] ?? path.join(this.dataDir, outcome));
  }

  entryName(result: RouteResult): string {
    return `${result.documentId.slice(0, 12)}-${safeName(result.name)}`;
  }

  locate(outcome: Outcome, result: RouteResult): string {
    return path.join(this.dirOf(outcome), this.entryName(result));
  }

  async deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    const dir = this.dirOf(outcome);
    const entry = this.locate(outcome, result);
    const tag = `${process.pid}-${randomBytes(4).toString('hex')}`;
    const tmpJson = `${entry}.json.${tag}.tmp`;
    const tmpLink = `${entry}.${tag}.tmp`;
    const enc = this.encryption;
    const name = this.entryName(result);
    try {
      await mkdir(dir, { recursive: true });
      const record = Buffer.from(`${JSON.stringify(result, null, 2)}\n`, 'utf8');
      if (!enc) {
        await writeFile(tmpJson, record, { mode: 0o640 });
        await rename(tmpJson, `${entry}.json`);
      } else if (!(await this.holds(`${entry}.json`, decisionRecordName(outcome, name), record))) {
        await writeFile(tmpJson, await enc.cipher.encrypt(enc.classification, decisionRecordName(outcome, name), record), { mode: 0o640 });
        await rename(tmpJson, `${entry}.json`);
      }
      if (enc && enc.classification !== enc.originalsClassification) {
        const original = await enc.readOriginal(result.documentId);
        if (!(await this.holds(entry, routeEntryName(outcome, name), original))) {
          await writeFile(tmpLink, await enc.cipher.encrypt(enc.classification, routeEntryName(outcome, name), original), { mode: 0o640 });
          await rename(tmpLink, entry);
        }
      } else {
        const target = path.relative(dir, this.originalPath(result.documentId));
        const current = await readlink(entry).catch(() => null);
        if (current !== target) {
          await symlink(target, tmpLink);
          await rename(tmpLink, entry);
        }
      }
    } catch (err) {
      await Promise.all([unlink(tmpJson), unlink(tmpLink)].map((p) => p.catch(() => undefined)));
      // Key and integrity errors say what is wrong better than "cannot write".
      if (err instanceof PipelineError) throw err;
      throw storageError(err, `cannot write to the ${outcome} folder`);
    }
    return { location: entry };
  }

  /** Whether `file` already holds `plaintext` encrypted under `name` (then it is kept as it is). */
  private async holds(file: string, name: string, plaintext: Uint8Array): Promise<boolean> {
    if (!this.encryption) return false;
    try {
      const { plaintext: current } = await this.encryption.cipher.decrypt(await readFile(file), name);
      return current.equals(plaintext);
    } catch {
      return false; // absent, a link, or unreadable: write it anew
    }
  }

  /**
   * Removes an entry (the link, then its JSON) after a later decision moved the document elsewhere.
   * Only paths inside the route folders are touched, so a corrupted location can never reach the
   * originals or anything outside the data directory.
   */
  async withdraw(location: string): Promise<void> {
    const resolved = path.resolve(location);
    const inside = OUTCOMES.some((o) => path.dirname(resolved) === this.dirOf(o));
    if (!inside) throw new InvalidStepInputError('refusing to withdraw a route entry outside the route folders');
    for (const p of [resolved, `${resolved}.json`]) {
      try {
        await unlink(p);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
          throw new DependencyUnavailableError(`cannot withdraw a route entry (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
        }
      }
    }
  }

  /** Removes temp entries left by processes that died mid-delivery (a SIGKILL between write and rename). */
  async sweepTemp(isAlive: (pid: number) => boolean): Promise<void> {
    for (const outcome of OUTCOMES) {
      const dir = this.dirOf(outcome);
      const names = await readdir(dir).catch(() => [] as string[]);
      for (const n of names) {
        const pid = Number(/\.(\d+)-[0-9a-f]{8}\.tmp$/.exec(n)?.[1]);
        if (Number.isInteger(pid) && pid > 0 && !isAlive(pid)) await unlink(path.join(dir, n)).catch(() => undefined);
      }
    }
  }
}
