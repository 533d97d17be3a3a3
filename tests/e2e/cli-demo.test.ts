import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cli } from '../helpers/cli.js';
import { tempDir } from '../helpers/docs.js';

/**
 * The README's promise, end to end through the built CLI: the demo routes the sample inbox to
 * pass, hold and reject, handles the corrupt file, explains every document, and routes nothing
 * twice when run again.
 */

const EXPECTED: Record<string, { route: string; code?: string }> = {
  'invoice-northwind.pdf': { route: 'PASS' },
  'scanned-letter.pdf': { route: 'PASS' },
  'receipt-cafe.png': { route: 'PASS' },
  'invoice-large-amount.pdf': { route: 'HOLD', code: 'AMOUNT_ABOVE_APPROVAL_LIMIT' },
  'invoice-bad-iban.pdf': { route: 'REJECT', code: 'INVALID_IBAN' },
  'corrupt-statement.pdf': { route: 'REJECT', code: 'CORRUPT_PDF' },
};
const INBOX = path.resolve(import.meta.dirname, '../../examples/inbox');

describe('docroute demo', () => {
  const work = tempDir('demo');
  const data = path.join(work, 'data');
  let first: ReturnType<typeof cli>;

  beforeAll(() => {
    assertBuilt();
    first = cli(['demo', '--data-dir', data], { cwd: work });
  }, 180_000);

  it('routes the sample inbox to all three routes and handles the corrupt file cleanly', () => {
    expect(first.stderr).not.toMatch(/at .*\.js:\d+/); // no stack traces
    expect(first.code).toBe(EXIT.OK);
    expect(first.stdout).toContain('received 6 = pass 3 + hold 1 + reject 2 + failed 0  (reconciled)');
    for (const [name, want] of Object.entries(EXPECTED)) {
      const line = first.stdout.split('\n').find((l) => l.includes(name));
      expect(line, name).toBeDefined();
      expect(line).toMatch(new RegExp(`^${want.route}\\b`));
      if (want.code) expect(line).toContain(want.code);
    }
    for (const route of ['pass', 'hold', 'reject']) {
      const entries = readdirSync(path.join(data, route));
      expect(entries.filter((e) => e.endsWith('.json')).length).toBe(
        Object.values(EXPECTED).filter((w) => w.route === route.toUpperCase()).length,
      );
    }
    // The corrupt original is kept, byte for byte, in the object store.
    const reject = readdirSync(path.join(data, 'reject')).find((e) => e.endsWith('corrupt-statement.pdf'));
    expect(readFileSync(path.join(data, 'reject', reject!))).toEqual(readFileSync(path.join(INBOX, 'corrupt-statement.pdf')));
  });

  it('answers "where is it and why" for every sample, by path or by id', () => {
    for (const [name, want] of Object.entries(EXPECTED)) {
      const r = cli(['status', path.join(INBOX, name), '--data-dir', data], { cwd: work });
      expect(r.code, name).toBe(EXIT.OK);
      expect(r.stdout).toMatch(new RegExp(`Route\\s+${want.route}`));
      expect(r.stdout).toMatch(/Why\s+[A-Z_]+: /);
      if (want.code) expect(r.stdout).toContain(want.code);
      const json = JSON.parse(cli(['status', path.join(INBOX, name), '--data-dir', data, '--json']).stdout) as {
        documentId: string;
        outcome: string;
      };
      expect(json.outcome).toBe(want.route.toLowerCase());
      const byPrefix = cli(['status', json.documentId.slice(0, 10), '--data-dir', data]);
      expect(byPrefix.stdout).toContain(json.documentId);
    }
    const missing = cli(['status', 'deadbeefdeadbeef', '--data-dir', data]);
    expect(missing.code).toBe(EXIT.NOT_FOUND);
  });

  it('traces every transition of a document', () => {
    const r = cli(['trace', path.join(INBOX, 'scanned-letter.pdf'), '--data-dir', data, '--json']);
    expect(r.code).toBe(EXIT.OK);
    const events = (JSON.parse(r.stdout) as { step: string; event: string }[]).map((e) => `${e.step}:${e.event}`);
    expect(events).toEqual([
      'Receive:received',
      'Ingest:entered',
      'Ingest:succeeded',
      'Extract:entered',
      'Extract:succeeded',
      'Classify:entered',
      'Classify:succeeded',
      'ExtractFields:entered',
      'ExtractFields:succeeded',
      'Validate:entered',
      'Validate:succeeded',
      'RoutePass:entered',
      'Route:routed',
      'RoutePass:succeeded',
    ]);
    const text = cli(['trace', path.join(INBOX, 'corrupt-statement.pdf'), '--data-dir', data]);
    expect(text.stdout).toContain('CorruptDocumentError');
    expect(text.stdout).toContain('CORRUPT_PDF');
  });

  it('keeps document content out of the audit trail and the command output', () => {
    const db = new Database(path.join(data, 'docroute.db'), { readonly: true });
    const audit = JSON.stringify(db.prepare('SELECT * FROM audit').all());
    db.close();
    const trace = cli(['trace', path.join(INBOX, 'invoice-northwind.pdf'), '--data-dir', data]).stdout;
    // Values that appear in the samples' text and fields.
    for (const secret of [
      'Northwind Office',
      'INV-2026-0412',
      'DE89',
      '3704 0044',
      'Blue Door',
      'Rivera',
      '48,900',
      '48900',
      '1,250.00',
      'HFL-88213',
    ]) {
      expect(audit, secret).not.toContain(secret);
      expect(first.stdout + first.stderr + trace, secret).not.toContain(secret);
    }
    expect(audit).toContain('"event":"routed"');
  });

  it('routes nothing twice when run again', () => {
    const db = new Database(path.join(data, 'docroute.db'), { readonly: true });
    const routedBefore = db.prepare("SELECT COUNT(*) AS n FROM audit WHERE event = 'routed'").get() as { n: number };
    const filesBefore = ['pass', 'hold', 'reject'].map((r) => readdirSync(path.join(data, r)).sort().join(','));
    db.close();

    const again = cli(['demo', '--data-dir', data], { cwd: work });
    expect(again.code).toBe(EXIT.OK);
    expect(again.stdout).toContain('6 already routed by an earlier batch: not routed again');

    const db2 = new Database(path.join(data, 'docroute.db'), { readonly: true });
    const routedAfter = db2.prepare("SELECT COUNT(*) AS n FROM audit WHERE event = 'routed'").get() as { n: number };
    const routes = db2.prepare('SELECT COUNT(*) AS n FROM routes').get() as { n: number };
    db2.close();
    expect(routedBefore.n).toBe(6);
    expect(routedAfter.n).toBe(6);
    expect(routes.n).toBe(6);
    expect(['pass', 'hold', 'reject'].map((r) => readdirSync(path.join(data, r)).sort().join(','))).toEqual(filesBefore);

    const batches = JSON.parse(cli(['batches', '--data-dir', data, '--json']).stdout) as {
      batchId: string;
      status: string;
      counts: { duplicates: number };
    }[];
    expect(batches).toHaveLength(2);
    expect(batches.map((b) => b.counts.duplicates)).toEqual([6, 0]);

    // One batch, by outcome: the first run's, where every document was routed.
    const first = batches[1]?.batchId ?? '';
    const shown = JSON.parse(cli(['batches', 'show', first, '--data-dir', data, '--json']).stdout) as {
      received: number;
      documents: Record<string, { name: string; reasonCode: string | null }[]>;
    };
    expect(shown.received).toBe(6);
    const names = (k: string) => (shown.documents[k] ?? []).map((d) => d.name).sort();
    expect(names('pass')).toEqual(['invoice-northwind.pdf', 'receipt-cafe.png', 'scanned-letter.pdf']);
    expect(names('hold')).toEqual(['invoice-large-amount.pdf']);
    expect((shown.documents['reject'] ?? []).map((d) => d.reasonCode).sort()).toEqual(['CORRUPT_PDF', 'INVALID_IBAN']);
    expect(shown.documents['failed']).toEqual([]);
    const text = cli(['batches', 'show', 'latest', '--data-dir', data]);
    expect(text.stdout).toContain('received 6 = pass 3 + hold 1 + reject 2 + failed 0');
    expect(cli(['batches', 'show', 'b-nope', '--data-dir', data]).code).toBe(EXIT.NOT_FOUND);
  });
});

