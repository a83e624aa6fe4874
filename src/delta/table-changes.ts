// Reading the change data feed: table_changes(table, from[, to]) — the rows
// each commit inserted, deleted or updated, with _change_type,
// _commit_version and _commit_timestamp. A commit with change files (cdc
// actions) is read from them; otherwise its added files are inserts and its
// removed files deletes (dataChange = false actions, like OPTIMIZE's, are not changes).
import { randomUUID } from 'node:crypto';
import { StrataError } from '../core/index.js';
import { quoteIdent, type Session } from '../engine/index.js';
import type { AddAction } from './actions.js';
import { CHANGE_TYPE, changeDataFeedEnabled, changeDataSchema } from './change-data.js';
import { readCommit } from './log-reader.js';
import { commitKey } from './log-segment.js';
import { findCommitInfo } from './replay.js';
import { planScan } from './scan.js';
import { commitTimestamp, loadSnapshot, type Snapshot } from './snapshot.js';

export interface ChangesPlan {
  sql: string;
  cleanup: string[];
}

export async function planTableChanges(
  session: Session,
  location: string,
  name: string,
  from: number,
  to?: number,
): Promise<ChangesPlan> {
  const latest = await loadSnapshot(location, { session, name, version: to });
  const last = latest.version;
  if (!Number.isInteger(from) || from < 0 || from > last) {
    throw new StrataError(
      'VERSION_NOT_FOUND',
      `table_changes(${name}): start version ${from} is not between 0 and ${last}`,
      { context: { table: name } },
    );
  }
  const first = await loadSnapshot(location, { session, name, version: from });
  for (const snap of [first, latest]) {
    if (!changeDataFeedEnabled(snap.metadata.configuration)) {
      throw new StrataError(
        'USAGE',
        `table_changes(${name}): the change data feed is not enabled at version ${snap.version}; enable it with ALTER TABLE ... SET TBLPROPERTIES ('delta.enableChangeDataFeed' = 'true') — changes are recorded from then on`,
        { context: { table: name, version: snap.version } },
      );
    }
  }
  const fields = latest.schema.fields;
  const cols = fields.map((f) => `t.${quoteIdent(f.name)}`).join(', ');
  const cleanup: string[] = [];
  const branches: string[] = [];
  const id = randomUUID().replace(/-/g, '').slice(0, 10);
  for (let v = from; v <= last; v++) {
    const actions = await readCommit(latest.store, commitKey(v), name);
    const ts = commitTimestamp(findCommitInfo(actions), undefined) ?? 0;
    const meta = `${v}::BIGINT AS _commit_version, to_timestamp(${ts}::DOUBLE / 1000) AS _commit_timestamp`;
    const scanOf = async (snapshot: Snapshot, files: AddAction[], n: string) => {
      const scan = await planScan(snapshot, session, { id: `${id}_${v}_${n}`, files });
      cleanup.push(...scan.cleanup);
      return scan.sql;
    };
    const cdc = actions.filter((a) => a.cdc).map((a) => ({ ...a.cdc!, modificationTime: 0 }) as AddAction);
    if (cdc.length > 0) {
      const cdcSnapshot = { ...latest, schema: changeDataSchema(latest.schema), files: cdc } as Snapshot;
      branches.push(`SELECT ${cols}, t.${CHANGE_TYPE}, ${meta} FROM (${await scanOf(cdcSnapshot, cdc, 'c')}) AS t`);
      continue;
    }
    const adds = actions.filter((a) => a.add && a.add.dataChange !== false).map((a) => a.add!);
    const removes = actions
      .filter((a) => a.remove && a.remove.dataChange !== false)
      .map(
        (a) =>
          ({
            path: a.remove!.path,
            partitionValues: a.remove!.partitionValues ?? {},
            size: a.remove!.size ?? 0,
            modificationTime: 0,
            dataChange: true,
            deletionVector: a.remove!.deletionVector,
          }) as AddAction,
      );
    if (adds.length > 0)
      branches.push(
        `SELECT ${cols}, 'insert' AS ${CHANGE_TYPE}, ${meta} FROM (${await scanOf(latest, adds, 'a')}) AS t`,
      );
    if (removes.length > 0)
      branches.push(
        `SELECT ${cols}, 'delete' AS ${CHANGE_TYPE}, ${meta} FROM (${await scanOf(latest, removes, 'r')}) AS t`,
      );
  }
  if (branches.length === 0) {
    const empty = fields.map((f) => `NULL AS ${quoteIdent(f.name)}`).join(', ');
    branches.push(
      `SELECT ${empty}${empty ? ', ' : ''}NULL::VARCHAR AS ${CHANGE_TYPE}, NULL::BIGINT AS _commit_version, NULL::TIMESTAMPTZ AS _commit_timestamp WHERE FALSE`,
    );
  }
  return { sql: branches.join('\nUNION ALL\n'), cleanup };
}
