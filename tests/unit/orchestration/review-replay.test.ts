import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeywordClassifier } from '../../../src/domain/keyword-classifier.js';
import { MemoryObjectStore, MemoryRouteSink, MemoryStore } from '../../../src/adapters/memory/memory-store.js';
import { DEFAULT_RULES } from '../../../src/config/defaults.js';
import { sensitiveFieldNames } from '../../../src/config/field-spec.js';
import { parseConfig, type LoadedConfig } from '../../../src/config/load.js';
import type { Classification, Decision, FieldSet, Outcome, RouteResult } from '../../../src/domain/document.js';
import { DependencyUnavailableError } from '../../../src/domain/errors.js';
import { parseCorrections } from '../../../src/domain/review.js';
import { compileRules } from '../../../src/domain/validate.js';
import type { TaskName } from '../../../src/orchestration/definition.js';
import { settleMoves, type DecisionDeps } from '../../../src/orchestration/decisions.js';
import { createReplayService } from '../../../src/orchestration/replay.js';
import { createReviewService, type ReviewRequest } from '../../../src/orchestration/review.js';
import { createTaskHandlers, type TaskDeps } from '../../../src/orchestration/tasks.js';
import type { ObjectStore } from '../../../src/ports/object-store.js';
import type { RouteSink } from '../../../src/ports/route-sink.js';
import { CountingLimiter, FakeImages, FakeOcr, FakePdf, fixedClock } from '../../helpers/fakes.js';

/**
 * Review and replay over the in-memory stores, with the real domain: the default config, its
 * compiled rules and the keyword classifier. A held document is produced by running the real task
 * handlers (Ingest → Extract → Classify → ExtractFields → Validate → Route*) over a text-layer PDF
 * from a fake reader, so the checkpoints and decision 1 are exactly what the pipeline leaves.
 */

const INVOICE_LINES = [
  'INVOICE',
  'Acme Test Supplies GmbH',
  'Invoice No: T-00042',
  'Invoice Date: 2026-10-03',
  'Bill To: Example Bank plc',
  'Total Due: EUR 48,900.00',
  'IBAN: DE89 3704 0044 0532 0130 00',
  'Payment terms: 30 days net',
];

const clock = fixedClock('2026-11-28T12:00:00.000Z');
const defaults = parseConfig({});

/** The default rules with the approval limit raised from 10,000 to 100,000. */
const raisedLimit = parseConfig({
  rules: DEFAULT_RULES.map((r) =>
    r.id === 'invoice-approval-limit'
      ? {
          ...r,
          conditions: { all: [{ fact: 'fields', path: '$.total', operator: 'greaterThan', value: 100_000 }] },
          message: 'The invoice total is above the approval limit of 100,000.',
        }
      : r,
  ),
});

/** A sink over MemoryRouteSink whose deliveries fail with DependencyUnavailableError while `failures` > 0. */
class FlakySink implements RouteSink {
  readonly inner = new MemoryRouteSink();
  failures = 0;
  deliveries = 0;
  locate(outcome: Outcome, result: RouteResult): string {
    return this.inner.locate(outcome, result);
  }
  deliver(outcome: Outcome, result: RouteResult): Promise<{ location: string }> {
    this.deliveries += 1;
    if (this.failures > 0) {
      this.failures -= 1;
      return Promise.reject(new DependencyUnavailableError('route destination down'));
    }
    return this.inner.deliver(outcome, result);
  }
  withdraw(location: string): Promise<void> {
    return this.inner.withdraw(location);
  }
  /** The locations holding an entry of `documentId`. */
  entriesOf(documentId: string): string[] {
    return [...this.inner.delivered.keys()].filter((l) => l.endsWith(`/${documentId}`)).sort();
  }
}

/** An object store that counts reads and refuses them: a replay must never read the original. */
class ForbiddenObjects implements ObjectStore {
  reads = 0;
  get(): Promise<Uint8Array> {
    this.reads += 1;
    return Promise.reject(new Error('a replay read the original'));
  }
  size(): Promise<number | null> {
    this.reads += 1;
    return Promise.reject(new Error('a replay asked for the original'));
  }
}

