// Synthetic C++ projects for the benchmarks: N translation units, M project
// headers, K of them included by each TU (chosen by a seeded generator), and
// one config header (include/config.hpp) included by every file. The "heavy"
// variant costs a few tenths of a second per TU at -O2 (std::map/std::vector
// instantiations on a type of the TU's own plus a recursive template); the
// "tiny" variant has the same include graph with trivial bodies, for no-op
// scaling. Every tree carries a replibuild.toml, a daemon_config.toml (ports 0),
// a Makefile (-MMD -MP, CXX overridable for ccache/sccache) and a
// CMakeLists.txt (for ninja), so every tool builds the very same sources.
//
// The program prints one number that depends on every TU, the config header
// and each TU's edit counter, so a fast but wrong build is caught: see
// expectedOutput(), and the edit helpers that keep the model in step.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const DEFAULTS = Object.freeze({
  seed: 6,
  perTu: 5, // K: project headers per TU
  depth: 16, // recursive template depth of a heavy TU (tunes its cost)
  jobs: 2,
});

/** mulberry32: small, fast, deterministic. */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The include graph and constants of a project: the same for heavy and tiny. */
export function planProject({ n, headers, perTu = DEFAULTS.perTu, seed = DEFAULTS.seed }) {
  const m = headers ?? Math.max(8, Math.round(n / 10));
  const k = Math.min(perTu, m);
  const rand = rng(seed * 7919 + n);
  const headerValues = Array.from({ length: m }, () => 1 + Math.floor(rand() * 50));
  const includes = [];
  for (let i = 0; i < n; i++) {
    const set = new Set();
    while (set.size < k) set.add(Math.floor(rand() * m));
    includes.push([...set].sort((a, b) => a - b));
  }
  return { n, m, k, seed, headerValues, includes };
}

const pad = (i, n) => String(i).padStart(String(Math.max(n - 1, 1)).length, '0');
export const tuName = (plan, i) => `t${pad(i, plan.n)}`;
const hName = (plan, j) => `h${pad(j, plan.m)}`;

/** What the program must print for a model state {config, biases}. */
export function expectedOutput(plan, state) {
  let sum = 0n;
  for (let i = 0; i < plan.n; i++) {
    let v = BigInt((i % 97) * state.config + (state.biases.get(i) ?? 0));
    for (const j of plan.includes[i]) v += BigInt(plan.headerValues[j]);
    sum += v;
  }
  return `${sum}`;
}

function configHeader(value, commentRev) {
  return (
    `// bench config header, included by every translation unit (comment revision ${commentRev})\n` +
    `#pragma once\n#define BENCH_CONFIG ${value}\n`
  );
}

function headerText(plan, j, variant) {
  const name = hName(plan, j);
  const v = plan.headerValues[j];
  if (variant === 'tiny') {
    return `#pragma once\n#include "config.hpp"\nnamespace ${name} {\nconstexpr int value = ${v};\n}\n`;
  }
  const std = j % 2 === 0 ? 'vector' : 'map';
  return (
    `#pragma once\n#include "config.hpp"\n#include <${std}>\n` +
    `namespace ${name} {\nconstexpr int value = ${v};\n` +
    `template <typename T> struct Box { T t; T get() const { return t + value + BENCH_CONFIG; } };\n` +
    `inline int helper(int x) { return x * value + BENCH_CONFIG; }\n}\n`
  );
}

