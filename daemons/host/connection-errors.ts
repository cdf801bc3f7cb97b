// Why a project's daemon could not be used: it is not there, or it runs another
// version. Both are the user's to act on (start or restart the daemons).
import { ConnectionClosedError } from '../../rpc/client.js';
import { UserError } from '../common/user-error.js';

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