interface World {
  readonly store: MemoryStore;
  readonly sink: FlakySink;
  readonly objects: MemoryObjectStore;
}

const taskDeps = (
  loaded: LoadedConfig,
  world: World,
  io: { objects: ObjectStore; pdf: FakePdf; ocr: FakeOcr } = {
    objects: world.objects,
    pdf: new FakePdf([{ text: INVOICE_LINES.join('\n') }]),
    ocr: new FakeOcr(new Error('the fixtures have a text layer: no OCR')),
  },
): TaskDeps => {
  const sensitiveFields = sensitiveFieldNames(loaded.config.fields);
  return {
    config: loaded.config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields,
    stepVersions: loaded.stepVersions,
    objects: io.objects,
    checkpoints: world.store,
    audit: world.store,
    ledger: world.store,
    sink: world.sink,
    pdf: io.pdf,
    ocr: io.ocr,
    images: new FakeImages(),
    limiter: new CountingLimiter(),
    classifier: createKeywordClassifier(loaded.config.classify.classes),
    rules: compileRules(loaded.config.rules, { sensitiveFields }),
    notifiers: [],
    clock,
  };
};

const decisionDeps = (world: World): DecisionDeps => ({
  ledger: world.store,
  decisions: world.store,
  audit: world.store,
  sink: world.sink,
  clock,
});

const reviewService = (world: World, loaded: LoadedConfig = defaults) =>
  createReviewService({
    ...decisionDeps(world),
    checkpoints: world.store,
    config: loaded.config,
    rules: compileRules(loaded.config.rules, { sensitiveFields: sensitiveFieldNames(loaded.config.fields) }),
    sensitiveFields: sensitiveFieldNames(loaded.config.fields),
  });

/** The replay service under `loaded`, whose task ports refuse the original and count OCR and PDF calls. */
const replayService = (world: World, loaded: LoadedConfig) => {
  const io = {
    objects: new ForbiddenObjects(),
    pdf: new FakePdf([{ text: 'a replay must not open the PDF' }]),
    ocr: new FakeOcr(new Error('a replay must not OCR')),
  };
  const service = createReplayService({
    ...decisionDeps(world),
    task: taskDeps(loaded, world, io),
    retry: { intervalSeconds: 0, backoffRate: 1, maxAttempts: 0, maxDelaySeconds: 0 },
    sleep: () => Promise.resolve(),
    random: () => 0,
  });
  return { ...service, io };
};

const newWorld = (): World => ({ store: new MemoryStore(), sink: new FlakySink(), objects: new MemoryObjectStore() });

/** Stores an original and runs it through the pipeline's task handlers; returns its id and outcome. */
const runPipeline = async (world: World, lines: readonly string[] = INVOICE_LINES, name = 'invoice-42.pdf') => {
  const bytes = new TextEncoder().encode(`%PDF-1.7\n${lines.join('\n')}`);
  const documentId = createHash('sha256').update(bytes).digest('hex');
  world.objects.objects.set(documentId, bytes);
  const handlers = createTaskHandlers(
    taskDeps(defaults, world, {
      objects: world.objects,
      pdf: new FakePdf([{ text: lines.join('\n') }]),
      ocr: new FakeOcr(new Error('no OCR')),
    }),
  );
  const state = { batchId: 'b-1', executionId: 'x-1', document: { documentId, name } };
  for (const task of ['Ingest', 'Extract', 'Classify', 'ExtractFields'] as const) await handlers[task]({ task, state });
  const { outcome } = (await handlers.Validate({ task: 'Validate', state })) as { outcome: Outcome };
  const routeTask: TaskName = outcome === 'pass' ? 'RoutePass' : outcome === 'hold' ? 'RouteHold' : 'RouteReject';
  await handlers[routeTask]({ task: routeTask, state });
  return { documentId, outcome };
};

