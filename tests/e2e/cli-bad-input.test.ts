import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { passingInvoice, tempDir } from '../helpers/docs.js';

describe('bad input', () => {
  it('rejects each unusable file with its reason code, keeps every original, and finishes the batch', async () => {
    assertBuilt();
    const work = tempDir('bad');
    const inbox = path.join(work, 'inbox');
    mkdirSync(inbox);
    const good = await passingInvoice(7);
    expect(good.length).toBeLessThan(2500);
    const files: Record<string, Uint8Array> = {
      'empty.pdf': new Uint8Array(0),
      'notes.pdf': new TextEncoder().encode('just some text with a misleading extension\n'),
      'truncated.pdf': good.slice(0, 400),
      'huge.pdf': new Uint8Array([...new TextEncoder().encode('%PDF-1.7\n'), ...new Uint8Array(4000).fill(32)]),
      'good.pdf': good,
    };
    for (const [name, bytes] of Object.entries(files)) writeFileSync(path.join(inbox, name), bytes);
    const config = path.join(work, 'docroute.config.yaml');
    writeFileSync(config, 'limits:\n  maxFileBytes: 2500\n');

    const r = cli(['run', inbox, '--config', config, '--data-dir', path.join(work, 'data'), '--json']);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(r.code).toBe(EXIT.OK);
    const run = (JSON.parse(r.stdout) as { runs: { batchId: string; summary: Record<string, unknown> }[] }).runs[0]!;
    expect(run.summary).toMatchObject({
      received: 5,
      pass: 1,
      hold: 0,
      reject: 4,
      failed: 0,
      reasons: { CORRUPT_PDF: 1, EMPTY_FILE: 1, TOO_LARGE: 1, UNSUPPORTED_TYPE: 1 },
    });

    for (const [name, bytes] of Object.entries(files)) {
      const status = JSON.parse(cli(['status', path.join(inbox, name), '--data-dir', path.join(work, 'data'), '--json']).stdout) as {
        documentId: string;
        outcome: string;
        location: string;
      };
      expect(status.outcome, name).toBe(name === 'good.pdf' ? 'pass' : 'reject');
      // The route entry links to the original, byte for byte.
      expect(new Uint8Array(readFileSync(status.location))).toEqual(bytes);
      const original = path.join(work, 'data', 'objects', status.documentId.slice(0, 2), status.documentId);
      expect(new Uint8Array(readFileSync(original))).toEqual(bytes);
    }
  }, 60_000);
});