function tuText(plan, i, variant, depth, bias) {
  const name = tuName(plan, i);
  const inc = plan.includes[i].map((j) => `#include "${hName(plan, j)}.hpp"\n`).join('');
  const sumHeaders = plan.includes[i].map((j) => ` + ${hName(plan, j)}::value`).join('');
  const value =
    `constexpr long ${name}_bias = ${bias};\n` +
    `long ${name}_value() { return ${i % 97}L * BENCH_CONFIG + ${name}_bias${sumHeaders}; }\n`;
  if (variant === 'tiny') return `#include "config.hpp"\n${inc}${value}`;
  const h0 = hName(plan, plan.includes[i][0]);
  return (
    `#include "config.hpp"\n${inc}#include <map>\n` +
    `namespace ${name} {\n` +
    `template <int N> struct Rec { static long f(long x) { return Rec<N - 1>::f(x * 3 + N + ${i}) % 1000003; } };\n` +
    `template <> struct Rec<0> { static long f(long x) { return x; } };\n` +
    `struct Key { int a; long b; bool operator<(const Key& o) const { return a < o.a || (a == o.a && b < o.b); } };\n` +
    `}\n` +
    `long ${name}_work(int n) {\n` +
    `  std::map<${name}::Key, long> m;\n` +
    `  for (int i = 0; i < n; ++i) m[${name}::Key{i % 7, (long)i * ${i}}] += i;\n` +
    `  long s = ${name}::Rec<${depth}>::f(n) + ${h0}::Box<long>{n}.get() + ${h0}::helper(n);\n` +
    `  for (auto& p : m) s += p.first.b + p.second;\n` +
    `  m.erase(m.begin());\n  return s + (long)m.size();\n}\n` +
    value
  );
}

function mainText(plan) {
  const decls = [];
  const calls = [];
  for (let i = 0; i < plan.n; i++) {
    decls.push(`long ${tuName(plan, i)}_value();`);
    calls.push(`  s += ${tuName(plan, i)}_value();`);
  }
  return (
    `#include "config.hpp"\n#include <cstdio>\n${decls.join('\n')}\n` +
    `int main() {\n  long long s = 0;\n${calls.join('\n')}\n  std::printf("%lld\\n", s);\n  return 0;\n}\n`
  );
}

const FLAGS = ['-O2'];

function replibuildToml(name, flags) {
  return `[project]
name = "${name}"
build_dir = "build"

[compiler]
std = "c++17"
flags = ${JSON.stringify(flags)}
include_dirs = ["include"]

[targets.app]
kind = "executable"
sources = ["src/*.cpp"]
`;
}

export function daemonConfigToml(jobs) {
  // Ports 0: the daemons take free ports, so a benchmark never collides with a
  // user's daemons on 9001-9004. The build timeout (default 300 s) is raised: a
  // cold build of 20,000 TUs takes longer than that here.
  return `[daemons.setup]
port = 0
[daemons.discovery]
port = 0
[daemons.compilation]
port = 0
parallel_jobs = ${jobs}
[daemons.orchestrator]
port = 0
timeout = 7200
`;
}

// The link goes through a response file: 20,000 object names do not fit one
// shell argument. The compiler is $(CXX) (override with CXX="ccache g++"); the
// link uses $(CXXLD), plain g++, so no cache wrapper is timed on the link.
const makefile = (flags, makeOnly) => `# Generated by replibuild bench/generate.mjs. make -jN [CXX="ccache g++"]
CXX = g++
CXXLD = g++
CXXFLAGS = -std=c++17 ${[...flags, ...makeOnly].join(' ')} -Iinclude
SRCS := $(sort $(wildcard src/*.cpp))
OBJS := $(patsubst src/%.cpp,build/obj/%.o,$(SRCS))

build/bin/app: $(OBJS)
\t@mkdir -p build/bin
\t$(file >build/obj/link.rsp,$(OBJS))
\t$(CXXLD) -o $@ @build/obj/link.rsp

build/obj/%.o: src/%.cpp | build/obj
\t$(CXX) $(CXXFLAGS) -MMD -MP -c $< -o $@

build/obj:
\t@mkdir -p $@

-include $(OBJS:.o=.d)

.PHONY: clean
clean:
\trm -rf build
`;

