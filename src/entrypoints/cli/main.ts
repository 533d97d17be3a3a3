import '../../orchestration/local/polyfills.js';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { debugEnabled, interactiveStderr } from '../../config/env.js';
import { loadConfig, type LoadedConfig } from '../../config/load.js';
import { configJsonSchema } from '../../config/schema.js';
import { ConfigError, PipelineError } from '../../domain/errors.js';
import { buildDefinition, localResource, terraformResource } from '../../orchestration/definition.js';
import type { SqliteStore } from '../../adapters/local/sqlite-store.js';
import { listInbox, openRuntime, openStore, type BatchRun, type Runtime } from '../runtime.js';
import { createClassifier } from '../classifiers.js';
import { registerAuditCommand } from './audit.js';
import { registerEvalClassifyCommand } from './eval-classify.js';
import { registerEvalCommand } from './eval-extraction.js';
import { registerKeysCommand } from './keys.js';
import { registerReplayCommand } from './replay.js';
import { registerReviewCommand } from './review.js';
import { registerRulesCommand } from './rules-test.js';
import { registerTrainCommand } from './train.js';
import { registerTokensCommand } from './tokens.js';
import { registerServeCommand } from '../server/serve.js';
import { registerGamedayCommand } from './gameday/index.js';
import { EXIT } from './exit-codes.js';
import { formatRun, rel, table } from './format.js';
import { documentStatus, formatStatus, resolveDocument, traceText } from './inspect.js';
import { ProgressBar } from './progress.js';
import { out, err } from './io.js';

