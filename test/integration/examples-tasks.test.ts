// The examples' .vscode/tasks.json: valid JSON, one problem matcher per task (two
// would show each diagnostic twice), paths relative to the workspace folder, and a
// background `replibuild watch` task whose begin and end patterns match what watch
// really prints, checked by running watch through a failing and a fixed edit.
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, cliSync, projectsPerTest, waitFor } from '../helpers/project.js';

const project = projectsPerTest();
const EXAMPLES = ['hello', 'static-lib', 'shared-lib'];

interface Matcher {
  owner: string;
  fileLocation: [string, string];
  pattern: { regexp: string; file: number; line: number; column: number; severity: number; message: number };
  background?: { activeBegin: boolean; beginsPattern: string; endsPattern: string };
}
interface Task {
  label: string;
  command: string;
  isBackground?: boolean;
  options: { cwd: string };
  problemMatcher: Matcher | Matcher[] | string | string[];
}

const tasksOf = (example: string): Task[] =>
  (JSON.parse(readFileSync(join(REPO, 'examples', example, '.vscode/tasks.json'), 'utf8')) as { tasks: Task[] }).tasks;

// VS Code matches problem patterns on lines with the terminal's escape codes removed.
const plain = (s: string) => s.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').replace(/\r/g, '\n');

describe('examples/*/.vscode/tasks.json', () => {
  for (const example of EXAMPLES) {
    it(`${example}: one matcher per task, relative to the workspace folder, and a background watch task`, () => {
      const tasks = tasksOf(example);
      expect(tasks.map((t) => t.label)).toEqual(['replibuild: start', 'replibuild: compile', 'replibuild: watch', 'replibuild: stop']);
      for (const t of tasks) {
        expect(t.options.cwd).toBe('${workspaceFolder}');
        // An array of matchers (say "$gcc" beside ours) reports every diagnostic once per matcher.
        if (Array.isArray(t.problemMatcher)) expect(t.problemMatcher, t.label).toEqual([]);
        else expect((t.problemMatcher as Matcher).fileLocation).toEqual(['relative', '${workspaceFolder}']);
      }
      const watch = tasks.find((t) => t.label === 'replibuild: watch')!;
      expect(watch.isBackground).toBe(true);
      expect(watch.command).toBe('replibuild watch');
      expect((watch.problemMatcher as Matcher).background?.activeBegin).toBe(true);
    });
  }

  it("the watch task's begin and end patterns and its problem pattern match what `replibuild watch` prints", async () => {
    const p = project();
    rmSync(join(p.root, 'src'), { recursive: true });
    cpSync(join(REPO, 'examples/hello'), p.root, { recursive: true });
    const matcher = tasksOf('hello').find((t) => t.label === 'replibuild: watch')!.problemMatcher as Matcher;
    const begins = new RegExp(matcher.background!.beginsPattern);
    const ends = new RegExp(matcher.background!.endsPattern);
    const problem = new RegExp(matcher.pattern.regexp);
    expect(cliSync(['start'], p).code).toBe(0);

    let out = '';
    const child: ChildProcess = spawn(process.execPath, [CLI, 'watch'], { cwd: p.root, env: p.env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout!.on('data', (d) => (out += d));
    child.stderr!.on('data', (d) => (out += d));
    const lines = () => plain(out).split('\n');
    /** Where the next line printed will be (the split's last element is the unfinished line). */
    const nextLine = () => lines().length - 1;
    /** The lines from `from` on, once a begin and then an end line appeared among them. */
    const cycle = async (from: number, what: string): Promise<string[]> => {
      let seen: string[] = [];
      await waitFor(
        () => {
          seen = lines().slice(from);
          const b = seen.findIndex((l) => begins.test(l));
          return b >= 0 && seen.slice(b + 1).some((l) => ends.test(l));
        },
        60_000,
        `${what}; watch printed:\n${plain(out)}`,
      );
      return seen;
    };
    try {
      const first = await cycle(0, 'the first build, begun and ended');
      expect(first.find((l) => ends.test(l))).toMatch(/^✅ Complete/);

      let mark = nextLine();
      p.write('src/greet.cpp', readFileSync(join(p.root, 'src/greet.cpp'), 'utf8') + '\nint broken() { return undeclared_name; }\n');
      const failed = await cycle(mark, 'the failing build');
      expect(failed.find((l) => begins.test(l))).toMatch(/change seen, building/);
      expect(failed.find((l) => ends.test(l))).toMatch(/^❌ Build failed/);
      const problems = failed.map((l) => problem.exec(l)).filter((m) => m !== null);
      const errors = problems.filter((m) => m[matcher.pattern.severity] === 'error');
      expect(errors.length).toBeGreaterThan(0);
      for (const m of errors) {
        expect(m[matcher.pattern.file]).toBe('src/greet.cpp');
        expect(existsSync(join(p.root, m[matcher.pattern.file]!))).toBe(true); // relative to the workspace folder
        expect(m[matcher.pattern.message]).toMatch(/undeclared_name/);
      }

      mark = nextLine();
      p.write('src/greet.cpp', readFileSync(join(REPO, 'examples/hello/src/greet.cpp'), 'utf8'));
      const fixed = await cycle(mark, 'the fixed build');
      expect(fixed.find((l) => ends.test(l))).toMatch(/^✅ Complete/);
    } finally {
      child.kill('SIGINT');
      const exited = await new Promise<boolean>((res) => {
        if (child.exitCode !== null) return res(true);
        const t = setTimeout(() => res(false), 5000);
        child.once('exit', () => {
          clearTimeout(t);
          res(true);
        });
      });
      if (!exited) child.kill('SIGKILL');
    }
  }, 120_000);
});
