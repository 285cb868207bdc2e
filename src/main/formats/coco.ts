import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { Issue } from '../../shared/api.ts';
import type { AnnotationRow, PhotoSize } from '../catalog/annotation-rows.ts';
import { CatalogError } from '../catalog/errors.ts';
import { absolutePath } from '../catalog/layout.ts';
import { relativeInside } from '../paths.ts';
import { captureTime } from './capture-time.ts';
import type { AnnotationReader, ReaderContext } from './reader.ts';

/**
 * COCO as Wildbook and WBIA export it (WildMeOrg/wildbook-ia `wbia/other/detectcore.py` export_to_coco,
 * WildMeOrg/Wildbook `EncounterCOCOExportFile.java`; the Wild Me data sets on LILA are in this form):
 * - `images[]`: `id`, `file_name` (WBIA renames to `000000000001.jpg` in `images/train2024/`, Wildbook to
 *   `<media asset uuid>.jpg`), `width`, `height` of the image as exported (WBIA resizes to a long side of
 *   2,400 px: the boxes refer to that size), `date_captured`, `gps_lat_captured`/`gps_lon_captured`
 *   (WBIA: strings, -1 when unknown);
 * - `annotations[]`: `image_id`, `bbox` [x, y, w, h] in pixels of that image, `theta` (radians about the
 *   box centre), `viewpoint` (WBIA's codes; `unknown`), `name` (`____` is WBIA's unknown name; Wildbook
 *   writes null and the individual's `individual_uuid`).
 */

/** Names that mean "not identified". */
const UNKNOWN_NAMES = new Set(['', '____', 'unknown']);
/** Boxes may overshoot the exported image by rounding (WBIA scales float boxes); more is an error. */
const BOX_TOLERANCE_PX = 1;

type JsonObject = Record<string, unknown>;
const isObject = (value: unknown): value is JsonObject => value !== null && typeof value === 'object' && !Array.isArray(value);
const finite = (value: unknown): number | null => {
  const number = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) ? number : null;
};

interface CocoImage {
  label: string;
  path: string | null;
  size: PhotoSize;
  capturedAt: string | null;
  gps: { lat: number; lon: number } | null;
}

/** WBIA writes -1 for an unknown position, cameras without a fix (0, 0). */
function position(image: JsonObject): { lat: number; lon: number } | null {
  const lat = finite(image.gps_lat_captured);
  const lon = finite(image.gps_lon_captured);
  if (lat === null || lon === null || Math.abs(lat) > 90 || Math.abs(lon) > 180) return null;
  if ((lat === -1 && lon === -1) || (lat === 0 && lon === 0)) return null;
  return { lat, lon };
}

/**
 * The photo an image record names: its `file_name` under the imported folder (or beside the file), else
 * the one photo under the imported folder with that file name (COCO keeps images in `images/<split>/`
 * while `file_name` has no folder).
 */
function resolveImage(fileName: string, context: ReaderContext): { path: string | null; problem?: string } {
  const direct = context.photoPath(fileName);
  if ('problem' in direct) return { path: null, problem: direct.problem };
  if (existsSync(absolutePath(context.root, direct.path))) return { path: direct.path };
  const named = context.photosNamed(basename(fileName.replaceAll('\\', '/')));
  if (named.length === 1) return { path: named[0] };
  if (named.length > 1) {
    return { path: null, problem: `${named.length} photos under the imported folder are named ${basename(fileName)} (${named.slice(0, 3).join(', ')}${named.length > 3 ? ', …' : ''}); import the folder that holds this file's images only` };
  }
  return { path: direct.path };
}

