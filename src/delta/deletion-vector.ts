// TEMPORARY shim until the real deletion-vector reader lands (being written now).
import { StrataError } from '../core/index.js';
import type { ObjectStore } from '../storage/index.js';
export interface DeletionVectorDescriptor { storageType: string; pathOrInlineDv: string; offset?: number; sizeInBytes: number; cardinality: number; maxRowIndex?: number }
export function dvUniqueId(dv: DeletionVectorDescriptor): string {
  return `${dv.storageType}${dv.pathOrInlineDv}${dv.offset !== undefined && dv.offset !== null ? `@${dv.offset}` : ''}`;
}
export async function readDeletionVector(_store: ObjectStore, _dv: DeletionVectorDescriptor, table: string): Promise<BigUint64Array> {
  throw new StrataError('DELETION_VECTOR_INVALID', `table ${table}: deletion vectors not readable yet`);
}
