import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EncryptedCheckpoints, checkpointName } from '../../../../src/adapters/local/encrypted-checkpoints.js';
import {
  DataKeys,
  EnvelopeCipher,
  headerLengthOf,
  looksEncrypted,
  openEnvelopeCipher,
  overheadOf,
  parseHeader,
} from '../../../../src/adapters/local/envelope-cipher.js';
import { FsObjectStore, objectName } from '../../../../src/adapters/local/fs-object-store.js';
import { Keyring } from '../../../../src/adapters/local/keyring.js';
import { ArtifactIntegrityError, ConfigError, KeyUnavailableError } from '../../../../src/domain/errors.js';
import type { CheckpointKey, Checkpoints } from '../../../../src/ports/checkpoints.js';

const PLAINTEXT = Buffer.from('INVOICE T-00042 IBAN DE89 3704 0044 0532 0130 00 total EUR 142.00\n'.repeat(40), 'utf8');
const contains = (haystack: Uint8Array, needle: string): boolean => Buffer.from(haystack).includes(Buffer.from(needle, 'utf8'));
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

let dir: string;
let keyring: Keyring;
let cipher: EnvelopeCipher;

beforeEach(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'docroute-crypto-'));
  keyring = Keyring.generate(new Date('2026-11-01T00:00:00Z'));
  cipher = openEnvelopeCipher(path.join(dir, 'data'), keyring);
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The raw key material of a keyring, to check it never leaks into files, errors or status. */
const materialOf = async (k: Keyring): Promise<string[]> => {
  const file = path.join(dir, `probe-${randomBytes(3).toString('hex')}.json`);
  await k.save(file, { create: true });
  const data = JSON.parse(await readFile(file, 'utf8')) as { classifications: Record<string, { versions: { key: string }[] }> };
  await rm(file);
  return Object.values(data.classifications).flatMap((c) => c.versions.map((v) => v.key));
};

