import { readdir, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import type sharp from 'sharp';

/** Longest side of a catalog thumbnail: sharp enough for a grid cell on a high-density screen. */
export const THUMBNAIL_SIZE = 256;

/**
 * Writes an upright JPEG thumbnail. It is written to a temporary name and renamed, so that a killed
 * process never leaves a half-written thumbnail under the final name.
 */
let written = 0;

export async function writeThumbnail(image: sharp.Sharp, file: string): Promise<void> {
  // Unique per call: two copies of one photo imported side by side write the same thumbnail.
  const partial = `${file}.${process.pid}-${++written}.partial`;
  try {
    await image
      .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
      .flatten({ background: { r: 255, g: 255, b: 255 } })
      .jpeg({ quality: 80, mozjpeg: false })
      .toFile(partial);
    await rename(partial, file);
  } catch (error) {
    await unlink(partial).catch(() => undefined);
    throw error;
  }
}

/**
 * Removes half-written thumbnails left in `folder` by processes that were killed while writing them;
 * `writerAlive` says whether the process that wrote one (by pid) still runs.
 */
export async function removeAbandonedThumbnails(
  folder: string,
  writerAlive: (pid: number) => boolean,
): Promise<void> {
  for (const name of await readdir(folder).catch(() => [] as string[])) {
    const writer = /\.(\d+)-\d+\.partial$/.exec(name);
    if (writer && !writerAlive(Number(writer[1]))) await unlink(join(folder, name)).catch(() => undefined);
  }
}
