// `--profile NAME` for the commands that read what a build left (report, why): the
// build dir that profile builds in, so only its builds are counted.
import { ConfigError } from '../config/errors.js';
import { configForProfile, UnknownProfileError } from '../config/profiles.js';
import { loadProjectConfig } from '../config/project-config.js';
import { UserError } from '../daemons/common/user-error.js';

/** The build dir of `profile` ('' : the default one); undefined when none is asked for. */
export function profileBuildDirOf(root: string, profile: string | undefined): string | undefined {
  if (profile === undefined) return undefined;
  try {
    return configForProfile(loadProjectConfig(root), profile).build_dir;
  } catch (e) {
    if (e instanceof ConfigError || e instanceof UnknownProfileError) throw new UserError(e.message, 2);
    throw e;
  }
}
