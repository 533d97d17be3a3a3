import { randomBytes } from 'node:crypto';
import { open, readFile, rename, unlink } from 'node:fs/promises';
import path from 'node:path';
import { Option, type Command } from 'commander';
import { keyringFromEnv } from '../../config/env.js';
import type { LoadedConfig } from '../../config/load.js';
import { ConfigError } from '../../domain/errors.js';
import { DataKeys, openEnvelopeCipher } from '../../adapters/local/envelope-cipher.js';
import { DATA_CLASSIFICATIONS, Keyring, type DataClassification } from '../../adapters/local/keyring.js';
import { keyringPathOf, loadKeyring } from '../encryption.js';
import { EXIT } from './exit-codes.js';
import { rel, table } from './format.js';
import { err, out } from './io.js';

/**
 * `docroute keys`: the local keyring of encryption at rest (see envelope-cipher.ts). Nothing here
 * prints key material: status shows classifications, key ids, versions and whether they are
 * enabled. `decrypt` is for consumers of encrypted route folders and writes plaintext only where
 * asked (a 0600 file, or a pipe).
 */

export interface KeysGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => KeysGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: KeysGlobals) => LoadedConfig;
}

/** The keyring file to change: `--keyring`, else the configured one. DOCROUTE_KEYRING cannot be changed from here. */
const keyringFile = (loaded: LoadedConfig, explicit: string | undefined): string => {
  if (explicit) return path.resolve(explicit);
  if (keyringFromEnv())
    throw new ConfigError('the keyring comes from DOCROUTE_KEYRING: change the file it was made from, then update the variable');
  const file = keyringPathOf(loaded);
  if (!file) throw new ConfigError('security.encryption.keyring: no keyring file configured (or pass --keyring <file>)');
  return file;
};

const openKeyring = (loaded: LoadedConfig, explicit: string | undefined): Promise<Keyring> =>
  explicit ? Keyring.load(path.resolve(explicit)) : loadKeyring(loaded);

const commandInit = async (deps: Deps, o: { keyring?: string }): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const file = keyringFile(loaded, o.keyring);
  await Keyring.generate(new Date()).save(file, { create: true });
  out(`created keyring ${rel(file)} (mode 0600) with one key per classification: ${DATA_CLASSIFICATIONS.join(', ')}`);
  if (!o.keyring && !loaded.config.security.encryption.enabled) out('turn it on with security.encryption.enabled: true');
  return EXIT.OK;
};

const commandStatus = async (deps: Deps, o: { keyring?: string }): Promise<number> => {
  const opts = deps.globals();
  const loaded = deps.load(opts);
  const keyring = await openKeyring(loaded, o.keyring);
  const dataKeys = await new DataKeys(loaded.config.dataDir, keyring).info();
  const settings = loaded.config.security.encryption;
  if (opts.json) {
    out(
      JSON.stringify({
        enabled: settings.enabled,
        keyring: keyring.file ?? 'DOCROUTE_KEYRING',
        classifications: settings.classifications,
        masterKeys: keyring.info(),
        dataKeys,
      }),
    );
    return EXIT.OK;
  }
  out(
    `encryption ${settings.enabled ? 'on' : 'off'}  keyring ${keyring.file ? rel(keyring.file) : 'DOCROUTE_KEYRING'}  data ${rel(loaded.config.dataDir)}`,
  );
  out(
    `uses: originals ${settings.classifications.originals}, outputs ${settings.classifications.outputs}, checkpoints ${settings.classifications.checkpoints}`,
  );
  out('');
  out(
    table(
      keyring.info().flatMap((c) => c.versions.map((v) => [c.classification, v.id, v.created, v.status, v.current ? 'current' : ''])),
      ['CLASSIFICATION', 'MASTER KEY', 'CREATED', 'STATUS', ''],
    ),
  );
  out('');
  out(
    dataKeys.length === 0
      ? 'no data keys in this data directory yet'
      : table(
          dataKeys.map((d) => [d.classification, d.id, d.kekId, d.current ? 'current' : '']),
          ['CLASSIFICATION', 'DATA KEY', 'WRAPPED BY', ''],
        ),
  );
  return EXIT.OK;
};

const commandRotate = async (deps: Deps, o: { classification: DataClassification; keyring?: string }): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const file = keyringFile(loaded, o.keyring);
  const keyring = await Keyring.load(file);
  // Refuse before changing anything when a data key cannot be unwrapped (its key disabled, say).
  const dataKeys = new DataKeys(loaded.config.dataDir, keyring);
  for (const d of (await dataKeys.info()).filter((k) => k.classification === o.classification)) await dataKeys.byId(d.classification, d.id);
  const id = keyring.rotate(o.classification, new Date());
  // The keyring first: if we stop between the two writes, the data keys are still wrapped by the
  // previous version, which stays enabled, so nothing becomes unreadable.
  await keyring.save();
  const { rewrapped } = await dataKeys.rewrap(o.classification);
  out(
    `rotated ${o.classification}: new master key ${id}; re-wrapped ${rewrapped} data key(s) in ${rel(loaded.config.dataDir)}; data files unchanged`,
  );
  return EXIT.OK;
};

