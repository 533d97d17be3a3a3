import { z } from 'zod';
import { FieldSpecSchema } from './field-spec.js';
import { FaultsSchema } from './faults.js';
import { ObservabilitySchema } from './observability.js';
import { SecuritySchema } from './security.js';

export { FieldSpecSchema, type FieldSpec } from './field-spec.js';
import type { FieldSpec } from './field-spec.js';

/**
 * The one configuration file, `docroute.config.yaml`. Every key has a default, so the demo runs with
 * no file at all. `docroute config schema` prints this as JSON Schema for editors.
 */

const regexString = z.string().refine(
  (s) => {
    try {
      new RegExp(s, 'u');
      return true;
    } catch {
      return false;
    }
  },
  { error: 'expected a valid regular expression' },
);

const ruleId = z.string().regex(/^[a-z0-9][a-z0-9._-]*$/, 'expected a lowercase id like "invoice-total-missing"');
const reasonCode = z.string().regex(/^[A-Z][A-Z0-9_]*$/, 'expected an UPPER_SNAKE reason code');
const className = z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lowercase class name like "bank_statement"');

export const DocumentClassSchema = z
  .object({
    name: className,
    description: z.string().default(''),
    /** Case-insensitive whole-word keywords; each match adds 1 to the class score. */
    keywords: z.array(z.string().min(1)).default([]),
    /** Regular expressions (case-insensitive); each match adds 2 to the class score. */
    patterns: z.array(regexString).default([]),
    /**
     * `any`: the class scores with any match. `all`: every keyword and pattern must match, or the
     * class scores 0 (for classes defined by a combination, like "statement" + "IBAN").
     */
    match: z.enum(['any', 'all']).default('any'),
    /**
     * Keywords also match words this many edits away (0 = exact). 1 tolerates OCR slips like
     * "lnvoice"; only keywords of 5+ letters are matched fuzzily.
     */
    fuzzy: z.number().int().min(0).max(2).default(0),
  })
  .strict();

/** USD per million tokens, for the cost estimate of `eval classify`. */
const PriceSchema = z.object({ inputPerMillion: z.number().min(0), outputPerMillion: z.number().min(0) }).strict();

/** The prompt contract shared by both LLM classifiers. */
const LlmCommon = {
  /** Characters of document text sent to the model (the start of the document). */
  maxTextChars: z.number().int().min(200).max(200_000).default(6000),
  maxOutputTokens: z.number().int().min(64).max(8192).default(400),
  /** Per call; past it the call fails with a retryable DependencyUnavailableError. */
  timeoutMs: z.number().int().min(1000).default(60_000),
};

export const ClassifySchema = z
  .object({
    /** Which classifier decides: keyword/regex rules (zero-shot), a trained local model, or an LLM. */
    classifier: z.enum(['rules', 'local', 'bedrock', 'openai-compatible']).default('rules'),
    /** Below this confidence the document is held for review. */
    minConfidence: z.number().min(0).max(1).default(0.5),
    /** Per-class review thresholds; a class listed here uses its own instead of `minConfidence`. */
    thresholds: z.record(className, z.number().min(0).max(1)).default({}),
    /** How many alternatives a classification keeps (the winner included). */
    topK: z.number().int().min(1).max(20).default(3),
    classes: z.array(DocumentClassSchema).min(1).optional(),
    local: z
      .object({
        /** A model file written by `docroute train` (relative to the working directory). */
        model: z.string().min(1),
      })
      .strict()
      .optional(),
    bedrock: z
      .object({
        /** A Bedrock model id or inference profile, e.g. `anthropic.claude-3-haiku-20240307-v1:0`. */
        modelId: z.string().min(1),
        region: z.string().optional(),
        /** Override the service endpoint (a VPC endpoint, or a local server in tests). */
        endpoint: z.url({ protocol: /^https?$/ }).optional(),
        ...LlmCommon,
      })
      .strict()
      .optional(),
    openaiCompatible: z
      .object({
        /** Base URL of an OpenAI-compatible server, e.g. `http://127.0.0.1:11434/v1` (Ollama). */
        baseUrl: z.url({ protocol: /^https?$/ }),
        model: z.string().min(1),
        /** Name of the environment variable holding the API key, if the server wants one. */
        apiKeyEnv: z
          .string()
          .regex(/^[A-Z_][A-Z0-9_]*$/)
          .optional(),
        ...LlmCommon,
      })
      .strict()
      .optional(),
    /** Token prices per model id, for cost estimates. */
    prices: z.record(z.string(), PriceSchema).default({}),
  })
  .strict()
  .superRefine((c, ctx) => {
    const needs = { local: 'local', bedrock: 'bedrock', 'openai-compatible': 'openaiCompatible' } as const;
    if (c.classifier === 'rules') return;
    const key = needs[c.classifier];
    if (c[key] === undefined) {
      ctx.addIssue({ code: 'custom', path: [key], message: `classifier "${c.classifier}" needs a classify.${key} section` });
    }
  });

/** A json-rules-engine condition tree; checked in depth when the rules engine loads it. */
const ConditionSchema: z.ZodType<Record<string, unknown>> = z.record(z.string(), z.unknown());

