// What the commands that run pipelines share: refusing a pipeline with problems
// (every one printed), and the live view of its flows on a terminal.
import { StrataError } from '../core/index.js';
import { formatProblems, type FlowResult, type Pipeline } from '../project/index.js';

const num = (n: number) => n.toLocaleString('en-US');

/** Prints every problem of a pipeline's definitions, then fails: nothing was `done`. */
export function refuseProblems(pipeline: Pipeline, done: string): void {
  if (pipeline.problems.length === 0) return;
  process.stderr.write(`${formatProblems(pipeline.problems)}\n`);
  throw new StrataError(
    'USAGE',
    `pipeline ${pipeline.name}: ${pipeline.problems.length} problem(s) in its definitions (listed above); nothing was ${done}`,
  );
}

/** A live view of the flows on a terminal (nothing when output is not a terminal). */
export class FlowDisplay {
  private flows = new Map<string, FlowResult>();
  private started = new Map<string, number>();
  private drawn = 0;
  private timer?: NodeJS.Timeout;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(f: FlowResult): void {
    if (!this.out.isTTY) return;
    this.flows.set(f.flow, { ...f, expectations: [...f.expectations] });
    if (f.status === 'RUNNING') this.started.set(f.flow, Date.now());
    this.timer ??= setInterval(() => this.draw(), 250);
    this.draw();
  }

  private draw(): void {
    const mark: Record<string, string> = {
      QUEUED: '·',
      RUNNING: '▸',
      COMPLETED: '✓',
      SKIPPED: '–',
      FAILED: '✗',
      EXCLUDED: ' ',
    };
    const lines = [...this.flows.values()].map((f) => {
      const t =
        f.status === 'RUNNING'
          ? `${((Date.now() - (this.started.get(f.flow) ?? Date.now())) / 1000).toFixed(1)} s`
          : f.status === 'COMPLETED'
            ? `${num(f.rowsWritten)} rows`
            : (f.message ?? '');
      return `${mark[f.status]} ${f.flow.padEnd(32)} ${f.status.toLowerCase().padEnd(10)} ${t}`.slice(
        0,
        (this.out.columns ?? 100) - 1,
      );
    });
    this.out.write(`${this.drawn ? `\x1b[${this.drawn}A` : ''}${lines.map((l) => `\x1b[2K${l}`).join('\n')}\n`);
    this.drawn = lines.length;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    if (this.out.isTTY && this.flows.size) this.draw();
  }
}
