// The tasks of one run as a graph: which are ready (their dependencies done), run at most a few
// at a time; their results and branches; the leaves (the tasks no task depends on).
import type { TaskSettings } from '../project/index.js';
import type { TaskResult } from './run-if.js';

/** A task's dependencies as they ended. */
export type Deps = { result: TaskResult; branch?: 'true' | 'false'; wants?: 'true' | 'false' }[];

/** The tasks of a run: which are ready, their results, the leaves. */
export class TaskGraph {
  readonly results = new Map<string, TaskResult>();
  readonly branches = new Map<string, 'true' | 'false'>();
  readonly leaves: string[];

  constructor(private readonly tasks: TaskSettings[]) {
    const depended = new Set(tasks.flatMap((t) => (t.depends_on ?? []).map((d) => d.task_key)));
    this.leaves = tasks.filter((t) => !depended.has(t.task_key)).map((t) => t.task_key);
  }

  /** Runs every task once its dependencies are done, at most `max` at a time. */
  async run(
    max: number,
    attempt: (task: TaskSettings, deps: Deps) => Promise<{ result: TaskResult; branch?: 'true' | 'false' }>,
  ): Promise<void> {
    const running = new Map<string, Promise<void>>();
    const started = new Set<string>();
    for (;;) {
      const ready = this.tasks.filter(
        (t) => !started.has(t.task_key) && (t.depends_on ?? []).every((d) => this.results.has(d.task_key)),
      );
      for (const task of ready) {
        if (running.size >= max) break;
        started.add(task.task_key);
        const deps = (task.depends_on ?? []).map((d) => ({
          result: this.results.get(d.task_key)!,
          branch: this.branches.get(d.task_key),
          wants: d.outcome,
        }));
        const p = attempt(task, deps).then(({ result, branch }) => {
          this.results.set(task.task_key, result);
          if (branch) this.branches.set(task.task_key, branch);
          running.delete(task.task_key);
        });
        running.set(task.task_key, p);
      }
      if (running.size === 0) return;
      await Promise.race(running.values());
    }
  }
}
