import { realpathSync } from 'node:fs';
import { extname } from 'node:path';
import { relativeInside } from '../catalog/layout.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

export const contentTypeOf = (file: string): string =>
  CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/**
 * `file` with links resolved, when it exists and lies inside `folder` (also with links resolved); null
 * otherwise. Media are named by annotation id, but the paths come from the catalog, which a moved or
 * hand-edited folder can make point anywhere: this is the last check before a file is served.
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
  const relative = relativeInside(realFolder, real);
  return relative === null || relative === '' ? null : real;
}
