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
  'timestampNtz',
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

/** The lowest protocol for a schema and table properties. */
export function minimalProtocol(schema: StructType, configuration: Record<string, string>): ProtocolAction {
  let writer = 2;
  if (Object.keys(configuration).some((k) => k.startsWith('delta.constraints.'))) writer = 3;
  if (configuration['delta.enableChangeDataFeed']?.toLowerCase() === 'true') writer = 4;
  if (!usesType(schema, 'timestamp_ntz')) return { minReaderVersion: 1, minWriterVersion: writer };
  // timestamp_ntz exists only as a table feature: reader 3 / writer 7, listing
  // the legacy features the old versions implied.
  const writerFeatures = ['appendOnly', 'invariants'];
  if (writer >= 3) writerFeatures.push('checkConstraints');
  if (writer >= 4) writerFeatures.push('changeDataFeed');
  writerFeatures.push('timestampNtz');
  return { minReaderVersion: 3, minWriterVersion: 7, readerFeatures: ['timestampNtz'], writerFeatures };
}

/** Throws unless this build can write to a table with this protocol and schema. */
export function checkWritable(table: string, protocol: ProtocolAction, schema?: StructType): void {
  const generated = schema?.fields.find((f) => f.metadata['delta.generationExpression'] !== undefined);
  if (generated) {
    throw new ProtocolUnsupportedError(table, 'generatedColumns', `column ${generated.name} is a generated column, which Strata cannot write yet`);
  }
  const identity = schema?.fields.find((f) => f.metadata['delta.identity.start'] !== undefined);
  if (identity) {
    throw new ProtocolUnsupportedError(table, 'identityColumns', `column ${identity.name} is an identity column, which Strata cannot write yet`);
  }
  if (protocol.minWriterVersion > 7) {
    throw new ProtocolUnsupportedError(table, `writerVersion ${protocol.minWriterVersion}`, `requires Delta writer version ${protocol.minWriterVersion}; Strata writes versions up to 7`);
  }
  if (protocol.minWriterVersion === 7) {
    for (const feature of protocol.writerFeatures ?? []) {
      if (!SUPPORTED_WRITER_FEATURES.has(feature)) {
        throw new ProtocolUnsupportedError(table, feature, `uses the writer feature '${feature}', which Strata cannot write yet`);
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
