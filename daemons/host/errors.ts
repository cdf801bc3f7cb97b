// Errors the CLI shows to users: each says what went wrong and what to do.
import { ConnectionClosedError } from '../../rpc/client.js';

/** An error whose message is meant for the user as is; the CLI prints it without a stack. */
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

export class NotAProjectError extends UserError {
  constructor(start: string) {
    super(`no replibuild.toml in ${start} or any directory above it (create one, or pass -C DIR)`);
    this.name = 'NotAProjectError';
  }
}

export class DaemonUnavailableError extends UserError {
  constructor(
    readonly daemon: string,
    readonly detail: string,
    /** What connecting failed with, when it got that far. */
    readonly cause?: unknown,
  ) {
    super(`${daemon} daemon is not reachable: ${detail} (run \`replibuild start\`, or \`replibuild status\` to see why)`);
    this.name = 'DaemonUnavailableError';
  }
}

export class VersionMismatchError extends UserError {
  constructor(daemon: string, daemonVersion: string, clientVersion: string) {
    super(
      `${daemon} daemon runs replibuild ${daemonVersion}, this client is ${clientVersion}: ` +
        'restart the daemons with `replibuild stop && replibuild start`',
    );
    this.name = 'VersionMismatchError';
  }
}

/** The daemon could not be reached, or the connection to it dropped: work it was
 *  doing can be done in-process instead. Any other error is the work's own. */
export function isDaemonUnreachable(e: unknown): boolean {
  return e instanceof DaemonUnavailableError || e instanceof ConnectionClosedError;
}
