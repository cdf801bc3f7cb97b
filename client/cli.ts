#!/usr/bin/env node
// The `replibuild` command. Each command's module is imported when it runs,
// and a plain `compile` does not even load the argument parser: start-up is on
// every build's path.
// First: it records the directory the user ran the command in, before any -C moves us.
import './entering-directory.js';
import { JobsArgumentError, parseCompileArgs, parseJobs, takeLeadingDirs } from './fast-argv.js';
import { isUserError, UserError } from '../daemons/common/user-error.js';

// bin/replibuild moved NODE_EXTRA_CA_CERTS aside so this process starts without
// loading certificates; the processes we start get it back.
const savedCa = process.env.REPLIBUILD_NODE_EXTRA_CA_CERTS;
if (savedCa !== undefined) {
  process.env.NODE_EXTRA_CA_CERTS = savedCa;
  delete process.env.REPLIBUILD_NODE_EXTRA_CA_CERTS;
}

type Runner = () => Promise<number>;

/** `replibuild -C DIR COMMAND`: move there first, as make and ninja do. */
async function enterLeadingDirs(args: string[]): Promise<string[]> {
  const lead = takeLeadingDirs(args);
  if (!lead) throw new UserError('-C needs a directory: replibuild -C DIR COMMAND', 2);
  for (const d of lead.dirs) {
    try {
      process.chdir(d);
    } catch (e) {
      const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (e as Error).message;
      throw new UserError(`-C ${d}: ${why}`, 2);
    }
  }
  return lead.rest;
}

async function main(argv: string[]): Promise<number> {
  const args = argv[2]?.startsWith('-C') || argv[2]?.startsWith('--dir') ? await enterLeadingDirs(argv.slice(2)) : argv.slice(2);
  const fast = parseCompileArgs(args);
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
    .showHelpAfterError('(replibuild --help lists the commands; replibuild COMMAND --help its options)')
    .exitOverride()
    .addHelpText('after', '\nEvery command takes -C DIR, before it as make and ninja take it (replibuild -C DIR compile) or after it.');

  const dirOpt = () => new Option('-C, --dir <dir>', 'run in the project at or above DIR');
  // Every command that builds or reads a build's outputs takes it, the same way.
  const profileOpt = () =>
    new Option('--profile <name>', 'build profile, [profiles.NAME] of replibuild.toml (default: [project] default_profile); builds in <build_dir>-NAME');
  const jobsOpt = () =>
    new Option('-j, --jobs [n]', 'compile jobs at once (default: parallel_jobs; a bare -j: one per core)').preset('').argParser(parseJobs);

  program
    .command('init [source_dir...]')
    .usage('[-C DIR] [--from-cmake [SOURCE_DIR] [-- CMAKE_ARGS...]]')
    .description('write a replibuild.toml (from a scan of the tree, or from CMake) and a daemon_config.toml with free ports; never overwrites')
    .addOption(new Option('-C, --dir <dir>', 'the project dir to write into (default: the current dir)'))
    .option('--from-cmake', "import the CMake project at SOURCE_DIR (default: the project dir) through CMake's file API; CMake's own arguments go after --")
    .action((operands: string[], o) => {
      // Commander hands over the operands after `--` with the others: those are CMake's.
      const dd = argv.indexOf('--');
      const cmakeArgs = dd >= 0 ? argv.slice(dd + 1) : [];
      const paths = operands.slice(0, operands.length - cmakeArgs.length);
      later(async () => (await import('./commands/init.js')).run({ ...o, paths, cmakeArgs }));
    });

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
    .addOption(jobsOpt())
    .option('-k, --keep-going', 'keep building other files after an error')
    .option('-v, --verbose', 'print each command')
    .option('--no-daemon', 'build in-process, without the daemons (as CI=true does)')
    .option('--json', 'print only a JSON summary on stdout')
    .option('--explain', 'then say why each TU and link was rebuilt (as `replibuild why` does)')
    .addOption(profileOpt())
    .action((targets, o) => later(async () => (await import('./commands/compile.js')).run({ ...o, targets })));

  program
    .command('why [file]')
    .description('why each TU and link of the last build was rebuilt (or FILE: a source, object, output or changed header)')
    .addOption(dirOpt())
    .option('-b, --build <build>', 'an older build: its id, or last-1, last-2, ...', 'last')
    .addOption(profileOpt())
    .action((file, o) => later(async () => (await import('./commands/why.js')).run({ ...o, file })));

  program
    .command('report [build]')
    .description('write an HTML page of a build (default: the last): job lanes, critical path, hit rate, slowest TUs, costly headers')
    .addOption(dirOpt())
    .option('--trace', 'write Chrome trace-event JSON instead (Perfetto, chrome://tracing)')
    .option('--open', 'open what was written (xdg-open)')
    .addOption(profileOpt())
    .action((build, o) => later(async () => (await import('./commands/report.js')).run({ ...o, build })));

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
    .addOption(jobsOpt())
    .option('-k, --keep-going', 'keep building other files after an error')
    .option('-v, --verbose', 'print each command')
    .option('--debounce <ms>', 'quiet time after the last save before building', (v) => Number(v), 100)
    .addOption(profileOpt())
    .action((targets, o) => later(async () => (await import('./commands/watch.js')).run({ ...o, targets })));

  const cache = program.command('cache').description("the compile cache shared by all your projects (~/.replibuild/cache, or REPLIBUILD_CACHE_DIR)");
  const cacheAction = (action: string, description: string, json = false) => {
    const c = cache.command(action).description(description).addOption(dirOpt());
    if (json) c.option('--json', 'one JSON object on stdout');
    if (action === 'stats') c.option('-z, --zero', 'set every counter to zero (the cache itself is kept)');
    c.action((o) => later(async () => (await import('./commands/cache.js')).run({ ...o, action })));
  };
  cacheAction('stats', 'hits, misses, uncacheable by reason, errors, evictions, size, hit rate', true);
  cacheAction('clear', 'remove every cached object and link');
  cacheAction('dir', 'print the cache directory');
  cacheAction('verify', 'check every entry and remove corrupt ones');
  cacheAction('cleanup', 'evict beyond max_cache_size (least recently used first) and past cache_ttl');

  try {
    await program.parseAsync(args, { from: 'user' });
  } catch (e) {
    // Ours (from an option's parser): printed as any user error is.
    if (e instanceof JobsArgumentError) throw e;
    const code = (e as { exitCode?: number }).exitCode;
    return typeof code === 'number' ? (code === 0 ? 0 : 2) : 2;
  }
  if (!exec) {
    program.outputHelp();
    return 2;
  }
  return (exec as Runner)();
}

/** Ends the process now that main has settled: every command has awaited its own work
 *  by then, and a natural exit would tear the whole heap and isolate down first (about
 *  half a millisecond of CPU, on every build's path). Only on Linux, where a write to
 *  stdout or stderr (a file, a pipe or a terminal) has completed when it returns; where
 *  Node may still be writing to a pipe (macOS), the exit code is set and Node drains. */
function exitWhenFlushed(code: number): void {
  process.exitCode = code;
  if (process.platform === 'linux') process.exit(code);
}

main(process.argv).then(exitWhenFlushed, (e: unknown) => {
  if (isUserError(e)) {
    console.error(`replibuild: ${e.message}`);
    exitWhenFlushed(e.exitCode);
  } else {
    console.error(`replibuild: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    exitWhenFlushed(70);
  }
});
