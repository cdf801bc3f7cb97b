#!/usr/bin/env node
// The `replibuild` command. Each command's module is imported when it runs,
// and a plain `compile` does not even load the argument parser: start-up is on
// every build's path.
import { parseCompileArgs } from './fast-argv.js';

// bin/replibuild moved NODE_EXTRA_CA_CERTS aside so this process starts without
// loading certificates; the processes we start get it back.
const savedCa = process.env.REPLIBUILD_NODE_EXTRA_CA_CERTS;
if (savedCa !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = savedCa;
  delete process.env.REPLIBUILD_NODE_EXTRA_CA_CERTS;
}

type Runner = () => Promise<number>;

async function main(argv: string[]): Promise<number> {
  const fast = parseCompileArgs(argv.slice(2));
  if (fast) return (await import('./commands/compile.js')).run(fast);
  const { Command, Option } = await import('commander');
  const { VERSION } = await import('../protocol/messages.js');
  let exec: Runner | null = null;
  const later = (r: Runner): void => {
    exec = r;
  };
  const program = new Command('replibuild')
    .description('Incremental C++ build accelerator: daemons that watch, plan, compile and cache')
    .version(VERSION)
    .showHelpAfterError()
    .exitOverride();

  const dirOpt = () => new Option('-C, --dir <dir>', 'run in the project at or above DIR');
  // Every command that builds or reads a build's outputs takes it, the same way.
  const profileOpt = () =>
    new Option('--profile <name>', 'build profile, [profiles.NAME] of replibuild.toml (default: [project] default_profile); builds in <build_dir>-NAME');

  program
    .command('start')
    .description("start the project's daemons (setup, discovery, compilation, orchestrator)")
    .addOption(dirOpt())
    .option('--auto-ports', 'take any free ports instead of the configured ones (a second project beside the first)')
    .action((o) => later(async () => (await import('./commands/start.js')).run(o)));

  program
    .command('status')
    .description('state, pid, port, uptime, memory and CPU of each daemon, and what each reports')
    .addOption(dirOpt())
    .option('--json', 'one JSON object on stdout')
    .action((o) => later(async () => (await import('./commands/status.js')).run(o)));

  program
    .command('stop')
    .description("stop the project's daemons and everything they spawned")
    .addOption(dirOpt())
    .action((o) => later(async () => (await import('./commands/stop.js')).run(o)));

  program
    .command('ensure')
    .description('restart any enabled daemon that died or hangs')
    .addOption(dirOpt())
    .action((o) => later(async () => (await import('./commands/ensure.js')).run(o)));

  program
    .command('logs [name]')
    .description('print daemon logs (all, or one of setup, discovery, compilation, orchestrator)')
    .addOption(dirOpt())
    .option('-f, --follow', 'keep printing as the logs grow')
    .option('-n, --lines <n>', 'lines of each log to show', (v) => Number(v), 50)
    .action((name, o) => later(async () => (await import('./commands/logs.js')).run({ ...o, name })));

  program
    .command('compile [targets...]')
    .description('build the project (or the named targets and what they need), doing only what changed')
    .addOption(dirOpt())
    .option('-j, --jobs <n>', 'compile jobs at once (default: parallel_jobs)', (v) => Number(v))
    .option('-k, --keep-going', 'keep building other files after an error')
    .option('-v, --verbose', 'print each command')
    .option('--no-daemon', 'build in-process, without the daemons (as CI=true does)')
    .option('--json', 'print only a JSON summary on stdout')
    .addOption(profileOpt())
    .action((targets, o) => later(async () => (await import('./commands/compile.js')).run({ ...o, targets })));

  program
    .command('clean')
    .description('remove the build directory and the build state')
    .addOption(dirOpt())
    .option('--no-daemon', 'do it in-process')
    .addOption(profileOpt())
    .action((o) => later(async () => (await import('./commands/clean.js')).run(o)));

  program
    .command('run <target> [args...]')
    .description('build TARGET if needed and run it (arguments after --), then report its exit code and time')
    .addOption(dirOpt())
    .option('-v, --verbose', 'print each build command')
    .option('--no-daemon', 'build in-process')
    .addOption(profileOpt())
    .action((target, args, o) => later(async () => (await import('./commands/run.js')).run({ ...o, target, args })));

  program
    .command('watch [targets...]')
    .description('rebuild on every save (debounced), printing each result; Ctrl-C stops watching, not the daemons')
    .addOption(dirOpt())
    .option('-j, --jobs <n>', 'compile jobs at once', (v) => Number(v))
    .option('-k, --keep-going', 'keep building other files after an error')
    .option('-v, --verbose', 'print each command')
    .option('--debounce <ms>', 'quiet time after the last save before building', (v) => Number(v), 100)
    .addOption(profileOpt())
    .action((targets, o) => later(async () => (await import('./commands/watch.js')).run({ ...o, targets })));

  const cache = program.command('cache').description("the compile cache shared by all your projects (~/.replibuild/cache, or REPLIBUILD_CACHE_DIR)");
  const cacheAction = (action: string, description: string, json = false) => {
    const c = cache.command(action).description(description).addOption(dirOpt());
    if (json) c.option('--json', 'one JSON object on stdout');
    c.action((o) => later(async () => (await import('./commands/cache.js')).run({ ...o, action })));
  };
  cacheAction('stats', 'hits, misses, uncacheable by reason, errors, evictions, size, hit rate', true);
  cacheAction('clear', 'remove every cached object and link');
  cacheAction('dir', 'print the cache directory');
  cacheAction('verify', 'check every entry and remove corrupt ones');
  cacheAction('cleanup', 'evict beyond max_cache_size (least recently used first) and past cache_ttl');

  try {
    await program.parseAsync(argv);
  } catch (e) {
    const code = (e as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? (code === 0 ? 0 : 2) : 2;
  }
  if (!exec) {
    program.outputHelp();
    return 2;
  }
  return (exec as Runner)();
}

main(process.argv).then(
  (code) => {
    process.exitCode = code;
  },
  async (e: unknown) => {
    const { UserError } = await import('../daemons/common/user-error.js');
    if (e instanceof UserError) {
      console.error(`replibuild: ${e.message}`);
      process.exitCode = e.exitCode;
    } else {
      console.error(`replibuild: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      process.exitCode = 70;
    }
  },
);
