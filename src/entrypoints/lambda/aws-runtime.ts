import { GetObjectCommand } from '@aws-sdk/client-s3';
import { createBedrockClassifier } from '../../adapters/aws/bedrock-classifier.js';
import { DynamoStore } from '../../adapters/aws/dynamodb-store.js';
import { createDynamoTokenBucket } from '../../adapters/aws/dynamodb-token-bucket.js';
import { createEventBridgePublisher } from '../../adapters/aws/eventbridge-publisher.js';
import { createS3Client, S3ObjectStore, translateS3Error, type S3ConnectionOptions } from '../../adapters/aws/s3-object-store.js';
import { S3RouteSink } from '../../adapters/aws/s3-route-sink.js';
import { createSnsNotifier } from '../../adapters/aws/sns-notifier.js';
import { createTextractAnalyzer } from '../../adapters/aws/textract-analyzer.js';
import { createTextractAnalysis } from '../../adapters/aws/textract-client.js';
import { TEXTRACT_MAPPING_ENGINE, TEXTRACT_MAPPING_VERSION } from '../../adapters/aws/textract-blocks.js';
import { withFaultPorts } from '../../adapters/faults/with-faults.js';
import { faultsFromEnv } from '../../config/env.js';
import { sensitiveFieldNames } from '../../config/field-spec.js';
import { parseConfig, parseYamlText, stepVersionsOf, type LoadedConfig } from '../../config/load.js';
import { ConfigError, InvalidStepInputError } from '../../domain/errors.js';
import { createKeywordClassifier } from '../../domain/keyword-classifier.js';
import { compileRules } from '../../domain/validate.js';
import { createTaskHandlers, type TaskDeps } from '../../orchestration/tasks.js';
import type { Classifier } from '../../ports/classifier.js';
import type { Clock } from '../../ports/clock.js';
import type { ImagePipeline } from '../../ports/image-pipeline.js';
import type { Notifier } from '../../ports/notifier.js';
import type { OcrEngine } from '../../ports/ocr-engine.js';
import type { PdfReader } from '../../ports/pdf-reader.js';
import type { TaskHandlers } from './handler-kit.js';

/**
 * The AWS wiring: every Lambda builds the same task table from its environment (Terraform sets it),
 * with the AWS adapters behind the ports. Only entry points wire adapters; this is the AWS twin of
 * src/entrypoints/runtime.ts. Nothing here reads document content or logs.
 *
 * Environment (names are part of the deployment contract, see docs/aws.md):
 * - DOCROUTE_TABLE                 DynamoDB table: checkpoints, audit, ledger, decisions
 * - DOCROUTE_RATE_TABLE            DynamoDB table of the Textract token bucket (default: DOCROUTE_TABLE)
 * - DOCROUTE_DOCUMENTS_BUCKET      originals (`<prefix>originals/<sha256>`) and route entries
 * - DOCROUTE_ORIGINALS_PREFIX      default ''                ; DOCROUTE_ROUTES_PREFIX default 'routes/'
 * - DOCROUTE_INBOX_PREFIXES        comma-separated upload prefixes Admit accepts (default 'inbox/')
 * - DOCROUTE_CONFIG_URI            s3://bucket/key of docroute.config.yaml (absent: built-in defaults)
 * - DOCROUTE_KMS_DOCUMENTS_KEY     SSE-KMS key for originals (documents classification)
 * - DOCROUTE_KMS_RESULTS_KEY       SSE-KMS key for route entries and decision records (results classification)
 * - DOCROUTE_EVENT_BUS             EventBridge bus for `Document Routed` events (default bus when absent)
 * - DOCROUTE_TOPIC_ARN             SNS topic for batch summaries (no summary notification when absent)
 * - DOCROUTE_TEXTRACT_TPS, DOCROUTE_TEXTRACT_BURST   the shared Textract start budget (default 5, 5)
 * - AWS_REGION (set by Lambda); AWS_ENDPOINT_URL_<SERVICE> / AWS_ENDPOINT_URL to point clients at
 *   VPC endpoints or, in tests, local servers; DOCROUTE_S3_PATH_STYLE=1 and
 *   DOCROUTE_S3_CHECKSUMS=WHEN_REQUIRED for S3-compatible test servers.
 */

