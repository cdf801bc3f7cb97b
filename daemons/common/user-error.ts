// The base of every error whose message is meant for the user as is: it says what
// went wrong and what to do. The CLI prints such an error without a stack and
// exits with its code; any other error is a bug and is printed as one.

/** Marks a UserError whichever copy of this module made it: the CLI's entry bundle
 *  (scripts/bundle-cli.mjs) holds one, the modules it loads lazily another. */
const USER_ERROR = Symbol.for('replibuild.user-error');

export class UserError extends Error {
  readonly [USER_ERROR] = true;
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}

/** `e instanceof UserError`, across copies of this module. */
export function isUserError(e: unknown): e is UserError {
  return typeof e === 'object' && e !== null && (e as { [USER_ERROR]?: unknown })[USER_ERROR] === true;
}
