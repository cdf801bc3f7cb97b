// The base of every error whose message is meant for the user as is: it says what
// went wrong and what to do. The CLI prints such an error without a stack and
// exits with its code; any other error is a bug and is printed as one.
export class UserError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'UserError';
  }
}
