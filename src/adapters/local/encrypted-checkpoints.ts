import type { CheckpointKey, Checkpoints } from '../../ports/checkpoints.js';
import type { EnvelopeCipher } from './envelope-cipher.js';
import type { DataClassification } from './keyring.js';

/** What an encrypted checkpoint is stored as: still a JSON value, so any Checkpoints adapter holds it. */
interface Sealed {
  readonly $sealed: 'DRENC1';
  /** The encrypted object (envelope-cipher.ts), base64. */
  readonly data: string;
}

const isSealed = (v: unknown): v is Sealed =>
  typeof v === 'object' && v !== null && (v as Partial<Sealed>).$sealed === 'DRENC1' && typeof (v as Partial<Sealed>).data === 'string';

/** The logical name a checkpoint is encrypted under: its key, so a value copied to another key fails. */
export const checkpointName = (key: CheckpointKey): string => `checkpoint:${key.documentId}/${key.step}/${key.configVersion}`;

/**
 * Checkpoints hold document text (extractions, fields), so with encryption on each value is
 * encrypted before it reaches the store, under its own key as the logical name. A value written
 * before encryption was turned on is still read as it is (put never overwrites, so it cannot be
 * upgraded in place); everything written from then on is encrypted.
 */
export class EncryptedCheckpoints implements Checkpoints {
  constructor(
    private readonly inner: Checkpoints,
    private readonly cipher: EnvelopeCipher,
    private readonly classification: DataClassification,
  ) {}

  async get<T>(key: CheckpointKey): Promise<T | undefined> {
    const value = await this.inner.get<unknown>(key);
    if (!isSealed(value)) return value as T | undefined;
    const { plaintext } = await this.cipher.decrypt(Buffer.from(value.data, 'base64'), checkpointName(key));
    return JSON.parse(plaintext.toString('utf8')) as T;
  }

  async put(key: CheckpointKey, value: unknown): Promise<void> {
    const blob = await this.cipher.encrypt(this.classification, checkpointName(key), Buffer.from(JSON.stringify(value), 'utf8'));
    const sealed: Sealed = { $sealed: 'DRENC1', data: blob.toString('base64') };
    await this.inner.put(key, sealed);
  }
}
