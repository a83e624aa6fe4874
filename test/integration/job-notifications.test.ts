// Job notifications through real servers on loopback: an SMTP server (smtp-server) receives the
// mails nodemailer sends, an HTTP server the webhooks. A destination that is down is retried,
// recorded as FAILED in system.job_notifications, and never fails the job.
import { createServer, type Server } from 'node:http';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import * as path from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runJob } from '../../src/orchestrate/index.js';
import { projectAt, useTestBed } from '../helpers/harness.js';

const bed = useTestBed('job-notifications');

interface Mail {
  from: string;
  to: string[];
  data: string;
}
const mails: Mail[] = [];
const hooks: { path: string; headers: Record<string, unknown>; body: Record<string, unknown> }[] = [];
let smtp: SMTPServer;
let smtpPort = 0;
let http: Server;
let httpPort = 0;

beforeAll(async () => {
  smtp = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS', 'AUTH'],
    logger: false,
    onData(stream, session, callback) {
      let data = '';
      stream.on('data', (c: Buffer) => (data += c.toString()));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          data,
        });
        callback();
      });
    },
  });
  await new Promise<void>((r) => smtp.listen(0, '127.0.0.1', () => r()));
  smtpPort = (smtp.server.address() as AddressInfo).port;
  http = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      hooks.push({ path: req.url ?? '', headers: req.headers, body: JSON.parse(body) as Record<string, unknown> });
      res.statusCode = req.url === '/down' ? 503 : 200;
      res.end();
    });
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', () => r()));
  httpPort = (http.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise<void>((r) => smtp.close(() => r()));
  await new Promise<void>((r) => http.close(() => r()));
});

const NODE = JSON.stringify(process.execPath);

function setUp(name: string, yaml: string): string {
  const dir = path.join(bed.dir, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'strata.yaml'), yaml);
  return dir;
}

