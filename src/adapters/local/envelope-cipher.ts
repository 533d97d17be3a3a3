import { createCipheriv, createDecipheriv, randomBytes, type CipherGCM } from 'node:crypto';
import { link, mkdir, open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ArtifactIntegrityError, KeyUnavailableError } from '../../domain/errors.js';
import { DATA_CLASSIFICATIONS, type DataClassification, type Keyring } from './keyring.js';

/**
 * Envelope encryption at rest, the local mirror of KMS + S3 SSE-KMS:
 *
 * - each data directory keeps data keys (DEKs) per classification in `<dataDir>/keys/<c>.json`,
 *   each wrapped (AES-256-GCM) by a version of the classification's master key in the keyring,
 *   with the classification and both key ids as AAD, so a wrapped key cannot be moved to another
 *   classification or passed off as another key;
 * - objects are AES-256-GCM under the current DEK: header (magic `DRENC1`, classification, DEK id,
 *   logical name, 12-byte random nonce) + ciphertext + 16-byte tag, with the whole header as AAD.
 *   The logical name (`object:<id>`, `decision:<outcome>/<entry>`…) is in the header and checked
 *   by readers against the name they expect, so a file swapped for another fails to open;
 * - rotating a master key re-wraps the DEK files only: data files keep their bytes.
 *
 * Errors name classifications, key ids and the kind of object, never data or key material.
 */

const MAGIC = Buffer.from('DRENC1', 'ascii');
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
/** Fixed part of the header: magic + u16 header length. */
const PREFIX_BYTES = MAGIC.length + 2;

export interface EncryptedHeader {
  readonly classification: DataClassification;
  readonly dekId: string;
  readonly name: string;
  readonly nonce: Buffer;
  /** Header length in bytes (the ciphertext starts here). */
  readonly length: number;
}

/** Bytes an encrypted object adds to its plaintext, given its header length. */
export const overheadOf = (headerLength: number): number => headerLength + TAG_BYTES;

/** True when `bytes` starts like an encrypted object (enough to tell ours from a PDF or an image). */
export const looksEncrypted = (bytes: Uint8Array): boolean => bytes.length >= MAGIC.length && MAGIC.equals(bytes.subarray(0, MAGIC.length));

/** The header's total length from its first bytes, or null when they are not an encrypted object's. */
export const headerLengthOf = (prefix: Uint8Array): number | null =>
  prefix.length >= PREFIX_BYTES && looksEncrypted(prefix) ? Buffer.from(prefix).readUInt16BE(MAGIC.length) : null;

const encodeHeader = (classification: DataClassification, dekId: string, name: string, nonce: Buffer): Buffer => {
  const c = Buffer.from(classification, 'utf8');
  const d = Buffer.from(dekId, 'utf8');
  const n = Buffer.from(name, 'utf8');
  if (n.length > 0xffff - 64) throw new ArtifactIntegrityError('logical name too long for an encrypted object');
  const length = PREFIX_BYTES + 1 + c.length + 1 + d.length + 2 + n.length + NONCE_BYTES;
  const out = Buffer.alloc(length);
  let at = MAGIC.copy(out, 0);
  at = out.writeUInt16BE(length, at);
  at = out.writeUInt8(c.length, at);
  at += c.copy(out, at);
  at = out.writeUInt8(d.length, at);
  at += d.copy(out, at);
  at = out.writeUInt16BE(n.length, at);
  at += n.copy(out, at);
  nonce.copy(out, at);
  return out;
};

/** Parses an encrypted object's header; ArtifactIntegrityError when it is not one or is cut short. */
export const parseHeader = (bytes: Uint8Array): EncryptedHeader => {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const length = headerLengthOf(buf);
  if (length === null) throw new ArtifactIntegrityError('not an encrypted object (no DRENC1 header), but encryption is on');
  const bad = (): never => {
    throw new ArtifactIntegrityError('encrypted object with a damaged header');
  };
  if (buf.length < length + TAG_BYTES) bad();
  let at = PREFIX_BYTES;
  const take = (n: number): Buffer => {
    if (at + n > length) bad();
    const s = buf.subarray(at, at + n);
    at += n;
    return s;
  };
  const classification = take(take(1).readUInt8(0)).toString('utf8');
  const dekId = take(take(1).readUInt8(0)).toString('utf8');
  const name = take(take(2).readUInt16BE(0)).toString('utf8');
  const nonce = Buffer.from(take(NONCE_BYTES));
  if (at !== length || !(DATA_CLASSIFICATIONS as readonly string[]).includes(classification)) bad();
  return { classification: classification as DataClassification, dekId, name, nonce, length };
};

// --- Data keys ------------------------------------------------------------------------------

const WrappedKeySchema = z
  .object({
    id: z.string().regex(/^dek-[0-9a-f]{16}$/),
    created: z.string(),
    kekId: z.string(),
    nonce: z.string(),
    wrapped: z.string(),
  })
  .strict();
