// bin/replibuild, the command npm puts on PATH: found through symlinks, arguments
// passed as given, and NODE_EXTRA_CA_CERTS kept from the CLI's own start-up but
// handed back to every process the CLI starts.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { VERSION } from '../../protocol/messages.js';
import { CLI, projectsPerTest, REPO } from '../helpers/project.js';

const project = projectsPerTest();
const links = mkdtempSync(join(tmpdir(), 'replibuild-bin-'));
afterAll(() => rmSync(links, { recursive: true, force: true }));

/** A chain of two symlinks, relative then absolute, as npm link and node_modules/.bin make. */
function linkedCommand(): string {
  mkdirSync(join(links, 'a'), { recursive: true });
  mkdirSync(join(links, 'b'), { recursive: true });
  symlinkSync(join(REPO, 'bin', 'replibuild'), join(links, 'a', 'replibuild'));
  symlinkSync('../a/replibuild', join(links, 'b', 'replibuild'));
  return join(links, 'b', 'replibuild');
}
const command = linkedCommand();

describe('bin/replibuild', () => {
  it('runs the CLI through a chain of symlinks', () => {
    const r = spawnSync(command, ['--version'], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe(VERSION);
  });

  it('passes arguments with spaces through unchanged and returns the exit code', () => {
    const p = project({}, '');
    const spaced = join(p.root, 'dir with space');
    mkdirSync(spaced);
    const r = spawnSync(command, ['status', '-C', spaced], { encoding: 'utf8', env: p.env });
    const direct = spawnSync(process.execPath, [CLI, 'status', '-C', spaced], { encoding: 'utf8', env: p.env });
    // The project is found above the spaced dir; its daemons are not running, which has its own exit code.
    expect(direct.status).not.toBe(0);
    expect(r.status).toBe(direct.status);
    expect(r.stdout).toContain(`project ${p.root}`);
  });

  it('the program run by `replibuild run` sees NODE_EXTRA_CA_CERTS as the user set it, and not the stand-in name', () => {
    const p = project({
      'src/main.cpp':
        '#include <cstdio>\n#include <cstdlib>\nint main() { const char* a = std::getenv("NODE_EXTRA_CA_CERTS"); const char* b = std::getenv("REPLIBUILD_NODE_EXTRA_CA_CERTS");\n' +
        '  std::printf("[%s][%s]\\n", a ? a : "unset", b ? b : "unset"); return 0; }\n',
    });
    const env: NodeJS.ProcessEnv = { ...p.env, NODE_EXTRA_CA_CERTS: '/nonexistent/ca bundle.pem' };
    delete env.REPLIBUILD_NODE_EXTRA_CA_CERTS;
    const r = spawnSync(command, ['run', '--no-daemon', 'app'], { cwd: p.root, encoding: 'utf8', env });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('[/nonexistent/ca bundle.pem][unset]');
    // Node warns when it cannot read the file: the CLI itself never tried.
    expect(r.stderr).not.toMatch(/extra certs|NODE_EXTRA_CA_CERTS/i);
  });
});
