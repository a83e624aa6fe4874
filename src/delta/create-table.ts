// CREATE TABLE [IF NOT EXISTS | OR REPLACE] [AS SELECT]: the first commit of a table (or a
// replacing one), in an empty folder, with its schema, partition columns, properties and rows.
import { randomUUID } from 'node:crypto';
import { looksLikeData } from './data-files.js';
import { StrataError } from '../core/index.js';
import type { Session } from '../engine/index.js';
import { LocalStore, sweepTempFiles } from '../storage/index.js';
import type { Action, MetadataAction } from './actions.js';
import { blindAppend } from './commit.js';
import type { TransactionFootprint } from './conflicts.js';
import { LOG_DIR } from './log-segment.js';
import type { StructType } from './schema.js';
import type { Incoming } from './schema-enforcement.js';
import { schemaToJson } from './schema-from-engine.js';
import { loadSnapshot } from './snapshot.js';
import { checkWritable, minimalProtocol } from './table-features.js';
import {
  afterCommit,
  commitOrClean,
  enforceAllowingNulls,
  incomingColumns,
  removeOf,
  resolvePartitionColumns,
  writeChecked,
  type TableRef,
  type WriteOutcome,
} from './write.js';

export interface CreateTableOptions extends TableRef {
  /** Explicit columns; with `select`, they must match the query's. */
  schema?: StructType;
  /** CREATE TABLE ... AS SELECT. */
  select?: string;
  partitionColumns?: string[];
  properties?: Record<string, string>;
  description?: string;
  ifNotExists?: boolean;
  /** CREATE OR REPLACE: a new version replacing data, schema and properties. */
  replace?: boolean;
  /** With replace: give the table a new id (a pipeline's full refresh: ledgers keyed by table id start over). */
  newId?: boolean;
  /** `txn` actions to commit with the table (a pipeline's stream progress). */
  txns?: { appId: string; version: number }[];
  /** Extra commitInfo fields. */
  info?: Record<string, unknown>;
  now?: () => number;
}

/**
 * A table is created only in an empty folder (Delta's DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION):
 * files that are not Delta's — a project's strata.yaml, landing files — would otherwise become
 * a table's stray files, and VACUUM's to delete. What an interrupted first write leaves (a log
 * folder with no commit, data files) is not in the way: the retry creates the table.
 */
async function refuseNonEmptyLocation(store: LocalStore, name: string): Promise<void> {
  const foreign = (await store.list('')).filter((m) => !m.key.startsWith(`${LOG_DIR}/`) && !looksLikeData(m.key));
  if (foreign.length === 0) return;
  const shown = foreign
    .slice(0, 3)
    .map((m) => m.key)
    .join(', ');
  throw new StrataError(
    'ALREADY_EXISTS',
    `cannot create table ${name}: its folder ${store.root} is not empty and is not a Delta table (${shown}${foreign.length > 3 ? ', …' : ''}); choose an empty or new folder (Delta: DELTA_CREATE_TABLE_WITH_NON_EMPTY_LOCATION)`,
    { context: { table: name } },
  );
}

/** CREATE TABLE [IF NOT EXISTS | OR REPLACE] ... [AS SELECT ...]. */
export async function createTable(session: Session, options: CreateTableOptions): Promise<WriteOutcome> {
  const name = options.name ?? options.location;
  const store = new LocalStore(options.location);
  const exists = (await store.list(`${LOG_DIR}/`)).some((m) => /\d{20}\.(json|checkpoint)/.test(m.key));
  if (exists && !options.replace) {
    if (options.ifNotExists) return { numRows: 0, numFiles: 0, numRemovedFiles: 0 };
    throw new StrataError(
      'ALREADY_EXISTS',
      `table ${name} already exists (use CREATE TABLE IF NOT EXISTS, or CREATE OR REPLACE TABLE)`,
      { context: { table: name } },
    );
  }
  if (!exists) {
    await refuseNonEmptyLocation(store, name);
    await sweepTempFiles(store.localPath(LOG_DIR)); // an interrupted first commit's
  }
  const previous = exists ? await loadSnapshot(options.location, { session, name }) : undefined;
  if (previous) checkWritable(name, previous.protocol, previous.schema);

  let schema = options.schema;
  let incoming: Incoming[] | undefined;
  if (options.select !== undefined) {
    incoming = await incomingColumns(session, options.select);
    schema ??= {
      kind: 'struct',
      fields: incoming.map((c) => ({ name: c.name, type: c.type, nullable: true, metadata: {} })),
    };
  }
  schema ??= { kind: 'struct', fields: [] };
  // A table without columns yet (they come with its first write) keeps its partition columns as
  // named; that write checks them (a streaming table PARTITIONED BY (day) with no column list).
  const partitionColumns =
    schema.fields.length === 0 && !incoming
      ? [...(options.partitionColumns ?? [])]
      : resolvePartitionColumns(name, schema, options.partitionColumns ?? []);
  const configuration = { ...(options.properties ?? {}) };
  const protocol = minimalProtocol(schema, configuration);
  const now = options.now ?? Date.now;
  const metadata: MetadataAction = {
    id: (!options.newId && previous?.metadata.id) || randomUUID(),
    name: null,
    description: options.description ?? null,
    format: { provider: 'parquet', options: {} },
    schemaString: schemaToJson(schema),
    partitionColumns,
    configuration,
    createdTime: now(),
  };
  const written = incoming
    ? await writeChecked(
        session,
        store,
        name,
        options.select!,
        (await enforceAllowingNulls(session, name, schema, incoming, false, options.select!)).projection,
        schema,
        partitionColumns,
        configuration,
        now,
      )
    : { adds: [], numRows: 0, numBytes: 0 };
  const removes = previous ? previous.files.map((f) => removeOf(f, now())) : [];
  const txns = (options.txns ?? []).map((t) => ({ txn: { appId: t.appId, version: t.version, lastUpdated: now() } }));
  const actions: Action[] = [
    { protocol },
    { metaData: metadata },
    ...txns,
    ...removes.map((remove) => ({ remove })),
    ...written.adds.map((add) => ({ add })),
  ];
  const operation = options.replace
    ? options.select
      ? 'CREATE OR REPLACE TABLE AS SELECT'
      : 'CREATE OR REPLACE TABLE'
    : options.select
      ? 'CREATE TABLE AS SELECT'
      : 'CREATE TABLE';
  const footprint: TransactionFootprint = {
    ...blindAppend((options.txns ?? []).map((t) => t.appId)),
    changesMetadata: true,
    readWholeTable: Boolean(previous),
  };
  const result = await commitOrClean(
    store,
    name,
    previous?.version ?? -1,
    {
      operation,
      operationParameters: {
        isManaged: 'false',
        description: options.description,
        partitionBy: JSON.stringify(partitionColumns),
        properties: JSON.stringify(configuration),
      },
      operationMetrics: written.adds.length
        ? { numFiles: written.adds.length, numOutputRows: written.numRows, numOutputBytes: written.numBytes }
        : undefined,
      actions,
      footprint,
      info: options.info,
    },
    written.adds,
  ).catch((err: unknown) => {
    // CREATE TABLE IF NOT EXISTS racing another creator: the loser uses the winner's table.
    if (options.ifNotExists && !previous && err instanceof StrataError && err.code === 'ALREADY_EXISTS')
      return undefined;
    throw err;
  });
  if (!result) return { numRows: 0, numFiles: 0, numRemovedFiles: 0 };
  await afterCommit(session, store, name, result.version, configuration);
  return {
    version: result.version,
    numRows: written.numRows,
    numFiles: written.adds.length,
    numRemovedFiles: removes.length,
  };
}