/** A document held by the approval-limit rule (total 48,900 > 10,000). */
const heldDocument = async (world: World): Promise<string> => {
  const { documentId, outcome } = await runPipeline(world);
  expect(outcome).toBe('hold');
  const route = await world.store.getRoute(documentId);
  expect(route?.reasons.map((r) => r.code)).toEqual(['AMOUNT_ABOVE_APPROVAL_LIMIT']);
  return documentId;
};

const request = (overrides: Partial<ReviewRequest> = {}): ReviewRequest => ({
  action: 'approve',
  reviewer: 'alice',
  reason: 'Limit exception agreed with the CFO',
  corrections: [],
  reviewId: 'rv-1',
  ...overrides,
});

const correctionsOf = (sets: string[]) => {
  const parsed = parseCorrections(sets);
  if ('problem' in parsed) throw new Error(parsed.problem);
  return parsed.corrections;
};

const eventsOf = async (world: World, documentId: string, events: readonly string[]) =>
  (await world.store.timeline(documentId)).filter((r) => events.includes(r.event));

describe('review: decide', () => {
  it('approves a held document: decision 2, delivered to pass, the hold entry withdrawn, audited then moved', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const holdAt = world.sink.locate('hold', { documentId: id } as RouteResult);
    const passAt = world.sink.locate('pass', { documentId: id } as RouteResult);
    expect(world.sink.entriesOf(id)).toEqual([holdAt]);

    const result = await reviewService(world).decide(id, request());
    if (result.kind !== 'decided') throw new Error(`expected decided, got ${result.kind}`);
    expect(result.previous).toMatchObject({ version: 1, kind: 'pipeline', outcome: 'hold' });
    expect(result.decision).toMatchObject({ version: 2, kind: 'review', outcome: 'pass', location: passAt, batchId: 'rv-1' });
    expect(result.move).toEqual({ documentId: id, version: 2, location: passAt, error: null });

    expect(await world.store.getRoute(id)).toMatchObject({ outcome: 'pass', version: 2, kind: 'review', location: passAt, batchId: 'b-1' });
    expect(world.sink.entriesOf(id)).toEqual([passAt]);
    const delivered = world.sink.inner.delivered.get(passAt);
    expect(delivered?.outcome).toBe('pass');
    expect(delivered?.reasons[0]?.code).toBe('REVIEW_APPROVED');
    expect(delivered?.decision).toMatchObject({
      version: 2,
      kind: 'review',
      supersedes: { version: 1, outcome: 'hold' },
      reviewer: 'alice',
      reason: 'Limit exception agreed with the CFO',
    });
    expect(await world.store.pendingMoves()).toEqual([]);

    const trail = await eventsOf(world, id, ['reviewed', 'moved']);
    expect(trail.map((r) => r.event)).toEqual(['reviewed', 'moved']);
    const [reviewed, moved] = trail;
    expect(reviewed).toMatchObject({ step: 'Review', outcome: 'pass', reasonCodes: ['REVIEW_APPROVED'], executionId: 'rv-1' });
    expect(reviewed?.note).toContain('alice');
    expect(reviewed?.note).toContain('Limit exception agreed with the CFO');
    expect(reviewed?.note).toContain('supersedes hold (decision 1)');
    expect(moved).toMatchObject({ outcome: 'pass', executionId: 'rv-1' });
    expect(moved?.note).toContain('earlier entry withdrawn');
  });

  it('rejects a held document to the reject destination', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const result = await reviewService(world).decide(id, request({ action: 'reject', reason: 'Duplicate of an invoice already paid' }));
    expect(result.kind).toBe('decided');
    expect(await world.store.getRoute(id)).toMatchObject({ outcome: 'reject', version: 2 });
    expect(world.sink.entriesOf(id)).toEqual([world.sink.locate('reject', { documentId: id } as RouteResult)]);
    expect((await eventsOf(world, id, ['reviewed']))[0]?.reasonCodes).toEqual(['REVIEW_REJECTED']);
  });

  it('answers not-held when deciding a document again, and changes nothing', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const review = reviewService(world);
    expect((await review.decide(id, request())).kind).toBe('decided');
    const timeline = await world.store.timeline(id);

    const again = await review.decide(id, request({ action: 'reject', reviewer: 'bob', reviewId: 'rv-2' }));
    expect(again).toMatchObject({ kind: 'not-held', current: { version: 2, kind: 'review', outcome: 'pass' } });
    expect(await world.store.decisions(id)).toHaveLength(2);
    expect(await world.store.timeline(id)).toEqual(timeline);
  });

  it('lets exactly one of two concurrent reviewers decide; the sink ends with one entry', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const review = reviewService(world);
    const results = await Promise.all([
      review.decide(id, request({ reviewer: 'alice', reviewId: 'rv-a' })),
      review.decide(id, request({ action: 'reject', reviewer: 'bob', reason: 'Supplier unknown', reviewId: 'rv-b' })),
    ]);
    const kinds = results.map((r) => r.kind);
    expect(kinds.filter((k) => k === 'decided')).toHaveLength(1);
    expect(kinds.filter((k) => k !== 'decided').every((k) => k === 'not-held' || k === 'lost-race')).toBe(true);

    const winner = results.find((r) => r.kind === 'decided');
    if (winner?.kind !== 'decided') throw new Error('no winner');
    const route = await world.store.getRoute(id);
    expect(route).toMatchObject({ version: 2, outcome: winner.decision.outcome });
    expect(world.sink.entriesOf(id)).toEqual([route?.location]);
    expect(await world.store.decisions(id)).toHaveLength(2);
    expect(await eventsOf(world, id, ['reviewed'])).toHaveLength(1);
  });

  it('refuses a bad reviewer id or reason without recording anything', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const review = reviewService(world);
    expect((await review.decide(id, request({ reviewer: 'not a valid id' }))).kind).toBe('invalid');
    expect((await review.decide(id, request({ reason: '  ' }))).kind).toBe('invalid');
    expect(await world.store.decisions(id)).toHaveLength(1);
    expect(await eventsOf(world, id, ['reviewed', 'moved'])).toEqual([]);
  });

  it('answers not-routed for a document the pipeline never routed', async () => {
    const world = newWorld();
    expect((await reviewService(world).decide('c'.repeat(64), request())).kind).toBe('not-routed');
  });
});

