import { existsSync } from 'node:fs';
import type { Box, DetectionsSummary, Issue } from '../../shared/api.ts';
import type { ProgressListener } from '../jobs/tracked-job.ts';
import { deleteAnnotation } from './annotation-edits.ts';
import { rowPlace, type AnnotationRow } from './annotation-rows.ts';
import type { DetectionRow, DetectionRows } from './detection-rows.ts';
import { knownAnnotations, overlapping } from './known-annotations.ts';
import { absolutePath } from './layout.ts';
import type { AnnotationRecord } from './store/annotations.ts';
import type { CatalogStore } from './store/catalog-store.ts';
import type { ImageRecord } from './store/images.ts';

/** Photos written per transaction. */
const PHOTOS_PER_TRANSACTION = 100;
/**
 * A detection is already in the catalog when an annotation of its photo (live or deleted, its box now
 * or as it was made) overlaps it this much: the box imported before, moved since by a person, or a box
 * a person drew around the same animal.
 */
const SAME_ANIMAL_IOU = 0.6;

/** A row of another file (names, sides) that names the animal of a photo the detector describes. */
export interface NamingRow {
  file: string;
  row: AnnotationRow;
}

export interface DetectionsApplyOptions {
  failedPaths: Set<string>;
  importedFolder: string;
  signal?: AbortSignal;
  report: ProgressListener;
}

/**
 * The box in fractions of the upright photo. MegaDetector opens images with EXIF orientation applied
 * for the rotations (3, 6, 8) and leaves mirrored ones (2, 4, 5, 7) as stored (its open_image asserts
 * on them inside a try that ignores the failure), so its fractions refer to the upright image except
 * for those, which are mapped here from the stored image.
 */
export function uprightFractions(box: Box, orientation: number | null): Box {
  switch (orientation) {
    case 2: // mirrored left-right
      return { x: 1 - box.x - box.w, y: box.y, w: box.w, h: box.h };
    case 4: // mirrored top-bottom
      return { x: box.x, y: 1 - box.y - box.h, w: box.w, h: box.h };
    case 5: // transposed: stored rows are upright columns
      return { x: box.y, y: box.x, w: box.h, h: box.w };
    case 7: // transversed
      return { x: 1 - box.y - box.h, y: 1 - box.x - box.w, w: box.h, h: box.w };
    default:
      return box;
  }
}

function pixels(row: DetectionRow, image: ImageRecord): Box {
  const f = uprightFractions(row.box!, image.orientation);
  const x = Math.max(0, f.x * image.width);
  const y = Math.max(0, f.y * image.height);
  return { x, y, w: Math.min(image.width, (f.x + f.w) * image.width) - x, h: Math.min(image.height, (f.y + f.h) * image.height) - y };
}

/** A photo's automatic whole-photo annotation that nothing depends on: the boxes replace it. */
function replaceablePlaceholder(store: CatalogStore, annotations: AnnotationRecord[]): AnnotationRecord | undefined {
  const placeholder = annotations.find((a) => !a.deleted && a.box === null && a.source === 'whole-image' && a.individualId === null);
  if (!placeholder) return undefined;
  if (store.decisions.decidedPartners(placeholder.id).size > 0) return undefined;
  if (store.annotationEdits.personEdited([placeholder.id]).size > 0) return undefined;
  return placeholder;
}

export function emptyDetectionsSummary(file: DetectionRows): DetectionsSummary {
  return {
    file: file.file,
    formatVersion: file.detector.formatVersion,
    threshold: file.detector.threshold,
    animalBoxes: 0,
    belowThreshold: 0,
    otherCategories: 0,
    noAnimal: [],
    severalAnimals: [],
    failed: 0,
  };
}

/**
 * Writes a detector's animal boxes as annotations, photo by photo: boxes from fractions of the image
 * to pixels of the upright photo; a box already in the catalog (see SAME_ANIMAL_IOU) is not added
 * again, and nothing a person drew, changed or deleted is touched, so an import can run again. A
 * photo's automatic whole-photo annotation gives way to its boxes (kept with a deletion mark) unless it
 * has a name, a decision or a person's edit. Rows of other files without a box (names, sides) name the
 * animal where the photo has exactly one box; a photo with several keeps them unnamed, with a notice;
 * a named photo with no animal found keeps the name on a whole-photo annotation, with a notice.
 */
