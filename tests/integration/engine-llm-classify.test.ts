import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { listInbox, openRuntime, type Runtime } from '../../src/entrypoints/runtime.js';
import { TASK_NAMES } from '../../src/orchestration/definition.js';
import { tempDir, textPdf } from '../helpers/docs.js';
import { FakeOcr } from '../helpers/fakes.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

/**
 * The Bedrock classifier inside the real state machine: a local server replays Converse's
 * documented answers and errors; the generated Retry block (not the SDK, which is set to one
 * attempt) retries ThrottlingException and malformed output a bounded number of times, and the
 * audit trail shows every attempt.
 */

const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
const noWait = Object.fromEntries(TASK_NAMES.map((n) => [n, 0]));
const ENV_KEYS = ['AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY', 'AWS_EC2_METADATA_DISABLED', 'AWS_PROFILE'] as const;
const savedEnv: Partial<Record<(typeof ENV_KEYS)[number], string | undefined>> = {};

const toolUse = (documentClass: string, confidence: number): ScriptedResponse => ({
  status: 200,
  body: {
    output: {
      message: {
        role: 'assistant',
        content: [{ toolUse: { toolUseId: 'tooluse_1', name: 'classify_document', input: { documentClass, confidence } } }],
      },
    },
    stopReason: 'tool_use',
    usage: { inputTokens: 640, outputTokens: 38, totalTokens: 678 },
    metrics: { latencyMs: 300 },
  },
});
const throttled: ScriptedResponse = {
  status: 429,
  headers: { 'x-amzn-ErrorType': 'ThrottlingException' },
  body: { message: 'Too many requests, please wait before trying again.' },
};
const textOnly: ScriptedResponse = {
  status: 200,
  body: {
    output: { message: { role: 'assistant', content: [{ text: 'It is probably a receipt.' }] } },
    stopReason: 'end_turn',
    usage: { inputTokens: 640, outputTokens: 9, totalTokens: 649 },
  },
};

let server: ReplayServer;
let runtime: Runtime | null = null;

beforeAll(() => {
  for (const k of ENV_KEYS) savedEnv[k] = process.env[k];
  // Static credentials for SigV4 against the local server; no instance-metadata lookups.
  process.env['AWS_ACCESS_KEY_ID'] = 'AKIDEXAMPLE';
  process.env['AWS_SECRET_ACCESS_KEY'] = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
  process.env['AWS_EC2_METADATA_DISABLED'] = 'true';
  delete process.env['AWS_PROFILE'];
});
afterAll(() => {
  for (const k of ENV_KEYS) {
    const v = savedEnv[k];
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- restoring the environment this file changed
    if (v === undefined) delete process.env[k];
    else process.env[k] = v;
  }
});
beforeEach(async () => {
  server = createReplayServer([], { protocol: 'h2c' });
  await server.start();
});
afterEach(async () => {
  await runtime?.close();
  runtime = null;
  await server.close();
});

const run = async () => {
  const dir = tempDir('llm-engine');
  const inbox = path.join(dir, 'inbox');
  mkdirSync(inbox);
  writeFileSync(
    path.join(inbox, 'receipt.pdf'),
    await textPdf(['RECEIPT', 'Blue Door Cafe', 'Date: 2026-10-14', 'TOTAL 14.50', 'Thank you!']),
  );
  const loaded = parseConfig({
    dataDir: path.join(dir, 'data'),
    engine: { retry: { maxAttempts: 3 } },
    classify: { classifier: 'bedrock', bedrock: { modelId: MODEL_ID, region: 'us-east-1', endpoint: server.url } },
    rules: [],
  });
  runtime = await openRuntime(loaded, { ocr: new FakeOcr(), retryIntervalOverrides: noWait });
  const { files } = await listInbox([inbox]);
  const result = await runtime.runFiles(files, inbox);
  const documentId = (await runtime.store.batchOutcomes(result?.batchId ?? ''))[0]?.documentId ?? '';
  const timeline = (await runtime.store.timeline(documentId)).filter((e) => e.step === 'Classify');
  return { result, documentId, timeline };
};

describe('Classify with Bedrock in the state machine', () => {
  it('retries ThrottlingException with the generated Retry block and routes the document', async () => {
    server.enqueue(throttled, throttled, toolUse('receipt', 0.93));
    const { result, documentId, timeline } = await run();
    expect(result?.summary).toMatchObject({ received: 1, pass: 1, failed: 0 });
    expect(server.requests).toHaveLength(3);
    expect(timeline.filter((e) => e.event === 'failed').map((e) => e.errorName)).toEqual(['ThrottledError', 'ThrottledError']);
    expect(timeline.filter((e) => e.event === 'retried').map((e) => e.attempt)).toEqual([2, 3]);
    expect(timeline.at(-1)).toMatchObject({ event: 'succeeded', attempt: 3 });
    // The audit names the model that decided and what the call cost, and nothing of the document.
    expect(timeline.at(-1)?.note).toBe(`bedrock (${MODEL_ID}): receipt 0.93; tokens in 640, out 38`);
    const route = await runtime?.store.getRoute(documentId);
    expect(route).toMatchObject({ outcome: 'pass', documentClass: 'receipt', confidence: 0.93 });
  });

  it('gives up on a model that keeps answering without the tool: bounded attempts, document failed, not routed', async () => {
    server.enqueue(textOnly, textOnly, textOnly, textOnly);
    const { result, timeline } = await run();
    // MaxAttempts 3 retries: four calls in all, then the document fails as ModelOutputInvalidError.
    expect(server.requests).toHaveLength(4);
    expect(result?.summary).toMatchObject({ received: 1, pass: 0, hold: 0, reject: 0, failed: 1 });
    expect(timeline.filter((e) => e.event === 'failed').map((e) => e.errorName)).toEqual(Array(4).fill('ModelOutputInvalidError'));
    expect(server.remaining).toBe(0);
  });
});