describe('job notifications', () => {
  it('a failed run mails the job, the run, the failed task, its attempts, the error and how to see more; webhooks get JSON', async () => {
    const dir = setUp(
      'failure',
      `notifications:
  email: { host: 127.0.0.1, port: ${smtpPort}, tls: none, from: strata@example.com }
  webhooks:
    team: { url: "http://127.0.0.1:${httpPort}/team", headers: { Authorization: "\${env:HOOK_TOKEN}" } }
jobs:
  nightly:
    name: Nightly sales
    email_notifications:
      on_start: [ops@example.com]
      on_failure: [data@example.com, lead@example.com]
      on_success: [nobody@example.com]
    webhook_notifications:
      on_failure: [{ id: team }]
    tasks:
      - task_key: load
        max_retries: 1
        command_task: { command: [${NODE}, -e, "console.error('disk full on /data'); process.exit(2)"] }
`,
    );
    process.env.HOOK_TOKEN = 'Bearer t0ken';
    const project = await projectAt(bed, dir);
    mails.length = 0;
    hooks.length = 0;
    const out = await runJob(project, 'nightly', { sleep: async () => {} });
    expect(out.result).toBe('FAILED');
    expect(mails.map((m) => m.to)).toEqual([['ops@example.com'], ['data@example.com', 'lead@example.com']]);
    const failure = mails[1].data.replace(/=\r?\n/g, '');
    expect(failure).toMatch(new RegExp(`Subject: \\[Strata\\] job Nightly sales: run ${out.runId} failed`));
    expect(failure).toMatch(/Task load: FAILED after 2 attempt\(s\)\./);
    expect(failure).toMatch(/disk full on \/data/);
    expect(failure).toMatch(new RegExp(`See the run: strata jobs show ${out.runId}`));
    expect(hooks).toHaveLength(1);
    expect(hooks[0].headers.authorization).toBe('Bearer t0ken');
    expect(hooks[0].body).toMatchObject({
      event_type: 'FAILURE',
      job: { id: 'nightly', name: 'Nightly sales' },
      run: { run_id: String(out.runId), result_state: 'FAILED' },
      failed_tasks: [{ task_key: 'load', result_state: 'FAILED', attempts: 2 }],
    });
    const recorded = await project.query(
      `SELECT event, channel, destination, status FROM system.job_notifications ORDER BY event, destination`,
    );
    expect(recorded.rows).toEqual([
      ['on_failure', 'email', 'data@example.com', 'SENT'],
      ['on_failure', 'email', 'lead@example.com', 'SENT'],
      ['on_failure', 'webhook', 'team', 'SENT'],
      ['on_start', 'email', 'ops@example.com', 'SENT'],
    ]);
  });

  it('a destination that is down is retried and recorded as FAILED; the job is not failed by it', async () => {
    const dir = setUp(
      'down',
      `notifications:
  email: { host: 127.0.0.1, port: 1, tls: none, from: strata@example.com }
  webhooks:
    broken: { url: "http://127.0.0.1:${httpPort}/down" }
jobs:
  ok:
    email_notifications: { on_success: [data@example.com] }
    webhook_notifications: { on_success: [{ id: broken }] }
    tasks:
      - { task_key: t, command_task: { command: [${NODE}, -e, "0"] } }
`,
    );
    const project = await projectAt(bed, dir);
    hooks.length = 0;
    const waits: number[] = [];
    const out = await runJob(project, 'ok', { notify: { sleep: async (ms) => void waits.push(ms) } });
    expect(out.result).toBe('SUCCESS');
    expect(hooks.filter((h) => h.path === '/down')).toHaveLength(3);
    const recorded = await project.query(
      `SELECT channel, status, attempts, error FROM system.job_notifications ORDER BY channel`,
    );
    expect(recorded.rows.map((r) => r.slice(0, 3))).toEqual([
      ['email', 'FAILED', 3],
      ['webhook', 'FAILED', 3],
    ]);
    expect(String(recorded.rows[1][3])).toBe('HTTP 503 Service Unavailable');
    expect(waits).toEqual([1000, 2000, 1000, 2000]);
  });

  it('an alert_task that triggers mails its subscribers (the alert text, the value, the condition); one that is OK does not', async () => {
    const dir = setUp(
      'alert',
      `notifications:
  email: { host: 127.0.0.1, port: ${smtpPort}, tls: none, from: strata@example.com }
alerts:
  late_orders:
    display_name: Late orders
    query_text: "SELECT {{job.parameters.late}} AS late, 'x' AS other"
    custom_summary: Too many late orders today.
    evaluation:
      comparison_operator: GREATER_THAN
      source: { name: late, display: late orders }
      threshold: { value: { double_value: 10 } }
      notification: { subscriptions: [{ user_email: ops@example.com }] }
jobs:
  check:
    parameters: [{ name: late, default: "12" }]
    tasks:
      - { task_key: alert, alert_task: { alert_id: "\${resources.alerts.late_orders.id}", subscribers: [{ user_name: lead@example.com }] } }
`,
    );
    const project = await projectAt(bed, dir);
    mails.length = 0;
    const triggered = await runJob(project, 'check');
    expect(triggered.result).toBe('SUCCESS');
    expect(mails.map((m) => m.to)).toEqual([['lead@example.com', 'ops@example.com']]);
    const text = mails[0].data.replace(/=\r?\n/g, '');
    expect(text).toMatch(/Subject: \[Strata\] alert Late orders: TRIGGERED/);
    expect(text).toMatch(/Too many late orders today\./);
    expect(text).toMatch(/late orders = 12; the alert triggers when late orders GREATER_THAN 10\./);
    mails.length = 0;
    const ok = await runJob(project, 'check', { parameters: { late: '3' } });
    expect(ok.result).toBe('SUCCESS');
    expect(mails).toEqual([]);
    const values = await project.query(
      `SELECT task_values FROM system.job_task_runs WHERE run_id = ${ok.runId} AND task_key = 'alert'`,
    );
    expect(JSON.parse(String(values.rows[0][0]))).toEqual({ state: 'OK', value: '3' });
  });
});