const commandSetStatus = async (deps: Deps, keyId: string, status: 'enabled' | 'disabled', o: { keyring?: string }): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const file = keyringFile(loaded, o.keyring);
  const keyring = await Keyring.load(file);
  const classification = keyring.setStatus(keyId, status);
  await keyring.save();
  out(`${status === 'enabled' ? 'enabled' : 'disabled'} ${keyId} (classification ${classification}) in ${rel(file)}`);
  if (status === 'disabled')
    out('data keys it wraps cannot be opened until it is enabled again; running processes keep the keys they opened');
  return EXIT.OK;
};

/** Plain text a terminal can show: valid UTF-8 without control characters other than newlines and tabs. */
const printable = (bytes: Buffer): boolean => {
  const text = bytes.toString('utf8');
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is looked for
  return Buffer.from(text, 'utf8').equals(bytes) && !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/.test(text);
};

const commandDecrypt = async (deps: Deps, file: string, o: { output?: string; keyring?: string }): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const keyring = await openKeyring(loaded, o.keyring);
  const cipher = openEnvelopeCipher(loaded.config.dataDir, keyring);
  const { plaintext } = await cipher.decrypt(await readFile(path.resolve(file)));
  if (o.output) {
    const dest = path.resolve(o.output);
    const tmp = `${dest}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;
    const fh = await open(tmp, 'wx', 0o600);
    try {
      await fh.writeFile(plaintext);
    } finally {
      await fh.close();
    }
    await rename(tmp, dest).catch(async (e: unknown) => {
      await unlink(tmp).catch(() => undefined);
      throw e;
    });
    err(`wrote ${plaintext.length} bytes to ${rel(dest)} (mode 0600)`);
    return EXIT.OK;
  }
  if (process.stdout.isTTY && !printable(plaintext)) {
    err('docroute keys decrypt: refusing to write binary data to a terminal; use -o <file> or redirect the output');
    return EXIT.USAGE;
  }
  await new Promise<void>((resolve, reject) => process.stdout.write(plaintext, (e) => (e ? reject(e) : resolve())));
  return EXIT.OK;
};

export const registerKeysCommand = (program: Command, deps: Deps): Command => {
  const keys = program.command('keys').description('encryption at rest: the keyring (one master key per classification) and data keys');
  const keyringOption = (): Option => new Option('--keyring <file>', 'the keyring file (default: security.encryption.keyring)');
  keys
    .command('init')
    .description('create a keyring file (0600) with one master key per classification; never overwrites one')
    .addOption(keyringOption())
    .action(async (o: { keyring?: string }) => deps.setCode(await commandInit(deps, o)));
  keys
    .command('status')
    .description('classifications, master key versions (enabled or not) and the data keys of the data directory; never key material')
    .addOption(keyringOption())
    .action(async (o: { keyring?: string }) => deps.setCode(await commandStatus(deps, o)));
  keys
    .command('rotate')
    .description("add a master key version and re-wrap the data directory's data keys with it; data files are not re-encrypted")
    .addOption(new Option('--classification <c>', 'which master key').choices(DATA_CLASSIFICATIONS).makeOptionMandatory())
    .addOption(keyringOption())
    .action(async (o: { classification: DataClassification; keyring?: string }) => deps.setCode(await commandRotate(deps, o)));
  for (const status of ['disabled', 'enabled'] as const) {
    keys
      .command(status === 'disabled' ? 'disable' : 'enable')
      .description(
        status === 'disabled'
          ? 'disable a master key version: data under it cannot be read or written until it is enabled'
          : 'enable a master key version again',
      )
      .argument('<keyId>', 'a master key id, as `keys status` shows it')
      .addOption(keyringOption())
      .action(async (keyId: string, o: { keyring?: string }) => deps.setCode(await commandSetStatus(deps, keyId, status, o)));
  }
  keys
    .command('decrypt')
    .description('decrypt an encrypted file (an original, a route entry or a decision record) with the keys of the data directory')
    .argument('<file>', 'the encrypted file')
    .option('-o, --output <file>', 'write the plaintext here (mode 0600) instead of to stdout')
    .addOption(keyringOption())
    .action(async (file: string, o: { output?: string; keyring?: string }) => deps.setCode(await commandDecrypt(deps, file, o)));
  return keys;
};