describe('review: a destination that is down', () => {
  it('records the decision first, reports the failed move, and settleMoves finishes it later', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const holdAt = world.sink.locate('hold', { documentId: id } as RouteResult);
    const passAt = world.sink.locate('pass', { documentId: id } as RouteResult);
    world.sink.failures = 1;

    const result = await reviewService(world).decide(id, request());
    if (result.kind !== 'decided') throw new Error(`expected decided, got ${result.kind}`);
    expect(result.move).toMatchObject({ documentId: id, location: null, error: { name: 'DependencyUnavailableError' } });
    // The human decision is kept although it could not be delivered.
    expect(await world.store.getRoute(id)).toMatchObject({ outcome: 'pass', version: 2, kind: 'review', location: passAt });
    expect(await world.store.pendingMoves()).toEqual([{ documentId: id, version: 2, previousLocations: [holdAt] }]);
    expect(world.sink.entriesOf(id)).toEqual([holdAt]);
    expect(await eventsOf(world, id, ['moved'])).toEqual([]);

    const reports = await settleMoves(decisionDeps(world));
    expect(reports).toEqual([{ documentId: id, version: 2, location: passAt, error: null }]);
    expect(await world.store.pendingMoves()).toEqual([]);
    expect(world.sink.entriesOf(id)).toEqual([passAt]);
    expect(world.sink.inner.delivered.get(passAt)?.reasons[0]?.code).toBe('REVIEW_APPROVED');
    expect(await eventsOf(world, id, ['moved'])).toHaveLength(1);

    // Nothing left to do: settling again delivers nothing.
    const deliveries = world.sink.deliveries;
    expect(await settleMoves(decisionDeps(world))).toEqual([]);
    expect(world.sink.deliveries).toBe(deliveries);
  });
});

