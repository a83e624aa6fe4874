// Running an update's flows in parallel: independent flows at the same time, each on its own
// connection, at most `max`; a flow waits for the flows writing what it reads, and for earlier
// flows into its own table.
import type { Engine, Session } from '../engine/index.js';
import type { Node } from './graph.js';

export async function runInParallel(
  order: Node[],
  parallel: { engine: Engine; max: number },
  execute: (node: Node, session: Session) => Promise<void>,
): Promise<void> {
  const deps = new Map<Node, Node[]>();
  order.forEach((node, i) => {
    const reads = new Set(node.reads.map((r) => r.name));
    deps.set(
      node,
      order.slice(0, i).filter((n) => reads.has(n.target) || n.target === node.target),
    );
  });
  const done = new Set<Node>();
  const running = new Map<Node, Promise<void>>();
  const waiting = [...order];
  while (waiting.length > 0 || running.size > 0) {
    for (let i = 0; i < waiting.length && running.size < parallel.max;) {
      const node = waiting[i];
      if (!deps.get(node)!.every((d) => done.has(d))) {
        i++;
        continue;
      }
      waiting.splice(i, 1);
      running.set(
        node,
        parallel.engine
          .withSession((s) => execute(node, s))
          .finally(() => {
            running.delete(node);
            done.add(node);
          }),
      );
    }
    if (running.size > 0) await Promise.race(running.values());
  }
}
