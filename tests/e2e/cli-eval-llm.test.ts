import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EXIT } from '../../src/entrypoints/cli/exit-codes.js';
import { assertBuilt, cliAsync } from '../helpers/cli.js';
import { tempDir, textPdf } from '../helpers/docs.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

/**
 * `eval classify` with an LLM classifier, through the built CLI, against a local server that
 * replays OpenAI-compatible chat completions: the side-by-side report gets the token counts and a
 * cost per 1,000 documents from the configured price table, and a text-less page is not sent.
 */

const answer = (documentClass: string): ScriptedResponse => ({
  status: 200,
  body: {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'llama3.1',
    choices: [
      {
        index: 0,
        finish_reason: 'tool_calls',
        message: {
          role: 'assistant',
          content: null,
          tool_calls: [
            {
              id: 'call_1',
              type: 'function',
              function: { name: 'classify_document', arguments: JSON.stringify({ documentClass, confidence: 0.9 }) },
            },
          ],
        },
      },
    ],
    usage: { prompt_tokens: 1000, completion_tokens: 50, total_tokens: 1050 },
  },
});

const run = (args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve) => {
    const child = cliAsync(args, { cwd });
    let stdout = '';
    let stderr = '';
    child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });

describe('eval classify with an OpenAI-compatible classifier', () => {
  const work = tempDir('eval-llm');
  const labelled = path.join(work, 'labelled');
  let server: ReplayServer;

  beforeAll(async () => {
    assertBuilt();
    for (const cls of ['invoice', 'letter', 'memo']) {
      mkdirSync(path.join(labelled, cls), { recursive: true });
      for (let n = 0; n < 3; n++)
        writeFileSync(path.join(labelled, cls, `${cls}-${n}.pdf`), await textPdf([`${cls.toUpperCase()} number ${n}`, 'body']));
    }
    // A page with no text at all: a text-only classifier is not called for it.
    writeFileSync(path.join(labelled, 'memo', 'memo-blank.pdf'), await textPdf([]));
    server = createReplayServer(Array.from({ length: 9 }, () => answer('invoice')));
    await server.start();
  });
  afterAll(async () => {
    await server.close();
  });

  it('reports accuracy, token counts and the cost per 1,000 documents from the price table', async () => {
    const cfg = path.join(work, 'llm.yaml');
    writeFileSync(
      cfg,
      [
        'classify:',
        '  openaiCompatible:',
        `    baseUrl: ${server.url}/v1`,
        '    model: llama3.1',
        '  prices:',
        '    llama3.1: { inputPerMillion: 0.5, outputPerMillion: 1.5 }',
        '  classes:',
        '    - { name: invoice, description: "A supplier invoice." }',
        '    - { name: letter, description: "Correspondence to a person." }',
        '    - { name: memo, description: "An internal memorandum." }',
        'rules: []',
        '',
      ].join('\n'),
    );
    const r = await run(
      [
        'eval',
        'classify',
        labelled,
        '--classifier',
        'openai-compatible',
        '--folds',
        '3',
        '--config',
        cfg,
        '--data-dir',
        path.join(work, 'data'),
        '--json',
      ],
      work,
    );
    expect(r.stderr).not.toMatch(/at .*\.js:\d+/);
    expect(r.code).toBe(EXIT.OK);
    const json = JSON.parse(r.stdout) as {
      runs: {
        classifier: string;
        model: string;
        metrics: { accuracy: number };
        cost: { inputTokens: number; outputTokens: number; documents: number; usdPer1000: number };
      }[];
    };
    const llm = json.runs[0];
    expect(llm?.classifier).toBe('openai-compatible');
    expect(llm?.model).toBe('llama3.1');
    // Every answer says "invoice": right for 3 of the 10 (the blank page counts as unclassified).
    expect(llm?.metrics.accuracy).toBeCloseTo(3 / 10, 10);
    expect(llm?.cost).toMatchObject({ inputTokens: 9000, outputTokens: 450, documents: 9 });
    // (1000 × 0.5 + 50 × 1.5) / 1e6 per document = $0.000575; × 1,000.
    expect(llm?.cost.usdPer1000).toBeCloseTo(0.575, 10);
    expect(server.requests).toHaveLength(9);
    expect(server.requests.every((q) => q.url === '/v1/chat/completions')).toBe(true);
  });
});
