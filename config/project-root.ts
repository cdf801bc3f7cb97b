import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export const PROJECT_FILE = 'replibuild.toml';
/** The compilation database replibuild writes beside it ([project] compile_commands). */
export const COMPILE_COMMANDS_FILE = 'compile_commands.json';

/** The nearest directory at or above `start` that holds replibuild.toml, or null. */
export function findProjectRoot(start: string): string | null {
  let dir = resolve(start);
  for (;;) {
    if (existsSync(join(dir, PROJECT_FILE))) return dir;
    const up = dirname(dir);
    if (up === dir) return null;
    dir = up;
  }
}
