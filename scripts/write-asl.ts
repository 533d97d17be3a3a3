/**
 * Writes the state machine as Amazon States Language JSON:
 * - asl/docroute.asl.json: Terraform template (Lambda ARNs as ${..._function_arn} placeholders);
 * - asl/docroute.local.asl.json: the same definition with the local placeholder ARNs.
 * Both come from the built-in defaults; a test fails when they are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { buildDefinition, localResource, terraformResource } from '../src/orchestration/definition.js';

export const renderAsl = (target: 'terraform' | 'local'): string => {
  const { config } = parseConfig({});
  const def = buildDefinition({
    maxConcurrency: config.engine.maxConcurrency,
    retry: config.engine.retry,
    resource: target === 'local' ? localResource : terraformResource,
  });
  return `${JSON.stringify(def, null, 2)}\n`;
};

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'asl');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'docroute.asl.json'), renderAsl('terraform'));
  writeFileSync(path.join(dir, 'docroute.local.asl.json'), renderAsl('local'));
  process.stdout.write(`wrote ${path.relative(process.cwd(), dir)}/docroute.asl.json and docroute.local.asl.json\n`);
}
