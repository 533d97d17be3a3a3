import '../../../src/orchestration/local/polyfills.js';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { rmSync } from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { SqliteStore } from '../../../src/adapters/local/sqlite-store.js';
import { MemoryObjectStore, MemoryRouteSink, MemoryStore } from '../../../src/adapters/memory/memory-store.js';
import { tempDir } from '../../helpers/docs.js';
import { sensitiveFieldNames } from '../../../src/config/field-spec.js';
import { parseConfig } from '../../../src/config/load.js';
import { DependencyUnavailableError, StorageFullError } from '../../../src/domain/errors.js';
import { createKeywordClassifier } from '../../../src/domain/keyword-classifier.js';
import { compileRules } from '../../../src/domain/validate.js';
import { createTaskHandlers, type TaskDeps } from '../../../src/orchestration/tasks.js';
import type { AuditRecord } from '../../../src/ports/audit-log.js';
import type { PdfReader } from '../../../src/ports/pdf-reader.js';

/**
 * The step wrapper's audit order: `entered` is issued before the work without being awaited (so a
 * group-committing store commits it with the step's own writes), yet a step never records a
 * success, or a checkpoint, whose `entered` did not land, and `failed` always follows its `entered`.
 */

const loaded = parseConfig({});
const bytes = new TextEncoder().encode('%PDF-1.7 step-audit');
const documentId = createHash('sha256').update(bytes).digest('hex');

const pdfOf = (open: PdfReader['open']): PdfReader => ({ open });
const onePage: PdfReader['open'] = () =>
  Promise.resolve({
    pageCount: 1,
    page: () =>
      Promise.resolve({
        page: 1,
        width: 595,
        height: 842,
        rotation: 0,
        text: 'INVOICE\nTotal Due: EUR 1.00',
        lines: [],
        render: () => Promise.reject(new Error('unused')),
      }),
    close: () => Promise.resolve(),
  });

const setup = (store: MemoryStore | SqliteStore, pdf: PdfReader) => {
  const objects = new MemoryObjectStore();
  objects.objects.set(documentId, bytes);
  const deps: TaskDeps = {
    config: loaded.config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    stepVersions: loaded.stepVersions,
    sensitiveFields: sensitiveFieldNames(loaded.config.fields),
    objects,
    checkpoints: store,
    audit: store,
    ledger: store,
    sink: new MemoryRouteSink(),
    pdf,
    ocr: { name: 'none', recognize: () => Promise.reject(new Error('unused')), close: () => Promise.resolve() },
    images: { pageCount: () => Promise.reject(new Error('unused')), prepare: () => Promise.reject(new Error('unused')) },
    limiter: { acquire: () => Promise.resolve() },
    classifier: createKeywordClassifier(loaded.config.classify.classes),
    rules: compileRules(loaded.config.rules),
    notifiers: [],
    clock: { now: () => new Date('2026-11-29T10:00:00.000Z') },
  };
  const handlers = createTaskHandlers(deps);
  const extract = () =>
    handlers.Extract({ task: 'Extract', state: { batchId: 'b-1', executionId: 'x-1', document: { documentId, name: 'a.pdf' } } });
  const events = async () => (await store.timeline(documentId)).map((r) => r.event);
  const checkpoint = () => store.get({ documentId, step: 'Extract', configVersion: loaded.stepVersions.extract });
  return { extract, events, checkpoint };
};

/** A MemoryStore whose `entered` appends fail, after a delay (as a commit on the next turn would). */
class EnteredFails extends MemoryStore {
  override append(r: AuditRecord): Promise<void> {
    if (r.event === 'entered') return new Promise((_, reject) => setTimeout(() => reject(new StorageFullError('disk full')), 5));
    return super.append(r);
  }
}

describe('the step wrapper and its audit records', () => {
  it('records entered, then the checkpoint and succeeded', async () => {
    const store = new MemoryStore();
    const { extract, events, checkpoint } = setup(store, pdfOf(onePage));
    await extract();
    expect(await events()).toEqual(['entered', 'succeeded']);
    expect(await checkpoint()).toBeDefined();
  });

  it('a step whose entered fails fails with that error, and records no success and no checkpoint', async () => {
    const store = new EnteredFails();
    const { extract, events, checkpoint } = setup(store, pdfOf(onePage));
    await expect(extract()).rejects.toBeInstanceOf(StorageFullError);
    expect(await events()).toEqual([]);
    expect(await checkpoint()).toBeUndefined();
  });

  it('a failed step records failed after its entered, with the step error', async () => {
    const store = new MemoryStore();
    const { extract, events, checkpoint } = setup(
      store,
      pdfOf(() => Promise.reject(new DependencyUnavailableError('reader down'))),
    );
    await expect(extract()).rejects.toBeInstanceOf(DependencyUnavailableError);
    expect(await events()).toEqual(['entered', 'failed']);
    expect(await checkpoint()).toBeUndefined();
  });

  it('on the group-committing SQLite store: one commit per step, and an entered that fails takes the step down with it', async () => {
    const dir = tempDir('step-audit');
    try {
      const file = path.join(dir, 'docroute.db');
      const ok = new SqliteStore(file);
      expect(ok.groupCommit).toBe(true);
      let commits = 0;
      const flush = ok.flush.bind(ok);
      ok.flush = () => {
        commits += (ok as unknown as { queue: unknown[] }).queue.length > 0 ? 1 : 0;
        flush();
      };
      const first = setup(ok, pdfOf(onePage));
      await first.extract();
      expect(await first.events()).toEqual(['entered', 'succeeded']);
      expect(await first.checkpoint()).toBeDefined();
      expect(commits).toBe(1);
      ok.close();

      const raw = new Database(file);
      raw.exec("CREATE TRIGGER no_entered BEFORE INSERT ON audit WHEN NEW.event = 'entered' BEGIN SELECT RAISE(ABORT, 'refused'); END;");
      raw.exec('DELETE FROM checkpoints');
      raw.close();
      const store = new SqliteStore(file);
      const second = setup(store, pdfOf(onePage));
      await expect(second.extract()).rejects.toBeInstanceOf(DependencyUnavailableError);
      // Attempt 2 (same execution): its `retried` landed; no second entered, succeeded or checkpoint.
      expect(await second.events()).toEqual(['entered', 'succeeded', 'retried']);
      expect(await second.checkpoint()).toBeUndefined();
      store.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
