import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ERROR_TAXONOMY, errorNamesOfKind } from '../../../src/domain/errors.js';
import {
  buildDefinition,
  LAMBDA_SERVICE_ERRORS,
  localResource,
  TASK_FUNCTIONS,
  tasksOf,
  terraformResource,
  type AslDefinition,
} from '../../../src/orchestration/definition.js';
import { renderAsl, renderInputTransformer } from '../../../scripts/write-asl.js';

type Validator = (def: unknown, opts?: { checkPaths: boolean; checkArn: boolean }) => { isValid: boolean; errors: unknown[] };
const validate = createRequire(import.meta.url)('asl-validator') as Validator;

const retry = { intervalSeconds: 1, backoffRate: 2, maxAttempts: 3, maxDelaySeconds: 30 };
const def = buildDefinition({ maxConcurrency: 3, retry, resource: localResource });

/** Every state, at any depth (the Map's item processor included). */
const allStates = (d: AslDefinition): [string, Record<string, unknown>][] => {
  const out: [string, Record<string, unknown>][] = [];
  const walk = (states: Record<string, Record<string, unknown>>): void => {
    for (const [name, s] of Object.entries(states)) {
      out.push([name, s]);
      const proc = s['ItemProcessor'] as { States?: Record<string, Record<string, unknown>> } | undefined;
      if (proc?.States) walk(proc.States);
    }
  };
  walk(d.States);
  return out;
};

