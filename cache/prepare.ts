// The first step of every compile through the cache: may it be cached at all, and
// under which direct-mode key.

import type { CompileJob } from '../protocol/build.js';
import type { RunnerIdentity } from '../toolchain/compile-runner.js';
import { analyzeArgs, analyzeEnv, debugDirForKey, type ArgsAnalysis } from './args.js';
import type { FileInfoCache } from './fs-snapshot.js';
import { directKey, type KeyContext } from './keys.js';
import { absLiteral } from './literal-paths.js';
import { recordedHash, type HeaderHasher } from './manifest.js';
import type { NotCacheable, Prepared } from './parts.js';
import { trimmableLru } from '../fs/bounded-lru.js';

const MAX_ARGS_MEMO = 4096;

export class TuPreparer {
  /** analyzeArgs, remembered per command line: a build asks the same few hundred
   *  times, and the analysis is a pure function of the arguments. One entry per TU:
   *  a build larger than the memo keeps only a window (bounded-lru.ts). */
  private readonly argsMemo = trimmableLru<string, ArgsAnalysis>(MAX_ARGS_MEMO, undefined, MAX_ARGS_MEMO / 32);

  constructor(
    private readonly files: FileInfoCache,
    private readonly env: NodeJS.ProcessEnv,
    private readonly hasher: HeaderHasher,
    private readonly customHasher: boolean,
  ) {}

  /** analyzeEnv's answer for the build of `envBuild`: the environment is read once per
   *  build rather than per TU (some thirty lookups through process.env's interceptor). */
  private envBuild: string | undefined;
  private envOfBuild: ReturnType<typeof analyzeEnv> | undefined;

  private analyzedEnv(buildId: string | undefined): ReturnType<typeof analyzeEnv> {
    if (buildId === undefined || buildId !== this.envBuild || !this.envOfBuild) {
      const now = analyzeEnv(this.env);
      // The same answer as before stays the same object: keys.ts' memo goes by it.
      if (!this.envOfBuild || !sameEnv(now, this.envOfBuild)) this.envOfBuild = now;
      this.envBuild = buildId;
    }
    return this.envOfBuild;
  }

  /** Drops memos that overflowed during the last build (bounded-lru.ts). */
  trimOverflowed(): void {
    this.argsMemo.dropIfOverflowed();
  }

  private analyze(job: CompileJob, identity: RunnerIdentity): ArgsAnalysis {
    const k = `${identity.kind}\0${job.source}\0${job.args.join('\0')}`;
    let a = this.argsMemo.get(k);
    if (!a) {
      a = analyzeArgs(job.args, job.source, identity.kind);
      this.argsMemo.set(k, a);
    }
    return a;
  }

  /** The compile's keys and source snapshot, or why it is not cacheable. */
  prepare(job: CompileJob, identity: RunnerIdentity): Prepared | NotCacheable {
    const args = this.analyze(job, identity);
    if (!args.cacheable) return { uncacheable: args.reason, detail: args.detail };
    const env = this.analyzedEnv(job.build_id);
    if ('cacheable' in env) return { uncacheable: env.reason, detail: env.detail };
    const srcAbs = absLiteral(job.cwd, args.source);
    // Lexed: the comment-blind hash, and the #include names for the precompiled-header check.
    const src = this.files.getSync(srcAbs, true);
    if (!src) return { uncacheable: 'no source file', detail: `${args.source} cannot be read` };
    if (src.facts.timeMacro) return { uncacheable: '__DATE__/__TIME__', detail: `${args.source} uses ${src.facts.timeMacro}` };
    const ctx: KeyContext = { compilerId: identity.cache_id, args, env, cwd: job.cwd, debugDir: debugDirForKey(args, job.cwd) };
    const srcHash = recordedHash(src, args.commentBlind);
    return {
      args,
      env,
      srcAbs,
      src,
      ctx,
      key1: directKey(ctx, srcHash),
      srcHash,
      // An injected hasher that cannot hash comment-blind gets plain header hashes.
      blind: args.commentBlind && (!this.customHasher || this.hasher.commentBlindHash !== undefined),
    };
  }
}

function sameEnv(a: ReturnType<typeof analyzeEnv>, b: ReturnType<typeof analyzeEnv>): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