export type Env = Readonly<Record<string, string | undefined>>;

const required = (env: Env, name: string): string => {
  const v = env[name];
  if (!v) throw new ConfigError(`the function's environment lacks ${name}`);
  return v;
};

const endpointOf = (env: Env, service: string): string | undefined => env[`AWS_ENDPOINT_URL_${service}`] ?? env['AWS_ENDPOINT_URL'];

/** The region and, in tests, static credentials from the environment (Lambda's own are picked up by the SDK). */
const connection = (env: Env, service: string) => {
  const endpoint = endpointOf(env, service);
  const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
  return { ...(region ? { region } : {}), ...(endpoint ? { endpoint } : {}) };
};

const s3Connection = (env: Env): S3ConnectionOptions => ({
  ...connection(env, 'S3'),
  ...(env['DOCROUTE_S3_PATH_STYLE'] === '1' ? { forcePathStyle: true } : {}),
  ...(env['DOCROUTE_S3_CHECKSUMS'] === 'WHEN_REQUIRED' ? { checksums: 'WHEN_REQUIRED' as const } : {}),
});

const parseS3Uri = (uri: string): { bucket: string; key: string } => {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m?.[1] || !m[2]) throw new ConfigError('DOCROUTE_CONFIG_URI must look like s3://bucket/key');
  return { bucket: m[1], key: m[2] };
};

/** The configuration every function reads: one object in S3, so all functions judge with the same version. */
export const loadAwsConfig = async (env: Env): Promise<LoadedConfig> => {
  const uri = env['DOCROUTE_CONFIG_URI'];
  if (!uri) return parseConfig({});
  const { bucket, key } = parseS3Uri(uri);
  const client = createS3Client(s3Connection(env));
  let text: string;
  try {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    text = (await res.Body?.transformToString('utf8')) ?? '';
  } catch (err) {
    throw translateS3Error(err, 'reading the configuration');
  }
  return parseConfig(parseYamlText(text, `Configuration ${uri}`), uri);
};

/** The classifiers that run on Lambda: the zero-shot rules, or Bedrock. */
const awsClassifier = (loaded: LoadedConfig, env: Env): Classifier => {
  const c = loaded.config.classify;
  switch (c.classifier) {
    case 'rules':
      return createKeywordClassifier(c.classes, { topK: c.topK });
    case 'bedrock': {
      const b = c.bedrock;
      if (!b) throw new ConfigError('classifier "bedrock" needs a classify.bedrock section');
      const endpoint = b.endpoint ?? endpointOf(env, 'BEDROCK_RUNTIME');
      const region = b.region ?? env['AWS_REGION'];
      return createBedrockClassifier({
        modelId: b.modelId,
        classes: c.classes,
        maxTextChars: b.maxTextChars,
        maxOutputTokens: b.maxOutputTokens,
        timeoutMs: b.timeoutMs,
        topK: c.topK,
        ...(region ? { region } : {}),
        ...(endpoint ? { endpoint } : {}),
      });
    }
    case 'local':
    case 'openai-compatible':
      throw new ConfigError(`classifier "${c.classifier}" runs in the embedded mode only; on AWS use "rules" or "bedrock"`);
  }
};

/** Local extraction ports have no place on Lambda: Textract reads the documents. They refuse. */
const refusal = (what: string): InvalidStepInputError =>
  new InvalidStepInputError(`${what} is not available on AWS: Extract runs on Textract`);
const noOcr: OcrEngine = { name: 'none', recognize: () => Promise.reject(refusal('local OCR')), close: () => Promise.resolve() };
const noPdf: PdfReader = { open: () => Promise.reject(refusal('the local PDF reader')) };
const noImages: ImagePipeline = {
  pageCount: () => Promise.reject(refusal('the local image pipeline')),
  prepare: () => Promise.reject(refusal('the local image pipeline')),
};

const systemClock: Clock = { now: () => new Date() };

