import { readdir, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';
import { relativeInside } from '../paths.ts';

/** Photo formats the import takes (what sharp decodes and the models were trained on). */
export const PHOTO_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff']);

export const isPhotoName = (name: string): boolean => PHOTO_EXTENSIONS.has(extname(name).toLowerCase());

export interface ScannedFile {
  /** Relative to the catalog root, '/'-separated. */
  path: string;
  absolute: string;
  size: number;
  mtimeMs: number;
}

/**
 * Every photo file at or below `folder`, sorted by path. Hidden entries (the catalog's own .pairx
 * folder, .DS_Store, editors' backups) and symbolic links are skipped: following links could leave the
 * catalog or loop.
 */
export async function scanPhotos(root: string, folder: string, signal?: AbortSignal): Promise<ScannedFile[]> {
  const found: ScannedFile[] = [];
  const pending = [folder];
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const current = pending.pop()!;
    for (const entry of await readdir(current, { withFileTypes: true })) {
      if (entry.name.startsWith('.')) continue;
      const absolute = join(current, entry.name);
      if (entry.isDirectory()) pending.push(absolute);
      else if (entry.isFile() && isPhotoName(entry.name)) {
        const info = await stat(absolute);
        found.push({ path: relativeInside(root, absolute)!, absolute, size: info.size, mtimeMs: info.mtimeMs });
      }
    }
  }
  return found.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
