// Issue 10, item 8: what the token allows. Real daemons, a raw authenticated
// connection, and requests no build would make: each is refused with its own error
// code, nothing is read, written or run, and the daemon stays up. The requests a
// build makes (and headers in configured include dirs, wherever they lie, including
// one added to replibuild.toml while the daemons run) still pass.
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RpcConnection } from '../../rpc/client.js';
import { loadProjectConfig } from '../../config/project-config.js';
import { configForProfile } from '../../config/profiles.js';
import { compileJobFor } from '../../toolchain/compile-args.js';
import { pchBuildJob, withPch } from '../../toolchain/pch-jobs.js';
import type { CompileJob } from '../../protocol/build.js';
import { commonTable, compilationTable, discoveryTable } from '../../protocol/methods.js';
import { proxy } from '../../rpc/methods.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import type { DaemonName } from '../../config/daemon-names.js';
import { cliSync, readRecordFile, type TestProject, projectsPerTest } from '../helpers/project.js';

const project = projectsPerTest();

const toml = (includeDirs: string[]) =>
  `[project]\nname = "t"\n\n[compiler]\ninclude_dirs = ${JSON.stringify(includeDirs)}\n\n` +
  `[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n`;

/** A project whose include dirs are one outside it, one inside, and one a symlink to outside. */
function setUp(): { p: TestProject; base: string } {
  const p = project({ 'src/main.cpp': '#include "e.h"\n#include "v.h"\n#include "l.h"\nint main() { return E + V + L; }\n' });
  const base = dirname(p.root);
  for (const [rel, text] of [['ext/e.h', '#define E 0\n'], ['ext2/l.h', '#define L 0\n'], ['ext3/n.h', '#define N 0\n']]) {
    mkdirSync(dirname(join(base, rel!)), { recursive: true });
    writeFileSync(join(base, rel!), text!);
  }
  p.write('include/v.h', '#define V 0\n');
  symlinkSync(join(base, 'ext2'), join(p.root, 'linked'));
  // A symlink inside the project that leads out of it: no way out for a request.
  symlinkSync('/etc', join(p.root, 'leak'));
  p.write('replibuild.toml', toml([join(base, 'ext'), 'include', 'linked']));
  return { p, base };
}

