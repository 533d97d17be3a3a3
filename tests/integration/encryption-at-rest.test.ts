import { createHash } from 'node:crypto';
import { chmod, lstat, mkdtemp, readdir, readFile, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DataKeys, openEnvelopeCipher, parseHeader } from '../../src/adapters/local/envelope-cipher.js';
import { FolderRouteSink, decisionRecordName } from '../../src/adapters/local/folder-route-sink.js';
import { FsObjectStore } from '../../src/adapters/local/fs-object-store.js';
import { Keyring, type DataClassification } from '../../src/adapters/local/keyring.js';
import { parseConfig } from '../../src/config/load.js';
import type { Outcome } from '../../src/domain/document.js';
import { ArtifactIntegrityError, ConfigError, KeyUnavailableError } from '../../src/domain/errors.js';
import { documentStatus, traceText } from '../../src/entrypoints/cli/inspect.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { layoutSourceOf, loadLayout } from '../../src/entrypoints/server/api-layout.js';
import type { OcrEngine } from '../../src/ports/ocr-engine.js';
import { objectStoreContract } from '../contract/object-store.contract.js';
import { routeResult, routeSinkContract } from '../contract/route-sink.contract.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';

/**
 * Encryption at rest in the embedded mode: a real pipeline run (real SQLite, route folders, text
 * PDFs) with `security.encryption` on, then what an operator does next: status, trace, review,
 * key rotation, a disabled key, a tampered file, the wrong keyring. And the ports' contracts with
 * encryption on, so the encrypted adapters still keep every promise the plain ones do.
 */

const DOCS = 6;
/** Text PDFs need no OCR: a call here would be a bug. */
const noOcr: OcrEngine = {
  name: 'none',
  recognize: () => Promise.reject(new Error('OCR must not be called for text PDFs')),
  close: () => Promise.resolve(),
};

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every regular file and link under `dir`, recursively, with its bytes (links are not followed). */
const snapshot = async (dir: string): Promise<Map<string, string>> => {
  const out = new Map<string, string>();
  const walk = async (d: string): Promise<void> => {
    for (const e of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isSymbolicLink()) out.set(p, `link:${await readlink(p)}`);
      else out.set(p, sha256(await readFile(p)));
    }
  };
  await walk(dir);
  return out;
};

/** Windows of the plaintext that must not appear in a ciphertext: its start and 32-byte slices through it. */
const windowsOf = (plain: Uint8Array): Buffer[] => {
  const b = Buffer.from(plain);
  const out = [b.subarray(0, 32)];
  for (let at = 64; at + 32 <= b.length; at += Math.max(32, Math.floor(b.length / 24))) out.push(b.subarray(at, at + 32));
  return out;
};

interface Setup {
  readonly dir: string;
  readonly inbox: string;
  readonly dataDir: string;
  readonly keyringFile: string;
  readonly invoices: Map<string, Buffer>;
}

const open = (s: Setup, extra: Record<string, unknown> = {}): Promise<Runtime> =>
  openRuntime(
    parseConfig({
      dataDir: s.dataDir,
      security: { encryption: { enabled: true, keyring: s.keyringFile, ...extra } },
    }),
    { ocr: noOcr },
  );