describe('review: corrections', () => {
  it('writes field version 2, leaves the ExtractFields checkpoint alone, and decides on the corrected total', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const key = { documentId: id, step: 'ExtractFields', configVersion: defaults.stepVersions.extractFields };
    const extracted = await world.store.get<FieldSet>(key);
    expect(extracted?.fields['total']?.value).toBe(48900);

    const result = await reviewService(world).decide(id, request({ corrections: correctionsOf(['total=9.500,00']) }));
    if (result.kind !== 'decided') throw new Error(`expected decided, got ${result.kind}`);

    const versions = await world.store.fieldVersions(id);
    expect(versions).toHaveLength(1);
    expect(versions[0]).toMatchObject({ documentId: id, version: 2, corrected: ['total'], author: 'alice' });
    expect(versions[0]?.fields).toMatchObject({ total: 9500, invoice_number: 'T-00042', iban: 'DE89370400440532013000' });
    expect(await world.store.get<FieldSet>(key)).toEqual(extracted);

    const record = result.decision.result;
    expect(record?.fields['total']).toBe(9500);
    expect(record?.decision).toMatchObject({ correctedFields: ['total'], fieldsVersion: 2 });
    expect(record?.reasons[0]?.message).toContain('Corrected: total.');
    // 9,500 is under the limit: no rule fires on the corrected fields.
    expect(result.stillFiring).toEqual([]);
    expect(record?.findings).toEqual([]);
    expect(record?.reasons.map((r) => r.code)).toEqual(['REVIEW_APPROVED']);

    const note = (await eventsOf(world, id, ['reviewed']))[0]?.note ?? '';
    expect(note).toContain('corrected total (field version 2)');
    expect(note).not.toContain('9500');
    expect(note).not.toContain('9.500');
  });

  it('shows the rules that still fire on the corrected fields', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const result = await reviewService(world).decide(id, request({ corrections: correctionsOf(['total=20000.00']) }));
    if (result.kind !== 'decided') throw new Error(`expected decided, got ${result.kind}`);
    expect(result.stillFiring.map((f) => f.ruleId)).toEqual(['invoice-approval-limit']);
    expect(result.decision.outcome).toBe('pass');
    expect(result.decision.result?.reasons.map((r) => r.code)).toEqual(['REVIEW_APPROVED', 'RULES_AFTER_CORRECTION']);
  });

  it('masks a corrected IBAN in the record and keeps it out of the audit trail', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    expect((await world.store.decisions(id))[0]?.result?.fields['iban']).toBe('••••3000');

    const result = await reviewService(world).decide(id, request({ corrections: correctionsOf(['iban=GB82 WEST 1234 5698 7654 32']) }));
    if (result.kind !== 'decided') throw new Error(`expected decided, got ${result.kind}`);
    expect(result.decision.result?.fields['iban']).toBe('••••5432');
    const passAt = world.sink.locate('pass', { documentId: id } as RouteResult);
    expect(world.sink.inner.delivered.get(passAt)?.fields['iban']).toBe('••••5432');
    // The field version holds the real value: it is what the next reviewer sees and corrects.
    expect((await world.store.fieldVersions(id))[0]?.fields['iban']).toBe('GB82WEST12345698765432');
    const trail = JSON.stringify(await world.store.timeline(id));
    expect(trail).not.toContain('GB82');
    expect(trail).not.toContain('5698');
    expect(JSON.stringify(await world.store.decisions(id))).not.toContain('GB82WEST');
  });

  it('refuses a correction that does not normalise, recording nothing', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const result = await reviewService(world).decide(id, request({ corrections: correctionsOf(['iban=DE00 3704 0044 0532 0130 00']) }));
    expect(result).toEqual({ kind: 'invalid', problem: 'the value given for "iban" is not a valid iban' });
    expect(await world.store.decisions(id)).toHaveLength(1);
    expect(await world.store.fieldVersions(id)).toEqual([]);
    expect((await world.store.getRoute(id))?.outcome).toBe('hold');
  });
});

