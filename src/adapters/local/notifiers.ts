import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ConfigError, DependencyUnavailableError, ThrottledError } from '../../domain/errors.js';
import type { BatchSummary } from '../../domain/summarize.js';
import type { Notifier } from '../../ports/notifier.js';

/** Writes the latest batch summary to a JSON file (atomically). */
export const createFileNotifier = (file: string): Notifier => ({
  name: 'file',
  notify: async (summary: BatchSummary) => {
    try {
      await mkdir(path.dirname(file), { recursive: true });
      const tmp = `${file}.${process.pid}.tmp`;
      await writeFile(tmp, `${JSON.stringify(summary, null, 2)}\n`);
      await rename(tmp, file);
    } catch (err) {
      throw new DependencyUnavailableError(`cannot write the summary file (${(err as NodeJS.ErrnoException).code ?? 'error'})`);
    }
  },
});

/**
 * POSTs the summary as JSON. 429 is throttling and 5xx or a network failure is an outage: both
 * retryable, so the state machine backs off. Other 4xx are a misconfiguration and surface as-is.
 */
export const createWebhookNotifier = (url: string, timeoutMs: number): Notifier => ({
  name: 'webhook',
  notify: async (summary: BatchSummary) => {
    let res: Response;
    try {
      res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'user-agent': 'docroute' },
        body: JSON.stringify(summary),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new DependencyUnavailableError(`webhook unreachable (${err instanceof Error ? err.name : 'error'})`);
    }
    await res.body?.cancel();
    if (res.status === 429) throw new ThrottledError('webhook answered 429');
    if (res.status >= 500) throw new DependencyUnavailableError(`webhook answered ${res.status}`);
    if (res.status >= 400) throw new ConfigError(`webhook rejected the summary with ${res.status}; check notify.webhook.url`);
  },
});
