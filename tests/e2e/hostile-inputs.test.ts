import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/adapters/local/sqlite-store.js';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { locationIdOf } from '../../src/orchestration/refused-inputs.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';
import { hostileConfigYaml, showName, writeHostileCorpus, type HostileInput } from '../helpers/hostile-corpus.js';

/**
 * The hostile corpus through one `docroute run`: every entry ends as a recorded `reject` with its
 * reason code (run output, batch summary, ledger, audit trail, `status`), the process exits
 * normally, originals are kept, nothing is written outside the data dir, and memory stays bounded.
 */

interface RunJson {
  dataDir: string;
  runs: {
    batchId: string;
    summary: {
      received: number;
      pass: number;
      hold: number;
      reject: number;
      failed: number;
      reasons: Record<string, number>;
      reconciled: boolean;
    } | null;
    error: unknown;
    sameBytesInBatch: number;
    skipped: { file: string; reason: string; documentId: string }[];
  }[];
  resources: { peakRssBytes: number };
}

const LIMITS = { maxFileBytes: 8 * 1024 * 1024, maxPages: 50, maxPixels: 4_000_000 };

/**
 * 1.5 GiB: what a 2 GB CI runner can hold next to the OS and the test runner. The bombs in the
 * corpus claim 1 GiB of Flate output each and up to 4.6 * 10^18 pixels: a single one let through
 * would pass it by far (before the decompressed-bytes cap, the first bomb alone took 10 GB).
 */
const MAX_PEAK_RSS = 1.5 * 1024 ** 3;
/** The hostile batch may cost more than a benign one (sharp, pdfjs and OCR all load), not multiples more. */
const MAX_RSS_RATIO = 3;

/** Every path under `dir`, with type and size, except under `skip`; symlinks are not followed. */
const snapshot = (dir: string, skip: string): string[] => {
  const out: string[] = [];
  const walk = (d: Buffer): void => {
    for (const name of readdirSync(d, { encoding: 'buffer' })) {
      const p = Buffer.concat([d, Buffer.from('/'), name]);
      if (p.toString() === skip) continue;
      const st = lstatSync(p);
      out.push(`${p.toString('hex')} ${st.isDirectory() ? 'd' : st.isFile() ? `f${st.size}` : st.isSymbolicLink() ? 'l' : 'o'}`);
      if (st.isDirectory()) walk(p);
    }
  };
  walk(Buffer.from(dir));
  return out.sort();
};

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.pid !== undefined) process.kill(c.pid, 'SIGKILL');
});