describe('Keyring', () => {
  it('generates one enabled master key per classification and shows ids, never key material', async () => {
    const info = keyring.info();
    expect(info.map((c) => c.classification)).toEqual(['restricted', 'confidential', 'internal', 'public']);
    for (const c of info) {
      expect(c.versions).toHaveLength(1);
      expect(c.versions[0]).toMatchObject({ status: 'enabled', current: true });
      expect(c.versions[0]?.id).toMatch(new RegExp(`^kek-${c.classification}-[0-9a-f]{12}$`));
    }
    const shown = JSON.stringify(info);
    for (const key of await materialOf(keyring)) expect(shown).not.toContain(key);
  });

  it('saves 0600, refuses to overwrite on create, and loads back', async () => {
    const file = path.join(dir, 'keyring.json');
    await keyring.save(file, { create: true });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    await expect(Keyring.generate(new Date()).save(file, { create: true })).rejects.toThrow(/refusing to overwrite/);
    const loaded = await Keyring.load(file);
    expect(loaded.info()).toEqual(keyring.info());
    expect(loaded.current('restricted').key.equals(keyring.current('restricted').key)).toBe(true);
    expect((await readdir(dir)).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('refuses a keyring file that group or others can read', async () => {
    const file = path.join(dir, 'keyring.json');
    await keyring.save(file, { create: true });
    await chmod(file, 0o644);
    const e = await Keyring.load(file).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as Error).message).toMatch(/mode 644.*chmod 600/);
  });

  it('rejects malformed keyrings without echoing their content', async () => {
    const [key] = await materialOf(keyring);
    const bad = JSON.stringify({
      format: 'docroute-keyring/1',
      classifications: { restricted: { versions: [{ id: 'kek-restricted-00aa11bb22cc', created: 'x', status: 'on', key }] } },
    });
    const e = (() => {
      try {
        Keyring.parse(bad, 'k.json', null);
        return null;
      } catch (x) {
        return x as Error;
      }
    })();
    expect(e).toBeInstanceOf(ConfigError);
    expect(e?.message).toMatch(/^k\.json: not a docroute keyring \(classifications\.restricted\.versions\.0\.status/);
    expect(e?.message).not.toContain(key);
    expect(() => Keyring.parse('{', 'k.json', null)).toThrow('k.json: the keyring is not valid JSON');
  });

  it('reads DOCROUTE_KEYRING (base64 JSON) and treats it as read-only', async () => {
    const file = path.join(dir, 'keyring.json');
    await keyring.save(file, { create: true });
    const fromEnv = Keyring.fromEnv(Buffer.from(await readFile(file, 'utf8')).toString('base64'));
    expect(fromEnv.info()).toEqual(keyring.info());
    expect(fromEnv.file).toBeNull();
    await expect(fromEnv.save()).rejects.toBeInstanceOf(ConfigError);
    expect(() => Keyring.fromEnv(Buffer.from('{"not":"a keyring"}').toString('base64'))).toThrow(
      /DOCROUTE_KEYRING: not a docroute keyring/,
    );
  });

  it('rotation adds a current version; disabled or unknown versions are KeyUnavailableError naming classification and id', () => {
    const before = keyring.current('restricted').id;
    const after = keyring.rotate('restricted', new Date());
    expect(after).not.toBe(before);
    expect(keyring.current('restricted').id).toBe(after);
    expect(keyring.version('restricted', before)).toHaveLength(32);
    expect(keyring.setStatus(before, 'disabled')).toBe('restricted');
    expect(() => keyring.version('restricted', before)).toThrow(KeyUnavailableError);
    expect(() => keyring.version('restricted', before)).toThrow(`key ${before} (classification restricted) is disabled`);
    expect(() => keyring.version('restricted', 'kek-restricted-000000000000')).toThrow(/not in the keyring/);
    expect(() => keyring.setStatus('kek-nope-000000000000', 'enabled')).toThrow(KeyUnavailableError);
  });
});

describe('EnvelopeCipher object format', () => {
  it('writes DRENC1 + classification + data key id + name + 12-byte nonce, then ciphertext and a 16-byte tag', async () => {
    const blob = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    expect(looksEncrypted(blob)).toBe(true);
    const header = parseHeader(blob);
    expect(header).toMatchObject({ classification: 'restricted', name: 'object:abc' });
    expect(header.dekId).toMatch(/^dek-[0-9a-f]{16}$/);
    expect(header.nonce).toHaveLength(12);
    expect(headerLengthOf(blob)).toBe(header.length);
    expect(blob.length).toBe(PLAINTEXT.length + overheadOf(header.length));
    expect(contains(blob, 'T-00042')).toBe(false);
    expect(contains(blob, 'DE89')).toBe(false);
    expect((await cipher.decrypt(blob, 'object:abc')).plaintext.equals(PLAINTEXT)).toBe(true);
  });

  it('uses a fresh nonce per object: the same plaintext twice gives different bytes', async () => {
    const a = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    const b = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    expect(a.equals(b)).toBe(false);
    expect(parseHeader(a).nonce.equals(parseHeader(b).nonce)).toBe(false);
  });

  it('detects a flipped bit anywhere: header, ciphertext or tag', async () => {
    const blob = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    const header = parseHeader(blob);
    // The last header byte (nonce), a ciphertext byte, the last tag byte, and a byte of the name.
    for (const at of [header.length - 1, header.length + 100, blob.length - 1, header.length - 13]) {
      const tampered = Buffer.from(blob);
      tampered[at] = (tampered[at] ?? 0) ^ 0x01;
      await expect(cipher.decrypt(tampered), `byte ${at}`).rejects.toBeInstanceOf(ArtifactIntegrityError);
    }
    await expect(cipher.decrypt(blob.subarray(0, blob.length - 5))).rejects.toBeInstanceOf(ArtifactIntegrityError);
    await expect(cipher.decrypt(PLAINTEXT)).rejects.toThrow(/not an encrypted object/);
  });

  it('refuses an object encrypted for another name (a swapped file) without naming either', async () => {
    const blob = await cipher.encrypt('restricted', 'decision:pass/0123456789ab-Invoice 7.pdf', PLAINTEXT);
    const e = await cipher.decrypt(blob, 'decision:pass/ba9876543210-Other.pdf').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ArtifactIntegrityError);
    expect((e as Error).message).toMatch(/swapped/);
    expect((e as Error).message).not.toContain('Invoice 7');
    expect((e as Error).message).not.toContain('Other.pdf');
  });
});

describe('DataKeys', () => {
  it('creates one wrapped data key per classification on first use, in a 0600 file without the key in clear', async () => {
    const first = await cipher.keys.current('restricted');
    const again = await new DataKeys(path.join(dir, 'data'), keyring).current('restricted');
    expect(again.id).toBe(first.id);
    expect(again.key.equals(first.key)).toBe(true);
    const file = path.join(dir, 'data', 'keys', 'restricted.json');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const text = await readFile(file, 'utf8');
    expect(text).not.toContain(first.key.toString('base64'));
    expect(text).not.toContain(first.key.toString('hex'));
    expect(JSON.parse(text)).toMatchObject({
      classification: 'restricted',
      keys: [{ id: first.id, kekId: keyring.current('restricted').id }],
    });
  });

  it('two processes creating the same data key at once end up with one', async () => {
    const dataDir = path.join(dir, 'race');
    const keys = await Promise.all(Array.from({ length: 6 }, () => new DataKeys(dataDir, keyring).current('confidential')));
    expect(new Set(keys.map((k) => k.id)).size).toBe(1);
    expect((await readdir(path.join(dataDir, 'keys'))).sort()).toEqual(['confidential.json']);
  });

  it('rotation re-wraps the data keys: the key file changes, data encrypted before still decrypts', async () => {
    const blob = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    const file = path.join(dir, 'data', 'keys', 'restricted.json');
    const before = await readFile(file, 'utf8');
    const oldKek = keyring.current('restricted').id;
    const newKek = keyring.rotate('restricted', new Date());
    const { rewrapped, kekId } = await cipher.keys.rewrap('restricted');
    expect({ rewrapped, kekId }).toEqual({ rewrapped: 1, kekId: newKek });
    const after = await readFile(file, 'utf8');
    expect(after).not.toBe(before);
    expect(after).toContain(newKek);
    expect(after).not.toContain(oldKek);
    // A fresh process (no cache), with the old version disabled: only the new one can open it.
    keyring.setStatus(oldKek, 'disabled');
    const fresh = openEnvelopeCipher(path.join(dir, 'data'), keyring);
    expect((await fresh.decrypt(blob, 'object:abc')).plaintext.equals(PLAINTEXT)).toBe(true);
  });

  it('a disabled master key fails reads and writes with KeyUnavailableError naming classification and key id', async () => {
    const blob = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    const kek = keyring.current('restricted').id;
    keyring.setStatus(kek, 'disabled');
    const fresh = openEnvelopeCipher(path.join(dir, 'data'), keyring);
    const e = await fresh.decrypt(blob, 'object:abc').catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeyUnavailableError);
    expect((e as KeyUnavailableError).retryable).toBe(false);
    expect((e as Error).message).toBe(`key ${kek} (classification restricted) is disabled`);
    await expect(fresh.encrypt('restricted', 'object:def', PLAINTEXT)).rejects.toThrow(
      `key ${kek} (classification restricted) is disabled`,
    );
    // Other classifications are unaffected.
    await expect(fresh.encrypt('confidential', 'log:1', PLAINTEXT)).resolves.toBeInstanceOf(Buffer);
  });

  it('another keyring cannot open the data keys', async () => {
    const blob = await cipher.encrypt('restricted', 'object:abc', PLAINTEXT);
    const other = openEnvelopeCipher(path.join(dir, 'data'), Keyring.generate(new Date()));
    await expect(other.decrypt(blob, 'object:abc')).rejects.toThrow(
      /key kek-restricted-[0-9a-f]+ \(classification restricted\) is not in the keyring/,
    );
  });

  it('binds a wrapped key to its classification and ids (a key file edited or moved is refused)', async () => {
    await cipher.keys.current('restricted');
    const file = path.join(dir, 'data', 'keys', 'restricted.json');
    const data = JSON.parse(await readFile(file, 'utf8')) as { keys: { id: string }[] };
    data.keys[0]!.id = `dek-${'0'.repeat(16)}`;
    await writeFile(file, JSON.stringify(data));
    const fresh = new DataKeys(path.join(dir, 'data'), keyring);
    await expect(fresh.byId('restricted', `dek-${'0'.repeat(16)}`)).rejects.toThrow(/cannot unwrap data key/);
  });
});

