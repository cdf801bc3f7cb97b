// The four daemons, in start order. Named here, below the protocol: daemon_config.toml
// has a [daemons.<name>] section for each, and every wire message that names a daemon
// takes the type from here.

/** Start order: each daemon only asks daemons earlier in this list. */
export const DAEMON_NAMES = ['setup', 'discovery', 'compilation', 'orchestrator'] as const;
export type DaemonName = (typeof DAEMON_NAMES)[number];

export function isDaemonName(s: string): s is DaemonName {
  return (DAEMON_NAMES as readonly string[]).includes(s);
}
