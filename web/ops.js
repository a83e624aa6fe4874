import { api, chart, fmt, h, link, post, state, status, table, took, when } from '/assets/ui.js';

// The data engineer's pages: jobs and their runs (run now, repair), pipelines (the graph with each
// table's last state), data quality (expectations, the trend, the quarantine and its replay).

export async function jobsPage(parts) {
  if (parts[1] === 'runs' && parts[2]) return runPage(parts[2]);
  state.reads = new Set(['system.job_runs', 'system.job_task_runs']);
  const [jobs, runs] = await Promise.all([api('/api/jobs'), api('/api/runs?limit=50')]);
  const message = h('p', { class: 'error', id: 'action-error' });
  const runNow = (key) =>
    h(
      'button',
      {
        class: 'plain',
        onclick: async () => {
          message.textContent = '';
          try {
            const r = await post(`/api/jobs/${encodeURIComponent(key)}/run`);
            if (r.runId) state.go(`/jobs/runs/${r.runId}`);
          } catch (err) {
            message.textContent = err.message;
          }
        },
      },
      'Run now',
    );
  return [
    h('h1', {}, 'Jobs'),
    message,
    jobs.length === 0
      ? h('p', { class: 'muted' }, 'No jobs: define them in strata.yaml under jobs:.')
      : table(
          ['job', 'tasks', 'trigger', 'next', 'paused', ''],
          jobs.map((j) => [
            j.name,
            j.tasks.map((t) => t.key).join(' → '),
            j.trigger,
            j.next ?? '',
            j.paused ? 'paused' : '',
            runNow(j.key),
          ]),
        ),
    h('h2', {}, 'Runs'),
    runs.length === 0
      ? h('p', { class: 'muted' }, 'No runs yet.')
      : table(
          ['run', 'job', 'trigger', 'result', 'started', 'took', 'error'],
          runs.map((r) => [
            link(`/jobs/runs/${r.run_id}`, String(r.run_id)),
            r.job_key,
            r.trigger,
            status(r.result ?? r.state),
            when(r.start_time),
            took(r.end_time ? r.end_time - r.start_time : null),
            (r.error ?? '').split('\n')[0],
          ]),
        ),
  ];
}

async function runPage(id) {
  state.reads = new Set(['system.job_runs', 'system.job_task_runs']);
  const { run, tasks, attempts } = await api(`/api/runs/${encodeURIComponent(id)}`);
  const message = h('p', { class: 'error' });
  const repair = h(
    'button',
    {
      class: 'plain',
      onclick: async () => {
        message.textContent = '';
        try {
          await post(`/api/runs/${encodeURIComponent(id)}/repair`);
          state.render();
        } catch (err) {
          message.textContent = err.message;
        }
      },
    },
    'Repair failed tasks',
  );
  const byTask = new Map();
  for (const a of attempts) byTask.set(a.task_key, [...(byTask.get(a.task_key) ?? []), a]);
  return [
    h('h1', {}, `Run ${run.run_id} of ${run.job_key} `, status(run.result ?? run.state)),
    h(
      'p',
      { class: 'muted' },
      `${run.trigger}, started ${when(run.start_time)}${run.end_time ? `, took ${took(run.end_time - run.start_time)}` : ''}${run.repair_count ? `, repaired ${run.repair_count}×` : ''}`,
    ),
    run.result && run.result !== 'SUCCESS' ? repair : null,
    message,
    table(
      ['task', 'depends on', 'attempt', 'result', 'took', 'error'],
      tasks.flatMap((t) =>
        (byTask.get(t.key) ?? [{ attempt: '', result: 'not run' }]).map((a) => [
          t.key,
          t.dependsOn.join(', '),
          a.attempt,
          status(a.result ?? a.state),
          took(a.end_time ? a.end_time - a.start_time : null),
          (a.error ?? '').split('\n').slice(0, 3).join('\n'),
        ]),
      ),
    ),
  ];
}

