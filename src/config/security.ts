import { z } from 'zod';

/** Data classifications, one master key each (mirrors the KMS keys in infra/terraform/CONTRACT.md). */
const Classification = z.enum(['restricted', 'confidential', 'internal', 'public']);

/**
 * `security:` — encryption at rest in the embedded mode. Off by default: files are written exactly
 * as without this section. When on, originals, route outputs (decision records, entry copies) and
 * checkpoints (which hold document text) are encrypted with the data key of their classification.
 */
export const SecuritySchema = z
  .object({
    encryption: z
      .object({
        enabled: z.boolean().default(false),
        /** The keyring file (0600). DOCROUTE_KEYRING (the same JSON, base64) wins when set. */
        keyring: z.string().min(1).optional(),
        /** Which classification's key encrypts each kind of data. */
        classifications: z
          .object({
            originals: Classification.default('restricted'),
            outputs: Classification.default('restricted'),
            checkpoints: Classification.default('restricted'),
          })
          .strict()
          .default({ originals: 'restricted', outputs: 'restricted', checkpoints: 'restricted' }),
      })
      .strict()
      .default({ enabled: false, classifications: { originals: 'restricted', outputs: 'restricted', checkpoints: 'restricted' } }),
  })
  .strict();

export type SecurityConfig = z.output<typeof SecuritySchema>;
export type EncryptionConfig = SecurityConfig['encryption'];