describe('EncryptedCheckpoints', () => {
  const memory = (): Checkpoints & { values: Map<string, unknown> } => {
    const values = new Map<string, unknown>();
    const k = (key: CheckpointKey): string => `${key.documentId}|${key.step}|${key.configVersion}`;
    return {
      values,
      get: <T>(key: CheckpointKey) => Promise.resolve(values.get(k(key)) as T | undefined),
      put: (key, value) => {
        if (!values.has(k(key))) values.set(k(key), value);
        return Promise.resolve();
      },
    };
  };
  const key: CheckpointKey = { documentId: 'a'.repeat(64), step: 'Extract', configVersion: 'v1' };
  const value = { text: 'INVOICE T-00042 IBAN DE89 3704', pages: [{ page: 1, text: 'Total EUR 142.00' }] };

  it('stores a sealed value without the text and reads the value back', async () => {
    const inner = memory();
    const cp = new EncryptedCheckpoints(inner, cipher, 'restricted');
    await cp.put(key, value);
    const stored = JSON.stringify([...inner.values.values()]);
    expect(stored).not.toContain('T-00042');
    expect(stored).not.toContain('142.00');
    expect(stored).toContain('"$sealed":"DRENC1"');
    expect(await cp.get(key)).toEqual(value);
    expect(await cp.get({ ...key, step: 'Classify' })).toBeUndefined();
  });

  it('refuses a sealed value copied under another key', async () => {
    const inner = memory();
    const cp = new EncryptedCheckpoints(inner, cipher, 'restricted');
    await cp.put(key, value);
    const other = { ...key, documentId: 'b'.repeat(64) };
    await inner.put(other, [...inner.values.values()][0]);
    await expect(cp.get(other)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    expect(checkpointName(other)).toBe(`checkpoint:${'b'.repeat(64)}/Extract/v1`);
  });

  it('still reads a value stored before encryption was turned on', async () => {
    const inner = memory();
    await inner.put(key, value);
    expect(await new EncryptedCheckpoints(inner, cipher, 'restricted').get(key)).toEqual(value);
  });
});

describe('FsObjectStore with encryption', () => {
  const ingest = async (store: FsObjectStore, bytes: Uint8Array, name = `in-${randomBytes(3).toString('hex')}.pdf`) => {
    const file = path.join(dir, name);
    await writeFile(file, bytes);
    return store.ingestFile(file);
  };

  it('keeps ids as the SHA-256 of the plaintext, stores ciphertext, and dedups', async () => {
    const dataDir = path.join(dir, 'data');
    const store = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
    const first = await ingest(store, PLAINTEXT);
    expect(first).toEqual({ documentId: sha256(PLAINTEXT), size: PLAINTEXT.length, added: true });
    const onDisk = await readFile(store.pathOf(first.documentId));
    expect(contains(onDisk, 'T-00042')).toBe(false);
    expect(parseHeader(onDisk).name).toBe(objectName(first.documentId));
    expect((await stat(store.pathOf(first.documentId))).mode & 0o777).toBe(0o444);
    expect(Buffer.from(await store.get(first.documentId)).equals(PLAINTEXT)).toBe(true);
    expect(await store.size(first.documentId)).toBe(PLAINTEXT.length);
    expect(await ingest(store, PLAINTEXT)).toEqual({ ...first, added: false });
    expect(Buffer.from(await readFile(store.pathOf(first.documentId))).equals(onDisk)).toBe(true);
    expect((await readdir(store.root)).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('refuses an original swapped for another one, and a plaintext one', async () => {
    const dataDir = path.join(dir, 'data');
    const store = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
    const a = await ingest(store, PLAINTEXT);
    const b = await ingest(store, Buffer.from('another document'));
    await chmod(store.pathOf(a.documentId), 0o644);
    await writeFile(store.pathOf(a.documentId), await readFile(store.pathOf(b.documentId)));
    await expect(store.get(a.documentId)).rejects.toThrow(`original ${a.documentId}: an encrypted object holds another object's data`);
    await writeFile(store.pathOf(a.documentId), PLAINTEXT);
    await expect(store.get(a.documentId)).rejects.toBeInstanceOf(ArtifactIntegrityError);
    await expect(store.size(a.documentId)).rejects.toThrow(/not encrypted, but encryption is on/);
  });

  it('replaces a plaintext original left from before encryption was turned on', async () => {
    const dataDir = path.join(dir, 'data');
    const plain = new FsObjectStore(dataDir);
    const before = await ingest(plain, PLAINTEXT);
    expect(Buffer.from(await readFile(plain.pathOf(before.documentId))).equals(PLAINTEXT)).toBe(true);
    const store = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
    expect(await ingest(store, PLAINTEXT)).toEqual({ ...before, added: true });
    expect(looksEncrypted(await readFile(store.pathOf(before.documentId)))).toBe(true);
    expect(Buffer.from(await store.get(before.documentId)).equals(PLAINTEXT)).toBe(true);
  });

  it('without encryption, writes the plain bytes exactly as before', async () => {
    const store = new FsObjectStore(path.join(dir, 'plain'));
    const r = await ingest(store, PLAINTEXT);
    expect(Buffer.from(await readFile(store.pathOf(r.documentId))).equals(PLAINTEXT)).toBe(true);
    expect(store.encrypted).toBe(false);
  });
});
