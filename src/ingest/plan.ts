// What a load would do, without writing anything (`strata ingest --plan`):
// the files waiting, changed, renamed or to be reloaded, and a dry read of the first batch.
import { randomUUID } from 'node:crypto';
import * as path from 'node:path';
import { tableExists } from '../catalog/index.js';
import { StrataError } from '../core/index.js';
import { loadSnapshot } from '../delta/index.js';
import type { Session } from '../engine/index.js';
import { classifyFiles, listSourceFiles } from './classify.js';
import { recordedFile } from './paths.js';
import { readBatch, type SourceFile } from './read.js';
import { planReloads } from './reload.js';
import type { IngestRequest } from './request.js';

/** Files are loaded from where they land, never from the lake: that would load tables' own files as rows. */
export function refuseSourceInLake(req: IngestRequest): void {
  const lake = req.catalog.lakeRoot;
  const source = path.resolve(req.source.replace(/[*?[{].*$/, '') || '.');
  if (source === lake || source.startsWith(`${lake}${path.sep}`) || lake.startsWith(`${source}${path.sep}`)) {
    throw new StrataError(
      'USAGE',
      `${req.name}: the source ${req.source} is ${source === lake || source.startsWith(lake + path.sep) ? 'inside' : 'around'} the lake (${lake}); load files from where they land, e.g. landing/`,
      {
        context: { table: req.name, file: req.source },
      },
    );
  }
}

export interface IngestPlan {
  /** Files not loaded before (or failed and changed since). */
  waiting: SourceFile[];
  /** Files loaded before that have changed since (paths as recorded). */
  changed: string[];
  skipped: number;
  /** New paths whose content was loaded before (renamed): not loaded unless loadRenamedFiles. */
  renamed: { path: string; earlier: string }[];
  /** Files loaded before that a load takes again (forced), with the batch whose rows they replace. */
  reloads: { path: string; batch: number }[];
  /** Columns the waiting files would add (with mergeSchema) or send to the rescued data column. */
  newColumns: string[];
  /** False when the table has no columns yet (it takes the files' columns). */
  tableHasColumns: boolean;
  /** What a load would do, from a dry read of the waiting files (the first batch). */
  rows: number;
  rescued: number;
  quarantined: number;
  failed: { path: string; error: string }[];
}

/** What COPY INTO would do now, without writing anything. */
export async function planIngest(session: Session, req: IngestRequest): Promise<IngestPlan> {
  refuseSourceInLake(req);
  const o = req.options;
  const listed = await listSourceFiles(session, req.source, o.pathGlobFilter);
  const classified = await classifyFiles(session, req, listed, { repair: false });
  // A reload that cannot be done (a file of its batch gone) is an error here, before any load.
  const { groups } = await planReloads(session, req, listed, classified.waiting);
  const plan: IngestPlan = {
    ...classified,
    reloads: groups.flatMap((g) =>
      g.files.map((f) => ({ path: recordedFile(req.catalog, f.path), batch: g.batches[0] })),
    ),
    newColumns: [],
    tableHasColumns: false,
    rows: 0,
    rescued: 0,
    quarantined: 0,
    failed: [],
  };
  if (plan.waiting.length === 0) return plan;
  const exists = tableExists(req.location);
  const snapshot = exists ? await loadSnapshot(req.location, { session, name: req.name }) : undefined;
  const known = (snapshot?.schema.fields ?? []).filter(
    (f) => f.name.toLowerCase() !== o.rescuedDataColumn.toLowerCase(),
  );
  plan.tableHasColumns = known.length > 0;
  const addNewColumns =
    (req.mergeSchema || known.length === 0) && o.schemaEvolutionMode !== 'rescue' && o.schemaEvolutionMode !== 'none';
  const read = await readBatch(
    session,
    plan.waiting.slice(0, o.maxFilesPerTrigger),
    o,
    { known, addNewColumns },
    randomUUID().replace(/-/g, '').slice(0, 12),
    req.catalog,
  );
  try {
    plan.newColumns = read.newColumns;
    for (const [file, r] of read.files) {
      if (r.error) plan.failed.push({ path: recordedFile(req.catalog, file), error: r.error });
      plan.rows += r.rows;
      plan.rescued += r.rescued;
      plan.quarantined += r.quarantined;
    }
  } finally {
    for (const statement of read.cleanup) await session.exec(statement).catch(() => undefined);
  }
  return plan;
}