const DataKeyFileSchema = z
  .object({
    format: z.literal('docroute-data-keys/1'),
    classification: z.enum(DATA_CLASSIFICATIONS),
    keys: z.array(WrappedKeySchema).min(1),
  })
  .strict();
type DataKeyFile = z.output<typeof DataKeyFileSchema>;
type WrappedKey = z.output<typeof WrappedKeySchema>;

const wrapAad = (classification: DataClassification, kekId: string, dekId: string): Buffer =>
  Buffer.from(`docroute-dek/1\0${classification}\0${kekId}\0${dekId}`, 'utf8');

const wrap = (
  classification: DataClassification,
  kek: { id: string; key: Buffer },
  dekId: string,
  dek: Buffer,
  created: string,
): WrappedKey => {
  const nonce = randomBytes(NONCE_BYTES);
  const c = createCipheriv('aes-256-gcm', kek.key, nonce);
  c.setAAD(wrapAad(classification, kek.id, dekId));
  const wrapped = Buffer.concat([c.update(dek), c.final(), c.getAuthTag()]);
  return { id: dekId, created, kekId: kek.id, nonce: nonce.toString('base64'), wrapped: wrapped.toString('base64') };
};

const unwrap = (classification: DataClassification, keyring: Keyring, w: WrappedKey): Buffer => {
  const kek = keyring.version(classification, w.kekId);
  const blob = Buffer.from(w.wrapped, 'base64');
  try {
    const d = createDecipheriv('aes-256-gcm', kek, Buffer.from(w.nonce, 'base64'));
    d.setAAD(wrapAad(classification, w.kekId, w.id));
    d.setAuthTag(blob.subarray(blob.length - TAG_BYTES));
    const dek = Buffer.concat([d.update(blob.subarray(0, blob.length - TAG_BYTES)), d.final()]);
    if (dek.length !== KEY_BYTES) throw new Error('length');
    return dek;
  } catch {
    throw new KeyUnavailableError(
      `key ${w.kekId} (classification ${classification}) cannot unwrap data key ${w.id}: wrong keyring or a damaged key file`,
    );
  }
};

/** One line of `keys status` for a data directory's data keys. */
export interface DataKeyInfo {
  readonly classification: DataClassification;
  readonly id: string;
  readonly created: string;
  readonly kekId: string;
  readonly current: boolean;
}

/**
 * The data keys of one data directory. The first write of a classification creates its DEK
 * (atomically: two processes starting at once end up with one). Unwrapped keys are cached for the
 * life of the process, like a KMS data-key cache: disabling a master key takes effect when a
 * process next opens the keys.
 */
export class DataKeys {
  readonly dir: string;
  private readonly cache = new Map<string, Buffer>();

  constructor(
    dataDir: string,
    private readonly keyring: Keyring,
  ) {
    this.dir = path.join(dataDir, 'keys');
  }

  private fileOf(classification: DataClassification): string {
    return path.join(this.dir, `${classification}.json`);
  }