/** Builds the task table from an environment. Exported for tests, which pass their own. */
export const createAwsTaskHandlers = async (env: Env): Promise<TaskHandlers> => {
  const loaded = await loadAwsConfig(env);
  const { config } = loaded;
  const tableName = required(env, 'DOCROUTE_TABLE');
  const bucket = required(env, 'DOCROUTE_DOCUMENTS_BUCKET');
  const s3 = s3Connection(env);
  const documentsKey = env['DOCROUTE_KMS_DOCUMENTS_KEY'];
  const resultsKey = env['DOCROUTE_KMS_RESULTS_KEY'];
  const objects = new S3ObjectStore({
    ...s3,
    bucket,
    prefix: env['DOCROUTE_ORIGINALS_PREFIX'] ?? '',
    ...(documentsKey ? { kmsKeyId: documentsKey } : {}),
    ingest: {
      maxBytes: config.limits.maxFileBytes,
      allowedPrefixes: (env['DOCROUTE_INBOX_PREFIXES'] ?? 'inbox/').split(',').map((p) => p.trim()),
    },
  });
  const store = new DynamoStore({ ...connection(env, 'DYNAMODB'), tableName });
  const events = createEventBridgePublisher({
    ...connection(env, 'EVENTBRIDGE'),
    ...(env['DOCROUTE_EVENT_BUS'] ? { eventBusName: env['DOCROUTE_EVENT_BUS'] } : {}),
  });
  const sink = new S3RouteSink({
    ...s3,
    bucket,
    prefix: env['DOCROUTE_ROUTES_PREFIX'] ?? 'routes/',
    ...(resultsKey ? { kmsKeyId: resultsKey } : {}),
    original: (id) => objects.locationOf(id),
    events,
  });
  const analyzer = createTextractAnalyzer({
    textract: createTextractAnalysis(connection(env, 'TEXTRACT')),
    locate: (id) => objects.locationOf(id),
    now: () => new Date(),
  });
  const notifiers: Notifier[] = env['DOCROUTE_TOPIC_ARN']
    ? [createSnsNotifier({ ...connection(env, 'SNS'), topicArn: env['DOCROUTE_TOPIC_ARN'] })]
    : [];
  const classifier = awsClassifier(loaded, env);
  const sensitiveFields = sensitiveFieldNames(config.fields);
  const deps: TaskDeps = {
    config,
    configVersion: loaded.version,
    rulesetVersion: loaded.rulesetVersion,
    sensitiveFields,
    // The Extract checkpoint is Textract's, keyed by the service and its mapping version.
    stepVersions: stepVersionsOf(config, classifier.name, `${TEXTRACT_MAPPING_ENGINE}/${TEXTRACT_MAPPING_VERSION}`),
    objects,
    checkpoints: store,
    audit: store,
    ledger: store,
    sink,
    pdf: noPdf,
    ocr: noOcr,
    images: noImages,
    limiter: createDynamoTokenBucket({
      ...connection(env, 'DYNAMODB'),
      // A table of its own in production (its item is hot and has its own key); the store's by default.
      tableName: env['DOCROUTE_RATE_TABLE'] ?? tableName,
      ratePerSecond: Number(env['DOCROUTE_TEXTRACT_TPS'] ?? 5),
      burst: Number(env['DOCROUTE_TEXTRACT_BURST'] ?? 5),
      maxWaitMs: 10_000,
    }),
    classifier,
    rules: compileRules(config.rules, { sensitiveFields }),
    notifiers,
    clock: systemClock,
    admission: { admit: (object) => objects.ingest(object) },
    holdQueue: { oldestHeldSince: async () => (await store.routesWithOutcome('hold', 1))[0]?.decidedAt ?? null },
    analyzer,
  };
  // Fault injection for chaos experiments on a deployed stage (DOCROUTE_FAULTS or `faults:`);
  // off, the adapters are used as they are. Windows run from the container's cold start.
  return createTaskHandlers(withFaultPorts(deps, faultsFromEnv(env) ?? config.faults).deps);
};

/** What every Lambda handler loads once per container. */
export const loadAwsTaskHandlers = (): Promise<TaskHandlers> => createAwsTaskHandlers(process.env);
