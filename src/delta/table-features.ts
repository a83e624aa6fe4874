// Which protocol a new table needs, and whether this build may write a table:
// tables are created at the lowest reader/writer versions their features need,
// so that older Spark and Databricks runtimes read them.
import { ProtocolUnsupportedError } from '../core/index.js';
import type { ProtocolAction } from './actions.js';
import type { DeltaType, StructType } from './schema.js';

/** Writer features this build implements (legacy ones are implied by versions 2-4). */
export const SUPPORTED_WRITER_FEATURES: ReadonlySet<string> = new Set([
  'appendOnly',
  'invariants',
  'checkConstraints',
  'changeDataFeed',
  'deletionVectors',
  'timestampNtz',
  'typeWidening',
  'vacuumProtocolCheck',
]);

function usesType(type: DeltaType, name: string): boolean {
  switch (type.kind) {
    case 'primitive':
      return type.name === name;
    case 'struct':
      return type.fields.some((f) => usesType(f.type, name));
    case 'array':
      return usesType(type.elementType, name);
    case 'map':
      return usesType(type.keyType, name) || usesType(type.valueType, name);
    default:
      return false;
  }
}

/** Whether any field records a type change (type widening). */
function hasTypeChanges(type: DeltaType): boolean {
  switch (type.kind) {
    case 'struct':
      return type.fields.some((f) => f.metadata['delta.typeChanges'] !== undefined || hasTypeChanges(f.type));
    case 'array':
      return hasTypeChanges(type.elementType);
    case 'map':
      return hasTypeChanges(type.keyType) || hasTypeChanges(type.valueType);
    default:
      return false;
  }
}

/** Whether DELETE, UPDATE and MERGE mark rows deleted instead of rewriting files (`delta.enableDeletionVectors`). */
export function deletionVectorsEnabled(configuration: Record<string, string>): boolean {
  return configuration['delta.enableDeletionVectors']?.toLowerCase() === 'true';
}

/** The lowest protocol for a schema and table properties. */
export function minimalProtocol(schema: StructType, configuration: Record<string, string>): ProtocolAction {
  let writer = 2;
  if (Object.keys(configuration).some((k) => k.startsWith('delta.constraints.'))) writer = 3;
  if (configuration['delta.enableChangeDataFeed']?.toLowerCase() === 'true') writer = 4;
  const readerFeatures: string[] = [];
  if (usesType(schema, 'timestamp_ntz')) readerFeatures.push('timestampNtz');
  if (hasTypeChanges(schema)) readerFeatures.push('typeWidening');
  if (deletionVectorsEnabled(configuration)) readerFeatures.push('deletionVectors');
  if (readerFeatures.length === 0) return { minReaderVersion: 1, minWriterVersion: writer };
  // These exist only as table features: reader 3 / writer 7, listing the
  // legacy features the old versions implied.
  const writerFeatures = ['appendOnly', 'invariants'];
  if (writer >= 3) writerFeatures.push('checkConstraints');
  if (writer >= 4) writerFeatures.push('changeDataFeed');
  writerFeatures.push(...readerFeatures);
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures, writerFeatures };
}

/** The table's protocol raised to cover `needed`, keeping every feature it had. */
export function mergeProtocol(current: ProtocolAction, needed: ProtocolAction): ProtocolAction {
  const reader = Math.max(current.minReaderVersion, needed.minReaderVersion);
  const writer = Math.max(current.minWriterVersion, needed.minWriterVersion);
  if (writer < 7) return { minReaderVersion: reader, minWriterVersion: writer };
  const legacy = (p: ProtocolAction): string[] => {
    if (p.minWriterVersion >= 7) return p.writerFeatures ?? [];
    const implied = ['appendOnly', 'invariants'];
    if (p.minWriterVersion >= 3) implied.push('checkConstraints');
    if (p.minWriterVersion >= 4) implied.push('changeDataFeed', 'generatedColumns');
    return implied;
  };
  const union = (...lists: string[][]) => [...new Set(lists.flat())];
  return {
    minReaderVersion: reader,
    minWriterVersion: 7,
    ...(reader >= 3 ? { readerFeatures: union(current.readerFeatures ?? [], needed.readerFeatures ?? []) } : {}),
    writerFeatures: union(legacy(current), legacy(needed)),
  };
}

/** Whether a protocol covers another (versions and features). */
export function protocolCovers(current: ProtocolAction, needed: ProtocolAction): boolean {
  if (current.minReaderVersion < needed.minReaderVersion || current.minWriterVersion < needed.minWriterVersion)
    return false;
  const has = (list: string[] | undefined, f: string) => (list ?? []).includes(f);
  if (current.minWriterVersion >= 7 && (needed.writerFeatures ?? []).some((f) => !has(current.writerFeatures, f)))
    return false;
  if (current.minReaderVersion >= 3 && (needed.readerFeatures ?? []).some((f) => !has(current.readerFeatures, f)))
    return false;
  return true;
}

/** Throws unless this build can write to a table with this protocol and schema. */
export function checkWritable(table: string, protocol: ProtocolAction, schema?: StructType): void {
  const generated = schema?.fields.find((f) => f.metadata['delta.generationExpression'] !== undefined);
  if (generated) {
    throw new ProtocolUnsupportedError(
      table,
      'generatedColumns',
      `column ${generated.name} is a generated column, which Strata cannot write yet`,
    );
  }
  const voidColumn = schema?.fields.find((f) => usesType(f.type, 'void'));
  if (voidColumn) {
    // Spark leaves void columns out of the Parquet files; Strata's writers would write them.
    throw new ProtocolUnsupportedError(
      table,
      'void columns',
      `column ${voidColumn.name} has type void, which Strata reads (as NULLs) but cannot write yet`,
    );
  }
  const identity = schema?.fields.find((f) => f.metadata['delta.identity.start'] !== undefined);
  if (identity) {
    throw new ProtocolUnsupportedError(
      table,
      'identityColumns',
      `column ${identity.name} is an identity column, which Strata cannot write yet`,
    );
  }
  if (protocol.minWriterVersion > 7) {
    throw new ProtocolUnsupportedError(
      table,
      `writerVersion ${protocol.minWriterVersion}`,
      `requires Delta writer version ${protocol.minWriterVersion}; Strata writes versions up to 7`,
    );
  }
  if (protocol.minWriterVersion === 7) {
    for (const feature of protocol.writerFeatures ?? []) {
      if (!SUPPORTED_WRITER_FEATURES.has(feature)) {
        throw new ProtocolUnsupportedError(
          table,
          feature,
          `uses the writer feature '${feature}', which Strata cannot write yet`,
        );
      }
    }
  } else if (protocol.minWriterVersion >= 5) {
    // Legacy writer versions 5 and 6 imply column mapping and identity columns.
    throw new ProtocolUnsupportedError(
      table,
      `writerVersion ${protocol.minWriterVersion}`,
      `requires Delta writer version ${protocol.minWriterVersion} (column mapping or identity columns), which Strata cannot write yet`,
    );
  }
}