describe('encryption at rest: a pipeline run', () => {
  let s: Setup;
  let runtime: Runtime | null = null;
  let ids: string[] = [];

  beforeAll(async () => {
    const dir = tempDir('enc');
    const inbox = path.join(dir, 'inbox');
    const files = await writeInvoices(inbox, DOCS);
    const invoices = new Map<string, Buffer>();
    for (const f of files) {
      const bytes = await readFile(f);
      invoices.set(sha256(bytes), bytes);
    }
    const keyringFile = path.join(dir, 'keyring.json');
    await Keyring.generate(new Date()).save(keyringFile, { create: true });
    s = { dir, inbox, dataDir: path.join(dir, 'data'), keyringFile, invoices };
    runtime = await open(s);
    const { files: listed } = await listInbox([inbox]);
    const run = await runtime.runFiles(listed, 'test');
    expect(run?.error).toBeNull();
    expect(run?.summary).toMatchObject({ received: DOCS, pass: DOCS, reconciled: true });
    ids = [...invoices.keys()];
  }, 120_000);

  afterEach(async () => {
    await runtime?.close();
    runtime = null;
  });
  afterAll(async () => {
    await rm(s.dir, { recursive: true, force: true });
  });

  it('leaves no plaintext in the originals, the route folder or the checkpoints', async () => {
    const routeFiles = await readdir(path.join(s.dataDir, 'pass'));
    expect(routeFiles).toHaveLength(DOCS * 2);
    const objects = new FsObjectStore(s.dataDir);
    for (const [id, plain] of s.invoices) {
      const raw = await readFile(objects.pathOf(id));
      expect(parseHeader(raw)).toMatchObject({ classification: 'restricted', name: `object:${id}` });
      for (const w of windowsOf(plain)) expect(raw.includes(w)).toBe(false);
    }
    let records = 0;
    for (const name of routeFiles) {
      const p = path.join(s.dataDir, 'pass', name);
      const raw = await readFile(p); // through the link for entries
      expect(raw.subarray(0, 6).toString('ascii')).toBe('DRENC1');
      expect(raw.includes(Buffer.from('%PDF-'))).toBe(false);
      if (name.endsWith('.json')) {
        records += 1;
        // The decision record holds the invoice number and the customer file name in clear when off.
        expect(raw.includes(Buffer.from('T-0000'))).toBe(false);
        expect(raw.includes(Buffer.from('invoice_number'))).toBe(false);
      }
    }
    expect(records).toBe(DOCS);
    const db = new Database(path.join(s.dataDir, 'docroute.db'), { readonly: true });
    try {
      const values = db.prepare<[], { value: string }>('SELECT value FROM checkpoints').all();
      expect(values.length).toBeGreaterThanOrEqual(DOCS * 3);
      for (const { value } of values) {
        expect(value).toMatch(/^\{"\$sealed":"DRENC1","data":"/);
        // Nothing but the envelope in clear; the plaintext searched for in the ciphertext's bytes.
        // (Searched in its base64 text, a 4-letter word turns up by chance: one in 64^4 positions,
        // and these checkpoints hold tens of thousands. It did, as "…SRazlAcmek+…".)
        const sealed = JSON.parse(value) as Record<string, unknown>;
        expect(Object.keys(sealed).sort()).toEqual(['$sealed', 'data']);
        const bytes = Buffer.from(String(sealed['data']), 'base64');
        expect(bytes.includes(Buffer.from('T-0000'))).toBe(false);
        expect(bytes.includes(Buffer.from('Acme'))).toBe(false);
      }
    } finally {
      db.close();
    }
  });

  it('decrypts back to the original bytes and decision records', async () => {
    const keyring = await Keyring.load(s.keyringFile);
    const cipher = openEnvelopeCipher(s.dataDir, keyring);
    for (const name of await readdir(path.join(s.dataDir, 'pass'))) {
      const p = path.join(s.dataDir, 'pass', name);
      const { plaintext } = await cipher.decrypt(await readFile(p));
      if (name.endsWith('.json')) {
        const record = JSON.parse(plaintext.toString('utf8')) as { documentId: string; outcome: Outcome; fields: Record<string, unknown> };
        expect(record.outcome).toBe('pass');
        expect(String(record.fields['invoice_number'])).toMatch(/^T-0000\d$/);
        expect(parseHeader(await readFile(p)).name).toBe(decisionRecordName('pass', name.slice(0, -'.json'.length)));
      } else {
        expect((await lstat(p)).isSymbolicLink()).toBe(true);
        expect(s.invoices.get(sha256(plaintext))?.equals(plaintext)).toBe(true);
      }
    }
  });

  it('status, trace, review and the layout still work', async () => {
    runtime = await open(s);
    for (const id of ids) {
      expect(await documentStatus(runtime.store, id)).toMatchObject({ state: 'routed' });
      expect(await traceText(runtime.store, id)).toContain('Route');
      const view = await runtime.review.show(id);
      expect(JSON.stringify(view)).toMatch(/T-0000\d/);
      expect(Buffer.from(await runtime.objects.get(id)).equals(s.invoices.get(id)!)).toBe(true);
      expect(await runtime.objects.size(id)).toBe(s.invoices.get(id)!.length);
      const layout = await loadLayout(layoutSourceOf(runtime.store, runtime.checkpoints), id, new Set());
      expect(layout?.pageCount).toBe(1);
    }
  });

  it('a re-run of the same inbox dedups against the encrypted originals and changes no data file', async () => {
    const before = await snapshot(s.dataDir);
    runtime = await open(s);
    const { files } = await listInbox([s.inbox]);
    const run = await runtime.runFiles(files, 'again');
    expect(run?.summary).toMatchObject({ received: DOCS, reconciled: true });
    const after = await snapshot(s.dataDir);
    for (const [p, h] of before) if (!p.endsWith('docroute.db') && !p.includes('docroute.db-')) expect(after.get(p), p).toBe(h);
  });

  it('rotation re-wraps the data keys only: data bytes unchanged, all still readable with the old version disabled', async () => {
    const before = await snapshot(s.dataDir);
    const keyring = await Keyring.load(s.keyringFile);
    const old = keyring.current('restricted').id;
    const fresh = keyring.rotate('restricted', new Date());
    await keyring.save();
    const { rewrapped } = await new DataKeys(s.dataDir, keyring).rewrap('restricted');
    expect(rewrapped).toBe(1);
    const after = await snapshot(s.dataDir);
    const changed = [...after].filter(([p, h]) => before.get(p) !== h).map(([p]) => path.relative(s.dataDir, p));
    expect(changed).toEqual(['keys/restricted.json']);
    expect(await readFile(path.join(s.dataDir, 'keys', 'restricted.json'), 'utf8')).toContain(fresh);

    // Disable the version the data keys were wrapped by before: nothing needs it any more.
    keyring.setStatus(old, 'disabled');
    await keyring.save();
    runtime = await open(s);
    for (const id of ids) {
      expect(Buffer.from(await runtime.objects.get(id)).equals(s.invoices.get(id)!)).toBe(true);
      expect(JSON.stringify(await runtime.review.show(id))).toMatch(/T-0000\d/);
    }
  });

  it('a disabled key fails at start-up with a KeyUnavailableError naming classification and key id', async () => {
    const keyring = await Keyring.load(s.keyringFile);
    const current = keyring.current('restricted').id;
    keyring.setStatus(current, 'disabled');
    await keyring.save();
    try {
      const e = await open(s).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(KeyUnavailableError);
      expect((e as KeyUnavailableError).retryable).toBe(false);
      expect((e as Error).message).toBe(`key ${current} (classification restricted) is disabled`);
    } finally {
      keyring.setStatus(current, 'enabled');
      await keyring.save();
    }
    runtime = await open(s);
    expect(Buffer.from(await runtime.objects.get(ids[0]!)).length).toBeGreaterThan(0);
  });

  it('a disabled key fails only the classifications that use it', async () => {
    // Outputs under `confidential`: disabling that key leaves the originals (restricted) readable.
    const keyring = await Keyring.load(s.keyringFile);
    const conf = keyring.current('confidential').id;
    keyring.setStatus(conf, 'disabled');
    await keyring.save();
    try {
      await expect(open(s, { classifications: { outputs: 'confidential' } })).rejects.toThrow(
        `key ${conf} (classification confidential) is disabled`,
      );
      runtime = await open(s);
      expect(Buffer.from(await runtime.objects.get(ids[0]!)).equals(s.invoices.get(ids[0]!)!)).toBe(true);
    } finally {
      keyring.setStatus(conf, 'enabled');
      await keyring.save();
    }
  });

  it('detects a tampered byte in an original and in a decision record', async () => {
    runtime = await open(s);
    const id = ids[1]!;
    const file = runtime.objects.pathOf(id);
    const original = await readFile(file);
    await chmod(file, 0o644);
    const tampered = Buffer.from(original);
    tampered[tampered.length - 100] = (tampered[tampered.length - 100] ?? 0) ^ 0x40;
    await writeFile(file, tampered);
    try {
      const e = await runtime.objects.get(id).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(ArtifactIntegrityError);
      expect((e as Error).message).toMatch(new RegExp(`^original ${id}: an encrypted object failed authentication \\(tampered or corrupt`));
    } finally {
      await writeFile(file, original);
      await chmod(file, 0o444);
    }
    const record = (await readdir(path.join(s.dataDir, 'pass'))).find((n) => n.endsWith('.json'))!;
    const recordPath = path.join(s.dataDir, 'pass', record);
    const bytes = await readFile(recordPath);
    bytes[bytes.length - 20] = (bytes[bytes.length - 20] ?? 0) ^ 0x01;
    const cipher = openEnvelopeCipher(s.dataDir, await Keyring.load(s.keyringFile));
    await expect(cipher.decrypt(bytes)).rejects.toThrow(/an encrypted decision failed authentication/);
  });

  it('rejects the wrong keyring and a keyring file others can read', async () => {
    const other = path.join(s.dir, 'other-keyring.json');
    await Keyring.generate(new Date()).save(other, { create: true });
    const e = await open({ ...s, keyringFile: other }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(KeyUnavailableError);
    expect((e as Error).message).toMatch(/^key kek-restricted-[0-9a-f]+ \(classification restricted\) is not in the keyring$/);
    await chmod(other, 0o640);
    await expect(open({ ...s, keyringFile: other })).rejects.toBeInstanceOf(ConfigError);
    await expect(open({ ...s, keyringFile: path.join(s.dir, 'missing.json') })).rejects.toThrow(/cannot read .*missing\.json \(ENOENT\)/);
  });
});

describe('encryption off (the default)', () => {
  it('writes the plain bytes and files exactly as before, and no keys', async () => {
    const dir = tempDir('plain');
    try {
      const files = await writeInvoices(path.join(dir, 'inbox'), 2);
      const runtime = await openRuntime(parseConfig({ dataDir: path.join(dir, 'data') }), { ocr: noOcr });
      try {
        const { files: listed } = await listInbox([path.join(dir, 'inbox')]);
        expect((await runtime.runFiles(listed, 'test'))?.summary).toMatchObject({ pass: 2 });
        for (const f of files) {
          const bytes = await readFile(f);
          expect((await readFile(runtime.objects.pathOf(sha256(bytes)))).equals(bytes)).toBe(true);
        }
        const record = (await readdir(path.join(dir, 'data', 'pass'))).find((n) => n.endsWith('.json'))!;
        expect(JSON.parse(await readFile(path.join(dir, 'data', 'pass', record), 'utf8'))).toMatchObject({ outcome: 'pass' });
        expect(runtime.checkpoints).toBe(runtime.store);
        expect(await readdir(path.join(dir, 'data'))).not.toContain('keys');
      } finally {
        await runtime.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('FolderRouteSink with encryption', () => {
  it('a re-delivery of the same result keeps the encrypted files byte for byte; a changed one rewrites them', async () => {
    const { dir, dataDir, cipher, upload } = await encryptedFixture('enc-redeliver');
    try {
      const objects = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
      const sink = new FolderRouteSink(
        dataDir,
        (id) => objects.pathOf(id),
        {},
        {
          cipher,
          classification: 'confidential',
          originalsClassification: 'restricted',
          readOriginal: (id) => objects.get(id),
        },
      );
      const { documentId } = await objects.ingestFile(await upload(Buffer.from('%PDF-1.7 a document')));
      const result = routeResult(documentId, 'hold');
      const { location } = await sink.deliver('hold', result);
      const first = [await readFile(location), await readFile(`${location}.json`)];
      await sink.deliver('hold', result);
      const second = [await readFile(location), await readFile(`${location}.json`)];
      expect(second[0]?.equals(first[0]!)).toBe(true);
      expect(second[1]?.equals(first[1]!)).toBe(true);
      await sink.deliver('hold', { ...result, confidence: 0.5 });
      expect((await readFile(`${location}.json`)).equals(first[1]!)).toBe(false);
      expect((await readFile(location)).equals(first[0]!)).toBe(true);
      expect(JSON.parse((await cipher.decrypt(await readFile(`${location}.json`))).plaintext.toString('utf8'))).toMatchObject({
        confidence: 0.5,
      });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// ---------------------------------------------------------------------------------------------
// The ports' contracts, with encryption on.

const encryptedFixture = async (prefix: string) => {
  const dir = await mkdtemp(path.join(tmpdir(), `docroute-${prefix}-`));
  const dataDir = path.join(dir, 'data');
  const cipher = openEnvelopeCipher(dataDir, Keyring.generate(new Date()));
  let n = 0;
  const upload = async (bytes: Uint8Array): Promise<string> => {
    n += 1;
    const file = path.join(dir, `upload-${n}`);
    await writeFile(file, bytes);
    return file;
  };
  return { dir, dataDir, cipher, upload };
};

objectStoreContract('FsObjectStore (encrypted)', async () => {
  const { dir, dataDir, cipher, upload } = await encryptedFixture('enc-objects');
  const store = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
  return {
    store,
    ingest: async (bytes) => store.ingestFile(await upload(bytes)),
    close: () => rm(dir, { recursive: true, force: true }),
  };
});

for (const outputs of ['restricted', 'confidential'] as const satisfies readonly DataClassification[]) {
  routeSinkContract(`FolderRouteSink (encrypted, outputs ${outputs}: ${outputs === 'restricted' ? 'links' : 'copies'})`, async () => {
    const { dir, dataDir, cipher, upload } = await encryptedFixture('enc-routes');
    const objects = new FsObjectStore(dataDir, { cipher, classification: 'restricted' });
    const sink = new FolderRouteSink(
      dataDir,
      (id) => objects.pathOf(id),
      {},
      {
        cipher,
        classification: outputs,
        originalsClassification: 'restricted',
        readOriginal: (id) => objects.get(id),
      },
    );
    const decryptOrNull = async (p: string): Promise<Uint8Array | null> => {
      let raw: Buffer;
      try {
        raw = await readFile(p);
      } catch {
        return null;
      }
      const { plaintext, header } = await cipher.decrypt(raw);
      expect(header.classification).toBe(p.endsWith('.json') || outputs !== 'restricted' ? outputs : 'restricted');
      return plaintext;
    };
    return {
      sink,
      addOriginal: async (bytes) => (await objects.ingestFile(await upload(bytes))).documentId,
      readOriginal: (id) => objects.get(id),
      readEntry: async (location) => ({ original: await decryptOrNull(location), record: await decryptOrNull(`${location}.json`) }),
      listEntries: async (outcome) => {
        const names = await readdir(path.join(dataDir, outcome)).catch(() => [] as string[]);
        return names.filter((name) => !name.endsWith('.json') && !name.endsWith('.tmp')).map((name) => path.join(dataDir, outcome, name));
      },
      outsideLocations: (id) => [
        objects.pathOf(id),
        path.join(dataDir, 'pass'),
        path.join(dataDir, 'archive', 'x.pdf'),
        path.join(dataDir, 'pass', 'nested', 'x.pdf'),
        path.join(dir, 'elsewhere.pdf'),
      ],
      close: () => rm(dir, { recursive: true, force: true }),
    };
  });
}
