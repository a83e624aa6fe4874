// Notifications of job runs, as a job's email_notifications and webhook_notifications ask:
// on_start, on_success, on_failure, on_duration_warning_threshold_exceeded. E-mail goes through the
// SMTP server of strata.yaml's notifications.email (nodemailer), webhooks are POSTed as JSON to
// notifications.webhooks.<id>. Each delivery is tried a few times and recorded in
// system.job_notifications; a destination that is down never fails the job.
import { mkdir } from 'node:fs/promises';
import nodemailer from 'nodemailer';
import { tableExists } from '../catalog/index.js';
import { createTable, writeTable } from '../delta/index.js';
import { quoteIdent, quoteLiteral, type Session } from '../engine/index.js';
import type { JobSettings, Project } from '../project/index.js';

export type NotifyEvent = 'on_start' | 'on_success' | 'on_failure' | 'on_duration_warning_threshold_exceeded';

/** What a notification says about a run. */
export interface RunNotice {
  jobKey: string;
  jobName: string;
  runId: bigint;
  event: NotifyEvent;
  result?: string;
  durationMs?: number;
  /** The tasks that did not succeed: their attempts and the first lines of their error. */
  failed: { taskKey: string; result: string; attempts: number; error?: string }[];
}

export interface NotifyOptions {
  /** The wait between delivery attempts (tests inject it). */
  sleep?: (ms: number) => Promise<void>;
  /** Delivery attempts per destination (default 3). */
  attempts?: number;
}

interface Delivery {
  channel: 'email' | 'webhook';
  destination: string;
  status: 'SENT' | 'FAILED';
  attempts: number;
  error?: string;
}

/** Sends the notifications `event` asks for, records each delivery; never throws for a delivery. */
export async function notify(
  project: Project,
  job: JobSettings,
  notice: RunNotice,
  options: NotifyOptions = {},
): Promise<Delivery[]> {
  const skipped = notice.result === 'SKIPPED' || notice.result === 'MAXIMUM_CONCURRENT_RUNS_REACHED';
  const canceled = notice.result === 'CANCELED';
  if (
    skipped &&
    (job.notification_settings?.no_alert_for_skipped_runs || job.email_notifications?.no_alert_for_skipped_runs)
  )
    return [];
  if (canceled && job.notification_settings?.no_alert_for_canceled_runs) return [];
  const emails = job.email_notifications?.[notice.event] ?? [];
  const hooks = (job.webhook_notifications?.[notice.event] ?? []).map((h) => h.id);
  const { subject, text } = message(notice);
  const json = {
    event_type: notice.event.replace(/^on_/, '').toUpperCase(),
    job: { id: notice.jobKey, name: notice.jobName },
    run: { run_id: String(notice.runId), result_state: notice.result ?? null, duration_ms: notice.durationMs ?? null },
    failed_tasks: notice.failed.map((f) => ({
      task_key: f.taskKey,
      result_state: f.result,
      attempts: f.attempts,
      error: f.error ?? null,
    })),
    text,
  };
  return deliver(
    project,
    { emails, webhooks: hooks },
    { subject, text, json },
    { runId: notice.runId, jobKey: notice.jobKey, event: notice.event },
    options,
  );
}

/** A message: for a mail, and for a webhook (JSON). */
export interface Message {
  subject: string;
  text: string;
  json: Record<string, unknown>;
}

/**
 * Delivers a message to e-mail addresses (through notifications.email) and webhook ids
 * (notifications.webhooks), each tried a few times, every delivery recorded with `about` in
 * system.job_notifications. Never throws for a delivery.
 */
