// Link results: after rm -rf build, executables and archives come back without
// running the linker or ar, runnable, and a changed input misses.

import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { LinkCache, archiverIdentity, type LinkJob } from '../../cache/link-cache.js';
import { cacache } from '../../cache/cacache-api.js';
import { storeKey } from '../../cache/tiers/local.js';
import { runInProcessGroup } from '../../toolchain/process-group.js';
import { StatCachingHasher } from '../../daemons/orchestrator/file-hasher.js';
import { OutputHashes } from '../../daemons/orchestrator/output-hashes.js';
import { compile, counts, cxxIdentity, setup, type Env } from './cache-fixtures.js';
import { stampKeyOf } from '../../fs/stat-stamp.js';
import { relative } from 'node:path';

let env: Env & { dispose(): void };
afterEach(() => env?.dispose());

function runner(tool: string, job: LinkJob, calls: { n: number }) {
  return async () => {
    calls.n++;
    const r = await runInProcessGroup(tool, job.args, { cwd: job.cwd });
    return { exit_code: r.exit_code, stderr: r.stderr };
  };
}

async function project(e: Env, answer = 42) {
  const { p, cache } = e;
  p.write('src/main.cpp', '#include <cstdio>\nint answer();\nint main() { std::printf("%d\\n", answer()); }\n');
  p.write('src/answer.cpp', `int answer() { return ${answer}; }\n`);
  await p.settle();
  await compile(cache, p.job('src/main.cpp', ['-O1'], 'build/obj/main.o'));
  await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
}

const appJob = (root: string): LinkJob => ({
  cwd: root,
  kind: 'executable',
  args: ['build/obj/main.o', 'build/obj/answer.o', '-o', 'build/app'],
  output: 'build/app',
  inputs: ['build/obj/main.o', 'build/obj/answer.o'],
});

/** A fresh cache with the two-object project compiled, its link job, link cache and compiler. */
async function appLink(opts?: Parameters<typeof setup>[0]) {
  env = await setup(opts);
  const { p, cache } = env;
  await project(env);
  return { p, cache, job: appJob(p.root), links: cache.linkCache(), id: await cxxIdentity() };
}

/** Rewrites build/obj/answer.o so that answer() is 7: another build writing under the linker. */
async function rewriteAnswer(p: Env['p'], cache: Env['cache']) {
  p.write('src/answer.cpp', 'int answer() { return 7; }\n');
  await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
}

/** The link ran on the rewritten object, and its result was kept out of the cache. */
async function expectLinkedNotStored(p: Env['p'], cache: Env['cache'], r: { exit_code: number }) {
  expect(r.exit_code).toBe(0);
  expect(execFileSync(p.path('build/app')).toString()).toBe('7\n');
  expect((await counts(cache)).raw.not_stored).toMatchObject({ 'changed during link': 1 });
}

/** The link just stored is found by a look-up that hashes the files: after rm of the
 *  output, it comes back without the linker and runs. */
async function expectRestoredWithoutLinker(p: Env['p'], links: LinkCache, job: LinkJob, id: Awaited<ReturnType<typeof cxxIdentity>>) {
  p.rm('build/app');
  const calls = { n: 0 };
  expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(true);
  expect(calls.n).toBe(0);
  expect(execFileSync(p.path('build/app')).toString()).toBe('42\n');
}

/** With the old object back, a "7" stored under its key would be served: it must not be. */
async function expectOldObjectRelinked(p: Env['p'], cache: Env['cache'], links: LinkCache, job: LinkJob, id: Awaited<ReturnType<typeof cxxIdentity>>, link: ReturnType<typeof runner>) {
  p.write('src/answer.cpp', 'int answer() { return 42; }\n');
  await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
  expect((await links.link(job, id, link)).cached).toBe(false);
  expect(execFileSync(p.path('build/app')).toString()).toBe('42\n');
}

