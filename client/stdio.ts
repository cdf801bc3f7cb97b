// The build's output streams. process.stdout is a stream object made on first use: a
// SyncWriteStream over a file, a net.Socket over a pipe, a tty.WriteStream over a
// terminal, each loading Node's stream modules (and net for the last two), ~1.1 ms of
// CPU on every build's path (`node -e 'process.stdout.write("x")'` against
// `fs.writeSync(1, "x")`, both into a file, interleaved). Into a file or a pipe the
// build's lines are written straight to the descriptor instead, as SyncWriteStream does;
// a terminal (or any other character device) still gets Node's stream, which knows its
// width and colours.

import { fstatSync, writeSync } from 'node:fs';

/** What the build's output writes to: process.stdout and process.stderr fit it. */
export interface TextOut {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

const EAGAIN_WAIT_MS = 1;
const EAGAIN_LIMIT_MS = 10_000;

/** Writes all of `text` to `fd`. A descriptor another program made non-blocking can
 *  refuse a write for a moment (EAGAIN): waited for, a bounded while. A reader gone
 *  (EPIPE) loses the output, not the build. */
function writeAll(fd: number, text: string): void {
  let bytes = Buffer.from(text);
  let waited = 0;
  while (bytes.length > 0) {
    try {
      bytes = bytes.subarray(writeSync(fd, bytes));
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'EAGAIN' && waited < EAGAIN_LIMIT_MS) {
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, EAGAIN_WAIT_MS);
        waited += EAGAIN_WAIT_MS;
        continue;
      }
      if (code === 'EPIPE') return;
      throw e;
    }
  }
}

function direct(fd: 1 | 2): TextOut | null {
  try {
    const st = fstatSync(fd);
    if (!st.isFile() && !st.isFIFO() && !st.isSocket()) return null;
  } catch {
    return null; // closed, say: Node's stream says what is wrong, as before
  }
  return { write: (text: string) => writeAll(fd, text) };
}

let out: TextOut | undefined;
let err: TextOut | undefined;

export function stdout(): TextOut {
  return (out ??= direct(1) ?? process.stdout);
}

export function stderr(): TextOut {
  return (err ??= direct(2) ?? process.stderr);
}
