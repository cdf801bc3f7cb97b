// The orchestrator's facts from file texts (text-facts.ts): taken again only when the
// file's stat moves, and `unchanged` compares without replacing what a plan took.
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TextFacts } from '../../daemons/orchestrator/text-facts.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'rb-text-facts-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('TextFacts', () => {
  it('derives once per stat, again when the file changes, and null for no file', () => {
    const reads: string[] = [];
    const facts = new TextFacts((t) => {
      reads.push(t);
      return t.split('\n')[0]!;
    });
    const f = join(dir, 'a.cpp');
    writeFileSync(f, '#include <a>\nint x;\n');
    expect(facts.get(f)).toBe('#include <a>');
    expect(facts.get(f)).toBe('#include <a>');
    expect(reads).toHaveLength(1);
    writeFileSync(f, '#include <bb>\nint x;\n');
    expect(facts.get(f)).toBe('#include <bb>');
    expect(reads).toHaveLength(2);
    expect(facts.get(join(dir, 'missing.cpp'))).toBeNull();
    expect(facts.get(dir)).toBeNull();
  });

  it('unchanged: true for the same stat or equal facts, false for other facts or none taken; never replaces them', () => {
    const facts = new TextFacts((t) => t.trim().split('\n')[0]!);
    const f = join(dir, 'b.cpp');
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(false);
    writeFileSync(f, '#include <a>\nint x;\n');
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(false);
    facts.get(f);
    expect(facts.unchanged(f, () => false)).toBe(true); // same stat: not even read
    writeFileSync(f, '#include <a>\nint y = 2;\n');
    utimesSync(f, new Date(Date.now() + 5000), new Date(Date.now() + 5000));
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(true);
    writeFileSync(f, '#include <c>\nint y = 2;\n');
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(false);
    // Still what the plan took: a second look says the same.
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(false);
    rmSync(f);
    expect(facts.unchanged(f, (a, b) => a === b)).toBe(false);
  });
});
