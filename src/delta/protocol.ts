// Protocol checks: a reader must refuse a table whose reader version or reader
// features it does not implement, naming the feature, rather than return wrong rows.
import { ProtocolUnsupportedError } from '../core/index.js';
import type { MetadataAction, ProtocolAction } from './actions.js';

export const MAX_READER_VERSION = 3;
export const MAX_WRITER_VERSION = 7;

/** Reader features this build implements. */
export const SUPPORTED_READER_FEATURES: ReadonlySet<string> = new Set([
  'columnMapping',
  'deletionVectors',
  'timestampNtz',
  'v2Checkpoint',
  'typeWidening',
  'typeWidening-preview',
  'vacuumProtocolCheck',
]);

/** Throws unless this build can read a table with this protocol. */
export function checkReadable(table: string, protocol: ProtocolAction, metadata?: MetadataAction): void {
  const reader = protocol.minReaderVersion;
  if (!Number.isInteger(reader) || reader < 1 || reader > MAX_READER_VERSION) {
    throw new ProtocolUnsupportedError(
      table,
      `readerVersion ${reader}`,
      `requires Delta reader version ${reader}; Strata reads versions 1 to ${MAX_READER_VERSION}`,
    );
  }
  if (reader === 3) {
    for (const feature of protocol.readerFeatures ?? []) {
      if (!SUPPORTED_READER_FEATURES.has(feature)) {
        throw new ProtocolUnsupportedError(
          table,
          feature,
          `uses the reader feature '${feature}', which Strata does not support yet`,
        );
      }
    }
  }
  if (metadata && metadata.format?.provider && metadata.format.provider.toLowerCase() !== 'parquet') {
    throw new ProtocolUnsupportedError(
      table,
      `format ${metadata.format.provider}`,
      `stores data as '${metadata.format.provider}'; Delta tables store Parquet`,
    );
  }
}

/** Whether the table enables a feature, by explicit list (v3/v7) or by legacy version. */
export function hasReaderFeature(protocol: ProtocolAction, feature: string): boolean {
  return protocol.minReaderVersion >= 3 && (protocol.readerFeatures ?? []).includes(feature);
}