describe('the state machine definition', () => {
  it('passes asl-validator, with local ARNs and with Terraform placeholders filled in', () => {
    const local = validate(structuredClone(def));
    expect(local.errors).toEqual([]);
    expect(local.isValid).toBe(true);

    const template = renderAsl('terraform').replace(
      /\$\{([a-z_]+)_function_arn\}/g,
      'arn:aws:lambda:eu-west-1:123456789012:function:docroute-$1',
    );
    expect(validate(JSON.parse(template)).isValid).toBe(true);
  });

  it('is caught by the validator when it is broken (the check can fail)', () => {
    const broken: AslDefinition = structuredClone(def);
    (broken.States['Aggregate'] as Record<string, unknown>)['Next'] = 'NoSuchState';
    expect(validate(broken).isValid).toBe(false);
  });

  it('has a Task state for every task handler, and no other Task states', () => {
    const tasks = allStates(def)
      .filter(([, s]) => s['Type'] === 'Task')
      .map(([n]) => n);
    expect(tasks.sort()).toEqual([...tasksOf('local')].sort());
    for (const [name, s] of allStates(def).filter(([, st]) => st['Type'] === 'Task')) {
      expect(s['Resource']).toBe(localResource(TASK_FUNCTIONS[name as keyof typeof TASK_FUNCTIONS]));
    }
  });

  it('retries exactly the retryable errors, with backoff, full jitter and a delay cap, on every Task', () => {
    const retryable = Object.entries(ERROR_TAXONOMY)
      .filter(([, k]) => k === 'retryable')
      .map(([n]) => n);
    for (const [, s] of allStates(def).filter(([, st]) => st['Type'] === 'Task')) {
      const [ours, lambda] = s['Retry'] as Record<string, unknown>[];
      expect(ours).toEqual({
        ErrorEquals: retryable,
        IntervalSeconds: 1,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      });
      expect(lambda?.['ErrorEquals']).toEqual(LAMBDA_SERVICE_ERRORS);
      // No terminal error may ever be retried.
      const retried = (s['Retry'] as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
      for (const name of [...errorNamesOfKind('document'), ...errorNamesOfKind('terminal')]) expect(retried).not.toContain(name);
    }
  });

  it('catches document errors to reject and everything else to a failure record on per-document Tasks', () => {
    const map = def.States['ProcessDocuments'] as { ItemProcessor: { States: Record<string, Record<string, unknown>> } };
    const states = map.ItemProcessor.States;
    for (const name of ['Extract', 'Classify', 'ExtractFields', 'Validate']) {
      expect(states[name]?.['Catch']).toEqual([
        { ErrorEquals: errorNamesOfKind('document'), Next: 'RejectUnreadable', ResultPath: '$.error' },
        { ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' },
      ]);
    }
    for (const name of ['Ingest', 'RoutePass', 'RouteHold', 'RouteReject', 'RejectUnreadable', 'RecordOutcome']) {
      expect(states[name]?.['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' }]);
    }
    expect(states['RecordFailure']?.['End']).toBe(true);
  });

  it('routes on the Validate outcome with a Choice, and takes the Map concurrency from config', () => {
    const map = def.States['ProcessDocuments'] as Record<string, unknown> & {
      ItemProcessor: { States: Record<string, Record<string, unknown>> };
    };
    expect(map['MaxConcurrency']).toBe(3);
    expect(map['ResultPath']).toBeNull();
    const route = map.ItemProcessor.States['Route'] as { Choices: { StringEquals: string; Next: string }[] };
    expect(route.Choices.map((c) => [c.StringEquals, c.Next])).toEqual([
      ['pass', 'RoutePass'],
      ['hold', 'RouteHold'],
      ['reject', 'RouteReject'],
    ]);
    expect(def.States['ProcessDocuments']?.['Next']).toBe('Aggregate');
    expect(def.States['Aggregate']?.['Next']).toBe('Notify');
  });

  it('is committed up to date under asl/ (npm run asl regenerates it)', () => {
    const root = path.resolve(import.meta.dirname, '../../..');
    expect(readFileSync(path.join(root, 'asl/docroute.asl.json'), 'utf8')).toBe(renderAsl('terraform'));
    expect(readFileSync(path.join(root, 'asl/docroute.local.asl.json'), 'utf8')).toBe(renderAsl('local'));
    expect(readFileSync(path.join(root, 'asl/s3-input-transformer.json'), 'utf8')).toBe(renderInputTransformer());
    expect(renderAsl('terraform')).toContain(terraformResource('extract'));
  });
});

describe('the AWS rendering of the same definition', () => {
  const aws = buildDefinition({
    maxConcurrency: 3,
    retry,
    resource: localResource,
    variant: 'aws',
    textractPoll: { seconds: 7, maxPolls: 9 },
  });
  const states = (aws.States['ProcessDocuments'] as { ItemProcessor: { States: Record<string, Record<string, unknown>>; StartAt: string } })
    .ItemProcessor;

  it('passes asl-validator', () => {
    const r = validate(structuredClone(aws));
    expect(r.errors).toEqual([]);
    expect(r.isValid).toBe(true);
  });

  it('has a Task state for every AWS task handler, and shares every state from Classify on with the local rendering', () => {
    const tasks = allStates(aws)
      .filter(([, s]) => s['Type'] === 'Task')
      .map(([n]) => n);
    expect(tasks.sort()).toEqual([...tasksOf('aws')].sort());
    const local = (def.States['ProcessDocuments'] as { ItemProcessor: { States: Record<string, unknown> } }).ItemProcessor.States;
    for (const name of [
      'Classify',
      'ExtractFields',
      'Validate',
      'Route',
      'RoutePass',
      'RouteHold',
      'RouteReject',
      'RejectUnreadable',
      'RecordOutcome',
      'RecordFailure',
    ]) {
      expect(states.States[name], name).toEqual(local[name]);
    }
    expect(aws.States['Aggregate']).toEqual(def.States['Aggregate']);
    expect(aws.States['Notify']).toEqual(def.States['Notify']);
  });

  it('admits S3 objects first, and skips the ones that are not documents instead of retrying them forever', () => {
    expect(states.StartAt).toBe('Admit');
    expect(states.States['Admit']?.['Next']).toBe('Ingest');
    expect(states.States['Admit']?.['ResultPath']).toBe('$.document');
    expect(states.States['Admit']?.['Catch']).toEqual([{ ErrorEquals: ['States.ALL'], Next: 'SkipObject', ResultPath: '$.error' }]);
    expect(states.States['SkipObject']?.['End']).toBe(true);
    const retried = (states.States['Admit']?.['Retry'] as { ErrorEquals: string[] }[]).flatMap((r) => r.ErrorEquals);
    for (const name of errorNamesOfKind('document')) expect(retried).not.toContain(name);
  });

  it('polls Textract with a bounded Wait loop that ends in a failure record, not an endless loop', () => {
    expect(states.States['AlreadyRouted']?.['Default']).toBe('ExtractStart');
    expect(states.States['Extract']).toBeUndefined();
    expect(states.States['ExtractStart']?.['Next']).toBe('ExtractDone');
    const done = states.States['ExtractDone'] as { Choices: Record<string, unknown>[]; Default: string };
    expect(done.Choices).toEqual([
      { Variable: '$.extract.done', BooleanEquals: true, Next: 'Classify' },
      { Variable: '$.extract.polls', NumericGreaterThanEquals: 9, Next: 'ExtractTimedOut' },
    ]);
    expect(done.Default).toBe('ExtractWait');
    expect(states.States['ExtractWait']).toEqual({ Type: 'Wait', Seconds: 7, Next: 'ExtractPoll' });
    expect(states.States['ExtractPoll']?.['Next']).toBe('ExtractDone');
    expect(states.States['ExtractTimedOut']?.['Next']).toBe('RecordFailure');
    for (const name of ['ExtractStart', 'ExtractPoll']) {
      expect(states.States[name]?.['Catch']).toEqual([
        { ErrorEquals: errorNamesOfKind('document'), Next: 'RejectUnreadable', ResultPath: '$.error' },
        { ErrorEquals: ['States.ALL'], Next: 'RecordFailure', ResultPath: '$.error' },
      ]);
    }
  });

  it('feeds the Map with the uploaded objects', () => {
    const map = aws.States['ProcessDocuments'] as { ItemSelector: Record<string, string> };
    expect(map.ItemSelector['object.$']).toBe('$$.Map.Item.Value');
    expect(map.ItemSelector['document.$']).toBeUndefined();
  });
});