export async function deliver(
  project: Project,
  to: { emails: string[]; webhooks: string[] },
  m: Message,
  about: { runId: bigint; jobKey: string; event: string },
  options: NotifyOptions = {},
): Promise<Delivery[]> {
  const { emails, webhooks: hooks } = to;
  if (emails.length === 0 && hooks.length === 0) return [];
  const deliveries: Delivery[] = [];
  const tries = options.attempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const attempt = async (send: () => Promise<void>): Promise<{ ok: boolean; attempts: number; error?: string }> => {
    let error = '';
    for (let i = 1; i <= tries; i++) {
      try {
        await send();
        return { ok: true, attempts: i };
      } catch (err) {
        error = (err as Error).message;
        if (i < tries) await sleep(1000 * i);
      }
    }
    return { ok: false, attempts: tries, error };
  };
  const { subject, text } = m;
  if (emails.length > 0) {
    const email = project.config.notifications.email;
    if (!email)
      deliveries.push(
        ...emails.map((address) => ({
          channel: 'email' as const,
          destination: address,
          status: 'FAILED' as const,
          attempts: 0,
          error: 'strata.yaml has no notifications.email (an SMTP server) to send it through',
        })),
      );
    else {
      const transport = nodemailer.createTransport({
        host: email.host,
        port: email.port,
        secure: email.tls === 'tls',
        requireTLS: email.tls === 'starttls',
        ignoreTLS: email.tls === 'none',
        auth: email.user ? { user: email.user, pass: email.password ?? '' } : undefined,
        connectionTimeout: 10_000,
      });
      const r = await attempt(async () => {
        await transport.sendMail({ from: email.from, to: emails.join(', '), subject, text });
      });
      for (const address of emails)
        deliveries.push({
          channel: 'email',
          destination: address,
          status: r.ok ? 'SENT' : 'FAILED',
          attempts: r.attempts,
          error: r.error,
        });
    }
  }
  const body = JSON.stringify(m.json);
  for (const id of hooks) {
    const hook = project.config.notifications.webhooks?.[id];
    if (!hook) {
      deliveries.push({
        channel: 'webhook',
        destination: id,
        status: 'FAILED',
        attempts: 0,
        error: `no notifications.webhooks.${id} in strata.yaml`,
      });
      continue;
    }
    const r = await attempt(async () => {
      const res = await fetch(hook.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(hook.headers ?? {}) },
        body,
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
    });
    deliveries.push({
      channel: 'webhook',
      destination: id,
      status: r.ok ? 'SENT' : 'FAILED',
      attempts: r.attempts,
      error: r.error,
    });
  }
  await project.withSession((s) => record(s, project, about, deliveries)).catch(() => undefined);
  return deliveries;
}

/** The subject and text of a notification: the job, the run, what failed and how to see more. */
export function message(n: RunNotice): { subject: string; text: string } {
  const what: Record<NotifyEvent, string> = {
    on_start: 'started',
    on_success: n.result === 'SUCCESS_WITH_FAILURES' ? 'succeeded with failures' : 'succeeded',
    on_failure: n.result === 'TIMEDOUT' ? 'timed out' : 'failed',
    on_duration_warning_threshold_exceeded: 'is running longer than its health rule allows',
  };
  const subject = `[Strata] job ${n.jobName}: run ${n.runId} ${what[n.event]}`;
  const lines = [`Job ${n.jobName} (${n.jobKey}), run ${n.runId}: ${what[n.event]}.`];
  if (n.durationMs !== undefined) lines.push(`Duration: ${(n.durationMs / 1000).toFixed(1)} s.`);
  for (const f of n.failed) {
    lines.push('', `Task ${f.taskKey}: ${f.result} after ${f.attempts} attempt(s).`);
    if (f.error)
      lines.push(
        ...f.error
          .split('\n')
          .slice(0, 10)
          .map((l) => `  ${l}`),
      );
  }
  lines.push('', `See the run: strata jobs show ${n.runId}`);
  return { subject, text: lines.join('\n') + '\n' };
}

const COLUMNS = `run_id BIGINT, job_key VARCHAR, event VARCHAR, channel VARCHAR, destination VARCHAR, status VARCHAR,
  attempts INTEGER, error VARCHAR, sent_at TIMESTAMPTZ`;

async function record(
  session: Session,
  project: Project,
  n: { runId: bigint; jobKey: string; event: string },
  deliveries: Delivery[],
): Promise<void> {
  if (deliveries.length === 0) return;
  const location = project.catalog.system('job_notifications');
  const name = 'system.job_notifications';
  if (!tableExists(location)) {
    await mkdir(location, { recursive: true });
    await session.exec(`CREATE OR REPLACE TEMP TABLE ${quoteIdent('__strata_notifications_shape')} (${COLUMNS})`);
    await createTable(session, {
      location,
      name,
      ifNotExists: true,
      select: 'SELECT * FROM temp.__strata_notifications_shape',
      description: 'Strata job notifications: every delivery, sent or failed',
    });
  }
  const str = (v: string | undefined) => (v === undefined ? 'NULL::VARCHAR' : quoteLiteral(v));
  const rows = deliveries.map(
    (d) =>
      `(${n.runId}::BIGINT, ${str(n.jobKey)}, ${str(n.event)}, ${str(d.channel)}, ${str(d.destination)}, ${str(d.status)}, ${d.attempts}::INTEGER, ${str(d.error)}, now())`,
  );
  const names = COLUMNS.split(',').map((c) => c.trim().split(/\s+/)[0]);
  await writeTable(session, {
    location,
    name,
    mode: 'append',
    select: `SELECT * FROM (VALUES ${rows.join(', ')}) AS v(${names.join(', ')})`,
    operation: 'WRITE',
  });
}
