import type { Box } from '../../shared/api.ts';
import type { AnnotationRecord } from './store/annotations.ts';
import type { CatalogStore } from './store/catalog-store.ts';

/**
 * What an import already finds on a photo. An import matches what it reads against every annotation
 * of the photo, those marked deleted included, and against the box each was made with as well as the
 * box it has now: so importing a file again adds nothing twice, never brings back a box a person
 * deleted, and never adds a second copy of a box a person has since moved, resized or rotated.
 */
export interface KnownAnnotation {
  annotation: AnnotationRecord;
  /** The box it was made with (before any change); its current box when it never changed. */
  firstBox: Box | null;
}

export function knownAnnotations(store: CatalogStore, imageId: number): KnownAnnotation[] {
  const first = store.annotationEdits.firstBoxes(imageId);
  return store.annotations.allOfImage(imageId).map((annotation) => ({
    annotation,
    firstBox: first.has(annotation.id) ? first.get(annotation.id)! : annotation.box,
  }));
}

const close = (a: number, b: number) => Math.abs(a - b) < 1e-6;
export const sameBox = (a: Box | null, b: Box | null): boolean =>
  a === null || b === null ? a === b : close(a.x, b.x) && close(a.y, b.y) && close(a.w, b.w) && close(a.h, b.h);

/** Intersection over union of two boxes (0 when either is the whole photo). */
export function iou(a: Box | null, b: Box | null): number {
  if (a === null || b === null) return 0;
  const w = Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x);
  const h = Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / (a.w * a.h + b.w * b.h - inter);
}

/** The annotation a record with exactly this box and theta describes (now or as it was made), if any. */
export function describedBy(known: readonly KnownAnnotation[], box: Box | null, theta: number): AnnotationRecord | undefined {
  return known.find(
    ({ annotation, firstBox }) =>
      (sameBox(annotation.box, box) && close(annotation.theta, theta)) || (firstBox !== annotation.box && sameBox(firstBox, box)),
  )?.annotation;
}

/**
 * The annotation that already marks the animal a detector's box shows: one whose box (now or as it was
 * made) overlaps it by at least `minIou`. A box a person drew around the same animal counts.
 */
export function overlapping(known: readonly KnownAnnotation[], box: Box, minIou: number): AnnotationRecord | undefined {
  return known.find(({ annotation, firstBox }) => iou(annotation.box, box) >= minIou || iou(firstBox, box) >= minIou)?.annotation;
}
