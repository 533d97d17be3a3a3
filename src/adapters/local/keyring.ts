import { randomBytes } from 'node:crypto';
import { link, open, readFile, rename, stat, unlink } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { ConfigError, KeyUnavailableError } from '../../domain/errors.js';

/**
 * The local keyring: master keys (key-encryption keys, KEKs) per data classification, the way
 * AWS has one KMS key per classification (infra/terraform/CONTRACT.md). A KEK never encrypts data:
 * it wraps the data keys each data directory keeps (envelope-cipher.ts). Each classification has
 * versions; the newest wraps, every enabled one unwraps, so rotation adds a version and re-wraps
 * the data keys without touching the data they encrypt.
 *
 * The keyring is a JSON file readable by its owner only (0600), or the same JSON base64-encoded in
 * DOCROUTE_KEYRING. Nothing here logs or prints key material: errors name classifications and key
 * ids only.
 */

export const DATA_CLASSIFICATIONS = ['restricted', 'confidential', 'internal', 'public'] as const;
export type DataClassification = (typeof DATA_CLASSIFICATIONS)[number];

const KEY_BYTES = 32;
const b64Key = z
  .string()
  .regex(/^[A-Za-z0-9+/]+={0,2}$/)
  .refine((s) => Buffer.from(s, 'base64').length === KEY_BYTES, { error: 'a key is 32 bytes, base64-encoded' });

const KeyVersionSchema = z
  .object({
    id: z.string().regex(/^kek-[a-z]+-[0-9a-f]{8,32}$/),
    created: z.string(),
    status: z.enum(['enabled', 'disabled']),
    key: b64Key,
  })
  .strict();

const KeyringSchema = z
  .object({
    format: z.literal('docroute-keyring/1'),
    classifications: z.partialRecord(z.enum(DATA_CLASSIFICATIONS), z.object({ versions: z.array(KeyVersionSchema).min(1) }).strict()),
  })
  .strict();

export type KeyringData = z.output<typeof KeyringSchema>;
export type KeyVersion = z.output<typeof KeyVersionSchema>;

/** What `keys status` shows of a key version: never the key itself. */
export interface KeyVersionInfo {
  readonly id: string;
  readonly created: string;
  readonly status: 'enabled' | 'disabled';
  readonly current: boolean;
}

export const newKeyVersion = (classification: DataClassification, now: Date): KeyVersion => ({
  id: `kek-${classification}-${randomBytes(6).toString('hex')}`,
  created: now.toISOString(),
  status: 'enabled',
  key: randomBytes(KEY_BYTES).toString('base64'),
});

export class Keyring {
  private constructor(
    private readonly data: KeyringData,
    /** The file it came from; null when it came from the environment (read-only then). */
    readonly file: string | null,
  ) {}

  /** A new keyring with one enabled KEK per classification. */
  static generate(now: Date): Keyring {
    const classifications = Object.fromEntries(DATA_CLASSIFICATIONS.map((c) => [c, { versions: [newKeyVersion(c, now)] }]));
    return new Keyring({ format: 'docroute-keyring/1', classifications }, null);
  }

