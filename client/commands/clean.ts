import { runClean } from '../build-client.js';
import { resolveProject } from '../project.js';
import { UnknownProfileError } from '../../config/profiles.js';
import { UserError } from '../../daemons/common/user-error.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { RpcError } from '../../rpc/jsonrpc.js';

export interface CleanArgs {
  dir?: string;
  daemon?: boolean;
  profile?: string;
}

export async function run(args: CleanArgs): Promise<number> {
  const root = resolveProject(args.dir);
  let removed: string;
  try {
    ({ removed } = await runClean(root, args.profile ?? '', { noDaemon: args.daemon === false, onEvent: () => {} }));
  } catch (e) {
    if (e instanceof UnknownProfileError || (e instanceof RpcError && e.code === ErrorCode.UnknownProfile)) throw new UserError(e.message, 2);
    throw e;
  }
  console.log(`removed ${removed}/ and its build state`);
  return 0;
}
