import { realpathSync } from 'node:fs';
import { isAbsolute, relative, resolve, sep } from 'node:path';

/**
 * The path of `path` relative to `root` with '/' separators (stored paths must not depend on the
 * platform that imported them), or null when `path` lies outside `root`.
 */
export function relativeInside(root: string, path: string): string | null {
  const rel = relative(resolve(root), resolve(path));
  if (rel === '') return '';
  if (rel === '..' || rel.startsWith(`..${sep}`) || isAbsolute(rel)) return null;
  return rel.split(sep).join('/');
}

/**
 * `file` with links resolved, when it exists and lies inside `folder` (also with links resolved); null
 * otherwise: the last check before a file named by stored data is served.
 */
export function fileInside(folder: string, file: string): string | null {
  let real: string;
  let realFolder: string;
  try {
    real = realpathSync(file);
    realFolder = realpathSync(folder);
  } catch {
    return null;
  }
  const inside = relativeInside(realFolder, real);
  return inside === null || inside === '' ? null : real;
}
