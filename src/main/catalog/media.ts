import { extname } from 'node:path';
import type { Media, MediaRequest } from '../../shared/bridge.ts';
import { fileInside } from '../paths.ts';
import { NotFoundError } from './errors.ts';
import { absolutePath, thumbsDir } from './layout.ts';
import type { CatalogStore } from './store/catalog-store.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.png': 'image/png',
  '.webp': 'image/webp',
  '.tif': 'image/tiff',
  '.tiff': 'image/tiff',
};

const contentTypeOf = (file: string): string =>
  CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';

/**
 * An annotation's thumbnail or photo as a file for the front to stream. Media are named by annotation id,
 * but the paths come from the catalog, which a moved or hand-edited folder can make point anywhere: a
 * file outside the catalog (thumbnails: outside .pairx/thumbs) is not served.
 */
export function catalogFile(store: CatalogStore, request: Extract<MediaRequest, { kind: 'thumb' | 'photo' }>): Media {
  const [annotation] = store.annotations.view({ ids: [request.annotationId], offset: 0, limit: 1 }).annotations;
  if (!annotation) throw new NotFoundError(`there is no annotation ${request.annotationId}`);
  const stored = request.kind === 'thumb' ? annotation.thumbnail : annotation.image;
  const allowed = request.kind === 'thumb' ? thumbsDir(store.root) : store.root;
  const file = stored === null ? null : fileInside(allowed, absolutePath(store.root, stored));
  if (!file)
    throw new NotFoundError(
      `the ${request.kind === 'thumb' ? 'thumbnail' : 'photo'} of annotation ${request.annotationId} is missing`,
    );
  return { contentType: contentTypeOf(file), file };
}