export const cocoReader: AnnotationReader = {
  format: 'coco',
  label: 'COCO (Wildbook/WBIA export)',
  accepts(content) {
    const json = content.json();
    return isObject(json) && Array.isArray(json.images) && Array.isArray(json.annotations);
  },
  read(content, context) {
    const file = context.name;
    const json = content.json() as JsonObject;
    const issues: Issue[] = [];
    const problem = (message: string) => issues.push({ file, message });

    const images = new Map<string, CocoImage>();
    (json.images as unknown[]).forEach((record, index) => {
      if (!isObject(record)) return problem(`images[${index}] is not an object`);
      const id = record.id;
      const label = `image ${String(id)}`;
      if ((typeof id !== 'number' && typeof id !== 'string') || images.has(String(id))) {
        return problem(`images[${index}]: ${id === undefined ? 'no id' : `id ${String(id)} is not a unique number or string`}`);
      }
      const fileName = typeof record.file_name === 'string' ? record.file_name.trim() : '';
      const width = finite(record.width);
      const height = finite(record.height);
      if (fileName === '') return problem(`${label}: no file_name`);
      if (width === null || height === null || width <= 0 || height <= 0) return problem(`${label} (${fileName}): no width and height`);
      const resolved = resolveImage(fileName, context);
      if (resolved.problem) problem(`${label} (${fileName}): ${resolved.problem}`);
      const date = captureTime(record.date_captured);
      if (date !== null && typeof date === 'object') problem(`${label} (${fileName}): ${date.problem}; imported without it`);
      images.set(String(id), {
        label: `${label} (${fileName})`,
        path: resolved.path,
        size: { width, height },
        capturedAt: typeof date === 'string' ? date : null,
        gps: position(record),
      });
    });

    const usable = [...images.values()].filter((image) => image.path !== null);
    const found = usable.filter((image) => existsSync(absolutePath(context.root, image.path!)));
    if (images.size > 0 && found.length === 0) {
      const folder = relativeInside(context.root, context.folder) || 'the catalog folder';
      const first = [...images.values()][0].label;
      throw new CatalogError(
        `${file}: none of its ${images.size} images is under ${folder} (the first: ${first}); copy its images folder into the catalog and import that folder`,
      );
    }

    const rows: AnnotationRow[] = [];
    (json.annotations as unknown[]).forEach((record, index) => {
      if (!isObject(record)) return problem(`annotations[${index}] is not an object`);
      const label = `annotation ${record.id === undefined ? `[${index}]` : String(record.id)}`;
      const image = images.get(String(record.image_id));
      if (!image) return problem(`${label}: its image_id ${String(record.image_id)} is not in the file's images`);
      const place = `${label} (${image.label})`;
      if (image.path === null) return problem(`${place}: skipped with its image`);

      const bbox = record.bbox;
      const values = Array.isArray(bbox) ? bbox.map(finite) : [];
      if (values.length !== 4 || values.some((value) => value === null)) return problem(`${place}: bbox is not [x, y, w, h] in pixels`);
      const [x, y, w, h] = values as number[];
      if (w <= 0 || h <= 0) return problem(`${place}: box has no area (w ${w}, h ${h})`);
      const { width, height } = image.size;
      if (x < -BOX_TOLERANCE_PX || y < -BOX_TOLERANCE_PX || x + w > width + BOX_TOLERANCE_PX || y + h > height + BOX_TOLERANCE_PX) {
        return problem(`${place}: box (x ${x}, y ${y}, w ${w}, h ${h}) reaches outside its ${width}×${height} image`);
      }
      const theta = record.theta === undefined || record.theta === null ? 0 : finite(record.theta);
      if (theta === null) return problem(`${place}: theta is not a number (${String(record.theta)})`);

      const viewpoint = typeof record.viewpoint === 'string' ? record.viewpoint.trim().toLowerCase() : '';
      const written = record.name ?? record.individual_uuid;
      const name = typeof written === 'string' || typeof written === 'number' ? String(written).trim() : '';
      rows.push({
        label: place,
        path: image.path,
        name: UNKNOWN_NAMES.has(name.toLowerCase()) ? null : name,
        side: viewpoint === '' || viewpoint === 'unknown' ? null : viewpoint,
        box: { x, y, w, h },
        units: 'pixels',
        referenceSize: image.size,
        theta,
        capturedAt: image.capturedAt,
        gps: image.gps,
      });
    });
    // Every image the file lists is described by it, those without annotations too (no animal of the
    // exported species): none of them gets a whole-photo annotation.
    return { file, format: this.format, rows, described: new Set(usable.map((image) => image.path!)), issues };
  },
};