describe('CLI errors', () => {
  it('explains a bad config file in one paragraph, with the path, and exits 2', () => {
    const dir = tempDir('badcfg');
    const file = path.join(dir, 'docroute.config.yaml');
    writeFileSync(file, 'engine:\n  maxConcurrency: 0\nextract:\n  ocr:\n    dpi: "high"\n');
    const r = cli(['run', dir, '--config', file, '--data-dir', path.join(dir, 'data')]);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toContain('engine.maxConcurrency');
    expect(r.stderr).toContain('extract.ocr.dpi: expected number');
    expect(r.stderr).not.toMatch(/\n\s+at /);

    writeFileSync(file, 'engine: [unclosed\n');
    const yaml = cli(['config', 'check', '--config', file]);
    expect(yaml.code).toBe(EXIT.USAGE);
    expect(yaml.stderr).toMatch(/not valid YAML at line \d+/);
  });

  it('exits 2 on a missing input and on an unknown command', () => {
    expect(cli(['run', '/nonexistent/inbox']).code).toBe(EXIT.USAGE);
    expect(cli(['frobnicate']).code).toBe(EXIT.USAGE);
  });

  it('prints the config JSON Schema and the ASL', () => {
    const schema = JSON.parse(cli(['config', 'schema']).stdout) as { properties: Record<string, unknown> };
    expect(Object.keys(schema.properties)).toEqual(expect.arrayContaining(['dataDir', 'engine', 'extract', 'classify', 'rules', 'notify']));
    const asl = JSON.parse(cli(['asl']).stdout) as { StartAt: string };
    expect(asl.StartAt).toBe('ProcessDocuments');
  });
});
