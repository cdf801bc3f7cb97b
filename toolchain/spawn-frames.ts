// The spawn helper's frames (native/spawn-helper.c says the layout): a request to start
// a program, and the helper's answers (started, could not start, ended). Pure encoding;
// spawner.ts owns the helper process.

import { constants as osConstants } from 'node:os';

export interface SpawnRequest {
  id: number;
  program: string;
  args: readonly string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export type HelperAnswer =
  | { kind: 'started'; id: number; pid: number }
  | { kind: 'failed'; id: number; error: NodeJS.ErrnoException }
  | { kind: 'ended'; id: number; code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string };

/** A request frame: its length, then the id and the NUL-terminated strings. */
export function encodeRequest(r: SpawnRequest): Buffer {
  const strings: string[] = [r.program, r.cwd];
  const env: string[] = [];
  for (const [k, v] of Object.entries(r.env)) if (v !== undefined) env.push(`${k}=${v}`);
  let size = 4 + 4 + 4 + 4; // length, id, argc, envc
  for (const s of [...strings, ...r.args, ...env]) {
    // As Node's spawn refuses them: a NUL would end the string early in the frame.
    if (s.includes('\0')) throw new TypeError(`a program, argument or environment string holds a NUL byte: ${JSON.stringify(s)}`);
    size += Buffer.byteLength(s) + 1;
  }
  const b = Buffer.allocUnsafe(size);
  let at = b.writeUInt32LE(size - 4, 0);
  at = b.writeUInt32LE(r.id, at);
  const put = (s: string) => {
    at += b.write(s, at);
    at = b.writeUInt8(0, at);
  };
  strings.forEach(put);
  at = b.writeUInt32LE(r.args.length, at);
  r.args.forEach(put);
  at = b.writeUInt32LE(env.length, at);
  env.forEach(put);
  return b;
}

const ERRNO_NAMES = new Map(Object.entries(osConstants.errno).map(([name, n]) => [n, name]));
const SIGNAL_NAMES = new Map(Object.entries(osConstants.signals).map(([name, n]) => [n, name as NodeJS.Signals]));

/** An error as Node's spawn gives it (`spawn PROGRAM ENOENT`), for an errno the helper sent. */
function spawnError(program: string, errno: number): NodeJS.ErrnoException {
  const code = ERRNO_NAMES.get(errno) ?? `E${errno}`;
  return Object.assign(new Error(`spawn ${program} ${code}`), { code, errno: -errno, syscall: `spawn ${program}`, path: program });
}

/** Splits the helper's output into answers; `programOf` names a run's program for its errors. */
export class AnswerDecoder {
  /** What arrived and is not decoded yet, in pieces: joined only once a whole frame is
   *  in, so a program's big output arriving 64 KB at a time is copied once, not per chunk. */
  private parts: Buffer[] = [];
  private size = 0;

  constructor(private readonly programOf: (id: number) => string) {}

  *feed(chunk: Buffer): Generator<HelperAnswer> {
    this.parts.push(chunk);
    this.size += chunk.length;
    while (this.size >= 4) {
      const head = this.parts[0]!.length >= 4 ? this.parts[0]! : this.joined();
      const len = head.readUInt32LE(0);
      if (this.size - 4 < len) return;
      const all = this.joined();
      yield this.decode(all.subarray(4, 4 + len));
      const rest = all.subarray(4 + len);
      this.parts = rest.length ? [rest] : [];
      this.size = rest.length;
    }
  }

  private joined(): Buffer {
    const b = this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
    this.parts = [b];
    return b;
  }

  private decode(f: Buffer): HelperAnswer {
    const id = f.readUInt32LE(1);
    switch (String.fromCharCode(f[0]!)) {
      case 'S':
        return { kind: 'started', id, pid: f.readUInt32LE(5) };
      case 'F':
        return { kind: 'failed', id, error: spawnError(this.programOf(id), f.readUInt32LE(5)) };
      default: {
        const status = f.readUInt32LE(5);
        const outLen = f.readUInt32LE(9);
        const stdout = f.toString('utf8', 13, 13 + outLen);
        const errLen = f.readUInt32LE(13 + outLen);
        const stderr = f.toString('utf8', 17 + outLen, 17 + outLen + errLen);
        // The wait status as the W* macros read it: a signal in the low 7 bits, else the code.
        const sig = status & 0x7f;
        return sig === 0
          ? { kind: 'ended', id, code: (status >> 8) & 0xff, signal: null, stdout, stderr }
          : { kind: 'ended', id, code: null, signal: SIGNAL_NAMES.get(sig) ?? 'SIGKILL', stdout, stderr };
      }
    }
  }
}
