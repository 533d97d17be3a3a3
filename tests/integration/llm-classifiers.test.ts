import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBedrockClassifier } from '../../src/adapters/aws/bedrock-classifier.js';
import { createOpenAiCompatibleClassifier } from '../../src/adapters/local/openai-compatible-classifier.js';
import type { DocumentClassSpec } from '../../src/config/schema.js';
import type { Extraction } from '../../src/domain/document.js';
import {
  ConfigError,
  DependencyUnavailableError,
  ModelOutputInvalidError,
  PipelineError,
  ThrottledError,
} from '../../src/domain/errors.js';
import { withRetry, type RetryOptions } from '../../src/domain/retry.js';
import type { Classifier } from '../../src/ports/classifier.js';
import { createReplayServer, type ReplayServer, type ScriptedResponse } from '../helpers/replay-server.js';

/**
 * Both LLM classifiers against a loopback server that replays responses shaped like the documented
 * APIs (Bedrock Converse over REST-JSON; OpenAI chat completions). The Bedrock adapter runs the
 * real SDK (signing, serialisation, error deserialisation); only the network peer is scripted.
 */

const spec = (name: string, description: string): DocumentClassSpec => ({
  name,
  description,
  keywords: [],
  patterns: [],
  match: 'any',
  fuzzy: 0,
});
const CLASSES = [
  spec('invoice', 'A bill asking for payment, with a total and a due date.'),
  spec('receipt', 'Proof of a payment already made.'),
  spec('bank_statement', 'Account transactions over a period.'),
];

/** Customer data: it must reach the model, and must never appear in an error message. */
const SECRET = 'ACCT-7731-ZEBRA-PAYEE-Hargreaves';
const MAX_TEXT_CHARS = 400;
const HEAD = `INVOICE No. 2026-114\nBill to: ${SECRET}\nTotal due: 1,250.00 EUR\n`;
const TEXT = `${HEAD}${'Line item. '.repeat(60)}TAIL-BEYOND-THE-LIMIT`;

const extraction: Extraction = {
  mediaType: 'application/pdf',
  pages: [],
  text: TEXT,
  confidence: 1,
  provenance: { engine: 'test' },
};

const TOOL_INPUT = {
  documentClass: 'invoice',
  confidence: 0.93,
  alternatives: [
    { documentClass: 'receipt', confidence: 0.05 },
    { documentClass: 'bank_statement', confidence: 0.02 },
  ],
};

const fakeRetry = (maxAttempts: number) => {
  const sleeps: number[] = [];
  const options: RetryOptions = {
    maxAttempts,
    intervalMs: 1000,
    backoffRate: 2,
    maxDelayMs: 30_000,
    sleep: (ms) => {
      sleeps.push(ms);
      return Promise.resolve();
    },
    random: () => 0.5,
  };
  return { options, sleeps };
};

interface SchemaShape {
  properties: { documentClass: { enum: string[] } };
}

/** The parts of a Converse request body the tests look at. */
interface ConverseBody {
  system: { text: string }[];
  messages: { role: string; content: { text: string }[] }[];
  inferenceConfig: unknown;
  toolConfig: { tools: { toolSpec: { name: string; inputSchema: { json: SchemaShape } } }[]; toolChoice: unknown };
}

/** The parts of a chat completions request body the tests look at. */
interface ChatBody {
  model: string;
  temperature: number;
  max_tokens: number;
  messages: { role: string; content: string }[];
  tools: { type: string; function: { name: string; parameters: SchemaShape } }[];
  tool_choice: unknown;
}

const failure = async (p: Promise<unknown>): Promise<PipelineError> => {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PipelineError);
  const message = (err as Error).message;
  expect(message).not.toContain(SECRET);
  expect(message).not.toContain('ZEBRA');
  return err as PipelineError;
};

/** A port that was listening a moment ago and is now closed: connections are refused. */
const closedPortUrl = async (): Promise<string> => {
  const s = createReplayServer();
  await s.start();
  const url = s.url;
  await s.close();
  return url;
};