describe('replay', () => {
  it('turns hold into pass after the approval limit is raised, from the cached results only', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const holdAt = world.sink.locate('hold', { documentId: id } as RouteResult);
    const passAt = world.sink.locate('pass', { documentId: id } as RouteResult);
    const replay = replayService(world, raisedLimit);

    const result = await replay.replayOne(id, { from: 'validate', replayId: 'rp-1', dryRun: false });
    if (result.kind !== 'replayed') throw new Error(`expected replayed, got ${JSON.stringify(result)}`);
    expect(result).toMatchObject({ before: 'hold', after: 'pass', reasonCodes: ['CLASSIFIED', 'RULES_PASSED'] });
    expect(result.move).toEqual({ documentId: id, version: 2, location: passAt, error: null });

    const chain = await world.store.decisions(id);
    expect(chain.map((d) => `${d.version}:${d.kind}:${d.outcome}`)).toEqual(['1:pipeline:hold', '2:replay:pass']);
    const replayed = chain[1];
    expect(replayed?.result?.decision).toEqual({
      version: 2,
      kind: 'replay',
      supersedes: { version: 1, outcome: 'hold' },
      replayedFrom: 'validate',
      replayId: 'rp-1',
    });
    expect(replayed?.result?.rulesetVersion).toBe(raisedLimit.rulesetVersion);
    // Validate ran again under the replay's version; everything before it is the pipeline's.
    expect(replayed?.steps).toEqual({
      Extract: defaults.stepVersions.extract,
      Classify: defaults.stepVersions.classify,
      ExtractFields: defaults.stepVersions.extractFields,
      Validate: `${raisedLimit.stepVersions.validate}~rp-1`,
    });
    const validated = await world.store.get<Decision>({
      documentId: id,
      step: 'Validate',
      configVersion: `${raisedLimit.stepVersions.validate}~rp-1`,
    });
    expect(validated?.outcome).toBe('pass');

    expect(await world.store.getRoute(id)).toMatchObject({ outcome: 'pass', version: 2, kind: 'replay', location: passAt });
    expect(world.sink.entriesOf(id)).toEqual([passAt]);
    expect(world.sink.entriesOf(id)).not.toContain(holdAt);
    const trail = await eventsOf(world, id, ['replayed', 'moved']);
    expect(trail.map((r) => r.event)).toEqual(['replayed', 'moved']);
    expect(trail[0]?.note).toContain('from validate; decision 2 supersedes hold (decision 1)');

    // Never the original, never OCR, never the PDF reader.
    expect(replay.io.objects.reads).toBe(0);
    expect(replay.io.ocr.calls).toHaveLength(0);
    expect(replay.io.pdf.opened).toBe(0);
  });

  it('re-runs Classify when replaying from classify, under the replay-suffixed version', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const replay = replayService(world, raisedLimit);
    const classifyKey = { documentId: id, step: 'Classify', configVersion: `${raisedLimit.stepVersions.classify}~rp-2` };
    expect(await world.store.get(classifyKey)).toBeUndefined();

    const result = await replay.replayOne(id, { from: 'classify', replayId: 'rp-2', dryRun: false });
    expect(result).toMatchObject({ kind: 'replayed', before: 'hold', after: 'pass' });
    expect((await world.store.get<Classification>(classifyKey))?.documentClass).toBe('invoice');
    expect(
      await world.store.get<FieldSet>({
        documentId: id,
        step: 'ExtractFields',
        configVersion: `${raisedLimit.stepVersions.extractFields}~rp-2`,
      }),
    ).toBeDefined();
    const ran = (await world.store.timeline(id)).filter((r) => r.executionId === 'rp-2' && r.event === 'succeeded').map((r) => r.step);
    expect(ran).toEqual(['Classify', 'ExtractFields', 'Validate']);
    expect(replay.io.objects.reads).toBe(0);
    expect(replay.io.ocr.calls).toHaveLength(0);
    expect(replay.io.pdf.opened).toBe(0);
  });

  it('never overrides a reviewer: a reviewed document is skipped', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    expect((await reviewService(world).decide(id, request({ action: 'reject', reason: 'Not ours' }))).kind).toBe('decided');
    const timeline = await world.store.timeline(id);

    const result = await replayService(world, raisedLimit).replayOne(id, { from: 'validate', replayId: 'rp-3', dryRun: false });
    expect(result.kind).toBe('skipped');
    expect(result.kind === 'skipped' && result.why).toMatch(/reviewer alice.*never overrides a human decision/);
    expect((await world.store.getRoute(id))?.outcome).toBe('reject');
    expect(await world.store.decisions(id)).toHaveLength(2);
    expect(await world.store.timeline(id)).toEqual(timeline);
  });

  it('skips a document whose cached input step does not exist (rejected before Extract)', async () => {
    const world = newWorld();
    const bytes = new TextEncoder().encode('%PDF-1.7 broken');
    const id = createHash('sha256').update(bytes).digest('hex');
    world.objects.objects.set(id, bytes);
    const handlers = createTaskHandlers(taskDeps(defaults, world));
    const state = { batchId: 'b-1', executionId: 'x-1', document: { documentId: id, name: 'broken.pdf' } };
    await handlers.Ingest({ task: 'Ingest', state });
    await handlers.RejectUnreadable({
      task: 'RejectUnreadable',
      state: { ...state, error: { Error: 'CorruptDocumentError', Cause: '[CORRUPT_PDF] the PDF could not be parsed' } },
    });
    expect((await world.store.getRoute(id))?.outcome).toBe('reject');

    const replay = replayService(world, raisedLimit);
    for (const from of ['classify', 'extract-fields', 'validate'] as const) {
      const result = await replay.replayOne(id, { from, replayId: `rp-${from}`, dryRun: false });
      expect(result.kind).toBe('skipped');
      expect(result.kind === 'skipped' && result.why).toMatch(/^no cached (Extract|Classify|ExtractFields) result to start from/);
    }
    expect(await world.store.decisions(id)).toHaveLength(1);
    expect(replay.io.objects.reads).toBe(0);
  });

  it('skips a document that was never routed', async () => {
    const world = newWorld();
    const result = await replayService(world, raisedLimit).replayOne('d'.repeat(64), { from: 'validate', replayId: 'rp-5', dryRun: false });
    expect(result).toEqual({ kind: 'skipped', documentId: 'd'.repeat(64), why: 'not routed yet' });
  });

  it('dry run: says what would change, and records no decision, no audit row and no move', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    const timeline = await world.store.timeline(id);
    const entries = world.sink.entriesOf(id);

    const result = await replayService(world, raisedLimit).replayOne(id, { from: 'validate', replayId: 'rp-dry', dryRun: true });
    expect(result).toMatchObject({ kind: 'would-replay', before: 'hold', after: 'pass', decision: null, move: null });
    expect(await world.store.decisions(id)).toHaveLength(1);
    expect(await world.store.timeline(id)).toEqual(timeline);
    expect(await world.store.getRoute(id)).toMatchObject({ outcome: 'hold', version: 1 });
    expect(await world.store.pendingMoves()).toEqual([]);
    expect(world.sink.entriesOf(id)).toEqual(entries);
    // Nor any checkpoint: the dry run's results lived in memory only.
    expect(
      await world.store.get({ documentId: id, step: 'Validate', configVersion: `${raisedLimit.stepVersions.validate}~rp-dry` }),
    ).toBeUndefined();
  });

  it('replays a replayed document again, chaining the decisions', async () => {
    const world = newWorld();
    const id = await heldDocument(world);
    await replayService(world, raisedLimit).replayOne(id, { from: 'validate', replayId: 'rp-a', dryRun: false });
    // Back to the default limit: the document is held again.
    const back = await replayService(world, defaults).replayOne(id, { from: 'validate', replayId: 'rp-b', dryRun: false });
    expect(back).toMatchObject({ kind: 'replayed', before: 'pass', after: 'hold' });
    const chain = await world.store.decisions(id);
    expect(chain.map((d) => `${d.version}:${d.kind}:${d.outcome}`)).toEqual(['1:pipeline:hold', '2:replay:pass', '3:replay:hold']);
    expect(chain[2]?.result?.decision?.supersedes).toEqual({ version: 2, outcome: 'pass' });
    expect(world.sink.entriesOf(id)).toEqual([world.sink.locate('hold', { documentId: id } as RouteResult)]);
  });
});