const cmakeLists = (flags) => `# Generated by replibuild bench/generate.mjs: cmake -G Ninja -S . -B build && ninja -C build
cmake_minimum_required(VERSION 3.13)
project(bench CXX)
set(CMAKE_CXX_STANDARD 17)
set(CMAKE_CXX_STANDARD_REQUIRED ON)
set(CMAKE_CXX_EXTENSIONS OFF)
add_compile_options(${flags.join(' ')})
file(GLOB SRCS CONFIGURE_DEPENDS \${CMAKE_SOURCE_DIR}/src/*.cpp)
add_executable(app \${SRCS})
target_include_directories(app PRIVATE \${CMAKE_SOURCE_DIR}/include)
`;

/**
 * Writes a project into `dir` and returns its model: the plan, the variant and a
 * mutable state ({config, commentRev, biases}) that the edit helpers update.
 * `flags` replace the default compile flags (-O2) for every tool; `makeOnlyFlags`
 * go to the Makefile's CXXFLAGS alone (what replibuild adds by itself, spelled for make).
 */
export function generateProject(dir, { n, variant = 'heavy', headers, perTu, seed, depth = DEFAULTS.depth, jobs = DEFAULTS.jobs, name = 'bench', flags = FLAGS, makeOnlyFlags = [] }) {
  const plan = planProject({ n, headers, perTu, seed });
  const state = { config: 3, commentRev: 0, biases: new Map() };
  for (const d of ['src', 'include', '.replibuild']) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, 'include', 'config.hpp'), configHeader(state.config, state.commentRev));
  for (let j = 0; j < plan.m; j++) writeFileSync(join(dir, 'include', `${hName(plan, j)}.hpp`), headerText(plan, j, variant));
  for (let i = 0; i < n; i++) writeFileSync(join(dir, 'src', `${tuName(plan, i)}.cpp`), tuText(plan, i, variant, depth, 0));
  writeFileSync(join(dir, 'src', 'main.cpp'), mainText(plan));
  writeFileSync(join(dir, 'replibuild.toml'), replibuildToml(name, flags));
  writeFileSync(join(dir, '.replibuild', 'daemon_config.toml'), daemonConfigToml(jobs));
  writeFileSync(join(dir, 'Makefile'), makefile(flags, makeOnlyFlags));
  writeFileSync(join(dir, 'CMakeLists.txt'), cmakeLists(flags));
  return { dir, plan, variant, depth, state };
}

/** A deep copy of a model's state, for a copy of its tree. */
export function cloneModel(model, dir) {
  return { ...model, dir, state: { ...model.state, biases: new Map(model.state.biases) } };
}

/** Changes TU i's value (its bias constant): a real one-file edit. */
export function editTu(model, i) {
  const file = join(model.dir, 'src', `${tuName(model.plan, i)}.cpp`);
  const name = tuName(model.plan, i);
  const old = model.state.biases.get(i) ?? 0;
  const text = readFileSync(file, 'utf8');
  const from = `constexpr long ${name}_bias = ${old};`;
  if (!text.includes(from)) throw new Error(`${file}: bias line not found`);
  writeFileSync(file, text.replace(from, `constexpr long ${name}_bias = ${old + 1};`));
  model.state.biases.set(i, old + 1);
}

/** A real change to the all-included config header: its value goes up by one. */
export function editConfigValue(model) {
  model.state.config += 1;
  writeFileSync(join(model.dir, 'include', 'config.hpp'), configHeader(model.state.config, model.state.commentRev));
}

/** A comment-only edit of the config header: no token changes. */
export function editConfigComment(model) {
  model.state.commentRev += 1;
  writeFileSync(join(model.dir, 'include', 'config.hpp'), configHeader(model.state.config, model.state.commentRev));
}

/** The program's path under each tool's build layout. */
export function binaryPath(model, tool) {
  return tool === 'ninja' ? join(model.dir, 'build', 'app') : join(model.dir, 'build', 'bin', 'app');
}

/** Source text of one heavy TU on its own (for calibration with g++). */
export function sampleTu(dir, opts = {}) {
  const model = generateProject(dir, { n: 4, variant: 'heavy', ...opts });
  return { model, file: join(dir, 'src', `${tuName(model.plan, 1)}.cpp`) };
}
