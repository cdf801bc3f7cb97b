// Why a compiler cannot be used: not there, or it does not answer as a compiler
// should. These are the user's to fix (replibuild.toml, $CXX, the install), so they
// cross the wire typed, never as an "internal error", and come back as themselves.
import { RpcError } from '../rpc/jsonrpc.js';
import { ErrorCode } from '../protocol/error-codes.js';

export class CompilerNotFoundError extends Error {
  constructor(
    readonly command: string,
    readonly detail: string,
  ) {
    super(
      `compiler "${command}" not found: ${detail}. ` +
        `Install it, or set [compiler] cxx in replibuild.toml to its full path.`,
    );
    this.name = 'CompilerNotFoundError';
  }
}

export class CompilerProbeError extends Error {
  constructor(
    readonly path: string,
    readonly detail: string,
    /** The probe ran past its time limit (it was killed), rather than failing. */
    readonly timedOut = false,
  ) {
    super(`cannot identify compiler ${path}: ${detail}`);
    this.name = 'CompilerProbeError';
  }
}

export type CompilerError = CompilerNotFoundError | CompilerProbeError;

interface WireData {
  kind: 'not-found' | 'probe';
  command: string;
  detail: string;
  timed_out?: boolean;
}

/** The error as the compilation daemon answers it; null for any other error. */
export function compilerErrorToRpc(e: unknown): RpcError | null {
  if (e instanceof CompilerNotFoundError) {
    return new RpcError(ErrorCode.CompilerUnusable, e.message, { kind: 'not-found', command: e.command, detail: e.detail } satisfies WireData);
  }
  if (e instanceof CompilerProbeError) {
    return new RpcError(ErrorCode.CompilerUnusable, e.message, { kind: 'probe', command: e.path, detail: e.detail, timed_out: e.timedOut } satisfies WireData);
  }
  return null;
}

/** The typed error back from a daemon's answer; null when it is not one. */
export function compilerErrorFromRpc(e: unknown): CompilerError | null {
  if (!(e instanceof RpcError) || e.code !== ErrorCode.CompilerUnusable) return null;
  const d = e.data as Partial<WireData> | undefined;
  const command = typeof d?.command === 'string' ? d.command : '';
  const detail = typeof d?.detail === 'string' ? d.detail : e.message;
  return d?.kind === 'not-found' ? new CompilerNotFoundError(command, detail) : new CompilerProbeError(command, detail, d?.timed_out === true);
}
