// How many requests a daemon served while a test did something: a fast-path no-op
// asks setup and compilation nothing, a planned build asks them at least once.
import type { StatusReport } from '../../protocol/status.js';
import { cliSync, type TestProject } from './project.js';

function requests(p: TestProject, name: string): number {
  const report = JSON.parse(cliSync(['status', '--json'], p).stdout) as StatusReport;
  return report.daemons.find((d) => d.name === name)!.requests_served!;
}

/** Requests `name` served during `fn`, less those of the status calls that count them
 *  (each call is counted by the next: two calls before `fn` measure one). */
export function requestsDuring(p: TestProject, name: string, fn: () => void): number {
  const a = requests(p, name);
  const b = requests(p, name);
  fn();
  const c = requests(p, name);
  return c - b - (b - a);
}