  /** Parses keyring JSON; `origin` names the source in errors (a path or the variable). */
  static parse(json: string, origin: string, file: string | null): Keyring {
    let raw: unknown;
    try {
      raw = JSON.parse(json);
    } catch {
      throw new ConfigError(`${origin}: the keyring is not valid JSON`);
    }
    const parsed = KeyringSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      // The path only: the offending value may be key material.
      throw new ConfigError(`${origin}: not a docroute keyring (${issue?.path.join('.') || 'root'}: ${issue?.message ?? 'invalid'})`);
    }
    const ids = Object.values(parsed.data.classifications).flatMap((c) => c.versions.map((v) => v.id));
    if (new Set(ids).size !== ids.length) throw new ConfigError(`${origin}: key ids must be unique`);
    return new Keyring(parsed.data, file);
  }

  /** Reads a keyring file, refusing one that group or others can read (like ssh does). */
  static async load(file: string): Promise<Keyring> {
    const abs = path.resolve(file);
    let st;
    try {
      st = await stat(abs);
    } catch (err) {
      throw new ConfigError(`security.encryption.keyring: cannot read ${abs} (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    if ((st.mode & 0o077) !== 0) {
      throw new ConfigError(
        `security.encryption.keyring: ${abs} is accessible by group or others (mode ${(st.mode & 0o777).toString(8)}); run chmod 600 on it`,
      );
    }
    return Keyring.parse(await readFile(abs, 'utf8'), abs, abs);
  }

  /** DOCROUTE_KEYRING: the keyring JSON, base64-encoded. */
  static fromEnv(value: string): Keyring {
    return Keyring.parse(Buffer.from(value, 'base64').toString('utf8'), 'DOCROUTE_KEYRING', null);
  }

  private versionsOf(classification: DataClassification): KeyVersion[] {
    const entry = this.data.classifications[classification];
    if (!entry) throw new KeyUnavailableError(`no key for classification ${classification} in the keyring`);
    return entry.versions;
  }

  /** The version that wraps new data keys: the newest. Disabled: nothing can be written. */
  current(classification: DataClassification): { id: string; key: Buffer } {
    const v = this.versionsOf(classification).at(-1);
    if (!v) throw new KeyUnavailableError(`no key for classification ${classification} in the keyring`);
    if (v.status !== 'enabled') throw new KeyUnavailableError(`key ${v.id} (classification ${classification}) is disabled`);
    return { id: v.id, key: Buffer.from(v.key, 'base64') };
  }

  /** A version by id, to unwrap with. Missing or disabled is a KeyUnavailableError naming it. */
  version(classification: DataClassification, id: string): Buffer {
    const v = this.versionsOf(classification).find((k) => k.id === id);
    if (!v) throw new KeyUnavailableError(`key ${id} (classification ${classification}) is not in the keyring`);
    if (v.status !== 'enabled') throw new KeyUnavailableError(`key ${id} (classification ${classification}) is disabled`);
    return Buffer.from(v.key, 'base64');
  }

  /** Adds a new (current) version; returns its id. */
  rotate(classification: DataClassification, now: Date): string {
    const v = newKeyVersion(classification, now);
    this.versionsOf(classification).push(v);
    return v.id;
  }

  /** Enables or disables one version by id; returns its classification. */
  setStatus(id: string, status: 'enabled' | 'disabled'): DataClassification {
    for (const c of DATA_CLASSIFICATIONS) {
      const v = this.data.classifications[c]?.versions.find((k) => k.id === id);
      if (v) {
        v.status = status;
        return c;
      }
    }
    throw new KeyUnavailableError(`key ${id} is not in the keyring`);
  }

  info(): { classification: DataClassification; versions: KeyVersionInfo[] }[] {
    return DATA_CLASSIFICATIONS.flatMap((c) => {
      const versions = this.data.classifications[c]?.versions ?? [];
      return versions.length === 0
        ? []
        : [
            {
              classification: c,
              versions: versions.map((v, i) => ({ id: v.id, created: v.created, status: v.status, current: i === versions.length - 1 })),
            },
          ];
    });
  }

  /**
   * Writes the keyring to its file (0600, temp + fsync + rename). `create` refuses to replace an
   * existing file: `keys init` must never overwrite the keys data was encrypted with.
   */
  async save(file: string | null = this.file, options: { create?: boolean } = {}): Promise<void> {
    if (!file) throw new ConfigError('the keyring comes from DOCROUTE_KEYRING: change it where that variable is set');
    const abs = path.resolve(file);
    const tmp = `${abs}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(`${JSON.stringify(this.data, null, 2)}\n`);
      await fh.sync();
    } finally {
      await fh.close();
    }
    try {
      if (options.create) {
        // link() fails if the target exists: no window in which an existing keyring is replaced.
        await link(tmp, abs);
        await unlink(tmp);
      } else {
        await rename(tmp, abs);
      }
    } catch (err) {
      await unlink(tmp).catch(() => undefined);
      if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw new ConfigError(`${abs} exists already: refusing to overwrite a keyring`);
      throw err;
    }
  }
}
