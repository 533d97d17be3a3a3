import { existsSync } from 'node:fs';
import { mkdir, rename } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { ServerType } from '@hono/node-server';
import { InvalidArgumentError, Option, type Command } from 'commander';
import type { LoadedConfig } from '../../config/load.js';
import { toPipelineError } from '../../domain/errors.js';
import { SqliteTokenStore } from '../../adapters/local/sqlite-tokens.js';
import { EXIT } from '../cli/exit-codes.js';
import { openRuntime, type BatchRun, type Runtime } from '../runtime.js';
import { listQueued, removeQueued, type QueuedUpload } from './api-uploads.js';
import type { createApp } from './app.js';
import type { ServerDeps } from './types.js';

/**
 * `docroute serve`: the console and the JSON API over the same data directory and engine as the
 * CLI, plus a loop that runs queued uploads as one batch every few seconds.
 *
 * Uploads are never lost between the queue and a batch: a queued file is removed only after
 * `runFiles` has returned, i.e. after the batch recorded its documents and the object store holds
 * their bytes (by content hash). A crash before that leaves the file queued, and the next start
 * runs it again; the interrupted batch itself is resumed first. Running a file twice is harmless.
 */

export interface ServeGlobals {
  config?: string;
  dataDir?: string;
  json?: boolean;
}

interface Deps {
  readonly globals: () => ServeGlobals;
  readonly setCode: (code: number) => void;
  readonly load: (opts: ServeGlobals) => LoadedConfig;
}

interface ServeOptions {
  port: number;
  host: string;
  batchIntervalMs: number;
}

/** How long open requests may run on after a stop signal before their connections are cut. */
const DRAIN_MS = 10_000;

const say = (line: string): void => {
  process.stdout.write(`${line}\n`);
};
const warn = (line: string): void => {
  process.stderr.write(`${line}\n`);
};

const intIn =
  (what: string, min: number, max: number) =>
  (value: string): number => {
    const n = Number(value);
    if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max) {
      throw new InvalidArgumentError(`${what} must be a whole number from ${min} to ${max}`);
    }
    return n;
  };

/** 127.0.0.0/8, ::1 and localhost: reachable from this machine only. */
export const isLoopback = (host: string): boolean => {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || /^::ffff:127(\.\d{1,3}){3}$/.test(h);
};

