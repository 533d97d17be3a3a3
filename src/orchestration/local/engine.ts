import './polyfills.js';
import { StateMachine } from 'aws-local-stepfunctions';
import type { AslDefinition, TaskName } from '../definition.js';
import { TASK_NAMES } from '../definition.js';
import type { TaskHandler } from '../tasks.js';

type RunOptions = NonNullable<Parameters<StateMachine['run']>[1]>;
type JsonValue = Parameters<StateMachine['run']>[0];
type LocalHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;
/** The engine's event type (not exported by the package under a name). */
export type EngineEvent = Awaited<ReturnType<ReturnType<StateMachine['run']>['eventLogs']['next']>>['value'];

export interface LocalRunOptions {
  readonly executionId: string;
  /** Milliseconds per retry, per state; tests set 0 so retries do not sleep. */
  readonly retryIntervalOverrides?: Record<string, number>;
  /** Seconds per Wait state (the Textract poll loop); tests set 0. */
  readonly waitTimeOverrides?: Record<string, number>;
  readonly onEvent?: (event: EngineEvent) => void;
}

export interface LocalEngine {
  run(input: unknown, options: LocalRunOptions): Promise<unknown>;
}

/**
 * Runs the generated ASL with aws-local-stepfunctions, binding every Task state to its in-process
 * handler. The definition is the same JSON Step Functions runs; only `Resource` is bypassed.
 */
export const createLocalEngine = (definition: AslDefinition, handlers: Record<TaskName, TaskHandler>): LocalEngine => {
  const machine = new StateMachine(definition as never, { validationOptions: { checkPaths: true, checkArn: true } });
  const taskResourceLocalHandlers: LocalHandlers = Object.fromEntries(
    TASK_NAMES.map((name) => [name, async (input: JsonValue) => (await handlers[name](input)) as JsonValue]),
  );
  return {
    run: async (input, options) => {
      const startTime = new Date().toISOString();
      const execution = machine.run(input as JsonValue, {
        overrides: {
          taskResourceLocalHandlers,
          ...(options.retryIntervalOverrides ? { retryIntervalOverrides: options.retryIntervalOverrides } : {}),
          ...(options.waitTimeOverrides ? { waitTimeOverrides: options.waitTimeOverrides } : {}),
        },
        context: { Execution: { Id: options.executionId, Name: options.executionId, Input: input as JsonValue, StartTime: startTime } },
      });
      // Drain the event log as it is produced: undrained, the engine queues every event in memory.
      const drain = (async () => {
        for await (const event of execution.eventLogs) options.onEvent?.(event);
      })();
      try {
        return await execution.result;
      } finally {
        await drain.catch(() => undefined);
      }
    },
  };
};