export async function pipelinesPage() {
  state.reads = new Set(['system.event_log']);
  const pipelines = await api('/api/pipelines');
  return [
    h('h1', {}, 'Pipelines'),
    ...pipelines.map((p) => {
      const depth = new Map();
      const byName = new Map(p.datasets.map((d) => [d.name, d]));
      const level = (d, seen = new Set()) => {
        if (depth.has(d.name)) return depth.get(d.name);
        if (seen.has(d.name)) return 0;
        seen.add(d.name);
        const ups = d.reads.map((r) => byName.get(r)).filter(Boolean);
        const v = ups.length ? Math.max(...ups.map((u) => level(u, seen))) + 1 : 0;
        depth.set(d.name, v);
        return v;
      };
      p.datasets.forEach((d) => level(d));
      const columns = [];
      for (const d of p.datasets) (columns[depth.get(d.name)] ??= []).push(d);
      return h(
        'section',
        { class: 'card' },
        h('h2', {}, p.name),
        p.problems.length ? h('p', { class: 'error' }, p.problems.join('\n')) : null,
        h(
          'div',
          { class: 'graph' },
          columns.map((col) =>
            h(
              'div',
              { class: 'column' },
              col.map((d) =>
                h(
                  'div',
                  { class: `node ${d.last?.status ?? ''}`, 'data-dataset': d.name },
                  h('div', { class: 'name' }, d.name),
                  h('div', { class: 'muted' }, d.kind.replace('-', ' ')),
                  d.last
                    ? h(
                        'div',
                        {},
                        status(d.last.status),
                        ` ${fmt(d.last.rows_written)} rows · ${took(d.last.duration_ms)}`,
                      )
                    : h('div', { class: 'muted' }, 'not run yet'),
                  d.reads.length
                    ? h('div', { class: 'muted' }, `← ${d.reads.join(', ')}`)
                    : d.files.length
                      ? h('div', { class: 'muted' }, `← ${d.files.join(', ')}`)
                      : null,
                ),
              ),
            ),
          ),
        ),
      );
    }),
  ];
}

export async function qualityPage(parts) {
  state.reads = new Set(['system.event_log', '*']);
  const results = await api('/api/quality');
  const latest = new Map();
  const updates = [];
  for (const r of results) {
    latest.set(`${r.dataset}\u0000${r.expectation}`, r);
    if (!updates.includes(r.update_id)) updates.push(r.update_id);
  }
  const trendEl = h('div', { class: 'chart', id: 'quality-trend' });
  const failedPerUpdate = updates.map((u) =>
    results.filter((r) => r.update_id === u).reduce((n, r) => n + Number(r.failed), 0),
  );
  setTimeout(() =>
    chart(trendEl, {
      tooltip: { trigger: 'axis' },
      xAxis: { type: 'category', data: updates.map((u, i) => `#${i + 1}`) },
      yAxis: { type: 'value', name: 'failed rows' },
      series: [{ type: 'bar', data: failedPerUpdate, itemStyle: { color: '#c0392b' } }],
    }),
  );
  const quarantine = parts[1]
    ? await api(`/api/quarantine/${encodeURIComponent(decodeURIComponent(parts[1]))}?limit=100`).catch((e) => ({
        error: e.message,
      }))
    : undefined;
  const withQuarantine = [...new Set(results.filter((r) => Number(r.quarantined) > 0).map((r) => r.dataset))];
  return [
    h('h1', {}, 'Data quality'),
    results.length === 0
      ? h('p', { class: 'muted' }, 'No expectation has been checked yet: run a pipeline with CONSTRAINT ... EXPECT.')
      : null,
    h('h2', {}, 'Each expectation, at its latest update'),
    table(
      ['table', 'expectation', { label: 'passed', num: true }, { label: 'failed', num: true }, 'when'],
      [...latest.values()].map((r) => [
        r.dataset,
        r.expectation,
        r.passed,
        h('span', { class: Number(r.failed) > 0 ? 'status bad' : 'status ok' }, fmt(r.failed)),
        when(r.at),
      ]),
    ),
    h('h2', {}, 'Failed rows per update'),
    trendEl,
    h('h2', {}, 'Quarantine'),
    withQuarantine.length
      ? h(
          'p',
          {},
          withQuarantine.map((t) => [link(`/quality/${encodeURIComponent(t)}`, t), ' ']),
        )
      : h('p', { class: 'muted' }, 'No rows quarantined.'),
    quarantine?.error ? h('p', { class: 'error' }, quarantine.error) : null,
    quarantine?.columns
      ? h(
          'div',
          { 'data-quarantine': quarantine.table },
          h('h2', {}, `${quarantine.table}: rows set aside, with the rules they failed`),
          replayButton(quarantine.table),
          table(
            quarantine.columns.map((c) => c.name),
            quarantine.rows,
          ),
        )
      : null,
  ];
}

/** Replays a table's quarantine through its rules again (an action: signed in). */
function replayButton(name) {
  const message = h('span', { class: 'muted', 'data-replay': name });
  const button = h(
    'button',
    {
      class: 'plain',
      title: 'send the quarantined rows through the table’s rules again (after fixing a rule)',
      onclick: async () => {
        button.disabled = true;
        try {
          const r = await post(`/api/quarantine/${encodeURIComponent(name)}/replay`);
          message.textContent = ` ${r.replayed} replayed: ${r.restored} restored to the table, ${r.dropped} dropped, ${r.kept} still failing`;
        } catch (err) {
          message.textContent = ` ${err.message}`;
        } finally {
          button.disabled = false;
        }
      },
    },
    'Replay',
  );
  return h('p', {}, button, message);
}