describe('link cache', () => {
  it('restores an executable after rm -rf build without running the linker; it runs', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    mkdirSync(p.path('build/bin'), { recursive: true });
    const job: LinkJob = {
      cwd: p.root,
      kind: 'executable',
      args: ['build/obj/main.o', 'build/obj/answer.o', '-o', 'build/bin/app'],
      output: 'build/bin/app',
      inputs: ['build/obj/main.o', 'build/obj/answer.o'],
    };
    const links = new LinkCache(cache.store, cache.stats);
    const id = await cxxIdentity();
    const calls = { n: 0 };
    expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(false);
    const linked = p.read('build/bin/app');

    p.rm('build');
    await compile(cache, p.job('src/main.cpp', ['-O1'], 'build/obj/main.o'));
    await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
    const r = await links.link(job, id, runner('g++', job, calls));
    expect(r.cached).toBe(true);
    expect(calls.n).toBe(1);
    expect(p.read('build/bin/app').equals(linked)).toBe(true);
    expect(statSync(p.path('build/bin/app')).mode & 0o777).toBe(0o755);
    expect(execFileSync(p.path('build/bin/app')).toString()).toBe('42\n');
    expect((await counts(cache)).raw).toMatchObject({ link_hits: 1, link_misses: 1, direct_hits: 2 });
  });

  it('a whole-blob (v1) link result of an older cache is restored, then kept as header + content file', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    const job = appJob(p.root);
    const id = await cxxIdentity();
    const calls = { n: 0 };
    // Made without the local tier's content files: it stores the v1 blob, as older versions did.
    await new LinkCache(cache.store, cache.stats).link(job, id, runner('g++', job, calls));
    const linked = p.read('build/app');
    const objectEntries = async () => Object.keys(await cacache.ls(cache.layout.store)).filter((k) => k.startsWith(storeKey('object', ''))).length;
    const before = await objectEntries();

    const links = cache.linkCache();
    p.rm('build/app');
    expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(true);
    expect(p.read('build/app').equals(linked)).toBe(true);
    await cache.flush();
    // Rewritten in the local form at its first hit: its output is a content file of its own.
    expect(await objectEntries()).toBe(before + 1);
    p.rm('build/app');
    expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(true);
    expect(p.read('build/app').equals(linked)).toBe(true);
    expect(statSync(p.path('build/app')).mode & 0o777).toBe(0o755);
    expect(execFileSync(p.path('build/app')).toString()).toBe('42\n');
    expect(calls.n).toBe(1);
    expect((await counts(cache)).raw).toMatchObject({ link_hits: 2, link_misses: 1, errors: 0 });
  });

  it('a changed object misses', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    const job: LinkJob = {
      cwd: p.root,
      kind: 'executable',
      args: ['build/obj/main.o', 'build/obj/answer.o', '-o', 'build/app'],
      output: 'build/app',
      inputs: ['build/obj/main.o', 'build/obj/answer.o'],
    };
    const links = cache.linkCache();
    const id = await cxxIdentity();
    const calls = { n: 0 };
    await links.link(job, id, runner('g++', job, calls));
    p.write('src/answer.cpp', 'int answer() { return 7; }\n');
    await p.settle();
    await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
    expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(false);
    expect(execFileSync(p.path('build/app')).toString()).toBe('7\n');
  });

  it('caches a static archive made by ar, keyed on ar itself', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    const ar = await archiverIdentity('ar');
    const job: LinkJob = {
      cwd: p.root,
      kind: 'static',
      args: ['rcs', 'build/lib/libanswer.a', 'build/obj/answer.o'],
      output: 'build/lib/libanswer.a',
      inputs: ['build/obj/answer.o'],
    };
    mkdirSync(p.path('build/lib'), { recursive: true });
    const links = cache.linkCache();
    const calls = { n: 0 };
    await links.link(job, ar, runner('ar', job, calls));
    const archive = p.read(job.output);
    p.rm('build/lib');
    const r = await links.link(job, ar, runner('ar', job, calls));
    expect(r.cached).toBe(true);
    expect(p.read(job.output).equals(archive)).toBe(true);
    expect(statSync(p.path(job.output)).mode & 0o777).toBe(0o644);
    expect(calls.n).toBe(1);
  });

  it('does not store an archive ar updated in place', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    const ar = await archiverIdentity('ar');
    mkdirSync(p.path('build/lib'), { recursive: true });
    writeFileSync(p.path('build/lib/libx.a'), '!<arch>\n');
    const job: LinkJob = {
      cwd: p.root,
      kind: 'static',
      args: ['rcs', 'build/lib/libx.a', 'build/obj/answer.o'],
      output: 'build/lib/libx.a',
      inputs: ['build/obj/answer.o'],
    };
    const links = cache.linkCache();
    await links.link(job, ar, runner('ar', job, { n: 0 }));
    expect((await counts(cache)).raw.not_stored).toEqual({ 'archive updated in place': 1 });
  });

  it('does not cache a link that writes a map file', async () => {
    env = await setup();
    const { p, cache } = env;
    await project(env);
    const job: LinkJob = {
      cwd: p.root,
      kind: 'executable',
      args: ['build/obj/main.o', 'build/obj/answer.o', '-Wl,-Map=build/app.map', '-o', 'build/app'],
      output: 'build/app',
      inputs: ['build/obj/main.o', 'build/obj/answer.o'],
    };
    const r = await cache.linkCache().link(job, await cxxIdentity(), runner('g++', job, { n: 0 }));
    expect(r.cached).toBe(false);
    expect(r.uncacheable_reason).toMatch(/writes extra files/);
  });

  describe('with the orchestrator\'s hints', () => {
    const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

    it('freshInputs skips the look-up of a stored link but still stores the new one', async () => {
      const { cache, job, links, id } = await appLink();
      const calls = { n: 0 };
      await links.link(job, id, runner('g++', job, calls));
      // Stored, yet with freshInputs the linker runs again and no look-up is counted.
      const r = await links.link({ ...job, freshInputs: true }, id, runner('g++', job, calls));
      expect(r.cached).toBe(false);
      expect(calls.n).toBe(2);
      expect((await counts(cache)).raw).toMatchObject({ link_hits: 0, link_misses: 2 });
      // And without it, the stored result is served.
      expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(true);
      expect(calls.n).toBe(2);
    });

    it('hashOf answers for the inputs: with the true hashes a stored link is found without reading them', async () => {
      const { p, job, links, id } = await appLink();
      await links.link(job, id, runner('g++', job, { n: 0 }));
      const asked: string[] = [];
      const hashOf = async (f: string) => {
        asked.push(f);
        return sha(p.read(f));
      };
      const calls = { n: 0 };
      expect((await links.link({ ...job, hashOf }, id, runner('g++', job, calls))).cached).toBe(true);
      expect(calls.n).toBe(0);
      expect(asked.sort()).toEqual(['build/obj/answer.o', 'build/obj/main.o']);
    });

    it('an input rewritten after hashOf answered keeps the link out of the cache (its stamp moved)', async () => {
      const { p, cache, job, links, id } = await appLink();
      const before = p.read('build/obj/answer.o');
      const hashOf = async (f: string) => {
        const h = sha(p.read(f));
        // A stale answer: the object changes right after it was hashed.
        if (f === 'build/obj/answer.o') {
          await rewriteAnswer(p, cache);
        }
        return h;
      };
      await links.link({ ...job, hashOf }, id, runner('g++', job, { n: 0 }));
      expect(p.read('build/obj/answer.o').equals(before)).toBe(false);
      expect((await counts(cache)).raw.not_stored).toMatchObject({ 'changed during link': 1 });
    });

    it('freshInputs: the key is made while the linker runs; an input rewritten after it was hashed, before the linker read it, is never stored under the old content', async () => {
      const { p, cache, job, links, id } = await appLink();
      let hashed!: () => void;
      const answerHashed = new Promise<void>((res) => (hashed = res));
      const hashOf = async (f: string) => {
        const h = sha(p.read(f));
        if (f === 'build/obj/answer.o') hashed();
        return h;
      };
      const calls = { n: 0 };
      const link = runner('g++', job, calls);
      const r = await links.link({ ...job, hashOf, freshInputs: true }, id, async () => {
        // The linker starts at once; it reads answer.o only after the key hashed the old one.
        await Promise.race([answerHashed, new Promise((res) => setTimeout(res, 10_000))]);
        await rewriteAnswer(p, cache);
        return link();
      });
      await expectLinkedNotStored(p, cache, r);
      // The old object back: a stored "7" under its key would be served here.
      p.write('src/answer.cpp', 'int answer() { return 42; }\n');
      await compile(cache, p.job('src/answer.cpp', ['-O1'], 'build/obj/answer.o'));
      const again = await links.link({ ...job, hashOf }, id, link);
      expect(again.cached).toBe(false);
      expect(calls.n).toBe(2);
      expect(execFileSync(p.path('build/app')).toString()).toBe('42\n');
    });

    it('a stored link hands back the hash of what it read, which vouches for the output only while its stamp holds', async () => {
      env = await setup();
      const { p, cache } = env;
      await project(env);
      const job = appJob(p.root);
      const r = await cache.linkCache().link({ ...job, freshInputs: true }, await cxxIdentity(), runner('g++', job, { n: 0 }));
      expect(r.restored?.sha256).toBe(sha(p.read('build/app')));
      const hasher = new StatCachingHasher(p.root);
      const outputs = new OutputHashes(p.root, hasher);
      // Renamed into place, as the linker step does: still vouched for, and not read.
      renameSync(p.path('build/app'), p.path('build/app2'));
      expect(outputs.restored('build/app2', r.restored!)).toBe(r.restored!.sha256);
      expect(hasher.counters.reads).toBe(0);
      // Rewritten: the stamp moved, so the hash must come from the bytes.
      appendFileSync(p.path('build/app2'), 'x');
      expect(outputs.restored('build/app2', r.restored!)).toBeNull();
    });

    it('freshInputs: an input that cannot be read is found before the linker starts, and nothing is stored', async () => {
      env = await setup();
      const { p, cache } = env;
      await project(env);
      const job = { ...appJob(p.root), inputs: [...appJob(p.root).inputs, 'build/obj/gone.o'] };
      const calls = { n: 0 };
      const r = await cache.linkCache().link({ ...job, freshInputs: true }, await cxxIdentity(), runner('g++', appJob(p.root), calls));
      expect(r.uncacheable_reason).toBe('input build/obj/gone.o cannot be read');
      expect(calls.n).toBe(1);
    });

    const knownNow = (p: Env['p'], f: string) => {
      const st = statSync(p.path(f), { bigint: true });
      return { stamp: stampKeyOf(st), hash: sha(p.read(f)) };
    };

    it('freshInputs: an input the caller knows is neither hashed nor read for the key, and the link is stored under its content', async () => {
      const { p, cache, job, links, id } = await appLink();
      const asked: string[] = [];
      const hashOf = async (f: string) => {
        asked.push(f);
        return sha(p.read(f));
      };
      const known = new Map(job.inputs.map((f) => [f, knownNow(p, f)]));
      const r = await links.link({ ...job, hashOf, known: (abs) => known.get(relative(p.root, abs)), freshInputs: true }, id, runner('g++', job, { n: 0 }));
      expect(r.exit_code).toBe(0);
      expect(asked).toEqual([]);
      expect((await counts(cache)).raw.not_stored).toEqual({});
      // Stored under the true content: a look-up that hashes the files finds it.
      await expectRestoredWithoutLinker(p, links, job, id);
    });

    it('freshInputs: a known stamp the input no longer has keeps the link out of the cache, never stored under the old content', async () => {
      const { p, cache, job, links, id } = await appLink();
      const stale = knownNow(p, 'build/obj/answer.o');
      await rewriteAnswer(p, cache);
      const known = (abs: string) => (abs === p.path('build/obj/answer.o') ? stale : knownNow(p, relative(p.root, abs)));
      const link = runner('g++', job, { n: 0 });
      expect((await links.link({ ...job, known, freshInputs: true }, id, link)).exit_code).toBe(0);
      expect(execFileSync(p.path('build/app')).toString()).toBe('7\n');
      expect((await counts(cache)).raw.not_stored).toMatchObject({ 'changed during link': 1 });
      await expectOldObjectRelinked(p, cache, links, job, id, link);
    });

    it('writtenNow: the inputs from before this build are asked of known only once the linker has started, and the link is stored under their content', async () => {
      const { p, cache, job, links, id } = await appLink();
      let started = false;
      const askedBefore: string[] = [];
      const known = (abs: string) => {
        if (!started) askedBefore.push(relative(p.root, abs));
        return knownNow(p, relative(p.root, abs));
      };
      const link = runner('g++', job, { n: 0 });
      const written = new Set(['build/obj/answer.o']);
      const r = await links.link({ ...job, known, writtenNow: written, freshInputs: true }, id, () => ((started = true), link()));
      expect(r.exit_code).toBe(0);
      expect(askedBefore).toEqual(['build/obj/answer.o']); // only what this build wrote
      expect((await counts(cache)).raw.not_stored).toEqual({});
      await expectRestoredWithoutLinker(p, links, job, id);
    });

    it('writtenNow: an input from before this build that known does not hold has no stamp from before the link, and nothing is stored', async () => {
      const { p, cache, job, links, id } = await appLink();
      const known = (abs: string) => (relative(p.root, abs) === 'build/obj/main.o' ? undefined : knownNow(p, relative(p.root, abs)));
      const r = await links.link({ ...job, known, writtenNow: new Set(['build/obj/answer.o']), freshInputs: true }, id, runner('g++', job, { n: 0 }));
      expect(r.exit_code).toBe(0);
      expect((await counts(cache)).raw.not_stored).toMatchObject({ 'input not stamped before the link': 1 });
      const calls = { n: 0 };
      expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(false);
      expect(calls.n).toBe(1);
    });

    it('writtenNow: an input this build wrote is stamped before the link, so one rewritten while the linker runs is never stored under the old content', async () => {
      const { p, cache, job, links, id } = await appLink();
      const known = (abs: string) => knownNow(p, relative(p.root, abs));
      const link = runner('g++', job, { n: 0 });
      const r = await links.link({ ...job, known, writtenNow: new Set(['build/obj/answer.o']), freshInputs: true }, id, async () => {
        await rewriteAnswer(p, cache);
        return link();
      });
      await expectLinkedNotStored(p, cache, r);
      await expectOldObjectRelinked(p, cache, links, job, id, link);
    });

    it('known inputs are not used for a look-up: a stale one cannot restore a stale output', async () => {
      const { p, job, links, id } = await appLink();
      const stale = knownNow(p, 'build/obj/answer.o');
      const link = runner('g++', job, { n: 0 });
      await links.link(job, id, link); // stored: "42"
      await rewriteAnswer(p, env.cache);
      const known = (abs: string) => (abs === p.path('build/obj/answer.o') ? stale : knownNow(p, relative(p.root, abs)));
      expect((await links.link({ ...job, known }, id, link)).cached).toBe(false);
      expect(execFileSync(p.path('build/app')).toString()).toBe('7\n');
    });

    it('with storeInBackground the store finishes after the answer, and flush() waits for it', async () => {
      const { p, cache, job, links, id } = await appLink({ storeInBackground: true });
      await links.link(job, id, runner('g++', job, { n: 0 }));
      await cache.flush();
      p.rm('build/app');
      const calls = { n: 0 };
      expect((await links.link(job, id, runner('g++', job, calls))).cached).toBe(true);
      expect(calls.n).toBe(0);
      expect(execFileSync(p.path('build/app')).toString()).toBe('42\n');
    });
  });
});
