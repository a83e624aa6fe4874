// What a table folder's files are: the names Delta writers give data files and deletion vectors.

/** Data files and deletion vectors as Delta writers name them (`part-....parquet`, `deletion_vector_<uuid>.bin`). */
export function looksLikeData(key: string): boolean {
  const name = key.slice(key.lastIndexOf('/') + 1);
  return /\.parquet$/i.test(name) || /^deletion_vector_[0-9a-f-]+\.bin$/i.test(name);
}
