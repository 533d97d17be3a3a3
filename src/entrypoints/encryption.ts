import path from 'node:path';
import { keyringFromEnv } from '../config/env.js';
import type { LoadedConfig } from '../config/load.js';
import type { EncryptionConfig } from '../config/security.js';
import { ConfigError } from '../domain/errors.js';
import { openEnvelopeCipher, type EnvelopeCipher } from '../adapters/local/envelope-cipher.js';
import { Keyring } from '../adapters/local/keyring.js';

/** Encryption at rest as the runtime wires it: the cipher of the data directory and who uses which key. */
export interface EncryptionWiring {
  readonly keyring: Keyring;
  readonly cipher: EnvelopeCipher;
  readonly classifications: EncryptionConfig['classifications'];
}

/** The configured keyring file, resolved against the config file's folder (like route folders). */
export const keyringPathOf = (loaded: LoadedConfig): string | undefined => {
  const file = loaded.config.security.encryption.keyring;
  if (!file) return undefined;
  return path.isAbsolute(loaded.source) ? path.resolve(path.dirname(loaded.source), file) : path.resolve(file);
};

/** The keyring: DOCROUTE_KEYRING when set, else the configured file. */
export const loadKeyring = async (loaded: LoadedConfig): Promise<Keyring> => {
  const fromEnv = keyringFromEnv();
  if (fromEnv) return Keyring.fromEnv(fromEnv);
  const file = keyringPathOf(loaded);
  if (!file) {
    throw new ConfigError('security.encryption.keyring: no keyring (set the path, or DOCROUTE_KEYRING; `docroute keys init` creates one)');
  }
  return Keyring.load(file);
};

/**
 * Null when encryption is off. When on, opens the keyring and every data key the configured
 * classifications use (creating missing ones): a missing or disabled key fails here, at start-up,
 * with a KeyUnavailableError naming the classification and key id, before any file is read.
 */
export const openEncryption = async (loaded: LoadedConfig): Promise<EncryptionWiring | null> => {
  const settings = loaded.config.security.encryption;
  if (!settings.enabled) return null;
  const keyring = await loadKeyring(loaded);
  const cipher = openEnvelopeCipher(loaded.config.dataDir, keyring);
  await cipher.keys.check(Object.values(settings.classifications));
  return { keyring, cipher, classifications: settings.classifications };
};
