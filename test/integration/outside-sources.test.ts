// Sources replibuild.toml names outside the project root (an imported CMake tree
// beside it): built, rebuilt when edited although discovery does not watch them
// (the orchestrator hashes what the journal does not cover), up to date when not,
// and readable through discovery as named, while their neighbours stay refused.
import { readFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RpcConnection } from '../../rpc/client.js';
import { discoveryTable } from '../../protocol/methods.js';
import { proxy } from '../../rpc/methods.js';
import { RpcError } from '../../rpc/jsonrpc.js';
import { ErrorCode } from '../../protocol/error-codes.js';
import { cliSync, readRecordFile, projectsPerTest, type TestProject } from '../helpers/project.js';

const project = projectsPerTest();

function build(p: TestProject): { ok: boolean; compiled: number } {
  const r = cliSync(['compile', '--json'], p);
  expect(r.code, r.stderr + r.stdout).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

const output = (p: TestProject) => spawnSync(join(p.root, 'build/bin/app'), { encoding: 'utf8' }).stdout;

describe('sources outside the project root', () => {
  it('build, rebuild when edited, and stay up to date when not, through the daemons', async () => {
    const p = project({
      'replibuild.toml':
        '[targets.app]\nkind = "executable"\n' +
        'sources = ["src/main.cpp", "../shared/twice.cpp", ".replibuild/gen/version.cpp"]\n',
      'src/main.cpp': '#include <cstdio>\nint twice(int);\nint version();\nint main() { std::printf("%d %d\\n", twice(21), version()); }\n',
      '.replibuild/gen/version.cpp': 'int version() { return 1; }\n',
    });
    const shared = join(dirname(p.root), 'shared');
    mkdirSync(shared);
    writeFileSync(join(shared, 'twice.h'), 'int twice(int x);\n');
    writeFileSync(join(shared, 'twice.cpp'), '#include "twice.h"\nint twice(int x) { return 2 * x; }\n');
    writeFileSync(join(shared, 'other.txt'), 'not named by the config\n');

    expect(cliSync(['start'], p).code).toBe(0);
    expect(build(p)).toMatchObject({ ok: true, compiled: 3 });
    expect(output(p)).toBe('42 1\n');
    expect(build(p)).toMatchObject({ ok: true, compiled: 0 });

    // Neither file is watched by discovery; the orchestrator looks at both itself.
    writeFileSync(join(shared, 'twice.cpp'), '#include "twice.h"\nint twice(int x) { return 3 * x; }\n');
    expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
    expect(output(p)).toBe('63 1\n');
    p.write('.replibuild/gen/version.cpp', 'int version() { return 2; }\n');
    expect(build(p)).toMatchObject({ ok: true, compiled: 1 });
    expect(output(p)).toBe('63 2\n');
    expect(build(p)).toMatchObject({ ok: true, compiled: 0 });

    // A request may read the source the config names, not the files beside it.
    const token = readFileSync(join(p.root, '.replibuild/pids/token'), 'utf8').trim();
    const { conn } = await RpcConnection.open(readRecordFile(p.root, 'discovery')!.port, token);
    try {
      const hash = (paths: string[]) => proxy(discoveryTable, conn).hash_many({ paths });
      expect((await hash(['../shared/twice.cpp'])).hashes[0]).toMatch(/^[0-9a-f]{64}$/);
      const refused = await hash([join(shared, 'other.txt')]).then(
        () => null,
        (e: unknown) => (e instanceof RpcError ? e.code : e),
      );
      expect(refused).toBe(ErrorCode.PathOutsideProject);
    } finally {
      conn.close();
    }
  });
});
