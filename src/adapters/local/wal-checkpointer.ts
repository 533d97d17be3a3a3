import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * A WAL checkpointer on its own thread, for a long-running writer of the SQLite store.
 *
 * SQLite copies the WAL back into the database (a checkpoint, with an fsync of each file) on the
 * writer's own thread when the WAL passes 1,000 pages: about 40% of the store's time per document
 * with trivial steps (see the engine figure of `npm run bench`). With this running, the writer's
 * connection turns its automatic checkpoints off and a second connection, on a worker thread,
 * runs a PASSIVE checkpoint every `intervalMs`, which never blocks the writer. Once the WAL holds
 * `restartFrames` frames (16,384: 64 MB of 4 KB pages) it runs a RESTART, which waits for the
 * writer's current transaction and makes the next one rewind the WAL: the file stays bounded, at
 * the cost of one short pause of the writer (tens of ms here) per 64 MB written. If the thread
 * fails to start or dies, the writer's automatic checkpoints come back on.
 */

// CommonJS, evaluated on the worker: no file to locate next to the compiled or the source module.
const SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('busy_timeout = 1000');
const checkpoint = () => {
  try {
    const r = db.pragma('wal_checkpoint(PASSIVE)')[0];
    // Under a steady stream of commits the writer never finds the WAL fully copied at the start of
    // a transaction, so it never rewinds it: a RESTART (which waits for the writer's current
    // transaction, then makes the next one start the WAL from the top) bounds the file.
    if (r && r.log >= workerData.restartFrames) db.pragma('wal_checkpoint(RESTART)');
  } catch { /* busy or closed: the next tick tries again */ }
};
const timer = setInterval(checkpoint, workerData.intervalMs);
parentPort.on('message', () => {
  clearInterval(timer);
  try { db.close(); } catch {}
  // Closed: the writer, waiting on this flag, is now the file's last connection.
  Atomics.store(workerData.closed, 0, 1);
  Atomics.notify(workerData.closed, 0);
  parentPort.close();
});
`;

export interface WalCheckpointer {
  /**
   * Closes the thread's connection and waits for that (up to `waitMs`, 2 s), so that the writer
   * closing next is the last connection and SQLite copies the WAL back and removes it then.
   */
  stop(waitMs?: number): void;
}

const driverPath = (): string => createRequire(import.meta.url).resolve('better-sqlite3');

/**
 * Starts the checkpointer for `file`. `onFailure` runs (once) if the thread cannot start or dies,
 * so the caller can turn automatic checkpoints back on.
 */
export const startWalCheckpointer = (
  file: string,
  onFailure: () => void,
  options: { intervalMs?: number; restartFrames?: number } = {},
): WalCheckpointer => {
  const intervalMs = options.intervalMs ?? 200;
  const restartFrames = options.restartFrames ?? 16384;
  let stopped = false;
  let failed = false;
  const fail = (): void => {
    if (failed || stopped) return;
    failed = true;
    onFailure();
  };
  const closed = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(SOURCE, { eval: true, workerData: { file, driver: driverPath(), intervalMs, restartFrames, closed } });
  // Never what keeps a process alive.
  worker.unref();
  worker.on('error', fail);
  worker.on('exit', fail);
  return {
    stop: (waitMs = 2000) => {
      if (stopped) return;
      stopped = true;
      if (failed) return;
      worker.postMessage('stop');
      Atomics.wait(closed, 0, 0, waitMs);
    },
  };
};
