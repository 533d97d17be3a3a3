import path from 'node:path';
import { createBedrockClassifier } from '../adapters/aws/bedrock-classifier.js';
import { createKeywordClassifier } from '../domain/keyword-classifier.js';
import { createModelClassifier, readModelFile } from '../adapters/local/model-classifier.js';
import { createOpenAiCompatibleClassifier } from '../adapters/local/openai-compatible-classifier.js';
import { secretFromEnv } from '../config/env.js';
import type { LoadedConfig } from '../config/load.js';
import type { Config } from '../config/schema.js';
import { ConfigError } from '../domain/errors.js';
import type { Classifier } from '../ports/classifier.js';

/** The classifier kinds `classify.classifier` can name. */
export type ClassifierKind = Config['classify']['classifier'];

export interface ChosenClassifier {
  readonly classifier: Classifier;
  /** What the config cannot show about it (a model file's content version); part of the Classify step version. */
  readonly version: string;
  /** The model id an LLM classifier calls, for cost lookups. */
  readonly modelId?: string;
}

/** Builds the classifier `kind` (by default the configured one) from config. */
export const createClassifier = async (
  loaded: LoadedConfig,
  kind: ClassifierKind = loaded.config.classify.classifier,
): Promise<ChosenClassifier> => {
  const c = loaded.config.classify;
  switch (kind) {
    case 'rules':
      return { classifier: createKeywordClassifier(c.classes, { topK: c.topK }), version: '' };
    case 'local': {
      if (!c.local) throw new ConfigError('classifier "local" needs classify.local.model: a model file written by `docroute train`');
      // loadConfig resolved it against the config file's folder; a parsed config is relative to the working directory.
      const file = path.resolve(c.local.model);
      const model = await readModelFile(file);
      return {
        classifier: createModelClassifier(model, { topK: c.topK, classes: c.classes.map((x) => x.name), file }),
        version: model.version,
      };
    }
    case 'bedrock': {
      if (!c.bedrock) throw new ConfigError('classifier "bedrock" needs a classify.bedrock section with modelId');
      const b = c.bedrock;
      return {
        classifier: createBedrockClassifier({
          modelId: b.modelId,
          ...(b.region ? { region: b.region } : {}),
          ...(b.endpoint ? { endpoint: b.endpoint } : {}),
          classes: c.classes,
          maxTextChars: b.maxTextChars,
          maxOutputTokens: b.maxOutputTokens,
          timeoutMs: b.timeoutMs,
          topK: c.topK,
        }),
        version: '',
        modelId: b.modelId,
      };
    }
    case 'openai-compatible': {
      if (!c.openaiCompatible) throw new ConfigError('classifier "openai-compatible" needs a classify.openaiCompatible section');
      const o = c.openaiCompatible;
      const apiKey = o.apiKeyEnv ? secretFromEnv(o.apiKeyEnv) : undefined;
      if (o.apiKeyEnv && !apiKey) throw new ConfigError(`classify.openaiCompatible.apiKeyEnv names ${o.apiKeyEnv}, which is not set`);
      return {
        classifier: createOpenAiCompatibleClassifier({
          baseUrl: o.baseUrl,
          model: o.model,
          ...(apiKey ? { apiKey } : {}),
          classes: c.classes,
          maxTextChars: o.maxTextChars,
          maxOutputTokens: o.maxOutputTokens,
          timeoutMs: o.timeoutMs,
          topK: c.topK,
        }),
        version: '',
        modelId: o.model,
      };
    }
  }
};
