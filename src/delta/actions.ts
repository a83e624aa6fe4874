// Delta log actions, as the protocol names them. A commit is a JSON file with one
// action per line; a checkpoint holds the same actions as Parquet rows.
// A leaf module: it imports nothing of delta/, so every other file may import it.

/** Where a data file's deleted rows are (PROTOCOL.md, "Deletion Vector Descriptor"); deletion-vector.ts reads and writes them. */
export interface DeletionVectorDescriptor {
  /** 'u': relative path derived from a UUID; 'i': inline; 'p': absolute path. */
  storageType: string;
  pathOrInlineDv: string;
  offset?: number | null;
  sizeInBytes: number;
  cardinality: number;
  maxRowIndex?: number | null;
}

export interface ProtocolAction {
  minReaderVersion: number;
  minWriterVersion: number;
  readerFeatures?: string[];
  writerFeatures?: string[];
}

export interface MetadataAction {
  id: string;
  name?: string | null;
  description?: string | null;
  format: { provider: string; options?: Record<string, string> };
  schemaString: string;
  partitionColumns: string[];
  configuration: Record<string, string>;
  createdTime?: number | null;
}

export interface AddAction {
  path: string;
  partitionValues: Record<string, string | null>;
  size: number;
  modificationTime: number;
  dataChange: boolean;
  stats?: string | null;
  tags?: Record<string, string> | null;
  deletionVector?: DeletionVectorDescriptor | null;
  baseRowId?: number | null;
  defaultRowCommitVersion?: number | null;
  clusteringProvider?: string | null;
}

export interface RemoveAction {
  path: string;
  deletionTimestamp?: number | null;
  dataChange: boolean;
  extendedFileMetadata?: boolean;
  partitionValues?: Record<string, string | null> | null;
  size?: number | null;
  deletionVector?: DeletionVectorDescriptor | null;
}

export interface TxnAction {
  appId: string;
  version: number;
  lastUpdated?: number | null;
}

export interface CommitInfo {
  timestamp?: number;
  inCommitTimestamp?: number;
  operation?: string;
  operationParameters?: Record<string, unknown>;
  operationMetrics?: Record<string, unknown>;
  engineInfo?: string;
  [key: string]: unknown;
}

export interface DomainMetadataAction {
  domain: string;
  configuration: string;
  removed: boolean;
}

export interface SidecarAction {
  path: string;
  sizeInBytes: number;
  modificationTime: number;
}

/** One line of a commit (or one row of a checkpoint): exactly one field is set. */
export interface Action {
  protocol?: ProtocolAction;
  metaData?: MetadataAction;
  add?: AddAction;
  remove?: RemoveAction;
  txn?: TxnAction;
  commitInfo?: CommitInfo;
  domainMetadata?: DomainMetadataAction;
  sidecar?: SidecarAction;
  checkpointMetadata?: { version: number; tags?: Record<string, string> };
  cdc?: { path: string; partitionValues: Record<string, string | null>; size: number; dataChange: boolean };
}