export function applyDetections(
  store: CatalogStore,
  file: DetectionRows,
  naming: readonly NamingRow[],
  options: DetectionsApplyOptions,
): { added: number; updated: number; issues: Issue[]; summary: DetectionsSummary } {
  const issues: Issue[] = [];
  const summary = emptyDetectionsSummary(file);
  const rowsOf = new Map<string, DetectionRow[]>();
  for (const row of file.rows) rowsOf.set(row.path, [...(rowsOf.get(row.path) ?? []), row]);
  const namesOf = new Map<string, NamingRow[]>();
  for (const named of naming) namesOf.set(named.row.path, [...(namesOf.get(named.row.path) ?? []), named]);
  let added = 0;
  let updated = 0;

  const namingProblem = ({ file: from, row }: NamingRow, message: string) =>
    issues.push(row.line !== undefined ? { file: from, row: row.line, message } : { file: from, message: `${rowPlace(row)}: ${message}` });

  /** A name and side from another file onto an annotation, never over a different one. */
  const name = (annotation: AnnotationRecord, named: NamingRow): void => {
    const { row } = named;
    let changed = false;
    if (row.side !== null && annotation.side !== row.side) {
      if (annotation.side === null) {
        store.annotations.setSide(annotation.id, row.side);
        changed = true;
      } else namingProblem(named, `annotation ${annotation.id} already has side "${annotation.side}"; kept (the file says "${row.side}")`);
    }
    if (row.name !== null) {
      const current = annotation.individualId === null ? null : store.individuals.byId(annotation.individualId)!;
      if (current === null) {
        store.annotations.giveName(annotation.id, store.individuals.findOrCreate(row.name).id);
        changed = true;
      } else if (current.name !== row.name)
        namingProblem(named, `annotation ${annotation.id} is already named "${current.name}"; kept (the file says "${row.name}")`);
    }
    if (changed) updated++;
  };

  const whyMissing = (path: string): string => {
    if (options.failedPaths.has(path)) return 'could not be imported (see its own issue)';
    if (!existsSync(absolutePath(store.root, path))) return 'is not there';
    const inside = options.importedFolder === '' || path.startsWith(`${options.importedFolder}/`);
    return inside ? 'was not imported' : `is outside the imported folder ${options.importedFolder}`;
  };

  const applyPhoto = (path: string): void => {
    const photo = file.detector.photos.get(path)!;
    summary.belowThreshold += photo.belowThreshold;
    summary.otherCategories += photo.otherCategories;
    const known = store.images.file(path);
    if (!known) {
      if (!photo.failure) issues.push({ file: path, message: `${file.file} ${photo.label}: the photo ${whyMissing(path)}` });
      return;
    }
    if (photo.failure) {
      summary.failed++;
      return;
    }
    const image = store.images.byId(known.imageId)!;
    const rows = rowsOf.get(path) ?? [];
    if (rows.length === 0) summary.noAnimal.push(path);
    if (rows.length > 1) summary.severalAnimals.push(path);

    const marked = knownAnnotations(store, image.id);
    for (const row of rows) {
      const box = pixels(row, image);
      if (box.w < 1 || box.h < 1) {
        issues.push({ file: path, message: `${file.file} ${rowPlace(row)}: a box of less than a pixel; left out` });
        continue;
      }
      if (overlapping(marked, box, SAME_ANIMAL_IOU)) continue;
      const annotation = store.annotations.insert({
        imageId: image.id,
        box,
        theta: 0,
        side: null,
        individualId: null,
        source: `${file.file}:${rowPlace(row)}`,
        detectionConf: row.conf,
      });
      marked.push({ annotation, firstBox: box });
      summary.animalBoxes++;
      added++;
    }

    const placeholder = replaceablePlaceholder(store, store.annotations.byImage(image.id));
    const boxed = () => store.annotations.byImage(image.id).filter((a) => a.box !== null);
    const namesHere = namesOf.get(path) ?? [];
    if (placeholder && (boxed().length > 0 || namesHere.length === 0)) deleteAnnotation(store, { id: placeholder.id, origin: 'import' });

    for (const named of namesHere) {
      const boxes = boxed();
      if (boxes.length === 1) name(boxes[0], named);
      else if (boxes.length > 1)
        namingProblem(named, `${path} has ${boxes.length} animal boxes; the name is given to none of them (name them in the review)`);
      else {
        // The file says an animal is there; the detector found none: the whole photo keeps the name.
        let whole = store.annotations.byImage(image.id).find((a) => a.box === null);
        if (!whole) {
          whole = store.annotations.insert({ imageId: image.id, box: null, theta: 0, side: null, individualId: null, source: `${named.file}:${rowPlace(named.row)}` });
          added++;
        }
        name(whole, named);
        namingProblem(named, `the detector found no animal in ${path} at ${file.detector.threshold}; the whole photo is the annotation`);
      }
    }
  };

  const paths = [...file.detector.photos.keys()];
  for (let start = 0; start < paths.length && !options.signal?.aborted; start += PHOTOS_PER_TRANSACTION) {
    const batch = paths.slice(start, start + PHOTOS_PER_TRANSACTION);
    store.transaction(() => batch.forEach(applyPhoto));
    options.report({ phase: 'detections', done: start + batch.length, total: paths.length });
  }
  return { added, updated, issues, summary };
}
