// Issue 15: the report of a real build, loaded in a real browser (Debian's chromium,
// headless, driven by playwright-core; .ci/run installs it): a bar per compile and
// link, a tooltip that says what the trace says, no request beyond the file, and a
// screenshot that is not blank.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { PNG } from 'pngjs';
import { describe, expect, it } from 'vitest';
import { cliSync, projectsPerTest, type TestProject } from '../helpers/project.js';
import { OUTCOME_COLOURS, tooltipText } from '../../client/report/html.js';
import type { BuildTrace } from '../../protocol/trace.js';

const project = projectsPerTest();
const CHROMIUM = '/usr/bin/chromium';
/** Flags that work on this machine: no sandbox (root), no GPU, nothing fetched in the background. */
const FLAGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

function files(): Record<string, string> {
  const f: Record<string, string> = {
    'replibuild.toml': '[project]\nname = "pic"\n\n[compiler]\ninclude_dirs = ["include"]\n\n[targets.app]\nkind = "executable"\nsources = ["src/*.cpp"]\n',
    'include/util.h': '#pragma once\n#include <vector>\ninline int total(const std::vector<int>& v) { int s = 0; for (int x : v) s += x; return s; }\n',
  };
  for (let i = 0; i < 4; i++) f[`src/f${i}.cpp`] = `#include "util.h"\nint f${i}() { return total({${i}, 1}); }\n`;
  f['src/main.cpp'] = '#include <cstdio>\nint f0(); int f1(); int f2(); int f3();\nint main() { std::printf("%d\\n", f0() + f1() + f2() + f3()); }\n';
  return f;
}

function ok(p: TestProject, args: string[]): string {
  const r = cliSync(args, p);
  expect(r.code, `${args.join(' ')}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

describe('report in a browser', () => {
  it('shows a bar per compile and link, their tooltips, and is not blank', async () => {
    const p = project(files());
    ok(p, ['start']);
    ok(p, ['compile']);
    const page = ok(p, ['report']);
    const id = /build-(\d+)\.html$/.exec(page)![1]!;
    const trace = JSON.parse(readFileSync(join(p.root, '.replibuild/traces', `${id}.json`), 'utf8')) as BuildTrace;
    const ran = trace.steps.filter((s) => s.lane !== undefined);
    expect(ran).toHaveLength(6); // 5 TUs and a link

    const profile = mkdtempSync(join(tmpdir(), 'replibuild-chromium-'));
    const browser = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: FLAGS, viewport: { width: 1150, height: 800 } });
    try {
      const tab = await browser.newPage();
      const requests: string[] = [];
      tab.on('request', (r) => requests.push(r.url()));
      await tab.goto(pathToFileURL(page).href);
      await expect.poll(() => tab.locator('#timeline rect.bar').count()).toBe(ran.length);
      expect(requests).toEqual([pathToFileURL(page).href]); // self-contained: nothing else loaded

      // The JS tooltip follows the mouse and says what the trace says (the page's SVG <title>,
      // which the script turns into the bar's aria-label so that the native one does not show too).
      const i = trace.steps.findIndex((s) => s.name === 'src/f2.cpp');
      const bar = tab.locator(`#timeline rect.bar[data-step="${i}"]`);
      await bar.hover();
      const tip = tab.locator('#tip');
      await expect.poll(() => tip.isVisible()).toBe(true);
      const text = await tip.textContent();
      expect(text).toBe(tooltipText(trace.steps[i]!));
      expect(text).toMatch(/^src\/f2\.cpp \[app\]\ncompiled in \d+\.\d\ds \(cache miss: first compile of this source text with this command and compiler\)\nwhy: no previous build\njob \d: /);
      expect(await bar.getAttribute('aria-label')).toBe(text);
      expect(await tab.locator('#timeline rect.bar title').count()).toBe(0);
      await tab.mouse.move(2, 2);
      await expect.poll(() => tip.isVisible()).toBe(false);

      // Not blank: the compiled bars' colour is on screen, among many others (text, axes).
      const png = PNG.sync.read(await tab.screenshot({ fullPage: true }));
      const colours = new Set<number>();
      let compiledPixels = 0;
      const [r0, g0, b0] = [1, 3, 5].map((k) => parseInt(OUTCOME_COLOURS.compiled.slice(k, k + 2), 16));
      for (let k = 0; k < png.data.length; k += 4) {
        const [r, g, b] = [png.data[k]!, png.data[k + 1]!, png.data[k + 2]!];
        colours.add((r << 16) | (g << 8) | b);
        if (r === r0 && g === g0 && b === b0) compiledPixels++;
      }
      expect(colours.size).toBeGreaterThan(20);
      expect(compiledPixels).toBeGreaterThan(500);
    } finally {
      await browser.close();
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
