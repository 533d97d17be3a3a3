/**
 * The real pipeline, as `docroute run` wires it (openRuntime: FsObjectStore, SqliteStore, pdfjs,
 * native tesseract, the ASL on the embedded engine), on a fresh temp data dir per run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../src/config/load.js';
import { listInbox, openRuntime, type BatchRun } from '../../src/entrypoints/runtime.js';
import type { PdfReader } from '../../src/ports/pdf-reader.js';

export interface PipelineRun {
  /** runFiles: ingest (hash, copy), the state machine over every document, aggregate; not start-up. */
  readonly seconds: number;
  readonly openSeconds: number;
  readonly documents: number;
  readonly summary: BatchRun['summary'];
}

export const writeInbox = (dir: string, docs: readonly { name: string; bytes: Uint8Array }[]): string => {
  mkdirSync(dir, { recursive: true });
  for (const d of docs) writeFileSync(path.join(dir, d.name), d.bytes);
  return dir;
};

export const runPipeline = async (
  inbox: string,
  dataDir: string,
  options: { concurrency?: number; ocrWorkers?: number; pdf?: PdfReader } = {},
): Promise<PipelineRun> => {
  const t0 = performance.now();
  const loaded = parseConfig({
    dataDir,
    engine: { maxConcurrency: options.concurrency ?? 2 },
    extract: { ocr: { engine: 'tesseract', workers: options.ocrWorkers ?? 2 } },
  });
  const runtime = await openRuntime(loaded, options.pdf ? { pdf: options.pdf } : {});
  try {
    const openSeconds = (performance.now() - t0) / 1000;
    const { files } = await listInbox([inbox]);
    const t1 = performance.now();
    const run = await runtime.runFiles(files, inbox);
    const seconds = (performance.now() - t1) / 1000;
    if (run === null || run.error !== null) throw new Error(`pipeline run failed: ${run?.error?.name ?? 'nothing to run'}`);
    return { seconds, openSeconds, documents: files.length, summary: run.summary };
  } finally {
    await runtime.close();
  }
};
