import { createHash } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { IMAGE_MEDIA_SIDE, type Media } from '../../shared/bridge.ts';
import { openImage, uprightRegion } from '../imaging/preprocess.ts';
import { writeThumbnail } from '../imaging/thumbnail.ts';
import { fileInside } from '../paths.ts';
import { NotFoundError } from './errors.ts';
import { absolutePath, catalogDir, thumbsDir } from './layout.ts';
import { catalogFile } from './media.ts';
import type { CatalogStore } from './store/catalog-store.ts';

/** Thumbnails of boxes live beside the photos' own, named by the photo's hash and the box. */
const BOX_THUMBS_DIR = 'boxes';

/** The photo file behind a stored path, checked to lie inside the catalog (a hand-edited path could point anywhere). */
function photoFile(store: CatalogStore, stored: string, what: string): string {
  const file = fileInside(store.root, absolutePath(store.root, stored));
  if (!file) throw new NotFoundError(`the photo of ${what} is missing: ${stored}`);
  return file;
}

/**
 * An annotation's thumbnail: its box cut out of the upright photo (rotated where theta says), written
 * once per photo and box under .pairx/thumbs/boxes; the photo's own thumbnail for a whole-photo
 * annotation. A changed box gets a file of its own, so a thumbnail never shows an old box.
 */
export async function annotationThumbnail(store: CatalogStore, annotationId: number): Promise<Media> {
  const annotation = store.annotations.byId(annotationId);
  if (!annotation) throw new NotFoundError(`there is no annotation ${annotationId}`);
  if (!annotation.box) return catalogFile(store, { kind: 'thumb', annotationId });
  const image = store.images.byId(annotation.imageId)!;
  const { x, y, w, h } = annotation.box;
  const key = createHash('sha1').update(JSON.stringify([x, y, w, h, annotation.theta])).digest('hex').slice(0, 16);
  const folder = join(thumbsDir(store.root), BOX_THUMBS_DIR);
  const file = join(folder, `${image.sha256}-${key}.jpg`);
  if (!existsSync(file)) {
    const source = photoFile(store, image.path, `annotation ${annotationId}`);
    mkdirSync(folder, { recursive: true });
    await writeThumbnail(await uprightRegion(source, { ...annotation.box, theta: annotation.theta }), file);
  }
  return { contentType: 'image/jpeg', file };
}

/** A photo's own thumbnail, by photo id. */
export function imageThumbnail(store: CatalogStore, imageId: number): Media {
  const image = store.images.byId(imageId);
  if (!image) throw new NotFoundError(`there is no photo ${imageId}`);
  const file = image.thumbnail === null ? null : fileInside(thumbsDir(store.root), join(catalogDir(store.root), ...image.thumbnail.split('/')));
  if (!file) throw new NotFoundError(`the thumbnail of photo ${imageId} is missing`);
  return { contentType: 'image/jpeg', file };
}

/**
 * A photo upright (EXIF orientation applied), at most IMAGE_MEDIA_SIDE pixels long, as JPEG: what the
 * photo view draws boxes over. Browsers cannot show every photo type the catalog holds (TIFF), and
 * boxes are in upright pixels, so the window never sees the file itself.
 */
export async function uprightImage(store: CatalogStore, imageId: number): Promise<Media> {
  const image = store.images.byId(imageId);
  if (!image) throw new NotFoundError(`there is no photo ${imageId}`);
  const source = photoFile(store, image.path, `photo ${imageId}`);
  const bytes = await (await openImage(source))
    .resize(IMAGE_MEDIA_SIDE, IMAGE_MEDIA_SIDE, { fit: 'inside', withoutEnlargement: true })
    .flatten({ background: { r: 255, g: 255, b: 255 } })
    .jpeg({ quality: 88 })
    .toBuffer();
  return { contentType: 'image/jpeg', bytes };
}
