import { copyFileSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cliAsync } from '../helpers/cli.js';
import { tempDir, writeInvoices } from '../helpers/docs.js';

const INBOX = path.resolve(import.meta.dirname, '../../examples/inbox');

const routed = (data: string): number => {
  try {
    const db = new Database(path.join(data, 'docroute.db'), { readonly: true, fileMustExist: true });
    try {
      return (db.prepare('SELECT COUNT(*) AS n FROM routes').get() as { n: number }).n;
    } finally {
      db.close();
    }
  } catch {
    return 0;
  }
};

const waitFor = async (cond: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return cond();
};

describe('docroute watch', () => {
  it('picks up files as they arrive, in batches, and stops cleanly on Ctrl-C', async () => {
    assertBuilt();
    const work = tempDir('watch');
    const inbox = path.join(work, 'inbox');
    const data = path.join(work, 'data');
    mkdirSync(inbox);
    const config = path.join(work, 'docroute.config.yaml');
    writeFileSync(config, 'watch:\n  intervalMs: 200\n  settleMs: 200\n  batchSize: 2\n');
    const child = cliAsync(['watch', inbox, '--config', config, '--data-dir', data]);
    let stdout = '';
    child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

    await writeInvoices(inbox, 3);
    expect(await waitFor(() => routed(data) === 3, 30_000)).toBe(true);
    copyFileSync(path.join(INBOX, 'invoice-large-amount.pdf'), path.join(inbox, 'later.pdf'));
    expect(await waitFor(() => routed(data) === 4, 30_000)).toBe(true);

    child.kill('SIGINT');
    expect(await exited).toBe(EXIT.OK);
    // batchSize 2: no batch holds more than two documents, the late file comes in a batch of its own.
    const sizes = [...stdout.matchAll(/received (\d+) =/g)].map((m) => Number(m[1]));
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(4);
    expect(Math.max(...sizes)).toBeLessThanOrEqual(2);
    expect(sizes.at(-1)).toBe(1);
    expect(stdout).toContain('hold 1');
  }, 90_000);
});
