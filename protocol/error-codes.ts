// Every error code a daemon answers with: the JSON-RPC layer's own (rpc/error-codes.ts)
// and replibuild's, in one table so a caller names any of them the same way.
import { RpcErrorCode } from '../rpc/error-codes.js';

export const ErrorCode = {
  ...RpcErrorCode,
  /** The project configuration is invalid; data carries the ConfigIssue list. */
  ConfigInvalid: -32010,
  /** The build queue is full (queue_size). */
  QueueFull: -32011,
  /** The daemon is stopping and takes no new work. */
  ShuttingDown: -32013,
  /** A daemon this one depends on could not be reached. */
  DependencyUnavailable: -32014,
  /** The compiler is missing or does not answer; data: { kind, command, detail, timed_out }. */
  CompilerUnusable: -32015,
  /** The request names a build profile the project's config does not define. */
  UnknownProfile: -32016,
  /** A path in the request resolves (symlinks followed) outside the project, its
   *  configured include dirs, the build dir and the compile cache. */
  PathOutsideProject: -32020,
  /** The request names a program other than the compiler the project's config resolves. */
  ProgramNotAllowed: -32021,
  /** A compile job that is not one the project's config gives (other arguments or outputs). */
  JobNotInConfig: -32022,
} as const;