export const RuleSchema = z
  .object({
    id: ruleId,
    description: z.string().default(''),
    /** Document classes this rule applies to; empty means every class. */
    classes: z.array(className).default([]),
    conditions: ConditionSchema,
    outcome: z.enum(['hold', 'reject']),
    reasonCode,
    /**
     * For reviewers and the decision record; never written to the audit trail, which records reason
     * codes only. May use placeholders, filled in when the rule fires: `{{documentClass}}`,
     * `{{confidence}}` (2 decimals), `{{today}}`, `{{ruleId}}` and `{{fields.<name>}}` (the field's
     * value, masked to its last 4 characters when the field is sensitive; `(missing)` when absent).
     * An unknown or malformed placeholder, or a field the rule's classes do not define, fails at load.
     */
    message: z.string().min(1),
    /** Fields the rule looks at, listed in its finding. */
    fields: z.array(z.string()).default([]),
  })
  .strict();

const RetrySchema = z
  .object({
    intervalSeconds: z.number().min(0).default(1),
    backoffRate: z.number().min(1).default(2),
    maxAttempts: z.number().int().min(0).max(10).default(3),
    maxDelaySeconds: z.number().int().min(1).default(30),
  })
  .strict();

/** Headers the route webhook sets itself; a configured header may not replace them. */
const RESERVED_WEBHOOK_HEADERS = ['content-type', 'content-length', 'host', 'user-agent', 'idempotency-key', 'x-docroute-outcome'];

/** An HTTP header name (an RFC 9110 token). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

const RouteWebhookSchema = z
  .object({
    url: z.url({ protocol: /^https?$/, error: 'expected an http:// or https:// URL' }).refine(
      (u) => {
        try {
          const parsed = new URL(u);
          return parsed.username === '' && parsed.password === '';
        } catch {
          return false;
        }
      },
      // Credentials belong in `headers` (named by environment variable), never in the file.
      { error: 'expected a URL without user:password; send credentials with `headers`' },
    ),
    /** Per delivery; past it the delivery fails with a retryable DependencyUnavailableError. */
    timeoutMs: z.number().int().positive().default(5000),
    /**
     * Header name -> NAME of the environment variable holding its value (e.g. `Authorization:
     * DOWNSTREAM_TOKEN`). The value is read when the pipeline starts; secrets never live in this file.
     */
    headers: z
      .record(z.string(), z.string().regex(/^[A-Z_][A-Z0-9_]*$/, 'expected an environment variable name like "DOWNSTREAM_TOKEN"'))
      .default({})
      .superRefine((headers, ctx) => {
        const seen = new Set<string>();
        for (const name of Object.keys(headers)) {
          const lower = name.toLowerCase();
          let message: string | undefined;
          if (!HEADER_NAME.test(name)) message = 'expected an HTTP header name like "Authorization"';
          else if (RESERVED_WEBHOOK_HEADERS.includes(lower)) message = `"${name}" is set by docroute and cannot be configured`;
          else if (seen.has(lower)) message = `duplicate header "${name}" (header names ignore case)`;
          seen.add(lower);
          if (message !== undefined) ctx.addIssue({ code: 'custom', path: [name], message });
        }
      }),
  })
  .strict();

/**
 * Where one outcome's documents go: always a folder (default `<dataDir>/<outcome>`; a relative path
 * is relative to the config file), and optionally a webhook that gets each decision after the folder.
 */
const RouteDestinationSchema = z
  .object({
    folder: z.string().min(1).optional(),
    webhook: RouteWebhookSchema.optional(),
  })
  .strict();

export const RouteSchema = z
  .object({
    destinations: z
      .object({
        pass: RouteDestinationSchema.default({}),
        hold: RouteDestinationSchema.default({}),
        reject: RouteDestinationSchema.default({}),
      })
      .strict()
      .default({ pass: {}, hold: {}, reject: {} }),
  })
  .strict();

