import type { ConfigIssue } from './types.js';

/**
 * One issue as gcc prints a diagnostic. The `error:` tag is what VSCode's `$gcc`
 * problem matcher (and Emacs/Vim's compilation modes) key on, so a user can jump
 * straight from `replibuild compile` output to the offending TOML line.
 */
export function formatIssue(issue: ConfigIssue): string {
  let where = issue.file;
  if (issue.line !== null) {
    where += `:${issue.line}`;
    if (issue.column !== null) where += `:${issue.column}`;
  }
  return `${where}: error: ${issue.message}`;
}

/**
 * A configuration file is unusable. It carries every problem found, not just the
 * first, so a user fixes the whole file in one pass instead of one error per run;
 * the issues travel as-is in a JSON-RPC ConfigInvalid error's `data`.
 */
export class ConfigError extends Error {
  readonly issues: ConfigIssue[];

  constructor(issues: ConfigIssue[]) {
    super(
      issues.length > 0
        ? issues.map(formatIssue).join('\n')
        : 'invalid configuration (no details were recorded)',
    );
    this.name = 'ConfigError';
    this.issues = issues;
  }
}