  private async read(classification: DataClassification): Promise<DataKeyFile | null> {
    let text: string;
    try {
      text = await readFile(this.fileOf(classification), 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw new KeyUnavailableError(
        `cannot read the data keys of classification ${classification} (${(err as NodeJS.ErrnoException).code ?? 'error'})`,
      );
    }
    let parsed;
    try {
      parsed = DataKeyFileSchema.safeParse(JSON.parse(text));
    } catch {
      parsed = null;
    }
    if (!parsed?.success || parsed.data.classification !== classification) {
      throw new KeyUnavailableError(`the data key file of classification ${classification} is damaged`);
    }
    return parsed.data;
  }

  private async write(file: DataKeyFile, create: boolean): Promise<void> {
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const dest = this.fileOf(file.classification);
    const tmp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(file, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      if (create) await link(tmp, dest);
      else await rename(tmp, dest);
    } finally {
      await unlink(tmp).catch(() => undefined);
    }
  }

  /** The DEK new objects of `classification` are encrypted with; created on first use. */
  async current(classification: DataClassification): Promise<{ id: string; key: Buffer }> {
    let file = await this.read(classification);
    if (!file) {
      const kek = this.keyring.current(classification);
      const id = `dek-${randomBytes(8).toString('hex')}`;
      const dek = randomBytes(KEY_BYTES);
      const fresh: DataKeyFile = {
        format: 'docroute-data-keys/1',
        classification,
        keys: [wrap(classification, kek, id, dek, new Date().toISOString())],
      };
      try {
        await this.write(fresh, true);
        this.cache.set(`${classification}/${id}`, dek);
        return { id, key: dek };
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        file = await this.read(classification); // another process created it first: use theirs
        if (!file) throw err;
      }
    }
    const last = file.keys.at(-1);
    if (!last) throw new KeyUnavailableError(`no data key for classification ${classification}`);
    return { id: last.id, key: await this.byId(classification, last.id, file) };
  }

  /** A DEK by id (to decrypt); KeyUnavailableError when it, or the master key wrapping it, is unavailable. */
  async byId(classification: DataClassification, id: string, known?: DataKeyFile): Promise<Buffer> {
    const cached = this.cache.get(`${classification}/${id}`);
    if (cached) return cached;
    const file = known ?? (await this.read(classification));
    const w = file?.keys.find((k) => k.id === id);
    if (!w) throw new KeyUnavailableError(`data key ${id} (classification ${classification}) is not in ${this.dir}`);
    const dek = unwrap(classification, this.keyring, w);
    this.cache.set(`${classification}/${id}`, dek);
    return dek;
  }

  /**
   * Re-wraps every DEK of a classification under the keyring's current master key version (after
   * a rotation). Only the key file changes; it is replaced atomically.
   */
  async rewrap(classification: DataClassification): Promise<{ rewrapped: number; kekId: string }> {
    const kek = this.keyring.current(classification);
    const file = await this.read(classification);
    if (!file) return { rewrapped: 0, kekId: kek.id };
    const keys = file.keys.map((w) => wrap(classification, kek, w.id, unwrap(classification, this.keyring, w), w.created));
    await this.write({ ...file, keys }, false);
    return { rewrapped: keys.length, kekId: kek.id };
  }

  /** Opens every DEK of the given classifications (creating missing ones): fails fast on a bad key. */
  async check(classifications: Iterable<DataClassification>): Promise<void> {
    for (const c of new Set(classifications)) {
      await this.current(c);
      const file = await this.read(c);
      for (const w of file?.keys ?? []) await this.byId(c, w.id, file ?? undefined);
    }
  }

  async info(): Promise<DataKeyInfo[]> {
    const out: DataKeyInfo[] = [];
    for (const c of DATA_CLASSIFICATIONS) {
      const file = await this.read(c);
      file?.keys.forEach((w, i) =>
        out.push({ classification: c, id: w.id, created: w.created, kekId: w.kekId, current: i === file.keys.length - 1 }),
      );
    }
    return out;
  }
}

// --- Objects --------------------------------------------------------------------------------

/** A streaming encryption of one object: write `header`, then each `update`, then `final()`. */
export interface Encryptor {
  readonly header: Buffer;
  update(chunk: Uint8Array): Buffer;
  /** The last ciphertext bytes and the tag. */
  final(): Buffer;
}

export class EnvelopeCipher {
  constructor(readonly keys: DataKeys) {}

  async encryptor(classification: DataClassification, name: string): Promise<Encryptor> {
    const dek = await this.keys.current(classification);
    const nonce = randomBytes(NONCE_BYTES);
    const header = encodeHeader(classification, dek.id, name, nonce);
    const c: CipherGCM = createCipheriv('aes-256-gcm', dek.key, nonce);
    c.setAAD(header);
    return {
      header,
      update: (chunk) => c.update(chunk),
      final: () => Buffer.concat([c.final(), c.getAuthTag()]),
    };
  }

  async encrypt(classification: DataClassification, name: string, plaintext: Uint8Array): Promise<Buffer> {
    const e = await this.encryptor(classification, name);
    return Buffer.concat([e.header, e.update(plaintext), e.final()]);
  }

  /**
   * Decrypts and authenticates an object. `expectedName` (when given) must be the name it was
   * encrypted under: a file swapped for another is refused even though it authenticates.
   */
  async decrypt(blob: Uint8Array, expectedName?: string): Promise<{ plaintext: Buffer; header: EncryptedHeader }> {
    const header = parseHeader(blob);
    if (expectedName !== undefined && header.name !== expectedName) {
      throw new ArtifactIntegrityError(`an encrypted ${kindOf(expectedName)} holds another object's data (swapped or copied file)`);
    }
    const dek = await this.keys.byId(header.classification, header.dekId);
    const buf = Buffer.from(blob.buffer, blob.byteOffset, blob.byteLength);
    try {
      const d = createDecipheriv('aes-256-gcm', dek, header.nonce);
      d.setAAD(buf.subarray(0, header.length));
      d.setAuthTag(buf.subarray(buf.length - TAG_BYTES));
      const plaintext = Buffer.concat([d.update(buf.subarray(header.length, buf.length - TAG_BYTES)), d.final()]);
      return { plaintext, header };
    } catch {
      throw new ArtifactIntegrityError(
        `an encrypted ${kindOf(header.name)} failed authentication (tampered or corrupt; classification ${header.classification}, data key ${header.dekId})`,
      );
    }
  }
}

/** The kind of a logical name (`object`, `decision`…), safe for messages: never the name itself. */
const kindOf = (name: string): string => /^[a-z]+/.exec(name)?.[0] ?? 'object';

/** Opens the cipher for a data directory. */
export const openEnvelopeCipher = (dataDir: string, keyring: Keyring): EnvelopeCipher => new EnvelopeCipher(new DataKeys(dataDir, keyring));
