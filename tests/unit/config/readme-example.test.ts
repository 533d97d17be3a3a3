import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { parseConfig } from '../../../src/config/load.js';

/** The README is the front door: its configuration example must be a valid configuration. */
describe('README configuration example', () => {
  it('parses and validates', () => {
    const readme = readFileSync(path.resolve(import.meta.dirname, '../../../README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## Configuration'));
    const block = /```yaml\n([\s\S]*?)```/.exec(section)?.[1];
    expect(block).toBeDefined();
    const loaded = parseConfig(YAML.parse(block ?? ''), 'README.md');
    expect(loaded.config.classify.classifier).toBe('rules');
    expect(loaded.config.classify.thresholds).toEqual({ invoice: 0.8 });
    expect(Object.keys(loaded.config.classify.prices)).toEqual(['anthropic.claude-3-haiku-20240307-v1:0']);
  });
});
