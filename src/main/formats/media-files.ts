import { copyFileSync, existsSync, linkSync, mkdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { absolutePath } from '../catalog/layout.ts';

/** Where a package keeps the photos it carries, relative to the package. */
export const MEDIA_DIR = 'media';

/** The photo's path inside a package (always '/'-separated, never leaving the package). */
export const packagedPath = (path: string): string => `${MEDIA_DIR}/${path}`;

/** The photo's published address: the base address and the photo's path, each part URL-encoded. */
export const publishedPath = (baseUrl: string, path: string): string => `${baseUrl.replace(/\/+$/, '')}/${path.split('/').map(encodeURIComponent).join('/')}`;

/**
 * Puts the photos into the package's media folder: a hard link where the package is on the catalog's
 * file system (no space used), a copy where it is not. Returns the photos missing from the catalog
 * folder, which the package cannot carry.
 */
export function packPhotos(root: string, outDir: string, paths: readonly string[]): string[] {
  const missing: string[] = [];
  for (const path of paths) {
    const source = absolutePath(root, path);
    if (!existsSync(source)) {
      missing.push(path);
      continue;
    }
    const target = join(outDir, ...packagedPath(path).split('/'));
    mkdirSync(dirname(target), { recursive: true });
    rmSync(target, { force: true });
    try {
      linkSync(source, target);
    } catch {
      copyFileSync(source, target);
    }
  }
  return missing;
}