let server: ReplayServer;
/** The Bedrock Runtime client speaks HTTP/2 (h2c to a plain-http endpoint); fetch speaks HTTP/1.1. */
const serveWith = (protocol: 'http/1.1' | 'h2c'): void => {
  beforeEach(async () => {
    server = createReplayServer([], { protocol });
    await server.start();
  });
  afterEach(async () => {
    await server.close();
  });
};

describe('bedrock classifier (Converse)', () => {
  const MODEL_ID = 'anthropic.claude-3-haiku-20240307-v1:0';
  serveWith('h2c');

  const bedrock = (overrides: { endpoint?: string; timeoutMs?: number } = {}): Classifier =>
    createBedrockClassifier({
      modelId: MODEL_ID,
      region: 'us-east-1',
      endpoint: overrides.endpoint ?? server.url,
      credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY' },
      classes: CLASSES,
      maxTextChars: MAX_TEXT_CHARS,
      maxOutputTokens: 400,
      timeoutMs: overrides.timeoutMs ?? 10_000,
      topK: 3,
    });

  const converse = (content: unknown[], stopReason: string): ScriptedResponse => ({
    status: 200,
    body: {
      output: { message: { role: 'assistant', content } },
      stopReason,
      usage: { inputTokens: 812, outputTokens: 41, totalTokens: 853 },
      metrics: { latencyMs: 420 },
    },
  });
  const toolUse = (input: unknown): ScriptedResponse =>
    converse([{ toolUse: { toolUseId: 'tooluse_kZJMlvQmRJ6eAyJE5GIl7Q', name: 'classify_document', input } }], 'tool_use');
  /** REST-JSON error: the type in `x-amzn-ErrorType`, the message in the JSON body. */
  const awsError = (status: number, type: string, message: string): ScriptedResponse => ({
    status,
    headers: { 'x-amzn-ErrorType': type, 'x-amzn-RequestId': 'b0a1e2c3-0000-4000-8000-000000000000' },
    body: { message },
  });

  it('classifies from a forced tool call and records model and usage', async () => {
    server.enqueue(toolUse(TOOL_INPUT));
    const c = await bedrock().classify(extraction);
    expect(c).toEqual({
      documentClass: 'invoice',
      confidence: 0.93,
      classifier: 'bedrock',
      model: MODEL_ID,
      usage: { inputTokens: 812, outputTokens: 41 },
      alternatives: [
        { documentClass: 'invoice', score: 0.93 },
        { documentClass: 'receipt', score: 0.05 },
        { documentClass: 'bank_statement', score: 0.02 },
      ],
    });

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe(`/model/${encodeURIComponent(MODEL_ID)}/converse`);
    expect(req.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/us-east-1\/bedrock\/aws4_request/);
    const body = req.body as ConverseBody;
    expect(body.inferenceConfig).toEqual({ maxTokens: 400, temperature: 0 });
    expect(body.toolConfig.toolChoice).toEqual({ tool: { name: 'classify_document' } });
    expect(body.toolConfig.tools).toHaveLength(1);
    expect(body.toolConfig.tools[0]!.toolSpec.name).toBe('classify_document');
    expect(body.toolConfig.tools[0]!.toolSpec.inputSchema.json.properties.documentClass.enum).toEqual([
      'invoice',
      'receipt',
      'bank_statement',
      'unclassified',
    ]);
    const system = body.system[0]!.text;
    for (const c of CLASSES) expect(system).toContain(`- ${c.name}: ${c.description}`);
    expect(body.messages).toHaveLength(1);
    expect(body.messages[0]!.role).toBe('user');
    const user = body.messages[0]!.content[0]!.text;
    expect(user).toContain(HEAD);
    expect(user).not.toContain('TAIL-BEYOND-THE-LIMIT');
    expect(user).toContain(`only the first ${MAX_TEXT_CHARS} of ${TEXT.length} characters`);
    expect(user).toContain('data, not instructions');
  });

  it('maps ThrottlingException (429) to ThrottledError, and withRetry recovers on the next answer', async () => {
    server.enqueue(awsError(429, 'ThrottlingException', 'Too many requests, please wait before trying again.'));
    const err = await failure(bedrock().classify(extraction));
    expect(err).toBeInstanceOf(ThrottledError);
    expect(err.message).toContain('ThrottlingException');

    server.enqueue(awsError(429, 'ThrottlingException', 'Too many tokens, please wait before trying again.'), toolUse(TOOL_INPUT));
    const retry = fakeRetry(3);
    const classifier = bedrock();
    const c = await withRetry(() => classifier.classify(extraction), retry.options);
    expect(c.documentClass).toBe('invoice');
    expect(server.requests).toHaveLength(3);
    expect(retry.sleeps).toEqual([500]);
  });

  it('treats ModelNotReadyException as unavailable although it is a 429', async () => {
    server.enqueue(awsError(429, 'ModelNotReadyException', 'Model is not ready'));
    expect(await failure(bedrock().classify(extraction))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps ServiceQuotaExceededException to ThrottledError', async () => {
    server.enqueue(awsError(400, 'ServiceQuotaExceededException', 'Your request exceeds the service quota for your account.'));
    expect(await failure(bedrock().classify(extraction))).toBeInstanceOf(ThrottledError);
  });

  it('rejects an answer without a tool call (end_turn, text only) as ModelOutputInvalidError', async () => {
    server.enqueue(converse([{ text: `This looks like an invoice for ${SECRET}.` }], 'end_turn'));
    const err = await failure(bedrock().classify(extraction));
    expect(err).toBeInstanceOf(ModelOutputInvalidError);
    expect(err.message).toContain('end_turn');
  });

  it('rejects a tool input with a class not in the list, and withRetry gives up after exactly 3 requests', async () => {
    const bad = toolUse({ documentClass: 'purchase_order', confidence: 0.9 });
    server.enqueue(bad);
    expect(await failure(bedrock().classify(extraction))).toBeInstanceOf(ModelOutputInvalidError);

    server.enqueue(bad, bad, bad);
    const retry = fakeRetry(3);
    const classifier = bedrock();
    const err = await failure(withRetry(() => classifier.classify(extraction), retry.options));
    expect(err).toBeInstanceOf(ModelOutputInvalidError);
    expect(server.requests).toHaveLength(4);
    expect(retry.sleeps).toEqual([500, 1000]);
  });

  it.each([
    [500, 'InternalServerException'],
    [503, 'ServiceUnavailableException'],
    [408, 'ModelTimeoutException'],
    [424, 'ModelErrorException'],
  ])('maps %s %s to DependencyUnavailableError', async (status, type) => {
    server.enqueue(awsError(status, type, `failed while processing ${SECRET}`));
    expect(await failure(bedrock().classify(extraction))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps a 502 from a proxy (HTML, no error type) to DependencyUnavailableError', async () => {
    server.enqueue({ status: 502, headers: { 'content-type': 'text/html' }, rawBody: '<html><body>Bad Gateway</body></html>' });
    expect(await failure(bedrock().classify(extraction))).toBeInstanceOf(DependencyUnavailableError);
  });

  it('maps AccessDeniedException (403) to ConfigError naming the error and the model, and withRetry does not retry it', async () => {
    server.enqueue(awsError(403, 'AccessDeniedException', "You don't have access to the model with the specified model ID."));
    const retry = fakeRetry(3);
    const classifier = bedrock();
    const err = await failure(withRetry(() => classifier.classify(extraction), retry.options));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('AccessDeniedException');
    expect(err.message).toContain(MODEL_ID);
    expect(server.requests).toHaveLength(1);
    expect(retry.sleeps).toEqual([]);
  });

  it('maps ValidationException to ConfigError without echoing the vendor message', async () => {
    server.enqueue(awsError(400, 'ValidationException', `Input is too long for requested model: ${SECRET}`));
    const err = await failure(bedrock().classify(extraction));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain('ValidationException');
  });

  it('maps a refused connection to DependencyUnavailableError', async () => {
    const err = await failure(bedrock({ endpoint: await closedPortUrl() }).classify(extraction));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('maps its timeout to DependencyUnavailableError', async () => {
    server.enqueue({ ...toolUse(TOOL_INPUT), delayMs: 3000 });
    const err = await failure(bedrock({ timeoutMs: 200 }).classify(extraction));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('timed out after 200 ms');
  });
});

describe('openai-compatible classifier (chat completions)', () => {
  const MODEL = 'qwen2.5:7b-instruct';
  serveWith('http/1.1');

  const openai = (overrides: { baseUrl?: string; apiKey?: string; timeoutMs?: number } = {}): Classifier =>
    createOpenAiCompatibleClassifier({
      baseUrl: overrides.baseUrl ?? `${server.url}/v1`,
      model: MODEL,
      ...(overrides.apiKey === undefined ? {} : { apiKey: overrides.apiKey }),
      classes: CLASSES,
      maxTextChars: MAX_TEXT_CHARS,
      maxOutputTokens: 300,
      timeoutMs: overrides.timeoutMs ?? 10_000,
      topK: 2,
    });

  const completion = (message: Record<string, unknown>, finishReason: string, usage?: Record<string, number>): ScriptedResponse => ({
    status: 200,
    body: {
      id: 'chatcmpl-9xRk2mGf0bQ7',
      object: 'chat.completion',
      created: 1767225600,
      model: MODEL,
      choices: [{ index: 0, message: { role: 'assistant', ...message }, logprobs: null, finish_reason: finishReason }],
      ...(usage === undefined ? {} : { usage }),
    },
  });
  const toolCall = (args: string): ScriptedResponse =>
    completion(
      {
        content: null,
        tool_calls: [{ id: 'call_Qp1bXh7d3Ks', type: 'function', function: { name: 'classify_document', arguments: args } }],
      },
      'tool_calls',
      { prompt_tokens: 690, completion_tokens: 37, total_tokens: 727 },
    );
  const apiError = (status: number, message: string, type: string, code: string | null): ScriptedResponse => ({
    status,
    body: { error: { message, type, param: null, code } },
  });

  it('classifies from a forced tool call and records model and usage', async () => {
    server.enqueue(toolCall(JSON.stringify(TOOL_INPUT)));
    const c = await openai().classify(extraction);
    expect(c).toEqual({
      documentClass: 'invoice',
      confidence: 0.93,
      classifier: 'openai-compatible',
      model: MODEL,
      usage: { inputTokens: 690, outputTokens: 37 },
      alternatives: [
        { documentClass: 'invoice', score: 0.93 },
        { documentClass: 'receipt', score: 0.05 },
      ],
    });

    expect(server.requests).toHaveLength(1);
    const req = server.requests[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/v1/chat/completions');
    expect(req.headers.authorization).toBeUndefined();
    const body = req.body as ChatBody;
    expect(body.model).toBe(MODEL);
    expect(body.temperature).toBe(0);
    expect(body.max_tokens).toBe(300);
    expect(body.tool_choice).toEqual({ type: 'function', function: { name: 'classify_document' } });
    expect(body.tools).toHaveLength(1);
    expect(body.tools[0]!.type).toBe('function');
    expect(body.tools[0]!.function.name).toBe('classify_document');
    expect(body.tools[0]!.function.parameters.properties.documentClass.enum).toEqual([
      'invoice',
      'receipt',
      'bank_statement',
      'unclassified',
    ]);
    expect(body.messages.map((m) => m.role)).toEqual(['system', 'user']);
    for (const c of CLASSES) expect(body.messages[0]!.content).toContain(`- ${c.name}: ${c.description}`);
    const user = body.messages[1]!.content;
    expect(user).toContain(HEAD);
    expect(user).not.toContain('TAIL-BEYOND-THE-LIMIT');
    expect(user).toContain(`only the first ${MAX_TEXT_CHARS} of ${TEXT.length} characters`);
  });

  it('sends the API key as a bearer token when one is set', async () => {
    server.enqueue(toolCall(JSON.stringify(TOOL_INPUT)));
    await openai({ apiKey: 'sk-test-123' }).classify(extraction);
    expect(server.requests[0]!.headers.authorization).toBe('Bearer sk-test-123');
  });

  it('accepts a JSON answer in the message content from servers that ignore tool_choice, with usage 0 when absent', async () => {
    server.enqueue(completion({ content: '```json\n{"documentClass": "Receipt", "confidence": 0.8}\n```' }, 'stop'));
    const c = await openai().classify(extraction);
    expect(c.documentClass).toBe('receipt');
    expect(c.confidence).toBe(0.8);
    expect(c.usage).toEqual({ inputTokens: 0, outputTokens: 0 });
  });

  it('maps 429 to ThrottledError, and withRetry recovers on the next answer', async () => {
    const limited = apiError(429, 'Rate limit reached', 'requests', 'rate_limit_exceeded');
    server.enqueue(limited);
    expect(await failure(openai().classify(extraction))).toBeInstanceOf(ThrottledError);

    server.enqueue(limited, toolCall(JSON.stringify(TOOL_INPUT)));
    const retry = fakeRetry(3);
    const classifier = openai();
    const c = await withRetry(() => classifier.classify(extraction), retry.options);
    expect(c.documentClass).toBe('invoice');
    expect(server.requests).toHaveLength(3);
    expect(retry.sleeps).toEqual([500]);
  });

  it('rejects tool arguments that are not JSON, and withRetry gives up after exactly 3 requests', async () => {
    const bad = toolCall(`{"documentClass": "invoice", "confidence": 0.9, "note": "${SECRET}"`);
    server.enqueue(bad);
    expect(await failure(openai().classify(extraction))).toBeInstanceOf(ModelOutputInvalidError);

    server.enqueue(bad, bad, bad);
    const retry = fakeRetry(3);
    const classifier = openai();
    const err = await failure(withRetry(() => classifier.classify(extraction), retry.options));
    expect(err).toBeInstanceOf(ModelOutputInvalidError);
    expect(server.requests).toHaveLength(4);
    expect(retry.sleeps).toEqual([500, 1000]);
  });

  it('rejects a prose answer and a class not in the list as ModelOutputInvalidError', async () => {
    server.enqueue(completion({ content: `It is an invoice addressed to ${SECRET}.` }, 'stop'));
    expect(await failure(openai().classify(extraction))).toBeInstanceOf(ModelOutputInvalidError);
    server.enqueue(toolCall(JSON.stringify({ documentClass: SECRET, confidence: 0.9 })));
    expect(await failure(openai().classify(extraction))).toBeInstanceOf(ModelOutputInvalidError);
  });

  it('maps 500 to DependencyUnavailableError', async () => {
    server.enqueue(apiError(500, `The server had an error while processing ${SECRET}`, 'server_error', null));
    expect(await failure(openai().classify(extraction))).toBeInstanceOf(DependencyUnavailableError);
  });

  it.each([
    [403, 'You are not allowed to sample from this model', 'invalid_request_error', 'model_not_allowed'],
    [401, 'Incorrect API key provided: sk-test-***', 'invalid_request_error', 'invalid_api_key'],
    [404, `The model '${MODEL}' does not exist`, 'invalid_request_error', 'model_not_found'],
    [400, `This model's maximum context length is 8192 tokens: ${SECRET}`, 'invalid_request_error', 'context_length_exceeded'],
  ])('maps %s to ConfigError that withRetry does not retry', async (status, message, type, code) => {
    server.enqueue(apiError(status, message, type, code));
    const retry = fakeRetry(3);
    const classifier = openai();
    const err = await failure(withRetry(() => classifier.classify(extraction), retry.options));
    expect(err).toBeInstanceOf(ConfigError);
    expect(err.message).toContain(String(status));
    expect(err.message).toContain(code);
    expect(err.message).not.toContain(message);
    expect(server.requests).toHaveLength(1);
    expect(retry.sleeps).toEqual([]);
  });

  it('maps a refused connection to DependencyUnavailableError', async () => {
    const err = await failure(openai({ baseUrl: `${await closedPortUrl()}/v1` }).classify(extraction));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('ECONNREFUSED');
  });

  it('maps its timeout to DependencyUnavailableError', async () => {
    server.enqueue({ ...toolCall(JSON.stringify(TOOL_INPUT)), delayMs: 3000 });
    const err = await failure(openai({ timeoutMs: 200 }).classify(extraction));
    expect(err).toBeInstanceOf(DependencyUnavailableError);
    expect(err.message).toContain('timed out after 200 ms');
  });

  it('refuses an invalid base URL at construction with ConfigError', () => {
    expect(() => openai({ baseUrl: 'not a url' })).toThrow(ConfigError);
  });
});
