// Jobs and their runs: each job with its trigger, next fire time and paused state; runs (those in
// progress too); one run's task graph with every attempt. Actions — run now, repair, pause,
// resume — need a signed-in user (the guard in app.ts); a run started here goes on in the server
// and is answered at once with its id.
import { Hono } from 'hono';
import {
  describeStart,
  isPaused,
  jobOf,
  repairRun,
  runJob,
  RunsStore,
  setPaused,
  type JobRunOutcome,
} from '../orchestrate/index.js';
import { json, problem, type Env, type ServeContext } from './http.js';
import { intParam } from './json.js';

export function runRoutes(s: ServeContext): Hono<Env> {
  const r = new Hono<Env>();
  const store = new RunsStore(s.project.catalog);
  const track = (p: Promise<JobRunOutcome>) => {
    s.pending.add(p);
    p.catch(() => undefined).finally(() => s.pending.delete(p));
  };

  r.get('/jobs', async (c) => {
    const now = Date.now();
    const out = [];
    for (const [key, job] of Object.entries(s.project.config.jobs ?? {})) {
      const start = await describeStart(s.project, key, job, now);
      out.push({
        key,
        name: job.name ?? key,
        tasks: job.tasks.map((t) => ({ key: t.task_key, dependsOn: (t.depends_on ?? []).map((d) => d.task_key) })),
        trigger: start.trigger,
        next: start.next ?? null,
        paused: start.pausedInConfig || (await isPaused(s.project, key)),
      });
    }
    return json(c, out);
  });

  r.get('/runs', async (c) => {
    const limit = intParam(c.req.query('limit'), 1, 1000, 50);
    if (limit === undefined) return problem(c, 400, 'limit is a whole number from 1 to 1000');
    const job = c.req.query('job');
    if (job !== undefined) jobOf(s.project, job); // an unknown job is an error naming the jobs
    return json(c, await s.project.withSession((session) => store.runs(session, job, limit)));
  });

  r.get('/runs/:id', async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,19}$/.test(id)) return problem(c, 400, 'a run id is a whole number');
    const [run, attempts] = await s.project.withSession(
      async (session) => [await store.run(session, BigInt(id)), await store.taskRuns(session, BigInt(id))] as const,
    );
    if (!run) return problem(c, 404, `no run ${id}`);
    const job = s.project.config.jobs?.[run.job_key];
    const graph = (job?.tasks ?? []).map((t) => ({
      key: t.task_key,
      dependsOn: (t.depends_on ?? []).map((d) => d.task_key),
    }));
    return json(c, { run, tasks: graph, attempts });
  });

  r.post('/jobs/:job/run', async (c) => {
    const key = c.req.param('job');
    jobOf(s.project, key);
    const body = (await c.req.json().catch(() => ({}))) as { parameters?: unknown };
    const parameters = stringRecord(body.parameters);
    if (parameters === undefined) return problem(c, 400, 'parameters is an object of strings');
    let runId: bigint | undefined;
    let started: () => void = () => undefined;
    const recorded = new Promise<void>((resolve) => (started = resolve));
    const run = runJob(s.project, key, {
      parameters,
      onRun: (id) => {
        runId = id;
        started();
      },
    });
    await Promise.race([recorded, run.catch(() => undefined)]);
    if (runId === undefined) await run; // refused before it started (a parameter it does not have): say why
    track(run);
    return json(c, { job: key, runId: runId === undefined ? null : String(runId) }, 202);
  });

  r.post('/runs/:id/repair', async (c) => {
    const id = c.req.param('id');
    if (!/^\d{1,19}$/.test(id)) return problem(c, 400, 'a run id is a whole number');
    const body = (await c.req.json().catch(() => ({}))) as { tasks?: unknown; dependents?: unknown };
    const tasks = Array.isArray(body.tasks) && body.tasks.every((t) => typeof t === 'string') ? body.tasks : undefined;
    const outcome = await repairRun(s.project, BigInt(id), {
      tasks,
      allFailed: tasks === undefined,
      dependents: body.dependents === true,
    });
    return json(c, outcome);
  });

  for (const action of ['pause', 'resume'] as const)
    r.post(`/jobs/:job/${action}`, async (c) => {
      const key = c.req.param('job');
      await setPaused(s.project, key, action === 'pause');
      return json(c, { job: key, paused: action === 'pause' });
    });
  return r;
}

function stringRecord(v: unknown): Record<string, string> | undefined {
  if (v === undefined) return {};
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
  const out: Record<string, string> = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string') return undefined;
    out[k] = x;
  }
  return out;
}
