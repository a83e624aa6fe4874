// run_if and the run's result, case by case against Databricks' documentation:
// https://docs.databricks.com/jobs/run-if.html ("Run if condition options": which condition marks
// an unmet task Upstream failed and which Excluded; "an excluded task is skipped and treated as
// successful"; "if all task dependencies are excluded, the task is also excluded, regardless of its
// Run if condition"), and "How does Databricks Jobs determine job run status?" (Succeeded: all
// tasks succeeded; Succeeded with failures: some failed, all leaf tasks succeeded; Failed: one or
// more leaf tasks failed).
import { describe, expect, it } from 'vitest';
import { decide, runResult, type RunIf, type TaskResult } from './run-if.js';

const deps = (...results: TaskResult[]) => results.map((result) => ({ result }));

describe('run_if (Databricks: Run if condition options)', () => {
  const cases: [RunIf, TaskResult[], string][] = [
    // All succeeded: every dependency ran and succeeded; else Upstream failed.
    ['ALL_SUCCESS', ['SUCCESS', 'SUCCESS'], 'run'],
    ['ALL_SUCCESS', ['SUCCESS', 'FAILED'], 'UPSTREAM_FAILED'],
    ['ALL_SUCCESS', ['SUCCESS', 'UPSTREAM_FAILED'], 'UPSTREAM_FAILED'],
    ['ALL_SUCCESS', ['SUCCESS', 'EXCLUDED'], 'run'], // excluded counts as succeeded
    // At least one succeeded; else Upstream failed.
    ['AT_LEAST_ONE_SUCCESS', ['FAILED', 'SUCCESS'], 'run'],
    ['AT_LEAST_ONE_SUCCESS', ['FAILED', 'TIMEDOUT'], 'UPSTREAM_FAILED'],
    // None failed, and at least one ran; else Upstream failed.
    ['NONE_FAILED', ['SUCCESS', 'EXCLUDED'], 'run'],
    ['NONE_FAILED', ['SUCCESS', 'FAILED'], 'UPSTREAM_FAILED'],
    // All done: whatever the results.
    ['ALL_DONE', ['FAILED', 'TIMEDOUT'], 'run'],
    ['ALL_DONE', ['SUCCESS', 'UPSTREAM_FAILED'], 'run'],
    // At least one failed; else Excluded.
    ['AT_LEAST_ONE_FAILED', ['SUCCESS', 'FAILED'], 'run'],
    ['AT_LEAST_ONE_FAILED', ['SUCCESS', 'SUCCESS'], 'EXCLUDED'],
    // All failed; else Excluded.
    ['ALL_FAILED', ['FAILED', 'TIMEDOUT'], 'run'],
    ['ALL_FAILED', ['FAILED', 'SUCCESS'], 'EXCLUDED'],
    // Every dependency excluded: excluded, whatever the condition.
    ['ALL_DONE', ['EXCLUDED', 'EXCLUDED'], 'EXCLUDED'],
    ['ALL_SUCCESS', ['EXCLUDED'], 'EXCLUDED'],
  ];
  it.each(cases)('%s after %j → %s', (runIf, results, expected) => {
    expect(decide(runIf, deps(...results))).toBe(expected);
  });

  it('a task with no dependency runs; ALL_SUCCESS is the default', () => {
    expect(decide(undefined, [])).toBe('run');
    expect(decide(undefined, deps('FAILED'))).toBe('UPSTREAM_FAILED');
  });

  it("a dependency on a condition's branch: met on that branch, excluded on the other", () => {
    expect(decide(undefined, [{ result: 'SUCCESS', branch: 'true', wants: 'true' }])).toBe('run');
    expect(decide(undefined, [{ result: 'SUCCESS', branch: 'false', wants: 'true' }])).toBe('EXCLUDED');
  });
});

describe("the run's result (Databricks: how the job run status is determined)", () => {
  const run = (results: Record<string, TaskResult>, leaves: string[]) =>
    runResult(new Map(Object.entries(results)), leaves);
  it('Succeeded when every task did (excluded ones count as succeeded)', () => {
    expect(run({ a: 'SUCCESS', b: 'EXCLUDED' }, ['b'])).toBe('SUCCESS');
  });
  it('Succeeded with failures when a task failed but every leaf succeeded', () => {
    expect(run({ a: 'FAILED', cleanup: 'SUCCESS' }, ['cleanup'])).toBe('SUCCESS_WITH_FAILURES');
  });
  it('Failed when a leaf failed or did not run for an upstream failure', () => {
    expect(run({ a: 'SUCCESS', b: 'FAILED' }, ['b'])).toBe('FAILED');
    expect(run({ a: 'FAILED', b: 'UPSTREAM_FAILED' }, ['b'])).toBe('FAILED');
  });
});
