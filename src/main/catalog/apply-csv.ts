import { existsSync } from 'node:fs';
import type { Box, Issue } from '../../shared/api.ts';
import type { ProgressListener } from '../jobs/tracked-job.ts';
import type { CsvAnnotation, CsvAnnotations } from './annotations-csv.ts';
import { describedBy, knownAnnotations } from './known-annotations.ts';
import { absolutePath } from './layout.ts';
import { isPhotoName } from './scan.ts';
import type { AnnotationRecord } from './store/annotations.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ImageRecord } from './store/images.ts';

/** Rows written per transaction: small enough that a killed import loses little, large enough to be quick. */
const ROWS_PER_TRANSACTION = 100;
/** Boxes may overshoot the photo by rounding; more than this is an error in the CSV. */
const BOX_TOLERANCE_PX = 1;

export interface ApplyOptions {
  /** Photos the import could not read, to explain their rows. */
  failedPaths: Set<string>;
  /** The imported folder, relative to the catalog root ('' for all of it). */
  importedFolder: string;
  signal?: AbortSignal;
  report: ProgressListener;
}

/** A box in pixels inside the photo, or the reason it is not one. */
function resolveBox(row: CsvAnnotation, image: ImageRecord): Box | string | null {
  if (!row.box) return null;
  const { width, height } = image;
  const box = row.fractional
    ? { x: row.box.x * width, y: row.box.y * height, w: row.box.w * width, h: row.box.h * height }
    : { ...row.box };
  const right = box.x + box.w;
  const bottom = box.y + box.h;
  if (box.x < -BOX_TOLERANCE_PX || box.y < -BOX_TOLERANCE_PX || right > width + BOX_TOLERANCE_PX || bottom > height + BOX_TOLERANCE_PX) {
    const units = row.fractional ? ' (as fractions of the photo)' : '';
    return `box (x ${row.box.x}, y ${row.box.y}, w ${row.box.w}, h ${row.box.h})${units} reaches outside the ${width}×${height} photo`;
  }
  const x = Math.max(0, box.x);
  const y = Math.max(0, box.y);
  return { x, y, w: Math.min(width, right) - x, h: Math.min(height, bottom) - y };
}

const annotationKey = (imageId: number, box: Box | null, theta: number): string =>
  `${imageId}|${box ? [box.x, box.y, box.w, box.h].map((value) => value.toFixed(3)).join(',') : 'whole'}|${theta.toFixed(6)}`;

/**
 * Writes CSV rows as annotations. Idempotent: a row matching an annotation already there (same photo,
 * box and theta) fills in its missing name or side instead of adding a copy, so importing the same CSV
 * again changes nothing. A name never overrides a different one already recorded (that would undo a
 * reviewer's decision); it is reported instead.
 */
export function applyCsvAnnotations(store: CatalogStore, csv: CsvAnnotations, options: ApplyOptions): { added: number; updated: number; issues: Issue[] } {
  const issues: Issue[] = [];
  const problem = (row: CsvAnnotation, message: string) => issues.push({ file: csv.file, row: row.line, message });
  const firstLine = new Map<string, number>();
  let added = 0;
  let updated = 0;

  const whyMissing = (row: CsvAnnotation): string => {
    if (options.failedPaths.has(row.path)) return `${row.path} could not be imported (see its own issue)`;
    if (!existsSync(absolutePath(store.root, row.path))) return `${row.path} not found`;
    if (!isPhotoName(row.path)) return `${row.path} is not a supported photo type (JPEG, PNG, WebP, TIFF)`;
    const inside = options.importedFolder === '' || row.path.startsWith(`${options.importedFolder}/`);
    return inside ? `${row.path} was not imported` : `${row.path} is outside the imported folder ${options.importedFolder}`;
  };

  const applyRow = (row: CsvAnnotation): void => {
    const file = store.images.file(row.path);
    if (!file) return void problem(row, whyMissing(row));
    const image = store.images.byId(file.imageId)!;
    const box = resolveBox(row, image);
    if (typeof box === 'string') return void problem(row, box);

    const key = annotationKey(image.id, box, row.theta);
    const earlier = firstLine.get(key);
    if (earlier !== undefined) return void problem(row, `duplicate of line ${earlier} (same photo, box and theta); skipped`);
    firstLine.set(key, row.line);

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
        source: `${csv.file}:${row.line}`,
      });
      added++;
      return;
    }
    let changed = false;
    if (row.side !== null && existing.side !== row.side) {
      if (existing.side === null) {
        store.annotations.setSide(existing.id, row.side);
        changed = true;
      } else problem(row, `annotation ${existing.id} already has side "${existing.side}"; kept (the CSV says "${row.side}")`);
    }
    if (row.name !== null) {
      const current = existing.individualId === null ? null : store.individuals.byId(existing.individualId)!;
      if (current === null) {
        store.annotations.setIndividual(existing.id, store.individuals.findOrCreate(row.name).id);
        changed = true;
      } else if (current.name !== row.name) {
        problem(row, `annotation ${existing.id} is already named "${current.name}"; kept (the CSV says "${row.name}")`);
      }
    }
    if (changed) updated++;
  };

  for (let start = 0; start < csv.rows.length && !options.signal?.aborted; start += ROWS_PER_TRANSACTION) {
    const batch = csv.rows.slice(start, start + ROWS_PER_TRANSACTION);
    store.transaction(() => batch.forEach(applyRow));
    options.report({ phase: 'annotations', done: start + batch.length, total: csv.rows.length });
  }
  return { added, updated, issues };
}
