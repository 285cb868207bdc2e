import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

/** Everything the workbench writes into a catalog folder lives under this one hidden folder. */
export const CATALOG_DIR = '.pairx';
export const CATALOG_FILE = 'catalog.sqlite';
export const THUMBS_DIR = 'thumbs';

export const catalogDir = (root: string): string => join(root, CATALOG_DIR);
export const catalogFile = (root: string): string => join(root, CATALOG_DIR, CATALOG_FILE);
export const thumbsDir = (root: string): string => join(root, CATALOG_DIR, THUMBS_DIR);

/** A stored (relative, '/'-separated) path as an absolute path on this machine. */
export const absolutePath = (root: string, stored: string): string => join(root, ...stored.split('/'));

/** The nearest folder at or above `start` that holds a catalog, like git finds its repository. */
export function findCatalogRoot(start: string): string | null {
  let folder = resolve(start);
  for (;;) {
    if (existsSync(catalogFile(folder))) return folder;
    const parent = dirname(folder);
    if (parent === folder) return null;
    folder = parent;
  }
}
