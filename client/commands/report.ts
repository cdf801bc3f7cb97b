// `replibuild report [BUILD] [--trace] [--open]`: a build's trace as an HTML page
// (or Chrome trace-event JSON) under .replibuild/reports/; prints the path.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { findOnPath } from '../../config/compiler.js';
import { writeFileAtomicAsync } from '../../fs/atomic-write.js';
import { PRIVATE_DIR_MODE, PRIVATE_FILE_MODE } from '../../fs/private-files.js';
import { loadTrace } from '../../daemons/orchestrator/trace-store.js';
import { toChromeTrace } from '../report/chrome-trace.js';
import { renderReportHtml } from '../report/html.js';
import { resolveProject } from '../project.js';
import { profileBuildDirOf } from '../profile.js';

export interface ReportArgs {
  dir?: string;
  build?: string;
  trace?: boolean;
  open?: boolean;
  /** Count only the builds of this profile. */
  profile?: string;
}

export async function run(args: ReportArgs): Promise<number> {
  const root = resolveProject(args.dir);
  const trace = loadTrace(root, args.build ?? 'last', profileBuildDirOf(root, args.profile));
  const file = join(root, '.replibuild', 'reports', args.trace ? `build-${trace.id}.trace.json` : `build-${trace.id}.html`);
  const text = args.trace ? JSON.stringify(toChromeTrace(trace)) : renderReportHtml(trace);
  await writeFileAtomicAsync(file, text, { mode: PRIVATE_FILE_MODE, dirMode: PRIVATE_DIR_MODE });
  process.stdout.write(`${file}\n`);
  if (args.open) openFile(file);
  return 0;
}

/** Hands `file` to the desktop's opener; without one, says what to do instead. */
function openFile(file: string): void {
  const opener = findOnPath('xdg-open');
  if (!opener) {
    process.stderr.write(`replibuild: no xdg-open on PATH to open it; open ${file} in a browser\n`);
    return;
  }
  const child = spawn(opener, [file], { detached: true, stdio: 'ignore' });
  child.on('error', (e) => process.stderr.write(`replibuild: cannot run ${opener}: ${e.message}; open ${file} in a browser\n`));
  child.unref();
}
