import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The repository root, found from this file whether it runs from source (tsx, vitest) or from dist/.
 * Non-code assets (SQL migrations, generated dashboards) are read from here rather than copied by tsc.
 */
export const PROJECT_ROOT: string = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error('errpulse: cannot find the project root (package.json) above ' + import.meta.url);
    dir = parent;
  }
  return dir;
})();
