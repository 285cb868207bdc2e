import { existsSync, readdirSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { isPhotoName } from '../catalog/scan.ts';
import { relativeInside } from '../paths.ts';
import type { ResolvedPhoto } from './reader.ts';

/**
 * Resolves the photo paths an annotation file names. Relative paths are tried against the imported
 * folder first (this project's CSV, wildlife-datasets' `path` relative to the dataset root), then against
 * the file's own folder (a file kept beside its photos); the first that exists wins, and a path that
 * exists in neither stays relative to the imported folder, to be reported as not found.
 */
export function photoPathResolver(root: string, folder: string, file: string): (raw: string) => ResolvedPhoto {
  const bases = [folder, dirname(file)];
  return (raw) => {
    const written = raw.trim().replaceAll('\\', '/');
    if (written === '') return { problem: 'no image given' };
    const candidates = isAbsolute(written) ? [written] : bases.map((base) => resolve(base, written));
    let fallback: string | null = null;
    for (const candidate of candidates) {
      const path = relativeInside(root, candidate);
      if (path === null || path === '') continue;
      if (existsSync(candidate)) return { path };
      fallback ??= path;
    }
    return fallback !== null ? { path: fallback } : { problem: `${written} is outside the catalog folder ${root}` };
  };
}

/**
 * Photo files under `folder` by file name (catalog-relative paths), for files that name a photo without
 * its folder (COCO's `file_name` beside `images/train2020/`). Hidden folders are skipped, as the scan does.
 */
export function photosByName(root: string, folder: string): Map<string, string[]> {
  const byName = new Map<string, string[]>();
  const pending = [folder];
  while (pending.length > 0) {
    const current = pending.pop()!;
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (entry.name.startsWith('.')) continue;
      const absolute = join(current, entry.name);
      if (entry.isDirectory()) pending.push(absolute);
      else if (entry.isFile() && isPhotoName(entry.name)) {
        const path = relativeInside(root, absolute);
        if (path !== null) byName.set(basename(entry.name), [...(byName.get(entry.name) ?? []), path]);
      }
    }
  }
  for (const paths of byName.values()) paths.sort();
  return byName;
}