export const ConfigSchema = z
  .object({
    version: z.literal(1).default(1),
    /** Where the SQLite database, the originals and the route folders live. */
    dataDir: z.string().min(1).default('./.docroute'),
    limits: z
      .object({
        maxFileBytes: z
          .number()
          .int()
          .positive()
          .default(50 * 1024 * 1024),
        maxPages: z.number().int().positive().default(200),
      })
      .strict()
      .default({ maxFileBytes: 50 * 1024 * 1024, maxPages: 200 }),
    engine: z
      .object({
        /** The Map state's MaxConcurrency: documents in flight at once. */
        maxConcurrency: z.number().int().min(1).max(64).default(2),
        retry: RetrySchema.default({ intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 30 }),
      })
      .strict()
      .default({
        maxConcurrency: 2,
        retry: { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 30 },
      }),
    extract: z
      .object({
        /** A PDF page whose usable text layer has fewer characters than this is OCRed instead. */
        minTextChars: z.number().int().min(0).default(20),
        ocr: z
          .object({
            /** `auto`: the native tesseract CLI when it is installed with the language, else tesseract.js. */
            engine: z.enum(['auto', 'tesseract', 'tesseract-js']).default('auto'),
            /** Parallel OCR processes/workers; one per core is fastest for native tesseract. */
            workers: z.number().int().min(1).max(16).default(2),
            lang: z
              .string()
              .regex(/^[a-z_]{3,}(\+[a-z_]{3,})*$/, 'expected a tesseract language like "eng" or "eng+deu"')
              .default('eng'),
            /** Resolution PDF pages are rendered at for OCR. */
            dpi: z.number().int().min(72).max(600).default(300),
            /** Per page; past it the page fails with a retryable StepTimeoutError. */
            timeoutMs: z.number().int().min(1000).default(120_000),
          })
          .strict()
          .default({ engine: 'auto', workers: 2, lang: 'eng', dpi: 300, timeoutMs: 120_000 }),
        image: z
          .object({
            /** Images with more pixels are rejected (IMAGE_TOO_LARGE) before they are decoded. */
            maxPixels: z.number().int().positive().default(100_000_000),
            /** Images below this resolution are upscaled to `targetDpi` before OCR. */
            upscaleBelowDpi: z.number().int().min(0).default(200),
            targetDpi: z.number().int().min(72).max(600).default(300),
            grayscale: z.boolean().default(true),
            deskew: z.boolean().default(false),
          })
          .strict()
          .default({ maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false }),
        /** Pages OCRed per second across the process: the local twin of the Textract throttle. 0 disables. */
        rateLimit: z
          .object({
            pagesPerSecond: z.number().min(0).default(20),
            burst: z.number().int().min(1).default(20),
            maxWaitMs: z.number().int().min(0).default(30_000),
          })
          .strict()
          .default({ pagesPerSecond: 20, burst: 20, maxWaitMs: 30_000 }),
      })
      .strict()
      .default({
        minTextChars: 20,
        ocr: { engine: 'auto', workers: 2, lang: 'eng', dpi: 300, timeoutMs: 120_000 },
        image: { maxPixels: 100_000_000, upscaleBelowDpi: 200, targetDpi: 300, grayscale: true, deskew: false },
        rateLimit: { pagesPerSecond: 20, burst: 20, maxWaitMs: 30_000 },
      }),
    classify: ClassifySchema.default({ classifier: 'rules', minConfidence: 0.5, thresholds: {}, topK: 3, prices: {} }),
    /** Field specs per document class. */
    fields: z.record(className, z.array(FieldSpecSchema)).optional(),
    rules: z.array(RuleSchema).optional(),
    notify: z
      .object({
        /** Also write each batch summary to this JSON file. */
        file: z.string().optional(),
        webhook: z
          .object({
            url: z.url({ protocol: /^https?$/ }),
            timeoutMs: z.number().int().positive().default(5000),
          })
          .strict()
          .optional(),
      })
      .strict()
      .default({}),
    watch: z
      .object({
        intervalMs: z.number().int().min(100).default(2000),
        /** A file must keep its size and mtime this long before it is picked up. */
        settleMs: z.number().int().min(0).default(1000),
        batchSize: z.number().int().min(1).default(20),
      })
      .strict()
      .default({ intervalMs: 2000, settleMs: 1000, batchSize: 20 }),
    /** Per-outcome destinations of decided documents. */
    route: RouteSchema.default({ destinations: { pass: {}, hold: {}, reject: {} } }),
    /** Fault injection for gamedays and crash trials (DOCROUTE_FAULTS wins); off when empty. */
    faults: FaultsSchema.default({}),
    /** Logs, traces and in-process metrics derived from the audit trail; off by default. */
    observability: ObservabilitySchema.default({ logs: { level: 'info', destination: 'none' }, traces: { headers: {} } }),
    /** Encryption at rest in the embedded mode (keyring + per-classification data keys); off by default. */
    security: SecuritySchema.default({
      encryption: { enabled: false, classifications: { originals: 'restricted', outputs: 'restricted', checkpoints: 'restricted' } },
    }),
  })
  .strict();

export type ConfigInput = z.input<typeof ConfigSchema>;
export type ParsedConfig = z.output<typeof ConfigSchema>;
export type DocumentClassSpec = z.output<typeof DocumentClassSchema>;
export type RuleSpec = z.output<typeof RuleSchema>;
export type ClassifyConfig = Omit<z.output<typeof ClassifySchema>, 'classes'> & { classes: DocumentClassSpec[] };
export type PriceSpec = z.output<typeof PriceSchema>;
export type RouteConfig = z.output<typeof RouteSchema>;
export type RouteDestinationConfig = z.output<typeof RouteDestinationSchema>;
export type RouteWebhookConfig = z.output<typeof RouteWebhookSchema>;

/** The config after defaults for classes, fields and rules are filled in. */
export type Config = Omit<ParsedConfig, 'classify' | 'fields' | 'rules'> & {
  classify: ClassifyConfig;
  fields: Record<string, FieldSpec[]>;
  rules: RuleSpec[];
};

export const configJsonSchema = (): unknown =>
  z.toJSONSchema(ConfigSchema, { io: 'input', unrepresentable: 'any', target: 'draft-2020-12' });
