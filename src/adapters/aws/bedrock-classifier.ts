import { BedrockRuntimeClient, ConverseCommand, type ConverseCommandOutput, type ToolInputSchema } from '@aws-sdk/client-bedrock-runtime';
import type { DocumentClassSpec } from '../../config/schema.js';
import { buildClassificationPrompt, parseClassificationOutput } from '../../domain/classify-prompt.js';
import type { Classification, Extraction } from '../../domain/document.js';
import {
  ConfigError,
  DependencyUnavailableError,
  InternalError,
  ModelOutputInvalidError,
  ThrottledError,
  type PipelineError,
} from '../../domain/errors.js';
import type { Classifier } from '../../ports/classifier.js';
import { clientSettings, inspectVendorError, NETWORK_CODES, SAFE_NAME, type AwsConnectionOptions } from './aws-common.js';

export interface BedrockClassifierOptions extends AwsConnectionOptions {
  /** A Bedrock model id or inference profile id/ARN. */
  readonly modelId: string;
  readonly classes: readonly DocumentClassSpec[];
  readonly maxTextChars: number;
  readonly maxOutputTokens: number;
  /** Per call; past it the call fails with DependencyUnavailableError. */
  readonly timeoutMs: number;
  /** Alternatives kept, the winner included. */
  readonly topK: number;
  /** An injected client (tests, shared clients). It should be built with clientSettings (`maxAttempts: 1`). */
  readonly client?: BedrockRuntimeClient;
}

const CLASSIFIER_NAME = 'bedrock';

/** Bedrock's "slow down" answers. ServiceQuotaExceededException is a 400, but it is a rate quota. */
const THROTTLING = new Set(['ThrottlingException', 'ServiceQuotaExceededException', 'TooManyRequestsException']);

/**
 * Transient failures of the service or the model. Checked before the status code: ModelNotReady is
 * a 429 but means "the model is loading", and ModelError (424) is the model failing, not our request.
 */
const UNAVAILABLE = new Set([
  'ModelNotReadyException',
  'ServiceUnavailableException',
  'InternalServerException',
  'ModelTimeoutException',
  'ModelErrorException',
  'TimeoutError',
  'AbortError',
]);

/** Our request, account or model choice is wrong: retrying cannot help. */
const TERMINAL = new Set(['AccessDeniedException', 'ValidationException', 'ResourceNotFoundException', 'CredentialsProviderError']);

/**
 * Translates whatever the SDK threw into the taxonomy. Only the error's name, code and HTTP status
 * are used: vendor messages can quote the request, and the request holds document text.
 */
const translate = (err: unknown, modelId: string, timedOut: boolean, timeoutMs: number): PipelineError => {
  const { name, status, codes } = inspectVendorError(err);
  if (timedOut && (name === 'AbortError' || name === 'TimeoutError')) {
    return new DependencyUnavailableError(`bedrock call timed out after ${timeoutMs} ms (model ${modelId})`);
  }
  if (THROTTLING.has(name)) return new ThrottledError(`bedrock throttled the call (${name}, model ${modelId})`);
  if (UNAVAILABLE.has(name)) return new DependencyUnavailableError(`bedrock is unavailable (${name}, model ${modelId})`);
  if (TERMINAL.has(name)) {
    return new ConfigError(
      `bedrock rejected the call with ${name} for model ${modelId}; check classify.bedrock (model id, region, access)`,
    );
  }
  if (status === 429) return new ThrottledError(`bedrock throttled the call (HTTP 429, model ${modelId})`);
  if (status !== undefined && (status >= 500 || status === 408)) {
    return new DependencyUnavailableError(`bedrock is unavailable (${name}, HTTP ${status}, model ${modelId})`);
  }
  if (status !== undefined && status >= 400) {
    return new ConfigError(`bedrock rejected the call with ${name} (HTTP ${status}) for model ${modelId}; check classify.bedrock`);
  }
  // The client speaks HTTP/2, whose session errors (ERR_HTTP2_*) are transport failures too.
  const network = codes.find((c) => NETWORK_CODES.has(c)) ?? codes.find((c) => c.startsWith('ERR_HTTP2_'));
  if (network !== undefined) return new DependencyUnavailableError(`bedrock endpoint unreachable (${network}, model ${modelId})`);
  return new InternalError(`bedrock call failed (${name}${codes.length === 0 ? '' : ` ${codes.join(' ')}`})`);
};

