import { createHash } from 'node:crypto';
import { chmodSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli, type CliResult } from '../helpers/cli.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';

/**
 * `docroute keys` through the built CLI, on a generated inbox of text invoices (no OCR): init,
 * a run with encryption on, status, decrypt, rotation, a disabled key and its fix, a tampered file,
 * and the keyring from DOCROUTE_KEYRING. Key material never reaches stdout or stderr.
 */

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** Every file under `dir` (recursively, links by target) with a hash of its bytes. */
const snapshot = (dir: string): Map<string, string> => {
  const out = new Map<string, string>();
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    const p = path.join(e.parentPath, e.name);
    if (e.isFile()) out.set(path.relative(dir, p), sha256(readFileSync(p)));
  }
  return out;
};

describe('docroute keys', { timeout: 300_000 }, () => {
  const work = tempDir('keys');
  const data = path.join(work, 'data');
  const inbox = path.join(work, 'inbox');
  const config = path.join(work, 'docroute.config.yaml');
  const keyringFile = path.join(work, 'keyring.json');
  let invoices: string[] = [];
  const run = (args: string[], env: NodeJS.ProcessEnv = {}): CliResult =>
    cli([...args, '--config', config, '--data-dir', data], { cwd: work, env });
  /** Every base64 key in the keyring file right now. */
  const material = (): string[] =>
    Object.values(
      (JSON.parse(readFileSync(keyringFile, 'utf8')) as { classifications: Record<string, { versions: { key: string }[] }> })
        .classifications,
    ).flatMap((c) => c.versions.map((v) => v.key));
  const noKeyMaterial = (r: CliResult): void => {
    for (const k of material()) expect(r.stdout + r.stderr).not.toContain(k);
  };
  const currentKek = (classification: string): string => {
    const s = JSON.parse(run(['keys', 'status', '--json']).stdout) as {
      masterKeys: { classification: string; versions: { id: string; current: boolean }[] }[];
    };
    return s.masterKeys.find((c) => c.classification === classification)!.versions.find((v) => v.current)!.id;
  };
  const entries = (): string[] => readdirSync(path.join(data, 'pass')).map((n) => path.join(data, 'pass', n));

  beforeAll(async () => {
    assertBuilt();
    invoices = await writeInvoices(inbox, 4);
    // A relative keyring path: resolved against the config file's folder.
    writeFileSync(config, stringify({ security: { encryption: { enabled: true, keyring: 'keyring.json' } } }));
  }, 60_000);

  it('init creates a 0600 keyring with one key per classification and never overwrites it', () => {
    const r = run(['keys', 'init']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toContain('restricted, confidential, internal, public');
    expect(statSync(keyringFile).mode & 0o777).toBe(0o600);
    noKeyMaterial(r);
    const before = readFileSync(keyringFile);
    const again = run(['keys', 'init']);
    expect(again.code).toBe(EXIT.USAGE);
    expect(again.stderr).toMatch(/exists already: refusing to overwrite a keyring/);
    expect(readFileSync(keyringFile).equals(before)).toBe(true);
  });

  it('runs the pipeline with encryption on: route files hold no plaintext', () => {
    const r = run(['run', inbox]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    noKeyMaterial(r);
    expect(entries()).toHaveLength(8);
    for (const p of entries()) {
      const raw = readFileSync(p);
      expect(raw.subarray(0, 6).toString('ascii')).toBe('DRENC1');
      expect(raw.includes(Buffer.from('T-0000'))).toBe(false);
      expect(raw.includes(Buffer.from('%PDF'))).toBe(false);
    }
  });

  it('status shows classifications, ids and versions, never key material', () => {
    const r = run(['keys', 'status']);
    expect(r.code).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/encryption on/);
    for (const c of ['restricted', 'confidential', 'internal', 'public'])
      expect(r.stdout).toMatch(new RegExp(`${c}\\s+kek-${c}-[0-9a-f]{12}\\s+\\S+\\s+enabled\\s+current`));
    expect(r.stdout).toMatch(/restricted\s+dek-[0-9a-f]{16}\s+kek-restricted-[0-9a-f]{12}\s+current/);
    noKeyMaterial(r);
    const json = JSON.parse(run(['keys', 'status', '--json']).stdout) as { enabled: boolean; dataKeys: unknown[] };
    expect(json.enabled).toBe(true);
    expect(json.dataKeys).toHaveLength(1);
  });

  it('decrypt gives the original bytes back (0600 file) and the decision record (stdout)', () => {
    const entry = entries().find((p) => p.endsWith('invoice-0002.pdf'))!;
    const out = path.join(work, 'out.pdf');
    const r = run(['keys', 'decrypt', entry, '-o', out]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(readFileSync(out).equals(readFileSync(invoices[2]!))).toBe(true);
    expect(statSync(out).mode & 0o777).toBe(0o600);
    const record = run(['keys', 'decrypt', `${entry}.json`]);
    expect(record.code).toBe(EXIT.OK);
    expect(JSON.parse(record.stdout)).toMatchObject({ outcome: 'pass', name: 'invoice-0002.pdf', fields: { invoice_number: 'T-00002' } });
  });

  it('status, trace and review show still work on encrypted data', () => {
    const id = sha256(readFileSync(invoices[1]!));
    expect(run(['status', id]).stdout).toContain('pass');
    expect(run(['trace', id]).code).toBe(EXIT.OK);
    const show = run(['review', 'show', id]);
    expect(show.code, show.stderr).toBe(EXIT.OK);
    expect(show.stdout).toContain('T-00001');
  });

  it('rotate re-wraps the data keys and leaves every data file as it was', () => {
    const before = snapshot(data);
    const old = currentKek('restricted');
    const r = run(['keys', 'rotate', '--classification', 'restricted']);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/rotated restricted: new master key kek-restricted-[0-9a-f]{12}; re-wrapped 1 data key\(s\)/);
    noKeyMaterial(r);
    const fresh = currentKek('restricted');
    expect(fresh).not.toBe(old);
    const after = snapshot(data);
    const changed = [...after.keys()].filter((p) => before.get(p) !== after.get(p) && !p.startsWith('docroute.db'));
    expect(changed).toEqual(['keys/restricted.json']);
    // Old version disabled: nothing needs it any more.
    expect(run(['keys', 'disable', old]).code).toBe(EXIT.OK);
    const entry = entries().find((p) => p.endsWith('invoice-0003.pdf'))!;
    const out = path.join(work, 'after-rotation.pdf');
    expect(run(['keys', 'decrypt', entry, '-o', out]).code).toBe(EXIT.OK);
    expect(readFileSync(out).equals(readFileSync(invoices[3]!))).toBe(true);
    expect(run(['keys', 'rotate', '--classification', 'secret']).code).toBe(EXIT.USAGE);
  });

  it('a disabled key fails reads and writes with a clear, non-retryable error; enabling it fixes them', async () => {
    const kek = currentKek('restricted');
    expect(run(['keys', 'disable', kek]).stdout).toContain(`disabled ${kek} (classification restricted)`);
    const more = path.join(work, 'more');
    await writeInvoices(more, 1, 10);
    const failed = run(['run', more]);
    expect(failed.code).toBe(EXIT.INTERNAL);
    expect(failed.stderr).toContain(`KeyUnavailableError: key ${kek} (classification restricted) is disabled`);
    expect(failed.stderr).not.toMatch(/T-000|Acme|DE89/);
    const id = sha256(readFileSync(invoices[0]!));
    expect(run(['review', 'show', id]).stderr).toContain('KeyUnavailableError');
    expect(run(['keys', 'decrypt', entries()[0]!, '-o', path.join(work, 'x')]).stderr).toContain('KeyUnavailableError');
    // Rotation needs the data keys unwrapped: refused, keyring and key files untouched.
    const keyringBefore = readFileSync(keyringFile);
    expect(run(['keys', 'rotate', '--classification', 'restricted']).stderr).toContain('KeyUnavailableError');
    expect(readFileSync(keyringFile).equals(keyringBefore)).toBe(true);
    // status works without the key (it shows which one is disabled).
    expect(run(['keys', 'status']).stdout).toMatch(new RegExp(`${kek}\\s+\\S+\\s+disabled\\s+current`));

    expect(run(['keys', 'enable', kek]).code).toBe(EXIT.OK);
    expect(run(['run', more]).code).toBe(EXIT.OK);
    expect(run(['review', 'show', id]).code).toBe(EXIT.OK);
  });

  it('decrypt detects a tampered file', () => {
    const entry = entries().find((p) => p.endsWith('.json'))!;
    const copy = path.join(work, 'tampered.json');
    const bytes = readFileSync(entry);
    bytes[bytes.length - 30] = (bytes[bytes.length - 30] ?? 0) ^ 0x02;
    writeFileSync(copy, bytes);
    const r = run(['keys', 'decrypt', copy]);
    expect(r.code).toBe(EXIT.INTERNAL);
    expect(r.stderr).toMatch(/ArtifactIntegrityError: an encrypted decision failed authentication \(tampered or corrupt/);
    expect(r.stdout).toBe('');
  });

  it('reads DOCROUTE_KEYRING, refuses to change it, and refuses a keyring file others can read', () => {
    const env = { DOCROUTE_KEYRING: readFileSync(keyringFile).toString('base64') };
    const status = run(['keys', 'status'], env);
    expect(status.code).toBe(EXIT.OK);
    expect(status.stdout).toContain('keyring DOCROUTE_KEYRING');
    noKeyMaterial(status);
    const rotate = run(['keys', 'rotate', '--classification', 'public'], env);
    expect(rotate.code).toBe(EXIT.USAGE);
    expect(rotate.stderr).toContain('DOCROUTE_KEYRING');
    chmodSync(keyringFile, 0o644);
    try {
      const r = run(['keys', 'status']);
      expect(r.code).toBe(EXIT.USAGE);
      expect(r.stderr).toMatch(/accessible by group or others \(mode 644\); run chmod 600/);
    } finally {
      chmodSync(keyringFile, 0o600);
    }
  });
});