interface GlobalOptions {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

const packageRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

const exitCodeFor = (runs: readonly BatchRun[]): number => {
  if (runs.some((r) => r.error)) return EXIT.BATCH_FAILED;
  if (runs.some((r) => (r.summary?.failed ?? 0) > 0)) return EXIT.DOCUMENTS_FAILED;
  if (runs.some((r) => r.notifyError)) return EXIT.NOTIFY_FAILED;
  return EXIT.OK;
};

const load = (opts: GlobalOptions): LoadedConfig => loadConfig({ file: opts.config, dataDir: opts.dataDir });

/** Opens the runtime with a progress bar wired to document completions. */
const open = async (opts: GlobalOptions): Promise<{ runtime: Runtime; progress: ProgressBar }> => {
  const loaded = load(opts);
  const progress = new ProgressBar(0, !opts.json && interactiveStderr());
  const runtime = await openRuntime(loaded, { onDocumentDone: (_id, outcome) => progress.tick(outcome) });
  return { runtime, progress };
};

const runOnce = async (runtime: Runtime, progress: ProgressBar, inputs: readonly string[], source: string): Promise<BatchRun[]> => {
  const runs: BatchRun[] = [];
  const interrupted = runtime.store.runningBatches().reduce((n, b) => n + b.received, 0);
  if (interrupted > 0) {
    progress.reset(interrupted);
    runs.push(...(await runtime.resumeInterrupted()));
    progress.finish();
  }
  if (inputs.length > 0) {
    const { files, skipped } = await listInbox(inputs);
    // Documents of a batch just resumed were submitted already: they are not a new batch.
    const exclude = new Set<string>();
    for (const r of runs) for (const d of await runtime.store.batchOutcomes(r.batchId)) exclude.add(d.documentId);
    progress.reset(files.length);
    const run = await runtime.runFiles(files, source, { skipped, exclude });
    progress.finish();
    if (run) runs.push(run);
  }
  return runs;
};

const printRuns = (runs: readonly BatchRun[], opts: GlobalOptions, dataDir: string): void => {
  if (opts.json) {
    // The process's peak resident memory so far (maxRSS is in KiB): what a batch cost at most.
    const resources = { peakRssBytes: process.resourceUsage().maxRSS * 1024 };
    out(JSON.stringify({ dataDir, runs, resources }, null, 2));
    return;
  }
  for (const r of runs) out(formatRun(r));
};

const commandRun = async (inputs: string[], opts: GlobalOptions): Promise<number> => {
  for (const input of inputs) {
    if (!(await stat(input).catch(() => null))) {
      err(`docroute: ${input}: no such file or directory`);
      return EXIT.USAGE;
    }
  }
  const { runtime, progress } = await open(opts);
  try {
    const runs = await runOnce(runtime, progress, inputs, inputs.map((i) => rel(path.resolve(i))).join(' '));
    printRuns(runs, opts, runtime.dataDir);
    return exitCodeFor(runs);
  } finally {
    await runtime.close();
  }
};

const commandDemo = async (opts: GlobalOptions): Promise<number> => {
  const inbox = path.join(packageRoot, 'examples', 'inbox');
  const { runtime, progress } = await open(opts);
  try {
    if (!opts.json) err(`docroute demo: processing the sample inbox ${rel(inbox)} into ${rel(runtime.dataDir)}`);
    const runs = await runOnce(runtime, progress, [inbox], 'demo');
    printRuns(runs, opts, runtime.dataDir);
    if (!opts.json) {
      const last = runs.at(-1);
      const ids = last ? await runtime.store.batchOutcomes(last.batchId) : [];
      out('');
      out(
        table(
          ids.map((d) => [d.outcome?.toUpperCase() ?? 'PENDING', d.documentId.slice(0, 12), d.name, d.reasonCode ?? '']),
          ['route', 'document', 'name', 'reason'],
        ),
      );
      out('');
      out('Where to look:');
      const look: string[][] = ['pass', 'hold', 'reject'].map((route) => [
        `${rel(path.join(runtime.dataDir, route))}/`,
        `${route} entries: a link to the original + its JSON decision`,
      ]);
      const example = ids.find((d) => d.outcome === 'hold') ?? ids[0];
      const where = opts.dataDir || opts.config ? ` --data-dir ${rel(runtime.dataDir)}` : '';
      if (example) {
        look.push([`npx docroute status ${example.documentId.slice(0, 12)}${where}`, 'where a document is, and why']);
        look.push([`npx docroute trace ${example.documentId.slice(0, 12)}${where}`, 'every state transition it went through']);
      }
      look.push([`npx docroute batches${where}`, 'recent batches with their counts']);
      out(table(look.map(([a, b]) => [`  ${a ?? ''}`, b ?? ''])));
      if (runs.some((r) => (r.summary?.duplicates ?? 0) > 0))
        out('\nThese documents were routed before: run again with --data-dir <new dir> to start afresh.');
    }
    return exitCodeFor(runs);
  } finally {
    await runtime.close();
  }
};

const commandWatch = async (dir: string, opts: GlobalOptions): Promise<number> => {
  const st = await stat(dir).catch(() => null);
  if (!st?.isDirectory()) {
    err(`docroute watch: ${dir} is not a directory`);
    return EXIT.USAGE;
  }
  const { runtime, progress } = await open(opts);
  const { intervalMs, settleMs, batchSize } = runtime.loaded.config.watch;
  // An object, not a `let`: the signal handler mutates it behind the loop's back.
  const control: { stopping: boolean; wake: (() => void) | null } = { stopping: false, wake: null };
  const stopping = (): boolean => control.stopping;
  const onSignal = (): void => {
    if (control.stopping) {
      err('docroute watch: stopping now');
      process.exit(EXIT.INTERRUPTED);
    }
    control.stopping = true;
    err('docroute watch: finishing the current batch, then stopping (Ctrl-C again to stop at once)');
    control.wake?.();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  let code: number = EXIT.OK;
  /** path → size/mtime when first seen unchanged; picked up once stable for settleMs. */
  const pending = new Map<string, { size: number; mtimeMs: number; since: number }>();
  const taken = new Map<string, string>();
  try {
    if (!opts.json) err(`docroute watch: watching ${rel(path.resolve(dir))} every ${intervalMs} ms (Ctrl-C to stop)`);
    const resumed = await runOnce(runtime, progress, [], 'resume');
    printRuns(resumed, opts, runtime.dataDir);
    while (!stopping()) {
      const { files } = await listInbox([dir]);
      const ready = [];
      const now = Date.now();
      for (const f of files) {
        // `raw` opens names that are not valid UTF-8 (`file` is their escaped form).
        const s = await stat(f.raw ?? f.file).catch(() => null);
        if (!s) continue;
        const sig = `${s.size}:${s.mtimeMs}`;
        if (taken.get(f.file) === sig) continue;
        const p = pending.get(f.file);
        if (!p || p.size !== s.size || p.mtimeMs !== s.mtimeMs) {
          pending.set(f.file, { size: s.size, mtimeMs: s.mtimeMs, since: now });
        } else if (now - p.since >= settleMs) {
          ready.push({ f, sig });
        }
      }
      for (let i = 0; i < ready.length && !stopping(); i += batchSize) {
        const chunk = ready.slice(i, i + batchSize);
        progress.reset(chunk.length);
        const run = await runtime.runFiles(
          chunk.map((c) => c.f),
          `watch ${rel(path.resolve(dir))}`,
        );
        progress.finish();
        for (const c of chunk) {
          taken.set(c.f.file, c.sig);
          pending.delete(c.f.file);
        }
        if (run) {
          printRuns([run], opts, runtime.dataDir);
          code = Math.max(code, exitCodeFor([run]));
        }
      }
      if (stopping()) break;
      await new Promise<void>((resolve) => {
        control.wake = resolve;
        setTimeout(resolve, intervalMs);
      });
      control.wake = null;
    }
    return code === EXIT.OK ? EXIT.OK : code;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await runtime.close();
  }
};

const withStore = async (
  opts: GlobalOptions,
  fn: (runtime: { store: SqliteStore; dataDir: string }) => Promise<number>,
): Promise<number> => {
  const loaded = load(opts);
  const store = openStore(loaded);
  if (!store) {
    err(`docroute: no docroute data in ${rel(loaded.config.dataDir)} yet (run \`docroute run <inbox>\` or \`docroute demo\` first)`);
    return EXIT.NOT_FOUND;
  }
  try {
    return await fn({ store, dataDir: loaded.config.dataDir });
  } finally {
    store.close();
  }
};

const commandStatus = (ref: string, opts: GlobalOptions): Promise<number> =>
  withStore(opts, async (runtime) => {
    const id = await resolveDocument(runtime.store, ref);
    const status = id ? await documentStatus(runtime.store, id) : null;
    if (!status) {
      err(
        `docroute status: no document matches "${ref}" in ${rel(runtime.dataDir)} (use a file path, a full id, or an id prefix of 8+ characters)`,
      );
      return EXIT.NOT_FOUND;
    }
    out(opts.json ? JSON.stringify(status, null, 2) : formatStatus(status));
    return EXIT.OK;
  });

const commandTrace = (ref: string, opts: GlobalOptions): Promise<number> =>
  withStore(opts, async (runtime) => {
    const id = await resolveDocument(runtime.store, ref);
    if (!id) {
      err(`docroute trace: no document matches "${ref}" in ${rel(runtime.dataDir)}`);
      return EXIT.NOT_FOUND;
    }
    if (opts.json) out(JSON.stringify(await runtime.store.timeline(id), null, 2));
    else {
      const doc = await runtime.store.getDocument(id);
      out(`Document ${id}  (${doc?.name ?? ''})`);
      out(await traceText(runtime.store, id));
    }
    return EXIT.OK;
  });

const commandBatches = (limit: number, opts: GlobalOptions): Promise<number> =>
  withStore(opts, (runtime) => {
    const rows = runtime.store.recentBatches(limit).map((b) => ({ ...b, counts: runtime.store.batchCounts(b.batchId) }));
    if (opts.json)
      out(
        JSON.stringify(
          rows.map(({ summary: _s, ...r }) => r),
          null,
          2,
        ),
      );
    else if (rows.length === 0) out(`No batches yet in ${rel(runtime.dataDir)}.`);
    else
      out(
        table(
          rows.map((b) => [
            b.batchId,
            b.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
            b.status,
            String(b.received),
            String(b.counts.pass),
            String(b.counts.hold),
            String(b.counts.reject),
            String(b.counts.failed),
            String(b.counts.duplicates),
            b.source,
          ]),
          ['batch', 'started (UTC)', 'status', 'received', 'pass', 'hold', 'reject', 'failed', 'dup', 'source'],
        ),
      );
    return Promise.resolve(EXIT.OK);
  });

/**
 * `batches show <id|latest>`: one batch's documents grouped by outcome, with each document's
 * reason code or error. The counts reconcile by construction (every document of the batch is
 * listed once); a document still without an outcome is listed as such.
 */
const commandBatchShow = (id: string, opts: GlobalOptions): Promise<number> =>
  withStore(opts, async (runtime) => {
    const batch = id === 'latest' ? (runtime.store.recentBatches(1)[0] ?? null) : runtime.store.getBatch(id);
    if (!batch) {
      err(`docroute batches show: no batch ${id} in ${rel(runtime.dataDir)} (see \`docroute batches\`)`);
      return EXIT.NOT_FOUND;
    }
    const docs = await runtime.store.batchOutcomes(batch.batchId);
    const nowOf = new Map<string, { outcome: string; decision: number; kind: string }>();
    for (const d of docs) {
      const route = await runtime.store.getRoute(d.documentId);
      if (route && route.version > 1 && route.outcome !== d.outcome) {
        nowOf.set(d.documentId, { outcome: route.outcome, decision: route.version, kind: route.kind });
      }
    }
    const groups = ['pass', 'hold', 'reject', 'failed', 'pending'] as const;
    const byOutcome = Object.fromEntries(
      groups.map((g) => [
        g,
        docs
          .filter((d) => (d.outcome ?? 'pending') === g)
          .map((d) => ({
            documentId: d.documentId,
            name: d.name,
            duplicate: d.duplicate,
            reasonCode: d.reasonCode,
            errorName: d.errorName,
            // A later decision (a review or replay) may have moved it since: the batch keeps its own outcome.
            now: nowOf.get(d.documentId) ?? null,
          })),
      ]),
    ) as Record<
      (typeof groups)[number],
      {
        documentId: string;
        name: string;
        duplicate: boolean;
        reasonCode: string | null;
        errorName: string | null;
        now: { outcome: string; decision: number; kind: string } | null;
      }[]
    >;
    if (opts.json) {
      out(
        JSON.stringify(
          { batchId: batch.batchId, status: batch.status, source: batch.source, received: batch.received, documents: byOutcome },
          null,
          2,
        ),
      );
      return EXIT.OK;
    }
    out(`Batch ${batch.batchId}  ${batch.status}  ${batch.createdAt}  from ${batch.source}`);
    out(
      `received ${batch.received} = ${groups
        .filter((g) => g !== 'pending')
        .map((g) => `${g} ${byOutcome[g].length}`)
        .join(' + ')}${byOutcome.pending.length ? ` (+ ${byOutcome.pending.length} without an outcome yet)` : ''}`,
    );
    for (const g of groups) {
      const list = byOutcome[g];
      if (list.length === 0) continue;
      out(`\n${g.toUpperCase()} (${list.length})`);
      out(
        table(
          list.map((d) => [
            d.documentId.slice(0, 12),
            d.name,
            d.reasonCode ?? d.errorName ?? '',
            [d.duplicate ? 'duplicate' : '', d.now ? `now ${d.now.outcome.toUpperCase()} (decision ${d.now.decision}, ${d.now.kind})` : '']
              .filter(Boolean)
              .join('; '),
          ]),
          ['document', 'name', 'reason', ''],
        ),
      );
    }
    return EXIT.OK;
  });

export const buildProgram = (setCode: (code: number) => void): Command => {
  const program = new Command('docroute')
    .description('Read, classify, extract, validate and route documents, with a durable audit trail.')
    .version('0.1.0')
    .option('-c, --config <file>', 'configuration file (default: ./docroute.config.yaml, else built-in defaults)')
    .option('-d, --data-dir <dir>', 'data directory (default from config: ./.docroute)')
    .option('--json', 'machine-readable output on stdout')
    .showHelpAfterError()
    .exitOverride();
  const g = (): GlobalOptions => program.opts<GlobalOptions>();

  program
    .command('run')
    .description('process files or folders as one batch (resumes interrupted batches first)')
    .argument('<inputs...>', 'files or folders')
    .action(async (inputs: string[]) => setCode(await commandRun(inputs, g())));
  program
    .command('watch')
    .description('pick up new files in a folder continuously, in small batches; Ctrl-C stops cleanly')
    .argument('<dir>')
    .action(async (dir: string) => setCode(await commandWatch(dir, g())));
  program
    .command('status')
    .description('where a document is now, and why')
    .argument('<doc>', 'document id, id prefix, or file path')
    .action(async (ref: string) => setCode(await commandStatus(ref, g())));
  program
    .command('trace')
    .description("a document's full audit timeline")
    .argument('<doc>', 'document id, id prefix, or file path')
    .action(async (ref: string) => setCode(await commandTrace(ref, g())));
  const batches = program
    .command('batches')
    .description('recent batches with their counts; `batches show <id>` lists one batch by outcome')
    .addOption(new Option('-n, --limit <n>', 'how many').default(20).argParser((v) => Math.max(1, Number.parseInt(v, 10) || 20)))
    .action(async (o: { limit: number }) => setCode(await commandBatches(o.limit, g())));
  batches
    .command('show')
    .description("one batch's documents by outcome, with their reasons")
    .argument('<batch>', 'a batch id, or "latest"')
    .action(async (id: string) => setCode(await commandBatchShow(id, g())));
  program
    .command('demo')
    .description('process the bundled sample inbox and show where to look')
    .action(async () => setCode(await commandDemo(g())));

  const config = program.command('config').description('inspect configuration');
  config
    .command('schema')
    .description('print the JSON Schema of docroute.config.yaml')
    .action(() => {
      out(JSON.stringify(configJsonSchema(), null, 2));
      setCode(EXIT.OK);
    });
  config
    .command('check')
    .description('validate the configuration and print its version')
    .action(async () => {
      const loaded = load(g());
      // The classifier too: a missing or edited model file, or an LLM section without its key, fails here.
      const chosen = await createClassifier(loaded);
      const classifier = { name: chosen.classifier.name, ...(chosen.version ? { version: chosen.version } : {}) };
      out(
        g().json
          ? JSON.stringify({ source: loaded.source, version: loaded.version, dataDir: loaded.config.dataDir, classifier })
          : `OK  ${loaded.source}  version ${loaded.version}  data ${rel(loaded.config.dataDir)}  classifier ${classifier.name}${chosen.version ? ` (${chosen.version})` : ''}`,
      );
      setCode(EXIT.OK);
    });

  const evalCommand = registerEvalCommand(program, { globals: g, setCode });
  registerEvalClassifyCommand(evalCommand, { globals: g, setCode });
  registerTrainCommand(program, { globals: g, setCode });
  registerRulesCommand(program, { globals: g, setCode });
  registerReviewCommand(program, { globals: g, setCode, load });
  registerReplayCommand(program, { globals: g, setCode, load });
  registerAuditCommand(program, { globals: g, setCode, load });
  registerTokensCommand(program, { globals: g, setCode, load });
  registerKeysCommand(program, { globals: g, setCode, load });
  registerServeCommand(program, { globals: g, setCode, load });
  registerGamedayCommand(program, { globals: g, setCode });

  program
    .command('asl')
    .description('print the state machine as Amazon States Language JSON (terraform: the AWS rendering; local: the embedded one)')
    .addOption(new Option('--target <target>', 'local ARNs or Terraform placeholders').choices(['local', 'terraform']).default('terraform'))
    .action((o: { target: 'local' | 'terraform' }) => {
      const { config: c } = load(g());
      const def = buildDefinition({
        maxConcurrency: c.engine.maxConcurrency,
        retry: c.engine.retry,
        resource: o.target === 'local' ? localResource : terraformResource,
        variant: o.target === 'local' ? 'local' : 'aws',
      });
      out(JSON.stringify(def, null, 2));
      setCode(EXIT.OK);
    });
  return program;
};

export const main = async (argv: readonly string[]): Promise<number> => {
  let code: number = EXIT.OK;
  const program = buildProgram((c) => (code = c));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return code;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? EXIT.OK : EXIT.USAGE;
    }
    if (e instanceof ConfigError) {
      err(`docroute: ${e.message}`);
      return EXIT.USAGE;
    }
    if (e instanceof PipelineError) {
      err(`docroute: ${e.name}: ${e.message}`);
      return EXIT.INTERNAL;
    }
    // Unknown errors may carry data in their message: show the class, and the stack only on request.
    err(`docroute: internal error (${e instanceof Error ? e.name : typeof e}); set DOCROUTE_DEBUG=1 for details`);
    if (debugEnabled()) err(e instanceof Error ? (e.stack ?? e.message) : String(e));
    return EXIT.INTERNAL;
  }
};