describe('hostile inputs', () => {
  it('rejects every hostile entry with its reason code, never crashes, keeps memory bounded', async () => {
    assertBuilt();
    const work = tempDir('hostile');
    const inbox = path.join(work, 'inbox');
    const outside = path.join(work, 'outside');
    const data = path.join(work, 'data');
    mkdirSync(inbox);
    mkdirSync(outside);
    const manifest = await writeHostileCorpus(inbox, { ...LIMITS, outside });
    expect(manifest.length).toBeGreaterThanOrEqual(200);
    const config = path.join(work, 'docroute.config.yaml');
    writeFileSync(config, hostileConfigYaml(LIMITS));
    const before = snapshot(work, data);

    const r = cli(['run', inbox, '--config', config, '--data-dir', data, '--json']);
    // Exited normally (no signal, no timeout), without a stack trace, with the documented code:
    // rejects are outcomes, not failures, so the run is OK (0).
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(EXIT.OK);
    const out = JSON.parse(r.stdout) as RunJson;
    expect(out.runs).toHaveLength(1);
    const run = out.runs[0]!;
    expect(run.error).toBeNull();

    // The batch reconciles, and it holds every entry: one document per distinct content, one
    // location-id record per entry that is not a regular file.
    const duplicates = manifest.filter((m) => m.sameBytesAs !== undefined).length;
    const entries = manifest.filter((m) => m.sameBytesAs === undefined);
    const summary = run.summary!;
    expect(summary.reconciled).toBe(true);
    expect(summary.received).toBe(entries.length);
    expect(summary).toMatchObject({ pass: 0, hold: 0, failed: 0, reject: entries.length });
    expect(summary.received).toBe(summary.pass + summary.hold + summary.reject + summary.failed);
    expect(run.sameBytesInBatch).toBe(duplicates);
    const expectedReasons: Record<string, number> = {};
    for (const m of entries) expectedReasons[m.expect] = (expectedReasons[m.expect] ?? 0) + 1;
    expect(summary.reasons).toEqual(expectedReasons);

    // Per entry: the ledger's outcome, the audit trail's route record, and the original.
    const idOf = (m: HostileInput): string => {
      const full = Buffer.concat([Buffer.from(`${inbox}/`), m.name]);
      return m.nonRegular ? locationIdOf(full) : sha256(readFileSync(full));
    };
    const store = new SqliteStore(path.join(data, 'docroute.db'));
    try {
      const outcomes = new Map((await store.batchOutcomes(run.batchId)).map((o) => [o.documentId, o]));
      const refusedInRun = new Map(run.skipped.map((s) => [s.documentId, s]));
      for (const m of manifest) {
        const label = `${m.category} ${showName(m.name)} (${m.note})`;
        const id = idOf(m);
        expect(outcomes.get(id), label).toMatchObject({ outcome: 'reject', reasonCode: m.expect });
        const routed = (await store.timeline(id)).filter((a) => a.event === 'routed');
        expect(routed, label).toHaveLength(1);
        expect(routed[0], label).toMatchObject({ outcome: 'reject', reasonCodes: [m.expect] });
        // Stored names are escaped: no control characters, whatever the file was called.
        // eslint-disable-next-line no-control-regex -- control characters are what is checked for
        expect(outcomes.get(id)?.name, label).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
        const original = path.join(data, 'objects', id.slice(0, 2), id);
        if (m.nonRegular) {
          expect(refusedInRun.get(id), label).toMatchObject({ reason: 'NOT_A_REGULAR_FILE' });
          expect(existsSync(original), label).toBe(false);
        } else {
          expect(sha256(readFileSync(original)), label).toBe(id);
        }
      }
    } finally {
      store.close();
    }

    // `status` says the same (a symlink, a bomb, a name that is not UTF-8, a name with terminal
    // escapes), in JSON and as text.
    const ansi = manifest.find((m) => m.name.includes(0x1b))!;
    const sample = [
      manifest.find((m) => m.category === 'symlink')!,
      manifest.find((m) => m.category === 'decompression-bomb')!,
      manifest.find((m) => m.name.includes(0xff))!,
      ansi,
    ];
    for (const m of sample) {
      const s = cli(['status', idOf(m), '--data-dir', data, '--json']);
      expect(s.code, showName(m.name)).toBe(EXIT.OK);
      const status = JSON.parse(s.stdout) as { outcome: string; reasons: { code: string }[] };
      expect(status, showName(m.name)).toMatchObject({ outcome: 'reject', reasons: [{ code: m.expect }] });
    }
    const text = cli(['status', idOf(ansi), '--data-dir', data]);
    expect(text.stdout).toContain('REJECT');
    expect(text.stdout).not.toContain('\x1b');

    // Nothing was written outside the data dir: the inbox, its parent and the symlink targets are
    // as they were ('../'-like names did not escape), and nothing appeared next to them.
    expect(snapshot(work, data)).toEqual(before);

    // Memory: bounded in absolute terms, and close to what 20 ordinary documents cost.
    const benign = path.join(work, 'benign');
    await writeInvoices(benign, 20);
    const b = cli(['run', benign, '--data-dir', path.join(work, 'benign-data'), '--json']);
    expect(b.code).toBe(EXIT.OK);
    const benignOut = JSON.parse(b.stdout) as RunJson;
    expect(benignOut.runs[0]?.summary).toMatchObject({ received: 20, pass: 20 });
    const hostilePeak = out.resources.peakRssBytes;
    const benignPeak = benignOut.resources.peakRssBytes;
    console.info(
      `hostile-inputs: ${manifest.length} entries; peak RSS hostile ${(hostilePeak / 2 ** 20).toFixed(0)} MiB, benign ${(benignPeak / 2 ** 20).toFixed(0)} MiB`,
    );
    expect(hostilePeak).toBeGreaterThan(0);
    expect(hostilePeak).toBeLessThan(MAX_PEAK_RSS);
    expect(hostilePeak).toBeLessThanOrEqual(MAX_RSS_RATIO * benignPeak);
  }, 240_000);

  it('refuses a file that is rewritten while it is read, and takes in the stable files beside it', async () => {
    assertBuilt();
    const work = tempDir('hostile-change');
    const inbox = path.join(work, 'inbox');
    mkdirSync(inbox);
    const volatile = path.join(inbox, 'being-written.pdf');
    writeFileSync(path.join(inbox, 'stable.pdf'), '%PDF-1.7\n% stable\n');
    // A writer that rewrites 16 MiB, with different bytes each time, for as long as it lives: the
    // copy into the store takes a read, a write and an fsync of 16 MiB, during which the file
    // changes several times over. It reports its first rewrite, so the run starts on a moving file.
    const writer = spawn(
      process.execPath,
      [
        '-e',
        `const fs = require('fs'); const b = Buffer.alloc(16 << 20); let n = 0;
         for (;;) { b.writeUInt32LE(n++, 0); fs.writeFileSync(process.argv[1], b); if (n === 2) process.stdout.write('ready\\n'); }`,
        volatile,
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    children.push(writer);
    await new Promise<void>((resolve, reject) => {
      writer.stdout.once('data', () => resolve());
      writer.once('exit', (code) => reject(new Error(`writer exited early (${String(code)})`)));
    });
    const data = path.join(work, 'data');
    let r;
    try {
      r = cli(['run', inbox, '--data-dir', data, '--json']);
    } finally {
      if (writer.pid !== undefined) process.kill(writer.pid, 'SIGKILL');
    }
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(EXIT.OK);
    const run = (JSON.parse(r.stdout) as RunJson).runs[0]!;
    expect(run.summary).toMatchObject({ received: 2, reject: 2, failed: 0, reasons: { FILE_CHANGED_WHILE_READ: 1, CORRUPT_PDF: 1 } });
    const id = locationIdOf(Buffer.from(volatile));
    expect(run.skipped).toEqual([{ file: volatile, reason: 'FILE_CHANGED_WHILE_READ', documentId: id }]);
    const s = cli(['status', id, '--data-dir', data, '--json']);
    expect(JSON.parse(s.stdout)).toMatchObject({ outcome: 'reject', reasons: [{ code: 'FILE_CHANGED_WHILE_READ' }] });
  }, 120_000);
});