const urlOf = (host: string, port: number): string => `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

const summaryLine = (run: BatchRun): string => {
  const s = run.summary;
  const counts = s ? `received ${s.received} = pass ${s.pass} + hold ${s.hold} + reject ${s.reject} + failed ${s.failed}` : '';
  return `docroute serve: batch ${run.batchId} ${run.error ? `failed (${run.error.name})` : counts}`;
};

/**
 * The upload queue's runner: one batch at a time (calls queue behind each other), an empty queue
 * runs nothing. The first batch after a start leaves out documents that a resumed batch took.
 */
export const createQueueRunner = (
  runtime: Runtime,
  uploadsDir: string,
  log: (line: string) => void,
): { processQueued: () => Promise<BatchRun | null>; resume: () => Promise<void>; idle: () => Promise<void> } => {
  let chain: Promise<unknown> = Promise.resolve();
  let exclude: Set<string> | undefined;

  const enqueue = <T>(job: () => Promise<T>): Promise<T> => {
    const result = chain.then(job);
    chain = result.catch(() => undefined);
    return result;
  };

  const quarantine = async (item: QueuedUpload): Promise<void> => {
    // An upload the object store cannot read would otherwise be retried, as an empty batch, forever.
    const dir = path.join(uploadsDir, '.unreadable');
    await mkdir(dir, { recursive: true });
    for (const f of [item.file, `${item.file}.name`]) await rename(f, path.join(dir, path.basename(f))).catch(() => undefined);
    log(`docroute serve: an upload could not be read and was set aside in ${dir}`);
  };

  const runQueued = async (): Promise<BatchRun | null> => {
    // Only the files queued before a restart can belong to a batch resumed at that restart.
    const skip = exclude;
    exclude = undefined;
    const items = await listQueued(uploadsDir);
    if (items.length === 0) return null;
    const run = await runtime.runFiles(items, 'upload', skip && skip.size > 0 ? { exclude: skip } : {});
    // The batch has recorded every readable file (or a resumed batch had): the queue may let go.
    const unreadable = new Set((run?.skipped ?? []).filter((s) => s.reason === 'UNREADABLE').map((s) => s.file));
    for (const item of items) {
      if (unreadable.has(item.file)) await quarantine(item);
      else await removeQueued(item.file);
    }
    if (run) log(summaryLine(run));
    return run;
  };

  return {
    processQueued: () => enqueue(runQueued),
    resume: () =>
      enqueue(async () => {
        const runs = await runtime.resumeInterrupted();
        const ids = new Set<string>();
        for (const r of runs) {
          log(`${summaryLine(r)} (resumed after an interruption)`);
          for (const d of await runtime.store.batchOutcomes(r.batchId)) ids.add(d.documentId);
        }
        exclude = ids;
      }),
    idle: () => enqueue(() => Promise.resolve()),
  };
};

const listen = async (app: ReturnType<typeof createApp>, host: string, port: number): Promise<{ server: ServerType; port: number }> => {
  const { serve } = await import('@hono/node-server');
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => {
      server.off('error', reject);
      // After start-up an error on the listening socket is reported, never an unhandled crash.
      server.on('error', (e: NodeJS.ErrnoException) => {
        warn(`docroute serve: server error (${e.code ?? e.name})`);
      });
      resolve({ server, port: info.port });
    });
    server.once('error', reject);
  });
};

const commandServe = async (deps: Deps, o: ServeOptions): Promise<number> => {
  const loaded = deps.load(deps.globals());
  const dataDir = loaded.config.dataDir;
  const dbFile = path.join(dataDir, 'docroute.db');
  const noToken = (): number => {
    warn(
      `docroute serve: no API token exists yet in ${dataDir}, so nobody could sign in. Create one first:\n` +
        `  docroute tokens create --role admin --name <you>`,
    );
    return EXIT.USAGE;
  };
  if (!existsSync(dbFile)) return noToken();
  const tokens = new SqliteTokenStore(dbFile);
  if (!tokens.hasActive()) {
    tokens.close();
    return noToken();
  }

  let runtime: Runtime;
  try {
    runtime = await openRuntime(loaded, { processMetrics: true });
  } catch (e) {
    tokens.close();
    throw e;
  }
  // This process's counters and histograms join the store-derived ones on /metrics.
  const { shareProcessMetrics } = await import('./metrics.js');
  const unshareMetrics = runtime.metrics ? shareProcessMetrics(dbFile, runtime.metrics) : () => undefined;
  const uploadsDir = path.join(dataDir, 'uploads');
  await mkdir(uploadsDir, { recursive: true });
  const queue = createQueueRunner(runtime, uploadsDir, warn);
  const serverDeps: ServerDeps = {
    runtime,
    uploadsDir,
    maxUploadBytes: loaded.config.limits.maxFileBytes,
    processQueued: queue.processQueued,
    now: () => new Date(),
  };
  // Loaded here, not at the top: the rest of the CLI never pays for the server's modules.
  const { createApp } = await import('./app.js');
  const app = createApp(serverDeps, { tokens, log: warn });

  let server: ServerType;
  let port: number;
  try {
    ({ server, port } = await listen(app, o.host, o.port));
  } catch (e) {
    unshareMetrics();
    await runtime.close();
    tokens.close();
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND') {
      warn(`docroute serve: cannot listen on ${o.host}:${o.port} (${code}); choose another --host or --port`);
      return EXIT.USAGE;
    }
    throw e;
  }

  if (!isLoopback(o.host)) {
    warn(
      [
        '',
        '!!! WARNING: docroute serve is listening on a non-loopback address (' + o.host + ').',
        '!!! Anyone who can reach this machine can reach the console. The traffic is plain HTTP:',
        '!!! tokens and documents cross the network unencrypted unless a TLS proxy sits in front.',
        '',
      ].join('\n'),
    );
  }
  say(`docroute serve: listening on ${urlOf(o.host, port)} (data ${dataDir}; uploads run every ${o.batchIntervalMs} ms)`);

  // An object, not a `let`: the signal handler mutates it behind the loop's back.
  const control: { stopping: boolean; wake: (() => void) | null; stopped: () => void } = {
    stopping: false,
    wake: null,
    stopped: () => undefined,
  };
  const stopping = (): boolean => control.stopping;
  const stoppedSignal = new Promise<void>((resolve) => (control.stopped = resolve));
  const onSignal = (): void => {
    if (control.stopping) {
      warn('docroute serve: stopping now');
      process.exit(EXIT.INTERRUPTED);
    }
    control.stopping = true;
    warn('docroute serve: finishing the running batch and open requests, then stopping (again to stop at once)');
    control.wake?.();
    control.stopped();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const loop = (async (): Promise<void> => {
    queue.resume().catch((e: unknown) => warn(`docroute serve: resuming interrupted batches failed (${toPipelineError(e).name})`));
    while (!stopping()) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, o.batchIntervalMs);
        control.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      control.wake = null;
      if (stopping()) break;
      try {
        await queue.processQueued();
      } catch (e) {
        warn(`docroute serve: the upload batch failed (${toPipelineError(e).name}); the uploads stay queued`);
      }
    }
  })();

  try {
    await stoppedSignal;
    // No new connections; open requests (a `?process=now` included) may finish.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const cut = setTimeout(() => {
      if ('closeAllConnections' in server) server.closeAllConnections();
    }, DRAIN_MS);
    await closed;
    clearTimeout(cut);
    await loop;
    await queue.idle();
    return EXIT.OK;
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    unshareMetrics();
    await runtime.close();
    tokens.close();
    warn('docroute serve: stopped');
  }
};

export const registerServeCommand = (program: Command, deps: Deps): Command =>
  program
    .command('serve')
    .description('serve the web console and the JSON API (sign in with a token from `docroute tokens create`)')
    .addOption(
      new Option('--port <port>', 'TCP port (0: any free port, printed at start)').default(8080).argParser(intIn('--port', 0, 65535)),
    )
    .option('--host <host>', 'address to listen on (non-loopback addresses are reachable from other machines)', '127.0.0.1')
    .addOption(
      new Option('--batch-interval-ms <ms>', 'how often queued uploads run as one batch')
        .default(3000)
        .argParser(intIn('--batch-interval-ms', 100, 86_400_000)),
    )
    .action(async (o: ServeOptions) => deps.setCode(await commandServe(deps, o)));
