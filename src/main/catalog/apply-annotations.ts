import { existsSync } from 'node:fs';
import type { Box, Issue } from '../../shared/api.ts';
import type { ProgressListener } from '../jobs/tracked-job.ts';
import { rowPlace, type AnnotationRow, type AnnotationRows } from './annotation-rows.ts';
import { describedBy, knownAnnotations } from './known-annotations.ts';
import { absolutePath } from './layout.ts';
import { isPhotoName } from './scan.ts';
import type { AnnotationRecord } from './store/annotations.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ImageRecord } from './store/images.ts';

/** Rows written per transaction: small enough that a killed import loses little, large enough to be quick. */
const ROWS_PER_TRANSACTION = 100;
/** Boxes may overshoot the photo by rounding; more than this is an error in the file. */
const BOX_TOLERANCE_PX = 1;
/** A file's image and the photo on disk may differ in size (an exporter resized it), not in shape. */
const ASPECT_TOLERANCE = 0.02;

export interface ApplyOptions {
  /** Photos the import could not read, to explain their rows. */
  failedPaths: Set<string>;
  /** The imported folder, relative to the catalog root ('' for all of it). */
  importedFolder: string;
  signal?: AbortSignal;
  report: ProgressListener;
}

const boxText = (box: Box): string => `x ${box.x}, y ${box.y}, w ${box.w}, h ${box.h}`;

/** The row's box in pixels of the upright photo on disk, or the reason it is not one. */
function resolveBox(row: AnnotationRow, image: ImageRecord): Box | string | null {
  if (!row.box) return null;
  const { width, height } = image;
  let scaleX = 1;
  let scaleY = 1;
  let units = '';
  if (row.units === 'fractions') {
    scaleX = width;
    scaleY = height;
    units = ' (as fractions of the photo)';
  } else if (row.referenceSize && (row.referenceSize.width !== width || row.referenceSize.height !== height)) {
    const { width: fileWidth, height: fileHeight } = row.referenceSize;
    if (Math.abs(width / fileWidth - height / fileHeight) > ASPECT_TOLERANCE * Math.max(width / fileWidth, height / fileHeight)) {
      return `the file's image is ${fileWidth}×${fileHeight} but the photo is ${width}×${height}: another photo, or turned (EXIF orientation)`;
    }
    // Exporters resize to a long side and truncate the short one (WBIA: int(2400 · ratio)), so the long
    // sides give the scale of both axes exactly.
    scaleX = scaleY = Math.max(width, height) / Math.max(fileWidth, fileHeight);
    units = ` (on the file's ${fileWidth}×${fileHeight} image)`;
  }
  const box = { x: row.box.x * scaleX, y: row.box.y * scaleY, w: row.box.w * scaleX, h: row.box.h * scaleY };
  const right = box.x + box.w;
  const bottom = box.y + box.h;
  if (box.x < -BOX_TOLERANCE_PX || box.y < -BOX_TOLERANCE_PX || right > width + BOX_TOLERANCE_PX || bottom > height + BOX_TOLERANCE_PX) {
    return `box (${boxText(row.box)})${units} reaches outside the ${width}×${height} photo`;
  }
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  return { x, y, w: Math.min(width, right) - x, h: Math.min(height, bottom) - y };
}

const annotationKey = (imageId: number, box: Box | null, theta: number): string =>
  `${imageId}|${box ? [box.x, box.y, box.w, box.h].map((value) => value.toFixed(3)).join(',') : 'whole'}|${theta.toFixed(6)}`;

/**
 * Writes annotation rows (from any reader in src/main/formats) as annotations. Idempotent: a row
 * matching an annotation already there (same photo, box and theta) fills in its missing name or side
 * instead of adding a copy, so importing the same file again changes nothing. A name never overrides a
 * different one already recorded (that would undo a reviewer's decision); it is reported instead. A
 * photo's capture time and position from the file fill in what its EXIF lacked, never replace it.
 */
export function applyAnnotationRows(store: CatalogStore, file: AnnotationRows, options: ApplyOptions): { added: number; updated: number; issues: Issue[] } {
  const issues: Issue[] = [];
  const problem = (row: AnnotationRow, message: string) =>
    issues.push(row.line !== undefined ? { file: file.file, row: row.line, message } : { file: file.file, message: `${rowPlace(row)}: ${message}` });
  const says = file.file.toLowerCase().endsWith('.csv') ? 'the CSV says' : 'the file says';
  const firstPlace = new Map<string, string>();
  let added = 0;
  let updated = 0;

  const whyMissing = (row: AnnotationRow): string => {
    if (options.failedPaths.has(row.path)) return `${row.path} could not be imported (see its own issue)`;
    if (!existsSync(absolutePath(store.root, row.path))) return `${row.path} not found`;
    if (!isPhotoName(row.path)) return `${row.path} is not a supported photo type (JPEG, PNG, WebP, TIFF)`;
    const inside = options.importedFolder === '' || row.path.startsWith(`${options.importedFolder}/`);
    return inside ? `${row.path} was not imported` : `${row.path} is outside the imported folder ${options.importedFolder}`;
  };

  const applyRow = (row: AnnotationRow): void => {
    const known = store.images.file(row.path);
    if (!known) return void problem(row, whyMissing(row));
    const image = store.images.byId(known.imageId)!;
    const box = resolveBox(row, image);
    if (typeof box === 'string') return void problem(row, box);

    const key = annotationKey(image.id, box, row.theta);
    const earlier = firstPlace.get(key);
    if (earlier !== undefined) return void problem(row, `duplicate of ${earlier} (same photo, box and theta); skipped`);
    firstPlace.set(key, rowPlace(row));

    store.images.fillCaptureFacts(image.id, { capturedAt: row.capturedAt, gpsLat: row.gps?.lat ?? null, gpsLon: row.gps?.lon ?? null });

    // Deleted ones and boxes a person changed since count too (known-annotations.ts).
    const existing: AnnotationRecord | undefined = describedBy(knownAnnotations(store, image.id), box, row.theta);
    if (existing?.deleted) return;
    if (!existing) {
      const individual = row.name === null ? null : store.individuals.findOrCreate(row.name);
      store.annotations.insert({
        imageId: image.id,
        box,
        theta: row.theta,
        side: row.side,
        individualId: individual?.id ?? null,
        source: row.line !== undefined ? `${file.file}:${row.line}` : `${file.file}#${rowPlace(row)}`,
      });
      added++;
      return;
    }
    let changed = false;
    if (row.side !== null && existing.side !== row.side) {
      if (existing.side === null) {
        store.annotations.setSide(existing.id, row.side);
        changed = true;
      } else problem(row, `annotation ${existing.id} already has side "${existing.side}"; kept (${says} "${row.side}")`);
    }
    if (row.name !== null) {
      const current = existing.individualId === null ? null : store.individuals.byId(existing.individualId)!;
      if (current === null) {
        store.annotations.giveName(existing.id, store.individuals.findOrCreate(row.name).id);
        changed = true;
      } else if (current.name !== row.name) {
        problem(row, `annotation ${existing.id} is already named "${current.name}"; kept (${says} "${row.name}")`);
      }
    }
    if (changed) updated++;
  };

  for (let start = 0; start < file.rows.length && !options.signal?.aborted; start += ROWS_PER_TRANSACTION) {
    const batch = file.rows.slice(start, start + ROWS_PER_TRANSACTION);
    store.transaction(() => batch.forEach(applyRow));
    options.report({ phase: 'annotations', done: start + batch.length, total: file.rows.length });
  }
  return { added, updated, issues };
}
