import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXIT } from '../../../src/entrypoints/cli/exit-codes.js';
import { kindOf, writeInbox } from '../../../src/entrypoints/cli/gameday/inbox.js';
import { check, exitCodeOf, formatReport, resultOf } from '../../../src/entrypoints/cli/gameday/report.js';
import { tempDir } from '../../helpers/docs.js';

describe('gameday report', () => {
  it('passes only when every check passes; exit 0, else 7', () => {
    const ok = resultOf('s', [check('a', true, '1/1'), check('b', true, 'fine')], { documents: 1 });
    expect(ok.passed).toBe(true);
    expect(exitCodeOf(ok)).toBe(EXIT.OK);
    const bad = resultOf('s', [check('a', true, '1/1'), check('b', false, 'routes rows 2')], { documents: 1 });
    expect(bad.passed).toBe(false);
    expect(exitCodeOf(bad)).toBe(EXIT.CHECKS_FAILED);
    expect(resultOf('s', [], {}).passed).toBe(false);
  });

  it('prints a verdict, the checks and the numbers', () => {
    const text = formatReport(resultOf('disk-full', [check('nothing duplicated', false, 'routes rows 7 (expected 6)')], { reRuns: 1 }));
    expect(text.split('\n')[0]).toBe('FAIL  gameday disk-full: 1 of 1 checks failed');
    expect(text).toMatch(/FAIL {2}nothing duplicated {2}routes rows 7 \(expected 6\)/);
    expect(text).toMatch(/reRuns {2}1/);
  });
});

describe('gameday inbox', () => {
  it('is the same bytes for the same seed, with scans, holds and rejects', async () => {
    const a = tempDir('inbox-a');
    const b = tempDir('inbox-b');
    const docs = await writeInbox(a, { docs: 8, seed: 5 });
    await writeInbox(b, { docs: 8, seed: 5 });
    expect(docs.map((d) => d.kind)).toEqual([0, 1, 2, 3, 4, 5, 6, 7].map(kindOf));
    expect(new Set(docs.map((d) => d.kind))).toEqual(new Set(['pass', 'scan', 'hold', 'reject']));
    const names = readdirSync(a).sort();
    expect(names).toHaveLength(8);
    for (const n of names) expect(readFileSync(path.join(b, n)).equals(readFileSync(path.join(a, n)))).toBe(true);
    // Scans are PNGs (no text layer: OCR runs); the rest are PDFs.
    for (const d of docs) {
      const head = readFileSync(path.join(a, d.name)).subarray(0, 4).toString('latin1');
      expect(head).toBe(d.kind === 'scan' ? '\x89PNG' : '%PDF');
    }
    const other = tempDir('inbox-c');
    await writeInbox(other, { docs: 8, seed: 6 });
    expect(readFileSync(path.join(other, names[0]!)).equals(readFileSync(path.join(a, names[0]!)))).toBe(false);
  });
});
