import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { queueUpload } from '../../src/entrypoints/server/api-uploads.js';
import { assertBuilt, BIN, cli, ROOT } from '../helpers/cli.js';
import { passingInvoice, tempDir, writeInvoices } from '../helpers/docs.js';

/**
 * The CLI with observability on: logs to a file, spans to an OTLP/HTTP collector on 127.0.0.1 named
 * by the standard OTEL_EXPORTER_OTLP_ENDPOINT. Everything is flushed when `run` exits, and when it
 * is interrupted by SIGINT (it still dies of the signal, as without telemetry). The human output
 * carries no JSON.
 */

let collector: Server;
let endpoint: string;
const bodies: string[] = [];

beforeAll(async () => {
  assertBuilt();
  collector = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push(Buffer.concat(chunks).toString('utf8'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((resolve) => collector.close(() => resolve()));
});

const start = (work: string, args: string[]) => {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    NO_COLOR: '1',
    OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
    OTEL_SERVICE_NAME: 'docroute-e2e',
  };
  delete env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  delete env['OTEL_SDK_DISABLED'];
  const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
  return { child, done };
};

const setup = async (name: string, docs: number) => {
  const work = tempDir(name);
  const inbox = path.join(work, 'inbox');
  await writeInvoices(inbox, docs);
  const config = path.join(work, 'docroute.config.yaml');
  writeFileSync(config, ['observability:', '  logs:', '    destination: file', ''].join('\n'));
  const data = path.join(work, 'data');
  return { work, inbox, config, data, logFile: path.join(data, 'logs', 'docroute.jsonl') };
};

const spansOf = (batchId: string) =>
  bodies
    .map(
      (b) =>
        JSON.parse(b) as {
          resourceSpans: { scopeSpans: { spans: { name: string; attributes: { key: string; value: Record<string, unknown> }[] }[] }[] }[];
        },
    )
    .flatMap((r) => r.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans)))
    .filter((s) => s.attributes.some((a) => a.key === 'docroute.batch_id' && a.value['stringValue'] === batchId));

const lines = (file: string): Record<string, unknown>[] =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('docroute run with observability', () => {
  it('writes the log file and exports the spans before it exits, and keeps JSON out of its own output', async () => {
    const { inbox, config, data, logFile } = await setup('obs-run', 3);
    const r = await start(tempDir('cwd'), ['run', inbox, '--config', config, '--data-dir', data]).done;
    expect(r.code, r.stderr).toBe(EXIT.OK);
    expect(r.stdout).not.toContain('{');
    expect(r.stderr).not.toContain('{');
    const logged = lines(logFile);
    const batchId = logged.find((l) => l['event'] === 'batch-started')?.['batchId'] as string;
    expect(logged.filter((l) => l['event'] === 'routed')).toHaveLength(3);
    expect(logged.at(-1)).toMatchObject({ event: 'batch-completed', service: 'docroute-e2e' });
    const spans = spansOf(batchId);
    expect(spans.filter((s) => s.name === 'batch')).toHaveLength(1);
    expect(spans.filter((s) => s.name === 'document')).toHaveLength(3);
  });

  it('flushes on SIGINT and still dies of the signal', async () => {
    const { inbox, config, data, logFile } = await setup('obs-sigint', 60);
    const { child, done } = start(tempDir('cwd'), ['run', inbox, '--config', config, '--data-dir', data]);
    // Interrupt once the first document has been routed (the line is on disk), well before the end.
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (existsSync(logFile) && readFileSync(logFile, 'utf8').includes('"event":"routed"')) {
          clearInterval(timer);
          child.kill('SIGINT');
          resolve();
        }
      }, 25);
      void done.then(() => {
        clearInterval(timer);
        reject(new Error('the run ended before it could be interrupted'));
      });
    });
    const r = await done;
    expect(r.signal).toBe('SIGINT');
    // Every line is whole JSON; the batch is there and unfinished in the spans that were flushed.
    const logged = lines(logFile);
    const batchId = logged.find((l) => l['event'] === 'batch-started')?.['batchId'] as string;
    expect(logged.some((l) => l['event'] === 'batch-completed')).toBe(false);
    const batch = spansOf(batchId).find((s) => s.name === 'batch');
    expect(batch?.attributes.find((a) => a.key === 'docroute.unfinished')?.value['boolValue']).toBe(true);
  });
});

describe('docroute serve', () => {
  it('adds its in-process counters to /metrics, next to the store-derived ones', async () => {
    const data = path.join(tempDir('obs-serve'), 'data');
    const { token } = JSON.parse(cli(['tokens', 'create', '--name', 'ops', '--role', 'viewer', '--json', '--data-dir', data]).stdout) as {
      token: string;
    };
    const { child, done } = start(ROOT, ['serve', '--port', '0', '--batch-interval-ms', '200', '--data-dir', data]);
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const scrape = async (url: string): Promise<string> =>
      (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${token}` } })).text();
    try {
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setInterval(() => {
          const m = /listening on (http:\/\/\S+)/.exec(out);
          if (m?.[1]) {
            clearInterval(timer);
            resolve(m[1]);
          }
        }, 25);
        void done.then((r) => {
          clearInterval(timer);
          reject(new Error(`serve exited: ${r.stderr}`));
        });
      });
      await queueUpload(path.join(data, 'uploads'), 'invoice.pdf', await passingInvoice(3));
      // Counted once the batch has run: poll the page itself (the event we wait for is on it).
      const routed = 'docroute_documents_processed_total{outcome="pass",duplicate="false"} 1';
      let text = '';
      for (let i = 0; i < 600 && !text.includes(routed); i++) {
        text = await scrape(url);
        if (!text.includes(routed)) await new Promise((r) => setTimeout(r, 100));
      }
      expect(text).toContain(routed);
      expect(text).toContain('docroute_batches_total{result="completed"} 1');
      expect(text).toContain('# TYPE docroute_documents gauge');
    } finally {
      child.kill('SIGTERM');
    }
    expect((await done).code).toBe(EXIT.OK);
  });
});
