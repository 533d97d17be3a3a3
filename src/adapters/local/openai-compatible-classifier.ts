import type { DocumentClassSpec } from '../../config/schema.js';
import { buildClassificationPrompt, parseClassificationOutput } from '../../domain/classify-prompt.js';
import type { Classification, Extraction } from '../../domain/document.js';
import { ConfigError, DependencyUnavailableError, ModelOutputInvalidError, ThrottledError } from '../../domain/errors.js';
import type { Classifier } from '../../ports/classifier.js';

export interface OpenAiCompatibleClassifierOptions {
  /** Base URL including the API version, e.g. `http://127.0.0.1:11434/v1` (Ollama) or `https://api.openai.com/v1`. */
  readonly baseUrl: string;
  readonly model: string;
  /** Sent as `Authorization: Bearer …` when set; local servers usually want none. */
  readonly apiKey?: string;
  readonly classes: readonly DocumentClassSpec[];
  readonly maxTextChars: number;
  readonly maxOutputTokens: number;
  /** Per call; past it the call fails with DependencyUnavailableError. */
  readonly timeoutMs: number;
  /** Alternatives kept, the winner included. */
  readonly topK: number;
  /** Injected for tests; defaults to the global fetch. */
  readonly fetch?: typeof fetch;
}

const CLASSIFIER_NAME = 'openai-compatible';

const SAFE_CODE = /^[A-Za-z0-9_.:-]{1,64}$/u;

/** The machine-readable `error.code` of an OpenAI-style error body, if it is a plain identifier (never the message). */
const errorCode = (body: string): string | undefined => {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown } } | null;
    const code = parsed?.error?.code;
    return typeof code === 'string' && SAFE_CODE.test(code) ? code : undefined;
  } catch {
    return undefined;
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

const parseJsonObject = (text: string): Record<string, unknown> | undefined => {
  try {
    const parsed = JSON.parse(text) as unknown;
    return isRecord(parsed) ? parsed : undefined;
  } catch {
    return undefined;
  }
};

/** A message content that is only a JSON object, possibly inside a ```json fence. */
const jsonFromContent = (content: string): Record<string, unknown> | undefined => {
  const fenced = /^\s*```(?:json)?\s*\n?([\s\S]*?)\n?\s*```\s*$/iu.exec(content);
  return parseJsonObject((fenced?.[1] ?? content).trim());
};

/**
 * Finds the tool input in a chat completion: `choices[0].message.tool_calls[0].function.arguments`
 * (a JSON string per the API; some servers send an object). Servers that ignore `tool_choice` may
 * answer with the JSON object as the message content instead, which is accepted too.
 */
const extractToolInput = (response: unknown, toolName: string): Record<string, unknown> => {
  const invalid = (problem: string): ModelOutputInvalidError => new ModelOutputInvalidError(`${CLASSIFIER_NAME}: ${problem}`);
  if (!isRecord(response) || !Array.isArray(response.choices)) throw invalid('the response has no choices');
  const choice: unknown = response.choices[0];
  const message = isRecord(choice) ? choice.message : undefined;
  if (!isRecord(message)) throw invalid('the response has no message');

  const calls = Array.isArray(message.tool_calls) ? (message.tool_calls as unknown[]) : [];
  const call: unknown = calls[0];
  if (isRecord(call)) {
    const fn = call.function;
    if (!isRecord(fn) || fn.name !== toolName) throw invalid(`the model called a tool other than ${toolName}`);
    if (isRecord(fn.arguments)) return fn.arguments;
    const args = typeof fn.arguments === 'string' ? parseJsonObject(fn.arguments) : undefined;
    if (args === undefined) throw invalid('the tool call arguments are not a JSON object');
    return args;
  }
  const fallback = typeof message.content === 'string' ? jsonFromContent(message.content) : undefined;
  if (fallback === undefined) throw invalid(`the model did not call ${toolName}`);
  return fallback;
};

const tokenCount = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : 0);

