// The change data feed (PROTOCOL.md, "Change Data Files"): with
// delta.enableChangeDataFeed = true, a commit that updates or deletes rows
// writes the changed rows, each with its _change_type, to files under
// _change_data/ named by `cdc` actions. Readers use those files for such a
// commit, and the added and removed files for plain appends and overwrites.
import { quoteIdent, type Session } from '../engine/index.js';
import type { LocalPathStore } from '../storage/index.js';
import type { Action } from './actions.js';
import type { StructType } from './schema.js';
import { writeDataFiles } from './write-files.js';

export const CHANGE_TYPE = '_change_type';

export function changeDataFeedEnabled(configuration: Record<string, string>): boolean {
  return configuration['delta.enableChangeDataFeed']?.toLowerCase() === 'true';
}

/** The table's schema with the _change_type column that change data files add. */
export function changeDataSchema(schema: StructType): StructType {
  return {
    kind: 'struct',
    fields: [
      ...schema.fields,
      { name: CHANGE_TYPE, type: { kind: 'primitive', name: 'string' }, nullable: true, metadata: {} },
    ],
  };
}

/**
 * Writes change rows (`select`: the table's columns in order, then _change_type)
 * as change data files; returns their cdc actions.
 */
export async function writeChangeData(
  session: Session,
  store: LocalPathStore,
  table: string,
  schema: StructType,
  partitionColumns: string[],
  configuration: Record<string, string>,
  select: string,
): Promise<{ actions: Action[]; paths: string[] }> {
  // Columns are matched by position: the table's, then the change type.
  const names = [...schema.fields.map((f) => f.name), CHANGE_TYPE].map(quoteIdent).join(', ');
  const written = await writeDataFiles(session, `SELECT * FROM (${select}) AS __c(${names})`, {
    table,
    store,
    schema: changeDataSchema(schema),
    partitionColumns,
    configuration: { ...configuration, 'delta.dataSkippingNumIndexedCols': '0' },
    subdir: '_change_data',
    prefix: 'cdc',
  });
  return {
    actions: written.adds.map((a) => ({
      cdc: { path: a.path, partitionValues: a.partitionValues, size: a.size, dataChange: false },
    })),
    paths: written.adds.map((a) => a.path),
  };
}