function build(p: TestProject): { ok: boolean; compiled: number; cached: number } {
  const r = cliSync(['compile', '--json'], p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

async function connect(p: TestProject, name: DaemonName): Promise<RpcConnection> {
  const token = readFileSync(join(p.root, '.replibuild/pids/token'), 'utf8').trim();
  return (await RpcConnection.open(readRecordFile(p.root, name)!.port, token)).conn;
}

/** The error code a call fails with (null: it succeeded). */
async function refusal(call: Promise<unknown>): Promise<{ code: number | null; message: string }> {
  try {
    await call;
    return { code: null, message: '' };
  } catch (e) {
    if (!(e instanceof RpcError)) throw e;
    return { code: e.code, message: e.message };
  }
}

async function stillUp(conn: RpcConnection, p: TestProject, name: DaemonName, pid: number): Promise<void> {
  expect(await proxy(commonTable, conn).ping()).toMatchObject({ name, pid });
  expect(readRecordFile(p.root, name)!.pid).toBe(pid);
}

describe('request confinement (issue 10, item 8)', () => {
  it('discovery hashes only files of the project, its include dirs, build dir and cache', async () => {
    const { p, base } = setUp();
    expect(cliSync(['start'], p).code).toBe(0);
    const pid = readRecordFile(p.root, 'discovery')!.pid;
    const conn = await connect(p, 'discovery');
    try {
      const hash = (paths: string[]) => proxy(discoveryTable, conn).hash_many({ paths });
      for (const bad of [['../../etc/shadow'], ['/etc/passwd'], ['leak/passwd'], ['src/main.cpp', '/etc/hostname']]) {
        const r = await refusal(hash(bad));
        expect(r.code, `hash_many ${bad.join(', ')}`).toBe(ErrorCode.PathOutsideProject);
        expect(r.message).toContain(bad[bad.length - 1]);
      }
      await stillUp(conn, p, 'discovery', pid);

      // Inside, outside (configured), through a configured symlink, in the cache: allowed.
      mkdirSync(p.cacheDir, { recursive: true, mode: 0o700 });
      writeFileSync(join(p.cacheDir, 'probe'), 'x');
      const ok = await hash(['src/main.cpp', 'include/v.h', join(base, 'ext/e.h'), 'linked/l.h', join(p.cacheDir, 'probe'), 'build/none.o']);
      expect(ok.hashes.slice(0, 5).every((h) => typeof h === 'string' && /^[0-9a-f]{64}$/.test(h))).toBe(true);
      expect(ok.hashes[5]).toBeNull();

      // An include dir added to replibuild.toml is allowed at once, without a restart.
      const n = join(base, 'ext3/n.h');
      expect((await refusal(hash([n]))).code).toBe(ErrorCode.PathOutsideProject);
      p.write('replibuild.toml', toml([join(base, 'ext'), 'include', 'linked', join(base, 'ext3')]));
      expect((await hash([n])).hashes[0]).toMatch(/^[0-9a-f]{64}$/);
      await stillUp(conn, p, 'discovery', pid);
    } finally {
      conn.close();
    }
  });

  it('precompiled headers: only the PCH compiles and PCH users that pch-plan derives pass', async () => {
    const { p } = setUp();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(build(p)).toMatchObject({ ok: true });
    const config = loadProjectConfig(p.root);
    const legit: CompileJob = compileJobFor(config, config.targets[0]!, 'src/main.cpp');
    const header = 'build/.pch/app/0123456789abcdef.h';
    p.write(header, '#include <cstddef>\n');
    const conn = await connect(p, 'compilation');
    const compile = (job: CompileJob) => proxy(compilationTable, conn).compile({ job });
    try {
      // As derived: the PCH's compile, and a user with its -include.
      expect((await compile(pchBuildJob(legit, header))).outcome).toBe('compiled');
      expect((await compile(withPch(legit, header, `${header}.gch`))).outcome).toBe('compiled');
      // Anything else is refused: another header name, another target's dir, extra
      // arguments, a forced include of any other file.
      for (const other of ['build/.pch/app/evil.h', 'build/.pch/other/0123456789abcdef.h', 'src/main.cpp']) {
        // (src/main.cpp.gch is outside the build dir: refused for that first.)
        expect((await refusal(compile(pchBuildJob(legit, other)))).code, other).not.toBeNull();
        expect((await refusal(compile(withPch(legit, other, `${other}.gch`)))).code, other).toBe(ErrorCode.JobNotInConfig);
      }
      const built = pchBuildJob(legit, header);
      expect((await refusal(compile({ ...built, args: [...built.args, '-fplugin=x.so'] }))).code).toBe(ErrorCode.JobNotInConfig);
      const user = withPch(legit, header, `${header}.gch`);
      expect((await refusal(compile({ ...user, pch: 'build/.pch/app/fedcba9876543210.h.gch' }))).code).toBe(ErrorCode.JobNotInConfig);
      expect((await refusal(compile({ ...legit, pch: `${header}.gch` }))).code).toBe(ErrorCode.JobNotInConfig);
    } finally {
      conn.close();
    }
  });

  it('compilation runs only the compiles replibuild.toml gives, with its compiler, writing into the build dir', async () => {
    const { p, base } = setUp();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
    const pid = readRecordFile(p.root, 'compilation')!.pid;
    const config = loadProjectConfig(p.root);
    const legit: CompileJob = compileJobFor(config, config.targets[0]!, 'src/main.cpp');
    const conn = await connect(p, 'compilation');
    const compilation = proxy(compilationTable, conn);
    const compile = (job: CompileJob) => compilation.compile({ job });
    try {
      // The job a build sends passes.
      expect((await compile(legit)).outcome).not.toBe('failed');

      // An object or depfile outside the project.
      const out = join(base, 'x.o');
      let r = await refusal(compile({ ...legit, object: out, depfile: join(base, 'x.d') }));
      expect(r.code).toBe(ErrorCode.PathOutsideProject);
      expect(r.message).toContain(out);
      expect(existsSync(out)).toBe(false);

      // Another program as the compiler: a shell, a script, or distcc (a wrapper only the
      // daemon itself adds, for its configured hosts); none runs.
      const ran = join(base, 'ran');
      const script = join(base, 'evil.sh');
      writeFileSync(script, `#!/bin/sh\ntouch ${ran}\necho 12\n`);
      chmodSync(script, 0o755);
      for (const program of ['/bin/sh', script, 'distcc']) {
        r = await refusal(compile({ ...legit, compiler: program }));
        expect(r.code, program).toBe(ErrorCode.ProgramNotAllowed);
        expect(r.message).toContain(program);
        expect((await refusal(compilation.identity({ compiler: program, cwd: p.root }))).code).toBe(ErrorCode.ProgramNotAllowed);
      }
      expect(existsSync(ran)).toBe(false);

      // A link writing outside: the compile's own arguments, without -c, handing ld an output.
      const linked = join(base, 'linked.bin');
      const args = [...legit.args.filter((a) => a !== '-c'), `-Wl,-o,${linked}`];
      r = await refusal(compile({ ...legit, args }));
      expect(r.code).toBe(ErrorCode.JobNotInConfig);
      // Nor a plugin, or a source no target has.
      r = await refusal(compile({ ...legit, args: [...legit.args, `-fplugin=${join(base, 'p.so')}`] }));
      expect(r.code).toBe(ErrorCode.JobNotInConfig);
      r = await refusal(compile({ ...legit, source: '/etc/passwd' }));
      expect(r.code).toBe(ErrorCode.PathOutsideProject);
      expect(existsSync(linked)).toBe(false);

      // The build dir's object dir swapped for a symlink out of the project.
      const away = join(base, 'away');
      mkdirSync(away);
      rmSync(join(p.root, 'build/obj/app/src'), { recursive: true, force: true });
      symlinkSync(away, join(p.root, 'build/obj/app/src'));
      r = await refusal(compile(legit));
      expect(r.code).toBe(ErrorCode.PathOutsideProject);
      expect(existsSync(join(away, 'main.cpp.o'))).toBe(false);
      rmSync(join(p.root, 'build/obj/app/src'));

      // replibuild.toml edited while a build runs: the jobs of the new config pass at once,
      // and those of the config the build began with still do.
      p.write('replibuild.toml', toml([join(base, 'ext'), 'include', 'linked']).replace('[compiler]\n', '[compiler]\ndefines = ["EXTRA=1"]\n'));
      const edited = loadProjectConfig(p.root);
      const next = compileJobFor(edited, edited.targets[0]!, 'src/main.cpp');
      expect(next.args).toContain('-DEXTRA=1');
      expect((await compile(next)).outcome).not.toBe('failed');
      expect((await compile(legit)).outcome).not.toBe('failed');

      await stillUp(conn, p, 'compilation', pid);
    } finally {
      conn.close();
    }
    // And the build goes on as before, through the daemons.
    p.write('src/main.cpp', readFileSync(join(p.root, 'src/main.cpp'), 'utf8') + '// edited\n');
    expect(build(p).ok).toBe(true);
    expect(readRecordFile(p.root, 'compilation')!.pid).toBe(pid);
  });

  it("every profile's compiles pass, each only as its profile gives it and into its own build dir", async () => {
    const { p } = setUp();
    expect(cliSync(['start'], p).code).toBe(0);
    expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
    const debug = loadProjectConfig(p.root);
    const release = configForProfile(debug, 'release');
    const ofDebug = compileJobFor(debug, debug.targets[0]!, 'src/main.cpp');
    const ofRelease = compileJobFor(release, release.targets[0]!, 'src/main.cpp');
    expect(ofRelease.object).toBe('build-release/obj/app/src/main.cpp.o');
    const conn = await connect(p, 'compilation');
    const compile = (job: CompileJob) => proxy(compilationTable, conn).compile({ job });
    try {
      expect((await compile(ofRelease)).outcome).not.toBe('failed');
      expect(existsSync(join(p.root, ofRelease.object))).toBe(true);
      // One profile's arguments with the other's outputs: no profile gives that job.
      for (const crossed of [{ ...ofRelease, args: ofDebug.args }, { ...ofDebug, args: ofRelease.args }]) {
        expect((await refusal(compile(crossed))).code).toBe(ErrorCode.JobNotInConfig);
      }
      // A build dir no profile has.
      const r = await refusal(compile({ ...ofRelease, object: 'build-nope/main.o', depfile: 'build-nope/main.d' }));
      expect(r.code).toBe(ErrorCode.PathOutsideProject);
      expect(existsSync(join(p.root, 'build-nope'))).toBe(false);
    } finally {
      conn.close();
    }
  });

  it('a C source runs only with [compiler] cc and a C++ source only with cxx', async () => {
    const p = project({
      'replibuild.toml': '[project]\nname = "t"\n\n[compiler]\ncxx = "g++"\ncc = "gcc"\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp", "src/*.c"]\n',
      'src/main.cpp': 'extern "C" int c_part(void);\nint main() { return c_part(); }\n',
      'src/part.c': 'int c_part(void) { return 0; }\n',
    });
    expect(cliSync(['start'], p).code).toBe(0);
    expect(build(p)).toMatchObject({ ok: true, compiled: 2 });
    const config = loadProjectConfig(p.root);
    const cJob = compileJobFor(config, config.targets[0]!, 'src/part.c');
    const cxxJob = compileJobFor(config, config.targets[0]!, 'src/main.cpp');
    expect([cJob.compiler, cxxJob.compiler]).toEqual(['gcc', 'g++']);
    const conn = await connect(p, 'compilation');
    const compilation = proxy(compilationTable, conn);
    try {
      expect((await compilation.compile({ job: cJob })).outcome).not.toBe('failed');
      expect((await compilation.compile({ job: cxxJob })).outcome).not.toBe('failed');
      // Each the other's compiler: both are the project's, neither is allowed for that source.
      let r = await refusal(compilation.compile({ job: { ...cJob, compiler: 'g++' } }));
      expect(r.code).toBe(ErrorCode.ProgramNotAllowed);
      expect(r.message).toContain("the project's C compiler is gcc");
      r = await refusal(compilation.compile({ job: { ...cxxJob, compiler: 'gcc' } }));
      expect(r.code).toBe(ErrorCode.ProgramNotAllowed);
      expect(r.message).toContain("the project's C++ compiler is g++");
      // Another name for the very file is the same compiler.
      expect((await compilation.compile({ job: { ...cJob, compiler: join('/usr/bin', 'gcc') } })).outcome).not.toBe('failed');
      // Identity probes: either of the project's compilers, nothing else.
      await compilation.identity({ compiler: 'gcc', cwd: p.root });
      await compilation.identity({ compiler: 'g++', cwd: p.root });
      expect((await refusal(compilation.identity({ compiler: 'clang', cwd: p.root }))).code).toBe(ErrorCode.ProgramNotAllowed);
    } finally {
      conn.close();
    }
  });
});
