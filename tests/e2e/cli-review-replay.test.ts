import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { DEFAULT_RULES } from '../../src/config/defaults.js';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * The promise, end to end through the built CLI:
 * - a document held by a rule is approved by a reviewer, moves to pass, and its trace lists the
 *   rule, the reviewer and the reason; a second decision is refused;
 * - after a rule change, a replay re-routes held documents without a second OCR. OCR calls are
 *   counted by a `tesseract` wrapper first on the PATH, which logs every recognition the native
 *   engine is asked for (the pipeline runs it as `tesseract stdin stdout ...`).
 */

const INBOX = path.resolve(import.meta.dirname, '../../examples/inbox');
const realTesseract = ((): string | null => {
  try {
    return execFileSync('sh', ['-c', 'command -v tesseract'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
})();

if (!realTesseract) console.warn('cli-review-replay: native tesseract is not installed; skipping (CI installs it)');

describe.skipIf(!realTesseract)('review and replay, end to end', () => {
  const work = tempDir('review');
  const data = path.join(work, 'data');
  const inbox = path.join(work, 'inbox');
  const shimDir = path.join(work, 'shim');
  const ocrLog = path.join(work, 'ocr-calls.log');
  const env = { PATH: `${shimDir}:${process.env['PATH'] ?? ''}` };

  /** Before: the default rules plus one that holds every letter for review. After: a higher approval limit, no letter rule. */
  const rulesBefore = [
    ...DEFAULT_RULES,
    {
      id: 'letter-needs-review',
      classes: ['letter'],
      conditions: { all: [{ fact: 'documentClass', operator: 'equal', value: 'letter' }] },
      outcome: 'hold',
      reasonCode: 'LETTER_NEEDS_REVIEW',
      message: 'Letters are read by a person.',
    },
  ];
  const rulesAfter = DEFAULT_RULES.map((r) =>
    r.id === 'invoice-approval-limit'
      ? {
          ...r,
          conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'greaterThan', value: 100000 }] },
          message: 'Above 100,000.',
        }
      : r,
  );
  const before = path.join(work, 'before.yaml');
  const after = path.join(work, 'after.yaml');
  const ocrCalls = (): number =>
    existsSync(ocrLog)
      ? readFileSync(ocrLog, 'utf8')
          .split('\n')
          .filter((l) => l.startsWith('stdin stdout')).length
      : 0;
  const run = (args: string[], config = before) => cli([...args, '--config', config, '--data-dir', data], { cwd: work, env });
  const idOf = (name: string): string => {
    const r = run(['status', path.join(inbox, name), '--json']);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    return (JSON.parse(r.stdout) as { documentId: string }).documentId;
  };

  let first: ReturnType<typeof cli>;
  beforeAll(() => {
    assertBuilt();
    mkdirSync(shimDir);
    writeFileSync(path.join(shimDir, 'tesseract'), `#!/bin/sh\necho "$*" >> '${ocrLog}'\nexec '${realTesseract ?? ''}' "$@"\n`);
    chmodSync(path.join(shimDir, 'tesseract'), 0o755);
    mkdirSync(inbox);
    for (const f of ['invoice-northwind.pdf', 'invoice-large-amount.pdf', 'scanned-letter.pdf', 'receipt-cafe.png']) {
      cpSync(path.join(INBOX, f), path.join(inbox, f));
    }
    const common = { extract: { ocr: { engine: 'tesseract', workers: 1 } } };
    writeFileSync(before, stringify({ ...common, rules: rulesBefore }));
    writeFileSync(after, stringify({ ...common, rules: rulesAfter }));
    first = run(['run', inbox]);
  }, 240_000);

  it('holds the large invoice and the scanned letter, OCRing the scans once', () => {
    expect(first.code, first.stderr).toBe(EXIT.OK);
    expect(first.stdout).toContain('received 4 = pass 2 + hold 2 + reject 0 + failed 0');
    // The letter (a scanned PDF) and the receipt (a PNG) were OCRed: one call per page.
    expect(ocrCalls()).toBeGreaterThanOrEqual(2);
    const list = run(['review', 'list', '--json']);
    expect(list.code).toBe(EXIT.OK);
    const held = JSON.parse(list.stdout) as { name: string; reasonCodes: string[] }[];
    expect(held.map((h) => h.name).sort()).toEqual(['invoice-large-amount.pdf', 'scanned-letter.pdf']);
    expect(held.find((h) => h.name === 'invoice-large-amount.pdf')?.reasonCodes).toEqual(['AMOUNT_ABOVE_APPROVAL_LIMIT']);
  });

  it('shows a reviewer the rule, the findings and the fields, with the IBAN masked', () => {
    const r = run(['review', 'show', idOf('invoice-large-amount.pdf').slice(0, 12)]);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/Route\s+HOLD\s+decision 1 \(pipeline/);
    expect(r.stdout).toContain('invoice-approval-limit  AMOUNT_ABOVE_APPROVAL_LIMIT  hold  fields: total');
    expect(r.stdout).toMatch(/iban = ••••\w{4}\s+\(sensitive: masked\)/);
    expect(r.stdout).not.toMatch(/GB\d{2}[A-Z]{4}\d{6,}/); // no full IBAN anywhere
  });

  it('records an approval with who, when and why, moves the document to pass, and refuses a second decision', () => {
    const id = idOf('invoice-large-amount.pdf');
    const invalid = run(['review', 'approve', id.slice(0, 12), '--reviewer', 'alice', '--reason', '   ']);
    expect(invalid.code).toBe(EXIT.USAGE);
    expect(invalid.stderr).toContain('a reason is required');

    const ok = run(['review', 'approve', id.slice(0, 12), '--reviewer', 'alice', '--reason', 'PO 4471 covers this amount']);
    expect(ok.code, ok.stderr).toBe(EXIT.OK);
    expect(ok.stdout).toMatch(/HOLD → PASS\s+decision 2 \(review by alice/);
    const entry = `${id.slice(0, 12)}-invoice-large-amount.pdf`;
    expect(readdirSync(path.join(data, 'pass'))).toContain(entry);
    expect(readdirSync(path.join(data, 'hold'))).not.toContain(entry);
    expect(readdirSync(path.join(data, 'hold'))).not.toContain(`${entry}.json`);
    const record = JSON.parse(readFileSync(path.join(data, 'pass', `${entry}.json`), 'utf8')) as {
      outcome: string;
      decision: { version: number; kind: string; reviewer: string; reason: string; supersedes: { version: number; outcome: string } };
      reasons: { code: string }[];
    };
    expect(record.outcome).toBe('pass');
    expect(record.decision).toMatchObject({
      version: 2,
      kind: 'review',
      reviewer: 'alice',
      reason: 'PO 4471 covers this amount',
      supersedes: { version: 1, outcome: 'hold' },
    });
    expect(record.reasons[0]?.code).toBe('REVIEW_APPROVED');

    // The trace: the rule that held it, then the reviewer and the reason.
    const trace = run(['trace', id.slice(0, 12)]);
    expect(trace.code).toBe(EXIT.OK);
    const routed = trace.stdout.split('\n').find((l) => /\brouted\b/.test(l));
    expect(routed).toContain('hold');
    expect(routed).toContain('AMOUNT_ABOVE_APPROVAL_LIMIT');
    expect(routed).toContain('rules invoice-approval-limit');
    const reviewed = trace.stdout.split('\n').find((l) => /\breviewed\b/.test(l));
    expect(reviewed).toContain('REVIEW_APPROVED');
    expect(reviewed).toContain('by alice: "PO 4471 covers this amount"');
    expect(reviewed).toContain('supersedes hold (decision 1)');
    expect(trace.stdout.split('\n').some((l) => /\bmoved\b/.test(l) && l.includes('pass'))).toBe(true);

    // Where is it now, and why?
    const status = run(['status', id.slice(0, 12)]);
    expect(status.stdout).toMatch(/Route\s+PASS/);
    expect(status.stdout).toMatch(/Decided .*decision 2, review by alice: "PO 4471 covers this amount"; supersedes hold \(decision 1\)/);

    // The batch keeps its own outcome, and says where the document is now.
    const batch = run(['batches', 'show', 'latest']);
    expect(batch.stdout.split('\n').find((l) => l.includes('invoice-large-amount.pdf'))).toMatch(/now PASS \(decision 2, review\)/);

    // A decision is made once.
    const again = run(['review', 'reject', id.slice(0, 12), '--reviewer', 'bob', '--reason', 'second opinion']);
    expect(again.code).toBe(EXIT.CONFLICT);
    expect(again.stderr).toContain('is not awaiting review: it is PASS by decision 2 (review by alice');
    expect(readdirSync(path.join(data, 'pass'))).toContain(entry);
  });

  it('replays held documents after a rule change without a second OCR, linking the new decision to the old', () => {
    const letter = idOf('scanned-letter.pdf');
    const callsBefore = ocrCalls();
    expect(callsBefore).toBeGreaterThan(0);

    const dry = run(['replay', '--route', 'hold', '--from', 'validate', '--dry-run'], after);
    expect(dry.code, dry.stderr).toBe(EXIT.OK);
    expect(dry.stdout).toMatch(/scanned-letter\.pdf\s+hold → pass/);
    expect(readdirSync(path.join(data, 'hold')).some((e) => e.startsWith(letter.slice(0, 12)))).toBe(true);

    const r = run(['replay', '--route', 'hold', '--from', 'validate'], after);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/scanned-letter\.pdf\s+hold → pass/);
    expect(r.stdout).toContain('1 re-decided (1 changed: hold → pass ×1; 0 unchanged), 0 skipped, 0 failed');
    expect(ocrCalls()).toBe(callsBefore); // no new OCR
    expect(readdirSync(path.join(data, 'pass')).some((e) => e.startsWith(letter.slice(0, 12)))).toBe(true);
    expect(readdirSync(path.join(data, 'hold'))).toEqual([]);

    const trace = run(['trace', letter.slice(0, 12)], after);
    const replayed = trace.stdout.split('\n').find((l) => /\breplayed\b/.test(l));
    expect(replayed).toContain('from validate; decision 2 supersedes hold (decision 1)');
    // Only Validate ran again: no Extract (or Classify) under the replay.
    const replayId = /\b(rp-[\w-]+)/.exec(replayed ?? '')?.[1];
    expect(replayId).toBeDefined();
    const replaySteps = trace.stdout.split('\n').filter((l) => l.includes(replayId ?? '?') && /\bentered\b/.test(l));
    expect(replaySteps.map((l) => /\s(Extract|Classify|ExtractFields|Validate)\s/.exec(l)?.[1])).toEqual(['Validate']);

    // The reviewer's decision is never replayed.
    const invoice = idOf('invoice-large-amount.pdf');
    const skip = run(['replay', invoice.slice(0, 12), '--from', 'classify'], after);
    expect(skip.code).toBe(EXIT.OK);
    expect(skip.stdout).toContain('decided by reviewer alice; a replay never overrides a human decision');
    expect(ocrCalls()).toBe(callsBefore);
  });

  it('replays from classify with the cached extraction, still without OCR', () => {
    const callsBefore = ocrCalls();
    const letter = idOf('scanned-letter.pdf');
    const r = run(['replay', letter.slice(0, 12), '--from', 'classify'], after);
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).toMatch(/pass → pass \(unchanged\)/);
    expect(ocrCalls()).toBe(callsBefore);
    const history = run(['review', 'show', letter.slice(0, 12), '--json'], after);
    const view = JSON.parse(history.stdout) as { chain: { version: number; kind: string; outcome: string }[] };
    expect(view.chain.map((d) => `${d.version}:${d.kind}:${d.outcome}`)).toEqual(['1:pipeline:hold', '2:replay:pass', '3:replay:pass']);
  });
});