/**
 * Classifies with any server speaking the OpenAI chat completions API (OpenAI, Ollama, vLLM,
 * llama.cpp, LiteLLM), forcing one call of the `classify_document` function tool.
 *
 * Errors are translated here: 429 → ThrottledError; 5xx, 408, network failures and the timeout →
 * DependencyUnavailableError; other 4xx (bad key, unknown model, bad request) → ConfigError
 * (terminal); an answer that is not a usable tool call → ModelOutputInvalidError. Messages carry
 * the status and at most the server's `error.code`, never its message, which may quote the prompt.
 */
export const createOpenAiCompatibleClassifier = (options: OpenAiCompatibleClassifierOptions): Classifier => {
  let endpoint: string;
  try {
    endpoint = new URL(`${options.baseUrl.replace(/\/+$/u, '')}/chat/completions`).toString();
  } catch {
    throw new ConfigError('classify.openaiCompatible.baseUrl is not a valid URL');
  }
  const doFetch = options.fetch ?? fetch;
  const classNames = options.classes.map((c) => c.name);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', 'user-agent': 'docroute' };
  if (options.apiKey !== undefined && options.apiKey !== '') headers.authorization = `Bearer ${options.apiKey}`;

  return {
    name: CLASSIFIER_NAME,
    needsText: true,
    classify: async (extraction: Extraction): Promise<Classification> => {
      const prompt = buildClassificationPrompt(options.classes, extraction.text, { maxTextChars: options.maxTextChars });
      const body = {
        model: options.model,
        temperature: 0,
        max_tokens: options.maxOutputTokens,
        messages: [
          { role: 'system', content: prompt.system },
          { role: 'user', content: prompt.user },
        ],
        tools: [
          { type: 'function', function: { name: prompt.toolName, description: prompt.toolDescription, parameters: prompt.inputSchema } },
        ],
        tool_choice: { type: 'function', function: { name: prompt.toolName } },
      };

      const signal = AbortSignal.timeout(options.timeoutMs);
      let status: number;
      let text: string;
      try {
        const res = await doFetch(endpoint, { method: 'POST', headers, body: JSON.stringify(body), signal });
        status = res.status;
        text = await res.text();
      } catch (err) {
        if (signal.aborted) throw new DependencyUnavailableError(`${CLASSIFIER_NAME} call timed out after ${options.timeoutMs} ms`);
        const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
        const code = typeof cause?.code === 'string' && SAFE_CODE.test(cause.code) ? cause.code : err instanceof Error ? err.name : 'error';
        throw new DependencyUnavailableError(`${CLASSIFIER_NAME} server unreachable (${code})`);
      }

      if (status === 429) throw new ThrottledError(`${CLASSIFIER_NAME} server answered 429 (model ${options.model})`);
      if (status >= 500 || status === 408) throw new DependencyUnavailableError(`${CLASSIFIER_NAME} server answered ${status}`);
      if (status >= 400) {
        const code = errorCode(text);
        throw new ConfigError(
          `${CLASSIFIER_NAME} server rejected the call with ${status}${code === undefined ? '' : ` (${code})`} for model ${options.model}; ` +
            'check classify.openaiCompatible (baseUrl, model, apiKeyEnv)',
        );
      }
      if (status < 200 || status >= 300) throw new DependencyUnavailableError(`${CLASSIFIER_NAME} server answered ${status}`);

      let response: unknown;
      try {
        response = JSON.parse(text) as unknown;
      } catch {
        throw new ModelOutputInvalidError(`${CLASSIFIER_NAME}: the response is not JSON`);
      }
      const input = extractToolInput(response, prompt.toolName);
      const usage = isRecord(response) && isRecord(response.usage) ? response.usage : {};
      return parseClassificationOutput(input, classNames, {
        classifier: CLASSIFIER_NAME,
        model: options.model,
        topK: options.topK,
        usage: { inputTokens: tokenCount(usage.prompt_tokens), outputTokens: tokenCount(usage.completion_tokens) },
      });
    },
  };
};
