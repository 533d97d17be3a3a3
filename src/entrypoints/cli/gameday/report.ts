import { EXIT } from '../exit-codes.js';
import { table } from '../format.js';

/** One guarantee checked after a scenario: its name, whether it held, and the evidence (ids and counts only). */
export interface Check {
  readonly name: string;
  readonly passed: boolean;
  readonly detail: string;
}

/** What every gameday scenario returns (crash-mid-batch included); `--json` prints it as is. */
export interface ScenarioResult {
  scenario: string;
  passed: boolean;
  checks: { name: string; passed: boolean; detail: string }[];
  numbers: Record<string, number>;
}

export const check = (name: string, passed: boolean, detail: string): Check => ({ name, passed, detail });

/** A result from its checks: it passes when every check does (and there is at least one). */
export const resultOf = (scenario: string, checks: readonly Check[], numbers: Record<string, number>): ScenarioResult => ({
  scenario,
  passed: checks.length > 0 && checks.every((c) => c.passed),
  checks: checks.map((c) => ({ ...c })),
  numbers,
});

export const exitCodeOf = (result: ScenarioResult): number => (result.passed ? EXIT.OK : EXIT.CHECKS_FAILED);

/** The human report: a verdict line, the checks, then the numbers. */
export const formatReport = (result: ScenarioResult): string => {
  const failed = result.checks.filter((c) => !c.passed).length;
  const verdict = result.passed
    ? `PASS  gameday ${result.scenario}: all ${result.checks.length} checks passed`
    : `FAIL  gameday ${result.scenario}: ${failed} of ${result.checks.length} checks failed`;
  const checks = table(
    result.checks.map((c) => [c.passed ? 'ok' : 'FAIL', c.name, c.detail]),
    ['', 'check', 'detail'],
  );
  const numbers = table(
    Object.entries(result.numbers).map(([k, v]) => [k, String(v)]),
    ['number', 'value'],
  );
  return `${verdict}\n\n${checks}\n\n${numbers}`;
};
