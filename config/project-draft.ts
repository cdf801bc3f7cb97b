// A replibuild.toml about to be written (by `replibuild init`, from a scan or from
// CMake), and its rendering. smol-toml does the quoting; we add the comments a
// reader needs to see where each table came from.

import { stringify } from 'smol-toml';
import type { TargetKind } from './types.js';

export interface TargetDraft {
  name: string;
  kind: TargetKind;
  /** One comment line above the table (without '#'). */
  comment?: string;
  sources: string[];
  include_dirs?: string[];
  defines?: string[];
  flags?: string[];
  c_flags?: string[];
  std?: string;
  c_std?: string;
  deps?: string[];
  libs?: string[];
  link_flags?: string[];
}

export interface ProjectDraft {
  /** Comment lines at the top of the file (without '#'). */
  header: string[];
  name: string;
  compiler?: { include_dirs?: string[] };
  targets: TargetDraft[];
}

/** Keys in the order a reader looks for them; empty lists and unset keys are left out. */
const TARGET_KEY_ORDER = [
  'kind',
  'sources',
  'include_dirs',
  'defines',
  'std',
  'c_std',
  'flags',
  'c_flags',
  'deps',
  'libs',
  'link_flags',
] as const;

function table(prefix: string[], body: Record<string, unknown>): string {
  let nested: Record<string, unknown> = body;
  for (const key of [...prefix].reverse()) nested = { [key]: nested };
  return stringify(nested).trimEnd();
}

export function renderProjectToml(draft: ProjectDraft): string {
  const parts: string[] = [draft.header.map((l) => (l ? `# ${l}` : '#')).join('\n')];
  parts.push(table(['project'], { name: draft.name }));
  const compilerDirs = draft.compiler?.include_dirs ?? [];
  if (compilerDirs.length > 0) parts.push(table(['compiler'], { include_dirs: compilerDirs }));
  for (const t of draft.targets) {
    const body: Record<string, unknown> = {};
    for (const key of TARGET_KEY_ORDER) {
      const v = t[key];
      if (v === undefined || (Array.isArray(v) && v.length === 0)) continue;
      body[key] = v;
    }
    const text = table(['targets', t.name], body);
    parts.push(t.comment ? `# ${t.comment}\n${text}` : text);
  }
  return parts.join('\n\n') + '\n';
}
