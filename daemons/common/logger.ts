// Timestamped log lines, appended synchronously: a daemon that crashes has
// already written what led up to it.
import { appendFileSync } from 'node:fs';
import { PRIVATE_FILE_MODE } from '../../fs/private-files.js';
import { isoTime } from './iso-time.js';

export type LogLevel = 'info' | 'warn' | 'error' | 'debug';

export interface Logger {
  info(msg: string): void;
  warn(msg: string): void;
  error(msg: string): void;
  debug(msg: string): void;
}

/** `writes()` false: lines are dropped (a daemon that no longer owns its project writes
 *  nothing more into it, daemon-process.ts). */
export function fileLogger(file: string, name: string, writes: () => boolean = () => true): Logger {
  const write = (level: LogLevel, msg: string) => {
    if (!writes()) return;
    const line = `${isoTime()} ${level.toUpperCase().padEnd(5)} [${name}:${process.pid}] ${msg}\n`;
    try {
      appendFileSync(file, line, { mode: PRIVATE_FILE_MODE });
    } catch {
      /* the project dir may be gone; the watchdog stops us shortly */
    }
  };
  return {
    info: (m) => write('info', m),
    warn: (m) => write('warn', m),
    error: (m) => write('error', m),
    debug: (m) => {
      if (process.env.REPLIBUILD_DEBUG) write('debug', m);
    },
  };
}

export const silentLogger: Logger = { info() {}, warn() {}, error() {}, debug() {} };
