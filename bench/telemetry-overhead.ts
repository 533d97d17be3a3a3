/**
 * Telemetry overhead: the same real pipeline run (embedded engine, SQLite, pdf.js, route folders)
 * over N generated text-layer invoice PDFs, side by side in one process, with observability
 *
 *   off  the default: no tap is installed
 *   on   JSON log lines to a file (info), spans over OTLP/HTTP JSON to a collector on 127.0.0.1,
 *        and the in-process metrics
 *
 * Runs alternate (off, on, off, on, ...) so machine drift falls on both; each run gets a fresh
 * data directory (else every document is a duplicate). The tap's own cost per audit record is
 * measured separately, per observer, by feeding scripted records straight to the observers.
 *
 * Usage: npx tsx bench/telemetry-overhead.ts [--docs 500] [--rounds 2]
 */
import '../src/orchestration/local/polyfills.js';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { PDFDocument, StandardFonts } from 'pdf-lib';
import { openTelemetry } from '../src/adapters/local/telemetry/telemetry.js';
import { parseConfig } from '../src/config/load.js';
import { ObservabilitySchema } from '../src/config/observability.js';
import { listInbox, openRuntime } from '../src/entrypoints/runtime.js';
import type { AuditRecord } from '../src/ports/audit-log.js';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg('docs', 500);
const ROUNDS = arg('rounds', 2);

const pdf = async (n: number): Promise<Uint8Array> => {
  const doc = await PDFDocument.create({ updateMetadata: false });
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const page = doc.addPage([595, 842]);
  [
    'INVOICE',
    `Bench Supplies ${n} Ltd`,
    `Invoice No: B-${String(n).padStart(5, '0')}`,
    'Invoice Date: 2026-10-03',
    'Bill To: Example Bank plc',
    `Total Due: EUR ${100 + n}.00`,
    'IBAN: DE89 3704 0044 0532 0130 00',
  ].forEach((line, i) => page.drawText(line, { x: 50, y: 780 - i * 18, size: 11, font }));
  return doc.save({ useObjectStreams: false });
};

const main = async (): Promise<void> => {
  const root = mkdtempSync(path.join(tmpdir(), 'docroute-bench-telemetry-'));
  const inbox = path.join(root, 'inbox');
  mkdirSync(inbox);
  for (let i = 0; i < N; i++) writeFileSync(path.join(inbox, `inv-${String(i).padStart(5, '0')}.pdf`), await pdf(i));
  const { files } = await listInbox([inbox]);

  let exported = 0;
  const collector = createServer((req, res) => {
    req.on('data', (c: Buffer) => (exported += c.length));
    req.on('end', () => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}'));
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;

  const run = async (mode: 'off' | 'on', round: number): Promise<number> => {
    const dataDir = path.join(root, `data-${mode}-${round}`);
    const loaded = parseConfig({
      dataDir,
      ...(mode === 'on' ? { observability: { logs: { destination: 'file' }, traces: { otlpEndpoint: endpoint } } } : {}),
    });
    const runtime = await openRuntime(loaded, { processMetrics: mode === 'on' });
    const t0 = performance.now();
    const r = await runtime.runFiles(files, 'bench');
    await runtime.close(); // flushes the spans and logs: part of the cost
    const ms = performance.now() - t0;
    if (r?.summary?.pass !== N) throw new Error(`expected ${N} passes, got ${JSON.stringify(r?.summary)}`);
    return ms;
  };

  const times: Record<'off' | 'on', number[]> = { off: [], on: [] };
  if (arg('micro-only', 0)) times.off.push(Number.NaN);
  else await run('off', -1); // warm-up: module loading, pdf.js, JIT
  for (let round = 0; round < (arg('micro-only', 0) ? 0 : ROUNDS); round++) {
    for (const mode of round % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)) {
      const ms = await run(mode, round);
      times[mode].push(ms);
      console.log(`round ${round} ${mode}: ${ms.toFixed(0)} ms (${((ms / N) * 1000).toFixed(0)} µs/doc)`);
    }
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
  const off = median(times.off);
  const on = median(times.on);
  console.log(
    `median off ${off.toFixed(0)} ms, on ${on.toFixed(0)} ms, ratio on/off ${(on / off).toFixed(3)}; ${exported} bytes of spans exported`,
  );

  // The tap alone, per observer: a document's worth of records at a time, yielding between
  // documents as the pipeline does (so the exporter and the log file drain as they would).
  const steps = ['Ingest', 'Extract', 'Classify', 'ExtractFields', 'Validate', 'RoutePass'];
  const modes = {
    metrics: { config: {}, metrics: true },
    logs: { config: { logs: { destination: 'file', file: path.join(root, 'micro.jsonl') } }, metrics: false },
    spans: { config: { traces: { otlpEndpoint: endpoint } }, metrics: false },
    all: {
      config: { logs: { destination: 'file', file: path.join(root, 'micro-all.jsonl') }, traces: { otlpEndpoint: endpoint } },
      metrics: true,
    },
  } as const;
  for (const [mode, o] of Object.entries(modes)) {
    const telemetry = await openTelemetry({
      config: ObservabilitySchema.parse(o.config),
      dataDir: root,
      env: { disabled: false },
      secret: () => undefined,
      metrics: o.metrics,
    });
    if (!telemetry) throw new Error('telemetry should be on');
    const at = new Date().toISOString();
    let records = 0;
    let busy = 0;
    for (let i = 0; i < 5000; i++) {
      const base = { at, executionId: `x-${Math.floor(i / 100)}`, batchId: `b-${Math.floor(i / 100)}`, attempt: 1 };
      const doc = `${i}`.padStart(64, '0');
      const feed: AuditRecord[] = [
        ...(i % 100 === 0 ? [{ ...base, documentId: null, step: 'Batch', event: 'batch-started' as const }] : []),
        { ...base, documentId: doc, step: 'Receive', event: 'received' },
        ...steps.flatMap((step) => [
          { ...base, documentId: doc, step, event: 'entered' as const },
          { ...base, documentId: doc, step, event: 'succeeded' as const, durationMs: 1.5 },
        ]),
        { ...base, documentId: doc, step: 'Route', event: 'routed', outcome: 'pass', reasonCodes: [] },
        ...(i % 100 === 99 ? [{ ...base, documentId: null, step: 'Aggregate', event: 'batch-completed' as const }] : []),
      ];
      const t0 = performance.now();
      for (const r of feed) telemetry.observe(r);
      busy += performance.now() - t0;
      records += feed.length;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    await telemetry.close();
    console.log(
      `tap alone (${mode}): ${records} records, ${((busy / records) * 1000).toFixed(1)} µs/record, ${((busy / 5000) * 1000).toFixed(0)} µs/document`,
    );
  }

  await new Promise<void>((resolve) => collector.close(() => resolve()));
  rmSync(root, { recursive: true, force: true });
};

await main();
