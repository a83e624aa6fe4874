// The schema a flow reads its files with, kept from one update to the next (Auto Loader's
// schema location): the types inferred from the first batch hold for the files after it,
// whose values that do not fit go to the rescued data column, and new columns are added.
// Kept as a property of the flow's target table, written in the commit of the batch that
// set it, so it is exactly as durable as that batch (a full refresh starts it over).
import { parseSchema, schemaToJson, type StructField } from '../delta/index.js';
import type { ReadOptions } from './options.js';
import type { IngestRequest } from './request.js';

/** Where a pipeline keeps its flows' source schemas: `<prefix><flow>`. */
export const SOURCE_SCHEMA_PREFIX = 'strata.sourceSchema.';

/** The recorded columns of the flow's source, with their types ([] before its first batch). */
export function recordedSourceSchema(
  configuration: Record<string, string>,
  req: Pick<IngestRequest, 'sourceSchemaKey' | 'name'>,
): StructField[] {
  const text = req.sourceSchemaKey ? configuration[req.sourceSchemaKey] : undefined;
  if (!text) return [];
  return parseSchema(text, req.name).fields;
}

/** The table property recording the source's columns after a batch (inferred types only). */
export function sourceSchemaProperty(
  req: Pick<IngestRequest, 'sourceSchemaKey'>,
  o: Pick<ReadOptions, 'inferColumnTypes' | 'format' | 'rescuedDataColumn'>,
  columns: StructField[],
): Record<string, string> | undefined {
  if (!req.sourceSchemaKey || !o.inferColumnTypes || o.format === 'parquet') return undefined;
  const fields = columns.filter((f) => f.name.toLowerCase() !== o.rescuedDataColumn.toLowerCase());
  return { [req.sourceSchemaKey]: schemaToJson({ kind: 'struct', fields }) };
}
