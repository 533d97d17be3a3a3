/**
 * Writes the state machine as Amazon States Language JSON:
 * - asl/docroute.asl.json: the AWS rendering as a Terraform template (Lambda ARNs as
 *   ${..._function_arn} placeholders);
 * - asl/docroute.local.asl.json: the local rendering (the embedded engine's), with placeholder ARNs;
 * - asl/s3-input-transformer.json: the EventBridge input transformer of the upload rule.
 * Both come from the built-in defaults; a test fails when they are stale.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseConfig } from '../src/config/load.js';
import { buildDefinition, localResource, terraformResource } from '../src/orchestration/definition.js';
import { S3_INPUT_TRANSFORMER } from '../src/orchestration/s3-trigger.js';

/** The EventBridge input transformer Terraform puts on the upload rule. */
export const renderInputTransformer = (): string => `${JSON.stringify(S3_INPUT_TRANSFORMER, null, 2)}\n`;

export const renderAsl = (target: 'terraform' | 'local'): string => {
  const { config } = parseConfig({});
  const def = buildDefinition({
    maxConcurrency: config.engine.maxConcurrency,
    retry: config.engine.retry,
    resource: target === 'local' ? localResource : terraformResource,
    // Terraform deploys the AWS rendering (S3 objects admitted, Textract's async job polled).
    variant: target === 'local' ? 'local' : 'aws',
  });
  return `${JSON.stringify(def, null, 2)}\n`;
};

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === path.resolve(new URL(import.meta.url).pathname);
if (isMain) {
  const dir = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..', 'asl');
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'docroute.asl.json'), renderAsl('terraform'));
  writeFileSync(path.join(dir, 'docroute.local.asl.json'), renderAsl('local'));
  writeFileSync(path.join(dir, 's3-input-transformer.json'), renderInputTransformer());
  process.stdout.write(
    `wrote ${path.relative(process.cwd(), dir)}/docroute.asl.json, docroute.local.asl.json and s3-input-transformer.json\n`,
  );
}
