import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { FUNCTION_NAMES, TASK_FUNCTIONS, TASK_NAMES, type TaskName } from '../../../src/orchestration/definition.js';
import type { LambdaHandler, TaskHandlers } from '../../../src/entrypoints/lambda/handler-kit.js';

/**
 * One thin handler file per Lambda function, and each serves the function its name says. The AWS
 * wiring is replaced by fakes: this checks the files, not the adapters.
 */

const calls: TaskName[] = [];
vi.mock('../../../src/entrypoints/lambda/aws-runtime.js', () => ({
  loadAwsTaskHandlers: () => {
    const table = {} as TaskHandlers;
    for (const task of TASK_NAMES) {
      table[task] = () => {
        calls.push(task);
        return Promise.resolve({ done: task });
      };
    }
    return Promise.resolve(table);
  },
}));

const DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src/entrypoints/lambda');
const SUFFIX = '.handler.ts';
const handlerFiles = readdirSync(DIR).filter((f) => f.endsWith(SUFFIX));

const context = { functionName: 'docroute', awsRequestId: 'req-1' } as Context;

beforeEach(() => {
  calls.length = 0;
  vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
  vi.stubEnv('POWERTOOLS_DEV', 'false');
  vi.stubEnv('AWS_EXECUTION_ENV', '');
  vi.stubEnv('POWERTOOLS_METRICS_NAMESPACE', 'docroute-test');
});
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe('Lambda handler files', () => {
  it('every function has a handler file, and every handler file is a function', () => {
    const names = handlerFiles.map((f) => f.slice(0, -SUFFIX.length)).sort();
    expect(names).toEqual([...FUNCTION_NAMES].sort());
  });

  it.each(FUNCTION_NAMES)('%s.handler.ts is a thin entry point for its own function', async (fn) => {
    const source = readFileSync(path.join(DIR, `${fn}${SUFFIX}`), 'utf8');
    expect(
      source
        .trim()
        .split('\n')
        .filter((l) => l.trim()).length,
    ).toBeLessThanOrEqual(4);
    expect(source).toContain(`createLambdaHandler('${fn}', loadAwsTaskHandlers)`);

    const mod = (await import(/* @vite-ignore */ path.join(DIR, `${fn}${SUFFIX}`))) as { handler: LambdaHandler };
    expect(typeof mod.handler).toBe('function');
    for (const task of TASK_NAMES) {
      const run = mod.handler({ task, state: {} }, context);
      if (TASK_FUNCTIONS[task] === fn) await expect(run).resolves.toEqual({ done: task });
      else await expect(run).rejects.toMatchObject({ name: 'InvalidStepInputError' });
    }
    expect(calls).toEqual(TASK_NAMES.filter((t) => TASK_FUNCTIONS[t] === fn));
  });
});
