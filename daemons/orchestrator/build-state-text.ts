// The build state file's text (build-state.ts), made piece by piece as it is written.
// Version 2 stores each (header path, hash) pair once, in `files`, and objects name
// theirs by index (`h`).
import { PIECE_CHARS } from '../../fs/atomic-write.js';
import type { BuildStateData, FileHashRecord } from './build-state.js';

/** The state file's text (serializeBuildState) in pieces of about PIECE_CHARS, object by object: a
 *  20,000-TU state's text (and a copy of each record to stringify) is never whole. */
export function* buildStatePieces(data: BuildStateData, version: number): Generator<string> {
  const files: [string, string][] = [];
  const index = new Map<string, number>();
  // Most records are the one shared object per (path, hash) (FileTable): found by
  // identity, without building a key string for each of a big state's million headers.
  const byRecord = new Map<FileHashRecord, number>();
  const { objects, files: _files, version: _version, ...rest } = data as BuildStateData & { files?: unknown };
  let piece = `{"version":${version},"objects":{`;
  let first = true;
  for (const [k, o] of Object.entries(objects)) {
    const { headers, ...fields } = o;
    const h = headers.map((f) => {
      let i = byRecord.get(f);
      if (i !== undefined) return i;
      const key = `${f.path}\0${f.hash}`;
      i = index.get(key);
      if (i === undefined) {
        i = files.length;
        files.push([f.path, f.hash]);
        index.set(key, i);
      }
      byRecord.set(f, i);
      return i;
    });
    piece += `${first ? '' : ','}${JSON.stringify(k)}:${JSON.stringify({ ...fields, h })}`;
    first = false;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  piece += '}';
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) piece += `,${JSON.stringify(k)}:${JSON.stringify(v)}`;
  piece += ',"files":[';
  for (let i = 0; i < files.length; i++) {
    piece += `${i ? ',' : ''}${JSON.stringify(files[i])}`;
    if (piece.length >= PIECE_CHARS) {
      yield piece;
      piece = '';
    }
  }
  yield `${piece}]}`;
}