/** The schema is plain JSON (built from strings, numbers and arrays), which is what the SDK's document type describes. */
const asDocument = (schema: Record<string, unknown>): ToolInputSchema.JsonMember['json'] => schema as ToolInputSchema.JsonMember['json'];

const readUsage = (out: ConverseCommandOutput): { inputTokens: number; outputTokens: number } => ({
  inputTokens: out.usage?.inputTokens ?? 0,
  outputTokens: out.usage?.outputTokens ?? 0,
});

/**
 * Classifies with Amazon Bedrock's Converse API, forcing one call of the `classify_document` tool.
 *
 * The SDK client makes exactly one attempt (`maxAttempts: 1`): retries belong to the state machine
 * (or `withRetry`), where they are bounded, visible and shared by every step. Errors are
 * translated here, so no SDK error class crosses the port: throttling → ThrottledError; outages,
 * timeouts and network failures → DependencyUnavailableError; access, validation and unknown-model
 * errors → ConfigError (terminal); an answer without the tool call → ModelOutputInvalidError.
 */
export const createBedrockClassifier = (options: BedrockClassifierOptions): Classifier => {
  const client = options.client ?? new BedrockRuntimeClient(clientSettings(options));
  const classNames = options.classes.map((c) => c.name);

  return {
    name: CLASSIFIER_NAME,
    needsText: true,
    classify: async (extraction: Extraction): Promise<Classification> => {
      const prompt = buildClassificationPrompt(options.classes, extraction.text, { maxTextChars: options.maxTextChars });
      const command = new ConverseCommand({
        modelId: options.modelId,
        system: [{ text: prompt.system }],
        messages: [{ role: 'user', content: [{ text: prompt.user }] }],
        inferenceConfig: { maxTokens: options.maxOutputTokens, temperature: 0 },
        toolConfig: {
          tools: [
            {
              toolSpec: {
                name: prompt.toolName,
                description: prompt.toolDescription,
                inputSchema: { json: asDocument(prompt.inputSchema) },
              },
            },
          ],
          toolChoice: { tool: { name: prompt.toolName } },
        },
      });

      const signal = AbortSignal.timeout(options.timeoutMs);
      let out: ConverseCommandOutput;
      try {
        out = await client.send(command, { abortSignal: signal });
      } catch (err) {
        throw translate(err, options.modelId, signal.aborted, options.timeoutMs);
      }

      const stopReason = typeof out.stopReason === 'string' && SAFE_NAME.test(out.stopReason) ? out.stopReason : 'unknown';
      const toolUse = (out.output?.message?.content ?? []).find((block) => block.toolUse?.name === prompt.toolName)?.toolUse;
      if (stopReason !== 'tool_use' || toolUse === undefined) {
        throw new ModelOutputInvalidError(`${CLASSIFIER_NAME}: the model did not call ${prompt.toolName} (stopReason ${stopReason})`);
      }
      let input: unknown = toolUse.input;
      if (typeof input === 'string') {
        // Some models hand the tool input back as a JSON string rather than an object.
        try {
          input = JSON.parse(input) as unknown;
        } catch {
          throw new ModelOutputInvalidError(`${CLASSIFIER_NAME}: the tool input is not valid JSON`);
        }
      }
      return parseClassificationOutput(input, classNames, {
        classifier: CLASSIFIER_NAME,
        model: options.modelId,
        topK: options.topK,
        usage: readUsage(out),
      });
    },
  };
};
