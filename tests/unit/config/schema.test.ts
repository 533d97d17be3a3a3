import { describe, expect, it } from 'vitest';
import { ConfigSchema, configJsonSchema } from '../../../src/config/schema.js';

describe('configJsonSchema', () => {
  const schema = configJsonSchema() as { type?: string; properties?: Record<string, { properties?: Record<string, unknown> }> };

  it('is plain JSON that survives a round trip', () => {
    const text = JSON.stringify(schema);
    expect(JSON.parse(text)).toEqual(schema);
  });

  it('describes every top-level section of the config', () => {
    expect(schema.type).toBe('object');
    const keys = Object.keys(schema.properties ?? {});
    expect(keys.sort()).toEqual(Object.keys(ConfigSchema.shape).sort());
    for (const key of ['engine', 'extract', 'classify', 'fields', 'rules', 'limits', 'notify', 'watch', 'dataDir']) {
      expect(keys).toContain(key);
    }
  });

  it('describes nested settings editors autocomplete', () => {
    expect(Object.keys(schema.properties?.['engine']?.properties ?? {})).toEqual(expect.arrayContaining(['maxConcurrency', 'retry']));
    expect(Object.keys(schema.properties?.['extract']?.properties ?? {})).toEqual(expect.arrayContaining(['minTextChars', 'ocr']));
  });

  it('targets draft 2020-12 and rejects unknown keys, as the loader does', () => {
    expect((schema as { $schema?: string }).$schema).toContain('2020-12');
    expect((schema as { additionalProperties?: unknown }).additionalProperties).toBe(false);
  });
});
